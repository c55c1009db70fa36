//! The OS keyring behind the optional keyring slot: a [`KeyStore`] trait and
//! [`OsKeyring`], which keeps a random 32-byte key-encryption key in the
//! platform store through the `keyring` crate (Secret Service on Linux).
//!
//! Owns: talking to the keyring, with a time limit, and turning every way
//! it can fail (no session bus, no Secret Service, a locked collection that
//! would prompt, an item that is missing or malformed) into
//! `KeyringUnavailable` with a reason a person can act on.
//!
//! Must never: block the caller for longer than its timeout (a locked
//! Secret Service can wait on a prompt forever, or for the 25 s D-Bus reply
//! timeout), store the vault key itself in the keyring (only a slot's own
//! key-encryption key), or copy the stored bytes into an error text
//! (`keyring::Error::BadEncoding` carries them; it is mapped to a fixed text).

use std::sync::mpsc;
use std::time::Duration;

use zeroize::Zeroizing;

use super::envelope::{EnvelopeKey, KEY_LEN};
use super::error::{Result, VaultError};

/// The default keyring service name for Tessera's items.
pub const DEFAULT_SERVICE: &str = "tessera";
/// How long a keyring call may take before it counts as unavailable.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where keyring slots keep their key-encryption keys.
pub trait KeyStore {
    /// The service name new keyring slots are stored under.
    fn service(&self) -> &str;
    /// Stores `key` as `service`/`user`, replacing any previous one.
    fn store(&self, service: &str, user: &str, key: &EnvelopeKey) -> Result<()>;
    /// Loads the key stored as `service`/`user`.
    ///
    /// `KeyringUnavailable` if the store cannot be reached or holds no
    /// well-formed key under that name.
    fn load(&self, service: &str, user: &str) -> Result<EnvelopeKey>;
    /// Deletes the key stored as `service`/`user`; a missing one is fine.
    fn delete(&self, service: &str, user: &str) -> Result<()>;
}

/// The platform keyring (Secret Service on Linux, Keychain on macOS,
/// Credential Manager on Windows), each call bounded by a timeout.
#[derive(Debug, Clone)]
pub struct OsKeyring {
    service: String,
    timeout: Duration,
}

impl Default for OsKeyring {
    fn default() -> Self {
        Self::new(DEFAULT_SERVICE, DEFAULT_TIMEOUT)
    }
}

impl OsKeyring {
    /// A keyring under `service` whose calls give up after `timeout`.
    pub fn new(service: impl Into<String>, timeout: Duration) -> Self {
        Self {
            service: service.into(),
            timeout,
        }
    }

    /// Runs `op` on a helper thread and waits at most `self.timeout`. A call
    /// that hangs is abandoned: its thread ends whenever the platform call
    /// returns, and it holds no vault secret (only the slot's own key, which
    /// is wiped when the thread ends).
    fn bounded<T: Send + 'static>(
        &self,
        what: &'static str,
        op: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (tx, rx) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("tessera-keyring".into())
            .spawn(move || {
                // The receiver may be gone after a timeout; nothing to do then.
                let _ = tx.send(op());
            })
            .map_err(|_| unavailable("could not start a thread for the keyring call"))?;
        match rx.recv_timeout(self.timeout) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => Err(unavailable(format!(
                "the keyring did not answer within {} s while trying to {what}; it may be locked",
                self.timeout.as_secs()
            ))),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(unavailable(format!("the keyring call to {what} failed")))
            }
        }
    }
}

impl KeyStore for OsKeyring {
    fn service(&self) -> &str {
        &self.service
    }

    fn store(&self, service: &str, user: &str, key: &EnvelopeKey) -> Result<()> {
        let (service, user) = (service.to_owned(), user.to_owned());
        let hex = to_hex(key.expose());
        self.bounded("store the key", move || {
            let entry = ::keyring::Entry::new(&service, &user).map_err(map_error)?;
            entry.set_password(&hex).map_err(map_error)
        })
    }

    fn load(&self, service: &str, user: &str) -> Result<EnvelopeKey> {
        let (service, user) = (service.to_owned(), user.to_owned());
        self.bounded("read the key", move || {
            let entry = ::keyring::Entry::new(&service, &user).map_err(map_error)?;
            let text = Zeroizing::new(entry.get_password().map_err(map_error)?);
            from_hex(&text)
                .ok_or_else(|| unavailable("the keyring item for this vault is not a Tessera key"))
        })
    }

