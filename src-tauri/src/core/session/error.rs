//! [`SessionError`]: why a user action of the window's session failed.
//! Each variant is the error of the core module that failed, or one of the
//! few conditions the session itself meets; the Tauri layer turns it into
//! the `{code, message}` the web view branches on.
//!
//! Must never: carry a secret (the wrapped errors never do, and the
//! session's own messages are fixed sentences with ids or names).

use crate::core::intake::IntakeError;
use crate::core::otp::{MigrationError, OtpError};
use crate::core::qr::QrError;
use crate::core::server::ServerError;
use crate::core::settings::SettingsError;
use crate::core::transfer::{ExportError, ImportError};
use crate::core::user_file::UserFileError;
use crate::core::vault::VaultError;

/// Why a user action of the session failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error(transparent)]
    Otp(#[from] OtpError),
    /// Pasted text holds a Google Authenticator export that cannot be read.
    #[error("invalid Google Authenticator export: {0}")]
    Migration(MigrationError),
    #[error(transparent)]
    Server(#[from] ServerError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Qr(#[from] QrError),
    #[error(transparent)]
    File(#[from] UserFileError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Intake(#[from] IntakeError),
    /// A sync action failed (the vault's own errors come as `Vault`).
    #[error(transparent)]
    Sync(crate::core::sync::SyncError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The vault must be unlocked for this; the text says for what.
    #[error("{0}")]
    Locked(&'static str),
    /// The request cannot be carried out as given; the text says why.
    #[error("{0}")]
    Invalid(String),
    /// No account, server or pending preview by that id or name.
    #[error("{0}")]
    NotFound(String),
    /// A bug or a state that should not happen; the text says what.
    #[error("{0}")]
    Internal(String),
}

impl SessionError {
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::Internal(message.into())
    }
}

/// What a session action returns.
pub type Result<T, E = SessionError> = std::result::Result<T, E>;
