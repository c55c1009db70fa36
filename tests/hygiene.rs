//! Secret hygiene: the main flows (vault, codes, backup codes, import,
//! export, server enrol/login/disable against the reference server, and
//! their error paths) run with every `tracing` event and `log` record
//! captured at TRACE, and no seed, password, token or backup code appears
//! in a log line, a panic message or the `Display`/`Debug` of an error
//! they return; the `Debug` of every secret-holding type is redacted; a
//! locked vault has forgotten its key.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tessera::core::clock::{Clock, FixedClock};
use tessera::core::otp::{self, Account, Algorithm, OtpKind};
use tessera::core::secret::{SecretBytes, SecretString};
use tessera::core::server::{
    Answer, Credentials, Http, HttpOptions, Label, LoginWith, Pause, Profile, ServerClient,
    ServerRecord, ServerStore, VaultServerStore,
};
use tessera::core::transfer::aegis::ScryptCost;
use tessera::core::transfer::export::{self, ExportFormat, ExportOptions};
use tessera::core::transfer::{self, Preview};
use tessera::core::vault::{Details, EnvelopeKey, KdfParams, Vault, VaultError};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::support::reference_server::{Flavor, ReferenceServer};

// ---------------------------------------------------------------------------
// Capturing every event and log record

/// Every event, span and `log` record of the test binary, formatted.
fn captured() -> &'static Mutex<Vec<String>> {
    static LINES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    LINES.get_or_init(|| Mutex::new(Vec::new()))
}

/// Writes an event's or span's fields as `name=value` pairs.
struct Fields<'a>(&'a mut String);

impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        let _ = write!(self.0, " {}={value}", field.name());
    }
}

struct Capture;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let meta = event.metadata();
        let mut line = format!("{} {}:", meta.level(), meta.target());
        event.record(&mut Fields(&mut line));
        captured().lock().unwrap().push(line);
    }

    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        _: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut line = format!("span {}:", attrs.metadata().name());
        attrs.record(&mut Fields(&mut line));
        captured().lock().unwrap().push(line);
    }

    fn on_record(
        &self,
        _: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut line = "span record:".to_owned();
        values.record(&mut Fields(&mut line));
        captured().lock().unwrap().push(line);
    }
}

/// The folder of the app's log file for this test binary: every event of
/// every flow is also written there, as the app writes its log.
fn log_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap()).path()
}

/// Installs the capturing subscriber (every level), the `log` bridge and a
/// panic hook that records panic messages too (then prints them as
/// before), once for the whole test binary.
fn capture_everything() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Ok(mut lines) = captured().try_lock() {
                lines.push(format!("PANIC {info}"));
            }
            previous(info);
        }));
        let log = tessera::core::logging::file_layer(log_dir(), tracing::Level::TRACE)
            .expect("the log file opens");
        tracing_subscriber::registry()
            .with(Capture)
            .with(log)
            .try_init()
            .expect("no other global subscriber in the test binary");
        assert_eq!(log::max_level(), log::LevelFilter::Trace);
    });
}

// ---------------------------------------------------------------------------
// What must never show

/// The secrets of a flow, and every text form they could leak in.
#[derive(Default)]
struct Secrets(Vec<String>);

impl Secrets {
    fn text(&mut self, secret: &str) {
        assert!(secret.len() >= 6, "too short to search for: {secret:?}");
        self.0.push(secret.to_owned());
    }

    /// A seed: its base32 (upper and lower case) and hex forms.
    fn seed(&mut self, bytes: &[u8]) {
        let base32 = data_encoding::BASE32_NOPAD.encode(bytes);
        self.text(&base32.to_lowercase());
        self.text(&base32);
        self.text(&data_encoding::HEXLOWER.encode(bytes));
        if let Ok(text) = std::str::from_utf8(bytes)
            && text.len() >= 8
        {
            self.text(text);
        }
    }

    fn account(&mut self, account: &Account) {
        self.seed(account.secret.expose());
    }

    /// The first secret `text` holds.
    fn find(&self, text: &str) -> Option<&str> {
        self.0
            .iter()
            .map(String::as_str)
            .find(|secret| text.contains(secret))
    }

    /// Panics naming the secret if `text` holds one.
    fn assert_absent(&self, what: &str, text: &str) {
        if let Some(secret) = self.find(text) {
            panic!("{what} holds the secret {secret:?}: {text}");
        }
    }
}

/// `Display` and `Debug` of every error a flow returned.
#[derive(Default)]
struct Errors(Vec<String>);

