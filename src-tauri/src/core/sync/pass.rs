//! The local pass: one vault transaction that captures what changed in
//! the vault since the last sync (`docs/sync-format.md` §7.2), folds in
//! the records pulled from other devices (§8), writes back the entries
//! they changed (§8.2), and seals this device's new records into
//! segments waiting for upload. On the first pass after a join the
//! group's records come first and matching local accounts are adopted
//! (§8.3).
//!
//! Owns: [`local_pass`].
//!
//! Must never: capture a row the merge is about to rewrite (capture comes
//! first), delete an entry the vault never showed, or leave the in-memory
//! state ahead of what the vault committed.

use std::collections::{BTreeSet, HashMap, HashSet};

use rayon::prelude::*;
use uuid::Uuid;

use super::capture;
use super::clock::{HybridClock, Stamp};
use super::codec::{self, MAX_RECORDS, SegmentHeader};
use super::crypto;
use super::error::{Result, SyncError};
use super::merge::EntityState;
use super::record::{Kind, Op, Record};
use super::state::{Cursor, SyncState};
use crate::core::clock::Timestamp;
use crate::core::secret::{SecretBytes, serialize_json};
use crate::core::vault::{RowChange, StateChange, SyncChanges, SyncRow, SyncView, Vault};

/// What a local pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Records made from local changes.
    pub captured: u64,
    /// Records from other devices folded in.
    pub merged: u64,
    /// Edits of one field on two devices; the loser is in the history.
    pub conflicts: u64,
    /// Entries of the vault written because of other devices' records.
    pub written: u64,
}

/// Runs the pass on `vault` with `state` (which it updates only if the
/// transaction commits), the `incoming` records of other devices and the
/// `cursors` after them (committed with them).
pub fn local_pass(
    vault: &mut Vault,
    state: &mut SyncState,
    incoming: &[(Uuid, Vec<Record>)],
    cursors: &[(Uuid, Cursor)],
) -> Result<PassReport> {
    let mut next = state.clone();
    next.peers.extend(cursors.iter().copied());
    let (report, freeing) = vault.sync_write(|mut view| {
        let mut pass = Pass::new(&view, &mut next)?;
        if pass.state.fresh_join {
            pass.merge(incoming);
            pass.capture(&view, true);
            pass.state.fresh_join = false;
        } else {
            pass.capture(&view, false);
            pass.merge(incoming);
        }
        let (changes, report, states) = pass.finish(&view)?;
        // The merge states, decoded and as read, are freed (and wiped) on
        // another thread while the vault writes.
        let rows = std::mem::take(&mut view.rows);
        let freeing = std::thread::spawn(move || drop((states, rows)));
        Ok::<_, SyncError>((changes, (report, freeing)))
    })?;
    let _ = freeing.join();
    *state = next;
    Ok(report)
}

struct Pass<'s> {
    state: &'s mut SyncState,
    states: HashMap<Uuid, EntityState>,
    clock: HybridClock,
    now: Timestamp,
    /// Records made here, in order (numbered when sealed).
    own: Vec<Record>,
    /// Merge states to write back.
    dirty: BTreeSet<Uuid>,
    /// Entries whose vault rows the merge may have changed.
    touched: BTreeSet<Uuid>,
    /// Local rows replaced by the group's account they match.
    adopted: Vec<Uuid>,
    report: PassReport,
}

impl<'s> Pass<'s> {
    fn new(view: &SyncView<'_>, state: &'s mut SyncState) -> Result<Self> {
        let states = view
            .rows
            .par_iter()
            .map(|row| {
                serde_json::from_slice::<EntityState>(row.payload.expose())
                    .map(|decoded| (row.id, decoded))
                    .map_err(|_| {
                        SyncError::invalid(
                            "a merge state in the vault cannot be read by this version",
                        )
                    })
            })
            .collect::<Result<HashMap<Uuid, EntityState>>>()?;
        Ok(Self {
            clock: HybridClock::at(state.hlc),
            state,
            states,
            now: view.now,
            own: Vec::new(),
            dirty: BTreeSet::new(),
            touched: BTreeSet::new(),
            adopted: Vec::new(),
            report: PassReport::default(),
        })
    }

