//! Proton Authenticator JSON exports: `entries[].content.uri` (an
//! `otpauth://` URI, or `steam://SECRET`) with a `name` and a `note`.
//!
//! Must never: put a secret into an error.

use serde::Deserialize;

use super::bitwarden::read_totp;
use super::{Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed};
use crate::core::secret::SecretString;
use crate::core::vault::Details;

/// Importer for [`Format::Proton`].
pub struct Proton;

#[derive(Deserialize)]
struct File {
    version: u64,
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    content: Content,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    uri: super::Wiped<String>,
    #[serde(default)]
    name: String,
}

impl Importer for Proton {
    const FORMAT: Format = Format::Proton;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        read(Self::FORMAT, bytes)
    }
}

/// The export's entries, read as `format` (the plain export, or the JSON
/// inside an encrypted one).
pub(crate) fn read(format: Format, bytes: &[u8]) -> Result<Parsed, ImportError> {
    let file: File = super::from_json(format, bytes)?;
    if file.version != 1 {
        return Err(ImportError::Unsupported {
            format,
            what: format!("version {}", file.version),
        });
    }
    let mut parsed = Parsed::new(format);
    for entry in file.entries {
        let mut notes = Vec::new();
        let read = read_totp(&entry.content.uri, "Steam", &entry.content.name, &mut notes);
        let read = match read {
            Ok(account) => Ok(ImportedItem {
                account,
                details: Details {
                    note: entry.note.unwrap_or_default(),
                    ..Details::default()
                },
            }),
            Err(reason) => Err(InvalidItem::named(&entry.content.name, "", reason)),
        };
        parsed.push_entry(read, &notes);
    }
    parsed.non_empty()
}
