//! [`Preview`]: what an import would do, entry by entry (new, duplicate of
//! a vault account, repeated within the file, invalid with the reason),
//! plus the format's loss report; and [`Preview::commit`], the one place
//! where an import writes to the vault.
//!
//! Duplicates are found by hashing the key material (secret, algorithm,
//! digits, kind and period; not the HOTP counter, not the labels) and
//! confirming each hash hit with [`Account::same_key_material`], so a
//! preview costs O(n + m), never O(n·m).
//!
//! Must never: write anything before `commit`, write part of an import, or
//! keep a secret in a hash table (only SHA-256 fingerprints are kept).

use std::collections::HashMap;

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Format, ImportError, ImportedItem, InvalidItem, Loss, Parsed};
use crate::core::otp::{Account, OtpKind};
use crate::core::vault::{Entry, Vault};

/// What committing would do with one entry of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Not in the vault: committing adds it.
    New,
    /// The vault already holds an account with the same key material.
    Duplicate { existing: Uuid },
    /// An earlier entry of the same file (1-based `position`) has the same
    /// key material; only the first is added.
    RepeatedInFile { position: usize },
    /// The entry cannot become an account.
    Invalid { reason: String },
}

impl Status {
    /// `"new"`, `"duplicate"`, `"repeated"` or `"invalid"`.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Duplicate { .. } => "duplicate",
            Self::RepeatedInFile { .. } => "repeated",
            Self::Invalid { .. } => "invalid",
        }
    }
}

/// One entry of the file in the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewEntry {
    /// 1-based position in the file.
    pub position: usize,
    /// `Issuer:name` (or the file's title for an invalid entry).
    pub label: String,
    /// What the file gives as issuer and account name (empty when it
    /// gives none: an invalid entry known by where it is).
    pub issuer: String,
    pub name: String,
    pub status: Status,
    /// The account read (absent for invalid entries).
    pub item: Option<ImportedItem>,
}

/// An import, classified against the vault, not yet written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub format: Format,
    pub entries: Vec<PreviewEntry>,
    pub losses: Vec<Loss>,
}

/// SHA-256 of everything that makes two accounts produce the same codes.
type Fingerprint = [u8; 32];

fn fingerprint(account: &Account) -> Fingerprint {
    let mut hash = Sha256::new();
    let (kind, period) = match account.kind {
        OtpKind::Totp { period } => (0u8, period),
        OtpKind::Hotp { .. } => (1, 0),
        OtpKind::Steam { period } => (2, period),
    };
    hash.update([kind, account.digits]);
    hash.update(account.algorithm.uri_name().as_bytes());
    hash.update(period.to_be_bytes());
    hash.update(account.secret.expose());
    hash.finalize().into()
}

/// Where an account with some fingerprint was first seen.
#[derive(Clone, Copy)]
enum Seen {
    Vault(usize),
    File(usize),
}

impl Preview {
    /// Classifies every entry of `parsed` against `existing` (the vault's
    /// entries, e.g. [`Vault::entries`]).
    pub fn new(parsed: Parsed, existing: &[Entry]) -> Self {
        let mut seen: HashMap<Fingerprint, Vec<Seen>> =
            HashMap::with_capacity(existing.len() + parsed.entries.len());
        for (index, entry) in existing.iter().enumerate() {
            seen.entry(fingerprint(&entry.account))
                .or_default()
                .push(Seen::Vault(index));
        }
        let mut entries: Vec<PreviewEntry> = Vec::with_capacity(parsed.entries.len());
        for (index, read) in parsed.entries.into_iter().enumerate() {
            let position = index + 1;
            let item = match read {
                Ok(item) => item,
                Err(invalid) => {
                    entries.push(PreviewEntry {
                        position,
                        label: invalid.label,
                        issuer: invalid.issuer,
                        name: invalid.name,
                        status: Status::Invalid {
                            reason: invalid.reason,
                        },
                        item: None,
                    });
                    continue;
                }
            };
            let bucket = seen.entry(fingerprint(&item.account)).or_default();
            let earlier = bucket.iter().copied().find(|s| {
                let other = match *s {
                    Seen::Vault(i) => &existing[i].account,
                    Seen::File(i) => match &entries[i].item {
                        Some(other) => &other.account,
                        None => return false,
                    },
                };
                other.same_key_material(&item.account)
            });
            let status = match earlier {
                Some(Seen::Vault(i)) => Status::Duplicate {
                    existing: existing[i].id,
                },
                Some(Seen::File(i)) => Status::RepeatedInFile {
                    position: entries[i].position,
                },
                None => {
                    bucket.push(Seen::File(index));
                    Status::New
                }
            };
            entries.push(PreviewEntry {
                position,
                label: item.account.label(),
                issuer: item.account.issuer.clone(),
                name: item.account.name.clone(),
                status,
                item: Some(item),
            });
        }
        Self {
            format: parsed.format,
            entries,
            losses: parsed.losses,
        }
    }

