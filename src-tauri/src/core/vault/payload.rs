//! The plaintext inside entry envelopes: the private JSON DTOs of an
//! account and of a backup code (`docs/vault-format.md` §6).
//!
//! Owns: the on-disk JSON shape, independent of the serde derives of
//! `otp` types (which may change for other reasons).
//!
//! Must never: be used outside the vault (it is public for the fuzz
//! targets in `fuzz/` alone), leave plaintext in buffers
//! that are not wiped (JSON is written into a buffer sized in advance, so
//! it never reallocates, and that buffer is `Zeroizing`), or put any field
//! value into an error.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use zeroize::Zeroizing;

use base64::Engine as _;

use super::entry::Details;
use crate::core::clock::Timestamp;
use crate::core::icon::AccountIcon;
use crate::core::otp::{Account, Algorithm, OtpKind};
use crate::core::secret::{SecretBytes, SecretString, serialize_json};

#[derive(Serialize)]
struct AccountOut<'a> {
    issuer: &'a str,
    name: &'a str,
    secret: HexOut<'a>,
    algorithm: &'static str,
    digits: u8,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counter: Option<u64>,
    extra_params: &'a [(String, String)],
    tags: &'a [String],
    favorite: bool,
    note: &'a str,
    icon: Option<IconOut<'a>>,
}

/// An account's icon on disk: `{"png": "<base64>"}` or
/// `{"badge": {"text": "DE", "colour": "#f5c400"}}`.
#[derive(Serialize)]
#[serde(rename_all = "lowercase")]
enum IconOut<'a> {
    Png(String),
    Badge {
        text: &'a str,
        colour: Option<&'a str>,
    },
}

/// Reads the icon shapes above; any other value (a later version's icon)
/// reads as no icon rather than making the account unreadable.
#[derive(Deserialize)]
#[serde(untagged)]
enum IconIn {
    Known(KnownIcon),
    Other(de::IgnoredAny),
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum KnownIcon {
    Png(String),
    Badge {
        text: String,
        #[serde(default)]
        colour: Option<String>,
    },
}

fn icon_out(icon: &AccountIcon) -> IconOut<'_> {
    match icon {
        AccountIcon::Png(png) => {
            IconOut::Png(base64::engine::general_purpose::STANDARD.encode(png))
        }
        AccountIcon::Badge(badge) => IconOut::Badge {
            text: &badge.text,
            colour: badge.colour.as_deref(),
        },
    }
}

fn icon_in(icon: IconIn) -> Option<AccountIcon> {
    match icon {
        IconIn::Known(KnownIcon::Png(base64)) => base64::engine::general_purpose::STANDARD
            .decode(base64)
            .ok()
            .map(AccountIcon::Png),
        IconIn::Known(KnownIcon::Badge { text, colour }) => {
            AccountIcon::badge(&text, colour.as_deref())
        }
        IconIn::Other(_) => None,
    }
}

#[derive(Deserialize)]
struct AccountIn {
    issuer: String,
    name: String,
    #[serde(deserialize_with = "hex_in")]
    secret: Zeroizing<Vec<u8>>,
    algorithm: String,
    digits: u8,
    kind: String,
    #[serde(default)]
    period: Option<u32>,
    #[serde(default)]
    counter: Option<u64>,
    #[serde(default)]
    extra_params: Vec<(String, String)>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    favorite: bool,
    #[serde(default)]
    note: String,
    #[serde(default)]
    icon: Option<IconIn>,
}

#[derive(Serialize)]
struct BackupCodeOut<'a> {
    code: &'a str,
    used_at: Option<u64>,
}

#[derive(Deserialize)]
struct BackupCodeIn<'a> {
    #[serde(borrow)]
    code: std::borrow::Cow<'a, str>,
    used_at: Option<u64>,
}

/// The JSON of an account and its details.
pub fn encode_account(account: &Account, details: &Details) -> Zeroizing<Vec<u8>> {
    serialize_json(&account_out(account, details))
}

/// The document [`encode_account`] writes, as a JSON value (no text in
/// between). The caller wipes it.
pub fn account_value(account: &Account, details: &Details) -> serde_json::Value {
    serde_json::to_value(account_out(account, details)).unwrap_or(serde_json::Value::Null)
}

