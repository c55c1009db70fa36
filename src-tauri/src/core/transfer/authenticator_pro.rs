//! Authenticator Pro / Stratum backups: the JSON backup (`Authenticators`,
//! `Categories`, `AuthenticatorCategories`), the same JSON encrypted
//! (`.authpro`), and the HTML backup (a table whose `<code>` cells hold
//! `otpauth://` URIs). The URI-list backup is an otpauth list
//! ([`super::otpauth_list`]).
//!
//! Encrypted: `AUTHENTICATORPRO`, 16-byte salt, 12-byte nonce, then
//! AES-256-GCM ciphertext and tag under Argon2id(password, salt; 64 MiB,
//! 3 passes, 4 lanes). Older versions wrote `AuthenticatorPro`, a 20-byte
//! salt, a 16-byte IV, then AES-256-CBC under PBKDF2-HMAC-SHA1(password,
//! salt, 64,000). Types: 1 HOTP, 2 TOTP, 3 mOTP, 4 Steam, 5 Yandex;
//! algorithms 0 SHA1, 1 SHA256, 2 SHA512. Categories become tags.
//!
//! Must never: put the password, a key, a secret or decrypted content into
//! an error.

use std::collections::HashMap;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::otpauth_list::parse_lines;
use super::{
    Argon2Cost, Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed, aes_cbc_open,
    aes_gcm_open, base32_secret, counted, fits, make_account,
};
use crate::core::otp::{Algorithm, OtpKind, ParseNote};
use crate::core::secret::SecretString;
use crate::core::vault::Details;

/// Importer for [`Format::AuthenticatorPro`].
pub struct AuthenticatorPro;
/// Importer for [`Format::AuthenticatorProHtml`].
pub struct AuthenticatorProHtml;

