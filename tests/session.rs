//! The window's session (`core::session`) on real vault files: import
//! previews and commits, exports, and server flows against a loopback
//! server, with the errors the web view sees (`IpcError` codes).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tessera::core::clock::SystemClock;
use tessera::core::secret::SecretString;
use tessera::core::server::{PENDING_TAG, ServerStore, VaultServerStore, server_tag};
use tessera::core::session::servers::{EnrolStep, NewServer, TwoFactorState};
use tessera::core::session::transfer::{
    self, ExportRequest, ExportResult, ImportCounts, ImportPreviewView, ImportResult, ImportSource,
    ImportStatus,
};
use tessera::core::session::{AppState, KindName, vault_clock};
use tessera::core::settings::Settings;
use tessera::core::transfer::{ExportFormat, Format};
use tessera::core::vault::{KdfParams, Vault};
use tessera::ipc::commands::parse_id;
use tessera::ipc::error::{IpcError, IpcErrorCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

// ---------------------------------------------------------------------------
// Import and export

const AEGIS_PASSWORD: &str = "test";
const VAULT_PASSWORD: &str = "pw";
/// The base32 secrets of the seven fixture accounts.
const SECRETS: [&str; 7] = [
    "4SJHB4GSD43FZBAI7C2HLRJGPQ",
    "5OM4WOOGPLQEF6UGN3CPEOOLWU",
    "7ELGJSGXNCCTV3O6LKJWYFV2RA",
    "YOOMIXWS5GN6RTBPUFFWKTW5M4",
    "KUVJJOM753IHTNDSZVCNKL7GII",
    "5VAML3X35THCEBVRLV24CGBKOY",
    "JRZCL47CMXVOQMNPZR2F7J4RGI",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/aegis-importers")
        .join(name)
}

#[allow(
    clippy::needless_pass_by_value,
    reason = "the callers hand over what they made"
)]
fn preview(
    state: &AppState,
    source: ImportSource,
    format: Option<&str>,
    password: Option<SecretString>,
) -> Result<ImportPreviewView, IpcError> {
    Ok(state.preview_import(source, format, password.as_ref(), false)?)
}

fn commit(state: &AppState, id: &str) -> Result<ImportResult, IpcError> {
    Ok(state.commit_import(parse_id(id)?)?)
}

fn export_to(
    state: &AppState,
    request: &ExportRequest,
    dest: &Path,
) -> Result<ExportResult, IpcError> {
    Ok(state.export_accounts(request, dest)?)
}

fn unlocked_state() -> (tempfile::TempDir, AppState) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("transfer.tessera");
    let kdf = KdfParams::new(8 * 1024, 2, 1).unwrap();
    drop(
        Vault::create(
            &path,
            &SecretString::from(VAULT_PASSWORD),
            kdf,
            vault_clock(),
        )
        .unwrap(),
    );
    let state = AppState::with_settings(path, None, Settings::default());
    state
        .with_vault(|vault, _| Ok(vault.unlock_with_password(&SecretString::from(VAULT_PASSWORD))?))
        .unwrap();
    (dir, state)
}

fn encrypted_aegis() -> ImportSource {
    ImportSource::Bytes {
        name: "aegis_encrypted.json".to_owned(),
        bytes: std::fs::read(fixture("aegis_encrypted.json")).unwrap(),
    }
}

fn account_count(state: &AppState) -> usize {
    state
        .with_vault(|vault, _| Ok(vault.entries()?.len()))
        .unwrap()
}

fn assert_no_secret(json: &str) {
    for secret in SECRETS {
        assert!(!json.to_uppercase().contains(secret), "{secret} in {json}");
    }
}

