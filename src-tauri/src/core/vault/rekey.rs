//! Changing the password rotates the vault key: a new random key, every
//! sealed row (accounts, backup codes, servers, sync state) opened under the old key and
//! sealed again under the new one, the slots made anew and the header check
//! re-sealed, all in one transaction (`docs/vault-format.md` §7.1). An old copy
//! of the file with the old password then opens only what it held itself.
//!
//! Also [`begin_write`] and [`VaultWrite`]: every write transaction first
//! checks that the handle's key is still the file's, so that a handle
//! unlocked before another process rotated the key never writes a row
//! nobody could read, and ends by sealing the row manifest.
//!
//! Must never: commit part of a rotation, keep the old key after the
//! handle switched to the new one, or write under a retired key.

use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::db;
use super::envelope::{self, AssociatedData, EnvelopeKey};
use super::error::{Result, VaultError};
use super::manifest;
use super::repo::{ACCOUNTS, BACKUP_CODES, account_ad, backup_code_ad};
use super::servers::{SERVERS, server_ad};
use super::slots::{Header, map_seal};
use super::sync_rows::{SYNC_ENTITIES, SYNC_STATE, entity_ad, state_ad};
use super::{Unlocked, Vault};

/// A write transaction on the vault, begun by [`begin_write`] and ended by
/// [`VaultWrite::commit`], which seals the row manifest of what it wrote.
/// Dropped without a commit, it rolls back.
pub(super) struct VaultWrite<'c> {
    tx: Transaction<'c>,
    /// The handle's header, whose check [`VaultWrite::commit`] renews.
    header: &'c mut Header,
}

impl<'c> std::ops::Deref for VaultWrite<'c> {
    type Target = Transaction<'c>;

    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl VaultWrite<'_> {
    /// Seals the digest of the rows as they now are into the header check,
    /// commits, and keeps the new check in the handle's header.
    pub(super) fn commit(self, key: &EnvelopeKey) -> Result<()> {
        let mut header = db::read_header(&self.tx)?;
        let slots = db::read_slots(&self.tx)?;
        header.seal_check(key, &slots, manifest::digest(&self.tx)?)?;
        db::update_header_check(&self.tx, &header)?;
        self.tx.commit()?;
        self.header.check = header.check;
        Ok(())
    }
}

/// Begins an immediate write transaction on `conn` after
/// [`check_unchanged`]; nothing is written if that fails.
pub(super) fn begin_write<'c>(
    conn: &'c mut Connection,
    header: &'c mut Header,
    key: &EnvelopeKey,
    known_version: i64,
) -> Result<VaultWrite<'c>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    check_unchanged(&tx, header, key, known_version)?;
    Ok(VaultWrite { tx, header })
}

impl Vault {
    /// Begins a write on this handle ([`begin_write`]) and lends its
    /// unlocked state beside it. `Locked` when the handle is locked.
    pub(super) fn write(&mut self) -> Result<(VaultWrite<'_>, &mut Unlocked)> {
        let unlocked = self.unlocked.as_mut().ok_or(VaultError::Locked)?;
        let tx = begin_write(
            &mut self.conn,
            &mut self.header,
            &unlocked.key,
            self.data_version,
        )?;
        Ok((tx, unlocked))
    }
}

/// Checks, in `tx`, that `key` still opens the file's header check
/// (`KeyChanged` if another process changed the password, and so the key,
/// since this handle was unlocked) and that the rows are the ones it seals
/// (`RowsChanged`), so that a write never seals a manifest over rows
/// something else removed or put back. Skipped when the file holds the
/// handle's own header check and no other connection committed since the
/// handle read it (`known_version`, `PRAGMA data_version`).
pub(super) fn check_unchanged(
    tx: &Transaction<'_>,
    header: &Header,
    key: &EnvelopeKey,
    known_version: i64,
) -> Result<()> {
    let current = db::read_header(tx)?;
    if current.check == header.check && db::data_version(tx)? == known_version {
        return Ok(());
    }
    let slots = db::read_slots(tx)?;
    let sealed = current
        .verify_check(key, &slots)
        .map_err(|_| VaultError::KeyChanged)?;
    manifest::verify(tx, sealed)
}

/// Seals every row of the vault again under `new`, in `tx`. A row that
/// does not open under `old` stops the rotation as `Corrupt` (the caller
/// rolls back). Returns how many rows were sealed again.
pub(super) fn reseal_rows(
    tx: &Transaction<'_>,
    old: &EnvelopeKey,
    new: &EnvelopeKey,
) -> Result<usize> {
    let accounts = reseal_table(tx, ACCOUNTS, "NULL", old, new, |id, _| account_ad(id))?;
    let codes = reseal_table(tx, BACKUP_CODES, "account_id", old, new, |id, account| {
        backup_code_ad(id, account)
    })?;
    let servers = reseal_table(tx, SERVERS, "NULL", old, new, |id, _| server_ad(id))?;
    let state = reseal_table(tx, SYNC_STATE, "NULL", old, new, |_, _| state_ad())?;
    let entities = reseal_table(tx, SYNC_ENTITIES, "NULL", old, new, |id, _| entity_ad(id))?;
    Ok(accounts + codes + servers + state + entities)
}

/// Seals every `payload` of `table` again; `ad` gets the row's id and the
/// value of column `bound` (the other column its associated data names).
fn reseal_table(
    tx: &Transaction<'_>,
    table: &'static str,
    bound: &str,
    old: &EnvelopeKey,
    new: &EnvelopeKey,
    ad: impl Fn(&str, &str) -> AssociatedData,
) -> Result<usize> {
    let rows: Vec<(String, Option<String>, Vec<u8>)> = {
        let mut stmt = tx.prepare(&format!(
            "SELECT CAST(id AS TEXT), {bound}, payload FROM {table}"
        ))?;
        stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<rusqlite::Result<_>>()
            .map_err(|_| VaultError::corrupt(table, "(unreadable row)"))?
    };
    let mut update = tx.prepare(&format!("UPDATE {table} SET payload = ?2 WHERE id = ?1"))?;
    for (id, bound, sealed) in &rows {
        let ad = ad(id, bound.as_deref().unwrap_or_default());
        let plain = envelope::open(old, sealed, &ad).map_err(|_| VaultError::corrupt(table, id))?;
        let again = envelope::seal(new, &plain, &ad).map_err(map_seal)?;
        update.execute(params![id, again])?;
    }
    Ok(rows.len())
}
