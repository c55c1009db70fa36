//! [`ImportError`] and [`ExportError`]: what can go wrong reading a foreign
//! file or writing one.
//!
//! Must never: carry secret material. Variants hold the format, a place in
//! the file (a line, a column, a JSON path, an entry number) and the name of
//! the problem; never a value read from the file (a parser's own message can
//! quote a secret, so JSON errors keep only their position and category).

use std::path::PathBuf;

use thiserror::Error;

use super::Format;
use crate::core::user_file::UserFileError;
use crate::core::vault::VaultError;

/// Why a file could not be imported as a whole. Problems with single
/// entries are not errors: the preview lists them as invalid.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The content matches none of the formats Tessera reads.
    #[error(
        "unrecognised file: not an otpauth list, Google migration, Aegis, 2FAS, andOTP, Bitwarden, Ente, FreeOTP, FreeOTP+, LastPass, Authenticator Pro, Proton, 1Password, KeePass, Steam or Tessera backup file, nor a Google or Microsoft Authenticator database"
    )]
    UnknownFormat,
    /// A file Tessera recognises as another program's, which holds no
    /// export it can read (an app's own database of an unknown kind, a file
    /// sealed with a key only that app or account has). `what` says what it
    /// is and what to export instead; it is written here, never read from
    /// the file.
    #[error("{what}")]
    NotAnExport { what: &'static str },
    /// A format Tessera recognises but a variant or version it cannot read.
    #[error("{format}: {what} is not supported")]
    Unsupported { format: Format, what: String },
    /// The file is encrypted and no password was given.
    #[error("{format}: the file is encrypted; a password is needed")]
    PasswordRequired { format: Format },
    /// The password does not open the file.
    #[error("{format}: wrong password")]
    WrongPassword { format: Format },
    /// The file is damaged or not what its format says: `what` is wrong at
    /// `location` (e.g. `line 3`, `line 1, column 40`, `header.slots[0].nonce`).
    #[error("{format}: malformed file at {location}: {what}")]
    Malformed {
        format: Format,
        location: String,
        what: String,
    },
    /// The file holds no account at all.
    #[error("{format}: the file holds no accounts")]
    Empty { format: Format },
    /// Deriving the file's key would take more memory or time than an
    /// import takes without asking (`kdf_guard`); allowed, it goes on.
    #[error(
        "{format}: opening this file takes {memory_mib} MiB of memory and about {seconds} s to derive its key; confirm to go on"
    )]
    CostlyKeyDerivation {
        format: Format,
        memory_mib: u64,
        seconds: u64,
    },
    /// The import was cancelled before its key was derived.
    #[error("{format}: the import was cancelled")]
    Cancelled { format: Format },
    /// Reading the file failed.
    #[error("cannot read {path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file named for import cannot be read (missing, too large, or a
    /// vault this process has open).
    #[error(transparent)]
    File(#[from] UserFileError),
    /// The vault refused the commit (nothing was written), or a Tessera
    /// backup could not be opened.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl ImportError {
    pub(crate) fn malformed(
        format: Format,
        location: impl Into<String>,
        what: impl Into<String>,
    ) -> Self {
        Self::Malformed {
            format,
            location: location.into(),
            what: what.into(),
        }
    }

    /// A JSON parse error with its position and category only (serde's
    /// message may quote a value from the file, which can be a secret).
    pub(crate) fn json(format: Format, error: &serde_json::Error) -> Self {
        use serde_json::error::Category;
        let what = match error.classify() {
            Category::Io => "the file could not be read",
            Category::Syntax => "not valid JSON",
            Category::Data => "a field is missing or has the wrong type",
            Category::Eof => "the file ends too early",
        };
        Self::malformed(
            format,
            format!("line {}, column {}", error.line(), error.column()),
            what,
        )
    }
}

/// Why an export could not be written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExportError {
    /// A plaintext format was asked for without the explicit consent
    /// (`--yes-plaintext` on the command line).
    #[error(
        "{format} writes every secret in plain text; confirm with --yes-plaintext, or choose an encrypted format"
    )]
    PlaintextNotConfirmed { format: &'static str },
    /// An encrypted format needs a password.
    #[error("{format} needs a password to encrypt the export")]
    PasswordRequired { format: &'static str },
    /// The account cannot be expressed in the target format.
    #[error("{format} cannot hold account {label}: {what}")]
    Unrepresentable {
        format: &'static str,
        label: String,
        what: String,
    },
    /// The destination exists; exports never overwrite a file.
    #[error("{path} already exists; exports never overwrite a file", path = path.display())]
    AlreadyExists { path: PathBuf },
    /// A Google QR picture could not be drawn.
    #[error("cannot draw the QR code: {0}")]
    Qr(#[from] crate::core::qr::QrError),
    /// Key derivation or encryption failed (bad parameters, no randomness).
    #[error("cannot encrypt the export: {what}")]
    Crypto { what: String },
    /// Writing the file failed.
    #[error("cannot write {path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The vault refused (locked) or the backup snapshot failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
}
