//! Ente Auth's encrypted export: JSON with `version` 1, `kdfParams`
//! (`memLimit` in bytes, `opsLimit`, base64 `salt`), `encryptedData` and
//! `encryptionNonce` (base64). The key is Argon2id(password, salt;
//! `memLimit`, `opsLimit` passes, one lane), as libsodium's `crypto_pwhash`
//! makes it; the data is one libsodium secretstream
//! (XChaCha20-Poly1305) message whose header is `encryptionNonce`, holding
//! the plain export ([`super::ente`]). The secretstream is `dryoc`'s.
//!
//! Must never: put the password, the key or decrypted content into an
//! error.

use dryoc::classic::crypto_secretstream_xchacha20poly1305 as secretstream;
use dryoc::constants::{
    CRYPTO_SECRETSTREAM_XCHACHA20POLY1305_ABYTES, CRYPTO_SECRETSTREAM_XCHACHA20POLY1305_TAG_FINAL,
    CRYPTO_SECRETSTREAM_XCHACHA20POLY1305_TAG_MESSAGE,
};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{Argon2Cost, Format, ImportError, Importer, Parsed, base64_decode};
use crate::core::secret::SecretString;

/// Importer for [`Format::EnteEncrypted`].
pub struct EnteEncrypted;

const FORMAT: Format = Format::EnteEncrypted;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    version: u64,
    kdf_params: KdfParams,
    encrypted_data: String,
    encryption_nonce: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KdfParams {
    mem_limit: u64,
    ops_limit: u64,
    salt: String,
}

impl Importer for EnteEncrypted {
    const FORMAT: Format = FORMAT;

    fn import(bytes: &[u8], password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let file: File = super::from_json(FORMAT, bytes)?;
        if file.version != 1 {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: format!("version {}", file.version),
            });
        }
        let bad = |field: &str, what: &str| ImportError::malformed(FORMAT, field, what);
        let salt = base64_decode(&file.kdf_params.salt)
            .filter(|s| s.len() == 16)
            .ok_or_else(|| bad("kdfParams.salt", "not 16 bytes of base64"))?;
        let header: secretstream::Header = base64_decode(&file.encryption_nonce)
            .and_then(|h| h.as_slice().try_into().ok())
            .ok_or_else(|| bad("encryptionNonce", "not 24 bytes of base64"))?;
        let data = base64_decode(&file.encrypted_data)
            .filter(|d| d.len() >= CRYPTO_SECRETSTREAM_XCHACHA20POLY1305_ABYTES)
            .ok_or_else(|| bad("encryptedData", "not base64, or shorter than a tag"))?;
        let cost = Argon2Cost {
            memory_kib: u32::try_from(file.kdf_params.mem_limit / 1024).unwrap_or(u32::MAX),
            iterations: u32::try_from(file.kdf_params.ops_limit).unwrap_or(u32::MAX),
            lanes: 1,
        };
        let password = password.ok_or(ImportError::PasswordRequired { format: FORMAT })?;
        cost.admit(FORMAT)?;
        let key = cost
            .derive(password.expose().as_bytes(), &salt)
            .map_err(|what| ImportError::malformed(FORMAT, "kdfParams", what))?;
        let mut state = secretstream::State::new();
        secretstream::crypto_secretstream_xchacha20poly1305_init_pull(&mut state, &header, &key);
        let mut plain = Zeroizing::new(vec![
            0u8;
            data.len()
                - CRYPTO_SECRETSTREAM_XCHACHA20POLY1305_ABYTES
        ]);
        let mut tag = 0u8;
        secretstream::crypto_secretstream_xchacha20poly1305_pull(
            &mut state, &mut plain, &mut tag, &data, None,
        )
        .map_err(|_| ImportError::WrongPassword { format: FORMAT })?;
        if tag != CRYPTO_SECRETSTREAM_XCHACHA20POLY1305_TAG_FINAL
            && tag != CRYPTO_SECRETSTREAM_XCHACHA20POLY1305_TAG_MESSAGE
        {
            return Err(bad(
                "encryptedData",
                "the message is not the last of its stream",
            ));
        }
        super::ente::read(FORMAT, &plain)
    }
}
