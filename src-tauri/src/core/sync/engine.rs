//! One function per user action that changes the sync: [`setup`],
//! [`join`], [`pair`], [`sync_now`], [`remove_device`], [`leave`]. Each
//! takes the vault (unlocked), holds the vault's sync lock, and leaves the
//! vault's sync state as the remote now is. The window calls them from a
//! blocking thread, the CLI directly.
//!
//! Owns: the order of a sync (keys, own head, pairing, pull, local pass,
//! upload, rotation of devices that left) and recording its outcome.
//!
//! Must never: lose a captured change when the remote fails (it stays in
//! the vault's outbox), or hold the lock while another action runs.

use std::time::Duration;

use serde::Serialize;
use uuid::Uuid;

use super::backend::{Remote, RemoteError, paths};
use super::codec::{self, Member};
use super::crypto::{self, DeviceKey};
use super::error::{Problem, Result, SyncError};
use super::folder::Folder;
use super::keys;
use super::lock::SyncLock;
use super::pairing::{self, PairingCode};
use super::pass::{self, PassReport};
use super::pull;
use super::retry::{RetryPolicy, Retrying};
use super::state::{Backend, StoredProblem, SyncState};
use super::upload;
use super::webdav::{Timeouts, WebDav};
use crate::core::secret::SecretString;
use crate::core::vault::{RowChange, StateChange, SyncChanges, Vault};

/// How patient a sync is.
#[derive(Debug, Clone, Copy)]
pub struct SyncOptions {
    pub retry: RetryPolicy,
    pub timeouts: Timeouts,
    /// How long a pairing code admits a device.
    pub invite_ttl: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            invite_ttl: Duration::from_mins(10),
        }
    }
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Changes of this vault captured and sealed.
    pub captured: u64,
    /// Changes of other devices merged.
    pub merged: u64,
    /// Edits of one field on two devices (the losing value is in the
    /// account's history).
    pub conflicts: u64,
    /// Vault entries written because of other devices' changes.
    pub written: u64,
    /// Segments uploaded.
    pub uploaded: u64,
    /// Devices that joined through this device's pairing codes.
    pub joined: Vec<Uuid>,
    /// Devices taken out of the group because they left.
    pub removed: Vec<Uuid>,
    /// Logs refused (the rest was merged).
    pub problems: Vec<Problem>,
}

impl SyncReport {
    fn add(&mut self, pass: PassReport) {
        self.captured += pass.captured;
        self.merged += pass.merged;
        self.conflicts += pass.conflicts;
        self.written += pass.written;
    }
}

/// The remote of `backend`, with retries.
pub fn connect(backend: &Backend, options: &SyncOptions) -> Result<Box<dyn Remote>> {
    let inner: Box<dyn Remote> = match backend {
        Backend::Folder { path } => Box::new(Folder::new(path)?),
        Backend::Webdav {
            url,
            username,
            password,
        } => Box::new(WebDav::new(
            url,
            username,
            SecretString::from(password.expose()),
            options.timeouts,
        )?),
    };
    Ok(Box::new(Retrying::new(inner, options.retry)))
}

/// The vault's sync state; `NotSetUp` if it has none.
pub fn load(vault: &Vault) -> Result<SyncState> {
    let bytes = vault.sync_state()?.ok_or(SyncError::NotSetUp)?;
    SyncState::decode(&bytes)
}

fn save(vault: &mut Vault, state: &SyncState) -> Result<()> {
    vault.put_sync_state(StateChange::Put(state.encode()))?;
    Ok(())
}

/// Starts a new group on the remote `backend` with this vault as its
/// first device (named `name`), then syncs (every account goes up).
///
/// `AlreadySetUp` if the vault syncs already; `RemoteHasGroup` if the
/// remote holds a group (join it instead).
pub fn setup(
    vault: &mut Vault,
    backend: Backend,
    name: &str,
    options: &SyncOptions,
) -> Result<SyncReport> {
    {
        let _lock = SyncLock::acquire(vault.path())?;
        if let Some(bytes) = vault.sync_state()? {
            return Err(SyncError::AlreadySetUp {
                group: SyncState::decode(&bytes)?.group,
            });
        }
        let remote = connect(&backend, options)?;
        if remote.get(paths::GROUP)?.is_some() {
            return Err(SyncError::RemoteHasGroup);
        }
        let device_key = DeviceKey::random()?;
        let mut state = SyncState::new(Uuid::new_v4(), name, &device_key, backend);
        let key = crypto::random_key()?;
        let member = Member {
            device: state.device,
            name: name.to_owned(),
            public_key: device_key.public(),
        };
        match remote.create(paths::GROUP, &codec::group_file(state.group)) {
            Err(RemoteError::AlreadyExists { .. }) => return Err(SyncError::RemoteHasGroup),
            other => other?,
        }
        let file = codec::make_key_file(
            state.group,
            1,
            state.device,
            &key,
            None,
            std::slice::from_ref(&member),
        )?;
        remote.create(&paths::key(1), &file)?;
        state.add_key(1, &key);
        state.members = vec![member];
        state.roster_epoch = 1;
        save(vault, &state)?;
        tracing::info!(group = %state.group, "sync group set up");
    }
    sync_now(vault, options)
}

