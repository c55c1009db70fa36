//! Google Authenticator's "Transfer accounts" export as text: one
//! `otpauth-migration://offline?data=` URI per line (a batch each; blank
//! lines and `#` comments skipped). The payload codec is
//! [`crate::core::otp::migration`]; this module only splits lines and
//! reports problems with their line numbers.
//!
//! Must never: quote a line in an error (it holds secrets).

use super::{Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed, utf8};
use crate::core::otp::Account;
use crate::core::otp::migration::{
    check_migration_compatible, format_migration_uris, parse_migration_uri,
};
use crate::core::secret::SecretString;

/// Importer for [`Format::GoogleMigration`].
pub struct GoogleMigration;

const FORMAT: Format = Format::GoogleMigration;

impl Importer for GoogleMigration {
    const FORMAT: Format = FORMAT;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let text = utf8(FORMAT, bytes)?;
        let mut parsed = Parsed::new(FORMAT);
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let location = format!("line {}", index + 1);
            if !line
                .get(..18)
                .is_some_and(|p| p.eq_ignore_ascii_case("otpauth-migration:"))
            {
                return Err(ImportError::malformed(
                    FORMAT,
                    location,
                    "not an otpauth-migration:// URI",
                ));
            }
            let batch = parse_migration_uri(line)
                .map_err(|e| ImportError::malformed(FORMAT, location, e.to_string()))?;
            parsed
                .entries
                .extend(batch.accounts.into_iter().map(|a| Ok(ImportedItem::new(a))));
        }
        parsed.non_empty()
    }
}

/// The `otpauth-migration://` URIs (one per QR code) holding `accounts`.
/// Accounts the format cannot carry are left out (see [`left_out`]). Each
/// string holds secrets.
pub fn export<'a>(accounts: impl IntoIterator<Item = &'a Account>) -> Vec<String> {
    let accounts: Vec<Account> = accounts.into_iter().cloned().collect();
    format_migration_uris(&accounts)
}

/// The accounts [`export`] leaves out, and why (Steam, a period other than
/// 30 s, digits other than 6 or 8).
pub fn left_out<'a>(accounts: impl IntoIterator<Item = &'a Account>) -> Vec<InvalidItem> {
    accounts
        .into_iter()
        .filter_map(|account| {
            check_migration_compatible(account)
                .err()
                .map(|e| InvalidItem::named(&account.issuer, &account.name, e.to_string()))
        })
        .collect()
}
