//! The sync tables (schema 4): `sync_state`, the device's sync state, and
//! `sync_entities`, the merge state of every synced entry, each row one
//! payload sealed under the vault key (`docs/vault-format.md` §6.4–§6.5).
//! The vault keeps them as opaque bytes, as it keeps servers; what is
//! inside is `core::sync`'s business (`docs/sync-format.md`).
//!
//! Owns: the SQL and associated data of both tables, and [`Vault::sync_write`],
//! the one transaction in which a sync reads the vault and writes back
//! what it merged: accounts, backup codes and servers with the ids the
//! group gave them, the merge states and the sync state, all or nothing.
//!
//! Must never: look inside a payload, write an entry row that does not
//! validate, or let the cache differ from what was committed.

use rayon::prelude::*;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use super::db::{self, parse_id};
use super::entry::{Details, Entry};
use super::envelope::{self, AssociatedData, EnvelopeKey, FORMAT_VERSION};
use super::error::{Result, VaultError};
use super::payload;
use super::rekey;
use super::repo::{self, db_time, load_entries, load_entries_of};
use super::servers::{self, ServerEntry, load_servers};
use super::slots::map_seal;
use super::{Unlocked, Vault};
use crate::core::clock::Timestamp;
use crate::core::otp::Account;
use crate::core::secret::{SecretBytes, SecretString};

pub(super) const SYNC_STATE: &str = "sync_state";
pub(super) const SYNC_ENTITIES: &str = "sync_entities";
pub(super) const SYNC_REMOVED: &str = "sync_removed";

/// Notes, in `tx`, that entry `id` was removed at `at`, when the vault
/// syncs: the next sync stamps the removal with that time rather than its
/// own, so an edit made elsewhere after the removal still wins.
pub(super) fn note_removed(tx: &Connection, id: Uuid, at: Timestamp) -> Result<()> {
    tx.execute(
        "INSERT INTO sync_removed (id, removed_at) SELECT ?1, ?2
         WHERE EXISTS (SELECT 1 FROM sync_state)
         ON CONFLICT (id) DO UPDATE SET removed_at = ?2",
        params![id.hyphenated().to_string(), db_time(at)],
    )?;
    Ok(())
}

/// When each entry removed since the last sync was removed.
fn read_removed(conn: &Connection) -> Result<std::collections::HashMap<Uuid, Timestamp>> {
    let mut stmt = conn.prepare("SELECT id, removed_at FROM sync_removed")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out = std::collections::HashMap::new();
    for row in rows {
        let (id, at) = row?;
        let id = parse_id(&id).ok_or_else(|| VaultError::corrupt(SYNC_REMOVED, id.clone()))?;
        out.insert(id, repo::timestamp(at, SYNC_REMOVED, &id.to_string())?);
    }
    Ok(out)
}

pub(super) fn state_ad() -> AssociatedData {
    AssociatedData::new("tessera-vault-entry")
        .u8(FORMAT_VERSION)
        .text(SYNC_STATE)
        .text("1")
}

pub(super) fn entity_ad(id: &str) -> AssociatedData {
    AssociatedData::new("tessera-vault-entry")
        .u8(FORMAT_VERSION)
        .text(SYNC_ENTITIES)
        .text(id)
}

/// The JSON of an account and its details as the vault stores it
/// (`docs/vault-format.md` §6.1), as a value (the caller wipes it): the
/// sync splits it into fields, so that both speak one format.
pub fn account_document_value(account: &Account, details: &Details) -> serde_json::Value {
    payload::account_value(account, details)
}

/// The account a document of [`account_document_value`]'s form holds; `None`
/// if it is not a valid one.
pub fn account_from_document(json: &[u8]) -> Option<(Account, Details)> {
    payload::decode_account(json)
}

/// The merge state of one synced entry, opaque to the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRow {
    pub id: Uuid,
    pub payload: SecretBytes,
}

/// An account as a sync writes it: with the id, order and creation time
/// the group agreed on.
#[derive(Debug, Clone)]
pub struct SyncedAccount {
    pub id: Uuid,
    pub account: Account,
    pub details: Details,
    pub position: i64,
    pub created_at: Timestamp,
}

/// A backup code as a sync writes it.
#[derive(Debug, Clone)]
pub struct SyncedCode {
    pub id: Uuid,
    pub account_id: Uuid,
    pub code: SecretString,
    pub used_at: Option<Timestamp>,
    pub position: i64,
    pub created_at: Timestamp,
}

/// A server as a sync writes it.
#[derive(Debug, Clone)]
pub struct SyncedServer {
    pub id: Uuid,
    pub payload: SecretBytes,
    pub position: i64,
    pub created_at: Timestamp,
}

/// Adds or replaces a row, or removes the row with that id.
#[derive(Debug, Clone)]
pub enum RowChange<T> {
    Put(T),
    Remove(Uuid),
}

