//! The one error type the web view sees: `{ "code": ..., "message": ... }`.
//! The UI branches on `code`; `message` is for people and never holds a
//! secret (core errors never carry one, so their text is passed on).

use serde::Serialize;
use specta::Type;

use crate::core::otp::OtpError;
use crate::core::qr::QrError;
use crate::core::server::ServerError;
use crate::core::session::SessionError;
use crate::core::settings::SettingsError;
use crate::core::sync::SyncError;
use crate::core::transfer::{ExportError, ImportError};
use crate::core::user_file::UserFileError;
use crate::core::vault::VaultError;

/// What went wrong, as a stable code the UI can branch on. Add a code only
/// when the UI needs to tell it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IpcErrorCode {
    /// The password does not open the vault.
    WrongPassword,
    /// The vault must be unlocked first.
    Locked,
    /// The vault file is damaged, altered, or not a Tessera vault.
    Corrupt,
    /// The vault was written by a newer Tessera.
    NewerFormat,
    /// The OS keyring cannot be used (or keyring unlock is off); use the password.
    KeyringUnavailable,
    /// An `otpauth://` URI or an account's fields are not valid; the message names the problem.
    InvalidUri,
    /// A request that cannot be carried out as given (empty password, bad order, ...).
    Invalid,
    /// No account, backup code or vault file with that id.
    NotFound,
    /// A vault already exists there.
    AlreadyExists,
    /// A file could not be read or written.
    Io,
    /// A file password is needed: the file to import is encrypted, or an encrypted export was given none.
    PasswordRequired,
    /// Opening the file to import takes more memory or time than an import
    /// takes without asking; the message says how much. Ask, then import
    /// again with `allow_costly`.
    CostlyKeyDerivation,
    /// The import was cancelled (`cancel_import`).
    Cancelled,
    /// A server asked to wait (too many attempts, or the account is
    /// locked); `list_servers` says for how long.
    RateLimited,
    /// A server refused the request or could not be reached; the message
    /// says why, in the server's words where it gave any.
    Server,
    /// A sync could not reach or use its remote, or refused what it found
    /// there (altered, rolled back, replayed); the message says which.
    /// Local changes are kept for the next sync.
    Sync,
    /// A bug or an unexpected state; the message says what.
    Internal,
}

/// An error returned by a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type, thiserror::Error)]
#[error("{message}")]
pub struct IpcError {
    pub code: IpcErrorCode,
    pub message: String,
}

impl IpcError {
    pub fn new(code: IpcErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `Invalid` with a fixed explanation.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(IpcErrorCode::Invalid, message)
    }

    /// `Internal` with a fixed explanation.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(IpcErrorCode::Internal, message)
    }
}

impl From<SessionError> for IpcError {
    fn from(error: SessionError) -> Self {
        match error {
            SessionError::Vault(error) => error.into(),
            SessionError::Otp(error) => error.into(),
            error @ SessionError::Migration(_) => {
                Self::new(IpcErrorCode::InvalidUri, error.to_string())
            }
            SessionError::Server(error) => error.into(),
            SessionError::Import(error) => error.into(),
            SessionError::Export(error) => error.into(),
            SessionError::Qr(error) => error.into(),
            SessionError::File(error) => error.into(),
            SessionError::Settings(error) => error.into(),
            SessionError::Io(error) => error.into(),
            SessionError::Intake(error) => Self::new(IpcErrorCode::NotFound, error.to_string()),
            SessionError::Sync(error) => error.into(),
            SessionError::Locked(what) => Self::new(IpcErrorCode::Locked, what),
            SessionError::Invalid(message) => Self::invalid(message),
            SessionError::NotFound(message) => Self::new(IpcErrorCode::NotFound, message),
            other => Self::internal(other.to_string()),
        }
    }
}

/// The UI branches on `password_required` (show the password field) and
/// `wrong_password` (say so, keep the file).
impl From<ImportError> for IpcError {
    fn from(error: ImportError) -> Self {
        let message = error.to_string();
        let code = match error {
            ImportError::PasswordRequired { .. } => IpcErrorCode::PasswordRequired,
            ImportError::WrongPassword { .. } => IpcErrorCode::WrongPassword,
            ImportError::CostlyKeyDerivation { .. } => IpcErrorCode::CostlyKeyDerivation,
            ImportError::Cancelled { .. } => IpcErrorCode::Cancelled,
            ImportError::Io { .. } | ImportError::File(UserFileError::Io { .. }) => {
                IpcErrorCode::Io
            }
            ImportError::Vault(vault) => Self::from(vault).code,
            _ => IpcErrorCode::Invalid,
        };
        Self::new(code, message)
    }
}

