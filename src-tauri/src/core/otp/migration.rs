//! Google Authenticator "Transfer accounts" payloads:
//! `otpauth-migration://offline?data=BASE64` to and from [`Account`]s.
//!
//! `data` is the base64 of a protobuf `MigrationPayload` (the schema is
//! written out below as `prost` structs, so no build script or `protoc` is
//! needed). One export can be split over several QR codes; each carries the
//! same `batch_id`, its `batch_index` and the `batch_size`, kept in
//! [`MigrationBatch`] so that a scanner can assemble the parts.
//!
//! What is accepted: the scheme in any case; `data` percent-encoded or
//! not, with `+` written raw, as `%2B`, or turned into a space by a
//! form-decoder on the way; standard or URL-safe base64, padding optional.
//! Unspecified algorithm, digits and type mean SHA1, 6 and TOTP (as in
//! Google Authenticator). Names of the form `Issuer:name` are split the way
//! `otpauth://` labels are.
//!
//! What the format cannot carry: periods other than 30 s, digits other than
//! 6 or 8, Steam codes. [`check_migration_compatible`] says why an account
//! cannot be exported; [`format_migration_uris`] leaves such accounts out.
//!
//! Must never: put secret material (the `data` parameter, decoded bytes, a
//! secret) into a [`MigrationError`], a log line or a `Debug` string.

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use prost::Message as _;
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};

use super::account::{Account, Algorithm, DEFAULT_PERIOD, OtpKind};
use super::error::OtpError;
use super::uri::split_label;
use crate::core::plural::counted;
use crate::core::secret::SecretBytes;

/// The start of every migration URI (compared case-insensitively).
pub const MIGRATION_PREFIX: &str = "otpauth-migration://offline";

/// Most accounts put into one migration QR by [`format_migration_uris`]
/// (Google Authenticator's own limit): ten accounts with 20-byte secrets
/// and typical names make a URI of about 1 KB, a version 20–22 QR code at
/// level L (about 100 modules a side), which a phone still reads easily
/// from a screen.
pub const ACCOUNTS_PER_MIGRATION_QR: usize = 10;

/// The `version` written into new payloads (what Google Authenticator writes).
const PAYLOAD_VERSION: i32 = 1;

/// One decoded `otpauth-migration://` URI: its accounts and its place in a
/// multi-QR export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationBatch {
    /// The accounts of this part, in payload order.
    pub accounts: Vec<Account>,
    /// Payload format version (1 today).
    pub version: i32,
    /// How many QR codes the whole export has (0 or 1: just this one).
    pub batch_size: i32,
    /// This part's position, from 0.
    pub batch_index: i32,
    /// Shared by every part of one export.
    pub batch_id: i32,
}

/// What was wrong with a migration URI, or why an account cannot be written
/// into one. Never holds secret material.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MigrationError {
    /// The text does not start with `otpauth-migration://offline`.
    #[error("not a Google Authenticator export: expected otpauth-migration://offline?data=...")]
    WrongPrefix,
    /// No `data=` parameter, or an empty one.
    #[error("the otpauth-migration URI has no data parameter")]
    MissingData,
    /// A `%` not followed by two hex digits in `data`.
    #[error("bad percent-encoding in the data parameter")]
    InvalidPercentEncoding,
    /// `data` is not base64 (`position` counted in characters of `data`
    /// after percent-decoding, from 0; the message counts from 1).
    #[error("the data parameter is not valid base64 (at character {})", position + 1)]
    InvalidBase64 { position: usize },
    /// `data` is base64, but not a `MigrationPayload`.
    #[error("the data parameter is not a Google Authenticator payload: {reason}")]
    InvalidProtobuf { reason: String },
    /// A well-formed payload holding no account.
    #[error("the Google Authenticator export holds no account")]
    NoAccounts,
    /// An algorithm this program does not support (MD5, or an unknown
    /// number). `account` counts from 1 within the payload.
    #[error("account {account}: unsupported algorithm {name}")]
    UnsupportedAlgorithm { account: usize, name: String },
    /// A digit count other than unspecified, 6 or 8.
    #[error("account {account}: unsupported number of digits (code {code})")]
    UnsupportedDigits { account: usize, code: i32 },
    /// An OTP type other than unspecified, HOTP or TOTP.
    #[error("account {account}: unsupported OTP type (code {code})")]
    UnsupportedType { account: usize, code: i32 },
    /// A negative HOTP counter.
    #[error("account {account}: the HOTP counter is negative")]
    InvalidCounter { account: usize },
    /// The decoded account breaks an [`Account`] invariant (e.g. an
    /// empty secret).
    #[error("account {account}: {source}")]
    InvalidAccount { account: usize, source: OtpError },
    /// An account that the migration format cannot carry (Steam, a period
    /// other than 30 s, digits other than 6 or 8).
    #[error("Google Authenticator exports cannot carry {what}")]
    NotRepresentable { what: String },
}

