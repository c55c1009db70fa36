//! Settings and what changes how the vault is unlocked: auto-lock,
//! clipboard timeout, theme, clock offset, password, keyring unlock, and
//! backups.

use tauri::State;

use crate::core::secret::SecretString;
use crate::core::settings::Settings;
use crate::core::vault::OsKeyring;
use crate::file_dialog::FileDialog;
use crate::ipc::dto::{SettingsView, VaultStatus};
use crate::ipc::error::IpcError;
use crate::ipc::state::AppState;

/// The longest clipboard timeout and auto-lock time the UI offers.
const MAX_CLIPBOARD_SECONDS: u32 = 600;
const MAX_AUTO_LOCK_MINUTES: u32 = 24 * 60;
/// A clock more than a day off is not a clock offset any more.
const MAX_OFFSET_MS: i32 = 86_400_000;

/// The current settings.
#[tauri::command]
#[specta::specta]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, IpcError> {
    Ok(SettingsView::from(&state.session()?.settings))
}

/// Saves the settings (they apply at once).
#[tauri::command]
#[specta::specta]
pub async fn save_settings(
    state: State<'_, AppState>,
    settings: SettingsView,
) -> Result<SettingsView, IpcError> {
    if settings.clipboard_clear_seconds > MAX_CLIPBOARD_SECONDS
        || settings.auto_lock_minutes > MAX_AUTO_LOCK_MINUTES
        || settings.clock_offset_ms.abs() > MAX_OFFSET_MS
    {
        return Err(IpcError::invalid(format!(
            "out of range: clipboard timeout up to {MAX_CLIPBOARD_SECONDS} s, auto-lock up to {MAX_AUTO_LOCK_MINUTES} min, clock offset up to ±{MAX_OFFSET_MS} ms"
        )));
    }
    let settings = Settings::from(&settings);
    if let Some(path) = &state.settings_path {
        settings.save(path)?;
    }
    let mut session = state.session()?;
    session.settings = settings;
    Ok(SettingsView::from(&session.settings))
}

/// Changes the vault password and rotates the vault key (every row is
/// sealed again; the Argon2id cost stays). Keyring unlock stays on when the
/// keyring answers; the status says whether it is still on.
#[tauri::command]
#[specta::specta]
pub async fn change_password(
    state: State<'_, AppState>,
    current: String,
    replacement: String,
) -> Result<VaultStatus, IpcError> {
    let (current, new) = (SecretString::new(current), SecretString::new(replacement));
    if new.expose().trim().is_empty() {
        return Err(IpcError::invalid("choose a new password that is not empty"));
    }
    state.with_vault(|vault, _| {
        vault.change_password(&current, &new, None, Some(&OsKeyring::default()))?;
        Ok(VaultStatus::of(vault))
    })
}

/// Turns keyring unlock on or off.
#[tauri::command]
#[specta::specta]
pub async fn set_keyring_unlock(
    state: State<'_, AppState>,
    enabled: bool,
) -> Result<VaultStatus, IpcError> {
    state.with_vault(|vault, _| {
        if enabled {
            vault.enable_keyring(&OsKeyring::default())?;
        } else {
            vault.disable_keyring(&OsKeyring::default())?;
        }
        Ok(VaultStatus::of(vault))
    })
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
    state.with_vault(|vault, _| Ok(vault.snapshot(&path)?))?;
    Ok(Some(path.display().to_string()))
}
