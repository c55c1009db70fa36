//! Following a phone's Aegis automatic backups in the window (Settings ›
//! Sync): the user names the folder Aegis backs up to (synced here by
//! Syncthing or the like) and the backups' password; the newest backup is
//! read on a second handle (its key derived without holding the session)
//! and staged as the session's import preview, so the import's commit adds
//! its new accounts (tagged `aegis-backup`). While the vault is unlocked
//! the window looks at the folder every few seconds and stages each newer
//! backup. The password lives in the session only: a lock forgets it.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Serialize;

use crate::core::secret::SecretString;
use crate::core::sync::aegis_follow::{self, FollowError, Followed};
use crate::core::transfer::StagedImport;
use crate::core::vault::Vault;

use super::transfer::ImportPreviewView;
use super::{AppState, Result, SessionError};

const FOLLOW_NEEDS_UNLOCK: &str = "unlock the vault to follow a phone's backups";

/// What the session follows: the folder, the backups' password, and the
/// backup staged last.
#[derive(Debug)]
pub struct AegisFollowing {
    folder: PathBuf,
    password: SecretString,
    seen: Option<BackupStamp>,
}

/// A backup file as last read: a newer name, or the same name rewritten,
/// is a new backup.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BackupStamp {
    path: PathBuf,
    modified: Option<SystemTime>,
    len: u64,
}

impl BackupStamp {
    fn of(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Self {
            path: path.to_owned(),
            modified: meta.modified().ok(),
            len: meta.len(),
        })
    }
}

/// An account the phone names otherwise than the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct RenamedView {
    /// The label in the vault.
    pub here: String,
    /// The label in the phone's backup.
    pub on_phone: String,
}

/// The newest backup, staged: its preview is the session's import preview
/// (`commit_import` with its id adds the new accounts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct AegisBackupView {
    pub folder: String,
    pub preview: ImportPreviewView,
    pub renamed: Vec<RenamedView>,
    /// Accounts tagged `aegis-backup` that the newest backup no longer
    /// holds: kept, named here so the user can decide.
    pub missing: Vec<String>,
}

impl AppState {
    /// Starts following the Aegis backups in `folder` with `password`:
    /// reads the newest one and stages it.
    ///
    /// # Errors
    /// `Locked`; `Invalid` for an empty folder; the follower's (no backup
    /// there, `WrongPassword`, a damaged backup).
    pub fn follow_aegis(&self, folder: &str, password: &SecretString) -> Result<AegisBackupView> {
        let folder = folder.trim();
        if folder.is_empty() {
            return Err(SessionError::invalid(
                "choose the folder Aegis writes its backups to",
            ));
        }
        let following = AegisFollowing {
            folder: PathBuf::from(folder),
            password: SecretString::from(password.expose()),
            seen: None,
        };
        let staged = self.stage_backup(&following)?;
        self.session()?.aegis_following = Some(AegisFollowing {
            seen: BackupStamp::of(&staged.file),
            ..following
        });
        Ok(staged.view)
    }

    /// The folder followed, if any.
    ///
    /// # Errors
    /// As [`AppState::session`].
    pub fn aegis_followed(&self) -> Result<Option<String>> {
        Ok(self
            .session()?
            .aegis_following
            .as_ref()
            .map(|f| f.folder.display().to_string()))
    }

    /// Stops following (forgets the folder and the password).
    ///
    /// # Errors
    /// As [`AppState::session`].
    pub fn stop_following_aegis(&self) -> Result<()> {
        self.session()?.aegis_following = None;
        Ok(())
    }

    /// Stages the newest backup when it is newer than the one staged last
    /// and holds accounts the vault lacks or names otherwise. `None` when
    /// nothing is followed, nothing new came, or an import preview is
    /// pending (its turn comes after).
    pub fn check_aegis_backups(&self) -> Option<Result<AegisBackupView>> {
        let (folder, password, seen) = {
            let session = self.session().ok()?;
            let following = session.aegis_following.as_ref()?;
            if session.pending_import.is_some() || session.import_cancel.is_some() {
                // One preview at a time: the user's comes first.
                return None;
            }
            (
                following.folder.clone(),
                SecretString::from(following.password.expose()),
                following.seen.clone(),
            )
        };
        let newest = aegis_follow::newest_backup(&folder).ok()?;
        let stamp = BackupStamp::of(&newest)?;
        if seen.as_ref() == Some(&stamp) {
            return None;
        }
        let following = AegisFollowing {
            folder,
            password,
            seen: None,
        };
        let result = self.stage_backup(&following);
        if let Ok(mut session) = self.session()
            && let Some(current) = session.aegis_following.as_mut()
            && current.folder == following.folder
        {
            current.seen = Some(stamp);
        }
        match result {
            Ok(staged) if staged.view.preview.counts.new == 0 && staged.view.renamed.is_empty() => {
                None
            }
            Ok(staged) => Some(Ok(staged.view)),
            Err(error) => {
                tracing::info!(%error, "the newest Aegis backup could not be read");
                Some(Err(error))
            }
        }
    }

    /// Reads the newest backup of `following` on a second handle and
    /// stages it as the session's import preview.
    fn stage_backup(&self, following: &AegisFollowing) -> Result<Staged> {
        let other: Vault = {
            let mut session = self.session()?;
            session.unlocked(FOLLOW_NEEDS_UNLOCK)?.open_another()?
        };
        let found = aegis_follow::follow(&other, &following.folder, &following.password)
            .map_err(followed)?;
        let renamed = found
            .changed
            .iter()
            .map(|c| RenamedView {
                here: c.here.clone(),
                on_phone: c.on_phone(),
            })
            .collect();
        let missing = found.missing_labels(&other).map_err(followed)?;
        drop(other);
        let Followed { file, preview, .. } = found;
        let name = file
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let staged = StagedImport::new(preview);
        let view = AegisBackupView {
            folder: following.folder.display().to_string(),
            preview: ImportPreviewView::of(staged.id(), name, staged.preview()),
            renamed,
            missing,
        };
        let mut session = self.session()?;
        session.unlocked(FOLLOW_NEEDS_UNLOCK)?.refresh()?;
        session.cancel_import();
        session.pending_import = Some(staged);
        Ok(Staged { view, file })
    }
}

/// A staged backup and the file it came from.
struct Staged {
    view: AegisBackupView,
    file: PathBuf,
}

fn followed(error: FollowError) -> SessionError {
    match error {
        FollowError::Import(error) => SessionError::Import(error),
        FollowError::Vault(error) => SessionError::Vault(error),
        FollowError::File(error) => SessionError::File(error),
        other => SessionError::invalid(other.to_string()),
    }
}
