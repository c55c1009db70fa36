//! Creating, unlocking and locking the vault, changing its password and
//! keyring unlock, and writing a backup of it. Passwords are run through
//! Argon2id without holding the session ([`AppState::derive_password`]).

use std::path::Path;

use crate::core::password_strength;
use crate::core::secret::SecretString;
use crate::core::vault::{KdfParams, OsKeyring, PasswordKey, PasswordSlotParams, Vault};

use super::views::{PasswordStrengthView, VaultState, VaultStatus};
use super::{AppState, Result, SessionError, vault_clock};

impl AppState {
    /// Whether a vault exists and is unlocked.
    ///
    /// # Errors
    /// Opening a damaged or newer vault: `Corrupt`, `NewerFormat`.
    pub fn vault_status(&self) -> Result<VaultStatus> {
        if !self.vault_path.exists() && self.session()?.vault.is_none() {
            return Ok(self.missing_vault());
        }
        self.with_vault(|vault, _| Ok(VaultStatus::of(vault)))
    }

    fn missing_vault(&self) -> VaultStatus {
        VaultStatus {
            state: VaultState::Missing,
            keyring_enabled: false,
            vault_path: self.vault_path.display().to_string(),
        }
    }

    /// Creates the vault with `password` (Argon2id calibrated for this
    /// machine, about half a second per unlock) and leaves it unlocked.
    ///
    /// # Errors
    /// `Invalid` for an empty password; the vault's (`AlreadyExists`, I/O).
    pub fn create_vault(&self, password: &SecretString) -> Result<VaultStatus> {
        if password.expose().trim().is_empty() {
            return Err(SessionError::invalid("choose a password that is not empty"));
        }
        if let Some(parent) = self.vault_path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let vault = Vault::create(
            &self.vault_path,
            password,
            KdfParams::desktop()?,
            vault_clock(),
        )?;
        let status = VaultStatus::of(&vault);
        self.session()?.vault = Some(vault);
        self.note_activity()?;
        Ok(status)
    }

    /// Runs `password` through the vault's password slot without holding
    /// the session, for an unlock or a check that follows in a moment.
    ///
    /// # Errors
    /// Opening the vault; a damaged password slot.
    pub fn derive_password(&self, password: &SecretString) -> Result<PasswordKey> {
        let params = self.with_vault(|vault, _| Ok(vault.password_slot_params()?))?;
        Ok(params.derive(password)?)
    }

    /// Checks `password` against the unlocked vault (for a reveal, an
    /// export, a new server host): the derivation runs without the session.
    ///
    /// # Errors
    /// `WrongPassword`; `Locked` (with `what`) when the vault is locked.
    pub fn check_password(
        &self,
        password: &SecretString,
        what: &'static str,
    ) -> Result<PasswordKey> {
        let key = self.derive_password(password)?;
        self.session()?.unlocked(what)?.verify_password_key(&key)?;
        Ok(key)
    }

    /// Unlocks with the password.
    ///
    /// # Errors
    /// `WrongPassword`, `Tampered`, `RowsChanged`, `Corrupt`.
    pub fn unlock_with_password(&self, password: &SecretString) -> Result<VaultStatus> {
        self.note_activity()?;
        let key = self.derive_password(password)?;
        self.with_vault(|vault, _| {
            vault.unlock_with_password_key(&key)?;
            Ok(VaultStatus::of(vault))
        })
    }

    /// Unlocks with the key in the OS keyring.
    ///
    /// # Errors
    /// `KeyringUnavailable` when it cannot be used (the window falls back
    /// to the password), `NoKeyringSlot`.
    pub fn unlock_with_keyring(&self) -> Result<VaultStatus> {
        self.note_activity()?;
        self.with_vault(|vault, _| {
            vault.unlock_with_keyring(&OsKeyring::default())?;
            Ok(VaultStatus::of(vault))
        })
    }

    /// Locks the vault now: wipes its key, every decrypted entry and what
    /// the session kept.
    ///
    /// # Errors
    /// As [`AppState::session`].
    pub fn lock_vault(&self) -> Result<VaultStatus> {
        let mut session = self.session()?;
        session.lock();
        Ok(session
            .vault
            .as_ref()
            .map_or_else(|| self.missing_vault(), VaultStatus::of))
    }

    /// Changes the vault password and rotates the vault key (every row is
    /// sealed again; the Argon2id cost stays). Keyring unlock stays on when
    /// the keyring answers; the status says whether it still is. Both
    /// passwords are derived without holding the session.
    ///
    /// # Errors
    /// `Invalid` for an empty new password; `WrongPassword`; the vault's.
    pub fn change_password(
        &self,
        current: &SecretString,
        new: &SecretString,
    ) -> Result<VaultStatus> {
        if new.expose().trim().is_empty() {
            return Err(SessionError::invalid(
                "choose a new password that is not empty",
            ));
        }
        let params = self.with_vault(|vault, _| Ok(vault.password_slot_params()?))?;
        let current = params.derive(current)?;
        let new = PasswordSlotParams::new_slot(params.kdf())?.derive(new)?;
        self.with_vault(|vault, _| {
            vault.change_password_with_keys(&current, &new, Some(&OsKeyring::default()))?;
            Ok(VaultStatus::of(vault))
        })
    }

    /// Turns keyring unlock on or off.
    ///
    /// # Errors
    /// `KeyringUnavailable`; `Locked`.
    pub fn set_keyring_unlock(&self, enabled: bool) -> Result<VaultStatus> {
        self.with_vault(|vault, _| {
            if enabled {
                vault.enable_keyring(&OsKeyring::default())?;
            } else {
                vault.disable_keyring(&OsKeyring::default())?;
            }
            Ok(VaultStatus::of(vault))
        })
    }

    /// Writes a backup (an encrypted copy of the vault, opened with the
    /// same password) to `dest`, which must not exist.
    ///
    /// # Errors
    /// `AlreadyExists`, I/O, `Locked`.
    pub fn backup(&self, dest: &Path) -> Result<()> {
        self.with_vault(|vault, _| Ok(vault.snapshot(dest)?))
    }
}

/// How guessable `password` is, for the feedback under a new-password
/// field (first run and changing the password).
pub fn password_strength(password: &SecretString) -> PasswordStrengthView {
    password_strength::estimate(password.expose()).into()
}
