//! Proton Authenticator's password-protected export: JSON with `version`
//! 1, base64 `salt` (16 bytes) and base64 `content` (12-byte nonce, then
//! AES-256-GCM ciphertext and tag, with the associated data
//! `proton.authenticator.export.v1`) under Argon2id(password, salt;
//! 19 MiB, 2 passes, 1 lane). Inside is the plain export
//! ([`super::proton`]).
//!
//! Must never: put the password, the key or decrypted content into an
//! error.

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{Argon2Cost, Format, ImportError, Importer, Parsed, base64_decode};
use crate::core::secret::SecretString;

/// Importer for [`Format::ProtonEncrypted`].
pub struct ProtonEncrypted;

const FORMAT: Format = Format::ProtonEncrypted;
const AAD: &[u8] = b"proton.authenticator.export.v1";
const COST: Argon2Cost = Argon2Cost {
    memory_kib: 19 * 1024,
    iterations: 2,
    lanes: 1,
};
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

#[derive(Deserialize)]
struct File {
    version: u64,
    salt: String,
    content: String,
}

impl Importer for ProtonEncrypted {
    const FORMAT: Format = FORMAT;

    fn import(bytes: &[u8], password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let file: File = super::from_json(FORMAT, bytes)?;
        if file.version != 1 {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: format!("encrypted export version {}", file.version),
            });
        }
        let salt = base64_decode(&file.salt)
            .filter(|s| s.len() == 16)
            .ok_or_else(|| ImportError::malformed(FORMAT, "salt", "not 16 bytes of base64"))?;
        let content = base64_decode(&file.content)
            .filter(|c| c.len() >= NONCE_LEN + TAG_LEN)
            .ok_or_else(|| {
                ImportError::malformed(
                    FORMAT,
                    "content",
                    "not base64, or shorter than a nonce and a tag",
                )
            })?;
        let password = password.ok_or(ImportError::PasswordRequired { format: FORMAT })?;
        COST.admit(FORMAT)?;
        let key = COST
            .derive(password.expose().as_bytes(), &salt)
            .map_err(|what| ImportError::malformed(FORMAT, "salt", what))?;
        let plain =
            open(key.as_slice(), &content).ok_or(ImportError::WrongPassword { format: FORMAT })?;
        super::proton::read(FORMAT, &plain)
    }
}

/// AES-256-GCM with Proton's associated data: `nonce ‖ ciphertext ‖ tag`.
fn open(key: &[u8], content: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let (nonce, sealed) = content.split_at_checked(NONCE_LEN)?;
    super::aes_gcm_open_with(key, nonce, AAD, sealed)
}
