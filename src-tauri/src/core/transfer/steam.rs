//! Steam Guard `maFile`s (Steam Desktop Authenticator and compatible
//! tools): one account object with a base64 `shared_secret`, or
//! `{"accounts": {id: account, ...}}`. Only the code-generating
//! `shared_secret` is imported; the identity secret (trade confirmations)
//! and the revocation code are reported as not imported.
//!
//! Must never: put a secret or the revocation code into an error.

use serde::Deserialize;
use serde_json::Value;

use super::{
    Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed, base64_decode, make_account,
};
use crate::core::otp::{Algorithm, OtpKind};
use crate::core::secret::{SecretBytes, SecretString};

/// Importer for [`Format::Steam`].
pub struct Steam;

#[derive(Deserialize)]
struct MaFile {
    shared_secret: super::Wiped<String>,
    #[serde(default)]
    account_name: String,
    #[serde(default)]
    identity_secret: Option<Value>,
    #[serde(default)]
    revocation_code: Option<Value>,
}

impl Importer for Steam {
    const FORMAT: Format = Format::Steam;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let format = Self::FORMAT;
        let value: Value = super::from_json(format, bytes)?;
        let accounts: Vec<Value> = match value {
            Value::Object(mut map) if !map.contains_key("shared_secret") => {
                match map.remove("accounts") {
                    Some(Value::Object(accounts)) => accounts.into_iter().map(|(_, v)| v).collect(),
                    _ => {
                        return Err(ImportError::malformed(
                            format,
                            "top level",
                            "neither a maFile nor an “accounts” object",
                        ));
                    }
                }
            }
            other @ Value::Object(_) => vec![other],
            _ => {
                return Err(ImportError::malformed(
                    format,
                    "top level",
                    "not a JSON object",
                ));
            }
        };
        let mut parsed = Parsed::new(format);
        let mut extra = 0;
        for (index, value) in accounts.into_iter().enumerate() {
            let Ok(file) = serde_json::from_value::<MaFile>(value) else {
                parsed.entries.push(Err(InvalidItem::at(
                    format!("account {}", index + 1),
                    "no shared_secret".to_owned(),
                )));
                continue;
            };
            if file.identity_secret.is_some() || file.revocation_code.is_some() {
                extra += 1;
            }
            let invalid = |reason: String| InvalidItem::named("Steam", &file.account_name, reason);
            let read = base64_decode(&file.shared_secret)
                .ok_or_else(|| invalid("shared_secret is not base64".to_owned()))
                .and_then(|secret| {
                    make_account(
                        "Steam",
                        &file.account_name,
                        SecretBytes::from_slice(&secret),
                        Algorithm::Sha1,
                        5,
                        OtpKind::Steam { period: 30 },
                    )
                    .map_err(&invalid)
                });
            parsed.entries.push(read.map(ImportedItem::new));
        }
        if extra > 0 {
            parsed.push_loss(
                "the identity secret (trade confirmations) and the revocation code are not imported: keep the maFile for those",
            );
        }
        parsed.non_empty()
    }
}