/// What to do with the sync state row.
#[derive(Debug, Clone, Default)]
pub enum StateChange {
    #[default]
    Keep,
    Put(SecretBytes),
    Remove,
}

/// Everything a sync writes in one transaction.
#[derive(Debug, Clone, Default)]
pub struct SyncChanges {
    pub accounts: Vec<RowChange<SyncedAccount>>,
    pub codes: Vec<RowChange<SyncedCode>>,
    pub servers: Vec<RowChange<SyncedServer>>,
    pub rows: Vec<RowChange<SyncRow>>,
    pub state: StateChange,
    /// Forget the removal times read (the removals were captured).
    pub clear_removed: bool,
}

impl SyncChanges {
    fn touches_entries(&self) -> bool {
        !(self.accounts.is_empty() && self.codes.is_empty() && self.servers.is_empty())
    }
}

/// What a sync sees: the vault as committed when its transaction began.
pub struct SyncView<'a> {
    pub entries: &'a [Entry],
    pub servers: &'a [ServerEntry],
    /// The sync state, if this vault syncs.
    pub state: Option<SecretBytes>,
    /// Every merge state, by id.
    pub rows: Vec<SyncRow>,
    /// When entries removed since the last sync were removed.
    pub removed: std::collections::HashMap<Uuid, Timestamp>,
    /// The time of the transaction, by the vault's clock.
    pub now: Timestamp,
}

