//! Sending this device's sealed segments (`docs/sync-format.md` §10):
//! create-only, so an upload repeated after an interruption is recognised
//! (same bytes), a cut-off one is replaced, and a different segment under
//! the same number is refused (the vault is older than its uploads).
//!
//! Owns: [`upload`].
//!
//! Must never: replace an authentic segment.

use super::backend::{Remote, RemoteError, paths};
use super::codec::{self, SegmentHeader};
use super::crypto;
use super::error::{Result, SyncError};
use super::state::{Cursor, Pending, SyncState};

/// Uploads every pending segment, in order, and empties the outbox;
/// `leaving` first adds a last, empty segment that says this device left.
/// Returns how many segments went up.
pub fn upload(remote: &dyn Remote, state: &mut SyncState, leaving: bool) -> Result<usize> {
    if leaving {
        seal_farewell(state)?;
    }
    let mut sent = 0;
    for pending in &state.outbox {
        let path = paths::segment(state.device, pending.segment);
        match remote.create(&path, &pending.file) {
            Ok(()) => {}
            Err(RemoteError::AlreadyExists { .. }) => {
                let Some(there) = remote.get(&path)? else {
                    return Err(RemoteError::Changed { path }.into());
                };
                if there.bytes != pending.file {
                    if is_authentic(state, &there.bytes) {
                        return Err(SyncError::VaultBehindRemote);
                    }
                    remote.replace(&path, &pending.file, &there.version)?;
                }
            }
            Err(e) => return Err(e.into()),
        }
        state.uploaded = pending.segment;
        sent += 1;
    }
    state.outbox.clear();
    Ok(sent)
}

/// Seals the empty segment with the `left` flag after the last one.
fn seal_farewell(state: &mut SyncState) -> Result<()> {
    let (epoch, key) = state.current()?;
    let header = SegmentHeader {
        group: state.group,
        device: state.device,
        epoch,
        n: state.log.segment + 1,
        prev: state.log.digest,
    };
    let file = codec::seal_segment(&key, &header, &[], true)?;
    state.log = Cursor {
        segment: header.n,
        record: state.log.record,
        digest: crypto::digest(&file),
    };
    state.outbox.push(Pending {
        segment: header.n,
        records: 0,
        file,
    });
    Ok(())
}

/// Whether `bytes` is a segment of this device that opens.
fn is_authentic(state: &SyncState, bytes: &[u8]) -> bool {
    SegmentHeader::read(bytes)
        .filter(|(h, _)| h.group == state.group && h.device == state.device)
        .and_then(|(h, _)| state.key_of(h.epoch))
        .is_some_and(|key| codec::open_segment(&key, bytes).is_some())
}
