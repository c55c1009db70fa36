//! 2FAS backups (`.2fas`, schema 1–4), plain and encrypted.
//!
//! Schema 1 has no type, algorithm, digits or period (TOTP, SHA1, 6, 30 are
//! assumed and reported); schema 2 has no token type (TOTP is assumed);
//! schemas 3–4 have all of it. Groups become tags; a letter badge the user
//! picked (`icon.selected = "Label"`) becomes the account's badge, in its
//! colour; icons of 2FAS's own collection are not carried (Tessera matches
//! its brand icons by issuer). Encrypted files hold
//! `servicesEncrypted = base64(ciphertext‖tag):base64(salt):base64(nonce)`,
//! AES-256-GCM under PBKDF2-HMAC-SHA256(password, salt, 10 000).
//!
//! Must never: put the password, a key, a secret or decrypted content into
//! an error.

use std::collections::HashMap;

use serde::Deserialize;
use sha2::Sha256;
use zeroize::Zeroizing;

use super::{
    Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed, aes_gcm_open,
    algorithm_named, base32_secret, base64_decode, fits, make_account,
};
use crate::core::icon::AccountIcon;
use crate::core::otp::{Algorithm, OtpKind, ParseNote};
use crate::core::secret::SecretString;
use crate::core::vault::Details;

/// Importer for [`Format::TwoFas`].
pub struct TwoFas;

const FORMAT: Format = Format::TwoFas;
const PBKDF2_ROUNDS: u32 = 10_000;
const MAX_SCHEMA: u64 = 4;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    schema_version: u64,
    #[serde(default)]
    services: Vec<Service>,
    #[serde(default)]
    services_encrypted: Option<String>,
    #[serde(default)]
    groups: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    id: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Service {
    #[serde(default)]
    name: String,
    secret: super::Wiped<String>,
    #[serde(default)]
    otp: Otp,
    #[serde(default)]
    icon: Option<serde_json::Value>,
    #[serde(default)]
    group_id: Option<String>,
}

/// `service.icon`: which icon the user picked, and the badge's letters.
#[derive(Deserialize)]
struct Icon {
    #[serde(default)]
    selected: String,
    #[serde(default)]
    label: Option<Label>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Label {
    #[serde(default)]
    text: String,
    #[serde(default)]
    background_color: Option<String>,
}

/// 2FAS's badge colours (its `TintColor` names); "Default" and names not
/// listed take the account's own colour.
fn tint(name: &str) -> Option<&'static str> {
    Some(match name {
        "LightBlue" => "#29b6f6",
        "Blue" => "#1e88e5",
        "Indigo" => "#3949ab",
        "Purple" => "#8e24aa",
        "Turquoise" => "#00897b",
        "Green" => "#43a047",
        "DarkGreen" => "#2e7d32",
        "Red" => "#e53935",
        "Orange" => "#fb8c00",
        "Yellow" => "#fdd835",
        "Pink" => "#d81b60",
        "Brown" => "#6d4c41",
        "LightBrown" => "#a1887f",
        _ => return None,
    })
}

