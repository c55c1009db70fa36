//! Sync in the window (Settings › Sync): setting up, joining, pairing,
//! syncing now and in the background, the devices, and an account's
//! earlier values. Each action runs `core::sync` on a second handle on the
//! session's vault file ([`Vault::open_another`]), so codes keep ticking
//! while the remote answers; the session then re-reads what the sync wrote.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::core::clock::{Clock, Timestamp};
use crate::core::qr;
use crate::core::secret::SecretString;
use crate::core::sync::{self, Backend, SyncError, SyncOptions, SyncReport};
use crate::core::vault::Vault;

use super::{AppState, Result, SessionError};

const SYNC_NEEDS_UNLOCK: &str = "unlock the vault to use sync";

/// How often the window syncs while unlocked, changes or not.
pub const SYNC_EVERY: Duration = Duration::from_mins(5);
/// How long after a change of the vault the window syncs it (changes
/// made in a burst go up together).
pub const SYNC_AFTER_CHANGE: Duration = Duration::from_secs(3);

/// Where the group's files are, as the window asks for it.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SyncRemoteInput {
    /// A folder kept in step by Syncthing, Nextcloud, Dropbox or the like.
    Folder { path: String },
    /// A `WebDAV` collection (https://, or http:// to this machine).
    #[serde(rename_all = "camelCase")]
    Webdav {
        url: String,
        username: String,
        password: String,
    },
}

impl SyncRemoteInput {
    /// [`Self::backend`], a `WebDAV` address left empty taken from the
    /// pairing code `code`.
    fn backend_to_join(self, code: &SecretString) -> Result<Backend> {
        match self {
            Self::Webdav {
                url,
                username,
                password,
            } if url.trim().is_empty() => Self::Webdav {
                url: sync::remote_of_code(code.expose())?,
                username,
                password,
            }
            .backend(),
            other => other.backend(),
        }
    }

    fn backend(self) -> Result<Backend> {
        match self {
            Self::Folder { path } if path.trim().is_empty() => {
                Err(SessionError::invalid("choose the folder to sync through"))
            }
            Self::Folder { path } => Ok(Backend::Folder {
                path: PathBuf::from(path.trim()),
            }),
            Self::Webdav { url, .. } if url.trim().is_empty() => {
                Err(SessionError::invalid("give the WebDAV address"))
            }
            Self::Webdav {
                url,
                username,
                password,
            } => Ok(Backend::webdav(
                url.trim(),
                username.trim(),
                &SecretString::new(password),
            )),
        }
    }
}

/// One device of the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SyncDeviceView {
    pub id: String,
    pub name: String,
    pub this_device: bool,
    /// Unix milliseconds of its newest change this device has seen.
    pub last_seen_at: Option<u64>,
}

/// Where sync stands, for Settings › Sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SyncView {
    pub set_up: bool,
    /// Waiting for a device of the group to accept this one.
    pub joining: bool,
    /// The remote, for people (never its password).
    pub remote: Option<String>,
    /// Unix milliseconds of the last sync that reached the remote.
    pub last_sync_at: Option<u64>,
    pub last_error: Option<String>,
    /// Changes of this vault not yet on the remote.
    pub pending_changes: u64,
    /// Edits of one field on two devices resolved since setup (the losing
    /// value is in the account's history).
    pub conflicts_resolved: u64,
    /// The devices of the group, this one first.
    pub devices: Vec<SyncDeviceView>,
    /// Device logs refused at the last sync (altered, rolled back,
    /// replayed): never merged.
    pub problems: Vec<String>,
    /// A name for this device when the user gives none.
    pub suggested_name: String,
}

/// What one sync did, and where sync stands after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct SyncOutcome {
    /// Changes of this vault sent.
    pub sent: u64,
    /// Changes of other devices merged.
    pub merged: u64,
    pub conflicts: u64,
    /// Accounts and records of this vault changed by the merge.
    pub written: u64,
    /// Names of the devices that joined through this device's code.
    pub joined: Vec<String>,
    pub status: SyncView,
}