    /// Stamps `ops` as this device's records on `entity` and folds them in:
    /// at `made` (when the change was made, as the vault knows it), or
    /// with HLC 0 (values that must lose, §8.3).
    fn record(&mut self, entity: Uuid, kind: Kind, ops: Vec<Op>, made: Option<Timestamp>) {
        for op in ops {
            let hlc = made.map_or(0, |made| self.clock.tick_at(made, self.now));
            let stamp = Stamp {
                hlc,
                device: self.state.device,
            };
            self.states
                .entry(entity)
                .or_insert_with(|| EntityState::new(kind))
                .apply(stamp, &op);
            self.own.push(Record {
                n: 0,
                hlc,
                entity,
                kind,
                op,
            });
            self.dirty.insert(entity);
            self.report.captured += 1;
        }
    }

    fn capture(&mut self, view: &SyncView<'_>, adopt: bool) {
        let mut present: HashSet<Uuid> = HashSet::new();
        let mut adopted: HashSet<Uuid> = HashSet::new();
        for entry in view.entries {
            present.insert(entry.id);
            present.extend(entry.backup_codes.iter().map(|code| code.id));
            if adopt && !self.states.contains_key(&entry.id) && self.adopt(entry) {
                adopted.insert(entry.id);
            }
        }
        let states = &self.states;
        let mut found: Vec<(Timestamp, Uuid, Kind, Vec<Op>)> = view
            .entries
            .par_iter()
            .filter(|entry| !adopted.contains(&entry.id))
            .flat_map_iter(|entry| entry_changes(states, entry))
            .collect();
        for server in view.servers {
            present.insert(server.id);
            let ops = capture::diff(&capture::server_fields(server), self.states.get(&server.id));
            if !ops.is_empty() {
                found.push((server.updated_at, server.id, Kind::Server, ops));
            }
        }
        if !adopt {
            for (id, kind) in self.gone(&present) {
                let made = view.removed.get(&id).copied().unwrap_or(self.now);
                found.push((made, id, kind, vec![Op::Alive(false)]));
            }
        }
        // Oldest change first, so each gets a stamp as close to when it was
        // made as the clock allows.
        found.sort_by_key(|(made, ..)| *made);
        for (made, id, kind, ops) in found {
            self.record(id, kind, ops, Some(made));
        }
    }

    /// The live entries the vault no longer shows (a backup code only when
    /// its account is still there), but for those it never showed.
    fn gone(&self, present: &HashSet<Uuid>) -> Vec<(Uuid, Kind)> {
        let mut gone: Vec<(Uuid, Kind)> = self
            .states
            .iter()
            .filter(|(id, st)| {
                st.is_alive() && !present.contains(id) && !self.state.unmaterialized.contains(id)
            })
            .filter(|(_, st)| {
                st.kind != Kind::Code
                    || st
                        .get("account")
                        .and_then(|a| a.as_str())
                        .and_then(|a| Uuid::try_parse(a).ok())
                        .is_some_and(|account| present.contains(&account))
            })
            .map(|(id, st)| (*id, st.kind))
            .collect();
        gone.sort_by_key(|(id, _)| *id);
        gone
    }