impl Errors {
    fn add<E: std::fmt::Display + std::fmt::Debug>(&mut self, error: &E) {
        self.0.push(format!("{error} | {error:?}"));
    }

    /// `result`'s error, recorded; panics if it is `Ok`.
    fn expect_err<T: std::fmt::Debug, E: std::fmt::Display + std::fmt::Debug>(
        &mut self,
        what: &str,
        result: Result<T, E>,
    ) -> E {
        match result {
            Ok(value) => panic!("{what} succeeded: {value:?}"),
            Err(error) => {
                self.add(&error);
                error
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The flows

const VAULT_PASSWORD: &str = "hygiene-vault-password-1";
const NEW_VAULT_PASSWORD: &str = "hygiene-vault-password-2";
const EXPORT_PASSWORD: &str = "hygiene-export-password";
const SERVER_PASSWORD: &str = "hygiene-server-password";
const SEED: &[u8] = b"hygiene-seed-0123456789";

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_unix_seconds(1_800_000_010))
}

fn account() -> Account {
    Account {
        issuer: "Hygiene".into(),
        name: "alice@example.com".into(),
        secret: SecretBytes::from(SEED),
        algorithm: Algorithm::Sha1,
        digits: 6,
        kind: OtpKind::Totp { period: 30 },
        extra_params: Vec::new(),
    }
}

/// Waiting moves the fixed clock instead of sleeping.
struct AdvanceClock(Arc<FixedClock>);

impl Pause for AdvanceClock {
    fn pause(
        &self,
        duration: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.0.advance(i64::try_from(duration.as_millis()).unwrap());
        Box::pin(std::future::ready(()))
    }
}

/// Create, unlock wrong and right, add, codes, backup codes, change the
/// password, lock: the local vault flows.
fn vault_flows(path: &Path, clock: &Arc<FixedClock>, secrets: &mut Secrets, errors: &mut Errors) {
    let password = SecretString::from(VAULT_PASSWORD);
    let mut vault = Vault::create(
        path,
        &password,
        KdfParams::new(64, 2, 1).unwrap(),
        clock.clone(),
    )
    .unwrap();
    secrets.account(&account());
    let id = vault.insert(account(), Details::default()).unwrap();
    let codes = [
        "hygiene-backup-code-1",
        "hygiene-backup-code-2",
        "hygiene-backup-code-3",
    ];
    for code in codes {
        secrets.text(code);
    }
    vault
        .add_backup_codes(id, codes.iter().map(|c| SecretString::from(*c)).collect())
        .unwrap();
    vault.use_backup_code(id, codes[0]).unwrap();
    errors.expect_err("a used backup code", vault.use_backup_code(id, codes[0]));
    errors.expect_err(
        "an unknown backup code",
        vault.use_backup_code(id, "hygiene-backup-code-9"),
    );
    errors.expect_err(
        "an empty backup code",
        vault.add_backup_codes(id, vec![SecretString::from("  ")]),
    );
    let code = otp::generate(&vault.get(id).unwrap().account, clock.now()).unwrap();
    assert_eq!(code.current.len(), 6);

    // A URI with a secret and a fault: the error names the fault only.
    let bad_uri = "otpauth://totp/Bad:bob?secret=KRUGS4ZANFZSAYJAONSWG4TFOQQGC3TE&digits=99";
    secrets.text("KRUGS4ZANFZSAYJAONSWG4TFOQQGC3TE");
    errors.expect_err("digits=99", otp::parse_uri(bad_uri));
    errors.expect_err(
        "an invalid account",
        vault.insert(
            Account {
                digits: 99,
                ..account()
            },
            Details::default(),
        ),
    );

    let new_password = SecretString::from(NEW_VAULT_PASSWORD);
    secrets.text(VAULT_PASSWORD);
    secrets.text(NEW_VAULT_PASSWORD);
    errors.expect_err(
        "changing the password with a wrong current one",
        vault.change_password(
            &new_password,
            &password,
            Some(KdfParams::new(64, 2, 1).unwrap()),
            None,
        ),
    );
    vault
        .change_password(
            &password,
            &new_password,
            Some(KdfParams::new(64, 2, 1).unwrap()),
            None,
        )
        .unwrap();
    vault.lock();
    drop(vault);

    let mut vault = Vault::open(path, clock.clone()).unwrap();
    let wrong = errors.expect_err("the old password", vault.unlock_with_password(&password));
    assert!(matches!(wrong, VaultError::WrongPassword), "{wrong:?}");
    errors.expect_err("codes while locked", vault.get(id));
    vault.unlock_with_password(&new_password).unwrap();
    assert_eq!(vault.backup_codes(id).unwrap().len(), 3);
    let snapshot = path.with_extension("snapshot");
    vault.snapshot(&snapshot).unwrap();
    errors.expect_err(
        "a snapshot over an existing file",
        vault.snapshot(&snapshot),
    );
}

/// Import the shared encrypted Aegis fixture (wrong, missing and right
/// password), preview and commit it, export it encrypted and plain, and
/// read the encrypted export back.
fn transfer_flows(dir: &Path, vault: &mut Vault, secrets: &mut Secrets, errors: &mut Errors) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/aegis-importers/aegis_encrypted.json");
    errors.expect_err(
        "a wrong fixture password",
        transfer::import_file(
            &fixture,
            None,
            Some(&SecretString::from("not-the-password")),
        ),
    );
    errors.expect_err(
        "a missing fixture password",
        transfer::import_file(&fixture, None, None),
    );
    let parsed = transfer::import_file(&fixture, None, Some(&SecretString::from("test"))).unwrap();
    for item in parsed.entries.iter().flatten() {
        secrets.account(&item.account);
    }
    let preview = Preview::new(parsed, vault.entries().unwrap());
    let preview_debug = format!("{preview:?}");
    secrets.assert_absent("the Debug of an import preview", &preview_debug);
    let added = preview.commit(vault).unwrap();
    assert!(added.len() >= 5, "{added:?}");

    secrets.text(EXPORT_PASSWORD);
    let password = SecretString::from(EXPORT_PASSWORD);
    let options = ExportOptions {
        password: Some(&password),
        scrypt: ScryptCost {
            log_n: 10,
            r: 8,
            p: 1,
        },
        ..ExportOptions::default()
    };
    let out = dir.join("export.json");
    export::write_file(vault, ExportFormat::AegisEncrypted, &out, &options).unwrap();
    errors.expect_err(
        "exporting over an existing file",
        export::write_file(vault, ExportFormat::AegisEncrypted, &out, &options),
    );
    errors.expect_err(
        "a plain-text export without consent",
        export::write_file(
            vault,
            ExportFormat::Otpauth,
            &dir.join("plain.txt"),
            &ExportOptions::default(),
        ),
    );
    errors.expect_err(
        "the export read back with a wrong password",
        transfer::import_file(
            &out,
            None,
            Some(&SecretString::from("hygiene-wrong-export")),
        ),
    );
    let back = transfer::import_file(&out, None, Some(&password)).unwrap();
    assert_eq!(back.entries.len(), vault.entries().unwrap().len());
}

/// Register, enrol, log in with a code and a backup code, disable,
/// against the reference server (Syncano: password, token, backup codes;
/// Laravel: a pasted bearer token); then the refusals.
async fn server_flows(
    vault: &mut Vault,
    clock: &Arc<FixedClock>,
    secrets: &mut Secrets,
    errors: &mut Errors,
) {
    let server = ReferenceServer::start(clock.clone()).await.unwrap();
    let client = ServerClient::new(
        Http::new(HttpOptions {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(2),
            max_body_bytes: 64 * 1024,
        })
        .unwrap(),
        clock.clone(),
        Arc::new(AdvanceClock(clock.clone())),
        Some(tessera::core::server::qr_decoder()),
    );
    secrets.text(SERVER_PASSWORD);

    for flavor in [Flavor::Syncano, Flavor::Laravel] {
        let user = "hygiene@example.com";
        let profile = Profile::builtin(flavor.profile()).unwrap();
        let mut record =
            ServerRecord::new(flavor.prefix(), flavor.profile(), &server.url(flavor)).unwrap();
        record.username = Some(user.to_owned());
        if flavor == Flavor::Laravel {
            let token = server.add_user(flavor, user, SERVER_PASSWORD);
            secrets.text(&token);
            record.credentials.token = Some(SecretString::from(token));
        } else {
            record.credentials.password = Some(SecretString::from(SERVER_PASSWORD));
            client.register(&profile, &mut record).await.unwrap();
        }
        let id = client
            .enrol(&profile, &mut record, vault, &Label::default())
            .await
            .unwrap();
        secrets.account(&vault.get(id).unwrap().account);
        if let Some(token) = &record.credentials.token {
            secrets.text(token.expose());
        }
        for cookie in record.credentials.cookies.values() {
            secrets.text(cookie.expose());
        }
        for (code, _) in server.backup_codes(flavor, user) {
            secrets.text(&code);
        }
        secrets.assert_absent("the Debug of a server record", &format!("{record:?}"));
        VaultServerStore::new(vault).add(record.clone()).unwrap();
        let mut record = VaultServerStore::new(vault).load(flavor.prefix()).unwrap();

        client
            .login(&profile, &mut record, vault, LoginWith::Code)
            .await
            .unwrap();
        if flavor == Flavor::Syncano {
            client
                .login(&profile, &mut record, vault, LoginWith::BackupCode)
                .await
                .unwrap();
        }
        if let Some(token) = &record.credentials.token {
            secrets.text(token.expose());
        }
        client.disable(&profile, &mut record, vault).await.unwrap();
        VaultServerStore::new(vault).save(&record).unwrap();
        if flavor == Flavor::Syncano {
            errors.expect_err(
                "disabling twice",
                client.disable(&profile, &mut record, vault).await,
            );
        }
    }

    server_refusals(&server, &client, vault, secrets, errors).await;
}

/// A wrong password, a forged token, nobody listening.
async fn server_refusals(
    server: &ReferenceServer,
    client: &ServerClient,
    vault: &mut Vault,
    secrets: &mut Secrets,
    errors: &mut Errors,
) {
    let profile = Profile::builtin(Flavor::Syncano.profile()).unwrap();
    let mut wrong = ServerRecord::new(
        "wrong",
        Flavor::Syncano.profile(),
        &server.url(Flavor::Syncano),
    )
    .unwrap();
    wrong.username = Some("hygiene@example.com".into());
    wrong.credentials.password = Some(SecretString::from("hygiene-wrong-server-password"));
    secrets.text("hygiene-wrong-server-password");
    errors.expect_err(
        "a wrong server password",
        client
            .enrol(&profile, &mut wrong, vault, &Label::default())
            .await,
    );
    let laravel = Profile::builtin(Flavor::Laravel.profile()).unwrap();
    let mut forged = ServerRecord::new(
        "forged",
        Flavor::Laravel.profile(),
        &server.url(Flavor::Laravel),
    )
    .unwrap();
    forged.credentials.token = Some(SecretString::from("hygiene-forged-bearer-token"));
    secrets.text("hygiene-forged-bearer-token");
    errors.expect_err(
        "a forged token",
        client
            .enrol(&laravel, &mut forged, vault, &Label::default())
            .await,
    );
    let nobody = format!("http://127.0.0.1:{}/", crate::support::free_port());
    let mut gone = ServerRecord::new("gone", Flavor::Laravel.profile(), &nobody).unwrap();
    gone.credentials.token = Some(SecretString::from("hygiene-token-for-gone-server"));
    secrets.text("hygiene-token-for-gone-server");
    errors.expect_err(
        "a port nobody listens on",
        client
            .enrol(&laravel, &mut gone, vault, &Label::default())
            .await,
    );
}

#[tokio::test]
async fn main_flows_leak_no_secret_into_logs_or_errors() {
    capture_everything();
    let clock = clock();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hygiene.tessera");
    let mut secrets = Secrets::default();
    let mut errors = Errors::default();

    vault_flows(&path, &clock, &mut secrets, &mut errors);
    let mut vault = Vault::open(&path, clock.clone()).unwrap();
    vault
        .unlock_with_password(&SecretString::from(NEW_VAULT_PASSWORD))
        .unwrap();
    transfer_flows(dir.path(), &mut vault, &mut secrets, &mut errors);
    server_flows(&mut vault, &clock, &mut secrets, &mut errors).await;
    vault.lock();

    let lines = captured().lock().unwrap().clone();
    for needle in [
        "vault created",
        "vault unlocked",
        "vault locked",
        "unlock with the password refused",
        "import committed",
        "vault snapshot written",
        "server request",
        "server request failed",
        // reqwest's `log` records, through the bridge.
        "log.target=reqwest",
    ] {
        assert!(
            lines.iter().any(|l| l.contains(needle)),
            "no `{needle}` event was logged: {lines:#?}"
        );
    }
    assert!(
        lines.iter().any(|l| l.contains("status=200")),
        "server requests are logged with their status"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("TRACE ") || l.starts_with("DEBUG ")),
        "events below INFO are captured"
    );
    for line in &lines {
        secrets.assert_absent("a log line", line);
    }
    // The log file the app writes, with the same events.
    let log_file = log_dir().join(tessera::core::logging::LOG_FILE_NAME);
    let written = std::fs::read_to_string(&log_file).unwrap();
    assert!(written.contains("vault unlocked") && written.contains("import committed"));
    for line in written.lines() {
        secrets.assert_absent("the log file", line);
    }
    // What "Copy diagnostics" puts on the clipboard.
    let diagnostics = tessera::core::logging::diagnostics(&path, &[("web view", "WebKit".into())]);
    assert!(diagnostics.contains(env!("CARGO_PKG_VERSION")) && diagnostics.contains("schema"));
    secrets.assert_absent("the diagnostics", &diagnostics);
    for error in &errors.0 {
        secrets.assert_absent("an error", error);
    }
    assert!(errors.0.len() >= 15, "{} errors checked", errors.0.len());
    assert!(
        secrets.0.len() >= 40,
        "{} secrets searched",
        secrets.0.len()
    );
}

