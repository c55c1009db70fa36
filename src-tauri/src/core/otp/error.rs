//! [`OtpError`]: everything that can be wrong with an account, an
//! `otpauth://` URI, or a code request.
//!
//! Must never: carry secret material. Variants hold only the name of the
//! problem and non-secret context (a parameter name, an algorithm name, a
//! character position); the value of the `secret` parameter is never copied
//! into an error.

use thiserror::Error;

use super::account::Algorithm;

/// What was wrong, precisely enough for a user to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OtpError {
    /// The text is not a URI at all (no `scheme:`).
    #[error("not an otpauth:// URI")]
    NotAUri,
    /// A URI, but not `otpauth://`.
    #[error("wrong URI scheme `{scheme}`: expected otpauth://")]
    WrongScheme { scheme: String },
    /// `otpauth://` followed by something other than `totp`, `hotp`, `steam`.
    #[error("unknown OTP type `{found}`: expected totp, hotp or steam")]
    UnknownType { found: String },
    /// No `secret=` parameter.
    #[error("the URI has no secret parameter")]
    MissingSecret,
    /// A secret that decodes to zero bytes.
    #[error("the secret is empty")]
    EmptySecret,
    /// A character outside the base32 alphabet (position counted in
    /// characters of the secret, from 0, ignoring spaces and hyphens).
    #[error("the secret is not valid base32: unexpected character at position {position}")]
    InvalidBase32Character { position: usize },
    /// A number of base32 characters that cannot encode whole bytes.
    #[error("the secret is not valid base32: {length} characters cannot encode whole bytes")]
    InvalidBase32Length { length: usize },
    /// `algorithm=` other than SHA1, SHA256, SHA512.
    #[error("unknown algorithm `{found}`: expected SHA1, SHA256 or SHA512")]
    UnknownAlgorithm { found: String },
    /// `digits=` that is not a number.
    #[error("digits must be a whole number, not `{found}`")]
    InvalidDigits { found: String },
    /// A number of digits this kind of code cannot have.
    #[error("{digits} digits is out of range: this kind of code has {min} to {max}")]
    DigitsOutOfRange { digits: u32, min: u8, max: u8 },
    /// `period=` that is not a whole number of seconds above zero.
    #[error("period must be a whole number of seconds above zero, not `{found}`")]
    InvalidPeriod { found: String },
    /// An `hotp` URI without `counter=`.
    #[error("an hotp URI needs a counter parameter")]
    MissingCounter,
    /// `counter=` that is not a number from 0 to 2^64 − 1.
    #[error("counter must be a whole number from 0 to 18446744073709551615, not `{found}`")]
    InvalidCounter { found: String },
    /// A known parameter given twice (which value to believe is ambiguous).
    #[error("the parameter `{name}` appears more than once")]
    DuplicateParameter { name: String },
    /// A `%` not followed by two hex digits, or bytes that are not UTF-8.
    #[error("bad percent-encoding in the {part}")]
    InvalidPercentEncoding { part: String },
    /// Steam Guard codes are defined with HMAC-SHA1 only.
    #[error("Steam codes use SHA1, not {algorithm}")]
    SteamNeedsSha1 { algorithm: Algorithm },
    /// An HOTP counter at 2^64 − 1 has no next code.
    #[error("the HOTP counter is at its maximum and has no next code")]
    CounterExhausted,
}

/// Copies a user-supplied, non-secret value into an error, cut to a length
/// that keeps messages one line.
pub(crate) fn shown(value: &str) -> String {
    const MAX_CHARS: usize = 32;
    if value.chars().count() <= MAX_CHARS {
        value.to_owned()
    } else {
        let mut cut: String = value.chars().take(MAX_CHARS).collect();
        cut.push('…');
        cut
    }
}
