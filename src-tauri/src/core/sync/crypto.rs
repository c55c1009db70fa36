//! The sync's keys (`docs/sync-format.md` §4, §5, §9): a device's X25519
//! key pair, the wrap of a group key for one member, HKDF-SHA256, and
//! the digest that chains a device's segments. Sealing itself is the
//! vault's envelope (XChaCha20-Poly1305, a fresh nonce each time).
//!
//! Owns: [`DeviceKey`], [`wrap_for`], [`unwrap_with`], [`hkdf`], [`digest`].
//!
//! Must never: keep a shared secret or derived key past the call that
//! uses it, accept an all-zero X25519 result, or print key bytes.

use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use super::error::{Result, SyncError};
use crate::core::vault::envelope::{self, AssociatedData, EnvelopeKey, fill_random};

/// A device's X25519 key pair; the secret is wiped on drop.
pub struct DeviceKey {
    secret: StaticSecret,
    public: [u8; 32],
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceKey(<redacted>)")
    }
}

impl DeviceKey {
    /// A new random key pair.
    pub fn random() -> Result<Self> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        fill_random(bytes.as_mut_slice()).map_err(|_| random_failed())?;
        Ok(Self::from_secret(&bytes))
    }

    /// The key pair of the 32 secret bytes `secret`.
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        let secret = StaticSecret::from(*secret);
        let public = PublicKey::from(&secret).to_bytes();
        Self { secret, public }
    }

    pub fn public(&self) -> [u8; 32] {
        self.public
    }

    /// The secret bytes, to keep sealed in the vault.
    pub fn secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.secret.to_bytes())
    }
}

fn random_failed() -> SyncError {
    SyncError::invalid("the system random number generator failed")
}

/// A fresh random group key.
pub fn random_key() -> Result<EnvelopeKey> {
    EnvelopeKey::random().map_err(|_| random_failed())
}

/// `n` random bytes.
pub fn random_bytes<const N: usize>() -> Result<Zeroizing<[u8; N]>> {
    let mut bytes = Zeroizing::new([0u8; N]);
    fill_random(bytes.as_mut_slice()).map_err(|_| random_failed())?;
    Ok(bytes)
}

/// HKDF-SHA256 of `ikm` with `salt` and `info`, 32 bytes, as a key.
pub fn hkdf(ikm: &[u8], salt: &[u8], info: &[u8]) -> EnvelopeKey {
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's limit of 8160.
    let _ = Hkdf::<Sha256>::new(Some(salt), ikm).expand(info, okm.as_mut_slice());
    EnvelopeKey::from_array(&okm)
}

/// SHA-256.
pub fn digest(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn wrap_ad(group: Uuid, epoch: u32, device: Uuid) -> AssociatedData {
    AssociatedData::new("tessera-sync-wrap")
        .bytes(group.as_bytes())
        .be32(epoch)
        .bytes(device.as_bytes())
}

fn wrap_kek(
    shared: &[u8; 32],
    eph: &[u8; 32],
    member: &[u8; 32],
    group: Uuid,
    epoch: u32,
    device: Uuid,
) -> EnvelopeKey {
    let mut salt = Vec::with_capacity(64);
    salt.extend_from_slice(eph);
    salt.extend_from_slice(member);
    let mut info = b"tessera-sync-wrap".to_vec();
    info.extend_from_slice(group.as_bytes());
    info.extend_from_slice(&epoch.to_be_bytes());
    info.extend_from_slice(device.as_bytes());
    hkdf(shared, &salt, &info)
}

/// Wraps `key` (the group key of `epoch`) for member `device` whose public
/// key is `member`: returns the ephemeral public key and the wrap.
pub fn wrap_for(
    key: &EnvelopeKey,
    group: Uuid,
    epoch: u32,
    device: Uuid,
    member: &[u8; 32],
) -> Result<([u8; 32], Vec<u8>)> {
    let ephemeral = DeviceKey::random()?;
    let shared = ephemeral.secret.diffie_hellman(&PublicKey::from(*member));
    if !shared.was_contributory() {
        return Err(SyncError::invalid("a member's public key is not usable"));
    }
    let kek = wrap_kek(
        shared.as_bytes(),
        &ephemeral.public,
        member,
        group,
        epoch,
        device,
    );
    let wrap = envelope::seal(&kek, key.expose(), &wrap_ad(group, epoch, device))
        .map_err(|_| random_failed())?;
    Ok((ephemeral.public, wrap))
}

/// Opens the wrap made by [`wrap_for`] for this device; `None` if it does
/// not open.
pub fn unwrap_with(
    own: &DeviceKey,
    group: Uuid,
    epoch: u32,
    device: Uuid,
    ephemeral: &[u8; 32],
    wrap: &[u8],
) -> Option<EnvelopeKey> {
    let shared = own.secret.diffie_hellman(&PublicKey::from(*ephemeral));
    if !shared.was_contributory() {
        return None;
    }
    let kek = wrap_kek(
        shared.as_bytes(),
        ephemeral,
        &own.public,
        group,
        epoch,
        device,
    );
    let plain = envelope::open(&kek, wrap, &wrap_ad(group, epoch, device)).ok()?;
    EnvelopeKey::from_slice(&plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrap_opens_for_its_member_only() {
        let key = random_key().unwrap();
        let member = DeviceKey::random().unwrap();
        let other = DeviceKey::random().unwrap();
        let (group, device) = (Uuid::new_v4(), Uuid::new_v4());
        let (eph, wrap) = wrap_for(&key, group, 3, device, &member.public()).unwrap();
        let opened = unwrap_with(&member, group, 3, device, &eph, &wrap).unwrap();
        assert_eq!(opened.expose(), key.expose());
        assert!(unwrap_with(&other, group, 3, device, &eph, &wrap).is_none());
        assert!(unwrap_with(&member, group, 4, device, &eph, &wrap).is_none());
        assert!(unwrap_with(&member, group, 3, Uuid::new_v4(), &eph, &wrap).is_none());
        assert!(unwrap_with(&member, group, 3, device, &[0; 32], &wrap).is_none());
        assert!(
            wrap_for(&key, group, 3, device, &[0; 32]).is_err(),
            "all-zero shared secret"
        );
    }

    #[test]
    fn device_keys_round_trip_and_never_print() {
        let key = DeviceKey::random().unwrap();
        let again = DeviceKey::from_secret(&key.secret_bytes());
        assert_eq!(again.public(), key.public());
        assert_eq!(format!("{key:?}"), "DeviceKey(<redacted>)");
    }

    #[test]
    fn hkdf_depends_on_every_input() {
        let base = hkdf(b"ikm", b"salt", b"info");
        for other in [
            hkdf(b"ikm2", b"salt", b"info"),
            hkdf(b"ikm", b"salt2", b"info"),
            hkdf(b"ikm", b"salt", b"info2"),
        ] {
            assert_ne!(other.expose(), base.expose());
        }
    }
}