/// Asks to join the group of pairing code `code` on the remote `backend`
/// (which must hold that group), as a device named `name`. The join
/// finishes at a later [`sync_now`], once a member device synced and
/// admitted it (until then `sync_now` says `JoinPending`).
pub fn join(
    vault: &mut Vault,
    code: &str,
    backend: Backend,
    name: &str,
    options: &SyncOptions,
) -> Result<()> {
    let _lock = SyncLock::acquire(vault.path())?;
    if let Some(bytes) = vault.sync_state()? {
        return Err(SyncError::AlreadySetUp {
            group: SyncState::decode(&bytes)?.group,
        });
    }
    let code = PairingCode::parse(code)?;
    let remote = connect(&backend, options)?;
    let group = remote
        .get(paths::GROUP)?
        .ok_or(SyncError::RemoteHasNoGroup)?;
    if codec::read_group(&group.bytes) != Some(code.group) {
        return Err(SyncError::WrongGroup);
    }
    let device_key = DeviceKey::random()?;
    let mut state = SyncState::new(code.group, name, &device_key, backend);
    pairing::send_request(remote.as_ref(), &mut state, &code)?;
    save(vault, &state)?;
    tracing::info!(group = %state.group, "asked to join a sync group");
    Ok(())
}

/// The `WebDAV` URL pairing code `code` names, for a device whose user
/// gave no remote to join through.
///
/// # Errors
/// `BadPairingCode` for a code that does not read; `CodeNamesNoRemote`
/// for the code of a group that syncs through a folder.
pub fn remote_of_code(code: &str) -> Result<String> {
    PairingCode::parse(code)?
        .remote
        .ok_or(SyncError::CodeNamesNoRemote)
}

/// A new pairing code for another device to join with (valid for
/// `options.invite_ttl`, once). The device is admitted at this device's
/// next [`sync_now`] after it asked.
pub fn pair(vault: &mut Vault, options: &SyncOptions) -> Result<PairingCode> {
    let _lock = SyncLock::acquire(vault.path())?;
    let mut state = load(vault)?;
    if state.joining.is_some() {
        return Err(SyncError::JoinPending);
    }
    let ttl = u64::try_from(options.invite_ttl.as_millis()).unwrap_or(u64::MAX);
    let expires = vault
        .clock_now()
        .offset_by(i64::try_from(ttl).unwrap_or(i64::MAX));
    let code = pairing::invite(&mut state, expires)?;
    save(vault, &state)?;
    Ok(code)
}

/// How often a waiting pairing or join looks at the remote.
const POLL: Duration = Duration::from_secs(2);

/// [`pair`], then shows the code (`show`), then syncs every few seconds
/// until a device used it (returned) or `wait` passed (`PairingExpired`).
pub fn pair_and_wait(
    vault: &mut Vault,
    options: &SyncOptions,
    wait: Duration,
    show: impl FnOnce(&SecretString),
) -> Result<Vec<Uuid>> {
    let code = pair(vault, options)?;
    show(&code.text());
    let started = std::time::Instant::now();
    loop {
        let report = sync_now(vault, options)?;
        if !report.joined.is_empty() {
            return Ok(report.joined);
        }
        if started.elapsed() >= wait {
            return Err(SyncError::PairingExpired);
        }
        std::thread::sleep(POLL.min(wait.saturating_sub(started.elapsed())));
    }
}

/// [`join`], then syncs every few seconds until a member admitted this
/// device and the group's accounts are in (the first sync's report), or
/// `wait` passed (`JoinPending`; a later `sync now` finishes the join).
pub fn join_and_wait(
    vault: &mut Vault,
    code: &str,
    backend: Backend,
    name: &str,
    options: &SyncOptions,
    wait: Duration,
) -> Result<SyncReport> {
    join(vault, code, backend, name, options)?;
    let started = std::time::Instant::now();
    loop {
        match sync_now(vault, options) {
            Err(SyncError::JoinPending) if started.elapsed() < wait => {
                std::thread::sleep(POLL.min(wait.saturating_sub(started.elapsed())));
            }
            other => return other,
        }
    }
}

/// A name for this device when the user gives none: the host name.
pub fn default_device_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().chars().take(64).collect::<String>())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "this device".to_owned())
}

/// Syncs now: reads new keys, admits devices that answered a pairing
/// code, reads the other devices' changes, captures this vault's, merges,
/// writes the vault, uploads. When the remote fails, the local changes
/// are still captured (and kept for the next sync) and the error says
/// what failed; problems with one device's log are in the report and
/// the rest is merged.
pub fn sync_now(vault: &mut Vault, options: &SyncOptions) -> Result<SyncReport> {
    let backend = load(vault)?.backend;
    let remote = connect(&backend, options)?;
    sync_with(vault, remote.as_ref())
}

