//! `FreeOTP` 2's backup (`externalBackup.xml`, despite its name a Java
//! serialised `HashMap<String, String>`). `masterKey` holds the master key
//! sealed with AES-256-GCM under PBKDF2 (`PBKDF2withHmacSHA1` or
//! `...SHA512`, `mIterations`, `mSalt`) of the backup password; each token
//! has a `UUID` entry (its secret, sealed with the master key) and a
//! `UUID-token` entry (its JSON, as [`super::freeotp::Token`]). Every
//! sealed value is `{mCipher, mCipherText, mParameters, mToken}`: Java's
//! AES/GCM output (ciphertext then tag), the nonce inside DER
//! `GCMParameters`, and `mToken` as associated data.
//!
//! `FreeOTP` 2's own token store (`shared_prefs/tokens.xml`) is sealed with a
//! key in the phone's keystore and cannot be read off the phone: it is
//! refused with how to make a backup instead.
//!
//! Must never: put the password, a key, a secret or decrypted content into
//! an error.

use std::collections::HashMap;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::freeotp::Token;
use super::{Format, ImportError, InvalidItem, Parsed, kdf_guard};
use crate::core::secret::{SecretBytes, SecretString};

/// Importer for [`Format::FreeOtpBackup`].
pub struct FreeOtpBackup;

const FORMAT: Format = Format::FreeOtpBackup;
/// `java.io.ObjectOutputStream`'s stream magic and version.
pub(crate) const JAVA_SERIAL_MAGIC: &[u8] = &[0xac, 0xed, 0x00, 0x05];
/// Most PBKDF2 iterations a backup may ask for (`FreeOTP` uses 100,000).
const MAX_ITERATIONS: u32 = 2_000_000;
/// Most entries the map may have (two per token, and the master key).
const MAX_ENTRIES: usize = 100_000;

/// What `FreeOTP` 2's own token store is.
pub(crate) const TOKEN_STORE: ImportError = ImportError::NotAnExport {
    what: "this is FreeOTP 2's own token store, whose secrets are sealed with a key in the phone's keystore and cannot be read elsewhere: in FreeOTP, choose ⋮ › Backup and import the backup file it writes",
};

/// Java's field names carry an `m` prefix.
#[derive(Deserialize)]
struct MasterKey {
    #[serde(rename = "mAlgorithm")]
    algorithm: String,
    #[serde(rename = "mEncryptedKey")]
    encrypted_key: Sealed,
    #[serde(rename = "mIterations")]
    iterations: u32,
    #[serde(rename = "mSalt")]
    salt: Vec<i16>,
}

#[derive(Deserialize)]
struct Sealed {
    #[serde(rename = "mCipher")]
    cipher: String,
    #[serde(rename = "mCipherText")]
    cipher_text: Vec<i16>,
    #[serde(rename = "mParameters")]
    parameters: Vec<i16>,
    #[serde(rename = "mToken")]
    token: String,
}

#[derive(Deserialize)]
struct SealedEntry {
    key: String,
}

impl super::Importer for FreeOtpBackup {
    const FORMAT: Format = FORMAT;

