//! Secret wrappers: [`SecretBytes`] and [`SecretString`].
//!
//! Owns: holding key material and passwords in memory so that it is wiped
//! (zeroized) when dropped, never printed (`Debug` shows `<redacted>`), and
//! compared in constant time.
//!
//! Must never: implement `Serialize`, `Display` or any other way of turning
//! the secret into text by accident. Reading the secret is always an explicit
//! call to `expose()`, so that every place that does it can be found by a
//! search.

use std::fmt;
use std::io::Write;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Secret bytes (an OTP key, a vault key, ...), zeroized on drop.
///
/// Equality is constant-time in the contents (the length is not secret).
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Takes ownership of `bytes` without copying them.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// Copies `bytes` into a new secret. The caller remains responsible for
    /// wiping its own copy.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// The secret itself. Keep the borrow short; never log or serialize it.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl From<&[u8]> for SecretBytes {
    fn from(bytes: &[u8]) -> Self {
        Self::from_slice(bytes)
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        // `ct_eq` on slices returns false early only when the lengths differ.
        self.0.as_slice().ct_eq(other.0.as_slice()).into()
    }
}

impl Eq for SecretBytes {}

/// A secret text (a password, a server credential, ...), zeroized on drop.
///
/// Equality is constant-time in the contents (the length is not secret).
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct SecretString(String);

impl SecretString {
    /// Takes ownership of `text` without copying it.
    pub fn new(text: String) -> Self {
        Self(text)
    }

    /// The secret itself. Keep the borrow short; never log or serialize it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for SecretString {
    fn from(text: String) -> Self {
        Self::new(text)
    }
}

impl From<&str> for SecretString {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl PartialEq for SecretString {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for SecretString {}

/// Serializes `value` as JSON into a buffer of exactly the right capacity
/// (measured first), so no partial copy of the secret is left behind by a
/// reallocation; the buffer is wiped on drop. Empty if `value` cannot be
/// serialized (the DTOs this is used for always can).
pub fn serialize_json<T: serde::Serialize>(value: &T) -> Zeroizing<Vec<u8>> {
    let mut counter = ByteCounter(0);
    if serde_json::to_writer(&mut counter, value).is_err() {
        return Zeroizing::new(Vec::new());
    }
    let mut out = Zeroizing::new(Vec::with_capacity(counter.0));
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.clear();
    }
    out
}

/// A writer that only counts what it is given.
struct ByteCounter(usize);

impl Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{SecretBytes, SecretString};

    #[test]
    fn debug_is_redacted() {
        let bytes = SecretBytes::from(b"hunter2".as_slice());
        let text = SecretString::from("hunter2");
        assert_eq!(format!("{bytes:?}"), "<redacted>");
        assert_eq!(format!("{text:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&text)), "Some(<redacted>)");
    }

    #[test]
    fn equality_compares_contents() {
        assert_eq!(
            SecretBytes::from(vec![1, 2, 3]),
            SecretBytes::from_slice(&[1, 2, 3])
        );
        assert_ne!(
            SecretBytes::from(vec![1, 2, 3]),
            SecretBytes::from(vec![1, 2, 4])
        );
        assert_ne!(
            SecretBytes::from(vec![1, 2, 3]),
            SecretBytes::from(vec![1, 2])
        );
        assert_eq!(SecretString::from("a"), SecretString::new("a".to_owned()));
        assert_ne!(SecretString::from("a"), SecretString::from("b"));
    }

    #[test]
    fn expose_and_len() {
        let bytes = SecretBytes::new(vec![9; 20]);
        assert_eq!(bytes.expose(), &[9; 20]);
        assert_eq!(bytes.len(), 20);
        assert!(!bytes.is_empty());
        assert!(SecretBytes::default().is_empty());
        let text = SecretString::from("pässword");
        assert_eq!(text.expose(), "pässword");
        assert_eq!(text.len(), 9);
        assert!(SecretString::default().is_empty());
    }

    #[test]
    fn zeroize_wipes_contents() {
        use zeroize::Zeroize;
        let mut bytes = SecretBytes::new(vec![7; 4]);
        bytes.zeroize();
        assert!(bytes.is_empty());
        let mut text = SecretString::from("secret");
        text.zeroize();
        assert!(text.is_empty());
    }
}
