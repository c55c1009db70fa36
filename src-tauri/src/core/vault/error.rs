//! [`VaultError`]: everything that can go wrong opening, unlocking or
//! changing a vault.
//!
//! Must never: carry secret material. Variants hold table names, ids,
//! versions, paths and fixed explanations; never a password, a key, an OTP
//! secret, a code, an issuer, an account name or a note. Errors from other
//! crates are mapped to text chosen here, never wrapped wholesale when they
//! could hold a secret (`keyring::Error::BadEncoding` holds the bytes it
//! could not decode).

use std::path::PathBuf;

use thiserror::Error;

/// What went wrong with the vault, specifically enough for the UI and the
/// CLI to tell the user what to do.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The password does not open the password slot (or that slot is
    /// damaged: the two cannot be told apart).
    #[error("wrong password")]
    WrongPassword,
    /// The operation needs an unlocked vault.
    #[error("the vault is locked")]
    Locked,
    /// One row could not be decrypted or parsed. The vault stays locked
    /// rather than show partial or wrong data.
    #[error("the vault is damaged: {table} row {id} cannot be read")]
    Corrupt { table: &'static str, id: String },
    /// Another process changed the vault's password, which replaced the
    /// vault key this handle held: it was locked, and nothing was written.
    #[error(
        "the vault's password was changed elsewhere (the CLI or another window), so it was locked; unlock it with the new password"
    )]
    KeyChanged,
    /// The header or a slot was changed by something other than Tessera.
    #[error("the vault header or one of its key slots was altered; restore a backup")]
    Tampered,
    /// The entry rows are not those the header check seals: a row was
    /// removed, added, copied or put back from an older copy of the file.
    #[error(
        "the vault's accounts were changed outside Tessera (a row was removed, added or put back from an older copy); restore a backup"
    )]
    RowsChanged,
    /// The file was written by a newer Tessera.
    #[error(
        "the vault was written by a newer version of Tessera (format {found}, this version reads up to {supported})"
    )]
    NewerFormat { found: u32, supported: u32 },
    /// The file is not a Tessera vault at all.
    #[error("{path} is not a Tessera vault", path = path.display())]
    NotAVault { path: PathBuf },
    /// Creating a vault (or a snapshot) where a file already exists.
    #[error("{path} already exists", path = path.display())]
    AlreadyExists { path: PathBuf },
    /// No account, backup code or vault file with that id or path.
    #[error("no {what} {id}")]
    NotFound { what: &'static str, id: String },
    /// The OS keyring cannot be used right now; unlock with the password.
    #[error("the OS keyring is unavailable ({reason}); unlock with the password instead")]
    KeyringUnavailable { reason: String },
    /// Keyring unlock was asked for, but the vault has no keyring slot.
    #[error("keyring unlock is not enabled for this vault")]
    NoKeyringSlot,
    /// A request that cannot be carried out as given (e.g. a reorder that
    /// is not a permutation of the accounts, KDF parameters out of range).
    #[error("invalid request: {reason}")]
    Invalid { reason: String },
    /// An account that does not pass `otp::Account::validate`.
    #[error("invalid account: {0}")]
    InvalidAccount(#[from] crate::core::otp::OtpError),
    /// File system error.
    #[error("I/O error on {path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `SQLite` error (disk full, busy for too long, unreadable file, ...).
    /// rusqlite errors name SQL and columns, never bound values.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// The operating system's random number generator failed.
    #[error("the system random number generator failed")]
    Random,
}

impl VaultError {
    /// `Corrupt` for `table`/`id`.
    pub(crate) fn corrupt(table: &'static str, id: impl Into<String>) -> Self {
        Self::Corrupt {
            table,
            id: id.into(),
        }
    }

    /// `Invalid` with a fixed explanation.
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::Invalid {
            reason: reason.into(),
        }
    }
}

/// Result of vault operations.
pub type Result<T, E = VaultError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::VaultError;

    #[test]
    fn messages_name_the_problem() {
        assert_eq!(VaultError::WrongPassword.to_string(), "wrong password");
        assert_eq!(
            VaultError::corrupt("accounts", "abc").to_string(),
            "the vault is damaged: accounts row abc cannot be read"
        );
        assert_eq!(
            VaultError::NewerFormat {
                found: 3,
                supported: 2
            }
            .to_string(),
            "the vault was written by a newer version of Tessera (format 3, this version reads up to 2)"
        );
        assert!(
            VaultError::KeyringUnavailable {
                reason: "no session bus".into()
            }
            .to_string()
            .contains("unlock with the password")
        );
    }
}
