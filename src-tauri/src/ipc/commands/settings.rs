//! Settings and what changes how the vault is unlocked: auto-lock,
//! clipboard timeout, theme, clock offset, password, keyring unlock, and
//! backups (`core::session::settings`, `core::session::vault`).

use tauri::{AppHandle, Runtime, State};

use crate::core::secret::SecretString;
use crate::core::session::{AppState, SettingsView, VaultStatus};
use crate::file_dialog::FileDialog;
use crate::ipc::error::IpcError;

use super::blocking;

/// The current settings.
#[tauri::command]
#[specta::specta]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, IpcError> {
    Ok(state.settings()?)
}

/// Saves the settings (they apply at once).
#[tauri::command]
#[specta::specta]
pub async fn save_settings(
    state: State<'_, AppState>,
    settings: SettingsView,
) -> Result<SettingsView, IpcError> {
    Ok(state.save_settings(&settings)?)
}

/// Changes the vault password and rotates the vault key (every row is
/// sealed again; the Argon2id cost stays). Keyring unlock stays on when the
/// keyring answers; the status says whether it is still on.
#[tauri::command]
#[specta::specta]
pub async fn change_password<R: Runtime>(
    app: AppHandle<R>,
    current: String,
    replacement: String,
) -> Result<VaultStatus, IpcError> {
    let (current, new) = (SecretString::new(current), SecretString::new(replacement));
    blocking(app, move |state| state.change_password(&current, &new)).await
}

/// Turns keyring unlock on or off.
#[tauri::command]
#[specta::specta]
pub async fn set_keyring_unlock(
    state: State<'_, AppState>,
    enabled: bool,
) -> Result<VaultStatus, IpcError> {
    Ok(state.set_keyring_unlock(enabled)?)
}

/// Writes a backup (an encrypted copy of the vault, opened with the same
/// password) to a file the user picks. `None` if they cancelled.
#[tauri::command]
#[specta::specta]
pub async fn backup_now(state: State<'_, AppState>) -> Result<Option<String>, IpcError> {
    let dialog = FileDialog::save("Save a backup of the vault", "tessera-backup.tessera")
        .filter("Tessera vault", &["tessera"]);
    let Some(path) = super::choose_file(dialog).await? else {
        return Ok(None);
    };
    state.backup(&path)?;
    Ok(Some(path.display().to_string()))
}
