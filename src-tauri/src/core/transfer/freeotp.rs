//! `FreeOTP+` JSON exports: `tokens` with the secret as signed bytes.
//! `FreeOTP` stores an HOTP token's last used counter; the next one (+1) is
//! what we keep.
//!
//! Must never: put a secret into an error.

use serde::Deserialize;

use super::{
    Format, ImportError, ImportedItem, Importer, InvalidItem, NamedParameters, Parsed, make_account,
};
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
    let invalid = |reason: String| InvalidItem::named(&issuer, &token.label, reason);
    // FreeOTP+ stores the counter of the last code it showed.
    let (algorithm, kind, digits) = NamedParameters {
        algorithm: token.algo.as_deref(),
        kind: token.kind.as_deref(),
        period: token.period,
        digits: token.digits,
        counter: token.counter.saturating_add(1),
    }
    .resolve()
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