/// The badge of a service whose user picked one.
fn badge(icon: Option<&serde_json::Value>) -> Option<AccountIcon> {
    let icon: Icon = serde_json::from_value(icon?.clone()).ok()?;
    let label = icon.label.filter(|_| icon.selected == "Label")?;
    AccountIcon::badge(
        &label.text,
        label.background_color.as_deref().and_then(tint),
    )
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Otp {
    account: Option<String>,
    issuer: Option<String>,
    digits: Option<u64>,
    period: Option<u64>,
    algorithm: Option<String>,
    counter: Option<u64>,
    token_type: Option<String>,
}

impl Importer for TwoFas {
    const FORMAT: Format = FORMAT;

    fn import(bytes: &[u8], password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let file: File = super::from_json(FORMAT, bytes)?;
        if file.schema_version == 0 || file.schema_version > MAX_SCHEMA {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: format!("schema version {}", file.schema_version),
            });
        }
        let services = match file.services_encrypted.as_deref().filter(|s| !s.is_empty()) {
            None => file.services,
            Some(encrypted) => {
                let password = password.ok_or(ImportError::PasswordRequired { format: FORMAT })?;
                let plain = decrypt(encrypted, password)?;
                super::from_json(FORMAT, &plain)?
            }
        };
        let groups: HashMap<&str, &str> = file
            .groups
            .iter()
            .map(|g| (g.id.as_str(), g.name.as_str()))
            .collect();
        let mut parsed = Parsed::new(FORMAT);
        match file.schema_version {
            1 => parsed.push_loss(
                "2FAS schema 1 carries no type, algorithm, digits or period: every entry is read as TOTP, SHA1, 6 digits, 30 s",
            ),
            2 => parsed.push_loss(
                "2FAS schema 2 carries no token type: every entry is read as TOTP",
            ),
            _ => {}
        }
        let collection_icons = services
            .iter()
            .filter(|s| s.icon.is_some() && badge(s.icon.as_ref()).is_none())
            .count();
        for service in services {
            let mut notes = Vec::new();
            let read = read_service(&service, file.schema_version, &groups, &mut notes);
            parsed.push_entry(read, &notes);
        }
        if collection_icons > 0 {
            parsed.push_loss(format!(
                "icons of the 2FAS collection are not imported ({} had one): Tessera shows its own brand icons, matched by issuer",
                super::counted(collection_icons, "entry", "entries")
            ));
        }
        parsed.non_empty()
    }
}

fn read_service(
    service: &Service,
    schema: u64,
    groups: &HashMap<&str, &str>,
    notes: &mut Vec<ParseNote>,
) -> Result<ImportedItem, InvalidItem> {
    let otp = &service.otp;
    let issuer = otp
        .issuer
        .clone()
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| service.name.clone());
    let name = otp.account.clone().unwrap_or_default();
    let invalid = |reason: String| InvalidItem::named(&issuer, &name, reason);
    let (algorithm, digits, kind) = if schema == 1 {
        (Algorithm::Sha1, 6, OtpKind::Totp { period: 30 })
    } else {
        let algorithm = match &otp.algorithm {
            None => Algorithm::Sha1,
            Some(a) => algorithm_named(a).map_err(&invalid)?,
        };
        let period = fits::<u32>(otp.period.unwrap_or(30), "period").map_err(&invalid)?;
        let kind = match otp
            .token_type
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            None | Some("TOTP") => OtpKind::Totp { period },
            Some("HOTP") => OtpKind::Hotp {
                counter: otp.counter.unwrap_or(0),
            },
            Some("STEAM") => OtpKind::Steam { period },
            Some(other) => return Err(invalid(format!("{other} tokens are not supported"))),
        };
        let digits = fits::<u8>(
            otp.digits.unwrap_or(u64::from(kind.default_digits())),
            "digits",
        )
        .map_err(&invalid)?;
        (algorithm, digits, kind)
    };
    let secret = base32_secret(&service.secret, notes).map_err(&invalid)?;
    let account =
        make_account(&issuer, &name, secret, algorithm, digits, kind).map_err(&invalid)?;
    let tags = service
        .group_id
        .as_deref()
        .and_then(|id| groups.get(id))
        .map(|name| vec![(*name).to_owned()])
        .unwrap_or_default();
    Ok(ImportedItem {
        account,
        details: Details {
            tags,
            icon: badge(service.icon.as_ref()),
            ..Details::default()
        },
    })
}

fn decrypt(encrypted: &str, password: &SecretString) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let bad = |what: &str| ImportError::malformed(FORMAT, "servicesEncrypted", what);
    let mut parts = encrypted.split(':');
    let (Some(body), Some(salt), Some(nonce), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("expected three parts separated by “:”"));
    };
    let body = base64_decode(body).ok_or_else(|| bad("the ciphertext is not base64"))?;
    let salt = base64_decode(salt).ok_or_else(|| bad("the salt is not base64"))?;
    let nonce = base64_decode(nonce).ok_or_else(|| bad("the nonce is not base64"))?;
    if nonce.len() != 12 {
        return Err(bad("the nonce is not 12 bytes"));
    }
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<Sha256>(
        password.expose().as_bytes(),
        &salt,
        PBKDF2_ROUNDS,
        key.as_mut_slice(),
    );
    aes_gcm_open(key.as_slice(), &nonce, &body).ok_or(ImportError::WrongPassword { format: FORMAT })
}