fn account_out<'a>(account: &'a Account, details: &'a Details) -> AccountOut<'a> {
    let (kind, period, counter) = match account.kind {
        OtpKind::Totp { period } => ("totp", Some(period), None),
        OtpKind::Hotp { counter } => ("hotp", None, Some(counter)),
        OtpKind::Steam { period } => ("steam", Some(period), None),
    };
    AccountOut {
        issuer: &account.issuer,
        name: &account.name,
        secret: HexOut(account.secret.expose()),
        algorithm: account.algorithm.uri_name(),
        digits: account.digits,
        kind,
        period,
        counter,
        extra_params: &account.extra_params,
        tags: &details.tags,
        favorite: details.favorite,
        note: &details.note,
        icon: details.icon.as_ref().map(icon_out),
    }
}

/// Parses and validates an account payload; `None` if it is not one.
pub fn decode_account(json: &[u8]) -> Option<(Account, Details)> {
    let mut dto: AccountIn = serde_json::from_slice(json).ok()?;
    let algorithm = match dto.algorithm.as_str() {
        "SHA1" => Algorithm::Sha1,
        "SHA256" => Algorithm::Sha256,
        "SHA512" => Algorithm::Sha512,
        _ => return None,
    };
    let kind = match (dto.kind.as_str(), dto.period, dto.counter) {
        ("totp", Some(period), None) => OtpKind::Totp { period },
        ("hotp", None, Some(counter)) => OtpKind::Hotp { counter },
        ("steam", Some(period), None) => OtpKind::Steam { period },
        _ => return None,
    };
    let account = Account {
        issuer: std::mem::take(&mut dto.issuer),
        name: std::mem::take(&mut dto.name),
        secret: SecretBytes::new(std::mem::take(&mut *dto.secret)),
        algorithm,
        digits: dto.digits,
        kind,
        extra_params: std::mem::take(&mut dto.extra_params),
    };
    account.validate().ok()?;
    let details = Details {
        tags: std::mem::take(&mut dto.tags),
        favorite: dto.favorite,
        note: std::mem::take(&mut dto.note),
        icon: dto.icon.take().and_then(icon_in),
    };
    Some((account, details))
}

/// The JSON of a backup code.
pub fn encode_backup_code(code: &SecretString, used_at: Option<Timestamp>) -> Zeroizing<Vec<u8>> {
    serialize_json(&BackupCodeOut {
        code: code.expose(),
        used_at: used_at.map(Timestamp::unix_millis),
    })
}

/// Parses a backup code payload; `None` if it is not one.
pub fn decode_backup_code(json: &[u8]) -> Option<(SecretString, Option<Timestamp>)> {
    let dto: BackupCodeIn<'_> = serde_json::from_slice(json).ok()?;
    let code = SecretString::new(dto.code.into_owned());
    Some((code, dto.used_at.map(Timestamp::from_unix_millis)))
}

struct HexOut<'a>(&'a [u8]);

impl Serialize for HexOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = Zeroizing::new(String::with_capacity(self.0.len() * 2));
        for b in self.0 {
            text.push(char::from(DIGITS[usize::from(b >> 4)]));
            text.push(char::from(DIGITS[usize::from(b & 0x0f)]));
        }
        serializer.serialize_str(&text)
    }
}

fn hex_in<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Zeroizing<Vec<u8>>, D::Error> {
    struct HexVisitor;
    impl Visitor<'_> for HexVisitor {
        type Value = Zeroizing<Vec<u8>>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a hex string")
        }
        // `visit_str` also receives borrowed strings; an escaped string
        // arrives through serde_json's scratch buffer, which is not wiped,
        // but Tessera never writes escapes into hex.
        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            decode_hex(text).ok_or_else(|| E::custom("invalid hex"))
        }
    }
    deserializer.deserialize_str(HexVisitor)
}