    /// How many entries have the status named `name` (see [`Status::name`]).
    pub fn count(&self, name: &str) -> usize {
        self.entries
            .iter()
            .filter(|e| e.status.name() == name)
            .count()
    }

    /// The entries committing would add, in file order.
    pub fn new_items(&self) -> impl Iterator<Item = &ImportedItem> {
        self.entries
            .iter()
            .filter(|e| e.status == Status::New)
            .filter_map(|e| e.item.as_ref())
    }

    /// The entries as read from the file, to classify them again (against
    /// the vault as it is when the user commits: another process may have
    /// added accounts since the preview).
    pub fn into_parsed(self) -> Parsed {
        Parsed {
            format: self.format,
            entries: self
                .entries
                .into_iter()
                .map(|entry| match (entry.item, entry.status) {
                    (Some(item), _) => Ok(item),
                    (None, status) => Err(InvalidItem {
                        label: entry.label,
                        issuer: entry.issuer,
                        name: entry.name,
                        reason: match status {
                            Status::Invalid { reason } => reason,
                            _ => "the entry was not read".to_owned(),
                        },
                    }),
                })
                .collect(),
            losses: self.losses,
        }
    }

    /// Adds every [`Status::New`] entry to `vault` in one transaction: all
    /// of them or, on any error, none. Returns the new ids in file order.
    ///
    /// `Vault(Locked)` if the vault is locked; `Vault(InvalidAccount)` if
    /// an entry was changed after the preview into something invalid.
    pub fn commit(self, vault: &mut Vault) -> Result<Vec<Uuid>, ImportError> {
        let (format, duplicates, invalid) = (
            self.format,
            self.count("duplicate") + self.count("repeated"),
            self.count("invalid"),
        );
        let items: Vec<_> = self
            .entries
            .into_iter()
            .filter(|e| e.status == Status::New)
            .filter_map(|e| e.item)
            .map(|item| (item.account, item.details))
            .collect();
        let ids = if items.is_empty() {
            Vec::new()
        } else {
            vault.insert_many(items)?
        };
        tracing::info!(
            format = format.id(),
            added = ids.len(),
            duplicates,
            invalid,
            "import committed"
        );
        Ok(ids)
    }
}

/// An import read and previewed, waiting for the user to commit it by its
/// id (the window keeps one; it holds the file's secrets, so only the id
/// and display fields leave Rust).
#[derive(Debug)]
pub struct StagedImport {
    id: Uuid,
    preview: Preview,
}

impl StagedImport {
    /// Stages `preview` under a new random id.
    pub fn new(preview: Preview) -> Self {
        Self {
            id: Uuid::new_v4(),
            preview,
        }
    }

    /// The id a commit names.
    pub const fn id(&self) -> Uuid {
        self.id
    }

    /// What the user is shown.
    pub const fn preview(&self) -> &Preview {
        &self.preview
    }

    /// Classifies the file's entries again against `vault` as it is now
    /// (after [`Vault::refresh`]) and commits the new ones in one
    /// transaction ([`Preview::commit`]). Returns the new ids.
    pub fn commit(self, vault: &mut Vault) -> Result<Vec<Uuid>, ImportError> {
        vault.refresh()?;
        Preview::new(self.preview.into_parsed(), vault.entries()?).commit(vault)
    }
}
