//! The header row and the key slots: how the vault key is wrapped by each
//! key-encryption key, and the header check that authenticates the header
//! and every slot (`docs/vault-format.md` §5.2–§5.3).
//!
//! Owns: [`Header`], [`Slot`], [`SlotParams`], their associated data, and
//! making a password or keyring slot.
//!
//! Must never: touch `SQLite` (that is `db`), keep a key-encryption key
//! longer than the call that uses it, or tell a wrong password apart from a
//! damaged password slot (it cannot be done, and guessing would mislead).

use uuid::Uuid;

use super::envelope::{self, AssociatedData, EnvelopeError, EnvelopeKey, FORMAT_VERSION};
use super::error::{Result, VaultError};
use super::kdf::{self, KDF_NAME, KdfParams, SALT_LEN};
use super::manifest::RowDigest;
use crate::core::secret::SecretString;

/// The one header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub format_version: u8,
    pub vault_id: String,
    pub created_at: i64,
    pub check: Vec<u8>,
}

/// What a slot is made of, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotParams {
    /// Argon2id over the password.
    Password { kdf: KdfParams, salt: Vec<u8> },
    /// A random key in the OS keyring under `service`/`user`.
    Keyring { service: String, user: String },
}

impl SlotParams {
    /// `"password"` or `"keyring"`, as stored in `slots.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Password { .. } => "password",
            Self::Keyring { .. } => "keyring",
        }
    }
}

/// One slot row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub id: String,
    pub created_at: i64,
    pub params: SlotParams,
    pub wrapped_key: Vec<u8>,
}

impl Header {
    /// A new header for a new vault; the check is filled in by [`Header::seal_check`].
    pub fn new(created_at: i64) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            vault_id: Uuid::new_v4().hyphenated().to_string(),
            created_at,
            check: Vec::new(),
        }
    }

    /// Associated data of the header check: the header and every column of
    /// every slot, slots ordered by id.
    pub fn check_ad(&self, slots: &[Slot]) -> AssociatedData {
        let mut sorted: Vec<&Slot> = slots.iter().collect();
        sorted.sort_by(|a, b| a.id.as_bytes().cmp(b.id.as_bytes()));
        let count = u32::try_from(sorted.len()).unwrap_or(u32::MAX);
        let mut ad = AssociatedData::new("tessera-vault-header")
            .u8(self.format_version)
            .text(&self.vault_id)
            .be64(self.created_at)
            .be32(count);
        for slot in sorted {
            ad = ad
                .text(&slot.id)
                .text(slot.params.kind())
                .be64(slot.created_at);
            ad = match &slot.params {
                SlotParams::Password { kdf, salt } => ad
                    .text(KDF_NAME)
                    .be32(kdf.m_kib)
                    .be32(kdf.t)
                    .be32(kdf.p)
                    .bytes(salt),
                SlotParams::Keyring { service, user } => ad.text(service).text(user),
            };
            ad = ad.bytes(&slot.wrapped_key);
        }
        ad
    }

    /// Recomputes `header_check` for `slots` and the entry rows `rows`
    /// under the vault key.
    pub fn seal_check(
        &mut self,
        vault_key: &EnvelopeKey,
        slots: &[Slot],
        rows: RowDigest,
    ) -> Result<()> {
        self.check = envelope::seal(vault_key, &rows.to_check_plaintext(), &self.check_ad(slots))
            .map_err(map_seal)?;
        Ok(())
    }

    /// Verifies `header_check` and returns the row digest it seals (`None`
    /// for a file written before manifests): `Tampered` if the header or
    /// any slot changed.
    pub fn verify_check(
        &self,
        vault_key: &EnvelopeKey,
        slots: &[Slot],
    ) -> Result<Option<RowDigest>> {
        let plain = envelope::open(vault_key, &self.check, &self.check_ad(slots))
            .map_err(|_| VaultError::Tampered)?;
        RowDigest::from_check_plaintext(&plain)
    }
}

impl Slot {
    /// Associated data of this slot's wrapped key.
    pub fn ad(&self, header: &Header) -> AssociatedData {
        let ad = AssociatedData::new("tessera-vault-slot")
            .u8(header.format_version)
            .text(&header.vault_id)
            .text(&self.id)
            .text(self.params.kind());
        match &self.params {
            SlotParams::Password { kdf, salt } => ad
                .text(KDF_NAME)
                .be32(kdf.m_kib)
                .be32(kdf.t)
                .be32(kdf.p)
                .bytes(salt),
            SlotParams::Keyring { service, user } => ad.text(service).text(user),
        }
    }

    /// A new password slot wrapping `vault_key`. Costs one Argon2id run.
    pub fn new_password(
        header: &Header,
        vault_key: &EnvelopeKey,
        password: &SecretString,
        kdf: KdfParams,
        created_at: i64,
    ) -> Result<Self> {
        let mut salt = vec![0u8; SALT_LEN];
        envelope::fill_random(&mut salt).map_err(map_seal)?;
        let kek = kdf::derive(password, &salt, &kdf)?;
        let id = Uuid::new_v4().hyphenated().to_string();
        Self::new_password_derived(header, vault_key, &kek, id, kdf, salt, created_at)
    }