fn decode_hex(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let mut out = Zeroizing::new(Vec::with_capacity(text.len() / 2));
    for pair in text.as_bytes().chunks_exact(2) {
        let hi = char::from(pair[0]).to_digit(16)?;
        let lo = char::from(pair[1]).to_digit(16)?;
        out.push(u8::try_from(hi * 16 + lo).ok()?);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(kind: OtpKind, digits: u8) -> Account {
        Account {
            issuer: "Iss \"quoted\"".into(),
            name: "alice@example.com".into(),
            secret: SecretBytes::from(b"12345678901234567890".as_slice()),
            algorithm: Algorithm::Sha1,
            digits,
            kind,
            extra_params: vec![("image".into(), "https://x/y.png".into())],
        }
    }

    #[test]
    fn round_trip_every_kind() {
        let details = Details {
            tags: vec!["work".into(), "ünï".into()],
            favorite: true,
            note: "line1\nline2".into(),
            icon: AccountIcon::badge("GH", Some("#181717")),
        };
        for (kind, digits) in [
            (OtpKind::Totp { period: 30 }, 6),
            (OtpKind::Hotp { counter: u64::MAX }, 8),
            (OtpKind::Steam { period: 30 }, 5),
        ] {
            let acc = account(kind, digits);
            let json = encode_account(&acc, &details);
            assert_eq!(json.len(), json.capacity(), "sized in advance");
            let (back, back_details) = decode_account(&json).unwrap();
            assert_eq!(back, acc);
            assert_eq!(back_details, details);
        }
    }

    #[test]
    fn documented_shape() {
        let acc = account(OtpKind::Totp { period: 30 }, 6);
        let json = encode_account(&acc, &Details::default());
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["secret"], "3132333435363738393031323334353637383930");
        assert_eq!(value["algorithm"], "SHA1");
        assert_eq!(value["kind"], "totp");
        assert_eq!(value["period"], 30);
        assert!(value.get("counter").is_none());
        assert_eq!(value["extra_params"][0][0], "image");
        assert_eq!(value["favorite"], false);
        assert_eq!(value["icon"], serde_json::Value::Null);
        let with_icons = |icon: &str| {
            format!(
                r#"{{"issuer":"","name":"n","secret":"AB","algorithm":"SHA1","digits":6,"kind":"totp","period":30,"icon":{icon}}}"#
            )
        };
        let icon_of = |icon: &str| decode_account(with_icons(icon).as_bytes()).unwrap().1.icon;
        assert_eq!(
            icon_of(r#"{"png":"AQID"}"#),
            Some(AccountIcon::Png(vec![1, 2, 3]))
        );
        assert_eq!(
            icon_of(r##"{"badge":{"text":"DE","colour":"#F5C400"}}"##),
            AccountIcon::badge("DE", Some("#f5c400"))
        );
        for unknown in [r#""github""#, r#"{"svg":"x"}"#, "7", r#"{"png":"!!"}"#] {
            assert_eq!(icon_of(unknown), None, "{unknown}");
        }
        let minimal = br#"{"issuer":"","name":"n","secret":"AB","algorithm":"SHA256","digits":7,"kind":"hotp","counter":3,"future":1}"#;
        let (acc, details) = decode_account(minimal).unwrap();
        assert_eq!(acc.secret.expose(), &[0xab]);
        assert_eq!(acc.kind, OtpKind::Hotp { counter: 3 });
        assert_eq!(details, Details::default());
    }

    #[test]
    fn invalid_payloads_are_rejected() {
        for bad in [
            &br#"{"issuer":"","name":"","secret":"","algorithm":"SHA1","digits":6,"kind":"totp","period":30}"#[..],
            br#"{"issuer":"","name":"","secret":"0g","algorithm":"SHA1","digits":6,"kind":"totp","period":30}"#,
            br#"{"issuer":"","name":"","secret":"00","algorithm":"MD5","digits":6,"kind":"totp","period":30}"#,
            br#"{"issuer":"","name":"","secret":"00","algorithm":"SHA1","digits":6,"kind":"totp"}"#,
            br#"{"issuer":"","name":"","secret":"00","algorithm":"SHA1","digits":6,"kind":"hotp","period":30}"#,
            br#"{"issuer":"","name":"","secret":"00","algorithm":"SHA1","digits":4,"kind":"totp","period":30}"#,
            b"not json",
        ] {
            assert!(decode_account(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn backup_code_round_trip() {
        let json = encode_backup_code(
            &SecretString::from("ab12-cd34"),
            Some(Timestamp::from_unix_millis(5)),
        );
        assert_eq!(&json[..], br#"{"code":"ab12-cd34","used_at":5}"#);
        let (code, used) = decode_backup_code(&json).unwrap();
        assert_eq!(code.expose(), "ab12-cd34");
        assert_eq!(used, Some(Timestamp::from_unix_millis(5)));
        assert!(decode_backup_code(br#"{"code":1}"#).is_none());
    }
}
