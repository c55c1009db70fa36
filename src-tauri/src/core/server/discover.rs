//! Secret discovery in a `setup` answer, in the contract's order: an
//! explicit base32 secret field → an `otpauth://` URI field → a QR image
//! (PNG/JPEG/GIF `data:` URL, raw SVG markup, `data:image/svg+xml` URL, or
//! an image body), decoded by an injected [`QrDecoder`].
//!
//! Must never: copy the secret, the URI or the image into an error, or
//! trust the server's label: the account is named by the user's server
//! name and username (see [`Label`]).

use base64::Engine as _;
use serde_json::Value as Json;

use super::error::ServerError;
use super::http::Answer;
use super::profile::{Operation, Profile, lookup};
use crate::core::otp::{Account, parse_uri};
use crate::core::plural::counted;

/// Decodes every QR code in an image (raster or SVG) to its text.
pub type QrDecoder = fn(&[u8]) -> Result<Vec<String>, String>;

/// The decoder the app uses: [`crate::core::qr::decode`], its error as text.
pub fn qr_decoder() -> QrDecoder {
    |image| crate::core::qr::decode(image).map_err(|error| error.to_string())
}

/// How the enrolled account is named.
#[derive(Clone, Debug, Default)]
pub struct Label {
    /// The issuer; the server's name (or host) when `None`.
    pub issuer: Option<String>,
    /// The account name; the username (or the URI label's account part)
    /// when `None`.
    pub account: Option<String>,
}

/// Where the secret was found (for messages and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    SecretField,
    OtpauthField,
    QrImage,
}

/// Finds the secret in `answer` and builds the account named by `issuer`
/// and `account` (falling back to the URI label's account part).
///
/// # Errors
/// `Protocol` when the answer is malformed or holds no secret; `Qr` when
/// its QR image cannot be read; `Otp` when the secret or URI is invalid.
pub fn discover(
    profile: &Profile,
    op: &Operation,
    answer: &Answer,
    qr: Option<QrDecoder>,
    issuer: &str,
    account: Option<&str>,
) -> Result<(Account, Source), ServerError> {
    let json = answer.json()?;
    let (mut found, source) = match &json {
        Some(json) => find_in_json(profile, op, json, qr)?,
        None if answer.is_image() => (uri_from_image(&answer.body, qr)?, Source::QrImage),
        None if answer.body.is_empty() => {
            return Err(ServerError::protocol("the setup answer is empty"));
        }
        None => {
            return Err(ServerError::protocol(format!(
                "the setup answer is “{}”, not JSON or an image",
                if answer.content_type.is_empty() {
                    "untyped"
                } else {
                    &answer.content_type
                }
            )));
        }
    };
    issuer.clone_into(&mut found.issuer);
    if let Some(name) = account {
        name.clone_into(&mut found.name);
    }
    Ok((found, source))
}

fn find_in_json(
    profile: &Profile,
    op: &Operation,
    json: &Json,
    qr: Option<QrDecoder>,
) -> Result<(Account, Source), ServerError> {
    for field in &op.secret_fields {
        if let Some(secret) = text(json, field) {
            return Ok((from_secret(profile, secret)?, Source::SecretField));
        }
    }
    for field in &op.otpauth_fields {
        if let Some(uri) = text(json, field)
            && uri.starts_with("otpauth://")
        {
            return Ok((parse_uri(uri)?, Source::OtpauthField));
        }
    }
    for field in &op.qr_fields {
        let Some(value) = text(json, field) else {
            continue;
        };
        if value.starts_with("otpauth://") {
            return Ok((parse_uri(value)?, Source::OtpauthField));
        }
        let image = image_bytes(value)?;
        return Ok((uri_from_image(&image, qr)?, Source::QrImage));
    }
    Err(ServerError::protocol(
        "the setup answer has no secret, otpauth URI or QR image",
    ))
}

fn text<'j>(json: &'j Json, field: &str) -> Option<&'j str> {
    lookup(json, field)
        .and_then(Json::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An account from a bare base32 secret and the profile's TOTP defaults.
fn from_secret(profile: &Profile, secret: &str) -> Result<Account, ServerError> {
    if !secret
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '=' | ' ' | '-'))
    {
        return Err(ServerError::protocol("the secret field is not base32"));
    }
    let compact: String = secret.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let t = &profile.totp;
    let uri = format!(
        "otpauth://totp/x?secret={compact}&algorithm={}&digits={}&period={}",
        t.algorithm, t.digits, t.period
    );
    let mut account = parse_uri(&uri)?;
    account.name.clear();
    Ok(account)
}

/// The bytes of a QR image field: a `data:` URL (base64 or percent-encoded)
/// or raw SVG markup.
fn image_bytes(value: &str) -> Result<Vec<u8>, ServerError> {
    if let Some(rest) = value.strip_prefix("data:") {
        let (meta, data) = rest
            .split_once(',')
            .ok_or_else(|| ServerError::protocol("a data: URL without data"))?;
        if meta.ends_with(";base64") {
            let compact: String = data.chars().filter(|c| !c.is_whitespace()).collect();
            return base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|_| ServerError::protocol("a data: URL with invalid base64"));
        }
        return Ok(percent_encoding::percent_decode_str(data).collect());
    }
    if value.contains("<svg") {
        return Ok(value.as_bytes().to_vec());
    }
    Err(ServerError::protocol(
        "the QR field is neither an otpauth URI, a data: URL nor SVG",
    ))
}

