//! Adding accounts from QR codes: a picture the user picks or drops on the
//! window, the screen, the clipboard or pasted `otpauth://` text; and
//! showing one account as a QR code for a phone.
//!
//! What a scan finds waits in the session ([`ScanStaging`]) until the user
//! confirms it: the web view gets display fields and ids, never a secret.
//! The parts of a multi-part Google Authenticator export are collected
//! across scans ("2 of 4 scanned"); its accounts are offered once every
//! part is in.
//!
//! Must never: send a found account's secret to the web view, or keep
//! what was found once the vault locks (`Session::lock` clears it).
//! [`show_account_qr`] is the one explicit reveal: its SVG holds the
//! secret, and it needs the vault password, checked in Rust.

use tauri::{AppHandle, Manager, Runtime, State};
use uuid::Uuid;
use zeroize::Zeroizing;

use serde::Serialize;
use specta::Type;

use crate::core::intake::{self, Found, ScanStaging};
use crate::core::otp::{Account, OtpKind};
use crate::core::qr::{self, QrContent, QrError};
use crate::core::secret::SecretString;
use crate::core::user_file;
use crate::core::vault::{Details, Entry, Vault, VaultError};
use crate::file_dialog::FileDialog;
use crate::ipc::dto::{AccountSummary, AlgorithmName, KindName};
use crate::ipc::error::{IpcError, IpcErrorCode};
use crate::ipc::state::{AppState, Session};

use super::accounts::parse_id;

/// The largest picture accepted, in bytes (dropped or pasted, as from a file).
pub const MAX_PICTURE_BYTES: u64 = qr::PICTURE_LIMIT.bytes;

/// How long the window stays hidden before the screen is captured.
const WINDOW_HIDE_SETTLE: std::time::Duration = std::time::Duration::from_millis(400);

/// What one scan brought in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ScanNote {
    /// Accounts now ready to add (single codes, and every account of an
    /// export this scan completed).
    pub accounts: u32,
    /// New parts of exports that are still incomplete.
    pub parts: u32,
    /// Codes already scanned before (accounts or export parts), ignored.
    pub repeated: u32,
}

/// One account a scan found, as the confirmation list shows it: no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct FoundAccount {
    /// Which found account this is (for `add_scanned`); not a vault id.
    pub id: String,
    pub issuer: String,
    pub name: String,
    pub kind: KindName,
    pub algorithm: AlgorithmName,
    pub digits: u8,
    /// Seconds per code (TOTP, Steam).
    pub period: Option<u32>,
    /// The HOTP counter.
    pub counter: Option<u64>,
    /// Whether the vault already has an account with the same key material.
    pub in_vault: bool,
    /// The vault account it matches, as `Issuer: name`, when `in_vault`.
    pub matches: Option<String>,
}

/// A multi-part Google Authenticator export with parts still missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct MigrationProgress {
    /// Which export this is, from 1 in the order first scanned (to tell
    /// several apart; never the export's internal id).
    pub number: u32,
    pub scanned: u32,
    pub total: u32,
    /// The parts not scanned yet, numbered from 1.
    pub missing: Vec<u32>,
}

/// Everything scanned and not yet added, after a scan or on request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ScanView {
    /// Accounts ready to add, in the order they were found.
    pub found: Vec<FoundAccount>,
    /// Exports still incomplete, in the order first scanned.
    pub exports: Vec<MigrationProgress>,
    /// What the scan that produced this view brought in (`None` when the
    /// view was only asked for).
    pub last: Option<ScanNote>,
}

impl From<intake::ScanNote> for ScanNote {
    fn from(note: intake::ScanNote) -> Self {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            accounts: count(note.accounts),
            parts: count(note.parts),
            repeated: count(note.repeated),
        }
    }
}

/// What the web view shows of `staging`; `entries` are the vault's
/// accounts, to mark those it already has.
fn scan_view(staging: &ScanStaging, entries: &[Entry], last: Option<intake::ScanNote>) -> ScanView {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    ScanView {
        found: staging
            .found()
            .iter()
            .map(|found| found_account(found, entries))
            .collect(),
        exports: staging
            .incomplete_exports()
            .into_iter()
            .map(|progress| MigrationProgress {
                number: count(progress.number),
                scanned: count(progress.scanned),
                total: count(progress.total),
                missing: progress.missing.into_iter().map(count).collect(),
            })
            .collect(),
        last: last.map(ScanNote::from),
    }
}