/// Codes come from the session while an encrypted file's key is being
/// derived: the derivation (scrypt at 2^17 × 8, 128 MiB) takes far
/// longer than 20 code requests, so they all complete before it ends
/// only if the import does not hold the session meanwhile.
#[test]
fn codes_keep_coming_while_an_encrypted_file_derives_its_key() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use tessera::core::clock::Clock;
    use tessera::core::otp;
    use tessera::core::transfer::aegis::{self, ScryptCost};
    use tessera::core::vault::Details;

    let (_dir, state) = unlocked_state();
    let account = otp::parse_uri("otpauth://totp/Ticking:alice?secret=JBSWY3DPEHPK3PXP").unwrap();
    state
        .with_vault(|vault, _| Ok(vault.insert(account.clone(), Details::default())?))
        .unwrap();
    let password = SecretString::from(AEGIS_PASSWORD);
    let cost = ScryptCost {
        log_n: 17,
        r: 8,
        p: 1,
    };
    let details = Details::default();
    let file = aegis::export_encrypted([(&account, &details)], &password, cost).unwrap();
    let state = Arc::new(state);
    let started = Arc::new(AtomicBool::new(false));
    let import = std::thread::spawn({
        let (state, started) = (Arc::clone(&state), Arc::clone(&started));
        move || {
            started.store(true, Ordering::SeqCst);
            let source = ImportSource::Bytes {
                name: "slow.json".to_owned(),
                bytes: file,
            };
            preview(&state, source, None, Some(password))
        }
    });
    while !started.load(Ordering::SeqCst) {
        std::thread::yield_now();
    }
    for _ in 0..20 {
        let code = state
            .with_vault(|vault, settings| {
                Ok(otp::generate(
                    &vault.entries()?[0].account,
                    settings.code_clock().now(),
                )?)
            })
            .unwrap();
        assert_eq!(code.current.len(), 6);
    }
    assert!(
        !import.is_finished(),
        "the import held the session while it derived the file's key"
    );
    let view = import.join().unwrap().unwrap();
    assert_eq!(view.counts.duplicate, 1);
}

/// An Aegis file whose key takes 1 GiB of scrypt memory, holding one
/// account, and its password.
fn gigabyte_aegis(state: &AppState) -> (ImportSource, SecretString) {
    use tessera::core::transfer::aegis::{self, ScryptCost};
    let account =
        tessera::core::otp::parse_uri("otpauth://totp/Slow:alice?secret=JBSWY3DPEHPK3PXP").unwrap();
    let password = SecretString::from("a costly file");
    let cost = ScryptCost {
        log_n: 20,
        r: 8,
        p: 1,
    };
    let details = tessera::core::vault::Details::default();
    let bytes = aegis::export_encrypted([(&account, &details)], &password, cost).unwrap();
    assert_eq!(account_count(state), 0);
    (
        ImportSource::Bytes {
            name: "costly.json".to_owned(),
            bytes,
        },
        password,
    )
}

#[test]
fn a_costly_key_derivation_is_named_first_and_runs_once_allowed() {
    let (_dir, state) = unlocked_state();
    let (source, password) = gigabyte_aegis(&state);
    let refused = IpcError::from(
        state
            .preview_import(source.clone(), None, Some(&password), false)
            .unwrap_err(),
    );
    assert_eq!(
        refused.code,
        IpcErrorCode::CostlyKeyDerivation,
        "{refused:?}"
    );
    assert!(
        refused.message.contains("1024 MiB") && refused.message.contains("about 3 s"),
        "{}",
        refused.message
    );
    assert!(state.session().unwrap().pending_import.is_none());
    let view = state
        .preview_import(source, None, Some(&password), true)
        .unwrap();
    assert_eq!(view.counts.new, 1);
}

#[test]
fn an_import_cancelled_while_its_key_derives_keeps_nothing() {
    let (_dir, state) = unlocked_state();
    let (source, password) = gigabyte_aegis(&state);
    let state = Arc::new(state);
    let running = std::thread::spawn({
        let state = Arc::clone(&state);
        move || state.preview_import(source, None, Some(&password), true)
    });
    while state.session().unwrap().import_cancel.is_none() {
        std::thread::sleep(Duration::from_millis(10));
    }
    state.cancel_import().unwrap();
    let cancelled = IpcError::from(running.join().unwrap().unwrap_err());
    assert_eq!(cancelled.code, IpcErrorCode::Cancelled, "{cancelled:?}");
    let session = state.session().unwrap();
    assert!(session.pending_import.is_none() && session.import_cancel.is_none());
}

