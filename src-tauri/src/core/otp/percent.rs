//! Percent-encoding of `otpauth://` labels and parameters (RFC 3986), text
//! being UTF-8.
//!
//! `+` is a space in the query (the `application/x-www-form-urlencoded`
//! convention that Android's `Uri.getQueryParameter` follows, and with it
//! Google Authenticator for Android and Aegis; real exports such as Aegis's
//! `issuer=Air+Canada` rely on it) but a literal `+` in the label, which is
//! a URI path where `+` has no special meaning. We never write a bare `+`:
//! a space is written `%20` and a plus `%2B` everywhere, so every reader
//! understands what we write the same way.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use super::error::OtpError;

/// Where a piece of text came from, for the error message.
#[derive(Clone, Copy)]
pub enum Part<'a> {
    Label,
    /// A query parameter name or value, `+` meaning space.
    Parameter(&'a str),
}

impl Part<'_> {
    fn describe(self) -> String {
        match self {
            Self::Label => "label".to_owned(),
            Self::Parameter(name) => format!("parameter “{}”", super::error::shown(name)),
        }
    }
}

/// What [`encode`] leaves as it is: RFC 3986 unreserved characters and
/// `@` (kept readable in e-mail addresses; it is allowed in both path and
/// query).
const KEPT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

/// Decodes `%XX` escapes (and, in a query, `+` as space) into UTF-8 text.
/// A `%` not followed by two hex digits, or bytes that are not UTF-8,
/// are refused (the `percent-encoding` crate would keep them as they are).
pub fn decode(text: &str, part: Part<'_>) -> Result<String, OtpError> {
    if !text.contains(['%', '+']) {
        return Ok(text.to_owned());
    }
    let invalid = || OtpError::InvalidPercentEncoding {
        part: part.describe(),
    };
    if !escapes_are_whole(text) {
        return Err(invalid());
    }
    let spaced;
    let text = if matches!(part, Part::Parameter(_)) {
        spaced = text.replace('+', " ");
        spaced.as_str()
    } else {
        text
    };
    percent_decode_str(text)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| invalid())
}

/// Whether every `%` in `text` is followed by two hex digits.
pub(crate) fn escapes_are_whole(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    })
}

/// Encodes everything but RFC 3986 unreserved characters and `@`.
pub fn encode(text: &str) -> String {
    utf8_percent_encode(text, KEPT).to_string()
}

#[cfg(test)]
mod tests {
    use super::{Part, decode, encode};
    use crate::core::otp::OtpError;

    #[test]
    fn plus_depends_on_the_part() {
        assert_eq!(
            decode("Air+Canada", Part::Parameter("issuer")).unwrap(),
            "Air Canada"
        );
        assert_eq!(decode("Air+Canada", Part::Label).unwrap(), "Air+Canada");
        assert_eq!(decode("a%2Bb", Part::Parameter("issuer")).unwrap(), "a+b");
    }

    #[test]
    fn utf8_round_trip() {
        let text = "Zoë + 東京: a b/c?d&e=f#%";
        let encoded = encode(text);
        assert_eq!(
            encoded,
            "Zo%C3%AB%20%2B%20%E6%9D%B1%E4%BA%AC%3A%20a%20b%2Fc%3Fd%26e%3Df%23%25"
        );
        assert_eq!(decode(&encoded, Part::Label).unwrap(), text);
        assert_eq!(decode(&encoded, Part::Parameter("x")).unwrap(), text);
        assert_eq!(encode("alice@example.com"), "alice@example.com");
    }

    #[test]
    fn bad_escapes() {
        let bad = |text| decode(text, Part::Parameter("issuer")).unwrap_err();
        let expected = OtpError::InvalidPercentEncoding {
            part: "parameter “issuer”".into(),
        };
        assert_eq!(bad("%"), expected);
        assert_eq!(bad("%4"), expected);
        assert_eq!(bad("%zz"), expected);
        assert_eq!(bad("%FF"), expected); // not UTF-8
        assert_eq!(
            decode("%C3", Part::Label).unwrap_err(),
            OtpError::InvalidPercentEncoding {
                part: "label".into()
            }
        );
    }
}
