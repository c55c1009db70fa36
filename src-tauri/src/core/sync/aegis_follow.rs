//! Following a phone's Aegis automatic backups (issue 17, the phone
//! bridge): Aegis writes encrypted `aegis-backup-*.json` files to a folder
//! that Syncthing (or the like) brings to the desktop; [`follow`] reads the
//! newest one with its password through the Aegis importer and stages it
//! as an import preview (`transfer::Preview`): new accounts tagged with
//! where they came from, accounts the vault has whose labels the phone
//! changed, and accounts the phone no longer has. The user confirms the
//! preview (`Preview::commit` adds the new ones); nothing is deleted.
//!
//! Owns: finding the newest backup and comparing it with the vault.
//!
//! Must never: write to the vault (the preview is committed by the
//! caller), delete an account, or read a file of the open vault.

use std::path::{Path, PathBuf};

use uuid::Uuid;

use crate::core::otp::label_of;
use crate::core::secret::SecretString;
use crate::core::transfer::{self, Format, ImportError, Preview, Status};
use crate::core::user_file::{self, Limit, UserFileError};
use crate::core::vault::Vault;

/// The tag staged accounts carry: where they came from.
pub const SOURCE_TAG: &str = "aegis-backup";

/// Largest backup read.
const LIMIT: Limit = Limit {
    bytes: 32 * 1024 * 1024,
    what: "that is not an Aegis backup",
};

/// Why the backups could not be followed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FollowError {
    #[error("no Aegis backup (aegis-backup-*.json) in {}", folder.display())]
    NoBackup { folder: PathBuf },
    #[error("cannot list {}: {source}", folder.display())]
    Folder {
        folder: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    File(#[from] UserFileError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Vault(#[from] crate::core::vault::VaultError),
}

/// An account of the vault whose labels the backup gives otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub existing: Uuid,
    /// The account's label in the vault.
    pub here: String,
    /// The backup's issuer and name.
    pub issuer: String,
    pub name: String,
}

impl Changed {
    /// The account's label in the backup.
    pub fn on_phone(&self) -> String {
        label_of(&self.issuer, &self.name)
    }
}

/// What following the backups found, staged for the user.
#[derive(Debug)]
pub struct Followed {
    /// The backup read.
    pub file: PathBuf,
    /// New accounts (tagged [`SOURCE_TAG`]), duplicates, invalid entries.
    pub preview: Preview,
    /// Accounts the vault has whose issuer or name the phone changed.
    pub changed: Vec<Changed>,
    /// Accounts tagged [`SOURCE_TAG`] the newest backup no longer has:
    /// never removed without the user.
    pub missing: Vec<Uuid>,
}

impl Followed {
    /// The labels of the [`missing`](Self::missing) accounts in `vault`.
    ///
    /// # Errors
    /// The vault's (`NotFound` if one was removed since).
    pub fn missing_labels(&self, vault: &Vault) -> Result<Vec<String>, FollowError> {
        self.missing
            .iter()
            .map(|id| Ok(vault.get(*id)?.account.label()))
            .collect()
    }
}

/// The newest `aegis-backup-*.json` in `folder`: Aegis puts the time in
/// the name (`aegis-backup-20240131-142500.json`), so the last name wins;
/// ties (another naming) go to the newest file.
pub fn newest_backup(folder: &Path) -> Result<PathBuf, FollowError> {
    let listing = std::fs::read_dir(folder).map_err(|source| FollowError::Folder {
        folder: folder.to_owned(),
        source,
    })?;
    let mut found: Vec<(String, std::time::SystemTime, PathBuf)> = listing
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let json = Path::new(&name)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"));
            if !(name.starts_with("aegis-backup-") && json) {
                return None;
            }
            let meta = entry.metadata().ok().filter(std::fs::Metadata::is_file)?;
            Some((name, meta.modified().ok()?, entry.path()))
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    found
        .pop()
        .map(|(_, _, path)| path)
        .ok_or_else(|| FollowError::NoBackup {
            folder: folder.to_owned(),
        })
}

/// Reads the newest backup in `folder` with `password` and stages it
/// against `vault` (unlocked): see [`Followed`].
pub fn follow(
    vault: &Vault,
    folder: &Path,
    password: &SecretString,
) -> Result<Followed, FollowError> {
    let file = newest_backup(folder)?;
    let bytes = user_file::read(&file, LIMIT)?;
    let mut parsed = transfer::import(&bytes, Some(Format::Aegis), Some(password))?;
    for item in parsed.entries.iter_mut().filter_map(|e| e.as_mut().ok()) {
        if !item.details.tags.iter().any(|t| t == SOURCE_TAG) {
            item.details.tags.push(SOURCE_TAG.to_owned());
        }
    }
    let entries = vault.entries()?;
    let preview = Preview::new(parsed, entries);
    let mut changed = Vec::new();
    let mut seen = Vec::new();
    for entry in &preview.entries {
        if let (Status::Duplicate { existing }, Some(item)) = (&entry.status, &entry.item) {
            seen.push(*existing);
            let ours = vault.get(*existing)?;
            if ours.account.issuer != item.account.issuer || ours.account.name != item.account.name
            {
                changed.push(Changed {
                    existing: *existing,
                    here: ours.account.label(),
                    issuer: item.account.issuer.clone(),
                    name: item.account.name.clone(),
                });
            }
        }
    }
    let missing = entries
        .iter()
        .filter(|e| e.details.tags.iter().any(|t| t == SOURCE_TAG) && !seen.contains(&e.id))
        .map(|e| e.id)
        .collect();
    tracing::info!(
        new = preview.count("new"),
        changed = changed.len(),
        "aegis backup staged"
    );
    Ok(Followed {
        file,
        preview,
        changed,
        missing,
    })
}