/// Parses one `otpauth-migration://offline?data=...` URI.
///
/// # Errors
/// [`MigrationError`]: `WrongPrefix`, `MissingData`,
/// `InvalidPercentEncoding`, `InvalidBase64`, `InvalidProtobuf`,
/// `NoAccounts`, `UnsupportedAlgorithm`, `UnsupportedDigits`,
/// `UnsupportedType`, `InvalidCounter`, `InvalidAccount`.
pub fn parse_migration_uri(uri: &str) -> Result<MigrationBatch, MigrationError> {
    let uri = uri.trim();
    let rest =
        strip_prefix_ignore_case(uri, MIGRATION_PREFIX).ok_or(MigrationError::WrongPrefix)?;
    let query = match rest.strip_prefix('/').unwrap_or(rest) {
        "" => "",
        other => other.strip_prefix('?').ok_or(MigrationError::WrongPrefix)?,
    };
    let raw = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("data="))
        .filter(|data| !data.is_empty())
        .ok_or(MigrationError::MissingData)?;
    let mut bytes = decode_data(raw)?;
    let decoded = MigrationPayload::decode(bytes.as_slice());
    bytes.zeroize();
    let payload = decoded.map_err(|e| MigrationError::InvalidProtobuf {
        reason: e.to_string(),
    })?;
    if payload.otp_parameters.is_empty() {
        return Err(MigrationError::NoAccounts);
    }
    let accounts = payload
        .otp_parameters
        .iter()
        .enumerate()
        .map(|(index, params)| to_account(index + 1, params))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MigrationBatch {
        accounts,
        version: payload.version,
        batch_size: payload.batch_size,
        batch_index: payload.batch_index,
        batch_id: payload.batch_id,
    })
}

/// Writes `accounts` as one or more migration URIs (at most
/// [`ACCOUNTS_PER_MIGRATION_QR`] accounts each) sharing a fresh random
/// `batch_id`, with `batch_index` 0, 1, ... and `batch_size` the number of
/// URIs. Accounts the format cannot carry (see
/// [`check_migration_compatible`]) are left out; no accounts give no URIs.
///
/// The returned strings contain secrets: treat them like one.
pub fn format_migration_uris(accounts: &[Account]) -> Vec<String> {
    format_migration_uris_with_id(accounts, random_batch_id())
}

/// [`format_migration_uris`] with a given `batch_id` (for reproducible
/// output).
pub fn format_migration_uris_with_id(accounts: &[Account], batch_id: i32) -> Vec<String> {
    let exportable: Vec<&Account> = accounts
        .iter()
        .filter(|account| check_migration_compatible(account).is_ok())
        .collect();
    let chunks: Vec<&[&Account]> = exportable.chunks(ACCOUNTS_PER_MIGRATION_QR).collect();
    let batch_size = i32::try_from(chunks.len()).unwrap_or(i32::MAX);
    chunks
        .iter()
        .enumerate()
        .map(|(index, chunk)| {
            let payload = MigrationPayload {
                otp_parameters: chunk.iter().map(|account| from_account(account)).collect(),
                version: PAYLOAD_VERSION,
                batch_size,
                batch_index: i32::try_from(index).unwrap_or(i32::MAX),
                batch_id,
            };
            let mut bytes = payload.encode_to_vec();
            let mut data = base64::engine::general_purpose::STANDARD.encode(&bytes);
            bytes.zeroize();
            let mut uri = String::with_capacity(MIGRATION_PREFIX.len() + 7 + data.len() * 5 / 4);
            uri.push_str(MIGRATION_PREFIX);
            uri.push_str("?data=");
            for c in data.chars() {
                match c {
                    '+' => uri.push_str("%2B"),
                    '/' => uri.push_str("%2F"),
                    '=' => uri.push_str("%3D"),
                    other => uri.push(other),
                }
            }
            data.zeroize();
            uri
        })
        .collect()
}