    fn import(bytes: &[u8], password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let map = java_map(bytes)?;
        let by_name: HashMap<&str, &str> = map
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let master = by_name
            .get("masterKey")
            .ok_or_else(|| ImportError::malformed(FORMAT, "masterKey", "missing"))?;
        let master: MasterKey =
            serde_json::from_str(master).map_err(|e| ImportError::json(FORMAT, &e))?;
        let password = password.ok_or(ImportError::PasswordRequired { format: FORMAT })?;
        let key = open_master(&master, password)?;
        let mut parsed = Parsed::new(FORMAT);
        let mut icons = 0;
        for (name, value) in &map {
            if name == "masterKey" || name.ends_with("-token") {
                continue;
            }
            let token = by_name
                .get(format!("{name}-token").as_str())
                .and_then(|json| serde_json::from_str::<Token>(json).ok());
            let Some(token) = token else {
                parsed.push_entry(
                    Err(InvalidItem::at(
                        format!("token {}", parsed.entries.len() + 1),
                        "its description (the “-token” entry) is missing or unreadable".to_owned(),
                    )),
                    &[],
                );
                continue;
            };
            if token.has_image() {
                icons += 1;
            }
            let secret = serde_json::from_str::<SealedEntry>(value.as_str())
                .ok()
                .and_then(|entry| serde_json::from_str::<Sealed>(&entry.key).ok())
                .ok_or_else(|| token.invalid("its sealed secret cannot be read".to_owned()))
                .and_then(|sealed| {
                    open(&sealed, key.as_slice()).ok_or_else(|| {
                        token.invalid("its secret does not open with the master key".to_owned())
                    })
                });
            let read = secret.and_then(|secret| token.item(SecretBytes::from_slice(&secret)));
            parsed.push_entry(read, &[]);
        }
        parsed.icons_dropped(icons);
        parsed.non_empty()
    }
}

/// The master key, or `WrongPassword`.
fn open_master(
    master: &MasterKey,
    password: &SecretString,
) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let bad = |field: &str, what: &str| ImportError::malformed(FORMAT, field, what);
    if master.iterations == 0 || master.iterations > MAX_ITERATIONS {
        return Err(bad("masterKey.mIterations", "not between 1 and 2,000,000"));
    }
    let salt = java_bytes(&master.salt).ok_or_else(|| bad("masterKey.mSalt", "not bytes"))?;
    let hash = if master.algorithm == "PBKDF2withHmacSHA512" {
        kdf_guard::Pbkdf2Hash::Sha512
    } else {
        kdf_guard::Pbkdf2Hash::Sha1
    };
    kdf_guard::admit(
        FORMAT,
        kdf_guard::KdfCost::pbkdf2(hash, u64::from(master.iterations)),
    )?;
    let mut derived = Zeroizing::new([0u8; 32]);
    let password = password.expose().as_bytes();
    match master.algorithm.as_str() {
        "PBKDF2withHmacSHA1" => pbkdf2::pbkdf2_hmac::<sha1::Sha1>(
            password,
            &salt,
            master.iterations,
            derived.as_mut_slice(),
        ),
        "PBKDF2withHmacSHA512" => pbkdf2::pbkdf2_hmac::<sha2::Sha512>(
            password,
            &salt,
            master.iterations,
            derived.as_mut_slice(),
        ),
        _ => {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: "a master key derived otherwise than with PBKDF2-HMAC-SHA1 or -SHA512"
                    .to_owned(),
            });
        }
    }
    open(&master.encrypted_key, derived.as_slice())
        .ok_or(ImportError::WrongPassword { format: FORMAT })
}

/// AES/GCM as Java writes it; `None` when the key does not open it.
fn open(sealed: &Sealed, key: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if sealed.cipher != "AES/GCM/NoPadding" {
        return None;
    }
    let body = Zeroizing::new(java_bytes(&sealed.cipher_text)?);
    let parameters = java_bytes(&sealed.parameters)?;
    let nonce = gcm_nonce(&parameters)?;
    super::aes_gcm_open_with(key, nonce, sealed.token.as_bytes(), &body)
}

/// The nonce in DER `GCMParameters ::= SEQUENCE { OCTET STRING, INTEGER }`
/// (or a bare OCTET STRING).
fn gcm_nonce(der: &[u8]) -> Option<&[u8]> {
    let octets = match der {
        [0x30, len, rest @ ..] if usize::from(*len) == rest.len() => rest,
        _ => der,
    };
    match octets {
        [0x04, len, rest @ ..] => rest.get(..usize::from(*len)),
        _ => None,
    }
}

/// Java bytes (−128..=127) as JSON numbers.
fn java_bytes(values: &[i16]) -> Option<Vec<u8>> {
    values
        .iter()
        .map(|&v| i8::try_from(v).map(i8::cast_unsigned).ok())
        .collect()
}

