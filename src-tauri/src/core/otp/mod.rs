//! One-time passwords: the [`Account`] value, `otpauth://` URIs
//! ([`parse_uri`], [`format_uri`]) and codes ([`generate()`]) for TOTP
//! (RFC 6238), HOTP (RFC 4226) and Steam Guard.
//!
//! Owns: the meaning of an account's cryptographic parameters and every
//! computation on them. Pure: no I/O, no storage, no UI.
//!
//! Must never: read the system time (a [`Clock`](crate::core::clock::Clock)
//! or a [`Timestamp`](crate::core::clock::Timestamp) is passed in), persist
//! anything (advancing an HOTP counter is the vault's job), or put secret
//! material into an error, a log line or a `Debug` string.

mod account;
mod base32;
mod error;
mod generate;
pub mod migration;
mod note;
pub(crate) mod percent;
mod uri;

pub use account::{
    Account, Algorithm, DEFAULT_DIGITS, DEFAULT_PERIOD, MAX_DIGITS, MIN_DIGITS, OtpKind,
    STEAM_DIGITS, label_of,
};
/// Base32 secrets as services show them (for forms that take one typed in),
/// by the one rule in `base32.rs`; the `_noted` form also says whether the
/// secret was non-canonical.
pub use base32::{decode as decode_base32_secret, decode_noted as decode_base32_secret_noted};
pub use error::OtpError;
pub use generate::{Code, code_at, generate, generate_now};
pub use migration::{
    MigrationBatch, MigrationError, format_migration_uris, format_migration_uris_with_id,
    parse_migration_uri,
};
pub use note::ParseNote;
pub use uri::{format_uri, parse_uri, parse_uri_with_notes};