/// `Issuer: name`, or whichever of the two there is.
fn label(account: &Account) -> String {
    match (account.issuer.is_empty(), account.name.is_empty()) {
        (false, false) => format!("{}: {}", account.issuer, account.name),
        (true, _) => account.name.clone(),
        (false, true) => account.issuer.clone(),
    }
}

fn found_account(found: &Found, entries: &[Entry]) -> FoundAccount {
    let account = &found.account;
    let matching = intake::matching_entry(account, entries);
    FoundAccount {
        id: found.id.hyphenated().to_string(),
        issuer: account.issuer.clone(),
        name: account.name.clone(),
        kind: match account.kind {
            OtpKind::Totp { .. } => KindName::Totp,
            OtpKind::Hotp { .. } => KindName::Hotp,
            OtpKind::Steam { .. } => KindName::Steam,
        },
        algorithm: account.algorithm.into(),
        digits: account.digits,
        period: account.period(),
        counter: account.counter(),
        in_vault: matching.is_some(),
        matches: matching.map(|entry| label(&entry.account)),
    }
}

/// The QR error as the web view sees it: the core's message (it never
/// holds the text of a code) with a code for its kind.
fn qr_failure(error: QrError) -> IpcError {
    let code = match error {
        QrError::InvalidOtpUri { .. } | QrError::InvalidMigration { .. } => {
            IpcErrorCode::InvalidUri
        }
        QrError::ScreenCapture { .. } | QrError::ClipboardUnavailable { .. } => IpcErrorCode::Io,
        _ => IpcErrorCode::Invalid,
    };
    IpcError::new(code, error.to_string())
}

/// The unlocked vault of a session and its pending scan (scans wait only
/// while the vault is unlocked).
fn unlocked(session: &mut Session) -> Result<(&mut Vault, &mut ScanStaging), IpcError> {
    let Session {
        vault,
        pending_scan,
        ..
    } = session;
    let vault = vault
        .as_mut()
        .filter(|vault| vault.is_unlocked())
        .ok_or_else(|| IpcError::from(VaultError::Locked))?;
    Ok((vault, pending_scan))
}

fn ensure_unlocked(state: &AppState) -> Result<(), IpcError> {
    unlocked(&mut *state.session()?).map(|_| ())
}

/// Puts a scan's contents into the session and returns the new view.
fn take_in(state: &AppState, contents: Vec<QrContent>) -> Result<ScanView, IpcError> {
    let mut session = state.session()?;
    let (vault, pending_scan) = unlocked(&mut session)?;
    let note = pending_scan.take_in(contents).map_err(qr_failure)?;
    Ok(scan_view(pending_scan, vault.entries()?, Some(note)))
}

/// Runs blocking work (decoding, screen capture, the clipboard, the
/// D-Bus portal) off the async runtime.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, QrError> + Send + 'static,
) -> Result<T, IpcError> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|_| IpcError::internal("the scan stopped unexpectedly"))?
        .map_err(qr_failure)
}

fn check_size(length: usize) -> Result<(), IpcError> {
    if length as u64 > MAX_PICTURE_BYTES {
        return Err(IpcError::invalid(format!(
            "the picture is too large ({} MB; at most {} MB)",
            length.div_ceil(1024 * 1024),
            MAX_PICTURE_BYTES / (1024 * 1024)
        )));
    }
    Ok(())
}

/// Scans the bytes of a picture (dropped on the window) for QR codes.
#[tauri::command]
#[specta::specta]
pub async fn scan_image(state: State<'_, AppState>, bytes: Vec<u8>) -> Result<ScanView, IpcError> {
    let bytes = Zeroizing::new(bytes);
    ensure_unlocked(&state)?;
    check_size(bytes.len())?;
    let contents = blocking(move || qr::scan(&bytes)).await?;
    take_in(&state, contents)
}

/// Asks for a picture in the native file dialog and scans it. `None` if
/// the user cancelled.
#[tauri::command]
#[specta::specta]
pub async fn scan_image_file(state: State<'_, AppState>) -> Result<Option<ScanView>, IpcError> {
    ensure_unlocked(&state)?;
    let dialog = FileDialog::open("Open a picture of a QR code").filter(
        "Pictures",
        &["png", "jpg", "jpeg", "gif", "webp", "bmp", "svg", "svgz"],
    );
    let Some(path) = super::choose_file(dialog).await? else {
        return Ok(None);
    };
    let bytes = user_file::read(&path, qr::PICTURE_LIMIT)?;
    let contents = blocking(move || qr::scan(&bytes)).await?;
    take_in(&state, contents).map(Some)
}

