//! Microsoft Authenticator's own database (`PhoneFactor`, in
//! `/data/data/com.azure.authenticator/databases/`, copied off a rooted
//! phone): table `accounts` with `name` (the issuer), `username`,
//! `oath_secret_key` and `account_type`: 0 is a TOTP account (base32
//! secret, 6 digits), 1 a personal Microsoft account (base64 secret,
//! 8 digits); other types (work or school accounts) sign in by
//! notification and hold no code secret. Codes are SHA1 over 30 s.
//!
//! Must never: put a secret into an error.

use zeroize::Zeroizing;

use super::app_database::{self, Kind};
use super::{
    Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed, base32_secret, base64_decode,
    counted, make_account,
};
use crate::core::otp::{Algorithm, OtpKind, ParseNote};
use crate::core::secret::{SecretBytes, SecretString};

/// Importer for [`Format::MicrosoftAuthenticatorDb`].
pub struct MicrosoftAuthenticatorDb;

const FORMAT: Format = Format::MicrosoftAuthenticatorDb;
const TYPE_TOTP: i64 = 0;
const TYPE_MICROSOFT: i64 = 1;

struct Row {
    name: String,
    username: String,
    secret: Zeroizing<String>,
    kind: i64,
}

impl Importer for MicrosoftAuthenticatorDb {
    const FORMAT: Format = FORMAT;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let connection = app_database::open(FORMAT, bytes)?;
        let kind = app_database::kind(&connection);
        if kind != Kind::MicrosoftAuthenticator {
            return Err(app_database::not_an_export(kind));
        }
        let rows = app_database::rows(
            &connection,
            FORMAT,
            "accounts",
            &["name", "username", "oath_secret_key", "account_type"],
            |row| {
                Ok(Row {
                    name: row.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    username: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    secret: Zeroizing::new(row.get::<_, Option<String>>(2)?.unwrap_or_default()),
                    kind: row.get::<_, Option<i64>>(3)?.unwrap_or(TYPE_TOTP),
                })
            },
        )?;
        let mut parsed = Parsed::new(FORMAT);
        let mut without_codes = 0;
        for row in rows {
            if !matches!(row.kind, TYPE_TOTP | TYPE_MICROSOFT) {
                without_codes += 1;
                continue;
            }
            let mut notes = Vec::new();
            let read = read_row(&row, &mut notes);
            parsed.push_entry(read, &notes);
        }
        if without_codes > 0 {
            parsed.push_loss(format!(
                "{} signing in by notification (work or school) not imported: they hold no code secret",
                counted(without_codes, "account", "accounts")
            ));
        }
        app_database::report_wal(&mut parsed, bytes, "PhoneFactor");
        parsed.non_empty()
    }
}

fn read_row(row: &Row, notes: &mut Vec<ParseNote>) -> Result<ImportedItem, InvalidItem> {
    let invalid = |reason: &str| InvalidItem::named(&row.name, &row.username, reason.to_owned());
    if row.secret.trim().is_empty() {
        return Err(invalid(
            "the row holds no secret (oath_secret_key is empty)",
        ));
    }
    let (secret, digits) = if row.kind == TYPE_MICROSOFT {
        let bytes = base64_decode(&row.secret)
            .ok_or_else(|| invalid("the secret of a Microsoft account is not base64"))?;
        (SecretBytes::from_slice(&bytes), 8)
    } else {
        (
            base32_secret(&row.secret, notes).map_err(|e| invalid(&e))?,
            6,
        )
    };
    let account = make_account(
        &row.name,
        &row.username,
        secret,
        Algorithm::Sha1,
        digits,
        OtpKind::Totp { period: 30 },
    )
    .map_err(|e| invalid(&e))?;
    Ok(ImportedItem::new(account))
}