/// Whether `account` can be written into a migration payload unchanged.
///
/// # Errors
/// [`MigrationError::NotRepresentable`] naming what the format lacks.
pub fn check_migration_compatible(account: &Account) -> Result<(), MigrationError> {
    let what = match account.kind {
        OtpKind::Steam { .. } => Some("Steam accounts".to_owned()),
        OtpKind::Totp { period } if period != DEFAULT_PERIOD => Some(format!(
            "a period of {}",
            counted(period, "second", "seconds")
        )),
        _ if !matches!(account.digits, 6 | 8) => Some(counted(account.digits, "digit", "digits")),
        _ => None,
    };
    match what {
        Some(what) => Err(MigrationError::NotRepresentable { what }),
        None => Ok(()),
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// Percent-decodes and base64-decodes `data`, forgiving `+` turned into a
/// space, URL-safe alphabet, missing padding and line breaks.
fn decode_data(raw: &str) -> Result<Vec<u8>, MigrationError> {
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    if !super::percent::escapes_are_whole(raw) {
        return Err(MigrationError::InvalidPercentEncoding);
    }
    let unescaped: Zeroizing<Vec<u8>> =
        Zeroizing::new(percent_encoding::percent_decode_str(raw).collect());
    let mut text = String::with_capacity(unescaped.len());
    for &byte in unescaped.iter() {
        match byte {
            b' ' | b'-' => text.push('+'),
            b'_' => text.push('/'),
            b'=' | b'\r' | b'\n' | b'\t' => {}
            other => text.push(char::from(other)),
        }
    }
    let decoded = ENGINE.decode(text.as_bytes()).map_err(|e| {
        let position = match e {
            base64::DecodeError::InvalidByte(offset, _)
            | base64::DecodeError::InvalidLastSymbol(offset, _) => offset,
            base64::DecodeError::InvalidLength(length) => length,
            base64::DecodeError::InvalidPadding => text.len(),
        };
        MigrationError::InvalidBase64 { position }
    });
    text.zeroize();
    decoded
}

fn to_account(number: usize, params: &OtpParameters) -> Result<Account, MigrationError> {
    let algorithm = match params.algorithm {
        0 | 1 => Algorithm::Sha1,
        2 => Algorithm::Sha256,
        3 => Algorithm::Sha512,
        4 => {
            return Err(MigrationError::UnsupportedAlgorithm {
                account: number,
                name: "MD5".to_owned(),
            });
        }
        code => {
            return Err(MigrationError::UnsupportedAlgorithm {
                account: number,
                name: format!("(code {code})"),
            });
        }
    };
    let digits = match params.digits {
        0 | 1 => 6,
        2 => 8,
        code => {
            return Err(MigrationError::UnsupportedDigits {
                account: number,
                code,
            });
        }
    };
    let kind = match params.r#type {
        0 | 2 => OtpKind::Totp {
            period: DEFAULT_PERIOD,
        },
        1 => OtpKind::Hotp {
            counter: u64::try_from(params.counter)
                .map_err(|_| MigrationError::InvalidCounter { account: number })?,
        },
        code => {
            return Err(MigrationError::UnsupportedType {
                account: number,
                code,
            });
        }
    };
    let (issuer, name) = split_label(&params.name, Some(&params.issuer));
    let account = Account {
        issuer,
        name,
        secret: SecretBytes::from_slice(&params.secret),
        algorithm,
        digits,
        kind,
        extra_params: Vec::new(),
    };
    account
        .validate()
        .map_err(|source| MigrationError::InvalidAccount {
            account: number,
            source,
        })?;
    Ok(account)
}

fn from_account(account: &Account) -> OtpParameters {
    // A name with a colon gets an empty prefix, so that `split_label` takes
    // the right colon for the separator; a leading space survives only
    // where there is no separator (see `uri::format_label`).
    let name = if account.name.contains(':') {
        format!(":{}", account.name)
    } else {
        account.name.clone()
    };
    let (r#type, counter) = match account.kind {
        OtpKind::Hotp { counter } => (1, i64::try_from(counter).unwrap_or(i64::MAX)),
        OtpKind::Totp { .. } | OtpKind::Steam { .. } => (2, 0),
    };
    OtpParameters {
        secret: account.secret.expose().to_vec(),
        name,
        issuer: account.issuer.clone(),
        algorithm: match account.algorithm {
            Algorithm::Sha1 => 1,
            Algorithm::Sha256 => 2,
            Algorithm::Sha512 => 3,
        },
        digits: if account.digits == 8 { 2 } else { 1 },
        r#type,
        counter,
    }
}

/// Splits `Issuer:name` the way `otpauth://` labels are split: a non-empty
/// `issuer` field wins over the prefix; an empty prefix (`:name`) keeps the
/// rest verbatim.
fn random_batch_id() -> i32 {
    let mut bytes = [0_u8; 4];
    // Without randomness the id is only less unique; 0 is still a valid id.
    let _ = getrandom::fill(&mut bytes);
    i32::from_le_bytes(bytes) & i32::MAX
}

/// `MigrationPayload` from Google Authenticator's `google_auth.proto`.
#[derive(Clone, PartialEq, prost::Message)]
struct MigrationPayload {
    #[prost(message, repeated, tag = "1")]
    otp_parameters: Vec<OtpParameters>,
    #[prost(int32, tag = "2")]
    version: i32,
    #[prost(int32, tag = "3")]
    batch_size: i32,
    #[prost(int32, tag = "4")]
    batch_index: i32,
    #[prost(int32, tag = "5")]
    batch_id: i32,
}

/// `MigrationPayload.OtpParameters`. Enums are kept as their numbers so
/// that an unknown value is reported, not silently defaulted.
#[derive(Clone, PartialEq, prost::Message)]
#[prost(skip_debug)]
struct OtpParameters {
    #[prost(bytes = "vec", tag = "1")]
    secret: Vec<u8>,
    #[prost(string, tag = "2")]
    name: String,
    #[prost(string, tag = "3")]
    issuer: String,
    /// 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5.
    #[prost(int32, tag = "4")]
    algorithm: i32,
    /// 0 unspecified, 1 six, 2 eight.
    #[prost(int32, tag = "5")]
    digits: i32,
    /// 0 unspecified, 1 HOTP, 2 TOTP.
    #[prost(int32, tag = "6")]
    r#type: i32,
    #[prost(int64, tag = "7")]
    counter: i64,
}

impl fmt::Debug for OtpParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpParameters")
            .field("secret", &"<redacted>")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Drop for OtpParameters {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::{
        MigrationError, MigrationPayload, OtpParameters, format_migration_uris_with_id,
        parse_migration_uri,
    };
    use crate::core::otp::{Account, Algorithm, OtpKind, parse_uri};
    use crate::core::secret::SecretBytes;
    use base64::Engine as _;
    use prost::Message as _;

    const PI: &str = "otpauth-migration://offline?data=CjUKEPqlBekzoNEukL7qlsjBCDYSDnBpQHJhc3BiZXJyeXBpGgtyYXNwYmVycnlwaSABKAEwAhABGAEgACjr4JKK%2B%2F%2F%2F%2F%2F8B";

    fn uri_of(payload: &MigrationPayload) -> String {
        let data = base64::engine::general_purpose::STANDARD.encode(payload.encode_to_vec());
        format!("otpauth-migration://offline?data={data}")
    }

    fn params(algorithm: i32, digits: i32, r#type: i32, counter: i64) -> OtpParameters {
        OtpParameters {
            secret: vec![1, 2, 3, 4, 5],
            name: "n".into(),
            issuer: "i".into(),
            algorithm,
            digits,
            r#type,
            counter,
        }
    }

    fn payload(p: OtpParameters) -> MigrationPayload {
        MigrationPayload {
            otp_parameters: vec![p],
            version: 1,
            batch_size: 1,
            batch_index: 0,
            batch_id: 7,
        }
    }

    #[test]
    fn parses_a_single_account() {
        let batch = parse_migration_uri(PI).unwrap();
        assert_eq!(batch.version, 1);
        assert_eq!(batch.batch_size, 1);
        assert_eq!(batch.batch_index, 0);
        let expected = parse_uri(
            "otpauth://totp/pi%40raspberrypi?secret=7KSQL2JTUDIS5EF65KLMRQIIGY&issuer=raspberrypi",
        )
        .unwrap();
        assert_eq!(batch.accounts, vec![expected]);
    }

    #[test]
    fn forgives_plus_as_space_missing_padding_and_url_safe_alphabet() {
        let expected = parse_migration_uri(PI).unwrap();
        let data = PI.split_once("data=").unwrap().1.replace("%2B", "+");
        let data = data.replace("%2F", "/");
        for variant in [
            data.replace('+', " "),
            data.replace('+', "-").replace('/', "_"),
            format!("{data}%3D%3D"),
            data.clone(),
        ] {
            let uri = format!("OTPAUTH-MIGRATION://offline?data={variant}");
            assert_eq!(parse_migration_uri(&uri).unwrap(), expected, "{variant}");
        }
    }

    #[test]
    fn specific_errors() {
        let err = |uri: &str| parse_migration_uri(uri).unwrap_err();
        assert_eq!(
            err("otpauth://totp/x?secret=A"),
            MigrationError::WrongPrefix
        );
        assert_eq!(err(&format!("QR-Code:{PI}")), MigrationError::WrongPrefix);
        assert_eq!(
            err("otpauth-migration://offline?x=1"),
            MigrationError::MissingData
        );
        assert_eq!(
            err("otpauth-migration://offline?data=%G1"),
            MigrationError::InvalidPercentEncoding
        );
        assert_eq!(
            err("otpauth-migration://offline?data=ab*c"),
            MigrationError::InvalidBase64 { position: 2 }
        );
        assert_eq!(
            err("otpauth-migration://offline?data=ab*c").to_string(),
            "the data parameter is not valid base64 (at character 3)"
        );
        assert!(matches!(
            err("otpauth-migration://offline?data=XXXX"),
            MigrationError::InvalidProtobuf { .. }
        ));
        assert_eq!(
            err("otpauth-migration://offline?data=EAE%3D"),
            MigrationError::NoAccounts
        );
        assert_eq!(
            err(&uri_of(&payload(params(4, 1, 2, 0)))),
            MigrationError::UnsupportedAlgorithm {
                account: 1,
                name: "MD5".into()
            }
        );
        assert_eq!(
            err(&uri_of(&payload(params(1, 3, 2, 0)))),
            MigrationError::UnsupportedDigits {
                account: 1,
                code: 3
            }
        );
        assert_eq!(
            err(&uri_of(&payload(params(1, 1, 5, 0)))),
            MigrationError::UnsupportedType {
                account: 1,
                code: 5
            }
        );
        assert_eq!(
            err(&uri_of(&payload(params(1, 1, 1, -1)))),
            MigrationError::InvalidCounter { account: 1 }
        );
        let mut empty = params(1, 1, 2, 0);
        empty.secret.clear();
        assert!(matches!(
            err(&uri_of(&payload(empty))),
            MigrationError::InvalidAccount { account: 1, .. }
        ));
    }

    #[test]
    fn errors_and_debug_hold_no_secret() {
        let p = params(4, 1, 2, 0);
        assert!(format!("{p:?}").contains("<redacted>"));
        let uri = uri_of(&payload(p));
        let message = parse_migration_uri(&uri).unwrap_err().to_string();
        assert!(!message.contains(uri.split_once("data=").unwrap().1));
    }

    #[test]
    fn unspecified_fields_default_like_google_authenticator() {
        let batch = parse_migration_uri(&uri_of(&payload(params(0, 0, 0, 0)))).unwrap();
        let account = &batch.accounts[0];
        assert_eq!(account.algorithm, Algorithm::Sha1);
        assert_eq!(account.digits, 6);
        assert_eq!(account.kind, OtpKind::Totp { period: 30 });
    }

    #[test]
    fn round_trip_splits_into_batches() {
        let accounts: Vec<Account> = (0..23_u8)
            .map(|i| {
                let kind = if i % 3 == 0 {
                    OtpKind::Hotp {
                        counter: u64::from(i) * 1000,
                    }
                } else {
                    OtpKind::Totp { period: 30 }
                };
                let algorithm =
                    [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512][usize::from(i % 3)];
                let name = match i {
                    1 => ": tricky: name".to_owned(),
                    2 => " leading".to_owned(),
                    _ => format!("user{i}@example.com"),
                };
                Account::new(
                    if i == 4 {
                        String::new()
                    } else {
                        format!("Issuer {i}")
                    },
                    name,
                    SecretBytes::from(vec![i; 10 + usize::from(i)]),
                    algorithm,
                    if i % 2 == 0 { 6 } else { 8 },
                    kind,
                )
                .unwrap()
            })
            .collect();
        let uris = format_migration_uris_with_id(&accounts, 4242);
        assert_eq!(uris.len(), 3);
        let mut back = Vec::new();
        for (index, uri) in uris.iter().enumerate() {
            let batch = parse_migration_uri(uri).unwrap();
            assert_eq!(batch.batch_id, 4242);
            assert_eq!(batch.batch_size, 3);
            assert_eq!(batch.batch_index, i32::try_from(index).unwrap());
            assert_eq!(batch.version, 1);
            back.extend(batch.accounts);
        }
        assert_eq!(back, accounts);
    }

    #[test]
    fn leaves_out_what_the_format_cannot_carry() {
        let secret = || SecretBytes::from(vec![7; 10]);
        let steam = Account::new(
            "S",
            "s",
            secret(),
            Algorithm::Sha1,
            5,
            OtpKind::Steam { period: 30 },
        )
        .unwrap();
        let seven = Account::new(
            "A",
            "a",
            secret(),
            Algorithm::Sha1,
            7,
            OtpKind::Hotp { counter: 0 },
        )
        .unwrap();
        let period = Account::new(
            "P",
            "p",
            secret(),
            Algorithm::Sha1,
            6,
            OtpKind::Totp { period: 60 },
        )
        .unwrap();
        let fine = Account::new(
            "F",
            "f",
            secret(),
            Algorithm::Sha1,
            6,
            OtpKind::Totp { period: 30 },
        )
        .unwrap();
        for bad in [&steam, &seven, &period] {
            assert!(matches!(
                super::check_migration_compatible(bad),
                Err(MigrationError::NotRepresentable { .. })
            ));
        }
        let one_second = Account {
            kind: OtpKind::Totp { period: 1 },
            ..fine.clone()
        };
        assert_eq!(
            super::check_migration_compatible(&one_second)
                .unwrap_err()
                .to_string(),
            "Google Authenticator exports cannot carry a period of 1 second"
        );
        let uris = format_migration_uris_with_id(&[steam, seven, period, fine.clone()], 1);
        assert_eq!(uris.len(), 1);
        assert_eq!(parse_migration_uri(&uris[0]).unwrap().accounts, vec![fine]);
        assert!(format_migration_uris_with_id(&[], 1).is_empty());
    }
}