#[test]
fn an_encrypted_file_asks_for_its_password_then_previews_and_commits() {
    let (_dir, state) = unlocked_state();
    let error = preview(&state, encrypted_aegis(), None, None).unwrap_err();
    assert_eq!(error.code, IpcErrorCode::PasswordRequired, "{error:?}");
    let error = preview(
        &state,
        encrypted_aegis(),
        None,
        Some(SecretString::from("nope")),
    )
    .unwrap_err();
    assert_eq!(error.code, IpcErrorCode::WrongPassword, "{error:?}");
    assert!(state.session().unwrap().pending_import.is_none());

    let view = preview(
        &state,
        encrypted_aegis(),
        None,
        Some(SecretString::from(AEGIS_PASSWORD)),
    )
    .unwrap();
    assert_eq!(view.format, "aegis");
    assert_eq!(view.file_name, "aegis_encrypted.json");
    assert_eq!(
        view.counts,
        ImportCounts {
            new: 7,
            duplicate: 0,
            repeated: 0,
            invalid: 0
        }
    );
    let first = &view.entries[0];
    assert_eq!(
        (first.issuer.as_str(), first.name.as_str(), first.kind),
        ("Deno", "Mason", Some(KindName::Totp))
    );
    assert_eq!(view.entries[3].kind, Some(KindName::Hotp));
    assert_eq!(view.entries[6].kind, Some(KindName::Steam));
    let json = serde_json::to_string(&view).unwrap();
    assert_no_secret(&json);

    assert_eq!(account_count(&state), 0, "a preview writes nothing");
    let result = commit(&state, &view.id).unwrap();
    assert_eq!(result.imported, 7);
    assert_eq!(account_count(&state), 7);
    let again = commit(&state, &view.id).unwrap_err();
    assert_eq!(again.code, IpcErrorCode::NotFound);
    assert_eq!(account_count(&state), 7);

    let twice = preview(
        &state,
        encrypted_aegis(),
        Some("aegis"),
        Some(SecretString::from(AEGIS_PASSWORD)),
    )
    .unwrap();
    assert_eq!(twice.counts.duplicate, 7);
    assert_eq!(twice.counts.new, 0);
    assert!(
        twice
            .entries
            .iter()
            .all(|e| e.status == ImportStatus::Duplicate)
    );
}

#[test]
fn accounts_added_after_the_preview_are_not_imported_twice() {
    let (_dir, state) = unlocked_state();
    let source = ImportSource::Path {
        path: fixture("plain.txt").display().to_string(),
    };
    let view = preview(&state, source, None, None).unwrap();
    assert_eq!(view.counts.new, 7);
    let first = state
        .session()
        .unwrap()
        .pending_import
        .as_ref()
        .and_then(|p| p.preview().entries[0].item.clone())
        .unwrap();
    state
        .with_vault(|vault, _| Ok(vault.insert(first.account, first.details)?))
        .unwrap();
    let result = commit(&state, &view.id).unwrap();
    assert_eq!(result.imported, 6);
    assert_eq!(account_count(&state), 7);
}

#[test]
fn locking_drops_the_pending_import() {
    let (_dir, state) = unlocked_state();
    let source = ImportSource::Path {
        path: fixture("plain.txt").display().to_string(),
    };
    let view = preview(&state, source, None, None).unwrap();
    assert_eq!(view.format, "otpauth");
    state.session().unwrap().lock();
    assert!(state.session().unwrap().pending_import.is_none());
    let error = commit(&state, &view.id).unwrap_err();
    assert_eq!(error.code, IpcErrorCode::NotFound);
}

