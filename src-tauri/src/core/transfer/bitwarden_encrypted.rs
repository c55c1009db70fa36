//! Bitwarden's encrypted JSON exports. A password-protected export
//! (`"passwordProtected": true`) is opened here: the key is
//! PBKDF2-HMAC-SHA256(password, salt, `kdfIterations`) (`kdfType` 0) or
//! Argon2id(password, SHA-256(salt); `kdfMemory` MiB, `kdfIterations`
//! passes, `kdfParallelism` lanes) (`kdfType` 1), the salt being the
//! text of the `salt` field; HKDF-Expand-SHA256 of it with info `enc` and
//! `mac` gives the AES and HMAC keys. `encKeyValidation_DO_NOT_EDIT` and
//! `data` are Bitwarden cipher strings `2.IV|CIPHERTEXT|MAC` (base64; AES-256-CBC,
//! HMAC-SHA256 over IV and ciphertext); `data` holds the unencrypted
//! export. An account-restricted export (`"encrypted": true` alone) is
//! sealed with the Bitwarden account's own key and is refused with a
//! message saying so.
//!
//! Must never: put the password, a key or decrypted content into an error;
//! decrypt before the MAC checks.

use hmac::{KeyInit as _, Mac as _};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{Argon2Cost, Format, ImportError, aes_cbc_open, base64_decode};
use crate::core::secret::SecretString;

const FORMAT: Format = Format::BitwardenJson;
const KDF_PBKDF2: u64 = 0;
const KDF_ARGON2ID: u64 = 1;
/// Bitwarden's own bounds for PBKDF2 (its default is 600,000) and the
/// most a file may ask for here.
const PBKDF2_ROUNDS: std::ops::RangeInclusive<u32> = 5_000..=2_000_000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    #[serde(default)]
    password_protected: bool,
    #[serde(default)]
    salt: Option<String>,
    #[serde(default)]
    kdf_type: Option<u64>,
    #[serde(default)]
    kdf_iterations: Option<u64>,
    #[serde(default)]
    kdf_memory: Option<u64>,
    #[serde(default)]
    kdf_parallelism: Option<u64>,
    #[serde(rename = "encKeyValidation_DO_NOT_EDIT", default)]
    validation: Option<String>,
    #[serde(default)]
    data: Option<String>,
}

/// What an account-restricted export is.
pub(crate) const ACCOUNT_RESTRICTED: ImportError = ImportError::NotAnExport {
    what: "this Bitwarden export is encrypted with the key of the Bitwarden account that made it (“account restricted”), so it opens only inside that account: import it there, or export again as “password protected” or as unencrypted JSON",
};

/// AES and HMAC keys.
struct Keys {
    enc: Zeroizing<[u8; 32]>,
    mac: Zeroizing<[u8; 32]>,
}

/// The unencrypted export inside an encrypted one.
pub(crate) fn decrypt(
    bytes: &[u8],
    password: Option<&SecretString>,
) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let envelope: Envelope = super::from_json(FORMAT, bytes)?;
    if !envelope.password_protected {
        return Err(ACCOUNT_RESTRICTED);
    }
    let missing = |field: &str| ImportError::malformed(FORMAT, field, "missing");
    let salt = envelope.salt.as_deref().ok_or_else(|| missing("salt"))?;
    let validation = envelope
        .validation
        .as_deref()
        .ok_or_else(|| missing("encKeyValidation_DO_NOT_EDIT"))?;
    let data = envelope.data.as_deref().ok_or_else(|| missing("data"))?;
    let validation = CipherString::parse(validation, "encKeyValidation_DO_NOT_EDIT")?;
    let data = CipherString::parse(data, "data")?;
    let password = password.ok_or(ImportError::PasswordRequired { format: FORMAT })?;
    let keys = derive(&envelope, password, salt)?;
    validation
        .open(&keys)
        .map_err(|_| ImportError::WrongPassword { format: FORMAT })?;
    data.open(&keys)
}

