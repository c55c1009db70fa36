//! The password run through the password slot's Argon2id, apart from the
//! handle: [`Vault::password_slot_params`] takes the slot's public inputs
//! (salt and cost) from the handle at once, [`PasswordSlotParams::derive`]
//! runs the costly derivation without it, and the handle then unlocks or
//! checks with the result in a moment ([`Vault::unlock_with_password_key`],
//! [`Vault::verify_password_key`]). A window that keeps its vault behind a
//! lock holds that lock only for the quick parts, so codes keep coming
//! while a password is checked.
//!
//! Must never: keep the derived key beyond its value's life (it is wiped
//! on drop), or accept it for a password slot other than the one it was
//! derived for.

use subtle::ConstantTimeEq;

use super::Vault;
use super::envelope::EnvelopeKey;
use super::error::{Result, VaultError};
use super::kdf::{self, KdfParams};
use super::slots::SlotParams;
use crate::core::secret::SecretString;

/// What deriving a password slot's key needs: no secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordSlotParams {
    slot_id: String,
    kdf: KdfParams,
    salt: Vec<u8>,
}

impl PasswordSlotParams {
    /// The inputs of a new password slot: a new id and a fresh random salt,
    /// at the cost `kdf`.
    ///
    /// # Errors
    /// No randomness from the system.
    pub fn new_slot(kdf: KdfParams) -> Result<Self> {
        let mut salt = vec![0u8; kdf::SALT_LEN];
        super::envelope::fill_random(&mut salt).map_err(super::slots::map_seal)?;
        Ok(Self {
            slot_id: uuid::Uuid::new_v4().hyphenated().to_string(),
            kdf,
            salt,
        })
    }

    /// The Argon2id cost, to tell the user before an expensive derivation.
    pub fn kdf(&self) -> KdfParams {
        self.kdf
    }

    /// Runs Argon2id over `password` (the slow part, about half a second
    /// at the desktop cost).
    ///
    /// # Errors
    /// The derivation's (parameters out of bounds).
    pub fn derive(&self, password: &SecretString) -> Result<PasswordKey> {
        Ok(PasswordKey {
            slot_id: self.slot_id.clone(),
            kek: kdf::derive(password, &self.salt, &self.kdf)?,
            kdf: self.kdf,
            salt: self.salt.clone(),
        })
    }
}

/// A password derived for one password slot; whether it is the right
/// password is known only when a handle tries it.
pub struct PasswordKey {
    slot_id: String,
    kek: EnvelopeKey,
    kdf: KdfParams,
    salt: Vec<u8>,
}

impl PasswordKey {
    /// A new password slot `created_at`, wrapping `vault_key` under this
    /// key (for a key made from [`PasswordSlotParams::new_slot`]).
    pub(super) fn new_slot(
        &self,
        header: &super::slots::Header,
        vault_key: &EnvelopeKey,
        created_at: i64,
    ) -> Result<super::slots::Slot> {
        super::slots::Slot::new_password_derived(
            header,
            vault_key,
            &self.kek,
            self.slot_id.clone(),
            self.kdf,
            self.salt.clone(),
            created_at,
        )
    }
}

impl std::fmt::Debug for PasswordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordKey")
            .field("slot_id", &self.slot_id)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// The password slot's salt and cost, as the handle last read them.
    ///
    /// # Errors
    /// `Corrupt` when the vault has no password slot.
    pub fn password_slot_params(&self) -> Result<PasswordSlotParams> {
        let slot = self.password_slot()?;
        let SlotParams::Password { kdf, salt } = &slot.params else {
            return Err(VaultError::corrupt("slots", &slot.id));
        };
        Ok(PasswordSlotParams {
            slot_id: slot.id.clone(),
            kdf: *kdf,
            salt: salt.clone(),
        })
    }

    /// [`unlock_with_password`](Self::unlock_with_password) with the
    /// password already derived.
    ///
    /// # Errors
    /// `WrongPassword`; `Invalid` when the password slot changed since the
    /// key was derived (derive again); and as
    /// [`unlock_with_password`](Self::unlock_with_password).
    pub fn unlock_with_password_key(&mut self, key: &PasswordKey) -> Result<()> {
        self.lock();
        self.reload_header()?;
        let vault_key = self
            .open_password_slot(key)
            .inspect_err(|error| tracing::warn!(%error, "unlock with the password refused"))?;
        self.finish_unlock(vault_key)
    }

    /// [`verify_password`](Self::verify_password) with the password
    /// already derived.
    ///
    /// # Errors
    /// `WrongPassword`, or `Invalid` when the password slot changed since
    /// the key was derived.
    pub fn verify_password_key(&self, key: &PasswordKey) -> Result<()> {
        let vault_key = self.open_password_slot(key)?;
        if let Ok(unlocked) = self.unlocked()
            && !bool::from(vault_key.expose().ct_eq(unlocked.key.expose()))
        {
            return Err(VaultError::WrongPassword);
        }
        Ok(())
    }

    pub(super) fn open_password_slot(&self, key: &PasswordKey) -> Result<EnvelopeKey> {
        let slot = self.password_slot()?;
        if slot.id != key.slot_id {
            return Err(VaultError::invalid(
                "the vault's password was changed meanwhile; type it again",
            ));
        }
        slot.unwrap_key(&self.header, &key.kek)
            .map_err(|_| VaultError::WrongPassword)
    }
}
