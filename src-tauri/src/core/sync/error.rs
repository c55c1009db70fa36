//! [`SyncError`]: everything that can stop a sync or a sync action, and
//! [`Problem`]: what a sync refused to merge and went on without.
//!
//! Must never: carry a secret (a key, the pairing secret, a credential, a
//! record's value, an issuer or account name): only device ids, file
//! names, counts and fixed explanations.

use std::fmt;

use thiserror::Error;
use uuid::Uuid;

use super::backend::RemoteError;
use crate::core::vault::VaultError;

/// Why a sync action could not be carried out.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SyncError {
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The remote could not be used (after retries, for transient faults):
    /// nothing is lost, the changes stay in the vault for the next sync.
    #[error("{0}; changes are kept and sent at the next sync")]
    Remote(#[from] RemoteError),
    #[error("this vault does not sync yet: run `tessera sync setup` or `tessera sync join`")]
    NotSetUp,
    #[error("this vault already syncs with group {group}; `tessera sync leave` first")]
    AlreadySetUp { group: Uuid },
    #[error(
        "the sync remote already holds a sync group: join it from a device of that group (`tessera sync pair` there, `tessera sync join` here)"
    )]
    RemoteHasGroup,
    #[error(
        "the sync remote holds no sync group (is it the same folder or URL as on the other device?)"
    )]
    RemoteHasNoGroup,
    #[error("another sync of this vault is running (in the window or another command)")]
    Busy,
    #[error(
        "this device was removed from the sync group; its accounts stay, but it no longer syncs"
    )]
    Removed,
    #[error(
        "the sync remote holds later uploads of this device than this vault knows: the vault was put back from a backup; leave the group and join it again"
    )]
    VaultBehindRemote,
    #[error(
        "the sync remote was rolled back: {file} is older than what this device already uploaded"
    )]
    RemoteRolledBack { file: String },
    #[error(
        "{file} on the sync remote failed authentication (altered, cut off, or not from this group)"
    )]
    Tampered { file: String },
    #[error("the pairing code is not valid ({reason})")]
    BadPairingCode { reason: &'static str },
    #[error("the pairing code belongs to another sync group than the one on this remote")]
    WrongGroup,
    #[error(
        "the pairing code names no remote (its group syncs through a folder): choose this device's copy of that folder"
    )]
    CodeNamesNoRemote,
    #[error(
        "this device is still waiting for the other device to accept it (run `tessera sync now` there)"
    )]
    JoinPending,
    #[error("no device used the pairing code in time; make a new one with `tessera sync pair`")]
    PairingExpired,
    #[error("no device {device} in the sync group")]
    NoSuchDevice { device: Uuid },
    #[error("invalid request: {reason}")]
    Invalid { reason: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl SyncError {
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::Invalid {
            reason: reason.into(),
        }
    }

    pub(crate) fn tampered(file: impl Into<String>) -> Self {
        Self::Tampered { file: file.into() }
    }
}

/// What was wrong with one device's log: refused, never merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A file that did not authenticate.
    Tampered,
    /// Its head is older than what was merged.
    RolledBack,
    /// Another history under numbers already merged.
    Replayed,
    /// Records that authenticate but make no sense (a newer version?).
    Unreadable,
}

/// A device's log this sync refused (the rest was merged).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    pub device: Uuid,
    pub kind: ProblemKind,
    pub file: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ProblemKind::Tampered => "failed authentication (altered or cut off); not merged",
            ProblemKind::RolledBack => {
                "is older than what was already merged (the remote was rolled back); refused"
            }
            ProblemKind::Replayed => "replays or rewrites changes already merged; refused",
            ProblemKind::Unreadable => "holds changes this version cannot read; not merged",
        };
        write!(f, "device {}: {} {what}", self.device, self.file)
    }
}

/// Result of sync actions.
pub type Result<T, E = SyncError> = std::result::Result<T, E>;
