//! The envelope around every encrypted value in the vault file, and the
//! associated-data encoding that binds it to its place (see
//! `docs/vault-format.md` §3–§4).
//!
//! Layout: magic `TSRA` (4) | format version (1) | nonce (24) |
//! XChaCha20-Poly1305 ciphertext + tag (n + 16).
//!
//! Owns: [`EnvelopeKey`] (a 32-byte key that lives on the heap and is wiped
//! on drop), [`seal`], [`open`], [`AssociatedData`].
//!
//! Must never: reuse a nonce (every [`seal`] draws a fresh one), return
//! plaintext whose tag did not verify, panic on any input, or put key or
//! plaintext bytes in an error.

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{Tag, XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

/// The four bytes every envelope starts with (ASCII `TSRA`).
pub const MAGIC: [u8; 4] = *b"TSRA";
/// The cryptographic format version written in every envelope and header.
pub const FORMAT_VERSION: u8 = 1;
/// Bytes of key.
pub const KEY_LEN: usize = 32;
/// Bytes of nonce.
pub const NONCE_LEN: usize = 24;
/// Bytes of Poly1305 tag.
pub const TAG_LEN: usize = 16;
/// Bytes before the ciphertext: magic, version, nonce.
pub const HEADER_LEN: usize = MAGIC.len() + 1 + NONCE_LEN;
/// Envelope length minus plaintext length.
pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;

/// Why an envelope could not be opened (or sealed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// Shorter than the fixed overhead.
    #[error("envelope too short")]
    TooShort,
    /// Does not start with `TSRA`.
    #[error("not an envelope (bad magic)")]
    BadMagic,
    /// A version byte this program does not know.
    #[error("unsupported envelope version {0}")]
    UnsupportedVersion(u8),
    /// The tag did not verify: wrong key, wrong associated data, or altered bytes.
    #[error("envelope authentication failed")]
    Authentication,
    /// The system random number generator failed.
    #[error("random number generator failed")]
    Random,
}

/// A 32-byte symmetric key (the vault key, or a key-encryption key),
/// boxed so moves never copy it, and wiped on drop.
pub struct EnvelopeKey(Box<Zeroizing<[u8; KEY_LEN]>>);

impl EnvelopeKey {
    /// A fresh key from the operating system's CSPRNG.
    pub fn random() -> Result<Self, EnvelopeError> {
        let mut key = Self::zeroed();
        fill_random(key.0.as_mut_slice())?;
        Ok(key)
    }

    /// A key copied from exactly [`KEY_LEN`] bytes; `None` for any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != KEY_LEN {
            return None;
        }
        let mut key = Self::zeroed();
        key.0.copy_from_slice(bytes);
        Some(key)
    }

    /// A key copied from exactly [`KEY_LEN`] bytes.
    pub fn from_array(bytes: &[u8; KEY_LEN]) -> Self {
        let mut key = Self::zeroed();
        key.0.copy_from_slice(bytes);
        key
    }

    fn zeroed() -> Self {
        Self(Box::new(Zeroizing::new([0; KEY_LEN])))
    }

    /// The key bytes. Keep the borrow short; never log them.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Overwrites the key with zeros now (it is also wiped on drop).
    pub fn wipe(&mut self) {
        zeroize::Zeroize::zeroize(&mut **self.0);
    }

    fn cipher(&self) -> Result<XChaCha20Poly1305, EnvelopeError> {
        XChaCha20Poly1305::new_from_slice(self.0.as_slice())
            .map_err(|_| EnvelopeError::Authentication)
    }
}

impl std::fmt::Debug for EnvelopeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnvelopeKey(<redacted>)")
    }
}

/// Fills `buf` from the operating system's CSPRNG.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), EnvelopeError> {
    getrandom::fill(buf).map_err(|_| EnvelopeError::Random)
}

/// Encrypts `plaintext` under `key` with a fresh nonce, binding `ad`.
pub fn seal(
    key: &EnvelopeKey,
    plaintext: &[u8],
    ad: &AssociatedData,
) -> Result<Vec<u8>, EnvelopeError> {
    let mut out = Vec::with_capacity(plaintext.len() + OVERHEAD);
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let tag = key
        .cipher()?
        .encrypt_inout_detached(
            &XNonce::from(nonce),
            ad.as_bytes(),
            out[HEADER_LEN..].as_mut().into(),
        )
        .map_err(|_| EnvelopeError::Authentication)?;
    out.extend_from_slice(tag.as_slice());
    Ok(out)
}

/// Checks the fixed parts of an envelope (length, magic, version) without
/// a key.
pub fn check_layout(envelope: &[u8]) -> Result<(), EnvelopeError> {
    if envelope.len() < OVERHEAD {
        return Err(EnvelopeError::TooShort);
    }
    if envelope[..MAGIC.len()] != MAGIC {
        return Err(EnvelopeError::BadMagic);
    }
    let version = envelope[MAGIC.len()];
    if version != FORMAT_VERSION {
        return Err(EnvelopeError::UnsupportedVersion(version));
    }
    Ok(())
}

