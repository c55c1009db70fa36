//! 1Password's `.1pux` export: a zip file whose `export.data` (JSON)
//! holds `accounts[].vaults[].items[]`. Every field whose value is a
//! `totp` (an `otpauth://` URI, or a bare base32 secret) in an item's
//! `details.sections[].fields[]` is an account: the item's title is the
//! issuer of a bare secret, its `username` login field the account name;
//! `overview.tags` become tags, `favIndex` the favourite,
//! `details.notesPlain` the note. Items in the trash are not in the
//! export; archived ones are imported.
//!
//! Must never: read or keep a login password; put a secret into an error.

use serde::Deserialize;

use super::bitwarden::read_item_totp;
use super::zip_archive;
use super::{Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed, counted};
use crate::core::secret::SecretString;
use crate::core::vault::Details;

/// Importer for [`Format::OnePassword`].
pub struct OnePassword;

const FORMAT: Format = Format::OnePassword;
pub(crate) const EXPORT_DATA: &str = "export.data";

#[derive(Deserialize)]
struct File {
    accounts: Vec<Account>,
}

#[derive(Deserialize)]
struct Account {
    #[serde(default)]
    vaults: Vec<Vault>,
}

#[derive(Deserialize)]
struct Vault {
    #[serde(default)]
    items: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(default)]
    fav_index: u64,
    #[serde(default)]
    overview: Overview,
    #[serde(default)]
    details: ItemDetails,
}

#[derive(Deserialize, Default)]
struct Overview {
    #[serde(default)]
    title: String,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ItemDetails {
    #[serde(default)]
    login_fields: Vec<LoginField>,
    #[serde(default)]
    notes_plain: Option<String>,
    #[serde(default)]
    sections: Vec<Section>,
}

#[derive(Deserialize)]
struct LoginField {
    #[serde(default)]
    designation: Option<String>,
    #[serde(default)]
    value: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Section {
    #[serde(default)]
    fields: Vec<Field>,
}

#[derive(Deserialize)]
struct Field {
    #[serde(default)]
    value: FieldValue,
}

#[derive(Deserialize, Default)]
struct FieldValue {
    #[serde(default)]
    totp: Option<super::Wiped<String>>,
}

impl Importer for OnePassword {
    const FORMAT: Format = FORMAT;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let json = zip_archive::member(FORMAT, bytes, EXPORT_DATA)?;
        let file: File = super::from_json(FORMAT, &json)?;
        let mut parsed = Parsed::new(FORMAT);
        let mut without_totp = 0;
        let items = file
            .accounts
            .iter()
            .flat_map(|a| &a.vaults)
            .flat_map(|v| &v.items);
        for (index, value) in items.enumerate() {
            let Ok(item) = serde_json::from_value::<Item>(value.clone()) else {
                parsed.push_entry(
                    Err(InvalidItem::at(
                        format!("item {}", index + 1),
                        "a field is missing or has the wrong type".to_owned(),
                    )),
                    &[],
                );
                continue;
            };
            let totps: Vec<&str> = item
                .details
                .sections
                .iter()
                .flat_map(|s| &s.fields)
                .filter_map(|f| f.value.totp.as_deref())
                .map(String::as_str)
                .filter(|t| !t.trim().is_empty())
                .collect();
            if totps.is_empty() {
                without_totp += 1;
            }
            for totp in totps {
                push_item(&mut parsed, totp, &item);
            }
        }
        if without_totp > 0 {
            parsed.push_loss(format!(
                "{} without a one-time password not imported (Tessera keeps 2FA accounts, not passwords)",
                counted(without_totp, "item", "items")
            ));
        }
        parsed.non_empty()
    }
}

fn push_item(parsed: &mut Parsed, totp: &str, item: &Item) {
    let title = &item.overview.title;
    let username = item
        .details
        .login_fields
        .iter()
        .find(|f| f.designation.as_deref() == Some("username"))
        .and_then(|f| f.value.as_ref())
        .and_then(serde_json::Value::as_str)
        .unwrap_or("");
    let mut notes = Vec::new();
    let read = read_item_totp(totp, title, username, &mut notes)
        .map(|account| ImportedItem {
            account,
            details: Details {
                tags: item.overview.tags.clone(),
                favorite: item.fav_index > 0,
                note: item.details.notes_plain.clone().unwrap_or_default(),
                icon: None,
            },
        })
        .map_err(|reason| InvalidItem::named(title, username, reason));
    parsed.push_entry(read, &notes);
}
