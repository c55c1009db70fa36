//! The Key URI Format: `otpauth://TYPE/LABEL?PARAMETERS` to and from
//! [`Account`].
//!
//! What is accepted (Google's Key-Uri-Format, plus what real exporters do):
//! - scheme and type in any case; types `totp`, `hotp`, `steam`, and
//!   `totp` with `encoder=steam` (Aegis, andOTP, `KeePassXC`) as Steam;
//! - the label `Issuer:Account` (the colon literal or `%3A`, spaces after
//!   it dropped) or just `Account`; empty labels too;
//! - `issuer=`: when both the parameter and a label prefix are present
//!   and disagree, **the parameter wins** and the prefix is dropped from the
//!   name (the parameter is the one Google's spec calls authoritative, and
//!   the prefix is for older readers); an empty `issuer=` counts as absent;
//! - percent-encoding with UTF-8; `+` is a space in parameters and a plus in
//!   the label (see `percent.rs` for why);
//! - `secret` in base32, any case, padding and spaces optional;
//! - `algorithm` SHA1/SHA256/SHA512, `digits` 6–10 (Steam: 5), `period`,
//!   `counter` (required for HOTP);
//! - parameters we do not use are kept, in order, in
//!   [`Account::extra_params`] and written back by [`format_uri`].
//!
//! A fragment (`#`) is not treated specially: sloppy generators put a bare
//! `#` in issuer names, and no authenticator URI uses fragments.
//!
//! Must never: put the secret into an error (see [`OtpError`]).

use zeroize::Zeroize;

use super::account::{Account, Algorithm, DEFAULT_PERIOD, OtpKind};
use super::base32;
use super::error::{OtpError, shown};
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

/// Parses an `otpauth://` URI into a validated [`Account`].
///
/// # Errors
/// One [`OtpError`] naming the first problem found: `NotAUri`,
/// `WrongScheme`, `UnknownType`, `InvalidPercentEncoding`,
/// `DuplicateParameter`, `MissingSecret`, `InvalidBase32Character`,
/// `InvalidBase32Length`, `EmptySecret`, `UnknownAlgorithm`,
/// `InvalidDigits`, `DigitsOutOfRange`, `InvalidPeriod`, `MissingCounter`,
/// `InvalidCounter`, `SteamNeedsSha1`.
pub fn parse_uri(text: &str) -> Result<Account, OtpError> {
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

    let secret = params.secret()?;
    let kind = match kind_name.as_str() {
        "hotp" => OtpKind::Hotp {
            counter: params.counter()?,
        },
        "totp" if !params.steam_encoder => OtpKind::Totp {
            period: params.period()?,
        },
        _ => OtpKind::Steam {
            period: params.period()?,
        },
    };
    let algorithm = match &params.algorithm {
        Some(name) => name.parse::<Algorithm>()?,
        None => Algorithm::Sha1,
    };
    let digits = params.digits(kind)?;
    let (issuer, name) = split_label(&label, params.issuer.as_deref());

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
    Ok(account)
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

/// The label: `Issuer:Name` when that reads back unambiguously, otherwise
/// `:Name` (an empty prefix, so a colon or leading space in the name
/// survives) or just `Name`. The issuer parameter carries the issuer in
/// every case.
fn format_label(issuer: &str, name: &str) -> String {
    let tricky_name = name.contains(':') || name.starts_with(' ');
    if !issuer.is_empty() && !issuer.contains(':') && !name.starts_with(' ') {
        format!("{}:{}", percent::encode(issuer), percent::encode(name))
    } else if tricky_name || issuer.contains(':') {
        format!(":{}", percent::encode(name))
    } else {
        percent::encode(name)
    }
}

/// Splits a decoded label into (issuer, name); a non-empty `issuer=`
/// parameter wins over the label prefix.
fn split_label(label: &str, issuer_param: Option<&str>) -> (String, String) {
    let issuer_param = issuer_param.filter(|issuer| !issuer.is_empty());
    let (prefix, name) = match label.split_once(':') {
        Some(("", name)) => ("", name),
        Some((prefix, name)) => (prefix, name.trim_start_matches(' ')),
        None => ("", label),
    };
    let issuer = issuer_param.unwrap_or(prefix);
    (issuer.to_owned(), name.to_owned())
}

/// The query, sorted into what we interpret and what we keep.
#[derive(Default)]
struct Params {
    /// Percent-decoded, not yet base32-decoded; wiped on drop.
    secret: Option<String>,
    issuer: Option<String>,
    algorithm: Option<String>,
    digits: Option<String>,
    period: Option<String>,
    counter: Option<String>,
    steam_encoder: bool,
    extra: Vec<(String, String)>,
}

impl Drop for Params {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

impl Params {
    fn parse(query: &str, kind_name: &str) -> Result<Self, OtpError> {
        let mut params = Self::default();
        let mut seen = [false; KNOWN.len()];
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
            let value = percent::decode(raw_value, Part::Parameter(&name))?;
            let Some(index) = known else {
                params.extra.push((name, value));
                continue;
            };
            if std::mem::replace(&mut seen[index], true) {
                return Err(OtpError::DuplicateParameter {
                    name: KNOWN[index].to_owned(),
                });
            }
            match KNOWN[index] {
                "secret" => params.secret = Some(value),
                "issuer" => params.issuer = Some(value),
                "algorithm" => params.algorithm = Some(value),
                "digits" => params.digits = Some(value),
                "period" => params.period = Some(value),
                "counter" => params.counter = Some(value),
                _ => params.steam_encoder = true,
            }
        }
        Ok(params)
    }

    fn secret(&self) -> Result<SecretBytes, OtpError> {
        let secret = base32::decode(self.secret.as_deref().ok_or(OtpError::MissingSecret)?)?;
        if secret.is_empty() {
            return Err(OtpError::EmptySecret);
        }
        Ok(secret)
    }

    fn period(&self) -> Result<u32, OtpError> {
        match &self.period {
            None => Ok(DEFAULT_PERIOD),
            Some(text) => number::<u32>(text)
                .filter(|period| *period > 0)
                .ok_or_else(|| OtpError::InvalidPeriod { found: shown(text) }),
        }
    }

    fn counter(&self) -> Result<u64, OtpError> {
        let text = self.counter.as_deref().ok_or(OtpError::MissingCounter)?;
        number::<u64>(text).ok_or_else(|| OtpError::InvalidCounter { found: shown(text) })
    }

    fn digits(&self, kind: OtpKind) -> Result<u8, OtpError> {
        let Some(text) = &self.digits else {
            return Ok(kind.default_digits());
        };
        let digits =
            number::<u32>(text).ok_or_else(|| OtpError::InvalidDigits { found: shown(text) })?;
        let (min, max) = kind.digit_range();
        u8::try_from(digits)
            .ok()
            .filter(|d| (min..=max).contains(d))
            .ok_or(OtpError::DigitsOutOfRange { digits, min, max })
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
        assert_eq!(split(": bob", None), (String::new(), " bob".into()));
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
