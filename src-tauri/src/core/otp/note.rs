//! [`ParseNote`]: what reading a secret or an `otpauth://` URI accepted
//! only by assuming a value or dropping bits, for the user to check (the
//! import preview lists them beside the entry).
//!
//! Must never: carry secret material; a note holds a count of bits at most.

use std::fmt;

use crate::core::plural::counted;

/// One thing a parse accepted that is not the canonical form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseNote {
    /// The base32 secret had bits after its last whole byte that carried
    /// information: a length RFC 4648 cannot produce (1, 3 or 6 characters
    /// past a multiple of 8) or non-zero padding bits. They were dropped,
    /// as the apps that write such secrets do.
    NonCanonicalSecret { dropped_bits: u8 },
    /// An `hotp` URI without `counter=`: counter 0 was taken.
    CounterAssumed,
    /// A `totp` URI with the issuer Steam and nothing against it (no
    /// `encoder`, digits 5 or absent, SHA1): read as Steam Guard.
    SteamFromIssuer,
}

impl fmt::Display for ParseNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NonCanonicalSecret { dropped_bits } => write!(
                f,
                "the secret was non-canonical base32 ({} dropped)",
                counted(*dropped_bits, "trailing bit", "trailing bits")
            ),
            Self::CounterAssumed => {
                f.write_str("the hotp URI has no counter parameter: counter 0 was taken")
            }
            Self::SteamFromIssuer => f.write_str(
                "read as a Steam Guard account because the issuer is Steam (the URI has no encoder=steam)",
            ),
        }
    }
}
