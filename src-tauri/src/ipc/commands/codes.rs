//! Codes: a batch for the rows on screen, the next HOTP code, and copying
//! a code to the clipboard (written by Rust, cleared after the settings'
//! timeout only if the clipboard still holds it).

use std::time::Duration;

use tauri::{AppHandle, Runtime, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use zeroize::Zeroizing;

use crate::core::session::{AppState, CodeView, Copied};
use crate::ipc::error::IpcError;

use super::parse_id;

/// The current and next codes of the accounts `ids` (the visible rows), in
/// one batch. Unknown ids are skipped; HOTP accounts show the code last
/// taken, or none.
#[tauri::command]
#[specta::specta]
pub async fn codes(
    state: State<'_, AppState>,
    ids: Vec<String>,
) -> Result<Vec<CodeView>, IpcError> {
    let ids: Vec<_> = ids.iter().filter_map(|id| parse_id(id).ok()).collect();
    Ok(state.codes(&ids)?)
}

/// Takes the next HOTP code: the counter advances in the vault, in one
/// transaction, before the code is shown.
#[tauri::command]
#[specta::specta]
pub async fn next_hotp_code(state: State<'_, AppState>, id: String) -> Result<CodeView, IpcError> {
    Ok(state.next_hotp_code(parse_id(&id)?)?)
}

/// Copies the account's current code (HOTP: the one shown, or the next) to
/// the clipboard, with the "sensitive content" hint clipboard managers
/// honour, and clears it after the clipboard timeout if it still holds it.
#[tauri::command]
#[specta::specta]
pub async fn copy_code<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> Result<Copied, IpcError> {
    let copy = state.code_to_copy(parse_id(&id)?)?;
    app.clipboard()
        .write_secret(copy.code.as_str())
        .map_err(|e| IpcError::internal(format!("could not write the clipboard: {e}")))?;
    let seconds = copy.clear_after_seconds;
    if seconds > 0 {
        let (app, ours) = (app.clone(), copy.code.clone());
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(Duration::from_secs(u64::from(seconds))).await;
            clear_if_ours(&app, &ours);
        });
    }
    Ok(Copied {
        code: copy.code.to_string(),
        clear_after_seconds: seconds,
    })
}

/// Empties the clipboard if it still holds `ours` (the user may have copied
/// something else since).
fn clear_if_ours<R: Runtime>(app: &AppHandle<R>, ours: &str) {
    let clipboard = app.clipboard();
    if clipboard
        .read_text()
        .is_ok_and(|text| Zeroizing::new(text).as_str() == ours)
    {
        // Best effort: nothing to tell the user if it fails.
        let _ = clipboard.clear();
    }
}