const FORMAT: Format = Format::AuthenticatorPro;
pub(crate) const HEADER: &[u8; 16] = b"AUTHENTICATORPRO";
pub(crate) const LEGACY_HEADER: &[u8; 16] = b"AuthenticatorPro";
const COST: Argon2Cost = Argon2Cost {
    memory_kib: 65_536,
    iterations: 3,
    lanes: 4,
};
const LEGACY_ROUNDS: u32 = 64_000;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Backup {
    authenticators: Vec<serde_json::Value>,
    #[serde(default)]
    categories: Option<Vec<Category>>,
    #[serde(default)]
    authenticator_categories: Option<Vec<Binding>>,
    #[serde(default)]
    custom_icons: Option<Vec<serde_json::Value>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Category {
    id: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Binding {
    category_id: String,
    authenticator_secret: super::Wiped<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Authenticator {
    #[serde(rename = "Type")]
    kind: u64,
    #[serde(default)]
    icon: Option<String>,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    username: Option<String>,
    secret: super::Wiped<String>,
    #[serde(default)]
    algorithm: u64,
    #[serde(default)]
    digits: Option<u64>,
    #[serde(default)]
    period: Option<u64>,
    #[serde(default)]
    counter: u64,
}

impl Importer for AuthenticatorPro {
    const FORMAT: Format = FORMAT;

    fn import(bytes: &[u8], password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let header = bytes.get(..HEADER.len());
        if header == Some(HEADER) || header == Some(LEGACY_HEADER) {
            let password = password.ok_or(ImportError::PasswordRequired { format: FORMAT })?;
            let plain = decrypt(bytes, password)?;
            return read(&plain);
        }
        read(bytes)
    }
}

fn decrypt(bytes: &[u8], password: &SecretString) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let short = || ImportError::malformed(FORMAT, "header", "shorter than its salt, nonce and tag");
    let rest = &bytes[HEADER.len()..];
    let password = password.expose().as_bytes();
    if bytes.starts_with(HEADER) {
        let (salt, rest) = rest.split_at_checked(16).ok_or_else(short)?;
        let (nonce, body) = rest.split_at_checked(12).ok_or_else(short)?;
        if body.len() < 16 {
            return Err(short());
        }
        COST.admit(FORMAT)?;
        let key = COST
            .derive(password, salt)
            .map_err(|what| ImportError::malformed(FORMAT, "header", what))?;
        return aes_gcm_open(key.as_slice(), nonce, body)
            .ok_or(ImportError::WrongPassword { format: FORMAT });
    }
    let (salt, rest) = rest.split_at_checked(20).ok_or_else(short)?;
    let (iv, body) = rest.split_at_checked(16).ok_or_else(short)?;
    if body.is_empty() || body.len() % 16 != 0 {
        return Err(ImportError::malformed(
            FORMAT,
            "the ciphertext",
            "not whole AES blocks",
        ));
    }
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt, LEGACY_ROUNDS, key.as_mut_slice());
    let plain = aes_cbc_open(key.as_slice(), iv, body)
        .ok_or(ImportError::WrongPassword { format: FORMAT })?;
    // A wrong key passes the padding check once in 256 tries.
    if serde_json::from_slice::<serde::de::IgnoredAny>(&plain).is_err() {
        return Err(ImportError::WrongPassword { format: FORMAT });
    }
    Ok(plain)
}

fn read(bytes: &[u8]) -> Result<Parsed, ImportError> {
    let backup: Backup = super::from_json(FORMAT, bytes)?;
    let names: HashMap<&str, &str> = backup
        .categories
        .iter()
        .flatten()
        .map(|c| (c.id.as_str(), c.name.as_str()))
        .collect();
    let mut tags: HashMap<&str, Vec<String>> = HashMap::new();
    for binding in backup.authenticator_categories.iter().flatten() {
        if let Some(name) = names.get(binding.category_id.as_str()) {
            tags.entry(binding.authenticator_secret.as_str())
                .or_default()
                .push((*name).to_owned());
        }
    }
    let mut parsed = Parsed::new(FORMAT);
    let mut icons = 0;
    for (index, value) in backup.authenticators.iter().enumerate() {
        let Ok(auth) = serde_json::from_value::<Authenticator>(value.clone()) else {
            parsed.push_entry(
                Err(InvalidItem::at(
                    format!("authenticator {}", index + 1),
                    "a field is missing or has the wrong type".to_owned(),
                )),
                &[],
            );
            continue;
        };
        if auth.icon.as_deref().is_some_and(|i| !i.is_empty()) {
            icons += 1;
        }
        let mut notes = Vec::new();
        let read = read_authenticator(&auth, &mut notes).map(|account| ImportedItem {
            account,
            details: Details {
                tags: tags.get(auth.secret.as_str()).cloned().unwrap_or_default(),
                ..Details::default()
            },
        });
        parsed.push_entry(read, &notes);
    }
    if icons > 0 {
        let custom = backup.custom_icons.as_ref().map_or(0, Vec::len);
        parsed.push_loss(format!(
            "icons are not imported ({} had one{}): Tessera shows its own brand icons, matched by issuer",
            counted(icons, "entry", "entries"),
            if custom > 0 { ", some of them pictures of their own" } else { "" }
        ));
    }
    parsed.non_empty()
}

fn read_authenticator(
    auth: &Authenticator,
    notes: &mut Vec<ParseNote>,
) -> Result<crate::core::otp::Account, InvalidItem> {
    let name = auth.username.clone().unwrap_or_default();
    let invalid = |reason: String| InvalidItem::named(&auth.issuer, &name, reason);
    let algorithm = match auth.algorithm {
        0 => Algorithm::Sha1,
        1 => Algorithm::Sha256,
        2 => Algorithm::Sha512,
        other => {
            return Err(invalid(format!(
                "algorithm {other} is not SHA1 (0), SHA256 (1) or SHA512 (2)"
            )));
        }
    };
    let period = fits::<u32>(auth.period.unwrap_or(30), "period").map_err(&invalid)?;
    let kind = match auth.kind {
        1 => OtpKind::Hotp {
            counter: auth.counter,
        },
        2 => OtpKind::Totp { period },
        4 => OtpKind::Steam { period },
        3 => return Err(invalid("mOTP tokens are not supported".to_owned())),
        5 => return Err(invalid("Yandex tokens are not supported".to_owned())),
        other => return Err(invalid(format!("token type {other} is not supported"))),
    };
    let digits = fits::<u8>(
        auth.digits.unwrap_or(u64::from(kind.default_digits())),
        "digits",
    )
    .map_err(&invalid)?;
    let secret = base32_secret(&auth.secret, notes).map_err(&invalid)?;
    make_account(&auth.issuer, &name, secret, algorithm, digits, kind).map_err(invalid)
}

impl Importer for AuthenticatorProHtml {
    const FORMAT: Format = Format::AuthenticatorProHtml;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let format = Self::FORMAT;
        let text = super::utf8(format, bytes)?;
        // One URI per line, so that the list's line numbers are the file's.
        let mut uris = Zeroizing::new(String::with_capacity(text.len()));
        for line in text.lines() {
            let mut rest = line;
            while let Some(start) = rest.find("<code>") {
                let after = &rest[start + "<code>".len()..];
                let Some(end) = after.find("</code>") else {
                    return Err(ImportError::malformed(
                        format,
                        "a <code> cell",
                        "it is not closed",
                    ));
                };
                uris.push_str(&unescape(&after[..end]));
                rest = &after[end..];
            }
            uris.push('\n');
        }
        let mut parsed = Parsed::new(format);
        for (line_no, result) in parse_lines(format, uris.as_bytes())? {
            match result {
                Ok((account, notes)) => parsed.push_entry(Ok(ImportedItem::new(account)), &notes),
                Err(reason) => {
                    parsed.push_entry(Err(super::otpauth_list::invalid_line(line_no, reason)), &[]);
                }
            }
        }
        parsed.push_loss(
            "an HTML backup holds no categories or icons: import the JSON backup to keep categories as tags",
        );
        parsed.non_empty()
    }
}

/// The five entities an HTML encoder writes.
fn unescape(text: &str) -> Zeroizing<String> {
    Zeroizing::new(
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'")
            .replace("&amp;", "&"),
    )
}