impl From<ExportError> for IpcError {
    fn from(error: ExportError) -> Self {
        let message = error.to_string();
        let code = match error {
            ExportError::PasswordRequired { .. } => IpcErrorCode::PasswordRequired,
            ExportError::AlreadyExists { .. } => IpcErrorCode::AlreadyExists,
            ExportError::Io { .. } => IpcErrorCode::Io,
            ExportError::Vault(vault) => Self::from(vault).code,
            _ => IpcErrorCode::Invalid,
        };
        Self::new(code, message)
    }
}

/// The core's message (it never holds the text of a code) with a code for
/// its kind.
impl From<QrError> for IpcError {
    fn from(error: QrError) -> Self {
        let code = match error {
            QrError::InvalidOtpUri { .. } | QrError::InvalidMigration { .. } => {
                IpcErrorCode::InvalidUri
            }
            QrError::ScreenCapture { .. } | QrError::ClipboardUnavailable { .. } => {
                IpcErrorCode::Io
            }
            _ => IpcErrorCode::Invalid,
        };
        Self::new(code, error.to_string())
    }
}

/// Requests that cannot be carried out as given are `invalid`; what the
/// remote did, or what was refused on it, is `sync`.
impl From<SyncError> for IpcError {
    fn from(error: SyncError) -> Self {
        let code = match &error {
            SyncError::Vault(_) => return Self::from(SessionError::from(error)),
            SyncError::NotSetUp
            | SyncError::AlreadySetUp { .. }
            | SyncError::RemoteHasGroup
            | SyncError::RemoteHasNoGroup
            | SyncError::BadPairingCode { .. }
            | SyncError::WrongGroup
            | SyncError::CodeNamesNoRemote
            | SyncError::JoinPending
            | SyncError::NoSuchDevice { .. }
            | SyncError::Invalid { .. } => IpcErrorCode::Invalid,
            SyncError::Io { .. } => IpcErrorCode::Io,
            _ => IpcErrorCode::Sync,
        };
        Self::new(code, error.to_string())
    }
}

impl From<std::io::Error> for IpcError {
    fn from(error: std::io::Error) -> Self {
        Self::new(IpcErrorCode::Io, error.to_string())
    }
}

impl From<VaultError> for IpcError {
    fn from(error: VaultError) -> Self {
        let code = match &error {
            VaultError::WrongPassword => IpcErrorCode::WrongPassword,
            VaultError::Locked | VaultError::KeyChanged => IpcErrorCode::Locked,
            VaultError::Corrupt { .. }
            | VaultError::Tampered
            | VaultError::RowsChanged
            | VaultError::NotAVault { .. } => IpcErrorCode::Corrupt,
            VaultError::NewerFormat { .. } => IpcErrorCode::NewerFormat,
            VaultError::KeyringUnavailable { .. } | VaultError::NoKeyringSlot => {
                IpcErrorCode::KeyringUnavailable
            }
            VaultError::InvalidAccount(_) => IpcErrorCode::InvalidUri,
            VaultError::Invalid { .. } => IpcErrorCode::Invalid,
            VaultError::NotFound { .. } => IpcErrorCode::NotFound,
            VaultError::AlreadyExists { .. } => IpcErrorCode::AlreadyExists,
            VaultError::Io { .. } | VaultError::Database(_) => IpcErrorCode::Io,
            _ => IpcErrorCode::Internal,
        };
        Self::new(code, error.to_string())
    }
}

impl From<UserFileError> for IpcError {
    fn from(error: UserFileError) -> Self {
        let code = match &error {
            UserFileError::Io { .. } => IpcErrorCode::Io,
            _ => IpcErrorCode::Invalid,
        };
        Self::new(code, error.to_string())
    }
}

impl From<OtpError> for IpcError {
    fn from(error: OtpError) -> Self {
        Self::new(IpcErrorCode::InvalidUri, error.to_string())
    }
}

