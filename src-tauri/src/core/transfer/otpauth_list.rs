//! A plain list of `otpauth://` URIs, one per line; blank lines and lines
//! starting with `#` are skipped. What `tessera export --format otpauth`
//! writes, and what many apps export as "plain text".
//!
//! Must never: quote a line in an error (it holds a secret).

use super::{Format, ImportError, Importer, InvalidItem, Parsed, utf8};
use crate::core::otp::{Account, ParseNote, parse_uri_with_notes};
use crate::core::secret::SecretString;

/// Importer for [`Format::OtpauthList`].
pub struct OtpauthList;

impl Importer for OtpauthList {
    const FORMAT: Format = Format::OtpauthList;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let mut parsed = Parsed::new(Self::FORMAT);
        for (line_no, result) in parse_lines(Self::FORMAT, bytes)? {
            match result {
                Ok((account, notes)) => {
                    parsed.push_entry(Ok(super::ImportedItem::new(account)), &notes);
                }
                Err(reason) => parsed.push_entry(Err(invalid_line(line_no, reason)), &[]),
            }
        }
        parsed.non_empty()
    }
}

/// A URI line's 1-based number and the account it holds with the notes of
/// its parse, or why not.
pub(crate) type Line = (usize, Result<(Account, Vec<ParseNote>), String>);

/// Every URI line of the file, parsed.
pub(crate) fn parse_lines(format: Format, bytes: &[u8]) -> Result<Vec<Line>, ImportError> {
    let text = utf8(format, bytes)?;
    Ok(text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(no, line)| (no, parse_uri_with_notes(line).map_err(|e| e.to_string())))
        .collect())
}

pub(crate) fn invalid_line(line_no: usize, reason: String) -> InvalidItem {
    InvalidItem::at(format!("line {line_no}"), reason)
}

/// The export: one URI per line, in order. The text holds every secret.
pub fn export<'a>(accounts: impl IntoIterator<Item = &'a Account>) -> zeroize::Zeroizing<String> {
    let mut out = zeroize::Zeroizing::new(String::new());
    for account in accounts {
        let mut uri = zeroize::Zeroizing::new(account.to_uri());
        out.push_str(&uri);
        out.push('\n');
        uri.clear();
    }
    out
}
