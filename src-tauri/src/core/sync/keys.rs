//! Epochs (`docs/sync-format.md` §5): reading the key files newer than
//! the ones a device holds, and making a new epoch when a device joins,
//! is removed or leaves.
//!
//! Owns: [`refresh`] and [`rotate`].
//!
//! Must never: accept an epoch not chained to a key the device holds,
//! skip an epoch, or keep syncing once a newer epoch leaves it out.

use super::backend::{Remote, RemoteError, paths};
use super::codec::{self, Member};
use super::crypto;
use super::error::{Result, SyncError};
use super::state::SyncState;

/// Reads every key file after the roster this device last read; keeps
/// their keys and the newest roster. `Removed` if one leaves this device
/// out; `Tampered` if one does not open. Returns whether anything was new.
pub fn refresh(remote: &dyn Remote, state: &mut SyncState) -> Result<bool> {
    let own = state.device_key()?;
    let mut changed = false;
    loop {
        let epoch = state.roster_epoch + 1;
        let path = paths::key(epoch);
        let Some(file) = remote.get(&path)? else {
            return Ok(changed);
        };
        let previous = epoch.checked_sub(1).and_then(|e| state.key_of(e));
        let known = state.key_of(epoch);
        match codec::open_key_file(
            &file.bytes,
            state.group,
            state.device,
            &own,
            previous.as_ref(),
            known.as_ref(),
        ) {
            Ok(Some(opened)) => {
                state.add_key(opened.number, &opened.key);
                state.members = opened.members;
                state.roster_epoch = opened.number;
                changed = true;
            }
            Ok(None) => return Err(SyncError::Removed),
            Err(()) => return Err(SyncError::tampered(path)),
        }
    }
}

/// Makes the next epoch with the members `choose` picks from the current
/// ones, writes its key file (create-only) and keeps it. If another
/// device made that epoch first, reads it and tries again on top of it.
pub fn rotate(
    remote: &dyn Remote,
    state: &mut SyncState,
    choose: impl Fn(&[Member]) -> Vec<Member>,
) -> Result<()> {
    for _ in 0..3 {
        refresh(remote, state)?;
        let (current, previous) = state.current()?;
        if current != state.roster_epoch {
            return Err(SyncError::invalid(
                "the group's key files are incomplete; sync again later",
            ));
        }
        let epoch = current + 1;
        let members = choose(&state.members);
        if !members.iter().any(|m| m.device == state.device) {
            return Err(SyncError::invalid(
                "a device cannot remove itself; use leave",
            ));
        }
        let key = crypto::random_key()?;
        let file = codec::make_key_file(
            state.group,
            epoch,
            state.device,
            &key,
            Some(&previous),
            &members,
        )?;
        match remote.create(&paths::key(epoch), &file) {
            Ok(()) => {
                state.add_key(epoch, &key);
                state.members = members;
                state.members.sort_by_key(|m| *m.device.as_bytes());
                state.roster_epoch = epoch;
                tracing::info!(
                    epoch,
                    members = state.members.len(),
                    "sync group key rotated"
                );
                return Ok(());
            }
            Err(RemoteError::AlreadyExists { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(SyncError::invalid(
        "other devices keep changing the group; sync again later",
    ))
}