/// The sync state, opened; `None` if there is none.
fn read_state(conn: &Connection, key: &EnvelopeKey) -> Result<Option<SecretBytes>> {
    let sealed: Option<Vec<u8>> = conn
        .query_row("SELECT payload FROM sync_state WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|_| VaultError::corrupt(SYNC_STATE, "1"))?;
    sealed
        .map(|sealed| {
            let mut plain = envelope::open(key, &sealed, &state_ad())
                .map_err(|_| VaultError::corrupt(SYNC_STATE, "1"))?;
            Ok(SecretBytes::new(std::mem::take(&mut *plain)))
        })
        .transpose()
}

/// Every merge state, opened; the first that fails is `Corrupt`.
fn read_rows(conn: &Connection, key: &EnvelopeKey) -> Result<Vec<SyncRow>> {
    let mut stmt = conn.prepare("SELECT id, payload FROM sync_entities ORDER BY id")?;
    let mut rows = stmt.query([])?;
    let mut sealed_rows: Vec<(String, Vec<u8>)> = Vec::new();
    while let Some(row) = rows.next()? {
        let raw: String = row
            .get(0)
            .map_err(|_| VaultError::corrupt(SYNC_ENTITIES, "(unreadable id)"))?;
        let sealed = row
            .get_ref(1)
            .ok()
            .and_then(|value| value.as_blob().ok())
            .ok_or_else(|| VaultError::corrupt(SYNC_ENTITIES, raw.as_str()))?
            .to_vec();
        sealed_rows.push((raw, sealed));
    }
    // Opened on all cores: a vault of 10,000 synced accounts has as many.
    sealed_rows
        .par_iter()
        .map(|(raw, sealed)| {
            let corrupt = || VaultError::corrupt(SYNC_ENTITIES, raw.as_str());
            let id = parse_id(raw).ok_or_else(corrupt)?;
            let mut plain = envelope::open(key, sealed, &entity_ad(raw)).map_err(|_| corrupt())?;
            Ok(SyncRow {
                id,
                payload: SecretBytes::new(std::mem::take(&mut *plain)),
            })
        })
        .collect()
}

impl Vault {
    /// The sync state as committed now (read from the file), `None` when
    /// this vault does not sync. `Locked` if locked.
    pub fn sync_state(&self) -> Result<Option<SecretBytes>> {
        let key = &self.unlocked()?.key;
        read_state(&self.conn, key)
    }

    /// The time by the vault's clock (what a sync stamps invitations with).
    pub fn clock_now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Writes (or removes) the sync state alone, in one write transaction.
    pub fn put_sync_state(&mut self, change: StateChange) -> Result<()> {
        let now = self.clock.now();
        let (write, unlocked) = self.write()?;
        let changes = SyncChanges {
            state: change,
            ..SyncChanges::default()
        };
        apply(&write, &unlocked.key, &changes, now)?;
        write.commit(&unlocked.key)
    }

    /// Reads the vault for a sync, changing nothing: picks up what other
    /// processes committed ([`refresh`](Self::refresh)), then hands `read`
    /// the entries, servers, sync state and merge states of one commit.
    pub fn sync_read<T, E: From<VaultError>>(
        &mut self,
        read: impl FnOnce(SyncView<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.refresh()?;
        let now = self.clock.now();
        let unlocked = self.unlocked.as_ref().ok_or(VaultError::Locked)?;
        let tx = self.conn.transaction().map_err(VaultError::from)?;
        let view = view_of(&tx, unlocked, now)?;
        let result = read(view);
        drop(tx);
        result
    }

    /// One sync transaction: begins a write (which refuses a file whose
    /// key or rows changed behind this handle, as every write does), brings
    /// the cache up to what other processes committed, hands `merge` the
    /// vault as it is, and writes the [`SyncChanges`] it returns, all or
    /// nothing. Holding the write lock while `merge` runs means no other
    /// process changes the vault in between, so nothing another window
    /// wrote is overwritten by a merge that never saw it.
    ///
    /// `InvalidAccount` if an account put does not validate (nothing is
    /// written); `NotFound` if a backup code names an account that is not
    /// there after the change.
    pub fn sync_write<T, E: From<VaultError>>(
        &mut self,
        merge: impl FnOnce(SyncView<'_>) -> Result<(SyncChanges, T), E>,
    ) -> Result<T, E> {
        let now = self.clock.now();
        let unlocked = self.unlocked.as_mut().ok_or(VaultError::Locked)?;
        let write = rekey::begin_write(
            &mut self.conn,
            &mut self.header,
            &unlocked.key,
            self.data_version,
        )?;
        let version = db::data_version(&write)?;
        if version != self.data_version {
            reload(&write, unlocked)?;
        }
        let (changes, result) = merge(view_of(&write, unlocked, now)?)?;
        apply(&write, &unlocked.key, &changes, now)?;
        if changes.touches_entries() {
            reload_changed(&write, unlocked, &changes)?;
        }
        write.commit(&unlocked.key)?;
        self.data_version = version;
        Ok(result)
    }
}

/// The view of the vault a sync gets: the cache and the sync tables as
/// `conn` sees them.
fn view_of<'a>(conn: &Connection, unlocked: &'a Unlocked, now: Timestamp) -> Result<SyncView<'a>> {
    Ok(SyncView {
        entries: &unlocked.entries,
        servers: &unlocked.servers,
        state: read_state(conn, &unlocked.key)?,
        rows: read_rows(conn, &unlocked.key)?,
        removed: read_removed(conn)?,
        now,
    })
}

/// Reads the accounts `changes` wrote or removed (and their backup codes)
/// and every server again into the cache, in `conn`'s snapshot; the other
/// entries are as they were.
fn reload_changed(conn: &Connection, unlocked: &mut Unlocked, changes: &SyncChanges) -> Result<()> {
    let mut affected: std::collections::HashSet<Uuid> = std::collections::HashSet::new();
    for change in &changes.accounts {
        affected.insert(match change {
            RowChange::Put(put) => put.id,
            RowChange::Remove(id) => *id,
        });
    }
    for change in &changes.codes {
        match change {
            RowChange::Put(put) => {
                affected.insert(put.account_id);
            }
            RowChange::Remove(code) => {
                let owner = unlocked
                    .entries
                    .iter()
                    .find(|e| e.backup_codes.iter().any(|c| c.id == *code));
                affected.extend(owner.map(|e| e.id));
            }
        }
    }
    let fresh = load_entries_of(conn, &unlocked.key, |id| affected.contains(id))?;
    unlocked.entries.retain(|e| !affected.contains(&e.id));
    unlocked.entries.extend(fresh);
    unlocked.entries.sort_by(|a, b| {
        a.position
            .cmp(&b.position)
            .then(a.id.as_bytes().cmp(b.id.as_bytes()))
    });
    let servers = load_servers(conn, &unlocked.key)?;
    for server in &mut unlocked.servers {
        server.wipe();
    }
    unlocked.servers = servers;
    Ok(())
}

/// Reads every entry and server again into the cache, in `conn`'s snapshot.
fn reload(conn: &Connection, unlocked: &mut Unlocked) -> Result<()> {
    let entries = load_entries(conn, &unlocked.key)?;
    let servers = load_servers(conn, &unlocked.key)?;
    for entry in &mut unlocked.entries {
        entry.wipe();
    }
    for server in &mut unlocked.servers {
        server.wipe();
    }
    unlocked.entries = entries;
    unlocked.servers = servers;
    Ok(())
}

fn apply(
    conn: &Connection,
    key: &EnvelopeKey,
    changes: &SyncChanges,
    now: Timestamp,
) -> Result<()> {
    let now = db_time(now);
    let accounts = sealed_puts(&changes.accounts, |put| {
        put.account.validate()?;
        let id = put.id.hyphenated().to_string();
        let sealed = repo::seal_account(key, &id, &put.account, &put.details)?;
        Ok((id, sealed))
    })?;
    for SealedPut { put, id, sealed } in accounts {
        conn.prepare_cached(
            "INSERT INTO accounts (id, position, created_at, updated_at, last_used_at, payload)
             VALUES (?1, ?2, ?3, ?4, NULL, ?5)
             ON CONFLICT (id) DO UPDATE SET position = ?2, created_at = ?3, updated_at = ?4,
                                            payload = ?5",
        )?
        .execute(params![
            id,
            put.position,
            db_time(put.created_at),
            now,
            sealed
        ])?;
    }
    let codes = sealed_puts(&changes.codes, |put| {
        let id = put.id.hyphenated().to_string();
        let account = put.account_id.hyphenated().to_string();
        let sealed = repo::seal_backup_code(key, &id, &account, &put.code, put.used_at)?;
        Ok((id, sealed))
    })?;
    for SealedPut { put, id, sealed } in codes {
        let account = put.account_id.hyphenated().to_string();
        conn.prepare_cached(
            "INSERT INTO backup_codes (id, account_id, position, created_at, payload)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET account_id = ?2, position = ?3, created_at = ?4,
                                            payload = ?5",
        )?
        .execute(params![
            id,
            account,
            put.position,
            db_time(put.created_at),
            sealed
        ])
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => VaultError::NotFound {
                what: "account",
                id: account.clone(),
            },
            _ => VaultError::Database(e),
        })?;
    }
    let servers = sealed_puts(&changes.servers, |put| {
        let id = put.id.hyphenated().to_string();
        let sealed = servers::seal_server(key, &id, put.payload.expose())?;
        Ok((id, sealed))
    })?;
    for SealedPut { put, id, sealed } in servers {
        conn.prepare_cached(
            "INSERT INTO servers (id, position, created_at, updated_at, payload)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET position = ?2, created_at = ?3, updated_at = ?4,
                                            payload = ?5",
        )?
        .execute(params![
            id,
            put.position,
            db_time(put.created_at),
            now,
            sealed
        ])?;
    }
    remove_all(conn, "backup_codes", &changes.codes)?;
    remove_all(conn, "accounts", &changes.accounts)?;
    remove_all(conn, "servers", &changes.servers)?;
    apply_sync_tables(conn, key, changes)
}

