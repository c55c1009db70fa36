//! Creating, unlocking and locking the vault (`core::session::vault`).

use tauri::{AppHandle, Runtime, State};

use crate::core::secret::SecretString;
use crate::core::session::{self, AppState, PasswordStrengthView, VaultStatus};
use crate::ipc::error::IpcError;

use super::blocking;

/// Whether a vault exists and is unlocked. Opening a damaged or newer
/// vault fails here with `corrupt` or `newer_format`.
#[tauri::command]
#[specta::specta]
pub async fn vault_status(state: State<'_, AppState>) -> Result<VaultStatus, IpcError> {
    Ok(state.vault_status()?)
}

/// How guessable `password` is, for the feedback under a new-password
/// field (first run and changing the password).
#[tauri::command]
#[specta::specta]
pub fn password_strength(password: String) -> PasswordStrengthView {
    session::vault::password_strength(&SecretString::new(password))
}

/// Creates the vault with `password` (Argon2id calibrated for this
/// machine, about half a second per unlock) and leaves it unlocked.
#[tauri::command]
#[specta::specta]
pub async fn create_vault<R: Runtime>(
    app: AppHandle<R>,
    password: String,
) -> Result<VaultStatus, IpcError> {
    let password = SecretString::new(password);
    blocking(app, move |state| state.create_vault(&password)).await
}

/// Unlocks with the password (its key derivation runs without holding the
/// session).
#[tauri::command]
#[specta::specta]
pub async fn unlock_with_password<R: Runtime>(
    app: AppHandle<R>,
    password: String,
) -> Result<VaultStatus, IpcError> {
    let password = SecretString::new(password);
    blocking(app, move |state| state.unlock_with_password(&password)).await
}

/// Unlocks with the key in the OS keyring (`keyring_unavailable` when it
/// cannot be used: the UI falls back to the password).
#[tauri::command]
#[specta::specta]
pub async fn unlock_with_keyring(state: State<'_, AppState>) -> Result<VaultStatus, IpcError> {
    Ok(state.unlock_with_keyring()?)
}

/// Locks the vault now (wipes the key and every decrypted entry).
#[tauri::command]
#[specta::specta]
pub async fn lock_vault(state: State<'_, AppState>) -> Result<VaultStatus, IpcError> {
    Ok(state.lock_vault()?)
}

/// The user did something: resets the auto-lock timer.
#[tauri::command]
#[specta::specta]
pub async fn note_activity(state: State<'_, AppState>) -> Result<(), IpcError> {
    Ok(state.note_activity()?)
}
