//! `FreeOTP+` JSON exports: `tokens` with the secret as signed bytes.
//! `FreeOTP` stores an HOTP token's last used counter; the next one (+1) is
//! what we keep.
//!
//! Must never: put a secret into an error.

use serde::Deserialize;

use super::{
    Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed, algorithm_named, fits,
    label_of, make_account,
};
use crate::core::otp::{Algorithm, OtpKind};
use crate::core::secret::{SecretBytes, SecretString};

/// Importer for [`Format::FreeOtpPlus`].
pub struct FreeOtpPlus;

#[derive(Deserialize)]
struct File {
    tokens: Vec<Token>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Token {
    #[serde(default)]
    algo: Option<String>,
    #[serde(default)]
    counter: u64,
    #[serde(default)]
    digits: Option<u64>,
    #[serde(default)]
    issuer_ext: Option<String>,
    #[serde(default)]
    issuer_int: Option<String>,
    #[serde(default)]
    label: String,
    #[serde(default)]
    period: Option<u64>,
    secret: super::Wiped<Vec<i16>>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    image: Option<String>,
}

impl Importer for FreeOtpPlus {
    const FORMAT: Format = Format::FreeOtpPlus;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let file: File = super::from_json(Self::FORMAT, bytes)?;
        let mut parsed = Parsed::new(Self::FORMAT);
        let icons = file.tokens.iter().filter(|t| t.image.is_some()).count();
        for token in &file.tokens {
            parsed.entries.push(read_token(token));
        }
        parsed.icons_dropped(icons);
        parsed.non_empty()
    }
}

fn read_token(token: &Token) -> Result<ImportedItem, InvalidItem> {
    let issuer = token
        .issuer_ext
        .clone()
        .filter(|i| !i.is_empty())
        .or_else(|| token.issuer_int.clone())
        .unwrap_or_default();
    let invalid = |reason: String| InvalidItem {
        label: label_of(&issuer, &token.label),
        reason,
    };
    let algorithm = match &token.algo {
        None => Algorithm::Sha1,
        Some(a) => algorithm_named(a).ok_or_else(|| invalid(format!("unknown algorithm `{a}`")))?,
    };
    let period = fits::<u32>(token.period.unwrap_or(30), "period").map_err(&invalid)?;
    let kind = match token
        .kind
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("TOTP") => OtpKind::Totp { period },
        Some("HOTP") => OtpKind::Hotp {
            counter: token.counter.saturating_add(1),
        },
        Some("STEAM") => OtpKind::Steam { period },
        Some(other) => return Err(invalid(format!("{other} tokens are not supported"))),
    };
    let digits = fits::<u8>(
        token.digits.unwrap_or(u64::from(kind.default_digits())),
        "digits",
    )
    .map_err(&invalid)?;
    let mut bytes = Vec::with_capacity(token.secret.len());
    for &b in token.secret.iter() {
        // Java bytes: −128..=127; accept 0..=255 too.
        let byte = i8::try_from(b)
            .map(i8::cast_unsigned)
            .or_else(|_| u8::try_from(b))
            .map_err(|_| invalid("the secret holds a value that is not a byte".to_owned()))?;
        bytes.push(byte);
    }
    let account = make_account(
        &issuer,
        &token.label,
        SecretBytes::new(bytes),
        algorithm,
        digits,
        kind,
    )
    .map_err(&invalid)?;
    Ok(ImportedItem::new(account))
}