#[test]
fn only_the_latest_preview_can_be_committed() {
    let (_dir, state) = unlocked_state();
    let plain = || ImportSource::Path {
        path: fixture("plain.txt").display().to_string(),
    };
    let old = preview(&state, plain(), None, None).unwrap();
    let new = preview(&state, plain(), None, None).unwrap();
    assert_eq!(
        commit(&state, &old.id).unwrap_err().code,
        IpcErrorCode::NotFound
    );
    assert_eq!(commit(&state, &new.id).unwrap().imported, 7);
}

#[test]
fn bad_sources_and_formats_get_specific_errors() {
    let (dir, state) = unlocked_state();
    let unknown = ImportSource::Bytes {
        name: "notes.txt".to_owned(),
        bytes: b"just some words".to_vec(),
    };
    assert_eq!(
        preview(&state, unknown, None, None).unwrap_err().code,
        IpcErrorCode::Invalid
    );
    let huge = ImportSource::Bytes {
        name: "huge.json".to_owned(),
        bytes: vec![b' '; 16 * 1024 * 1024 + 1],
    };
    let error = preview(&state, huge, None, None).unwrap_err();
    assert!(error.message.contains("larger than"), "{error:?}");
    let missing = ImportSource::Path {
        path: dir.path().join("absent.json").display().to_string(),
    };
    assert_eq!(
        preview(&state, missing, None, None).unwrap_err().code,
        IpcErrorCode::Io
    );
    let error = preview(&state, encrypted_aegis(), Some("lastpass"), None).unwrap_err();
    assert_eq!(error.code, IpcErrorCode::Invalid);
    assert!(error.message.contains("lastpass"), "{error:?}");
}

#[test]
fn a_locked_vault_previews_nothing() {
    let (_dir, state) = unlocked_state();
    state.session().unwrap().lock();
    let source = ImportSource::Path {
        path: fixture("plain.txt").display().to_string(),
    };
    let error = preview(&state, source, None, None).unwrap_err();
    assert_eq!(error.code, IpcErrorCode::Locked);
}

/// A `KeePass` database opened with a key file alone, in the window: the
/// key file is chosen once for the imports that follow, and a lock
/// forgets it.
#[test]
fn a_keepass_database_opens_with_the_key_file_the_window_chose() {
    let (_dir, state) = unlocked_state();
    let formats = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats/keepass");
    let database = || ImportSource::Path {
        path: formats.join("key_file_only.kdbx").display().to_string(),
    };
    let without = preview(&state, database(), None, None).unwrap_err();
    assert_eq!(without.code, IpcErrorCode::PasswordRequired);
    let name = state
        .set_import_key_file(&formats.join("keyfile.keyx"))
        .unwrap();
    assert_eq!(name, "keyfile.keyx");
    let staged = preview(&state, database(), None, None).unwrap();
    assert_eq!(staged.format, "keepass");
    assert!(staged.counts.new >= 1, "{staged:?}");
    let added = commit(&state, &staged.id).unwrap();
    assert_eq!(added.imported, staged.counts.new);

    state.lock_vault().unwrap();
    state
        .with_vault(|vault, _| Ok(vault.unlock_with_password(&SecretString::from(VAULT_PASSWORD))?))
        .unwrap();
    let forgotten = preview(&state, database(), None, None).unwrap_err();
    assert_eq!(
        forgotten.code,
        IpcErrorCode::PasswordRequired,
        "a lock forgets the key file"
    );
    state
        .set_import_key_file(&formats.join("keyfile.keyx"))
        .unwrap();
    state.clear_import_key_file().unwrap();
    let cleared = preview(&state, database(), None, None).unwrap_err();
    assert_eq!(cleared.code, IpcErrorCode::PasswordRequired);
}

fn request(format: &str, acknowledge: bool, password: Option<&str>) -> ExportRequest {
    ExportRequest {
        format: format.to_owned(),
        vault_password: VAULT_PASSWORD.to_owned(),
        password: password.map(str::to_owned),
        acknowledge_plaintext: acknowledge,
        path: None,
    }
}

