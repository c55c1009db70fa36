//! Adding accounts from QR codes (`core::session::scan`): a picture the
//! user picks or drops on the window, the screen, the clipboard or pasted
//! `otpauth://` text; and showing one account as a QR code for a phone.
//! What a scan finds waits in the session until the user confirms it; the
//! web view gets display fields and ids, never a secret.
//! [`show_account_qr`] is the one explicit reveal, behind the vault
//! password checked in Rust.

use tauri::{AppHandle, Manager, Runtime, State};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::core::secret::SecretString;
use crate::core::session::scan::ScanView;
use crate::core::session::{AccountSummary, AppState};
use crate::file_dialog::FileDialog;
use crate::ipc::error::IpcError;

use super::{blocking, parse_id};

/// How long the window stays hidden before the screen is captured.
const WINDOW_HIDE_SETTLE: std::time::Duration = std::time::Duration::from_millis(400);

/// Scans the bytes of a picture (dropped on the window) for QR codes.
#[tauri::command]
#[specta::specta]
pub async fn scan_image<R: Runtime>(
    app: AppHandle<R>,
    bytes: Vec<u8>,
) -> Result<ScanView, IpcError> {
    let bytes = Zeroizing::new(bytes);
    blocking(app, move |state| state.scan_picture(&bytes)).await
}

/// Asks for a picture in the native file dialog and scans it. `None` if
/// the user cancelled.
#[tauri::command]
#[specta::specta]
pub async fn scan_image_file<R: Runtime>(app: AppHandle<R>) -> Result<Option<ScanView>, IpcError> {
    app.state::<AppState>().ensure_unlocked_for_scan()?;
    let dialog = FileDialog::open("Open a picture of a QR code").filter(
        "Pictures",
        &["png", "jpg", "jpeg", "gif", "webp", "bmp", "svg", "svgz"],
    );
    let Some(path) = super::choose_file(dialog).await? else {
        return Ok(None);
    };
    blocking(app, move |state| state.scan_picture_file(&path))
        .await
        .map(Some)
}

/// Captures the screen (X11, or the desktop portal on Wayland) and scans
/// it. The window steps aside while the screen is captured, so a code
/// behind it is seen too.
#[tauri::command]
#[specta::specta]
pub async fn scan_screen<R: Runtime>(app: AppHandle<R>) -> Result<ScanView, IpcError> {
    app.state::<AppState>().ensure_unlocked_for_scan()?;
    let window = app
        .get_webview_window("main")
        .filter(|window| window.is_visible().unwrap_or(false));
    let hidden = window.as_ref().is_some_and(|window| window.hide().is_ok());
    if hidden {
        // What was behind the window needs a moment to be drawn again.
        tokio::time::sleep(WINDOW_HIDE_SETTLE).await;
    }
    let scanned = blocking(app, AppState::scan_screen).await;
    if let Some(window) = window.filter(|_| hidden) {
        // The window comes back even if the capture failed; a refusal to
        // show or focus leaves it where the window manager put it.
        let _ = window.show();
        let _ = window.set_focus();
    }
    scanned
}

/// Reads the clipboard: a copied picture is scanned for QR codes, copied
/// text for `otpauth://` and `otpauth-migration://` URIs.
#[tauri::command]
#[specta::specta]
pub async fn scan_clipboard<R: Runtime>(app: AppHandle<R>) -> Result<ScanView, IpcError> {
    blocking(app, AppState::scan_clipboard).await
}

/// Reads pasted text: each line that is an `otpauth://` or
/// `otpauth-migration://` URI (other lines are skipped).
#[tauri::command]
#[specta::specta]
pub async fn scan_text(state: State<'_, AppState>, text: String) -> Result<ScanView, IpcError> {
    Ok(state.scan_text(&SecretString::new(text))?)
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
    Ok(state.stage_opened_link()?)
}

/// What is waiting: accounts found and exports in progress.
#[tauri::command]
#[specta::specta]
pub async fn pending_scan(state: State<'_, AppState>) -> Result<ScanView, IpcError> {
    Ok(state.pending_scan()?)
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
    Ok(state.add_scanned(&ids, &tags)?)
}

/// Forgets every account found and every export part scanned.
#[tauri::command]
#[specta::specta]
pub async fn discard_scan(state: State<'_, AppState>) -> Result<ScanView, IpcError> {
    Ok(state.discard_scan()?)
}

/// The account as an SVG QR code for a phone to scan. This is an explicit
/// reveal: the picture holds the secret, so Rust checks the vault password
/// first (`wrong_password` otherwise): the page alone cannot ask for it.
#[tauri::command]
#[specta::specta]
pub async fn show_account_qr<R: Runtime>(
    app: AppHandle<R>,
    id: String,
    password: String,
) -> Result<String, IpcError> {
    let (id, password) = (parse_id(&id)?, SecretString::new(password));
    blocking(app, move |state| state.account_qr(id, &password)).await
}