/// The string pairs of a serialised `java.util.HashMap<String, String>`:
/// the stream header, the class description (`HashMap`, its
/// `loadFactor` and `threshold` fields), their values, a block with the
/// capacity and the size, then keys and values as strings (or
/// back-references to earlier ones).
fn java_map(bytes: &[u8]) -> Result<Vec<(String, Zeroizing<String>)>, ImportError> {
    let mut reader = JavaStream::new(bytes);
    let map = reader.map().ok_or_else(|| {
        ImportError::malformed(
            FORMAT,
            format!("byte {}", reader.at),
            "not a serialised Java HashMap of strings",
        )
    })?;
    Ok(map)
}

/// Handles of the stream start here.
const BASE_HANDLE: u32 = 0x7e_0000;
const TC_NULL: u8 = 0x70;
const TC_REFERENCE: u8 = 0x71;
const TC_CLASSDESC: u8 = 0x72;
const TC_OBJECT: u8 = 0x73;
const TC_STRING: u8 = 0x74;
const TC_BLOCKDATA: u8 = 0x77;
const TC_ENDBLOCKDATA: u8 = 0x78;
const TC_LONGSTRING: u8 = 0x7c;

struct JavaStream<'a> {
    bytes: &'a [u8],
    at: usize,
    /// Every handle assigned so far, with the string it names (`None` for
    /// the class description and the map).
    handles: Vec<Option<Zeroizing<String>>>,
}

impl<'a> JavaStream<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            at: 0,
            handles: Vec::new(),
        }
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(out)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    }

    fn utf(&mut self, len: usize) -> Option<Zeroizing<String>> {
        let raw = self.take(len)?;
        // Modified UTF-8 differs from UTF-8 only for NUL and characters
        // outside the BMP, which JSON of FreeOTP's never holds raw.
        std::str::from_utf8(raw)
            .ok()
            .map(|s| Zeroizing::new(s.to_owned()))
    }

    fn map(&mut self) -> Option<Vec<(String, Zeroizing<String>)>> {
        if self.take(4)? != JAVA_SERIAL_MAGIC || self.u8()? != TC_OBJECT {
            return None;
        }
        if self.u8()? != TC_CLASSDESC {
            return None;
        }
        let name_len = usize::from(self.u16()?);
        if self.take(name_len)? != b"java.util.HashMap" {
            return None;
        }
        self.take(8)?; // serialVersionUID
        self.u8()?; // flags
        self.handles.push(None);
        let fields = self.u16()?;
        for _ in 0..fields {
            let code = self.u8()?;
            let len = usize::from(self.u16()?);
            self.take(len)?;
            if matches!(code, b'L' | b'[') {
                return None;
            }
        }
        if self.u8()? != TC_ENDBLOCKDATA || self.u8()? != TC_NULL {
            return None;
        }
        self.handles.push(None); // the map
        self.take(8)?; // loadFactor, threshold
        if self.u8()? != TC_BLOCKDATA || self.u8()? != 8 {
            return None;
        }
        self.u32()?; // capacity
        let size = usize::try_from(self.u32()?)
            .ok()
            .filter(|&n| n <= MAX_ENTRIES)?;
        let mut out = Vec::with_capacity(size);
        for _ in 0..size {
            let key = self.string()?;
            let value = self.string()?;
            out.push((String::clone(&key), value));
        }
        (self.u8()? == TC_ENDBLOCKDATA).then_some(out)
    }

    fn string(&mut self) -> Option<Zeroizing<String>> {
        let text = match self.u8()? {
            TC_STRING => {
                let len = usize::from(self.u16()?);
                self.utf(len)?
            }
            TC_LONGSTRING => {
                let len = u64::from_be_bytes(self.take(8)?.try_into().ok()?);
                let len = usize::try_from(len).ok()?;
                self.utf(len)?
            }
            TC_REFERENCE => {
                let handle = self.u32()?.checked_sub(BASE_HANDLE)?;
                let index = usize::try_from(handle).ok()?;
                return self.handles.get(index)?.clone();
            }
            _ => return None,
        };
        self.handles.push(Some(text.clone()));
        Some(text)
    }
}
