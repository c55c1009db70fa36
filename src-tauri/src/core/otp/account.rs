//! [`Account`]: the cryptographic identity of one 2FA account (issuer,
//! name, secret, algorithm, digits, kind), and its parts [`Algorithm`] and
//! [`OtpKind`].
//!
//! Must never: hold display data (tags, favourite, note, icon: the vault
//! keeps those beside the account), or be `Serialize` (it holds a secret;
//! whoever stores it writes its own private DTO).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::{OtpError, shown};
use crate::core::secret::SecretBytes;

/// Default TOTP/Steam period in seconds.
pub const DEFAULT_PERIOD: u32 = 30;
/// Default number of digits of TOTP/HOTP codes.
pub const DEFAULT_DIGITS: u8 = 6;
/// The number of characters of a Steam Guard code.
pub const STEAM_DIGITS: u8 = 5;
/// Fewest digits of a TOTP/HOTP code.
pub const MIN_DIGITS: u8 = 6;
/// Most digits of a TOTP/HOTP code.
pub const MAX_DIGITS: u8 = 10;

/// The HMAC hash function.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    #[default]
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    /// The name used in `otpauth://` URIs: `SHA1`, `SHA256`, `SHA512`.
    pub const fn uri_name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA1",
            Self::Sha256 => "SHA256",
            Self::Sha512 => "SHA512",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.uri_name())
    }
}

impl FromStr for Algorithm {
    type Err = OtpError;

    /// `SHA1`, `SHA256`, `SHA512`, in any case, with or without a hyphen
    /// or underscore (`sha-256`). Hash functions that other authenticators
    /// accept but Tessera does not compute (MD5, SHA224, SHA384, SHA3-*,
    /// SHA512/224, SHA512/256) are `UnsupportedAlgorithm`; anything else is
    /// `UnknownAlgorithm`. Both messages list the supported ones.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | '/'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        match name.as_str() {
            "SHA1" => Ok(Self::Sha1),
            "SHA256" => Ok(Self::Sha256),
            "SHA512" => Ok(Self::Sha512),
            "MD5" | "SHA224" | "SHA384" | "SHA3224" | "SHA3256" | "SHA3384" | "SHA3512"
            | "SHA512224" | "SHA512256" => Err(OtpError::UnsupportedAlgorithm { found: shown(s) }),
            _ => Err(OtpError::UnknownAlgorithm { found: shown(s) }),
        }
    }
}

/// How the moving factor is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum OtpKind {
    /// RFC 6238: time steps of `period` seconds.
    Totp { period: u32 },
    /// RFC 4226: an event counter; `counter` is the next one to use.
    Hotp { counter: u64 },
    /// Steam Guard: TOTP with five characters from Steam's alphabet.
    Steam { period: u32 },
}

impl OtpKind {
    /// `"totp"`, `"hotp"` or `"steam"` (as in `otpauth://` URIs).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Totp { .. } => "totp",
            Self::Hotp { .. } => "hotp",
            Self::Steam { .. } => "steam",
        }
    }

    /// The period in seconds of a time-based kind.
    pub const fn period(self) -> Option<u32> {
        match self {
            Self::Totp { period } | Self::Steam { period } => Some(period),
            Self::Hotp { .. } => None,
        }
    }

    /// The counter of an HOTP account.
    pub const fn counter(self) -> Option<u64> {
        match self {
            Self::Hotp { counter } => Some(counter),
            Self::Totp { .. } | Self::Steam { .. } => None,
        }
    }

    /// The digits an account of this kind has when nothing says otherwise.
    pub const fn default_digits(self) -> u8 {
        match self {
            Self::Steam { .. } => STEAM_DIGITS,
            Self::Totp { .. } | Self::Hotp { .. } => DEFAULT_DIGITS,
        }
    }

    /// How messages name codes of this kind: `TOTP`, `HOTP`, `Steam`.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Totp { .. } => "TOTP",
            Self::Hotp { .. } => "HOTP",
            Self::Steam { .. } => "Steam",
        }
    }

    /// The allowed range of digits, as `(min, max)`.
    pub const fn digit_range(self) -> (u8, u8) {
        match self {
            Self::Steam { .. } => (STEAM_DIGITS, STEAM_DIGITS),
            Self::Totp { .. } | Self::Hotp { .. } => (MIN_DIGITS, MAX_DIGITS),
        }
    }
}