    /// Adopts local account `entry` into the group's account with the same
    /// key material, if there is one (§8.3).
    fn adopt(&mut self, entry: &crate::core::vault::Entry) -> bool {
        let found = self.states.iter().find_map(|(id, st)| {
            (st.kind == Kind::Account && st.is_alive())
                .then(|| capture::materialize_account(*id, st))
                .flatten()
                .filter(|g| g.account.same_key_material(&entry.account))
        });
        let Some(group) = found else {
            return false;
        };
        let fields = capture::account_fields(entry);
        let state = self.states.get(&group.id);
        let tags: Vec<Op> = fields
            .tags
            .iter()
            .filter(|t| !state.is_some_and(|s| s.present_tags().any(|p| p == t.as_str())))
            .map(|t| Op::Tag {
                tag: t.clone(),
                present: true,
            })
            .collect();
        let kept: Vec<Op> = fields
            .set
            .iter()
            .filter(|(f, v)| {
                ["issuer", "name", "note"].contains(&f.as_str())
                    && state.and_then(|s| s.get(f)) != Some(&v.0)
            })
            .map(|(f, v)| Op::Set {
                field: f.clone(),
                value: v.clone(),
            })
            .collect();
        self.record(group.id, Kind::Account, tags, Some(self.now));
        self.record(group.id, Kind::Account, kept, None);
        for (index, code) in entry.backup_codes.iter().enumerate() {
            let ops = capture::diff(&capture::code_fields(group.id, index, code), None);
            self.record(code.id, Kind::Code, ops, Some(code.created_at));
            self.touched.insert(code.id);
        }
        self.touched.insert(group.id);
        self.adopted.push(entry.id);
        true
    }

    fn merge(&mut self, incoming: &[(Uuid, Vec<Record>)]) {
        for (device, records) in incoming {
            for record in records {
                self.clock.observe(record.hlc);
                let state = self
                    .states
                    .entry(record.entity)
                    .or_insert_with(|| EntityState::new(record.kind));
                if state.kind != record.kind {
                    continue;
                }
                let stamp = Stamp {
                    hlc: record.hlc,
                    device: *device,
                };
                let applied = state.apply(stamp, &record.op);
                self.report.merged += 1;
                self.report.conflicts += u64::from(applied.conflict);
                self.dirty.insert(record.entity);
                if applied.changed {
                    self.touched.insert(record.entity);
                }
            }
        }
    }

    /// The vault changes and the report of the pass, and the merge states
    /// (for the caller to free).
    fn finish(
        mut self,
        view: &SyncView<'_>,
    ) -> Result<(SyncChanges, PassReport, HashMap<Uuid, EntityState>)> {
        let mut changes = self.materialize(view);
        changes.clear_removed = !view.removed.is_empty();
        self.report.written =
            u64::try_from(changes.accounts.len() + changes.codes.len() + changes.servers.len())
                .unwrap_or(u64::MAX);
        let states = &self.states;
        changes.rows = self
            .dirty
            .par_iter()
            .filter_map(|id| {
                states.get(id).map(|st| {
                    RowChange::Put(SyncRow {
                        id: *id,
                        payload: SecretBytes::new(std::mem::take(&mut *serialize_json(st))),
                    })
                })
            })
            .collect();
        self.seal()?;
        self.state.hlc = self.clock.last();
        self.state.outcome.conflicts += self.report.conflicts;
        changes.state = StateChange::Put(self.state.encode());
        Ok((changes, self.report, self.states))
    }

    /// The vault rows of every touched entry (and of the backup codes of a
    /// touched account).
    fn materialize(&mut self, view: &SyncView<'_>) -> SyncChanges {
        let mut changes = SyncChanges::default();
        let in_vault: HashSet<Uuid> = view
            .entries
            .iter()
            .flat_map(|e| std::iter::once(e.id).chain(e.backup_codes.iter().map(|c| c.id)))
            .chain(view.servers.iter().map(|s| s.id))
            .collect();
        for id in std::mem::take(&mut self.adopted) {
            changes.accounts.push(RowChange::Remove(id));
        }
        let mut accounts_after: HashSet<Uuid> = view.entries.iter().map(|e| e.id).collect();
        let touched_accounts: Vec<Uuid> = self
            .touched
            .iter()
            .filter(|id| self.states.get(id).is_some_and(|s| s.kind == Kind::Account))
            .copied()
            .collect();
        for id in &touched_accounts {
            if let Some(put) = self
                .states
                .get(id)
                .and_then(|st| capture::materialize_account(*id, st))
            {
                accounts_after.insert(*id);
                self.state.unmaterialized.remove(id);
                changes.accounts.push(RowChange::Put(put));
            } else {
                if self.states.get(id).is_some_and(EntityState::is_alive) {
                    self.state.unmaterialized.insert(*id);
                }
                accounts_after.remove(id);
                if in_vault.contains(id) {
                    changes.accounts.push(RowChange::Remove(*id));
                }
            }
        }
        self.touch_codes_of(&touched_accounts);
        for id in self.touched.clone() {
            let Some(st) = self.states.get(&id) else {
                continue;
            };
            match st.kind {
                Kind::Account => {}
                Kind::Code => match capture::materialize_code(id, st) {
                    Some(put) if accounts_after.contains(&put.account_id) => {
                        changes.codes.push(RowChange::Put(put));
                    }
                    _ if in_vault.contains(&id) => changes.codes.push(RowChange::Remove(id)),
                    _ => {}
                },
                Kind::Server => match capture::materialize_server(id, st) {
                    Some(put) => changes.servers.push(RowChange::Put(put)),
                    None if in_vault.contains(&id) => changes.servers.push(RowChange::Remove(id)),
                    None => {}
                },
            }
        }
        changes
    }