#[test]
fn a_secret_logged_through_tracing_or_log_is_found() {
    capture_everything();
    let planted = b"hygiene-planted-seed-42";
    let mut secrets = Secrets::default();
    secrets.seed(planted);
    tracing::trace!(
        seed = %data_encoding::BASE32_NOPAD.encode(planted),
        "a deliberate leak through tracing"
    );
    log::trace!(
        target: "hygiene::planted",
        "a deliberate leak through log: {}",
        data_encoding::HEXLOWER.encode(planted)
    );
    let lines = captured().lock().unwrap().clone();
    let found: Vec<&String> = lines.iter().filter(|l| secrets.find(l).is_some()).collect();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found
            .iter()
            .any(|l| l.contains("log.target=hygiene::planted"))
    );
    let panicked = std::panic::catch_unwind(|| {
        panic!(
            "a deliberate leak through a panic: {}",
            data_encoding::BASE32_NOPAD.encode(planted)
        )
    });
    assert!(panicked.is_err());
    let lines = captured().lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("PANIC ") && secrets.find(l).is_some()),
        "the panic message was not captured"
    );
    let error = VaultError::KeyringUnavailable {
        reason: data_encoding::BASE32_NOPAD.encode(planted).to_lowercase(),
    };
    assert!(secrets.find(&format!("{error:?}")).is_some());
}

