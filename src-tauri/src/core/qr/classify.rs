//! Classifying the text of a QR code: one `otpauth://` account, one part of
//! a Google Authenticator export (`otpauth-migration://`), or neither.
//!
//! Must never: keep or log the text (it holds secrets), or guess an account
//! from text that is not one of the two URI schemes.

use super::error::QrError;
use crate::core::otp::{Account, MigrationBatch, parse_migration_uri, parse_uri};

/// What a QR code holds, when it holds 2FA data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QrContent {
    /// An `otpauth://` URI.
    Account(Account),
    /// One part of a Google Authenticator "Transfer accounts" export.
    Migration(MigrationBatch),
}

impl QrContent {
    /// The accounts it holds (for a migration part: only this part's).
    pub fn accounts(&self) -> &[Account] {
        match self {
            Self::Account(account) => std::slice::from_ref(account),
            Self::Migration(batch) => &batch.accounts,
        }
    }

    /// Consumes it into its accounts.
    pub fn into_accounts(self) -> Vec<Account> {
        match self {
            Self::Account(account) => vec![account],
            Self::Migration(batch) => batch.accounts,
        }
    }
}

/// Reads the text of one QR code.
///
/// # Errors
/// `NoOtpData` when the text is neither an `otpauth://` nor an
/// `otpauth-migration://` URI; `InvalidOtpUri` / `InvalidMigration` when it
/// is one but does not parse.
pub fn classify(text: &str) -> Result<QrContent, QrError> {
    let text = text.trim();
    let scheme = text.split_once("://").map(|(scheme, _)| scheme);
    match scheme {
        Some(s) if s.eq_ignore_ascii_case("otpauth") => parse_uri(text)
            .map(QrContent::Account)
            .map_err(|source| QrError::InvalidOtpUri { source }),
        Some(s) if s.eq_ignore_ascii_case("otpauth-migration") => parse_migration_uri(text)
            .map(QrContent::Migration)
            .map_err(|source| QrError::InvalidMigration { source }),
        _ => Err(QrError::NoOtpData),
    }
}

/// Classifies every text of one picture. Texts with no OTP data are
/// skipped as long as at least one has some.
///
/// # Errors
/// `NoOtpData` when no text holds OTP data; the first `InvalidOtpUri` /
/// `InvalidMigration` otherwise.
pub fn classify_all(texts: &[String]) -> Result<Vec<QrContent>, QrError> {
    let mut contents = Vec::new();
    for text in texts {
        match classify(text) {
            Ok(content) => contents.push(content),
            Err(QrError::NoOtpData) => {}
            Err(error) => return Err(error),
        }
    }
    if contents.is_empty() {
        return Err(QrError::NoOtpData);
    }
    Ok(contents)
}

#[cfg(test)]
mod tests {
    use super::{QrContent, classify, classify_all};
    use crate::core::otp::MigrationError;
    use crate::core::qr::QrError;

    const URI: &str = "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&issuer=A";

    #[test]
    fn classifies_the_three_kinds() {
        assert!(matches!(classify(URI), Ok(QrContent::Account(_))));
        assert!(matches!(
            classify(&URI.replace("otpauth", "OTPAUTH")),
            Ok(QrContent::Account(_))
        ));
        let migration = "otpauth-migration://offline?data=CjUKEPqlBekzoNEukL7qlsjBCDYSDnBpQHJhc3BiZXJyeXBpGgtyYXNwYmVycnlwaSABKAEwAhABGAEgACjr4JKK%2B%2F%2F%2F%2F%2F8B";
        let Ok(QrContent::Migration(batch)) = classify(migration) else {
            panic!("not a migration")
        };
        assert_eq!(batch.accounts.len(), 1);
        assert_eq!(classify("https://example.com"), Err(QrError::NoOtpData));
        assert_eq!(classify("hello"), Err(QrError::NoOtpData));
        assert!(matches!(
            classify("otpauth://totp/x"),
            Err(QrError::InvalidOtpUri { .. })
        ));
        assert_eq!(
            classify("otpauth-migration://offline?data=XX*X"),
            Err(QrError::InvalidMigration {
                source: MigrationError::InvalidBase64 { position: 2 }
            })
        );
    }

    #[test]
    fn classify_all_skips_other_codes_but_not_broken_ones() {
        let texts = vec!["https://example.com".to_owned(), URI.to_owned()];
        let contents = classify_all(&texts).unwrap();
        assert_eq!(contents.len(), 1);
        assert_eq!(contents[0].accounts().len(), 1);
        assert_eq!(classify_all(&["x".to_owned()]), Err(QrError::NoOtpData));
        assert!(matches!(
            classify_all(&[URI.to_owned(), "otpauth://totp/x".to_owned()]),
            Err(QrError::InvalidOtpUri { .. })
        ));
    }
}