fn derive(envelope: &Envelope, password: &SecretString, salt: &str) -> Result<Keys, ImportError> {
    let bad = |field: &str, what: String| ImportError::malformed(FORMAT, field, what);
    let number = |value: Option<u64>, field: &str| -> Result<u32, ImportError> {
        value
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| bad(field, "missing or not a whole number".to_owned()))
    };
    let iterations = number(envelope.kdf_iterations, "kdfIterations")?;
    let password = password.expose().as_bytes();
    let master = match envelope.kdf_type {
        Some(KDF_PBKDF2) => {
            if !PBKDF2_ROUNDS.contains(&iterations) {
                return Err(bad(
                    "kdfIterations",
                    format!("{iterations} PBKDF2 iterations is outside 5,000 to 2,000,000"),
                ));
            }
            super::kdf_guard::admit(
                FORMAT,
                super::kdf_guard::KdfCost::pbkdf2(
                    super::kdf_guard::Pbkdf2Hash::Sha256,
                    u64::from(iterations),
                ),
            )?;
            let mut key = Zeroizing::new([0u8; 32]);
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                password,
                salt.as_bytes(),
                iterations,
                key.as_mut_slice(),
            );
            key
        }
        Some(KDF_ARGON2ID) => {
            use sha2::Digest as _;
            let memory_mib = number(envelope.kdf_memory, "kdfMemory")?;
            let cost = Argon2Cost {
                memory_kib: memory_mib.saturating_mul(1024),
                iterations,
                lanes: number(envelope.kdf_parallelism, "kdfParallelism")?,
            };
            let salt = sha2::Sha256::digest(salt.as_bytes());
            cost.admit(FORMAT)?;
            cost.derive(password, &salt)
                .map_err(|what| bad("kdfMemory", what))?
        }
        _ => {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: "a key derivation other than PBKDF2 (0) or Argon2id (1)".to_owned(),
            });
        }
    };
    let expand = |info: &[u8]| -> Result<Zeroizing<[u8; 32]>, ImportError> {
        let hkdf = hkdf::Hkdf::<sha2::Sha256>::from_prk(master.as_slice())
            .map_err(|_| bad("salt", "HKDF refused the key".to_owned()))?;
        let mut out = Zeroizing::new([0u8; 32]);
        hkdf.expand(info, out.as_mut_slice())
            .map_err(|_| bad("salt", "HKDF refused the length".to_owned()))?;
        Ok(out)
    };
    Ok(Keys {
        enc: expand(b"enc")?,
        mac: expand(b"mac")?,
    })
}

/// A type 2 cipher string: AES-256-CBC with HMAC-SHA256.
struct CipherString {
    field: &'static str,
    iv: Vec<u8>,
    body: Vec<u8>,
    mac: Vec<u8>,
}

impl CipherString {
    fn parse(text: &str, field: &'static str) -> Result<Self, ImportError> {
        let bad = |what: &str| ImportError::malformed(FORMAT, field, what);
        let rest = text
            .strip_prefix("2.")
            .ok_or_else(|| bad("not a Bitwarden cipher string of type 2 (AES-CBC with HMAC)"))?;
        let mut parts = rest.split('|');
        let (Some(iv), Some(body), Some(mac), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("expected IV, ciphertext and MAC separated by “|”"));
        };
        let decode = |part: &str| base64_decode(part).map(|v| v.to_vec());
        let (Some(iv), Some(body), Some(mac)) = (decode(iv), decode(body), decode(mac)) else {
            return Err(bad("a part is not base64"));
        };
        if iv.len() != 16 || mac.len() != 32 || body.is_empty() || body.len() % 16 != 0 {
            return Err(bad("the IV, ciphertext or MAC has the wrong length"));
        }
        Ok(Self {
            field,
            iv,
            body,
            mac,
        })
    }

    /// The plaintext. `Malformed` when the MAC does not check (with keys
    /// that opened the validation string, the file was changed) or the
    /// padding is wrong.
    fn open(&self, keys: &Keys) -> Result<Zeroizing<Vec<u8>>, ImportError> {
        let changed = |what: &str| ImportError::malformed(FORMAT, self.field, what);
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(keys.mac.as_slice())
            .map_err(|_| changed("the MAC key is refused"))?;
        mac.update(&self.iv);
        mac.update(&self.body);
        mac.verify_slice(&self.mac)
            .map_err(|_| changed("the MAC does not match: the file was changed"))?;
        aes_cbc_open(keys.enc.as_slice(), &self.iv, &self.body)
            .ok_or_else(|| changed("the padding is wrong"))
    }
}
