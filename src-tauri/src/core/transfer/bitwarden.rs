//! Bitwarden exports: JSON (unencrypted, or password-protected, opened by
//! [`super::bitwarden_encrypted`]) and CSV. Only the `login.totp` field
//! is read: an `otpauth://` URI, `steam://SECRET`, or a bare base32
//! secret (then the item's name is the issuer and its username the account
//! name). Folders become tags; `favorite` and notes are kept. Passwords
//! and other fields are never read.
//!
//! Must never: read or keep a login password; quote a field in an error.

use std::collections::HashMap;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{
    Format, ImportError, ImportedItem, Importer, InvalidItem, Parsed, base32_secret, counted,
    make_account,
};
use crate::core::otp::{Account, Algorithm, OtpKind, ParseNote, parse_uri_with_notes};
use crate::core::secret::SecretString;
use crate::core::vault::Details;

/// Importer for [`Format::BitwardenJson`].
pub struct BitwardenJson;
/// Importer for [`Format::BitwardenCsv`].
pub struct BitwardenCsv;

/// Reads one `totp` field. `title` is the item's name, `username` its
/// login user name; what the reading assumed or dropped goes to `notes`.
pub(crate) fn read_totp(
    totp: &str,
    title: &str,
    username: &str,
    notes: &mut Vec<ParseNote>,
) -> Result<Account, String> {
    let totp = totp.trim();
    let lower = totp.get(..10).unwrap_or(totp).to_ascii_lowercase();
    if lower.starts_with("otpauth:") {
        let (account, uri_notes) = parse_uri_with_notes(totp).map_err(|e| e.to_string())?;
        notes.extend(uri_notes);
        return Ok(account);
    }
    let name = if username.is_empty() { title } else { username };
    if lower.starts_with("steam://") {
        let secret = base32_secret(&totp[8..], notes)?;
        return make_account(
            "Steam",
            name,
            secret,
            Algorithm::Sha1,
            5,
            OtpKind::Steam { period: 30 },
        );
    }
    let secret = base32_secret(totp, notes)?;
    make_account(
        title,
        username,
        secret,
        Algorithm::Sha1,
        6,
        OtpKind::Totp { period: 30 },
    )
}

/// [`read_totp`] for password managers' items: a URI that names no issuer
/// takes the item's title.
pub(crate) fn read_item_totp(
    totp: &str,
    title: &str,
    username: &str,
    notes: &mut Vec<ParseNote>,
) -> Result<Account, String> {
    let mut account = read_totp(totp, title, username, notes)?;
    if account.issuer.is_empty() {
        title.clone_into(&mut account.issuer);
    }
    Ok(account)
}

/// Reads one item's `totp` field into `parsed`.
fn push_item(parsed: &mut Parsed, totp: &str, title: &str, username: &str, details: Details) {
    let mut notes = Vec::new();
    let read = read_totp(totp, title, username, &mut notes)
        .map(|account| ImportedItem { account, details })
        .map_err(|reason| InvalidItem::named(title, username, reason));
    parsed.push_entry(read, &notes);
}

fn skipped_loss(parsed: &mut Parsed, skipped: usize) {
    if skipped > 0 {
        parsed.push_loss(format!(
            "{} without a TOTP key not imported (Tessera keeps 2FA accounts, not passwords)",
            counted(skipped, "item", "items")
        ));
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonFile {
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    folders: Vec<Folder>,
    #[serde(default)]
    items: Vec<JsonItem>,
}

#[derive(Deserialize)]
struct Folder {
    id: String,
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonItem {
    #[serde(default)]
    name: String,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    favorite: bool,
    #[serde(default)]
    folder_id: Option<String>,
    #[serde(default)]
    login: Option<Login>,
}

#[derive(Deserialize)]
struct Login {
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    totp: Option<super::Wiped<String>>,
}

impl Importer for BitwardenJson {
    const FORMAT: Format = Format::BitwardenJson;

    fn import(bytes: &[u8], password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let file: JsonFile = super::from_json(Self::FORMAT, bytes)?;
        if file.encrypted {
            let plain = super::bitwarden_encrypted::decrypt(bytes, password)?;
            let inner: JsonFile = super::from_json(Self::FORMAT, &plain)?;
            if inner.encrypted {
                return Err(ImportError::malformed(
                    Self::FORMAT,
                    "data",
                    "the decrypted export says it is encrypted again",
                ));
            }
            return read_json(&inner);
        }
        read_json(&file)
    }
}

fn read_json(file: &JsonFile) -> Result<Parsed, ImportError> {
    let folders: HashMap<&str, &str> = file
        .folders
        .iter()
        .map(|f| (f.id.as_str(), f.name.as_str()))
        .collect();
    let mut parsed = Parsed::new(Format::BitwardenJson);
    let mut skipped = 0;
    for it in &file.items {
        let login = it.login.as_ref();
        let Some(totp) = login
            .and_then(|l| l.totp.as_deref())
            .filter(|t| !t.trim().is_empty())
        else {
            skipped += 1;
            continue;
        };
        let username = login.and_then(|l| l.username.as_deref()).unwrap_or("");
        let tags = it
            .folder_id
            .as_deref()
            .and_then(|id| folders.get(id))
            .map(|n| vec![(*n).to_owned()])
            .unwrap_or_default();
        let details = Details {
            tags,
            favorite: it.favorite,
            note: it.notes.clone().unwrap_or_default(),
            icon: None,
        };
        push_item(&mut parsed, totp, &it.name, username, details);
    }
    skipped_loss(&mut parsed, skipped);
    parsed.non_empty()
}

impl Importer for BitwardenCsv {
    const FORMAT: Format = Format::BitwardenCsv;

    fn import(bytes: &[u8], _password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        let format = Self::FORMAT;
        let text = super::utf8(format, bytes)?;
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|_| ImportError::malformed(format, "line 1", "no CSV header"))?
            .clone();
        let column = |name: &str| headers.iter().position(|h| h.trim() == name);
        let totp_col = column("login_totp")
            .ok_or_else(|| ImportError::malformed(format, "line 1", "no “login_totp” column"))?;
        let (name_col, user_col, notes_col, folder_col, fav_col) = (
            column("name"),
            column("login_username"),
            column("notes"),
            column("folder"),
            column("favorite"),
        );
        let mut parsed = Parsed::new(format);
        let mut skipped = 0;
        for (index, record) in reader.records().enumerate() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(index + 2, |p| {
                    usize::try_from(p.line()).unwrap_or(usize::MAX)
                });
                ImportError::malformed(format, format!("line {line}"), "not a valid CSV record")
            })?;
            let field = |col: Option<usize>| col.and_then(|c| record.get(c)).unwrap_or("");
            let totp = Zeroizing::new(field(Some(totp_col)).to_owned());
            if totp.trim().is_empty() {
                skipped += 1;
                continue;
            }
            let folder = field(folder_col);
            let details = Details {
                tags: if folder.is_empty() {
                    Vec::new()
                } else {
                    vec![folder.to_owned()]
                },
                favorite: matches!(field(fav_col), "1" | "true"),
                note: field(notes_col).to_owned(),
                icon: None,
            };
            push_item(
                &mut parsed,
                &totp,
                field(name_col),
                field(user_col),
                details,
            );
        }
        skipped_loss(&mut parsed, skipped);
        parsed.non_empty()
    }
}
