//! Codes: a batch for the rows on screen, the next HOTP code, and copying
//! a code to the clipboard (written by Rust, cleared after the settings'
//! timeout only if the clipboard still holds it).

use std::time::Duration;

use tauri::{AppHandle, Runtime, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use zeroize::Zeroizing;

use crate::core::clock::Clock;
use crate::core::otp::{self, OtpKind};
use crate::ipc::commands::accounts::parse_id;
use crate::ipc::dto::{CodeView, Copied};
use crate::ipc::error::IpcError;
use crate::ipc::state::AppState;

/// The current and next codes of the accounts `ids` (the visible rows), in
/// one batch. Unknown ids are skipped; HOTP accounts show the code last
/// taken, or none.
#[tauri::command]
#[specta::specta]
pub async fn codes(
    state: State<'_, AppState>,
    ids: Vec<String>,
) -> Result<Vec<CodeView>, IpcError> {
    let session = state.session()?;
    let vault = session
        .vault
        .as_ref()
        .ok_or_else(|| IpcError::from(crate::core::vault::VaultError::Locked))?;
    vault.entries()?;
    let now = session.settings.code_clock().now();
    let mut views = Vec::with_capacity(ids.len());
    for text in ids {
        let Ok(id) = parse_id(&text) else { continue };
        let Ok(entry) = vault.get(id) else { continue };
        if matches!(entry.account.kind, OtpKind::Hotp { .. }) {
            let mut view = CodeView::hidden(text);
            view.current = session.hotp_shown.get(&id).map(|code| code.to_string());
            views.push(view);
        } else {
            views.push(CodeView::of(
                text,
                &entry.account,
                otp::generate(&entry.account, now)?,
            ));
        }
    }
    Ok(views)
}

/// Takes the next HOTP code: the counter advances in the vault, in one
/// transaction, before the code is shown.
#[tauri::command]
#[specta::specta]
pub async fn next_hotp_code(state: State<'_, AppState>, id: String) -> Result<CodeView, IpcError> {
    let uuid = parse_id(&id)?;
    let mut session = state.session()?;
    let now = session.settings.code_clock().now();
    let vault = session
        .vault
        .as_mut()
        .ok_or_else(|| IpcError::from(crate::core::vault::VaultError::Locked))?;
    let account = vault.next_hotp(uuid)?;
    let code = otp::generate(&account, now)?;
    session
        .hotp_shown
        .insert(uuid, Zeroizing::new(code.current.clone()));
    Ok(CodeView::of(id, &account, code))
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
    let uuid = parse_id(&id)?;
    let (code, seconds) = {
        let mut session = state.session()?;
        let now = session.settings.code_clock().now();
        let seconds = session.settings.clipboard_clear_seconds;
        let shown = session.hotp_shown.get(&uuid).cloned();
        let vault = session
            .vault
            .as_mut()
            .ok_or_else(|| IpcError::from(crate::core::vault::VaultError::Locked))?;
        let code = match (vault.get(uuid)?.account.kind, shown) {
            (OtpKind::Hotp { .. }, Some(shown)) => shown,
            (OtpKind::Hotp { .. }, None) => {
                let code = Zeroizing::new(otp::generate(&vault.next_hotp(uuid)?, now)?.current);
                session.hotp_shown.insert(uuid, code.clone());
                code
            }
            _ => {
                vault.mark_used(uuid)?;
                Zeroizing::new(otp::generate(&vault.get(uuid)?.account, now)?.current)
            }
        };
        (code, seconds)
    };
    app.clipboard()
        .write_secret(code.as_str())
        .map_err(|e| IpcError::internal(format!("could not write the clipboard: {e}")))?;
    if seconds > 0 {
        let (app, ours) = (app.clone(), code.clone());
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(Duration::from_secs(u64::from(seconds))).await;
            clear_if_ours(&app, &ours);
        });
    }
    Ok(Copied {
        code: code.to_string(),
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
