//! Reading the other devices' logs (`docs/sync-format.md` §6.2): each
//! member's directory is listed, and its segments after the cursor are
//! read in order, each checked (names, hash chain, authentication, record
//! numbers) before any of its records is handed on. The listing also
//! tells a remote rolled back (a segment already merged is gone) and,
//! for this device's own directory, a vault put back from a backup (the
//! remote holds later segments of it than the vault wrote).
//!
//! Owns: [`check_own`] and [`pull`].
//!
//! Must never: hand on a record of a segment that failed a check, or move
//! a cursor backwards.

use uuid::Uuid;

use super::backend::{Remote, paths};
use super::codec::{self, SegmentHeader};
use super::crypto;
use super::error::{Problem, ProblemKind, Result, SyncError};
use super::record::Record;
use super::state::{Cursor, SyncState};

/// What the pull brought.
#[derive(Debug, Default)]
pub struct Pulled {
    /// Per device, its new records in log order.
    pub records: Vec<(Uuid, Vec<Record>)>,
    /// Per device, the cursor after them.
    pub cursors: Vec<(Uuid, Cursor)>,
    /// Per device, the HLC of its newest record read.
    pub seen: Vec<(Uuid, u64)>,
    /// Members whose last segment says they left.
    pub left: Vec<Uuid>,
    pub problems: Vec<Problem>,
}

/// The segment numbers in `device`'s directory, ascending.
fn listed_segments(remote: &dyn Remote, device: Uuid) -> Result<Vec<u64>> {
    let mut numbers: Vec<u64> = remote
        .list(&paths::device(device))?
        .into_iter()
        .filter(|l| !l.is_dir)
        .filter_map(|l| codec::segment_number(&l.name))
        .collect();
    numbers.sort_unstable();
    Ok(numbers)
}

/// Checks this device's own directory against what it uploaded:
/// `VaultBehindRemote` if the remote holds later segments of it than the
/// vault wrote, `RemoteRolledBack` if a segment it uploaded is gone.
pub fn check_own(remote: &dyn Remote, state: &SyncState) -> Result<()> {
    let listed = listed_segments(remote, state.device)?;
    if listed.last().is_some_and(|&last| last > state.log.segment) {
        return Err(SyncError::VaultBehindRemote);
    }
    if state.uploaded > 0 && !listed.contains(&state.uploaded) {
        return Err(SyncError::RemoteRolledBack {
            file: paths::segment(state.device, state.uploaded),
        });
    }
    Ok(())
}

/// Reads every other member's new segments. Transport failures stop the
/// pull (`Remote`); a log that fails a check becomes a [`Problem`] and the
/// others are still read.
pub fn pull(remote: &dyn Remote, state: &SyncState) -> Result<Pulled> {
    let mut pulled = Pulled::default();
    for member in &state.members {
        let device = member.device;
        if device == state.device {
            continue;
        }
        let mut cursor = state.peers.get(&device).copied().unwrap_or_default();
        let listed = listed_segments(remote, device)?;
        if cursor.segment > 0 && !listed.contains(&cursor.segment) {
            pulled.problems.push(Problem {
                device,
                kind: ProblemKind::RolledBack,
                file: paths::segment(device, cursor.segment),
            });
            continue;
        }
        let mut records = Vec::new();
        let mut left = false;
        let start = cursor.segment;
        for n in listed.into_iter().filter(|&n| n > start) {
            let path = paths::segment(device, n);
            if n != cursor.segment + 1 {
                break;
            }
            let Some(file) = remote.get(&path)? else {
                break;
            };
            match read_segment(state, device, n, &cursor, &file.bytes) {
                Ok(opened) => {
                    cursor = Cursor {
                        segment: n,
                        record: opened.records.last().map_or(cursor.record, |r| r.n),
                        digest: crypto::digest(&file.bytes),
                    };
                    records.extend(opened.records);
                    left |= opened.left;
                }
                Err(kind) => {
                    pulled.problems.push(Problem {
                        device,
                        kind,
                        file: path,
                    });
                    break;
                }
            }
        }
        if left {
            pulled.left.push(device);
        }
        if let Some(newest) = records.iter().map(|r| r.hlc).max() {
            pulled.seen.push((device, newest));
        }
        if cursor != state.peers.get(&device).copied().unwrap_or_default() {
            pulled.cursors.push((device, cursor));
            pulled.records.push((device, records));
        }
    }
    Ok(pulled)
}

/// What segment `n` of `device` holds, after every check of §6.2.
fn read_segment(
    state: &SyncState,
    device: Uuid,
    n: u64,
    cursor: &Cursor,
    bytes: &[u8],
) -> Result<codec::Opened, ProblemKind> {
    let (header, _) = SegmentHeader::read(bytes).ok_or(ProblemKind::Tampered)?;
    if header.group != state.group || header.device != device || header.n != n {
        return Err(ProblemKind::Tampered);
    }
    if header.prev != cursor.digest {
        return Err(ProblemKind::Replayed);
    }
    let key = state.key_of(header.epoch).ok_or(ProblemKind::Tampered)?;
    let opened = codec::open_segment(&key, bytes).ok_or(ProblemKind::Tampered)?;
    let contiguous = opened
        .records
        .iter()
        .zip(cursor.record + 1..)
        .all(|(record, expected)| record.n == expected);
    if !contiguous {
        return Err(ProblemKind::Replayed);
    }
    Ok(opened)
}