/// [`sync_now`] through `remote` instead of the one the vault names (the
/// same files reached another way; tests put a fault injector in front).
pub fn sync_with(vault: &mut Vault, remote: &dyn Remote) -> Result<SyncReport> {
    let _lock = SyncLock::acquire(vault.path())?;
    let mut state = load(vault)?;
    let result = run(vault, remote, &mut state);
    let unsaved = match &result {
        Ok((_, unsaved)) => *unsaved,
        Err(error) => {
            tracing::warn!(%error, "sync failed");
            state.outcome.last_error = Some(error.to_string());
            true
        }
    };
    // Best effort: what the sync did to the vault is committed already.
    if unsaved && let Err(error) = save(vault, &state) {
        tracing::warn!(%error, "sync outcome not saved");
    }
    result.map(|(report, _)| report)
}

/// One sync; also says whether `state` changed after the local pass
/// committed it (uploads, a rotation), so needs saving.
fn run(
    vault: &mut Vault,
    remote: &dyn Remote,
    state: &mut SyncState,
) -> Result<(SyncReport, bool)> {
    let mut report = SyncReport::default();
    if !pairing::finish_join(remote, state)? {
        return Err(SyncError::JoinPending);
    }
    keys::refresh(remote, state)?;
    pull::check_own(remote, state)?;
    report.joined = pairing::answer_requests(remote, state, vault.clock_now())?;
    let pulled = match pull::pull(remote, state) {
        Ok(pulled) => pulled,
        Err(error) => {
            // Capture now what changed here, so it keeps its time; but a
            // device that just joined first needs the group's records.
            if !state.fresh_join {
                report.add(pass::local_pass(vault, state, &[], &[])?);
            }
            return Err(error);
        }
    };
    report.problems = pulled.problems;
    for (device, hlc) in &pulled.seen {
        state.seen.insert(*device, *hlc);
    }
    // The outcome goes into the vault with the local pass.
    state.outcome.last_sync = Some(vault.clock_now().unix_millis());
    state.outcome.last_error = None;
    state.outcome.problems = report.problems.iter().map(StoredProblem::from).collect();
    report.add(pass::local_pass(
        vault,
        state,
        &pulled.records,
        &pulled.cursors,
    )?);
    report.uploaded = u64::try_from(upload::upload(remote, state, false)?).unwrap_or(u64::MAX);
    for device in pulled.left {
        if state.members.iter().any(|m| m.device == device) {
            keys::rotate(remote, state, without(device))?;
            report.removed.push(device);
        }
    }
    let unsaved = report.uploaded > 0 || !report.removed.is_empty();
    Ok((report, unsaved))
}

/// The members but `device`.
fn without(device: Uuid) -> impl Fn(&[Member]) -> Vec<Member> {
    move |members| {
        members
            .iter()
            .filter(|m| m.device != device)
            .cloned()
            .collect()
    }
}

/// Takes device `device` out of the group: a new key it does not get, so
/// it reads nothing written from now on.
pub fn remove_device(vault: &mut Vault, device: Uuid, options: &SyncOptions) -> Result<()> {
    let _lock = SyncLock::acquire(vault.path())?;
    let mut state = load(vault)?;
    if device == state.device {
        return Err(SyncError::invalid("to take this device out, use leave"));
    }
    let remote = connect(&state.backend, options)?;
    keys::refresh(remote.as_ref(), &mut state)?;
    if !state.members.iter().any(|m| m.device == device) {
        return Err(SyncError::NoSuchDevice { device });
    }
    keys::rotate(remote.as_ref(), &mut state, without(device))?;
    save(vault, &state)
}

/// This device leaves the group: a last sync (so nothing captured is
/// lost), a head that says it left (the next member to sync makes a key
/// without it), then the sync state is forgotten; the accounts stay.
/// Without `force`, a failing last sync stops it.
pub fn leave(vault: &mut Vault, options: &SyncOptions, force: bool) -> Result<()> {
    let synced = sync_now(vault, options).map(|_| ());
    if let Err(error) = synced {
        if !force && !matches!(error, SyncError::Removed) {
            return Err(error);
        }
    } else {
        let _lock = SyncLock::acquire(vault.path())?;
        let mut state = load(vault)?;
        let remote = connect(&state.backend, options)?;
        match upload::upload(remote.as_ref(), &mut state, true) {
            Err(error) if !force => return Err(error),
            _ => {}
        }
    }
    let _lock = SyncLock::acquire(vault.path())?;
    vault.sync_write(|view| {
        let changes = SyncChanges {
            rows: view
                .rows
                .iter()
                .map(|row| RowChange::Remove(row.id))
                .collect(),
            state: StateChange::Remove,
            ..SyncChanges::default()
        };
        Ok::<_, SyncError>((changes, ()))
    })?;
    tracing::info!("left the sync group");
    Ok(())
}
