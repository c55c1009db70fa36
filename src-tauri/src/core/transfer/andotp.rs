//! andOTP backups: the plain JSON array and the encrypted `.json.aes`
//! (a 4-byte big-endian PBKDF2 iteration count, 12-byte salt, 12-byte
//! nonce, then AES-256-GCM ciphertext and tag under
//! PBKDF2-HMAC-SHA1(password, salt, iterations)); andOTP 0.6.2 and before
//! wrote no header: a 12-byte nonce, then AES-256-GCM under
//! SHA-256(password).
//!
//! Must never: put the password, a key, a secret or decrypted content into
//! an error.

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{
    Format, ImportError, ImportedItem, Importer, InvalidItem, NamedParameters, Parsed,
    aes_gcm_open, base32_secret, make_account,
};
use crate::core::otp::ParseNote;
use crate::core::secret::SecretString;
use crate::core::vault::Details;

/// Importer for [`Format::AndOtp`].
pub struct AndOtp;
/// Importer for [`Format::AndOtpEncrypted`].
pub struct AndOtpEncrypted;

#[derive(Deserialize)]
struct Entry {
    secret: super::Wiped<String>,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    digits: Option<u64>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    algorithm: Option<String>,
    #[serde(default)]
    period: Option<u64>,
    #[serde(default)]
    counter: Option<u64>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    thumbnail: Option<String>,
}

fn read(format: Format, bytes: &[u8]) -> Result<Parsed, ImportError> {
    let entries: Vec<Entry> = super::from_json(format, bytes)?;
    let mut parsed = Parsed::new(format);
    let icons = entries
        .iter()
        .filter(|e| e.thumbnail.as_deref().is_some_and(|t| t != "Default"))
        .count();
    for entry in entries {
        let mut notes = Vec::new();
        let read = read_entry(entry, &mut notes);
        parsed.push_entry(read, &notes);
    }
    parsed.icons_dropped(icons);
    parsed.non_empty()
}

fn read_entry(entry: Entry, notes: &mut Vec<ParseNote>) -> Result<ImportedItem, InvalidItem> {
    // Old andOTP versions put `Issuer - name` or `Issuer:name` in the label.
    let (issuer, name) = if entry.issuer.is_empty() {
        match entry.label.split_once(':') {
            Some((i, n)) => (i.trim().to_owned(), n.trim().to_owned()),
            None => (String::new(), entry.label.clone()),
        }
    } else {
        (entry.issuer.clone(), entry.label.clone())
    };
    let invalid = |reason: String| InvalidItem::named(&issuer, &name, reason);
    let (algorithm, kind, digits) = NamedParameters {
        algorithm: entry.algorithm.as_deref(),
        kind: entry.kind.as_deref(),
        period: entry.period,
        digits: entry.digits,
        counter: entry.counter.unwrap_or(0),
    }
    .resolve()
    .map_err(&invalid)?;
    let secret = base32_secret(&entry.secret, notes).map_err(&invalid)?;
    let account =
        make_account(&issuer, &name, secret, algorithm, digits, kind).map_err(&invalid)?;
    Ok(ImportedItem {
        account,
        details: Details {
            tags: entry.tags,
            ..Details::default()
        },
    })
}

impl Importer for AndOtp {
    const FORMAT: Format = Format::AndOtp;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        read(Self::FORMAT, bytes)
    }
}

const HEADER_LEN: usize = 4 + 12 + 12;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Most PBKDF2 iterations an encrypted backup may ask for (andOTP writes
/// 140,000–160,000): the count comes from the file, and each million
/// costs about a second.
const MAX_ITERATIONS: u32 = 1_000_000;

impl Importer for AndOtpEncrypted {
    const FORMAT: Format = Format::AndOtpEncrypted;

    /// The current layout when the first four bytes are a plausible
    /// iteration count, else (or when that does not open) the layout of
    /// andOTP 0.6.2 and before: a 12-byte nonce, then AES-256-GCM
    /// ciphertext and tag under SHA-256(password), no header.
    fn import(bytes: &[u8], password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let format = Self::FORMAT;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(ImportError::malformed(
                format,
                "byte 0",
                "shorter than a nonce and a tag",
            ));
        }
        let password = password.ok_or(ImportError::PasswordRequired { format })?;
        let iterations = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        let current =
            (1..=MAX_ITERATIONS).contains(&iterations) && bytes.len() >= HEADER_LEN + TAG_LEN;
        if current {
            super::kdf_guard::admit(
                format,
                super::kdf_guard::KdfCost::pbkdf2(
                    super::kdf_guard::Pbkdf2Hash::Sha1,
                    u64::from(iterations),
                ),
            )?;
        }
        let plain = current
            .then(|| open_current(bytes, iterations, password))
            .flatten()
            .or_else(|| open_old(bytes, password))
            .ok_or(ImportError::WrongPassword { format })?;
        read(format, &plain)
    }
}

fn open_current(
    bytes: &[u8],
    iterations: u32,
    password: &SecretString,
) -> Option<Zeroizing<Vec<u8>>> {
    let (salt, nonce, body) = (&bytes[4..16], &bytes[16..28], &bytes[HEADER_LEN..]);
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(
        password.expose().as_bytes(),
        salt,
        iterations,
        key.as_mut_slice(),
    );
    aes_gcm_open(key.as_slice(), nonce, body)
}

fn open_old(bytes: &[u8], password: &SecretString) -> Option<Zeroizing<Vec<u8>>> {
    use sha2::Digest as _;
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&sha2::Sha256::digest(password.expose().as_bytes()));
    aes_gcm_open(key.as_slice(), &bytes[..NONCE_LEN], &bytes[NONCE_LEN..])
}