    fn delete(&self, service: &str, user: &str) -> Result<()> {
        let (service, user) = (service.to_owned(), user.to_owned());
        self.bounded("delete the key", move || {
            let entry = ::keyring::Entry::new(&service, &user).map_err(map_error)?;
            match entry.delete_credential() {
                Ok(()) | Err(::keyring::Error::NoEntry) => Ok(()),
                Err(e) => Err(map_error(e)),
            }
        })
    }
}

fn unavailable(reason: impl Into<String>) -> VaultError {
    VaultError::KeyringUnavailable {
        reason: reason.into(),
    }
}

/// Maps a keyring error to a reason. Platform failures carry the platform's
/// message (D-Bus names and texts, never item contents); `BadEncoding`,
/// which holds the item's bytes, is mapped to a fixed text.
fn map_error(err: ::keyring::Error) -> VaultError {
    let reason = match err {
        ::keyring::Error::NoEntry => {
            "there is no Tessera key for this vault in the keyring".to_owned()
        }
        ::keyring::Error::BadEncoding(_) => {
            "the keyring item for this vault is not a Tessera key".to_owned()
        }
        ::keyring::Error::PlatformFailure(e) => format!("keyring failure: {e}"),
        ::keyring::Error::NoStorageAccess(e) => {
            format!("the keyring is locked or not accessible: {e}")
        }
        ::keyring::Error::Ambiguous(items) => {
            format!("{} keyring items match this vault", items.len())
        }
        ::keyring::Error::TooLong(attr, limit) => {
            format!("keyring attribute {attr} is longer than {limit}")
        }
        ::keyring::Error::Invalid(attr, why) => {
            format!("keyring attribute {attr} is invalid: {why}")
        }
        _ => "unknown keyring error".to_owned(),
    };
    unavailable(reason)
}

fn to_hex(bytes: &[u8]) -> Zeroizing<String> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Zeroizing::new(String::with_capacity(bytes.len() * 2));
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

fn from_hex(text: &str) -> Option<EnvelopeKey> {
    let text = text.trim();
    if text.len() != KEY_LEN * 2 {
        return None;
    }
    let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
    for (i, pair) in text.as_bytes().chunks_exact(2).enumerate() {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        bytes[i] = u8::try_from(hi * 16 + lo).ok()?;
    }
    EnvelopeKey::from_slice(bytes.as_slice())
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    /// An in-memory key store for tests of the slot logic.
    #[derive(Default)]
    pub(crate) struct MemoryKeyStore(pub Mutex<HashMap<(String, String), String>>);

    impl KeyStore for MemoryKeyStore {
        fn service(&self) -> &'static str {
            "tessera-test"
        }
        fn store(&self, service: &str, user: &str, key: &EnvelopeKey) -> Result<()> {
            let hex = to_hex(key.expose());
            self.0
                .lock()
                .unwrap()
                .insert((service.into(), user.into()), hex.to_string());
            Ok(())
        }
        fn load(&self, service: &str, user: &str) -> Result<EnvelopeKey> {
            let map = self.0.lock().unwrap();
            let hex = map
                .get(&(service.to_owned(), user.to_owned()))
                .ok_or_else(|| unavailable("no item"))?;
            from_hex(hex).ok_or_else(|| unavailable("bad item"))
        }
        fn delete(&self, service: &str, user: &str) -> Result<()> {
            self.0
                .lock()
                .unwrap()
                .remove(&(service.to_owned(), user.to_owned()));
            Ok(())
        }
    }

    #[test]
    fn hex_round_trip() {
        let key = EnvelopeKey::random().unwrap();
        let hex = to_hex(key.expose());
        assert_eq!(hex.len(), 64);
        assert_eq!(from_hex(&hex).unwrap().expose(), key.expose());
        assert!(from_hex(&hex[..62]).is_none());
        assert!(from_hex(&"zz".repeat(32)).is_none());
    }

    #[test]
    fn timeout_turns_a_hang_into_unavailable() {
        let ring = OsKeyring::new("tessera-test", Duration::from_millis(50));
        let start = std::time::Instant::now();
        let err = ring
            .bounded("wait", || {
                std::thread::sleep(Duration::from_secs(2));
                Ok(())
            })
            .unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(
            matches!(err, VaultError::KeyringUnavailable { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("did not answer"));
    }

    #[test]
    fn bad_encoding_does_not_leak_bytes() {
        let err = map_error(::keyring::Error::BadEncoding(b"s3cr3t-bytes".to_vec()));
        assert!(!err.to_string().contains("s3cr3t"));
        assert!(!format!("{err:?}").contains("s3cr3t"));
    }
}
