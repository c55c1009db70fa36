//! Base32 (RFC 4648, the alphabet `A–Z2–7`) as authenticators write
//! secrets. This is the one decoder for secrets: the `otpauth://` parser,
//! the add form and every importer call it, so one rule holds everywhere:
//!
//! - letters in any case; spaces (any ASCII whitespace) and `-` anywhere
//!   are ignored;
//! - `=` is optional padding, accepted only at the end, in any number;
//! - the bits after the last whole byte are dropped. RFC 4648 lengths
//!   (0, 2, 4, 5 or 7 characters past a multiple of 8) leave 0–4 zero
//!   bits there; every other length is accepted too, as 2FAS, Ente Auth,
//!   Proton Authenticator and Apache commons-codec (lenient, its default)
//!   decode it: `n` characters give `floor(5n / 8)` bytes, so a 17-character
//!   secret is 10 bytes and its last character is dropped. When the dropped
//!   bits carried information (such a length, or non-zero padding bits) the
//!   secret is *non-canonical* and [`decode_noted`] says how many bits were
//!   dropped ([`ParseNote::NonCanonicalSecret`]), for the import preview and
//!   the URI parse to show. Guava (and with it Aegis) refuses those
//!   lengths; we accept them so that accounts migrated from the apps that
//!   show codes for them keep working.
//! - refused: a character outside the alphabet, a character after `=`, and
//!   a single character (5 bits, not one byte). No characters at all
//!   decode to no bytes; callers refuse an empty secret.
//!
//! Must never: put the secret, or any character of it, into an error; the
//! errors name a position or a length only.

use zeroize::Zeroize;

use super::error::OtpError;
use super::note::ParseNote;
use crate::core::secret::SecretBytes;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn value(c: char) -> Option<u8> {
    let c = u8::try_from(c).ok()?;
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a'),
        b'2'..=b'7' => Some(c - b'2' + 26),
        _ => None,
    }
}

/// Decodes a base32 secret by the rule in the module doc, without saying
/// whether it was canonical.
pub fn decode(text: &str) -> Result<SecretBytes, OtpError> {
    decode_noted(text).map(|(secret, _)| secret)
}

/// Decodes a base32 secret by the rule in the module doc, with a
/// [`ParseNote::NonCanonicalSecret`] when bits that carried information
/// were dropped.
pub fn decode_noted(text: &str) -> Result<(SecretBytes, Option<ParseNote>), OtpError> {
    let mut bytes = Vec::with_capacity(text.len() * 5 / 8 + 1);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    let mut position = 0usize;
    let mut data_chars = 0usize;
    let mut padding = false;
    let mut result = Ok(());
    for c in text.chars() {
        if c.is_ascii_whitespace() || c == '-' {
            continue;
        }
        if c == '=' {
            padding = true;
            position += 1;
            continue;
        }
        let v = match value(c) {
            Some(_) if padding => {
                result = Err(OtpError::Base32AfterPadding { position });
                break;
            }
            Some(v) => v,
            None => {
                result = Err(OtpError::InvalidBase32Character { position });
                break;
            }
        };
        // Only the low `bits` bits of the buffer are still to be read.
        buffer = ((buffer << 5) | u32::from(v)) & 0xFFF;
        bits += 5;
        data_chars += 1;
        if bits >= 8 {
            bits -= 8;
            // The low 8 bits are the next byte.
            bytes.push((buffer >> bits).to_le_bytes()[0]);
        }
        position += 1;
    }
    let leftover = buffer & ((1 << bits) - 1);
    buffer.zeroize();
    if result.is_ok() && data_chars > 0 && bytes.is_empty() {
        result = Err(OtpError::InvalidBase32Length { length: data_chars });
    }
    if let Err(error) = result {
        bytes.zeroize();
        return Err(error);
    }
    let non_canonical = leftover != 0 || matches!(data_chars % 8, 1 | 3 | 6);
    let note = non_canonical.then(|| ParseNote::NonCanonicalSecret {
        // `bits` is below 8 here.
        dropped_bits: u8::try_from(bits).unwrap_or(u8::MAX),
    });
    Ok((SecretBytes::new(bytes), note))
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
    use super::{decode, decode_noted, encode};
    use crate::core::otp::{OtpError, ParseNote};

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
            Err(OtpError::Base32AfterPadding { position: 4 })
        );
        assert_eq!(
            decode("A"),
            Err(OtpError::InvalidBase32Length { length: 1 })
        );
        assert_eq!(
            decode("A=======").unwrap_err().to_string(),
            "the secret is not valid base32: 1 character cannot encode a whole byte"
        );
        assert_eq!(
            decode("JBSW1").unwrap_err().to_string(),
            "the secret is not valid base32: character 5 is not a letter A–Z or a digit 2–7"
        );
    }

    /// Every length decodes to `floor(5n / 8)` bytes; the note says when
    /// dropped bits carried information.
    #[test]
    fn non_canonical_lengths_and_padding_bits() {
        let note = |bits| Some(ParseNote::NonCanonicalSecret { dropped_bits: bits });
        let cases: [(&str, &[u8], Option<ParseNote>); 9] = [
            ("MZXW6YQ", b"foob", None),
            ("MZX", b"f", note(7)),
            ("MZXW6Y", b"foo", note(6)),
            ("MZXW6YTBA", b"fooba", note(5)),
            ("MZ", b"f", note(2)),
            ("MZXW6YR", b"foob", note(3)),
            ("MZXW6YQ=", b"foob", None),
            ("MZX=====", b"f", note(7)),
            ("", b"", None),
        ];
        for (text, bytes, expected) in cases {
            let (secret, got) = decode_noted(text).unwrap();
            assert_eq!(secret.expose(), bytes, "{text}");
            assert_eq!(got, expected, "{text}");
        }
        // The 17- and 19-character secrets people type into 2FAS and Ente.
        let (secret, got) = decode_noted("JBSWY3DPEHPK3PXPA").unwrap();
        assert_eq!(secret.expose(), b"Hello!\xde\xad\xbe\xef");
        assert_eq!(got, note(5));
        let (secret, got) = decode_noted("JBSWY3DPEHPK3PXPJBS").unwrap();
        assert_eq!(secret.expose(), b"Hello!\xde\xad\xbe\xefH");
        assert_eq!(got, note(7));
    }
}