/// Captures the screen (X11, or the desktop portal on Wayland) and scans
/// it. The window steps aside while the screen is captured, so a code
/// behind it is seen too.
#[tauri::command]
#[specta::specta]
pub async fn scan_screen<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<ScanView, IpcError> {
    ensure_unlocked(&state)?;
    let window = app
        .get_webview_window("main")
        .filter(|window| window.is_visible().unwrap_or(false));
    let hidden = window.as_ref().is_some_and(|window| window.hide().is_ok());
    if hidden {
        // What was behind the window needs a moment to be drawn again.
        tokio::time::sleep(WINDOW_HIDE_SETTLE).await;
    }
    let captured = blocking(|| {
        let texts = Zeroizing::new(qr::scan_screen()?);
        if texts.is_empty() {
            return Err(QrError::NoQrFound);
        }
        qr::classify_all(&texts)
    })
    .await;
    if let Some(window) = window.filter(|_| hidden) {
        // The window comes back even if the capture failed; a refusal to
        // show or focus leaves it where the window manager put it.
        let _ = window.show();
        let _ = window.set_focus();
    }
    take_in(&state, captured?)
}

/// Reads the clipboard: a copied picture is scanned for QR codes, copied
/// text for `otpauth://` and `otpauth-migration://` URIs.
#[tauri::command]
#[specta::specta]
pub async fn scan_clipboard(state: State<'_, AppState>) -> Result<ScanView, IpcError> {
    ensure_unlocked(&state)?;
    let contents = blocking(qr::scan_clipboard).await?;
    take_in(&state, contents)
}

/// Reads pasted text: each line that is an `otpauth://` or
/// `otpauth-migration://` URI (other lines are skipped).
#[tauri::command]
#[specta::specta]
pub async fn scan_text(state: State<'_, AppState>, text: String) -> Result<ScanView, IpcError> {
    let text = SecretString::new(text);
    ensure_unlocked(&state)?;
    let lines: Zeroizing<Vec<String>> = Zeroizing::new(
        text.expose()
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect(),
    );
    let contents = qr::classify_all(&lines).map_err(text_failure)?;
    take_in(&state, contents)
}

/// A pasted text's error, about the text rather than a QR code.
fn text_failure(error: QrError) -> IpcError {
    match error {
        QrError::NoOtpData => {
            IpcError::invalid("the text holds no otpauth:// or otpauth-migration:// URI")
        }
        QrError::InvalidOtpUri { source } => IpcError::from(source),
        QrError::InvalidMigration { source } => IpcError::new(
            IpcErrorCode::InvalidUri,
            format!("invalid Google Authenticator export: {source}"),
        ),
        other => qr_failure(other),
    }
}

/// Stages the link the desktop asked Tessera to open (`tessera
/// otpauth://…`, a click on such a link), when one waits and the vault is
/// unlocked: its accounts wait for the user's confirmation like a scan's.
/// `None` when no link waits, or the vault is locked (the link waits for
/// the unlock). A link that holds no valid account is dropped with the
/// reason.
#[tauri::command]
#[specta::specta]
pub async fn take_opened_link(state: State<'_, AppState>) -> Result<Option<ScanView>, IpcError> {
    stage_opened_link(&state)
}

fn stage_opened_link(state: &AppState) -> Result<Option<ScanView>, IpcError> {
    let unlocked = state
        .session()?
        .vault
        .as_ref()
        .is_some_and(crate::core::vault::Vault::is_unlocked);
    if !unlocked {
        return Ok(None);
    }
    let Some(link) = state.take_link() else {
        return Ok(None);
    };
    let text = Zeroizing::new(vec![link.expose().to_owned()]);
    let contents = qr::classify_all(&text).map_err(text_failure)?;
    take_in(state, contents).map(Some)
}

