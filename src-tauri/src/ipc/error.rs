//! The one error type the web view sees: `{ "code": ..., "message": ... }`.
//! The UI branches on `code`; `message` is for people and never holds a
//! secret.

use serde::Serialize;
use specta::Type;

/// What went wrong, as a stable code the UI can branch on. Add a code only
/// when the UI needs to tell it apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum IpcErrorCode {
    /// A file could not be read or written.
    Io,
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
}

impl From<std::io::Error> for IpcError {
    fn from(error: std::io::Error) -> Self {
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
}
