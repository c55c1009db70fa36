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

/// A token as `FreeOTP` and `FreeOTP+` write it (`FreeOTP` 2's backups keep
/// the secret apart, encrypted).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Token {
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
    #[serde(default)]
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
    let mut bytes = Vec::with_capacity(token.secret.len());
    for &b in token.secret.iter() {
        // Java bytes: −128..=127; accept 0..=255 too.
        let byte = i8::try_from(b)
            .map(i8::cast_unsigned)
            .or_else(|_| u8::try_from(b))
            .map_err(|_| token.invalid("the secret holds a value that is not a byte".to_owned()))?;
        bytes.push(byte);
    }
    token.item(SecretBytes::new(bytes))
}

impl Token {
    fn issuer(&self) -> String {
        self.issuer_ext
            .clone()
            .filter(|i| !i.is_empty())
            .or_else(|| self.issuer_int.clone())
            .unwrap_or_default()
    }

    /// Whether the token has a picture of its own (not imported).
    pub(crate) fn has_image(&self) -> bool {
        self.image.is_some()
    }

    pub(crate) fn invalid(&self, reason: String) -> InvalidItem {
        InvalidItem::named(&self.issuer(), &self.label, reason)
    }

    /// The account this token's parameters make with `secret`.
    pub(crate) fn item(&self, secret: SecretBytes) -> Result<ImportedItem, InvalidItem> {
        let issuer = self.issuer();
        let invalid = |reason: String| InvalidItem::named(&issuer, &self.label, reason);
        // FreeOTP and FreeOTP+ store the counter of the last code shown.
        let (algorithm, kind, digits) = NamedParameters {
            algorithm: self.algo.as_deref(),
            kind: self.kind.as_deref(),
            period: self.period,
            digits: self.digits,
            counter: self.counter.saturating_add(1),
        }
        .resolve()
        .map_err(&invalid)?;
        let account = make_account(&issuer, &self.label, secret, algorithm, digits, kind)
            .map_err(&invalid)?;
        Ok(ImportedItem::new(account))
    }
}