/// What is waiting: accounts found and exports in progress.
#[tauri::command]
#[specta::specta]
pub async fn pending_scan(state: State<'_, AppState>) -> Result<ScanView, IpcError> {
    let mut session = state.session()?;
    let Session {
        vault,
        pending_scan,
        ..
    } = &mut *session;
    let entries = match vault.as_ref().filter(|vault| vault.is_unlocked()) {
        Some(vault) => vault.entries()?,
        None => &[],
    };
    Ok(scan_view(pending_scan, entries, None))
}

/// Adds the found accounts with these ids (in one transaction) and ends
/// the confirmation: the accounts not chosen are forgotten; exports still
/// incomplete keep their parts.
#[tauri::command]
#[specta::specta]
pub async fn add_scanned(
    state: State<'_, AppState>,
    ids: Vec<String>,
    tags: Vec<String>,
) -> Result<Vec<AccountSummary>, IpcError> {
    let ids: Vec<Uuid> = ids
        .iter()
        .map(|id| parse_id(id))
        .collect::<Result<_, _>>()?;
    let mut session = state.session()?;
    let (vault, pending_scan) = unlocked(&mut session)?;
    let accounts = pending_scan
        .selected(&ids)
        .map_err(|error| IpcError::new(IpcErrorCode::NotFound, error.to_string()))?;
    let items = accounts.into_iter().map(|account| {
        let details = Details {
            tags: tags.clone(),
            ..Details::default()
        };
        (account, details)
    });
    let new_ids = vault.insert_many(items)?;
    pending_scan.finish_confirmation();
    new_ids
        .into_iter()
        .map(|id| Ok(AccountSummary::from(vault.get(id)?)))
        .collect()
}

/// Forgets every account found and every export part scanned.
#[tauri::command]
#[specta::specta]
pub async fn discard_scan(state: State<'_, AppState>) -> Result<ScanView, IpcError> {
    let mut session = state.session()?;
    session.pending_scan.clear();
    Ok(scan_view(&session.pending_scan, &[], None))
}

/// The account as an SVG QR code for a phone to scan. This is an explicit
/// reveal: the picture holds the secret, so Rust checks the vault password
/// first (`wrong_password` otherwise): the page alone cannot ask for it.
#[tauri::command]
#[specta::specta]
pub async fn show_account_qr(
    state: State<'_, AppState>,
    id: String,
    password: String,
) -> Result<String, IpcError> {
    let id = parse_id(&id)?;
    let password = SecretString::new(password);
    let mut session = state.session()?;
    let (vault, _) = unlocked(&mut session)?;
    qr::account_svg(vault.reveal_account(id, &password)?).map_err(qr_failure)
}

#[cfg(test)]
mod tests {
    use super::{scan_view, stage_opened_link, take_in, text_failure};
    use crate::core::intake::test_scans::account;
    use crate::core::qr::{QrContent, QrError};
    use crate::core::settings::Settings;
    use crate::core::vault::{KdfParams, Vault};
    use crate::ipc::dto::KindName;
    use crate::ipc::error::IpcErrorCode;
    use crate::ipc::state::{AppState, vault_clock};

    /// Part `index` of a `size`-part export, holding one account of its own.
    fn part(index: i32, size: i32) -> QrContent {
        let seed = u8::try_from(index).unwrap() + 100;
        crate::core::intake::test_scans::part(
            index,
            size,
            vec![account(&format!("part{}", index + 1), seed)],
        )
    }