fn filled_state() -> (tempfile::TempDir, AppState) {
    let (dir, state) = unlocked_state();
    let source = ImportSource::Path {
        path: fixture("plain.txt").display().to_string(),
    };
    let view = preview(&state, source, None, None).unwrap();
    commit(&state, &view.id).unwrap();
    (dir, state)
}

#[test]
fn a_plaintext_export_needs_the_acknowledgement() {
    let (dir, state) = filled_state();
    let dest = dir.path().join("out.txt");
    let error = export_to(&state, &request("otpauth", false, None), &dest).unwrap_err();
    assert_eq!(error.code, IpcErrorCode::Invalid);
    assert!(error.message.contains("plain text"), "{error:?}");
    assert!(!dest.exists());

    let result = export_to(&state, &request("otpauth", true, None), &dest).unwrap();
    assert_eq!(result.written, 7);
    assert!(result.plaintext);
    assert_eq!(result.files, vec![dest.display().to_string()]);
    let text = std::fs::read_to_string(&dest).unwrap();
    assert!(text.contains(SECRETS[0]), "the export holds the secrets");

    let error = export_to(&state, &request("otpauth", true, None), &dest).unwrap_err();
    assert_eq!(error.code, IpcErrorCode::AlreadyExists);
    assert_eq!(std::fs::read_to_string(&dest).unwrap(), text);
}

#[test]
fn an_export_needs_the_vault_password() {
    let (dir, state) = filled_state();
    let dest = dir.path().join("out.json");
    for (typed, code) in [
        ("", IpcErrorCode::Invalid),
        ("not the vault password", IpcErrorCode::WrongPassword),
    ] {
        let request = ExportRequest {
            vault_password: typed.to_owned(),
            ..request("aegis-encrypted", false, Some("export pw"))
        };
        let error = export_to(&state, &request, &dest).unwrap_err();
        assert_eq!(error.code, code, "{error:?}");
        assert!(!dest.exists());
    }
    // With the right one (what `request` sends) the same export is
    // written: the next test.
}

#[test]
fn an_encrypted_export_needs_a_password_and_reimports_as_duplicates() {
    let (dir, state) = filled_state();
    let dest = dir.path().join("out.json");
    let error = export_to(&state, &request("aegis-encrypted", false, Some("")), &dest).unwrap_err();
    assert_eq!(error.code, IpcErrorCode::PasswordRequired);
    assert!(!dest.exists());

    let result = export_to(
        &state,
        &request("aegis-encrypted", false, Some("export pw")),
        &dest,
    )
    .unwrap();
    assert_eq!(result.written, 7);
    assert!(!result.plaintext);
    assert_no_secret(&std::fs::read_to_string(&dest).unwrap());

    let source = ImportSource::Path {
        path: dest.display().to_string(),
    };
    let view = preview(&state, source, None, Some(SecretString::from("export pw"))).unwrap();
    assert_eq!(view.counts.duplicate, 7);
}

#[test]
fn google_qr_leaves_out_what_it_cannot_hold() {
    let (dir, state) = filled_state();
    let dest = dir.path().join("google.png");
    let result = export_to(&state, &request("google-qr", true, None), &dest).unwrap();
    assert_eq!(
        result.written as usize + result.left_out.len(),
        7,
        "{result:?}"
    );
    assert!(!result.files.is_empty());
    for file in &result.files {
        assert!(Path::new(file).exists(), "{file}");
    }
}

