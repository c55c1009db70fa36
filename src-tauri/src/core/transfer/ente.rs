//! Ente Auth's plain-text export: `otpauth://` URIs, one per line, each
//! with a `codeDisplay` parameter holding JSON (`tags`, `pinned`,
//! `trashed`, `note`), which becomes tags, favourite and note.
//!
//! Must never: quote a line in an error (it holds a secret).

use serde::Deserialize;

use super::otpauth_list::{invalid_line, parse_lines};
use super::{Format, ImportError, ImportedItem, Importer, Parsed};
use crate::core::secret::SecretString;
use crate::core::vault::Details;

/// Importer for [`Format::Ente`].
pub struct Ente;

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct CodeDisplay {
    pinned: bool,
    trashed: bool,
    tags: Vec<String>,
    note: String,
}

impl Importer for Ente {
    const FORMAT: Format = Format::Ente;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        read(Self::FORMAT, bytes)
    }
}

/// The export's lines, read as `format` (the plain export, or the text
/// inside an encrypted one).
pub(crate) fn read(format: Format, bytes: &[u8]) -> Result<Parsed, ImportError> {
    let mut parsed = Parsed::new(format);
    let mut trashed = 0;
    for (line_no, result) in parse_lines(format, bytes)? {
        let (mut account, notes) = match result {
            Ok(read) => read,
            Err(reason) => {
                parsed.push_entry(Err(invalid_line(line_no, reason)), &[]);
                continue;
            }
        };
        let mut display = CodeDisplay::default();
        account.extra_params.retain(|(name, value)| {
            if name == "codeDisplay" {
                display = serde_json::from_str(value).unwrap_or_default();
                false
            } else {
                true
            }
        });
        if display.trashed {
            trashed += 1;
            continue;
        }
        let item = ImportedItem {
            account,
            details: Details {
                tags: display.tags,
                favorite: display.pinned,
                note: display.note,
                icon: None,
            },
        };
        parsed.push_entry(Ok(item), &notes);
    }
    if trashed > 0 {
        parsed.push_loss(format!(
            "{} in Ente's trash not imported",
            super::counted(trashed, "entry", "entries")
        ));
    }
    parsed.non_empty()
}
