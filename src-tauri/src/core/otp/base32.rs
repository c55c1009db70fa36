//! Base32 (RFC 4648, the alphabet `A–Z2–7`) as authenticators write secrets:
//! any case, `=` padding optional, spaces and hyphens ignored.
//!
//! Must never: put the secret, or any character of it, into an error; the
//! errors name a position or a length only.

use zeroize::Zeroize;

use super::error::OtpError;
use crate::core::secret::SecretBytes;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    }
}

/// Decodes a base32 secret. Whitespace and `-` anywhere are ignored;
/// `=` is accepted only as trailing padding. Leftover bits after the last
/// whole byte are dropped (as every common authenticator does).
pub fn decode(text: &str) -> Result<SecretBytes, OtpError> {
    let mut bytes = Vec::with_capacity(text.len() * 5 / 8 + 1);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    let mut position = 0usize;
    let mut data_chars = 0usize;
    let mut padding = false;
    let mut result = Ok(());
    for c in text.bytes() {
        if c.is_ascii_whitespace() || c == b'-' {
            continue;
        }
        if c == b'=' {
            padding = true;
            position += 1;
            continue;
        }
        let v = match value(c) {
            Some(v) if !padding => v,
            _ => {
                result = Err(OtpError::InvalidBase32Character { position });
                break;
            }
        };
        buffer = (buffer << 5) | u32::from(v);
        bits += 5;
        data_chars += 1;
        if bits >= 8 {
            bits -= 8;
            // The low 8 bits are the next byte.
            bytes.push((buffer >> bits).to_le_bytes()[0]);
        }
        position += 1;
    }
    buffer.zeroize();
    if result.is_ok() && matches!(data_chars % 8, 1 | 3 | 6) {
        result = Err(OtpError::InvalidBase32Length { length: data_chars });
    }
    match result {
        Ok(()) => Ok(SecretBytes::new(bytes)),
        Err(error) => {
            bytes.zeroize();
            Err(error)
        }
    }
}

/// Encodes bytes as upper-case base32 without padding (the form
/// authenticators expect in `otpauth://` URIs).
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    buffer.zeroize();
    out
}

#[cfg(test)]
mod tests {
    use super::{decode, encode};
    use crate::core::otp::OtpError;

    #[test]
    fn rfc4648_vectors() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "MY"),
            (b"fo", "MZXQ"),
            (b"foo", "MZXW6"),
            (b"foob", "MZXW6YQ"),
            (b"fooba", "MZXW6YTB"),
            (b"foobar", "MZXW6YTBOI"),
        ];
        for (bytes, text) in cases {
            assert_eq!(encode(bytes), text);
            assert_eq!(decode(text).unwrap().expose(), bytes);
        }
        assert_eq!(decode("MZXW6YTBOI======").unwrap().expose(), b"foobar");
    }

    #[test]
    fn lenient_forms() {
        let expected = decode("JBSWY3DPEHPK3PXP").unwrap();
        for text in [
            "jbswy3dpehpk3pxp",
            "JBSW Y3DP EHPK 3PXP",
            "jbsw-y3dp-ehpk-3pxp",
            " JBSWY3DPEHPK3PXP\n",
        ] {
            assert_eq!(decode(text).unwrap(), expected, "{text}");
        }
    }

    #[test]
    fn errors_name_position_or_length() {
        assert_eq!(
            decode("JBSW1"),
            Err(OtpError::InvalidBase32Character { position: 4 })
        );
        assert_eq!(
            decode("JB SW 0"),
            Err(OtpError::InvalidBase32Character { position: 4 })
        );
        assert_eq!(
            decode("MY==MY"),
            Err(OtpError::InvalidBase32Character { position: 4 })
        );
        assert_eq!(
            decode("MZX"),
            Err(OtpError::InvalidBase32Length { length: 3 })
        );
        assert_eq!(
            decode("A"),
            Err(OtpError::InvalidBase32Length { length: 1 })
        );
        assert_eq!(
            decode("MZXW6Y"),
            Err(OtpError::InvalidBase32Length { length: 6 })
        );
    }
}