#[test]
fn the_formats_offered_mark_plaintext_and_passwords() {
    let formats = transfer::formats();
    assert_eq!(formats.import.len(), Format::ALL.len());
    let by_id = |id: &str| {
        formats
            .export
            .iter()
            .find(|f| f.id == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    assert!(!by_id("tessera").plaintext);
    assert!(by_id("aegis-encrypted").needs_password);
    assert!(by_id("aegis").plaintext);
    assert!(by_id("otpauth").plaintext);
    assert!(by_id("google-qr").plaintext);
    for option in &formats.export {
        assert!(option.id.parse::<ExportFormat>().is_ok(), "{}", option.id);
    }
}

// ---------------------------------------------------------------------------
// Enrolment against a Syncano-shaped server on loopback that holds each
// verification until the test answers it, to look at the vault file while
// the server has not confirmed.

const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const SERVER_VAULT_PASSWORD: &str = "vault pass 3f9a";
const NAME: &str = "wiki";
const WAIT: Duration = Duration::from_secs(30);

/// A verification the server holds: send the status to answer with.
type Held = oneshot::Sender<u16>;

/// Answers Syncano's login and setup at once; hands each verification
/// to the test and answers it with the status the test sends back.
async fn start_server() -> (String, mpsc::Receiver<Held>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let (held, verifications) = mpsc::channel(4);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream, held.clone()));
        }
    });
    (url, verifications)
}