/// One 2FA account: everything needed to compute its codes, and to name it.
///
/// Invariants checked by [`Account::new`] and [`Account::validate`] (the
/// fields are public, so code that changes them should validate again;
/// code generation validates too and never panics):
/// - the secret is not empty;
/// - `digits` is 6–10 for TOTP/HOTP and exactly 5 for Steam;
/// - the period of TOTP/Steam is above zero;
/// - Steam uses SHA1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The service, e.g. `GitHub`; may be empty.
    pub issuer: String,
    /// The account name (label without the issuer), e.g. `alice@example.com`; may be empty.
    pub name: String,
    /// The raw key (already base32-decoded).
    pub secret: SecretBytes,
    pub algorithm: Algorithm,
    pub digits: u8,
    pub kind: OtpKind,
    /// `otpauth://` parameters this program does not interpret (e.g.
    /// `image`, `color`), in the order they appeared, percent-decoded.
    pub extra_params: Vec<(String, String)>,
}

impl Account {
    /// A validated account with no extra parameters.
    pub fn new(
        issuer: impl Into<String>,
        name: impl Into<String>,
        secret: SecretBytes,
        algorithm: Algorithm,
        digits: u8,
        kind: OtpKind,
    ) -> Result<Self, OtpError> {
        let account = Self {
            issuer: issuer.into(),
            name: name.into(),
            secret,
            algorithm,
            digits,
            kind,
            extra_params: Vec::new(),
        };
        account.validate()?;
        Ok(account)
    }

    /// Checks the invariants listed on [`Account`].
    pub fn validate(&self) -> Result<(), OtpError> {
        if self.secret.is_empty() {
            return Err(OtpError::EmptySecret);
        }
        let (min, max) = self.kind.digit_range();
        if !(min..=max).contains(&self.digits) {
            return Err(OtpError::DigitsOutOfRange {
                digits: u32::from(self.digits),
                min,
                max,
                kind: self.kind.title(),
            });
        }
        if self.kind.period() == Some(0) {
            return Err(OtpError::InvalidPeriod {
                found: "0".to_owned(),
            });
        }
        if matches!(self.kind, OtpKind::Steam { .. }) && self.algorithm != Algorithm::Sha1 {
            return Err(OtpError::SteamNeedsSha1 {
                algorithm: self.algorithm,
            });
        }
        Ok(())
    }

    /// Whether `other` produces the same codes: same secret (compared in
    /// constant time), algorithm, digits, kind and period. The HOTP counter
    /// is ignored (it moves with use, so an older copy of an HOTP account is
    /// still the same account), and so are issuer, name and extra parameters.
    /// Used to find duplicates on import.
    pub fn same_key_material(&self, other: &Self) -> bool {
        let same_kind = match (self.kind, other.kind) {
            (OtpKind::Totp { period: a }, OtpKind::Totp { period: b })
            | (OtpKind::Steam { period: a }, OtpKind::Steam { period: b }) => a == b,
            (OtpKind::Hotp { .. }, OtpKind::Hotp { .. }) => true,
            _ => false,
        };
        same_kind
            && self.algorithm == other.algorithm
            && self.digits == other.digits
            && self.secret == other.secret
    }

    /// `"totp"`, `"hotp"` or `"steam"`.
    pub fn kind_name(&self) -> &'static str {
        self.kind.name()
    }

    /// The period in seconds (TOTP and Steam).
    pub fn period(&self) -> Option<u32> {
        self.kind.period()
    }

    /// The HOTP counter.
    pub fn counter(&self) -> Option<u64> {
        self.kind.counter()
    }

    /// `Issuer:name`, or whichever of the two is not empty.
    pub fn label(&self) -> String {
        label_of(&self.issuer, &self.name)
    }
}

