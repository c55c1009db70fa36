//! `LastPass` Authenticator exports (JSON; version 3 from Android, version 1
//! from iOS with `deviceName`): `accounts` with `issuerName`, `userName`,
//! base32 `secret`, `algorithm`, `digits`, `timeStep`, `isFavorite` and
//! `folderData.folderId`, resolved through `folders`. Every account is
//! TOTP. Folder 0 ("Other Accounts") and folder 1 ("Favorites") are the
//! app's own; other folders become tags, `isFavorite` the favourite.
//!
//! Must never: put a secret into an error.

use std::collections::HashMap;

use serde::Deserialize;

use super::{
    Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed, algorithm_named,
    base32_secret, fits, make_account,
};
use crate::core::otp::{OtpKind, ParseNote};
use crate::core::secret::SecretString;
use crate::core::vault::Details;

/// Importer for [`Format::LastPass`].
pub struct LastPass;

const FORMAT: Format = Format::LastPass;
/// Folders every export has: "Other Accounts" and "Favorites".
const APP_FOLDERS: [i64; 2] = [0, 1];

#[derive(Deserialize)]
struct File {
    accounts: Vec<serde_json::Value>,
    #[serde(default)]
    folders: Vec<Folder>,
}

#[derive(Deserialize)]
struct Folder {
    id: i64,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Account {
    #[serde(default)]
    issuer_name: String,
    #[serde(default)]
    user_name: String,
    secret: super::Wiped<String>,
    #[serde(default)]
    algorithm: Option<String>,
    #[serde(default)]
    digits: Option<u64>,
    #[serde(default)]
    time_step: Option<u64>,
    #[serde(default)]
    is_favorite: bool,
    #[serde(default)]
    folder_data: Option<FolderData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FolderData {
    #[serde(default)]
    folder_id: i64,
}

impl Importer for LastPass {
    const FORMAT: Format = FORMAT;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let file: File = super::from_json(FORMAT, bytes)?;
        let folders: HashMap<i64, &str> = file
            .folders
            .iter()
            .filter(|f| !APP_FOLDERS.contains(&f.id))
            .map(|f| (f.id, f.name.as_str()))
            .collect();
        let mut parsed = Parsed::new(FORMAT);
        for (index, value) in file.accounts.into_iter().enumerate() {
            let Ok(account) = serde_json::from_value::<Account>(value) else {
                parsed.push_entry(
                    Err(InvalidItem::at(
                        format!("account {}", index + 1),
                        "a field is missing or has the wrong type".to_owned(),
                    )),
                    &[],
                );
                continue;
            };
            let mut notes = Vec::new();
            let read = read_account(&account, &folders, &mut notes);
            parsed.push_entry(read, &notes);
        }
        parsed.non_empty()
    }
}

fn read_account(
    account: &Account,
    folders: &HashMap<i64, &str>,
    notes: &mut Vec<ParseNote>,
) -> Result<ImportedItem, InvalidItem> {
    let invalid =
        |reason: String| InvalidItem::named(&account.issuer_name, &account.user_name, reason);
    let algorithm =
        algorithm_named(account.algorithm.as_deref().unwrap_or("SHA1")).map_err(&invalid)?;
    let period = fits::<u32>(account.time_step.unwrap_or(30), "timeStep").map_err(&invalid)?;
    let digits = fits::<u8>(account.digits.unwrap_or(6), "digits").map_err(&invalid)?;
    let secret = base32_secret(&account.secret, notes).map_err(&invalid)?;
    let otp = make_account(
        &account.issuer_name,
        &account.user_name,
        secret,
        algorithm,
        digits,
        OtpKind::Totp { period },
    )
    .map_err(&invalid)?;
    let tags = account
        .folder_data
        .as_ref()
        .and_then(|f| folders.get(&f.folder_id))
        .filter(|name| !name.is_empty())
        .map(|name| vec![(*name).to_owned()])
        .unwrap_or_default();
    Ok(ImportedItem {
        account: otp,
        details: Details {
            tags,
            favorite: account.is_favorite,
            ..Details::default()
        },
    })
}