async fn answer(mut stream: TcpStream, held: mpsc::Sender<Held>) {
    let path = read_request(&mut stream).await;
    let (status, body) = if path.ends_with("/two-factor-auth/login/") {
        (200, r#"{"token":"session-token-5d1"}"#.to_owned())
    } else if path.ends_with("/setup-two-factor/") {
        (200, format!(r#"{{"tempSecret":"{SEED}"}}"#))
    } else if path.ends_with("/verify-token/") {
        let (release, status) = oneshot::channel();
        held.send(release).await.unwrap();
        match status.await.unwrap_or(500) {
            200 => (200, "{}".to_owned()),
            other => (other, r#"{"message":"Internal error"}"#.to_owned()),
        }
    } else {
        (404, r#"{"message":"Not found"}"#.to_owned())
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await.unwrap();
    stream.shutdown().await.unwrap();
}

/// Reads one request (head and body); returns its path.
async fn read_request(stream: &mut TcpStream) -> String {
    let mut data = Vec::new();
    let mut chunk = [0_u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the client hung up mid-request");
        data.extend_from_slice(&chunk[..n]);
        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        if data.len() >= end + 4 + length {
            return head.split(' ').nth(1).unwrap().to_owned();
        }
    }
}

fn unlocked_state_at(path: &Path) -> Arc<AppState> {
    let kdf = KdfParams::new(8 * 1024, 2, 1).unwrap();
    drop(
        Vault::create(
            path,
            &SecretString::from(SERVER_VAULT_PASSWORD),
            kdf,
            vault_clock(),
        )
        .unwrap(),
    );
    let state = AppState::with_settings(path.to_owned(), None, Settings::default());
    state
        .with_vault(|vault, _| {
            Ok(vault.unlock_with_password(&SecretString::from(SERVER_VAULT_PASSWORD))?)
        })
        .unwrap();
    Arc::new(state)
}

async fn add_server(state: &AppState, url: &str) {
    let form = NewServer {
        name: NAME.into(),
        profile: "syncano".into(),
        url: url.into(),
        username: Some("alice".into()),
        secret: "server pass 81c2".into(),
        register: false,
        vault_password: Some(SERVER_VAULT_PASSWORD.into()),
    };
    state.add_server(form).await.unwrap();
}

/// The vault file as another process sees it.
fn reopened(path: &Path) -> Vault {
    let mut vault = Vault::open(path, Arc::new(SystemClock)).unwrap();
    vault
        .unlock_with_password(&SecretString::from(SERVER_VAULT_PASSWORD))
        .unwrap();
    vault
}

/// The accounts tagged for the server in `vault`: (id, pending, seed).
fn server_accounts(vault: &Vault) -> Vec<(uuid::Uuid, bool, Vec<u8>)> {
    vault
        .entries()
        .unwrap()
        .iter()
        .filter(|e| e.details.tags.contains(&server_tag(NAME)))
        .map(|e| {
            (
                e.id,
                e.details.tags.iter().any(|t| t == PENDING_TAG),
                e.account.secret.expose().to_vec(),
            )
        })
        .collect()
}

fn seed() -> Vec<u8> {
    data_encoding::BASE32_NOPAD.decode(SEED.as_bytes()).unwrap()
}

async fn held_verification(verifications: &mut mpsc::Receiver<Held>) -> Held {
    tokio::time::timeout(WAIT, verifications.recv())
        .await
        .expect("the enrolment never sent its code")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pending_account_is_in_the_vault_file_before_the_server_verifies() {
    let (url, mut verifications) = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.tessera");
    let state = unlocked_state_at(&path);
    add_server(&state, &url).await;

    let running = tokio::spawn({
        let state = Arc::clone(&state);
        async move { state.server_enrol(NAME).await }
    });
    let release = held_verification(&mut verifications).await;

    // Before the server answers, the seed it handed out is in the file,
    // tagged pending, for any other handle (a crash now loses nothing).
    let stored = server_accounts(&reopened(&path));
    assert_eq!(stored.len(), 1, "{} accounts", stored.len());
    assert!(stored[0].1, "tagged pending");
    assert_eq!(stored[0].2, seed());
    // The window is free meanwhile and shows the step.
    let listed = state.list_servers().unwrap();
    assert!(listed[0].busy);
    assert_eq!(listed[0].enrol_step, Some(EnrolStep::Verify));
    // A second flow on the same server is refused while this one runs.
    let refused = IpcError::from(state.server_status(NAME).await.unwrap_err());
    assert_eq!(refused.code, IpcErrorCode::Invalid);
    assert!(
        refused.message.contains("already running"),
        "{}",
        refused.message
    );

    // Locked while the server answers: the confirmation still reaches
    // the file, and the answer says how the flow went.
    state.session().unwrap().lock();
    release.send(200).unwrap();
    let report = tokio::time::timeout(WAIT, running)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(report.failure.is_none(), "{report:?}");
    assert_eq!(report.failed_at, None);
    assert_eq!(report.server.two_factor, TwoFactorState::On);

    let mut file = reopened(&path);
    let accounts = server_accounts(&file);
    assert_eq!(accounts.len(), 1, "one account, confirmed");
    let (id, pending, secret) = accounts[0].clone();
    assert!(!pending);
    assert_eq!(secret, seed());
    assert_eq!(
        report.account.map(|a| a.id),
        Some(id.hyphenated().to_string())
    );
    let record = VaultServerStore::new(&mut file).load(NAME).unwrap();
    assert_eq!(record.account_id, Some(id));
    assert!(record.credentials.token.is_some(), "the session is kept");

    // Unlocked again, the window reads what the flow stored.
    state
        .with_vault(|vault, _| {
            Ok(vault.unlock_with_password(&SecretString::from(SERVER_VAULT_PASSWORD))?)
        })
        .unwrap();
    let listed = state.list_servers().unwrap();
    assert_eq!(listed[0].two_factor, TwoFactorState::On);
    assert!(!listed[0].busy);
    assert_eq!(listed[0].enrol_step, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verification_with_no_clear_answer_keeps_the_account_pending() {
    let (url, mut verifications) = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.tessera");
    let state = unlocked_state_at(&path);
    add_server(&state, &url).await;

    let running = tokio::spawn({
        let state = Arc::clone(&state);
        async move { state.server_enrol(NAME).await }
    });
    held_verification(&mut verifications)
        .await
        .send(500)
        .unwrap();
    let report = tokio::time::timeout(WAIT, running)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(report.failed_at, Some(EnrolStep::Verify), "{report:?}");
    assert!(report.failure.is_some());
    assert_eq!(report.server.two_factor, TwoFactorState::Pending);

    let accounts = server_accounts(&reopened(&path));
    assert_eq!(accounts.len(), 1);
    assert!(accounts[0].1, "still pending");
    assert_eq!(accounts[0].2, seed());
    assert_eq!(
        report.account.map(|a| a.id),
        Some(accounts[0].0.hyphenated().to_string())
    );
    let accounts = state
        .with_vault(|vault, _| Ok(server_accounts(vault)))
        .unwrap();
    assert_eq!(accounts.len(), 1, "the window's vault has it too");
}
