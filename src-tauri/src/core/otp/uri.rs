//! The Key URI Format: `otpauth://TYPE/LABEL?PARAMETERS` to and from
//! [`Account`].
//!
//! What is accepted (Google's Key-Uri-Format, plus what real exporters do):
//! - scheme and type in any case; types `totp`, `hotp`, `steam`, and
//!   `totp` with `encoder=steam` (Aegis, andOTP, `KeePassXC`) as Steam;
//! - the label `Issuer:Account` (the colon literal, `%3A` or `%3a`) or just
//!   `Account`; empty labels too. Spaces after the colon are dropped, also
//!   after an empty prefix (`:%20%20alice` is `alice`), as every other
//!   reader does; spaces at the start of a label without a colon are kept;
//! - percent-encoding with UTF-8; `+` is a space in parameters and a plus in
//!   the label (see `percent.rs` for why);
//! - `secret` in base32 by the one rule of `base32.rs` (any case, padding
//!   and spaces optional, lengths that are not whole bytes decoded with the
//!   trailing bits dropped and a [`ParseNote`]);
//! - parameters we do not use are kept, in order, in
//!   [`Account::extra_params`] and written back by [`format_uri`].
//!
//! Where authenticators disagree, Tessera's policy (the table in
//! `docs/uri-policy.md` gives the reasons, `tests/otp.rs` a test per row):
//! - **label issuer vs `issuer=`**: the parameter wins and the prefix is
//!   dropped from the name (Google's spec calls the parameter
//!   authoritative; the prefix is for older readers); an empty `issuer=`
//!   counts as absent;
//! - **repeated parameters**: the same value twice is accepted; different
//!   values are refused (`DuplicateParameter`), because taking either one
//!   could store a wrong secret or period without a word. Unknown
//!   parameters may repeat and are all kept;
//! - **algorithms**: SHA1, SHA256, SHA512 (any case, `SHA-256`); SHA224,
//!   SHA384, SHA3-* and MD5 are refused with a message listing the three;
//! - **`digits`**: 6–10 for TOTP and HOTP (RFC 4226's minimum is 6);
//!   exactly 5 for Steam, whether Steam comes from the type, from
//!   `encoder=steam` or from the issuer: `encoder=steam&digits=6` is
//!   refused, since Steam Guard codes have five characters by definition;
//! - **Steam from `issuer=Steam`**: a `totp` URI whose issuer (parameter,
//!   else label prefix) is `Steam` in any case, with `digits` absent or 5
//!   and the algorithm absent or SHA1, is Steam Guard (as Aegis,
//!   Authenticator Pro and steamguard-cli's QR codes have it), with a
//!   [`ParseNote`]; explicit 6–10 digits or another algorithm keep it TOTP;
//! - **`period`**: any whole number of seconds from 1 to 2^32 − 1; RFC 6238
//!   sets no bound and codes are exact for every period, so refusing a
//!   long or short one would only lose an account;
//! - **HOTP without `counter`**: counter 0, with a [`ParseNote`] (Google
//!   Authenticator, `FreeOTP`, Authenticator Pro do the same).
//!
//! A fragment (`#`) is not treated specially: sloppy generators put a bare
//! `#` in issuer names, and no authenticator URI uses fragments.
//!
//! Must never: put the secret into an error (see [`OtpError`]).

use zeroize::Zeroize;

use super::account::{Account, Algorithm, DEFAULT_PERIOD, OtpKind};
use super::base32;
use super::error::{OtpError, shown};
use super::note::ParseNote;
use super::percent::{self, Part};
use crate::core::secret::SecretBytes;

/// The parameters this module interprets.
const KNOWN: [&str; 7] = [
    "secret",
    "issuer",
    "algorithm",
    "digits",
    "period",
    "counter",
    "encoder",
];

/// Parses an `otpauth://` URI into a validated [`Account`]
/// ([`parse_uri_with_notes`] without the notes).
///
/// # Errors
/// One [`OtpError`] naming the first problem found: `NotAUri`,
/// `WrongScheme`, `UnknownType`, `InvalidPercentEncoding`,
/// `DuplicateParameter`, `MissingSecret`, `InvalidBase32Character`,
/// `Base32AfterPadding`, `InvalidBase32Length`, `EmptySecret`,
/// `UnknownAlgorithm`, `UnsupportedAlgorithm`, `InvalidDigits`,
/// `DigitsOutOfRange`, `InvalidPeriod`, `InvalidCounter`, `SteamNeedsSha1`.
pub fn parse_uri(text: &str) -> Result<Account, OtpError> {
    parse_uri_with_notes(text).map(|(account, _)| account)
}

