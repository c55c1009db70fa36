//! Google Authenticator's own database (`databases`, in
//! `/data/data/com.google.android.apps.authenticator2/databases/`, copied
//! off a rooted phone): table `accounts` with `email` (the account name,
//! `Issuer:name` in rows from before issuers), `secret` (base32), `counter`,
//! `type` (0 TOTP, 1 HOTP), `issuer`; later versions add `isencrypted`
//! (1 when the secret is sealed with a key in the phone's keystore).
//! The app computes SHA1, 6-digit, 30 s codes only, so the table has no
//! column for them.
//!
//! Must never: put a secret into an error.

use zeroize::Zeroizing;

use super::app_database::{self, Kind};
use super::{
    Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed, base32_secret, make_account,
};
use crate::core::otp::{Algorithm, OtpKind};
use crate::core::secret::SecretString;

/// Importer for [`Format::GoogleAuthenticatorDb`].
pub struct GoogleAuthenticatorDb;

const FORMAT: Format = Format::GoogleAuthenticatorDb;
const TYPE_TOTP: i64 = 0;
const TYPE_HOTP: i64 = 1;

struct Row {
    email: String,
    issuer: String,
    secret: Zeroizing<String>,
    counter: i64,
    kind: Option<i64>,
    encrypted: bool,
}

impl Importer for GoogleAuthenticatorDb {
    const FORMAT: Format = FORMAT;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let connection = app_database::open(FORMAT, bytes)?;
        let kind = app_database::kind(&connection);
        if kind != Kind::GoogleAuthenticator {
            return Err(app_database::not_an_export(kind));
        }
        let rows = app_database::rows(
            &connection,
            FORMAT,
            "accounts",
            &[
                "email",
                "issuer",
                "secret",
                "counter",
                "type",
                "isencrypted",
            ],
            |row| {
                Ok(Row {
                    email: row.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    issuer: row.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    secret: Zeroizing::new(row.get::<_, Option<String>>(2)?.unwrap_or_default()),
                    counter: row.get::<_, Option<i64>>(3)?.unwrap_or(0),
                    kind: row.get::<_, Option<i64>>(4)?,
                    encrypted: row.get::<_, Option<i64>>(5)?.unwrap_or(0) != 0,
                })
            },
        )?;
        let mut parsed = Parsed::new(FORMAT);
        for row in rows {
            let mut notes = Vec::new();
            let read = read_row(&row, &mut notes);
            parsed.push_entry(read, &notes);
        }
        app_database::report_wal(&mut parsed, bytes, "databases");
        parsed.non_empty()
    }
}

fn read_row(
    row: &Row,
    notes: &mut Vec<crate::core::otp::ParseNote>,
) -> Result<ImportedItem, InvalidItem> {
    // Rows from before the `issuer` column keep it as a label prefix.
    let (issuer, name) = match (row.issuer.is_empty(), row.email.split_once(':')) {
        (true, Some((issuer, name))) => (issuer.trim(), name.trim()),
        (false, Some((prefix, name))) if prefix == row.issuer => (row.issuer.as_str(), name.trim()),
        _ => (row.issuer.as_str(), row.email.as_str()),
    };
    let invalid = |reason: &str| InvalidItem::named(issuer, name, reason.to_owned());
    if row.encrypted {
        return Err(invalid(
            "the secret is encrypted with a key kept in the phone's keystore, which a copied database does not have: use the app's “Transfer accounts” export instead",
        ));
    }
    let kind = match row.kind {
        Some(TYPE_TOTP) | None => OtpKind::Totp { period: 30 },
        Some(TYPE_HOTP) => OtpKind::Hotp {
            counter: u64::try_from(row.counter).map_err(|_| invalid("the counter is negative"))?,
        },
        Some(_) => return Err(invalid("the account type is neither TOTP (0) nor HOTP (1)")),
    };
    let secret = base32_secret(&row.secret, notes).map_err(|e| invalid(&e))?;
    let account =
        make_account(issuer, name, secret, Algorithm::Sha1, 6, kind).map_err(|e| invalid(&e))?;
    Ok(ImportedItem::new(account))
}