    fn unlocked_state() -> (tempfile::TempDir, AppState) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scan.tessera");
        let password = crate::core::secret::SecretString::from("pw");
        let kdf = KdfParams::new(8 * 1024, 2, 1).unwrap();
        drop(Vault::create(&path, &password, kdf, vault_clock()).unwrap());
        let state = AppState::with_settings(path, None, Settings::default());
        state
            .with_vault(|vault, _| Ok(vault.unlock_with_password(&password)?))
            .unwrap();
        (dir, state)
    }

    #[test]
    fn an_opened_link_waits_for_the_unlock_then_stages_its_account_for_confirmation() {
        use crate::core::link::AccountLink;
        let (_dir, state) = unlocked_state();
        let text =
            "otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example";
        assert!(
            stage_opened_link(&state).unwrap().is_none(),
            "no link waits"
        );

        state
            .with_vault(|vault, _| {
                vault.lock();
                Ok(())
            })
            .unwrap();
        state.hold_link(AccountLink::parse(text).unwrap());
        assert!(
            stage_opened_link(&state).unwrap().is_none(),
            "locked: the link waits"
        );
        state
            .with_vault(|vault, _| Ok(vault.unlock_with_password(&"pw".into())?))
            .unwrap();
        let view = stage_opened_link(&state)
            .unwrap()
            .expect("the link is staged");
        assert_eq!(view.found.len(), 1);
        assert_eq!(view.found[0].issuer, "Example");
        assert_eq!(view.found[0].name, "alice@example.com");
        assert!(!serde_json::to_string(&view).unwrap().contains("JBSWY3DP"));
        let entries = state
            .with_vault(|vault, _| Ok(vault.entries()?.len()))
            .unwrap();
        assert_eq!(entries, 0, "nothing is added before the confirmation");
        assert!(stage_opened_link(&state).unwrap().is_none(), "taken once");

        state.hold_link(AccountLink::parse("otpauth://totp/x?issuer=NoSecret").unwrap());
        let error = stage_opened_link(&state).unwrap_err();
        assert!(error.message.contains("secret"), "{}", error.message);
        assert!(
            stage_opened_link(&state).unwrap().is_none(),
            "a bad link is dropped"
        );
    }

    #[test]
    fn the_view_lists_found_accounts_and_exports_in_progress_without_a_secret() {
        let (_dir, state) = unlocked_state();
        let view = take_in(
            &state,
            vec![QrContent::Account(account("a", 1)), part(1, 3)],
        )
        .unwrap();
        let names: Vec<&str> = view.found.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "part2"]);
        assert_eq!(view.found[0].kind, KindName::Totp);
        assert_eq!(view.found[0].period, Some(30));
        let export = &view.exports[0];
        assert_eq!((export.number, export.scanned, export.total), (1, 1, 3));
        assert_eq!(export.missing, [1, 3]);
        let last = view.last.unwrap();
        assert_eq!((last.accounts, last.parts, last.repeated), (2, 1, 0));
        let json = serde_json::to_string(&view).unwrap();
        // The secret of "a" is ten 0x01 bytes: AEAQCAIBAEAQCAIB in base32.
        assert!(!json.contains("AEAQCAIB"), "{json}");
        assert!(!json.contains("secret"), "{json}");
        assert!(!json.contains("batch"), "no internal export id: {json}");
    }

    #[test]
    fn locking_wipes_what_was_scanned_and_scans_need_an_unlocked_vault() {
        let (_dir, state) = unlocked_state();
        let view = take_in(
            &state,
            vec![QrContent::Account(account("a", 1)), part(0, 2)],
        )
        .unwrap();
        assert_eq!((view.found.len(), view.exports.len()), (2, 1));
        state.session().unwrap().lock();
        let session = state.session().unwrap();
        let view = scan_view(&session.pending_scan, &[], None);
        assert!(view.found.is_empty() && view.exports.is_empty());
        drop(session);
        let error = take_in(&state, vec![QrContent::Account(account("b", 2))]).unwrap_err();
        assert_eq!(error.code, IpcErrorCode::Locked);
    }

    #[test]
    fn found_accounts_the_vault_has_are_marked_with_the_account_they_match() {
        let (_dir, state) = unlocked_state();
        state
            .with_vault(|vault, _| {
                Ok(vault.insert(account("old", 3), crate::core::vault::Details::default())?)
            })
            .unwrap();
        let view = take_in(
            &state,
            vec![
                QrContent::Account(account("again", 3)),
                QrContent::Account(account("new", 4)),
            ],
        )
        .unwrap();
        let marks: Vec<(bool, Option<&str>)> = view
            .found
            .iter()
            .map(|f| (f.in_vault, f.matches.as_deref()))
            .collect();
        assert_eq!(marks, [(true, Some("Issuer: old")), (false, None)]);
    }

    #[test]
    fn pasted_text_errors_speak_of_the_text() {
        let error = text_failure(QrError::NoOtpData);
        assert_eq!(error.code, IpcErrorCode::Invalid);
        assert_eq!(
            error.message,
            "the text holds no otpauth:// or otpauth-migration:// URI"
        );
        let error = text_failure(QrError::InvalidOtpUri {
            source: crate::core::otp::OtpError::MissingSecret,
        });
        assert_eq!(error.code, IpcErrorCode::InvalidUri);
        assert!(!error.message.contains("QR"), "{}", error.message);
    }
}
