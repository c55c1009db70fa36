//! What can go wrong on the command line, as one line for stderr. Never
//! holds a secret: vault and otp errors are secret-free by construction,
//! and query matches list ids and labels only.

use thiserror::Error;

use crate::core::{otp::OtpError, settings::SettingsError, vault::VaultError};

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CliError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Qr(#[from] crate::core::qr::QrError),
    #[error("{path}: {source}", path = path.display())]
    QrFile {
        path: std::path::PathBuf,
        source: crate::core::qr::QrError,
    },
    #[error(transparent)]
    Server(#[from] crate::core::server::ServerError),
    #[error(transparent)]
    Import(#[from] crate::core::transfer::ImportError),
    #[error(transparent)]
    Export(#[from] crate::core::transfer::ExportError),
    #[error("invalid otpauth URI: {0}")]
    Uri(OtpError),
    #[error("invalid otpauth URI on line {line}: {source}")]
    UriLine { line: usize, source: OtpError },
    #[error("cannot compute the code: {0}")]
    Code(OtpError),
    #[error("no vault at {path}: create one with `tessera init`", path = path.display())]
    NoVault { path: std::path::PathBuf },
    #[error("no account matches {query:?}{}", did_you_mean(suggestions))]
    NoMatch {
        query: String,
        /// Labels of accounts a few typing mistakes away.
        suggestions: Vec<String>,
    },
    #[error("{query:?} matches {} accounts, be more specific: {}", matches.len(), matches.join("; "))]
    Ambiguous { query: String, matches: Vec<String> },
    #[error("no unused backup code {position} of the ones given matches account {account}")]
    UnknownBackupCode { account: String, position: usize },
    #[error("{0}")]
    Password(String),
    /// A value the command needs is missing or malformed (never quoted).
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    PrivateFile(#[from] crate::core::private_file::PrivateFileError),
    /// A file the user named could not be read (missing, too large, or the
    /// open vault itself).
    #[error(transparent)]
    File(#[from] crate::core::user_file::UserFileError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("could not write JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl CliError {
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}

/// "; did you mean GitHub:alice or GitLab:alice?", or nothing.
impl CliError {
    /// The exit status: 2 when no account matched the query (scripts
    /// branch on it), 1 for every other failure.
    pub fn exit_code(&self) -> std::process::ExitCode {
        match self {
            Self::NoMatch { .. } => std::process::ExitCode::from(2),
            _ => std::process::ExitCode::FAILURE,
        }
    }
}

fn did_you_mean(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!("; did you mean {one}?"),
        [first @ .., last] => format!("; did you mean {} or {last}?", first.join(", ")),
    }
}