/// A pairing code for another device, shown once because the user asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct PairingView {
    /// `TSYNC1-…`, to type or paste on the other device.
    pub code: String,
    /// The same code as an SVG QR picture.
    pub qr_svg: String,
    /// The remote the other device must reach (its own copy of the folder,
    /// or the same `WebDAV` address).
    pub remote: String,
    pub valid_minutes: u32,
}

/// A value a field of an account had before a merge replaced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "camelCase")]
pub struct HistoryView {
    pub field: String,
    /// The value as text; a secret is shown as "(secret)".
    pub value: String,
    /// Unix milliseconds of when it was set.
    pub at: u64,
    /// The name of the device that set it.
    pub device: String,
}

/// When the window syncs by itself: every [`SYNC_EVERY`] while unlocked,
/// and [`SYNC_AFTER_CHANGE`] after the vault changed.
#[derive(Debug, Default)]
pub struct SyncSchedule {
    last_run: Option<Instant>,
    /// The vault's revision mark after the last sync.
    mark: Vec<u8>,
    changed_since: Option<Instant>,
    /// Unix milliseconds of the last sync that reached the remote from this
    /// window (a sync that brings and sends nothing writes no outcome to
    /// the vault, so the vault's own time of the last sync can be older).
    reached_at: Option<u64>,
}

impl SyncSchedule {
    /// Whether a sync is due at `now`, given the vault's revision `mark`.
    fn due(&mut self, mark: &[u8], now: Instant) -> bool {
        if self.mark != mark && self.changed_since.is_none() {
            self.changed_since = Some(now);
        }
        let Some(last) = self.last_run else {
            return true;
        };
        now.saturating_duration_since(last) >= SYNC_EVERY
            || self
                .changed_since
                .is_some_and(|at| now.saturating_duration_since(at) >= SYNC_AFTER_CHANGE)
    }

    fn ran(&mut self, mark: Vec<u8>, now: Instant) {
        self.last_run = Some(now);
        self.mark = mark;
        self.changed_since = None;
    }

    /// The later of the vault's time of its last sync and this window's.
    fn last_sync(&self, stored: Option<u64>) -> Option<u64> {
        stored.max(self.reached_at)
    }
}

impl AppState {
    /// Where sync stands.
    ///
    /// # Errors
    /// `Locked`; a sync state that cannot be read.
    pub fn sync_status(&self) -> Result<SyncView> {
        let mut session = self.session()?;
        let mut status = view(session.unlocked(SYNC_NEEDS_UNLOCK)?)?;
        if status.set_up {
            status.last_sync_at = session.sync_schedule.last_sync(status.last_sync_at);
        }
        Ok(status)
    }

    /// Starts a new group on `remote` with this vault as its first device,
    /// and sends every account up.
    ///
    /// # Errors
    /// `Invalid` for an empty remote; the sync's (`AlreadySetUp`,
    /// `RemoteHasGroup`, the remote's).
    pub fn sync_setup(&self, remote: SyncRemoteInput, name: &str) -> Result<SyncOutcome> {
        let backend = remote.backend()?;
        let name = device_name(name);
        self.run_sync(|vault| sync::setup(vault, backend, &name, &SyncOptions::default()))
    }

    /// Asks to join the group of `code` through `remote`, then syncs once:
    /// when a device of the group has already accepted, the group's
    /// accounts come in; otherwise the status says `joining` and a later
    /// sync (background, or "Sync now") finishes it.
    ///
    /// # Errors
    /// `Invalid` for an empty remote; the sync's (`BadPairingCode`,
    /// `WrongGroup`, `RemoteHasNoGroup`, `AlreadySetUp`, the remote's).
    pub fn sync_join(
        &self,
        code: &SecretString,
        remote: SyncRemoteInput,
        name: &str,
    ) -> Result<SyncOutcome> {
        let backend = remote.backend_to_join(code)?;
        let name = device_name(name);
        let options = SyncOptions::default();
        self.run_sync(|vault| {
            sync::join(vault, code.expose(), backend, &name, &options)?;
            match sync::sync_now(vault, &options) {
                Err(SyncError::JoinPending) => Ok(SyncReport::default()),
                other => other,
            }
        })
    }