/// Verifies and decrypts an envelope made by [`seal`] with the same key and
/// associated data. The plaintext is wiped when the returned buffer drops.
pub fn open(
    key: &EnvelopeKey,
    envelope: &[u8],
    ad: &AssociatedData,
) -> Result<Zeroizing<Vec<u8>>, EnvelopeError> {
    check_layout(envelope)?;
    let nonce = XNonce::try_from(&envelope[MAGIC.len() + 1..HEADER_LEN])
        .map_err(|_| EnvelopeError::TooShort)?;
    let body_end = envelope.len() - TAG_LEN;
    let tag = Tag::try_from(&envelope[body_end..]).map_err(|_| EnvelopeError::TooShort)?;
    // The buffer holds ciphertext until the tag has verified; only then is
    // it decrypted in place.
    let mut buffer = Zeroizing::new(envelope[HEADER_LEN..body_end].to_vec());
    key.cipher()?
        .decrypt_inout_detached(&nonce, ad.as_bytes(), buffer.as_mut_slice().into(), &tag)
        .map_err(|_| EnvelopeError::Authentication)?;
    Ok(buffer)
}

/// Associated data: a sequence of length-prefixed fields,
/// `u32_be(len) || bytes` each (`docs/vault-format.md` §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociatedData(Vec<u8>);

impl AssociatedData {
    /// Starts with the domain label (e.g. `tessera-vault-entry`).
    pub fn new(domain: &str) -> Self {
        Self(Vec::with_capacity(128)).bytes(domain.as_bytes())
    }

    /// Appends one field.
    #[must_use]
    pub fn bytes(mut self, field: &[u8]) -> Self {
        // Fields are short (ids, salts, 77-byte wrapped keys); a field
        // longer than u32::MAX cannot occur, and saturating keeps this total.
        let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(field);
        self
    }

    /// Appends a UTF-8 text field.
    #[must_use]
    pub fn text(self, field: &str) -> Self {
        self.bytes(field.as_bytes())
    }

    /// Appends a one-byte field.
    #[must_use]
    pub fn u8(self, value: u8) -> Self {
        self.bytes(&[value])
    }

    /// Appends a 4-byte big-endian field.
    #[must_use]
    pub fn be32(self, value: u32) -> Self {
        self.bytes(&value.to_be_bytes())
    }

    /// Appends an 8-byte big-endian (two's complement) field.
    #[must_use]
    pub fn be64(self, value: i64) -> Self {
        self.bytes(&value.to_be_bytes())
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ad() -> AssociatedData {
        AssociatedData::new("tessera-vault-entry")
            .u8(1)
            .text("accounts")
            .text("id")
    }

    #[test]
    fn round_trip_and_layout() {
        let key = EnvelopeKey::random().unwrap();
        let sealed = seal(&key, b"hello", &ad()).unwrap();
        assert_eq!(sealed.len(), 5 + OVERHEAD);
        assert_eq!(&sealed[..4], b"TSRA");
        assert_eq!(sealed[4], 1);
        assert_eq!(open(&key, &sealed, &ad()).unwrap().as_slice(), b"hello");
        let again = seal(&key, b"hello", &ad()).unwrap();
        assert_ne!(sealed[5..29], again[5..29], "fresh nonce per seal");
        assert_eq!(
            open(&key, &seal(&key, b"", &ad()).unwrap(), &ad())
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn every_flipped_byte_is_rejected() {
        let key = EnvelopeKey::random().unwrap();
        let sealed = seal(&key, b"secret payload", &ad()).unwrap();
        for i in 0..sealed.len() {
            for mask in [0x01, 0x80, 0xff] {
                let mut bad = sealed.clone();
                bad[i] ^= mask;
                assert!(open(&key, &bad, &ad()).is_err(), "byte {i} mask {mask:#x}");
            }
        }
    }

    #[test]
    fn bad_tag_version_truncation_wrong_key_and_ad() {
        let key = EnvelopeKey::random().unwrap();
        let sealed = seal(&key, b"x", &ad()).unwrap();
        let mut bad = sealed.clone();
        bad[4] = 2;
        assert_eq!(
            open(&key, &bad, &ad()).unwrap_err(),
            EnvelopeError::UnsupportedVersion(2)
        );
        let mut bad = sealed.clone();
        bad[0] = b'X';
        assert_eq!(
            open(&key, &bad, &ad()).unwrap_err(),
            EnvelopeError::BadMagic
        );
        let last = sealed.len() - 1;
        let mut bad = sealed.clone();
        bad[last] ^= 1;
        assert_eq!(
            open(&key, &bad, &ad()).unwrap_err(),
            EnvelopeError::Authentication
        );
        for len in 0..sealed.len() {
            assert!(
                open(&key, &sealed[..len], &ad()).is_err(),
                "truncated to {len}"
            );
        }
        let other = EnvelopeKey::random().unwrap();
        assert_eq!(
            open(&other, &sealed, &ad()).unwrap_err(),
            EnvelopeError::Authentication
        );
        let other_ad = AssociatedData::new("tessera-vault-entry")
            .u8(1)
            .text("accounts")
            .text("id2");
        assert_eq!(
            open(&key, &sealed, &other_ad).unwrap_err(),
            EnvelopeError::Authentication
        );
    }

    #[test]
    fn associated_data_is_length_prefixed() {
        let a = AssociatedData::new("d").text("ab").text("c");
        let b = AssociatedData::new("d").text("a").text("bc");
        assert_ne!(a, b);
        assert_eq!(AssociatedData::new("d").as_bytes(), &[0, 0, 0, 1, b'd']);
        assert_eq!(
            AssociatedData::new("").be32(7).as_bytes(),
            &[0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 7]
        );
    }

    #[test]
    fn key_wipe_and_debug() {
        let mut key = EnvelopeKey::from_slice(&[7; KEY_LEN]).unwrap();
        assert!(EnvelopeKey::from_slice(&[7; 31]).is_none());
        assert_eq!(format!("{key:?}"), "EnvelopeKey(<redacted>)");
        key.wipe();
        assert_eq!(key.expose(), &[0; KEY_LEN]);
    }
}
