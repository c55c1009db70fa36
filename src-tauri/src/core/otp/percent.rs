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

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes (and, in a query, `+` as space) into UTF-8 text.
pub fn decode(text: &str, part: Part<'_>) -> Result<String, OtpError> {
    if !text.contains(['%', '+']) {
        return Ok(text.to_owned());
    }
    let plus_is_space = matches!(part, Part::Parameter(_));
    let input = text.as_bytes();
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' => {
                let high = input.get(i + 1).copied().and_then(hex);
                let low = input.get(i + 2).copied().and_then(hex);
                let (Some(high), Some(low)) = (high, low) else {
                    return Err(OtpError::InvalidPercentEncoding {
                        part: part.describe(),
                    });
                };
                out.push(high << 4 | low);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| OtpError::InvalidPercentEncoding {
        part: part.describe(),
    })
}

/// Encodes everything but RFC 3986 unreserved characters and `@` (kept
/// readable in e-mail addresses; it is allowed in both path and query).
pub fn encode(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'@') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
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
