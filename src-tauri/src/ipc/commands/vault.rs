//! Creating, unlocking and locking the vault.

use tauri::State;

use crate::core::password_strength;
use crate::core::secret::SecretString;
use crate::core::vault::{KdfParams, OsKeyring, Vault};
use crate::ipc::dto::{PasswordStrengthView, VaultState, VaultStatus};
use crate::ipc::error::IpcError;
use crate::ipc::state::{AppState, vault_clock};

/// Whether a vault exists and is unlocked. Opening a damaged or newer
/// vault fails here with `corrupt` or `newer_format`.
#[tauri::command]
#[specta::specta]
pub async fn vault_status(state: State<'_, AppState>) -> Result<VaultStatus, IpcError> {
    if !state.vault_path.exists() && state.session()?.vault.is_none() {
        return Ok(VaultStatus {
            state: VaultState::Missing,
            keyring_enabled: false,
            vault_path: state.vault_path.display().to_string(),
        });
    }
    state.with_vault(|vault, _| Ok(VaultStatus::of(vault)))
}

/// How guessable `password` is, for the feedback under a new-password
/// field (first run and changing the password).
#[tauri::command]
#[specta::specta]
pub fn password_strength(password: String) -> PasswordStrengthView {
    let password = SecretString::new(password);
    password_strength::estimate(password.expose()).into()
}

/// Creates the vault with `password` (Argon2id calibrated for this
/// machine, about half a second per unlock) and leaves it unlocked.
#[tauri::command]
#[specta::specta]
pub async fn create_vault(
    state: State<'_, AppState>,
    password: String,
) -> Result<VaultStatus, IpcError> {
    let password = SecretString::new(password);
    if password.expose().trim().is_empty() {
        return Err(IpcError::invalid("choose a password that is not empty"));
    }
    if let Some(parent) = state.vault_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let vault = Vault::create(
        &state.vault_path,
        &password,
        KdfParams::desktop()?,
        vault_clock(),
    )?;
    let status = VaultStatus::of(&vault);
    state.session()?.vault = Some(vault);
    state.note_activity()?;
    Ok(status)
}

/// Unlocks with the password.
#[tauri::command]
#[specta::specta]
pub async fn unlock_with_password(
    state: State<'_, AppState>,
    password: String,
) -> Result<VaultStatus, IpcError> {
    let password = SecretString::new(password);
    state.note_activity()?;
    state.with_vault(|vault, _| {
        vault.unlock_with_password(&password)?;
        Ok(VaultStatus::of(vault))
    })
}

/// Unlocks with the key in the OS keyring (`keyring_unavailable` when it
/// cannot be used: the UI falls back to the password).
#[tauri::command]
#[specta::specta]
pub async fn unlock_with_keyring(state: State<'_, AppState>) -> Result<VaultStatus, IpcError> {
    state.note_activity()?;
    state.with_vault(|vault, _| {
        vault.unlock_with_keyring(&OsKeyring::default())?;
        Ok(VaultStatus::of(vault))
    })
}

/// Locks the vault now (wipes the key and every decrypted entry).
#[tauri::command]
#[specta::specta]
pub async fn lock_vault(state: State<'_, AppState>) -> Result<VaultStatus, IpcError> {
    let mut session = state.session()?;
    session.lock();
    Ok(match &session.vault {
        Some(vault) => VaultStatus::of(vault),
        None => VaultStatus {
            state: VaultState::Missing,
            keyring_enabled: false,
            vault_path: state.vault_path.display().to_string(),
        },
    })
}

/// The user did something: resets the auto-lock timer.
#[tauri::command]
#[specta::specta]
pub async fn note_activity(state: State<'_, AppState>) -> Result<(), IpcError> {
    state.note_activity()
}
