//! What the window and the CLI show about sync, read without changing
//! anything: [`status`], [`devices`] and an account's [`history`].
//!
//! Must never: show a secret (the remote's password, a key, the `otp`
//! field of a history entry), or write to the vault.

use serde::Serialize;
use uuid::Uuid;

use super::clock::hlc_millis;
use super::engine::load;
use super::error::{Result, SyncError};
use super::merge::EntityState;
use super::pass;
use crate::core::clock::Timestamp;
use crate::core::vault::Vault;

/// Where sync stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub set_up: bool,
    /// Waiting for a member device to accept this one.
    pub joining: bool,
    pub group: Option<Uuid>,
    pub device: Option<Uuid>,
    /// The remote, for people (no password).
    pub remote: Option<String>,
    pub last_sync: Option<Timestamp>,
    pub last_error: Option<String>,
    /// Changes not yet on the remote: captured and waiting, and made
    /// since the last sync.
    pub pending_changes: u64,
    /// Conflicting edits resolved since setup.
    pub conflicts_resolved: u64,
    pub devices: usize,
    /// Logs refused at the last sync.
    pub problems: Vec<String>,
}

/// The sync status of the vault (unlocked).
pub fn status(vault: &mut Vault) -> Result<SyncStatus> {
    let state = match load(vault) {
        Ok(state) => state,
        Err(SyncError::NotSetUp) => return Ok(SyncStatus::default()),
        Err(e) => return Err(e),
    };
    let uncaptured = pass::count_uncaptured(vault, &state)?;
    Ok(SyncStatus {
        set_up: true,
        joining: state.joining.is_some(),
        group: Some(state.group),
        device: Some(state.device),
        remote: Some(state.backend.describe()),
        last_sync: state.outcome.last_sync.map(Timestamp::from_unix_millis),
        last_error: state.outcome.last_error.clone(),
        pending_changes: state.pending_records() + uncaptured,
        conflicts_resolved: state.outcome.conflicts,
        devices: state.members.len(),
        problems: state
            .outcome
            .problems
            .iter()
            .map(|p| p.text.clone())
            .collect(),
    })
}

/// One device of the group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceInfo {
    pub id: Uuid,
    pub name: String,
    pub this_device: bool,
    /// When its newest head was written, as far as this device has seen.
    pub last_seen: Option<Timestamp>,
}

/// The devices of the group, this one first.
pub fn devices(vault: &Vault) -> Result<Vec<DeviceInfo>> {
    let state = load(vault)?;
    let mut out: Vec<DeviceInfo> = state
        .members
        .iter()
        .map(|m| DeviceInfo {
            id: m.device,
            name: m.name.clone(),
            this_device: m.device == state.device,
            last_seen: state
                .seen
                .get(&m.device)
                .map(|hlc| Timestamp::from_unix_millis(hlc_millis(*hlc))),
        })
        .collect();
    out.sort_by_key(|d| (!d.this_device, d.name.clone()));
    Ok(out)
}

/// A value a field of an account had before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub field: String,
    /// The value as text; the key material is not shown (`"(secret)"`).
    pub value: String,
    pub at: Timestamp,
    pub device: Uuid,
}

/// Earlier values of the fields of account `id`, newest first (empty for
/// an account sync never saw).
pub fn history(vault: &mut Vault, id: Uuid) -> Result<Vec<HistoryEntry>> {
    vault.sync_read(|view| {
        let Some(row) = view.rows.iter().find(|r| r.id == id) else {
            return Ok(Vec::new());
        };
        let state: EntityState = serde_json::from_slice(row.payload.expose()).map_err(|_| {
            SyncError::invalid("a merge state in the vault cannot be read by this version")
        })?;
        let mut out: Vec<HistoryEntry> = state
            .history
            .iter()
            .map(|item| HistoryEntry {
                field: item.field.clone(),
                value: match (&*item.field, &item.value.0) {
                    ("otp", _) => "(secret)".to_owned(),
                    (_, serde_json::Value::String(text)) => text.clone(),
                    (_, other) => other.to_string(),
                },
                at: Timestamp::from_unix_millis(hlc_millis(item.stamp.hlc)),
                device: item.stamp.device,
            })
            .collect();
        out.sort_by_key(|entry| std::cmp::Reverse(entry.at));
        Ok(out)
    })
}