/// Parses an `otpauth://` URI into a validated [`Account`], with a
/// [`ParseNote`] for each thing it assumed or dropped (a non-canonical
/// secret, a missing HOTP counter, Steam inferred from the issuer), in that
/// order. Errors as [`parse_uri`].
pub fn parse_uri_with_notes(text: &str) -> Result<(Account, Vec<ParseNote>), OtpError> {
    let text = text.trim();
    let (scheme, rest) = text.split_once(':').ok_or(OtpError::NotAUri)?;
    if !is_scheme(scheme) {
        return Err(OtpError::NotAUri);
    }
    if !scheme.eq_ignore_ascii_case("otpauth") {
        return Err(OtpError::WrongScheme {
            scheme: shown(scheme),
        });
    }
    let rest = rest.strip_prefix("//").ok_or(OtpError::NotAUri)?;
    let (before_query, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (kind_name, raw_label) = before_query.split_once('/').unwrap_or((before_query, ""));
    let kind_name = kind_name.to_ascii_lowercase();
    if !matches!(kind_name.as_str(), "totp" | "hotp" | "steam") {
        return Err(OtpError::UnknownType {
            found: shown(&kind_name),
        });
    }
    let label = percent::decode(raw_label, Part::Label)?;
    let mut params = Params::parse(query, &kind_name)?;
    let mut notes = Vec::new();

    let secret = params.secret(&mut notes)?;
    let (issuer, name) = split_label(&label, params.get(ISSUER));
    let steam = match kind_name.as_str() {
        "steam" => true,
        "totp" if params.get(ENCODER).is_some() => true,
        "totp" if params.looks_like_steam(&issuer) => {
            notes.push(ParseNote::SteamFromIssuer);
            true
        }
        _ => false,
    };
    let kind = match kind_name.as_str() {
        "hotp" => OtpKind::Hotp {
            counter: params.counter(&mut notes)?,
        },
        _ if steam => OtpKind::Steam {
            period: params.period()?,
        },
        _ => OtpKind::Totp {
            period: params.period()?,
        },
    };
    let algorithm = match params.get(ALGORITHM) {
        Some(name) => name.parse::<Algorithm>()?,
        None => Algorithm::Sha1,
    };
    let digits = params.digits(kind)?;

    let account = Account {
        issuer,
        name,
        secret,
        algorithm,
        digits,
        kind,
        extra_params: std::mem::take(&mut params.extra),
    };
    account.validate()?;
    Ok((account, notes))
}

/// Writes `account` as an `otpauth://` URI that [`parse_uri`] reads back
/// to an equal account. Every parameter is written explicitly; the secret
/// is upper-case base32 without padding; spaces are `%20`, never `+`.
///
/// The returned string contains the secret: treat it like one.
pub fn format_uri(account: &Account) -> String {
    let label = format_label(&account.issuer, &account.name);
    let issuer = if account.issuer.is_empty() {
        String::new()
    } else {
        format!("&issuer={}", percent::encode(&account.issuer))
    };
    let (factor_name, factor) = match account.kind {
        OtpKind::Totp { period } | OtpKind::Steam { period } => ("period", u64::from(period)),
        OtpKind::Hotp { counter } => ("counter", counter),
    };
    let mut secret = base32::encode(account.secret.expose());
    let mut uri = format!(
        "otpauth://{kind}/{label}?secret={secret}{issuer}&algorithm={algorithm}&digits={digits}&{factor_name}={factor}",
        kind = account.kind_name(),
        algorithm = account.algorithm.uri_name(),
        digits = account.digits,
    );
    secret.zeroize();
    for (name, value) in &account.extra_params {
        if is_reserved(name, value, account.kind) {
            continue;
        }
        uri.push('&');
        uri.push_str(&percent::encode(name));
        uri.push('=');
        uri.push_str(&percent::encode(value));
    }
    uri
}

impl Account {
    /// [`parse_uri`] as a method.
    pub fn from_uri(text: &str) -> Result<Self, OtpError> {
        parse_uri(text)
    }

    /// [`format_uri`] as a method. The result contains the secret.
    pub fn to_uri(&self) -> String {
        format_uri(self)
    }
}

/// RFC 3986 scheme syntax: a letter, then letters, digits, `+`, `-`, `.`.
fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Whether an extra parameter would clash with one `format_uri` writes.
fn is_reserved(name: &str, value: &str, kind: OtpKind) -> bool {
    let name = name.to_ascii_lowercase();
    match name.as_str() {
        "secret" | "issuer" | "algorithm" | "digits" => true,
        "period" => kind.period().is_some(),
        "counter" => kind.counter().is_some(),
        "encoder" => value.eq_ignore_ascii_case("steam"),
        _ => false,
    }
}

/// The label as written: `Issuer:Name` when that reads back
/// unambiguously, otherwise `:Name` (an empty prefix, so that a colon in
/// the name is not taken for the separator) or just `Name` (a name that
/// starts with spaces and has no colon: without a separator nothing trims
/// them). The issuer parameter carries the issuer in every case. A name
/// that both starts with spaces and contains a colon needs a separator,
/// after which spaces are trimmed: it comes back without its leading
/// spaces (the one label this format cannot carry exactly).
fn format_label(issuer: &str, name: &str) -> String {
    let leading_space = name.starts_with(' ');
    let colon = name.contains(':');
    if leading_space && !colon {
        percent::encode(name)
    } else if !issuer.is_empty() && !issuer.contains(':') {
        format!("{}:{}", percent::encode(issuer), percent::encode(name))
    } else if colon {
        format!(":{}", percent::encode(name))
    } else {
        percent::encode(name)
    }
}

/// Splits a decoded label into (issuer, name) at its first colon, dropping
/// the spaces after the colon (also after an empty prefix, `:  name`); a
/// non-empty `issuer=` parameter wins over the label prefix. Google
/// Authenticator export names are split the same way.
pub(super) fn split_label(label: &str, issuer_param: Option<&str>) -> (String, String) {
    let issuer_param = issuer_param.filter(|issuer| !issuer.is_empty());
    let (prefix, name) = match label.split_once(':') {
        Some((prefix, name)) => (prefix, name.trim_start_matches(' ')),
        None => ("", label),
    };
    let issuer = issuer_param.unwrap_or(prefix);
    (issuer.to_owned(), name.to_owned())
}

const SECRET: usize = 0;
const ISSUER: usize = 1;
const ALGORITHM: usize = 2;
const DIGITS: usize = 3;
const PERIOD: usize = 4;
const COUNTER: usize = 5;
const ENCODER: usize = 6;

/// The query, sorted into what we interpret and what we keep.
#[derive(Default)]
struct Params {
    /// The percent-decoded values of [`KNOWN`], by index (the secret not
    /// yet base32-decoded); wiped on drop.
    known: [Option<String>; KNOWN.len()],
    extra: Vec<(String, String)>,
}

impl Drop for Params {
    fn drop(&mut self) {
        self.known.zeroize();
    }
}

impl Params {
    fn parse(query: &str, kind_name: &str) -> Result<Self, OtpError> {
        let mut params = Self::default();
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = percent::decode(raw_name, Part::Parameter(raw_name))?;
            let lower = name.to_ascii_lowercase();
            let known = KNOWN.iter().position(|k| *k == lower).filter(|_| {
                // Parameters that do not apply to this type are kept as extras.
                match lower.as_str() {
                    "period" => kind_name != "hotp",
                    "counter" => kind_name == "hotp",
                    "encoder" => kind_name != "hotp" && raw_value.eq_ignore_ascii_case("steam"),
                    _ => true,
                }
            });
            let mut value = percent::decode(raw_value, Part::Parameter(&name))?;
            let Some(index) = known else {
                params.extra.push((name, value));
                continue;
            };
            match &params.known[index] {
                None => params.known[index] = Some(value),
                // The same value twice says nothing new.
                Some(first) if *first == value => value.zeroize(),
                Some(_) => {
                    value.zeroize();
                    return Err(OtpError::DuplicateParameter {
                        name: KNOWN[index].to_owned(),
                    });
                }
            }
        }
        Ok(params)
    }

    fn get(&self, index: usize) -> Option<&str> {
        self.known[index].as_deref()
    }

    fn secret(&self, notes: &mut Vec<ParseNote>) -> Result<SecretBytes, OtpError> {
        let text = self.get(SECRET).ok_or(OtpError::MissingSecret)?;
        let (secret, note) = base32::decode_noted(text)?;
        if secret.is_empty() {
            return Err(OtpError::EmptySecret);
        }
        notes.extend(note);
        Ok(secret)
    }

    /// A `totp` URI whose issuer is Steam and that says nothing against
    /// Steam Guard (digits absent or 5, algorithm absent or SHA1).
    fn looks_like_steam(&self, issuer: &str) -> bool {
        issuer.eq_ignore_ascii_case("steam")
            && self.get(DIGITS).is_none_or(|digits| digits == "5")
            && self
                .get(ALGORITHM)
                .is_none_or(|name| name.parse::<Algorithm>() == Ok(Algorithm::Sha1))
    }

    fn period(&self) -> Result<u32, OtpError> {
        match self.get(PERIOD) {
            None => Ok(DEFAULT_PERIOD),
            Some(text) => number::<u32>(text)
                .filter(|period| *period > 0)
                .ok_or_else(|| OtpError::InvalidPeriod { found: shown(text) }),
        }
    }

    /// The counter; 0 (with a note) when absent, as Google Authenticator,
    /// `FreeOTP` and Authenticator Pro take it.
    fn counter(&self, notes: &mut Vec<ParseNote>) -> Result<u64, OtpError> {
        let Some(text) = self.get(COUNTER) else {
            notes.push(ParseNote::CounterAssumed);
            return Ok(0);
        };
        number::<u64>(text).ok_or_else(|| OtpError::InvalidCounter { found: shown(text) })
    }

    fn digits(&self, kind: OtpKind) -> Result<u8, OtpError> {
        let Some(text) = self.get(DIGITS) else {
            return Ok(kind.default_digits());
        };
        let digits =
            number::<u32>(text).ok_or_else(|| OtpError::InvalidDigits { found: shown(text) })?;
        let (min, max) = kind.digit_range();
        u8::try_from(digits)
            .ok()
            .filter(|d| (min..=max).contains(d))
            .ok_or(OtpError::DigitsOutOfRange {
                digits,
                min,
                max,
                kind: kind.title(),
            })
    }
}