// ---------------------------------------------------------------------------
// Debug of secret-holding types

const MARK: &str = "hygiene-marker-secret";

fn assert_redacted(what: &str, debug: &str) {
    assert!(
        !debug.contains(MARK),
        "{what}'s Debug shows the secret: {debug}"
    );
    let hex = data_encoding::HEXLOWER.encode(MARK.as_bytes());
    assert!(
        !debug.contains(&hex),
        "{what}'s Debug shows the secret in hex"
    );
    let bytes = format!("{:?}", MARK.as_bytes());
    let inner = &bytes[1..bytes.len() - 1];
    assert!(
        !debug.contains(inner),
        "{what}'s Debug shows the secret as bytes: {debug}"
    );
}

fn marked_account() -> Account {
    Account {
        secret: SecretBytes::from(MARK.as_bytes()),
        ..account()
    }
}

#[test]
fn debug_of_secret_wrappers_is_redacted() {
    assert_redacted(
        "SecretBytes",
        &format!("{:?}", SecretBytes::from(MARK.as_bytes())),
    );
    assert_redacted("SecretString", &format!("{:?}", SecretString::from(MARK)));
    let key = EnvelopeKey::from_slice(&[0x5a; 32]).unwrap();
    let debug = format!("{key:?}");
    assert!(
        !debug.contains("90") && !debug.contains("5a") && !debug.contains("5A"),
        "EnvelopeKey's Debug shows key bytes: {debug}"
    );
}

