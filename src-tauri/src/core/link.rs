//! Links the desktop hands Tessera: `tessera otpauth://…` as the handler
//! of `otpauth://` and `otpauth-migration://` links (a click in a browser,
//! `xdg-open`), and the same link passed on to a window already open.
//!
//! An [`AccountLink`] is only checked for what it claims to be (its scheme,
//! its size, no control characters); its accounts are read when the window
//! stages it, where they wait for the user's confirmation like a scan's.
//!
//! Must never: put the link into an error message, a log line or `Debug`
//! output (it holds the secret), or add an account without the user's
//! confirmation (that is the staging's job, not this module's).

use crate::core::secret::SecretString;

/// The longest link Tessera opens: a Google export's QR code holds at most
/// about 3 KB, a link typed by hand far less.
pub const MAX_LINK_BYTES: usize = 64 * 1024;

const SCHEMES: [&str; 2] = ["otpauth://", "otpauth-migration://"];

/// An `otpauth://` or `otpauth-migration://` link, held as a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountLink(SecretString);

/// Why a text is not a link Tessera opens. Never carries the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("not an otpauth:// or otpauth-migration:// link")]
    NotAnAccountLink,
    #[error("the link is too long ({length} bytes; at most {limit})")]
    TooLong { length: usize, limit: usize },
    #[error("the link holds control characters (a link has none)")]
    ControlCharacter,
}

impl AccountLink {
    /// Checks `text` (trimmed of surrounding white space) and keeps it.
    ///
    /// # Errors
    /// [`LinkError`] when the text is not such a link.
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        let text = text.trim();
        let scheme_matches = SCHEMES.iter().any(|scheme| {
            text.get(..scheme.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
        });
        if !scheme_matches {
            return Err(LinkError::NotAnAccountLink);
        }
        if text.len() > MAX_LINK_BYTES {
            return Err(LinkError::TooLong {
                length: text.len(),
                limit: MAX_LINK_BYTES,
            });
        }
        if text.chars().any(char::is_control) {
            return Err(LinkError::ControlCharacter);
        }
        Ok(Self(SecretString::from(text)))
    }

    /// Whether `text` names one of the link schemes, whatever follows: an
    /// argument that does is a link (and a secret), not a mistyped command.
    pub fn looks_like_one(text: &str) -> bool {
        let lower = text.trim_start().to_ascii_lowercase();
        lower.starts_with("otpauth:") || lower.starts_with("otpauth-migration:")
    }

    /// The link itself. Keep the borrow short; never log it.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_schemes_are_links_in_any_case_and_the_text_is_kept() {
        for text in [
            "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP",
            "OTPAUTH://TOTP/x?secret=JBSWY3DPEHPK3PXP",
            "otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGA",
            "  otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1\n",
        ] {
            let link = AccountLink::parse(text).unwrap();
            assert_eq!(link.expose(), text.trim());
            assert!(AccountLink::looks_like_one(text));
        }
    }

    #[test]
    fn other_texts_are_refused_with_a_reason_that_does_not_repeat_them() {
        let secret = "JBSWY3DPEHPK3PXP";
        let cases = [
            (
                format!("https://example.com/?secret={secret}"),
                LinkError::NotAnAccountLink,
            ),
            ("lsit".to_owned(), LinkError::NotAnAccountLink),
            ("otpauth:/totp/x".to_owned(), LinkError::NotAnAccountLink),
            (
                format!("otpauth://totp/x?secret={secret}\u{1b}[2J"),
                LinkError::ControlCharacter,
            ),
            (
                format!("otpauth://totp/x?secret={secret}\nrm -rf"),
                LinkError::ControlCharacter,
            ),
        ];
        for (text, expected) in cases {
            let error = AccountLink::parse(&text).unwrap_err();
            assert_eq!(error, expected, "{text:.60}");
            assert!(!error.to_string().contains(secret), "{error}");
        }
        let long = format!(
            "otpauth://totp/x?secret={secret}&p={}",
            "a".repeat(MAX_LINK_BYTES)
        );
        assert_eq!(
            AccountLink::parse(&long).unwrap_err(),
            LinkError::TooLong {
                length: long.len(),
                limit: MAX_LINK_BYTES,
            }
        );
        assert!(!AccountLink::looks_like_one("lsit"));
        assert!(AccountLink::looks_like_one("otpauth:/totp/x"));
    }

    #[test]
    fn debug_output_hides_the_link() {
        let link = AccountLink::parse("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP").unwrap();
        assert!(!format!("{link:?}").contains("JBSWY3DP"));
    }
}