/// The merge states and the sync state of `changes`.
fn apply_sync_tables(conn: &Connection, key: &EnvelopeKey, changes: &SyncChanges) -> Result<()> {
    let rows = sealed_puts(&changes.rows, |row| {
        let id = row.id.hyphenated().to_string();
        let sealed =
            envelope::seal(key, row.payload.expose(), &entity_ad(&id)).map_err(map_seal)?;
        Ok((id, sealed))
    })?;
    for SealedPut { id, sealed, .. } in rows {
        conn.prepare_cached(
            "INSERT INTO sync_entities (id, payload) VALUES (?1, ?2)
             ON CONFLICT (id) DO UPDATE SET payload = ?2",
        )?
        .execute(params![id, sealed])?;
    }
    for change in &changes.rows {
        if let RowChange::Remove(id) = change {
            conn.prepare_cached("DELETE FROM sync_entities WHERE id = ?1")?
                .execute(params![id.hyphenated().to_string()])?;
        }
    }
    match &changes.state {
        StateChange::Keep => {}
        StateChange::Put(state) => {
            let sealed = envelope::seal(key, state.expose(), &state_ad()).map_err(map_seal)?;
            conn.prepare_cached(
                "INSERT INTO sync_state (id, payload) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET payload = ?1",
            )?
            .execute(params![sealed])?;
        }
        StateChange::Remove => {
            conn.execute("DELETE FROM sync_state", [])?;
            conn.execute("DELETE FROM sync_removed", [])?;
        }
    }
    if changes.clear_removed {
        conn.execute("DELETE FROM sync_removed", [])?;
    }
    Ok(())
}

/// A row to write, with its id and sealed payload.
struct SealedPut<'a, T> {
    put: &'a T,
    id: String,
    sealed: Vec<u8>,
}

/// The puts of `changes`, each with the id and sealed payload `seal`
/// makes of it, sealed on all cores and returned in order.
fn sealed_puts<T: Sync>(
    changes: &[RowChange<T>],
    seal: impl Fn(&T) -> Result<(String, Vec<u8>)> + Sync,
) -> Result<Vec<SealedPut<'_, T>>> {
    changes
        .par_iter()
        .filter_map(|change| match change {
            RowChange::Put(put) => Some(put),
            RowChange::Remove(_) => None,
        })
        .map(|put| seal(put).map(|(id, sealed)| SealedPut { put, id, sealed }))
        .collect()
}

fn remove_all<T>(conn: &Connection, table: &str, changes: &[RowChange<T>]) -> Result<()> {
    let mut stmt = conn.prepare(&format!("DELETE FROM {table} WHERE id = ?1"))?;
    for change in changes {
        if let RowChange::Remove(id) = change {
            stmt.execute(params![id.hyphenated().to_string()])?;
        }
    }
    Ok(())
}