fn uri_from_image(image: &[u8], qr: Option<QrDecoder>) -> Result<Account, ServerError> {
    let decode = qr.ok_or_else(|| ServerError::Qr {
        reason: "this build has no QR decoder".to_owned(),
    })?;
    let texts = decode(image).map_err(|reason| ServerError::Qr { reason })?;
    let uri = texts
        .iter()
        .find(|t| t.starts_with("otpauth://"))
        .ok_or_else(|| ServerError::Qr {
            reason: format!(
                "{} found, but no otpauth:// URI",
                counted(texts.len(), "QR code", "QR codes")
            ),
        })?;
    Ok(parse_uri(uri)?)
}

#[cfg(test)]
mod tests {
    use super::{Source, discover, uri_from_image};
    use crate::core::server::ServerError;
    use crate::core::server::http::Answer;
    use crate::core::server::profile::{OpName, Profile};

    fn answer(content_type: &str, body: &[u8]) -> Answer {
        Answer {
            status: 200,
            headers: reqwest::header::HeaderMap::new(),
            content_type: content_type.to_owned(),
            body: body.to_vec(),
        }
    }

    fn qr_stub(bytes: &[u8]) -> Result<Vec<String>, String> {
        if bytes == b"PNG" || bytes.starts_with(b"<svg") {
            Ok(vec![
                "hello".into(),
                "otpauth://totp/SecretKey?secret=JBSWY3DPEHPK3PXP&digits=8".into(),
            ])
        } else {
            Err("no QR code found".into())
        }
    }

    #[test]
    fn order_and_sources() {
        let p = Profile::builtin("syncano").unwrap();
        let op = p.op(OpName::Setup).unwrap();
        let run = |body: &str| {
            discover(
                &p,
                op,
                &answer("application/json", body.as_bytes()),
                Some(qr_stub),
                "Srv",
                Some("al"),
            )
        };
        let (a, s) = run(r#"{"tempSecret":"JBSWY3DPEHPK3PXP","otpURL":"otpauth://totp/x?secret=GEZDGNBV&digits=8"}"#).unwrap();
        assert_eq!(
            (s, a.digits, a.issuer.as_str(), a.name.as_str()),
            (Source::SecretField, 6, "Srv", "al")
        );
        let (a, s) = run(r#"{"otpURL":"otpauth://totp/x?secret=GEZDGNBV&digits=8"}"#).unwrap();
        assert_eq!((s, a.digits), (Source::OtpauthField, 8));
        let (a, s) = run(r#"{"dataURL":"data:image/png;base64,UE5H"}"#).unwrap();
        assert_eq!((s, a.digits), (Source::QrImage, 8));
        assert!(matches!(
            run(r#"{"dataURL":"data:image/png;base64,QUJD"}"#),
            Err(ServerError::Qr { .. })
        ));
        assert!(matches!(
            run(r#"{"message":"hi"}"#),
            Err(ServerError::Protocol { .. })
        ));
        assert!(matches!(
            run(r#"{"tempSecret":"not/base32!"}"#),
            Err(ServerError::Protocol { .. })
        ));
        let err = run(r#"{"tempSecret":"JBSWY3DPEHPK3PX1"}"#)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("JBSWY3DPEHPK3PX1"), "{err}");
    }

    #[test]
    fn laravel_code_field_variants_and_image_bodies() {
        let p = Profile::builtin("laravel-google2fa").unwrap();
        let op = p.op(OpName::Setup).unwrap();
        let run =
            |ct: &str, body: &[u8]| discover(&p, op, &answer(ct, body), Some(qr_stub), "S", None);
        let (_, s) = run("application/json", br#"{"code":"<svg xmlns='x'></svg>"}"#).unwrap();
        assert_eq!(s, Source::QrImage);
        let (a, s) = run(
            "application/json",
            br#"{"code":"otpauth://totp/Lara:bob?secret=GEZDGNBV"}"#,
        )
        .unwrap();
        assert_eq!(
            (s, a.name.as_str(), a.issuer.as_str()),
            (Source::OtpauthField, "bob", "S")
        );
        let (_, s) = run(
            "application/json",
            br#"{"code":"data:image/svg+xml,%3Csvg%3E"}"#,
        )
        .unwrap();
        assert_eq!(s, Source::QrImage);
        let (_, s) = run("image/png", b"PNG").unwrap();
        assert_eq!(s, Source::QrImage);
        assert!(matches!(
            run("text/html", b"<html>"),
            Err(ServerError::Protocol { .. })
        ));
        assert!(matches!(
            run("application/json", b""),
            Err(ServerError::Protocol { .. })
        ));
        assert!(matches!(
            run("application/json", b"{oops"),
            Err(ServerError::Protocol { .. })
        ));
        assert!(matches!(
            discover(&p, op, &answer("image/png", b"PNG"), None, "S", None),
            Err(ServerError::Qr { .. })
        ));
    }

    #[test]
    fn pictures_without_an_otpauth_uri_count_their_codes_in_words() {
        let reason = |decoder: super::QrDecoder| match uri_from_image(b"", Some(decoder)) {
            Err(ServerError::Qr { reason }) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            reason(|_| Ok(vec!["https://example.com".to_owned()])),
            "1 QR code found, but no otpauth:// URI"
        );
        assert_eq!(
            reason(|_| Ok(Vec::new())),
            "0 QR codes found, but no otpauth:// URI"
        );
        assert_eq!(
            reason(|_| Ok(vec!["a".to_owned(), "b".to_owned()])),
            "2 QR codes found, but no otpauth:// URI"
        );
    }
}