/// `issuer:name`, or whichever of the two is not empty.
pub fn label_of(issuer: &str, name: &str) -> String {
    match (issuer.is_empty(), name.is_empty()) {
        (false, false) => format!("{issuer}:{name}"),
        (false, true) => issuer.to_owned(),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Account, Algorithm, OtpKind};
    use crate::core::otp::OtpError;
    use crate::core::secret::SecretBytes;

    fn secret() -> SecretBytes {
        SecretBytes::from(b"12345678901234567890".as_slice())
    }

    #[test]
    fn new_validates() {
        let ok = Account::new(
            "I",
            "n",
            secret(),
            Algorithm::Sha1,
            6,
            OtpKind::Totp { period: 30 },
        );
        assert!(ok.is_ok());
        let err = |digits, kind, algorithm, secret| {
            Account::new("", "", secret, algorithm, digits, kind).unwrap_err()
        };
        assert_eq!(
            err(
                6,
                OtpKind::Totp { period: 30 },
                Algorithm::Sha1,
                SecretBytes::default()
            ),
            OtpError::EmptySecret
        );
        assert_eq!(
            err(11, OtpKind::Hotp { counter: 0 }, Algorithm::Sha1, secret()),
            OtpError::DigitsOutOfRange {
                digits: 11,
                min: 6,
                max: 10,
                kind: "HOTP"
            }
        );
        assert_eq!(
            err(6, OtpKind::Steam { period: 30 }, Algorithm::Sha1, secret()),
            OtpError::DigitsOutOfRange {
                digits: 6,
                min: 5,
                max: 5,
                kind: "Steam"
            }
        );
        assert_eq!(
            err(6, OtpKind::Steam { period: 30 }, Algorithm::Sha1, secret()).to_string(),
            "6 digits is out of range: Steam codes have 5 digits"
        );
        assert_eq!(
            err(1, OtpKind::Totp { period: 30 }, Algorithm::Sha1, secret()).to_string(),
            "1 digit is out of range: TOTP codes have 6 to 10 digits"
        );
        assert_eq!(
            err(6, OtpKind::Totp { period: 0 }, Algorithm::Sha1, secret()),
            OtpError::InvalidPeriod { found: "0".into() }
        );
        assert_eq!(
            err(
                5,
                OtpKind::Steam { period: 30 },
                Algorithm::Sha256,
                secret()
            ),
            OtpError::SteamNeedsSha1 {
                algorithm: Algorithm::Sha256
            }
        );
    }

    #[test]
    fn same_key_material_ignores_labels_and_hotp_counter() {
        let a = Account::new(
            "A",
            "x",
            secret(),
            Algorithm::Sha1,
            6,
            OtpKind::Hotp { counter: 1 },
        )
        .unwrap();
        let mut b = a.clone();
        b.issuer = "B".into();
        b.kind = OtpKind::Hotp { counter: 9 };
        assert!(a.same_key_material(&b));
        b.digits = 7;
        assert!(!a.same_key_material(&b));
        let c = Account {
            kind: OtpKind::Totp { period: 30 },
            ..a.clone()
        };
        assert!(!a.same_key_material(&c));
        let d = Account {
            secret: SecretBytes::from(vec![1]),
            ..a.clone()
        };
        assert!(!a.same_key_material(&d));
    }

    #[test]
    fn names_and_labels() {
        let mut a = Account::new(
            "GitHub",
            "alice",
            secret(),
            Algorithm::Sha1,
            6,
            OtpKind::Steam { period: 30 },
        );
        assert!(a.is_err());
        a = Account::new(
            "GitHub",
            "alice",
            secret(),
            Algorithm::Sha1,
            5,
            OtpKind::Steam { period: 30 },
        );
        let a = a.unwrap();
        assert_eq!(a.kind_name(), "steam");
        assert_eq!(a.period(), Some(30));
        assert_eq!(a.counter(), None);
        assert_eq!(a.label(), "GitHub:alice");
        assert!(format!("{a:?}").contains("<redacted>"));
        assert_eq!("sha-256".parse::<Algorithm>().unwrap(), Algorithm::Sha256);
        assert_eq!(
            "MD5".parse::<Algorithm>().unwrap_err(),
            OtpError::UnsupportedAlgorithm {
                found: "MD5".into()
            }
        );
        assert_eq!(
            "WHIRLPOOL".parse::<Algorithm>().unwrap_err(),
            OtpError::UnknownAlgorithm {
                found: "WHIRLPOOL".into()
            }
        );
    }

    #[test]
    fn serde_names_are_lowercase() {
        assert_eq!(
            serde_json::to_string(&Algorithm::Sha512).unwrap(),
            "\"sha512\""
        );
        assert_eq!(
            serde_json::to_string(&OtpKind::Hotp { counter: 3 }).unwrap(),
            r#"{"type":"hotp","counter":3}"#
        );
        let kind: OtpKind = serde_json::from_str(r#"{"type":"steam","period":30}"#).unwrap();
        assert_eq!(kind, OtpKind::Steam { period: 30 });
    }
}