#[test]
fn debug_of_accounts_entries_and_backup_codes_is_redacted() {
    assert_redacted("Account", &format!("{:?}", marked_account()));
    let dir = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(
        dir.path().join("v.tessera"),
        &SecretString::from(MARK),
        KdfParams::new(64, 2, 1).unwrap(),
        clock(),
    )
    .unwrap();
    let id = vault.insert(marked_account(), Details::default()).unwrap();
    vault
        .add_backup_codes(id, vec![SecretString::from(MARK)])
        .unwrap();
    vault
        .put_server(uuid::Uuid::new_v4(), SecretBytes::from(MARK.as_bytes()))
        .unwrap();
    assert_redacted("Entry", &format!("{:?}", vault.get(id).unwrap()));
    assert_redacted(
        "BackupCode",
        &format!("{:?}", vault.backup_codes(id).unwrap()),
    );
    assert_redacted("ServerEntry", &format!("{:?}", vault.servers().unwrap()));
    assert_redacted("Vault", &format!("{vault:?}"));
}

#[test]
fn debug_of_server_records_credentials_and_answers_is_redacted() {
    let mut credentials = Credentials {
        password: Some(SecretString::from(MARK)),
        token: Some(SecretString::from(MARK)),
        ..Credentials::default()
    };
    credentials.set_cookies_from(&format!("jwt={MARK}"), "jwt");
    assert_redacted("Credentials", &format!("{credentials:?}"));
    let mut record = ServerRecord::new("srv", "syncano", "http://127.0.0.1:9/").unwrap();
    record.credentials = credentials;
    assert_redacted("ServerRecord", &format!("{record:?}"));

    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::SET_COOKIE,
        reqwest::header::HeaderValue::from_str(&format!("jwt={MARK}")).unwrap(),
    );
    let answer = Answer {
        status: 200,
        headers,
        content_type: "application/json".into(),
        body: format!(r#"{{"secret":"{MARK}","token":"{MARK}"}}"#).into_bytes(),
    };
    assert_redacted("Answer", &format!("{answer:?}"));
}

