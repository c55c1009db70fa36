//! [`ServerError`]: every way a conversation with a 2FA server can fail,
//! in kinds the UI and the CLI can branch on.
//!
//! Must never: carry a secret. Variants hold status codes, field names,
//! waits, origins and the server's own `message` after it has been cleaned
//! by [`clean_message`] (cut to one short line, with every credential and
//! secret the client knows replaced by `<redacted>`); never a password, a
//! token, a cookie, an OTP secret, a code or a request body.

use thiserror::Error;

use crate::core::otp::OtpError;
use crate::core::vault::VaultError;

/// What went wrong talking to a server, specifically enough to tell the
/// user what to do.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ServerError {
    /// Username or password refused.
    #[error("the server refused the username or password: {message}")]
    BadCredentials { message: String },
    /// The server wants a one-time code (or answered with a session that
    /// still lacks the second factor).
    #[error("the server asks for a two-factor code: {message}")]
    CodeRequired { message: String },
    /// The code (or backup code) was refused.
    #[error("the server refused the code: {message}")]
    InvalidCode { message: String },
    /// The server refused a code because its time step was already used.
    #[error("the server refused a reused code: {message}")]
    Replay { message: String },
    /// Two-factor authentication is already on for this user.
    #[error("two-factor authentication is already enabled: {message}")]
    AlreadyEnabled { message: String },
    /// Two-factor authentication is not on for this user.
    #[error("two-factor authentication is not enabled: {message}")]
    NotEnabled { message: String },
    /// Verification was attempted before setup.
    #[error("two-factor authentication was not set up on the server: {message}")]
    NotSetUp { message: String },
    /// Too many attempts (HTTP 429): wait `retry_after` seconds. Tessera
    /// does not retry on its own.
    #[error("{}", waiting("too many attempts", *retry_after, message))]
    RateLimited {
        retry_after: Option<u64>,
        message: String,
    },
    /// The server is on a host no server of the vault has, and the user has
    /// not confirmed sending to it.
    #[error(
        "no server of this vault is on {host} yet: confirm with the vault password that Tessera may send it what you typed"
    )]
    NewHostUnconfirmed { host: String },
    /// A flow on this server is running already.
    #[error("a request to “{server}” is already running; wait for it to finish")]
    Busy { server: String },
    /// The server's last answer asked to wait (a 429 or a lockout) and the
    /// wait is not over: nothing was sent.
    #[error("“{server}” asked to wait: try again in {seconds} s")]
    AskedToWait { server: String, seconds: u64 },
    /// The account is locked (seed 001: 4 wrong codes, 5 minutes).
    #[error("{}", waiting("the account is locked", *retry_after, message))]
    LockedOut {
        retry_after: Option<u64>,
        message: String,
    },
    /// The server refused fields of the request.
    #[error("the server refused the request ({}): {message}", fields.join(", "))]
    Validation {
        fields: Vec<String>,
        message: String,
    },
    /// The session (token, cookie) was refused: log in again.
    #[error("the server refused the session: {message}")]
    Unauthorized { message: String },
    /// The session was refused and renewing it (the profile's `refresh`)
    /// was refused too: the user must sign in again.
    #[error("the session has expired and could not be renewed; sign in again ({message})")]
    SessionExpired { message: String },
    /// Any other non-2xx answer.
    #[error("the server answered {status}: {message}")]
    Server { status: u16, message: String },
    /// A 2xx answer that does not say what the profile says it must
    /// (malformed JSON, an empty body, a missing field, HTML, ...).
    #[error("unexpected answer from the server: {what}")]
    Protocol { what: String },
    /// The request did not complete (connection refused, reset, TLS, ...).
    #[error("could not reach the server: {what}")]
    Http { what: String },
    /// No complete answer within the time limit.
    #[error("the server did not answer within {seconds} s")]
    Timeout { seconds: u64 },
    /// The answer is larger than the limit.
    #[error("the server's answer is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// Plain `http://` to a host that is not loopback.
    #[error("refusing plain http:// to {host}: use https:// (http is allowed only for localhost)")]
    InsecureUrl { host: String },
    /// A base URL that cannot be used.
    #[error("invalid server URL: {reason}")]
    InvalidUrl { reason: String },
    /// A redirect to another origin (scheme, host or port).
    #[error("refusing a redirect to another origin ({to})")]
    RedirectRefused { to: String },
    /// A profile file that does not describe a usable profile.
    #[error("profile “{profile}”: {reason}")]
    Profile { profile: String, reason: String },
    /// No profile of that name.
    #[error("no profile named “{name}”")]
    UnknownProfile { name: String },
    /// No server of that name.
    #[error("no server named “{name}”")]
    UnknownServer { name: String },
    /// A server of that name exists already.
    #[error("a server named “{name}” exists already")]
    DuplicateServer { name: String },
    /// The profile has no such operation.
    #[error("the “{profile}” profile has no “{operation}” operation")]
    Unsupported {
        profile: String,
        operation: &'static str,
    },
    /// A credential the operation needs was not given.
    #[error("missing {what} for this server")]
    MissingCredential { what: &'static str },
    /// The server answered with a secret Tessera cannot use.
    #[error("the server's secret cannot be used: {0}")]
    Secret(#[from] OtpError),
    /// No enrolled account is linked to this server.
    #[error("no two-factor account is linked to this server; enrol first")]
    NoAccount,
    /// Every stored backup code of the account is used.
    #[error("no unused backup code is left for this account")]
    NoBackupCode,
    /// The QR image could not be decoded.
    #[error("the server's QR image could not be read: {reason}")]
    Qr { reason: String },
    /// The vault refused a change.
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl ServerError {
    /// A `Protocol` error.
    pub(crate) fn protocol(what: impl Into<String>) -> Self {
        Self::Protocol { what: what.into() }
    }

    /// The wait the server asked for, in seconds, for `RateLimited` and
    /// `LockedOut`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::LockedOut { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// Whether the server gave a definite refusal (so nothing changed on
    /// its side), as opposed to an answer whose outcome is unknown
    /// (transport failure, timeout, garbage, 5xx).
    pub fn is_refusal(&self) -> bool {
        !matches!(
            self,
            Self::Http { .. }
                | Self::Timeout { .. }
                | Self::TooLarge { .. }
                | Self::Protocol { .. }
                | Self::Server { .. }
                | Self::RedirectRefused { .. }
        )
    }
}

fn waiting(what: &str, retry_after: Option<u64>, message: &str) -> String {
    match retry_after {
        Some(s) => format!("{what}: try again in {s} s ({message})"),
        None => format!("{what}: try again later ({message})"),
    }
}

/// Longest server message kept, in characters.
const MAX_MESSAGE_CHARS: usize = 200;

/// The server's message made safe to show: control characters become
/// spaces, every occurrence of a known secret (at least 4 characters long)
/// becomes `<redacted>`, and the text is cut to one short line.
pub(crate) fn clean_message(message: &str, secrets: &[&str]) -> String {
    let mut text: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    for secret in secrets {
        if secret.len() >= 4 && text.contains(secret) {
            text = text.replace(secret, "<redacted>");
        }
    }
    let text = text.trim();
    if text.chars().count() <= MAX_MESSAGE_CHARS {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
        cut.push('…');
        cut
    }
}

#[cfg(test)]
mod tests {
    use super::{ServerError, clean_message};

    #[test]
    fn messages_are_cleaned_and_waits_shown() {
        assert_eq!(
            clean_message("bad\ntoken abcdef here", &["abcdef", "ab"]),
            "bad token <redacted> here"
        );
        assert_eq!(clean_message(&"x".repeat(300), &[]).chars().count(), 201);
        let e = ServerError::RateLimited {
            retry_after: Some(300),
            message: "Too Many Attempts.".into(),
        };
        assert_eq!(e.retry_after(), Some(300));
        assert!(e.to_string().contains("300 s"));
        assert!(e.is_refusal());
        assert!(!ServerError::protocol("x").is_refusal());
    }
}