    /// A new password slot `id` wrapping `vault_key` under `kek`, the
    /// password already derived with `kdf` and `salt`.
    pub(super) fn new_password_derived(
        header: &Header,
        vault_key: &EnvelopeKey,
        kek: &EnvelopeKey,
        id: String,
        kdf: KdfParams,
        salt: Vec<u8>,
        created_at: i64,
    ) -> Result<Self> {
        Self::wrap(
            header,
            vault_key,
            kek,
            id,
            SlotParams::Password { kdf, salt },
            created_at,
        )
    }

    /// A new keyring slot `id` wrapping `vault_key` under `kek` (which the
    /// caller stores in the OS keyring as `service`/`user`).
    pub fn new_keyring(
        header: &Header,
        vault_key: &EnvelopeKey,
        kek: &EnvelopeKey,
        id: String,
        service: &str,
        user: &str,
        created_at: i64,
    ) -> Result<Self> {
        let params = SlotParams::Keyring {
            service: service.to_owned(),
            user: user.to_owned(),
        };
        Self::wrap(header, vault_key, kek, id, params, created_at)
    }

    fn wrap(
        header: &Header,
        vault_key: &EnvelopeKey,
        kek: &EnvelopeKey,
        id: String,
        params: SlotParams,
        created_at: i64,
    ) -> Result<Self> {
        let mut slot = Self {
            id,
            created_at,
            params,
            wrapped_key: Vec::new(),
        };
        slot.wrapped_key =
            envelope::seal(kek, vault_key.expose(), &slot.ad(header)).map_err(map_seal)?;
        Ok(slot)
    }

    /// Unwraps the vault key with `kek`.
    pub fn unwrap_key(
        &self,
        header: &Header,
        kek: &EnvelopeKey,
    ) -> Result<EnvelopeKey, EnvelopeError> {
        let plain = envelope::open(kek, &self.wrapped_key, &self.ad(header))?;
        EnvelopeKey::from_slice(&plain).ok_or(EnvelopeError::Authentication)
    }

    /// Unwraps the vault key of a password slot with `password` (the
    /// slot's own tests; handles go through `password_key`).
    ///
    /// `WrongPassword` if it does not open; `Invalid` if this is not a
    /// password slot.
    #[cfg(test)]
    pub fn unwrap_with_password(
        &self,
        header: &Header,
        password: &SecretString,
    ) -> Result<EnvelopeKey> {
        let SlotParams::Password { kdf, salt } = &self.params else {
            return Err(VaultError::invalid("not a password slot"));
        };
        let kek = kdf::derive(password, salt, kdf)?;
        self.unwrap_key(header, &kek)
            .map_err(|_| VaultError::WrongPassword)
    }

    pub fn is_password(&self) -> bool {
        matches!(self.params, SlotParams::Password { .. })
    }

    pub fn is_keyring(&self) -> bool {
        matches!(self.params, SlotParams::Keyring { .. })
    }
}

pub(crate) fn map_seal(err: EnvelopeError) -> VaultError {
    match err {
        EnvelopeError::Random => VaultError::Random,
        _ => VaultError::invalid("encryption failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> KdfParams {
        KdfParams::new(64, 2, 1).unwrap()
    }

    #[test]
    fn password_slot_round_trip_and_wrong_password() {
        let mut header = Header::new(1);
        let key = EnvelopeKey::random().unwrap();
        let pw = SecretString::from("pw");
        let slot = Slot::new_password(&header, &key, &pw, small(), 2).unwrap();
        let got = slot.unwrap_with_password(&header, &pw).unwrap();
        assert_eq!(got.expose(), key.expose());
        assert!(matches!(
            slot.unwrap_with_password(&header, &SecretString::from("px")),
            Err(VaultError::WrongPassword)
        ));
        header
            .seal_check(&key, std::slice::from_ref(&slot), RowDigest::ZEROS)
            .unwrap();
        header
            .verify_check(&key, std::slice::from_ref(&slot))
            .unwrap();
        let mut other = slot.clone();
        other.created_at += 1;
        assert!(matches!(
            header.verify_check(&key, &[other]),
            Err(VaultError::Tampered)
        ));
        assert!(matches!(
            header.verify_check(&key, &[]),
            Err(VaultError::Tampered)
        ));
    }

    #[test]
    fn slot_is_bound_to_vault_and_params() {
        let header = Header::new(1);
        let key = EnvelopeKey::random().unwrap();
        let pw = SecretString::from("pw");
        let slot = Slot::new_password(&header, &key, &pw, small(), 2).unwrap();
        let other_vault = Header {
            vault_id: Uuid::new_v4().to_string(),
            ..header.clone()
        };
        assert!(slot.unwrap_with_password(&other_vault, &pw).is_err());
        let mut other_id = slot.clone();
        other_id.id = Uuid::new_v4().to_string();
        assert!(other_id.unwrap_with_password(&header, &pw).is_err());

        let kek = EnvelopeKey::random().unwrap();
        let ring = Slot::new_keyring(
            &header,
            &key,
            &kek,
            Uuid::new_v4().to_string(),
            "tessera",
            "u",
            3,
        )
        .unwrap();
        assert_eq!(
            ring.unwrap_key(&header, &kek).unwrap().expose(),
            key.expose()
        );
        let mut moved = ring.clone();
        moved.params = SlotParams::Keyring {
            service: "tessera".into(),
            user: "v".into(),
        };
        assert!(moved.unwrap_key(&header, &kek).is_err());
    }
}