#[test]
fn debug_of_imported_items_and_pending_scans_is_redacted() {
    let uri = otp::format_uri(&marked_account());
    let parsed = transfer::import(uri.as_bytes(), None, None).unwrap();
    assert_redacted("Parsed (imported items)", &format!("{parsed:?}"));
    let preview = Preview::new(parsed, &[]);
    assert_redacted("Preview (pending import)", &format!("{preview:?}"));

    let migration = otp::format_migration_uris(&[marked_account(), account()]);
    let mut assembly = tessera::core::qr::BatchAssembly::default();
    for part in &migration {
        let batch = otp::parse_migration_uri(part).unwrap();
        assert_redacted("MigrationBatch", &format!("{batch:?}"));
        let progress = assembly.add(batch).unwrap();
        assert_redacted("BatchProgress", &format!("{progress:?}"));
        assert_redacted("BatchAssembly (pending scan)", &format!("{assembly:?}"));
    }
}

/// The session's pending scan and staged import (cleared on lock) hold
/// seeds until the user confirms.
#[test]
fn debug_of_the_sessions_pending_scan_and_import_is_redacted() {
    use tessera::core::intake::ScanStaging;
    use tessera::core::qr::QrContent;
    use tessera::core::transfer::StagedImport;

    let mut scan = ScanStaging::default();
    let mut contents = vec![QrContent::Account(marked_account())];
    let parts = otp::format_migration_uris(&[marked_account(), account()]);
    contents.extend(
        parts
            .iter()
            .map(|p| QrContent::Migration(otp::parse_migration_uri(p).unwrap())),
    );
    scan.take_in(contents).unwrap();
    assert_redacted("ScanStaging", &format!("{scan:?}"));

    let uri = otp::format_uri(&marked_account());
    let staged = StagedImport::new(Preview::new(
        transfer::import(uri.as_bytes(), None, None).unwrap(),
        &[],
    ));
    assert_redacted("StagedImport", &format!("{staged:?}"));
}

// ---------------------------------------------------------------------------
// Lock forgets the key

#[test]
fn a_locked_vault_has_forgotten_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.tessera");
    let password = SecretString::from(VAULT_PASSWORD);
    let mut vault =
        Vault::create(&path, &password, KdfParams::new(64, 2, 1).unwrap(), clock()).unwrap();
    let id = vault.insert(account(), Details::default()).unwrap();
    vault
        .add_backup_codes(id, vec![SecretString::from("hygiene-lock-code")])
        .unwrap();
    vault.lock();
    assert!(!vault.is_unlocked());
    let locked = |r: Result<(), VaultError>| assert!(matches!(r, Err(VaultError::Locked)), "{r:?}");
    locked(vault.entries().map(drop));
    locked(vault.get(id).map(drop));
    locked(vault.backup_codes(id).map(drop));
    locked(vault.servers().map(drop));
    locked(vault.next_hotp(id).map(drop));
    locked(vault.insert(account(), Details::default()).map(drop));
    locked(vault.use_backup_code(id, "hygiene-lock-code").map(drop));
    locked(vault.snapshot(dir.path().join("snap.tessera")));
    let debug = format!("{vault:?}");
    assert!(debug.contains("unlocked: false"), "{debug}");
    // Only the password brings it back.
    vault.unlock_with_password(&password).unwrap();
    assert_eq!(vault.get(id).unwrap().account, account());
}