    /// Marks the backup codes of `accounts` touched, so that an account
    /// brought back brings its codes back.
    fn touch_codes_of(&mut self, accounts: &[Uuid]) {
        if accounts.is_empty() {
            return;
        }
        let wanted: HashSet<String> = accounts
            .iter()
            .map(|a| a.hyphenated().to_string())
            .collect();
        let codes: Vec<Uuid> = self
            .states
            .iter()
            .filter(|(_, st)| {
                st.kind == Kind::Code
                    && st
                        .get("account")
                        .and_then(|a| a.as_str())
                        .is_some_and(|a| wanted.contains(a))
            })
            .map(|(id, _)| *id)
            .collect();
        self.touched.extend(codes);
    }

    /// Numbers this pass's records and seals them into segments.
    fn seal(&mut self) -> Result<()> {
        if self.own.is_empty() {
            return Ok(());
        }
        let (epoch, key) = self.state.current()?;
        let mut own = std::mem::take(&mut self.own);
        for record in &mut own {
            self.state.log.record += 1;
            record.n = self.state.log.record;
        }
        for chunk in own.chunks(MAX_RECORDS) {
            let header = SegmentHeader {
                group: self.state.group,
                device: self.state.device,
                epoch,
                n: self.state.log.segment + 1,
                prev: self.state.log.digest,
            };
            let file = codec::seal_segment(&key, &header, chunk, false)?;
            self.state.log = Cursor {
                segment: header.n,
                record: chunk.last().map_or(self.state.log.record, |r| r.n),
                digest: crypto::digest(&file),
            };
            self.state.outbox.push(super::state::Pending {
                segment: header.n,
                records: u64::try_from(chunk.len()).unwrap_or(u64::MAX),
                file,
            });
        }
        Ok(())
    }
}

/// What changed in `entry` (an account and its backup codes) against the
/// merge `states`: when, which entity, of what kind, and the records.
fn entry_changes(
    states: &HashMap<Uuid, EntityState>,
    entry: &crate::core::vault::Entry,
) -> Vec<(Timestamp, Uuid, Kind, Vec<Op>)> {
    let mut found = Vec::new();
    let ops = capture::diff(&capture::account_fields(entry), states.get(&entry.id));
    if !ops.is_empty() {
        found.push((entry.updated_at, entry.id, Kind::Account, ops));
    }
    for (index, code) in entry.backup_codes.iter().enumerate() {
        let made = code.used_at.unwrap_or(code.created_at).max(code.created_at);
        let ops = capture::diff(
            &capture::code_fields(entry.id, index, code),
            states.get(&code.id),
        );
        if !ops.is_empty() {
            found.push((made, code.id, Kind::Code, ops));
        }
    }
    found
}

/// How many records a pass would capture now (nothing is written).
pub fn count_uncaptured(vault: &mut Vault, state: &SyncState) -> Result<u64> {
    if state.keys.is_empty() {
        return Ok(0);
    }
    let mut copy = state.clone();
    vault.sync_read(|view| {
        let mut pass = Pass::new(&view, &mut copy)?;
        pass.capture(&view, false);
        Ok(pass.report.captured)
    })
}