impl From<ServerError> for IpcError {
    fn from(error: ServerError) -> Self {
        if let ServerError::Vault(inner) = error {
            return Self::from(inner);
        }
        let code = match &error {
            ServerError::RateLimited { .. }
            | ServerError::LockedOut { .. }
            | ServerError::AskedToWait { .. } => IpcErrorCode::RateLimited,
            ServerError::UnknownServer { .. } | ServerError::UnknownProfile { .. } => {
                IpcErrorCode::NotFound
            }
            ServerError::DuplicateServer { .. } => IpcErrorCode::AlreadyExists,
            ServerError::NewHostUnconfirmed { .. } => IpcErrorCode::PasswordRequired,
            ServerError::InvalidUrl { .. }
            | ServerError::InsecureUrl { .. }
            | ServerError::MissingCredential { .. }
            | ServerError::Unsupported { .. }
            | ServerError::Profile { .. }
            | ServerError::NoAccount
            | ServerError::NoBackupCode
            | ServerError::Busy { .. } => IpcErrorCode::Invalid,
            _ => IpcErrorCode::Server,
        };
        Self::new(code, error.to_string())
    }
}

impl From<SettingsError> for IpcError {
    fn from(error: SettingsError) -> Self {
        Self::new(IpcErrorCode::Io, error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_code_and_message() {
        let error = IpcError::new(IpcErrorCode::Io, "vault file is not readable");
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(
            json,
            serde_json::json!({ "code": "io", "message": "vault file is not readable" })
        );
        let error = IpcError::from(VaultError::WrongPassword);
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({ "code": "wrong_password", "message": "wrong password" })
        );
    }

    #[test]
    fn io_errors_map_to_the_io_code() {
        let error = IpcError::from(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "denied",
        ));
        assert_eq!(error.code, IpcErrorCode::Io);
        assert_eq!(error.message, "denied");
    }

    #[test]
    fn vault_errors_map_to_the_codes_the_ui_branches_on() {
        let cases = [
            (VaultError::WrongPassword, IpcErrorCode::WrongPassword),
            (VaultError::Locked, IpcErrorCode::Locked),
            (VaultError::Tampered, IpcErrorCode::Corrupt),
            (VaultError::RowsChanged, IpcErrorCode::Corrupt),
            (
                VaultError::Corrupt {
                    table: "accounts",
                    id: "x".into(),
                },
                IpcErrorCode::Corrupt,
            ),
            (
                VaultError::NewerFormat {
                    found: 9,
                    supported: 1,
                },
                IpcErrorCode::NewerFormat,
            ),
            (
                VaultError::KeyringUnavailable {
                    reason: "no bus".into(),
                },
                IpcErrorCode::KeyringUnavailable,
            ),
            (VaultError::NoKeyringSlot, IpcErrorCode::KeyringUnavailable),
            (
                VaultError::NotFound {
                    what: "account",
                    id: "x".into(),
                },
                IpcErrorCode::NotFound,
            ),
            (
                VaultError::InvalidAccount(OtpError::EmptySecret),
                IpcErrorCode::InvalidUri,
            ),
        ];
        for (error, code) in cases {
            assert_eq!(IpcError::from(error).code, code);
        }
        assert_eq!(
            IpcError::from(OtpError::MissingSecret).code,
            IpcErrorCode::InvalidUri
        );
    }

    #[test]
    fn server_errors_map_to_the_codes_the_screen_branches_on() {
        let cases = [
            (
                ServerError::LockedOut {
                    retry_after: Some(300),
                    message: "Locked".into(),
                },
                IpcErrorCode::RateLimited,
            ),
            (
                ServerError::RateLimited {
                    retry_after: None,
                    message: String::new(),
                },
                IpcErrorCode::RateLimited,
            ),
            (
                ServerError::InvalidCode {
                    message: "Invalid token".into(),
                },
                IpcErrorCode::Server,
            ),
            (
                ServerError::DuplicateServer { name: "s".into() },
                IpcErrorCode::AlreadyExists,
            ),
            (
                ServerError::UnknownServer { name: "s".into() },
                IpcErrorCode::NotFound,
            ),
            (
                ServerError::InsecureUrl {
                    host: "example.com".into(),
                },
                IpcErrorCode::Invalid,
            ),
            (ServerError::Vault(VaultError::Locked), IpcErrorCode::Locked),
        ];
        for (error, code) in cases {
            let text = error.to_string();
            let ipc = IpcError::from(error);
            assert_eq!(ipc.code, code, "{text}");
            assert_eq!(ipc.message, text);
        }
    }
}
