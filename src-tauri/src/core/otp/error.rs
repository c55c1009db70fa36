//! [`OtpError`]: everything that can be wrong with an account, an
//! `otpauth://` URI, or a code request.
//!
//! Must never: carry secret material. Variants hold only the name of the
//! problem and non-secret context (a parameter name, an algorithm name, a
//! character position); the value of the `secret` parameter is never copied
//! into an error.

use thiserror::Error;

use super::account::Algorithm;
use crate::core::plural::{counted, range};

/// The hash functions Tessera computes codes with, for messages.
const SUPPORTED_ALGORITHMS: &str = "SHA1, SHA256 or SHA512";

/// What was wrong, precisely enough for a user to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum OtpError {
    /// The text is not a URI at all (no `scheme:`).
    #[error("not an otpauth:// URI")]
    NotAUri,
    /// A URI, but not `otpauth://`.
    #[error("wrong URI scheme “{scheme}”: expected otpauth://")]
    WrongScheme { scheme: String },
    /// `otpauth://` followed by something other than `totp`, `hotp`, `steam`.
    #[error("unknown OTP type “{found}”: expected totp, hotp or steam")]
    UnknownType { found: String },
    /// No `secret=` parameter.
    #[error("the URI has no secret parameter")]
    MissingSecret,
    /// A secret that decodes to zero bytes.
    #[error("the secret is empty")]
    EmptySecret,
    /// A character outside the base32 alphabet. `position` counts the
    /// characters of the secret from 0, not counting spaces and hyphens;
    /// the message counts from 1.
    #[error(
        "the secret is not valid base32: character {} is not a letter A–Z or a digit 2–7",
        position + 1
    )]
    InvalidBase32Character { position: usize },
    /// A base32 character after the `=` padding (counted as in
    /// `InvalidBase32Character`).
    #[error(
        "the secret is not valid base32: character {} comes after the “=” padding",
        position + 1
    )]
    Base32AfterPadding { position: usize },
    /// Too few base32 characters for one byte (one character is 5 bits).
    #[error(
        "the secret is not valid base32: {} cannot encode a whole byte",
        counted(*length, "character", "characters")
    )]
    InvalidBase32Length { length: usize },
    /// `algorithm=` that names no hash function Tessera knows.
    #[error("unknown algorithm “{found}”: expected {SUPPORTED_ALGORITHMS}")]
    UnknownAlgorithm { found: String },
    /// A hash function other authenticators accept (SHA224, SHA384,
    /// SHA3-*, MD5) that Tessera does not compute codes with.
    #[error(
        "the algorithm {found} is not supported: Tessera computes codes with {SUPPORTED_ALGORITHMS}"
    )]
    UnsupportedAlgorithm { found: String },
    /// `digits=` that is not a number.
    #[error("digits must be a whole number, not “{found}”")]
    InvalidDigits { found: String },
    /// A number of digits this kind of code cannot have. `kind` names the
    /// codes for the message (`TOTP and HOTP`, `Steam`).
    #[error(
        "{} is out of range: {kind} codes have {}",
        counted(*digits, "digit", "digits"),
        range(*min, *max, "digit", "digits")
    )]
    DigitsOutOfRange {
        digits: u32,
        min: u8,
        max: u8,
        kind: &'static str,
    },
    /// `period=` that is not a whole number of seconds from 1 to 2^32 − 1.
    #[error("period must be a whole number of seconds from 1 to 4294967295, not “{found}”")]
    InvalidPeriod { found: String },
    /// `counter=` that is not a number from 0 to 2^64 − 1.
    #[error("counter must be a whole number from 0 to 18446744073709551615, not “{found}”")]
    InvalidCounter { found: String },
    /// A known parameter given twice with different values (which one to
    /// believe is ambiguous; the same value twice is accepted).
    #[error("the parameter “{name}” appears more than once with different values")]
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
