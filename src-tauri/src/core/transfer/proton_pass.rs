//! Proton Pass exports: a zip file holding `Proton Pass/data.json`, whose
//! `vaults` (by share id) hold `items`; a login item's
//! `data.content.totpUri` and each `data.extraFields` entry of type `totp`
//! (`data.totpUri`) is an account. The vault's name becomes a tag,
//! `pinned` the favourite, `data.metadata.note` the note. Items in the
//! trash (`state` 2) are not imported. A PGP-encrypted export (`.pgp`, or
//! `data.pgp` in the zip) is refused with how to export it readable.
//!
//! Must never: read or keep a login password; put a secret into an error.

use serde::Deserialize;

use super::bitwarden::read_item_totp;
use super::zip_archive;
use super::{Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed, counted};
use crate::core::secret::SecretString;
use crate::core::vault::Details;

/// Importer for [`Format::ProtonPass`].
pub struct ProtonPass;

const FORMAT: Format = Format::ProtonPass;
pub(crate) const DATA_JSON: &str = "Proton Pass/data.json";
pub(crate) const DATA_PGP: &str = "Proton Pass/data.pgp";
const STATE_TRASHED: u64 = 2;

/// What a PGP-encrypted export is.
pub(crate) const ENCRYPTED: ImportError = ImportError::NotAnExport {
    what: "this file is encrypted with PGP (as Proton Pass exports with a passphrase are), which Tessera does not read: export again from Proton Pass (Settings › Export) without a passphrase, or decrypt it first with “gpg --decrypt FILE > export.zip”",
};

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    encrypted: bool,
    vaults: std::collections::BTreeMap<String, Vault>,
}

#[derive(Deserialize)]
struct Vault {
    #[serde(default)]
    name: String,
    #[serde(default)]
    items: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Item {
    data: Data,
    #[serde(default)]
    state: u64,
    #[serde(default)]
    pinned: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    metadata: Metadata,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    content: Content,
    #[serde(default)]
    extra_fields: Vec<ExtraField>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    name: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Content {
    #[serde(default)]
    totp_uri: Option<super::Wiped<String>>,
    #[serde(default)]
    item_username: Option<String>,
    #[serde(default)]
    item_email: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtraField {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    data: Option<ExtraData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtraData {
    #[serde(default)]
    totp_uri: Option<super::Wiped<String>>,
}

impl Importer for ProtonPass {
    const FORMAT: Format = FORMAT;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        if is_pgp(bytes) {
            return Err(ENCRYPTED);
        }
        let names = zip_archive::names(bytes).ok_or_else(|| {
            ImportError::malformed(FORMAT, "the zip file", "it cannot be read as a zip archive")
        })?;
        if !names.iter().any(|n| n == DATA_JSON) && names.iter().any(|n| n == DATA_PGP) {
            return Err(ENCRYPTED);
        }
        let json = zip_archive::member(FORMAT, bytes, DATA_JSON)?;
        let file: File = super::from_json(FORMAT, &json)?;
        if file.encrypted {
            return Err(ENCRYPTED);
        }
        let mut parsed = Parsed::new(FORMAT);
        let (mut trashed, mut without_totp) = (0, 0);
        for vault in file.vaults.values() {
            for (index, value) in vault.items.iter().enumerate() {
                let Ok(item) = serde_json::from_value::<Item>(value.clone()) else {
                    parsed.push_entry(
                        Err(InvalidItem::at(
                            format!("vault “{}”, item {}", vault.name, index + 1),
                            "a field is missing or has the wrong type".to_owned(),
                        )),
                        &[],
                    );
                    continue;
                };
                if item.state == STATE_TRASHED {
                    trashed += 1;
                    continue;
                }
                let uris: Vec<&str> = std::iter::once(item.data.content.totp_uri.as_deref())
                    .filter(|_| item.data.kind == "login")
                    .chain(
                        item.data
                            .extra_fields
                            .iter()
                            .filter(|f| f.kind == "totp")
                            .map(|f| f.data.as_ref().and_then(|d| d.totp_uri.as_deref())),
                    )
                    .flatten()
                    .map(String::as_str)
                    .filter(|uri| !uri.trim().is_empty())
                    .collect();
                if uris.is_empty() {
                    without_totp += 1;
                }
                for uri in uris {
                    push_item(&mut parsed, uri, &item, &vault.name);
                }
            }
        }
        if trashed > 0 {
            parsed.push_loss(format!(
                "{} in Proton Pass's trash not imported",
                counted(trashed, "item", "items")
            ));
        }
        if without_totp > 0 {
            parsed.push_loss(format!(
                "{} without a TOTP not imported (Tessera keeps 2FA accounts, not passwords)",
                counted(without_totp, "item", "items")
            ));
        }
        parsed.non_empty()
    }
}

fn push_item(parsed: &mut Parsed, uri: &str, item: &Item, vault: &str) {
    let title = &item.data.metadata.name;
    let content = &item.data.content;
    let username = content
        .item_username
        .as_deref()
        .filter(|u| !u.is_empty())
        .or(content.item_email.as_deref())
        .unwrap_or("");
    let mut notes = Vec::new();
    let tags = if vault.is_empty() {
        Vec::new()
    } else {
        vec![vault.to_owned()]
    };
    let read = read_item_totp(uri, title, username, &mut notes)
        .map(|account| ImportedItem {
            account,
            details: Details {
                tags,
                favorite: item.pinned,
                note: item.data.metadata.note.clone(),
                icon: None,
            },
        })
        .map_err(|reason| InvalidItem::named(title, username, reason));
    parsed.push_entry(read, &notes);
}

/// An `OpenPGP` message sealed with a passphrase: ASCII-armoured, or
/// binary starting with a symmetric-key session key packet (tag 3, new
/// packet format, one-octet length) of version 4 (AES, an S2K of type 3 or
/// 4) or version 5 or 6, as `OpenPGP.js` writes Proton Pass's.
pub(crate) fn is_pgp(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"-----BEGIN PGP MESSAGE-----") {
        return true;
    }
    match bytes {
        [0xc3, len, 4, algorithm, s2k, ..] => {
            *len < 0xc0 && (7..=9).contains(algorithm) && matches!(s2k, 3 | 4)
        }
        [0xc3, len, 5 | 6, ..] => *len < 0xc0,
        _ => false,
    }
}