    /// Syncs now.
    ///
    /// # Errors
    /// `Locked`; the sync's (`NotSetUp`, `Busy`, the remote's after
    /// retries: the changes are kept for the next sync).
    pub fn sync_now(&self) -> Result<SyncOutcome> {
        self.run_sync(|vault| sync::sync_now(vault, &SyncOptions::default()))
    }

    /// A one-time pairing code for another device. It is admitted at this
    /// device's next sync after it asked (the window syncs every few
    /// seconds while the code is shown).
    ///
    /// # Errors
    /// `Locked`; the sync's (`NotSetUp`, `JoinPending`).
    pub fn sync_pair(&self) -> Result<PairingView> {
        let options = SyncOptions::default();
        let (code, remote) = self.with_sync_vault(|vault| {
            let code = sync::pair(vault, &options)?;
            Ok((code.text(), sync::status(vault)?.remote.unwrap_or_default()))
        })?;
        Ok(PairingView {
            qr_svg: qr::encode_svg(code.expose())?,
            code: code.expose().to_owned(),
            remote,
            valid_minutes: u32::try_from(options.invite_ttl.as_secs() / 60).unwrap_or(u32::MAX),
        })
    }

    /// Takes device `id` out of the group: it gets no key to what is
    /// written from then on.
    ///
    /// # Errors
    /// `Invalid` for a malformed id or this device; the sync's
    /// (`NoSuchDevice`, the remote's).
    pub fn sync_remove_device(&self, id: &str) -> Result<SyncView> {
        let device = Uuid::parse_str(id)
            .map_err(|_| SessionError::invalid(format!("no device {id} in the sync group")))?;
        self.run_sync(|vault| {
            sync::remove_device(vault, device, &SyncOptions::default())?;
            Ok(SyncReport::default())
        })
        .map(|outcome| outcome.status)
    }

    /// Stops syncing this vault (a last sync first unless `force`); its
    /// accounts stay.
    ///
    /// # Errors
    /// The sync's (the remote's, unless `force`).
    pub fn sync_leave(&self, force: bool) -> Result<SyncView> {
        self.run_sync(|vault| {
            sync::leave(vault, &SyncOptions::default(), force)?;
            Ok(SyncReport::default())
        })
        .map(|outcome| outcome.status)
    }

    /// Earlier values of account `id`'s fields that merges replaced,
    /// newest first (empty when sync never replaced one).
    ///
    /// # Errors
    /// `Locked`; `Invalid` for a malformed id.
    pub fn account_history(&self, id: &str) -> Result<Vec<HistoryView>> {
        let id =
            Uuid::parse_str(id).map_err(|_| SessionError::NotFound(format!("no account {id}")))?;
        let mut session = self.session()?;
        let vault = session.unlocked(SYNC_NEEDS_UNLOCK)?;
        let names = device_names(vault);
        Ok(sync::history(vault, id)?
            .into_iter()
            .map(|entry| HistoryView {
                field: entry.field,
                value: entry.value,
                at: entry.at.unix_millis(),
                device: names
                    .iter()
                    .find(|(id, _)| *id == entry.device)
                    .map_or_else(|| entry.device.to_string(), |(_, name)| name.clone()),
            })
            .collect())
    }

    /// Syncs when one is due (see [`SyncSchedule`]) and the vault is
    /// unlocked and syncs. `None` when none was due.
    pub fn background_sync(&self, now: Instant) -> Option<Result<SyncOutcome>> {
        {
            let mut session = self.session().ok()?;
            let vault = session.vault.as_mut().filter(|v| v.is_unlocked())?;
            if !matches!(vault.sync_state(), Ok(Some(_))) {
                return None;
            }
            let mark = vault.revision_mark().to_vec();
            if !session.sync_schedule.due(&mark, now) {
                return None;
            }
        }
        let result = self.sync_now();
        if let Err(error) = &result {
            tracing::info!(%error, "background sync did not complete");
        }
        Some(result)
    }