/// A plain decimal number: ASCII digits only (no sign, no spaces).
fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::{format_label, parse_uri, split_label};

    #[test]
    fn label_splitting() {
        let split = |label, param| split_label(label, param);
        assert_eq!(split("A:bob", None), ("A".into(), "bob".into()));
        assert_eq!(split("A:  bob", None), ("A".into(), "bob".into()));
        assert_eq!(split("A:bob", Some("B")), ("B".into(), "bob".into()));
        assert_eq!(split("A:bob", Some("")), ("A".into(), "bob".into()));
        assert_eq!(split("bob", Some("B")), ("B".into(), "bob".into()));
        assert_eq!(split(": bob", None), (String::new(), "bob".into()));
        assert_eq!(split(" bob", None), (String::new(), " bob".into()));
        assert_eq!(split("A:b:c", None), ("A".into(), "b:c".into()));
        assert_eq!(split("", None), (String::new(), String::new()));
    }

    #[test]
    fn labels_read_back() {
        for (issuer, name) in [
            ("A", "bob"),
            ("", "bob"),
            ("", "b:ob"),
            ("A:B", "bob"),
            ("A", " bob"),
            ("", " bob"),
            ("A", ""),
            ("", ""),
            ("A", "b:c"),
            ("", " b"),
            ("A:B", " b"),
            ("A:B", "b:c"),
        ] {
            let label =
                super::percent::decode(&format_label(issuer, name), super::Part::Label).unwrap();
            let param = (!issuer.is_empty()).then_some(issuer);
            assert_eq!(
                split_label(&label, param),
                (issuer.into(), name.into()),
                "{issuer}|{name}"
            );
        }
    }

    #[test]
    fn uppercase_qr_form() {
        let account =
            parse_uri("OTPAUTH://TOTP/ACME:BOB?SECRET=JBSWY3DPEHPK3PXP&ISSUER=ACME").unwrap();
        assert_eq!(account.issuer, "ACME");
        assert_eq!(account.name, "BOB");
    }
}
