//! What the unlocked vault holds in memory: [`Entry`] (an `otp::Account`
//! with its [`Details`], times and [`BackupCode`]s).
//!
//! Owns: the in-memory shape of a stored account and wiping it.
//!
//! Must never: be `Serialize` (an entry holds a secret; the on-disk form is
//! the private DTO in `payload`), or print secrets in `Debug`.

use uuid::Uuid;
use zeroize::Zeroize;

use crate::core::clock::Timestamp;
use crate::core::icon::AccountIcon;
use crate::core::otp::Account;
use crate::core::secret::SecretString;

/// Display data kept beside the account's cryptographic parameters; all of
/// it is encrypted on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    pub tags: Vec<String>,
    pub favorite: bool,
    pub note: String,
    /// A picture or badge the account brought from another app; `None`
    /// shows the issuer's brand icon or the account's initial.
    pub icon: Option<AccountIcon>,
}

impl Details {
    pub(crate) fn wipe(&mut self) {
        self.tags.zeroize();
        self.note.zeroize();
        if let Some(icon) = &mut self.icon {
            icon.wipe();
        }
        self.icon = None;
        self.favorite = false;
    }
}

/// What a person may change of a stored account: everything but its
/// secret, its kind and its HOTP counter (those come from the service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountEdit {
    pub issuer: String,
    pub name: String,
    pub algorithm: crate::core::otp::Algorithm,
    pub digits: u8,
    /// Seconds per code, for TOTP and Steam; ignored for HOTP.
    pub period: Option<u32>,
    pub tags: Vec<String>,
    pub note: String,
    pub favorite: bool,
}

/// One backup (recovery) code of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupCode {
    pub id: Uuid,
    /// The code as the service gave it (`Debug` prints `<redacted>`).
    pub code: SecretString,
    pub created_at: Timestamp,
    /// When it was marked used; `None` while unused.
    pub used_at: Option<Timestamp>,
}

/// One stored account, decrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Shown to users in its hyphenated form; the CLI matches substrings of it.
    pub id: Uuid,
    pub account: Account,
    pub details: Details,
    /// Display order (ascending).
    pub position: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    /// In the order they were added.
    pub backup_codes: Vec<BackupCode>,
}

impl Entry {
    /// Whether `query` (already lowercase) is a substring of the id, the
    /// issuer, the account name or a tag, ignoring case. An empty query
    /// matches everything.
    pub fn matches(&self, query_lower: &str) -> bool {
        contains_lower(&self.id.hyphenated().to_string(), query_lower)
            || contains_lower(&self.account.issuer, query_lower)
            || contains_lower(&self.account.name, query_lower)
            || self
                .details
                .tags
                .iter()
                .any(|t| contains_lower(t, query_lower))
    }

    /// Overwrites every decrypted field (the secret, names, tags, note,
    /// backup codes) with zeros and empties it.
    pub(crate) fn wipe(&mut self) {
        self.account.secret.zeroize();
        self.account.issuer.zeroize();
        self.account.name.zeroize();
        for (k, v) in &mut self.account.extra_params {
            k.zeroize();
            v.zeroize();
        }
        self.account.extra_params.clear();
        self.details.wipe();
        for code in &mut self.backup_codes {
            code.code.zeroize();
        }
        self.backup_codes.clear();
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.wipe();
    }
}

fn contains_lower(haystack: &str, query_lower: &str) -> bool {
    if query_lower.is_empty() {
        return true;
    }
    if haystack.is_ascii() && query_lower.is_ascii() {
        let (h, q) = (haystack.as_bytes(), query_lower.as_bytes());
        return h.len() >= q.len() && h.windows(q.len()).any(|w| w.eq_ignore_ascii_case(q));
    }
    haystack.to_lowercase().contains(query_lower)
}

#[cfg(test)]
mod tests {
    use super::contains_lower;

    #[test]
    fn case_insensitive_substring() {
        assert!(contains_lower("GitHub", "hub"));
        assert!(contains_lower("GitHub", ""));
        assert!(!contains_lower("Git", "github"));
        assert!(contains_lower("ÄBC", "äb"));
    }
}