    /// Runs `action` on a second handle on the vault, then has the session
    /// re-read what it wrote, and returns what it did with the status.
    fn run_sync(
        &self,
        action: impl FnOnce(&mut Vault) -> sync::Result<SyncReport>,
    ) -> Result<SyncOutcome> {
        let (report, mut status) = self.with_sync_vault(|vault| {
            let report = action(vault)?;
            Ok((report, view(vault)?))
        })?;
        if status.set_up && !status.joining {
            let mut session = self.session()?;
            let schedule = &mut session.sync_schedule;
            schedule.reached_at = Some(super::vault_clock().now().unix_millis());
            status.last_sync_at = schedule.last_sync(status.last_sync_at);
        }
        let names = &status.devices;
        Ok(SyncOutcome {
            sent: report.captured,
            merged: report.merged,
            conflicts: report.conflicts,
            written: report.written,
            joined: report
                .joined
                .iter()
                .map(|id| {
                    names
                        .iter()
                        .find(|d| d.id == id.to_string())
                        .map_or_else(|| id.to_string(), |d| d.name.clone())
                })
                .collect(),
            status,
        })
    }

    /// Runs `action` on a second handle on the session's vault (the
    /// session stays free meanwhile), then brings the session's vault up to
    /// date and notes the sync in the schedule.
    fn with_sync_vault<T>(
        &self,
        action: impl FnOnce(&mut Vault) -> std::result::Result<T, SessionError>,
    ) -> Result<T> {
        let mut other = {
            let mut session = self.session()?;
            session.unlocked(SYNC_NEEDS_UNLOCK)?.open_another()?
        };
        let result = action(&mut other);
        drop(other);
        let mut session = self.session()?;
        if let Some(vault) = session.vault.as_mut().filter(|v| v.is_unlocked()) {
            // A failure to re-read is met and reported by the next command.
            let _ = vault.refresh();
            let mark = vault.revision_mark().to_vec();
            session.sync_schedule.ran(mark, Instant::now());
        }
        result
    }
}

impl From<SyncError> for SessionError {
    fn from(error: SyncError) -> Self {
        match error {
            SyncError::Vault(error) => Self::Vault(error),
            other => Self::Sync(other),
        }
    }
}

fn device_name(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        sync::default_device_name()
    } else {
        name.chars().take(64).collect()
    }
}

fn device_names(vault: &Vault) -> Vec<(Uuid, String)> {
    sync::devices(vault)
        .map(|devices| devices.into_iter().map(|d| (d.id, d.name)).collect())
        .unwrap_or_default()
}

/// The status of `vault` for the window.
fn view(vault: &mut Vault) -> Result<SyncView> {
    let status = sync::status(vault)?;
    let devices = if status.set_up {
        sync::devices(vault)?
            .into_iter()
            .map(|d| SyncDeviceView {
                id: d.id.to_string(),
                name: d.name,
                this_device: d.this_device,
                last_seen_at: d.last_seen.map(Timestamp::unix_millis),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(SyncView {
        set_up: status.set_up,
        joining: status.joining,
        remote: status.remote,
        last_sync_at: status.last_sync.map(Timestamp::unix_millis),
        last_error: status.last_error,
        pending_changes: status.pending_changes,
        conflicts_resolved: status.conflicts_resolved,
        devices,
        problems: status.problems,
        suggested_name: sync::default_device_name(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_is_due_at_once_then_after_a_change_or_the_interval() {
        let start = Instant::now();
        let mut schedule = SyncSchedule::default();
        assert!(schedule.due(b"a", start), "first look: due");
        schedule.ran(b"a".to_vec(), start);
        assert!(!schedule.due(b"a", start + Duration::from_secs(10)));
        let changed = start + Duration::from_secs(20);
        assert!(!schedule.due(b"b", changed), "a change waits a moment");
        assert!(!schedule.due(b"b", changed + Duration::from_secs(1)));
        assert!(schedule.due(b"b", changed + SYNC_AFTER_CHANGE));
        schedule.ran(b"b".to_vec(), changed + SYNC_AFTER_CHANGE);
        assert!(!schedule.due(b"b", changed + Duration::from_mins(1)));
        assert!(schedule.due(b"b", changed + SYNC_AFTER_CHANGE + SYNC_EVERY));
    }
}
