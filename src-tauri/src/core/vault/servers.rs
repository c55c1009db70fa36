//! Servers: the encrypted `servers` rows (schema 3) and the operations of
//! an unlocked [`Vault`] on them. The vault keeps each server as an opaque
//! payload (the server module decides what is inside, see
//! `docs/vault-format.md` §6.3); it only seals, stores and opens it.
//!
//! Owns: the SQL of `servers`, its associated data
//! (`docs/vault-format.md` §5.1), [`ServerEntry`], and keeping the cached
//! entries equal to what was committed.
//!
//! Must never: look inside a payload, change the cache before the
//! transaction has committed, write a row without a fresh nonce, or return
//! data from a row that failed to authenticate.

use rusqlite::{Connection, params};
use uuid::Uuid;
use zeroize::Zeroize;

use super::Vault;
use super::db::parse_id;
use super::envelope::{self, AssociatedData, EnvelopeKey, FORMAT_VERSION};
use super::error::{Result, VaultError};
use super::repo::{db_time, timestamp};
use super::slots::map_seal;
use crate::core::clock::Timestamp;
use crate::core::secret::SecretBytes;

pub(super) const SERVERS: &str = "servers";

/// One stored server, decrypted: an opaque payload (`Debug` prints
/// `<redacted>`) and the clear-text row data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEntry {
    pub id: Uuid,
    /// What the caller stored, byte for byte.
    pub payload: SecretBytes,
    /// Order of the rows (ascending); new servers go last.
    pub position: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl ServerEntry {
    /// Overwrites the payload with zeros and empties it.
    pub(crate) fn wipe(&mut self) {
        self.payload.zeroize();
    }
}

pub(super) fn server_ad(id: &str) -> AssociatedData {
    AssociatedData::new("tessera-vault-entry")
        .u8(FORMAT_VERSION)
        .text(SERVERS)
        .text(id)
}

pub(super) fn seal_server(key: &EnvelopeKey, id: &str, payload: &[u8]) -> Result<Vec<u8>> {
    envelope::seal(key, payload, &server_ad(id)).map_err(map_seal)
}

/// Decrypts every server row. The first row that fails is reported as
/// `Corrupt { table: "servers", id }` and nothing is returned.
pub(super) fn load_servers(conn: &Connection, key: &EnvelopeKey) -> Result<Vec<ServerEntry>> {
    let mut stmt = conn.prepare(
        "SELECT id, position, created_at, updated_at, payload
         FROM servers ORDER BY position, id",
    )?;
    let mut rows = stmt.query([])?;
    let mut servers = Vec::new();
    while let Some(row) = rows.next()? {
        let raw_id: String = row
            .get(0)
            .map_err(|_| VaultError::corrupt(SERVERS, "(unreadable id)"))?;
        let corrupt = || VaultError::corrupt(SERVERS, raw_id.as_str());
        let id = parse_id(&raw_id).ok_or_else(corrupt)?;
        let position: i64 = row.get(1).map_err(|_| corrupt())?;
        let created_at: i64 = row.get(2).map_err(|_| corrupt())?;
        let updated_at: i64 = row.get(3).map_err(|_| corrupt())?;
        let sealed = row
            .get_ref(4)
            .map_err(|_| corrupt())?
            .as_blob()
            .map_err(|_| corrupt())?;
        let mut plain = envelope::open(key, sealed, &server_ad(&raw_id)).map_err(|_| corrupt())?;
        servers.push(ServerEntry {
            id,
            payload: SecretBytes::new(std::mem::take(&mut *plain)),
            position,
            created_at: timestamp(created_at, SERVERS, &raw_id)?,
            updated_at: timestamp(updated_at, SERVERS, &raw_id)?,
        });
    }
    Ok(servers)
}

impl Vault {
    /// Every server, in order.
    ///
    /// `Locked` if the vault is locked.
    pub fn servers(&self) -> Result<&[ServerEntry]> {
        Ok(&self.unlocked()?.servers)
    }

    /// The server `id`.
    pub fn server(&self, id: Uuid) -> Result<&ServerEntry> {
        self.unlocked()?
            .servers
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| not_found_server(id))
    }

    /// Stores `payload` as server `id`: replaces the payload of an
    /// existing server (its position and creation time stay), or adds a
    /// new server at the end. The payload is sealed with a fresh nonce.
    pub fn put_server(&mut self, id: Uuid, payload: SecretBytes) -> Result<()> {
        let now = self.clock.now();
        let now_db = db_time(now);
        let (tx, unlocked) = self.write()?;
        let id_text = id.hyphenated().to_string();
        let sealed = seal_server(&unlocked.key, &id_text, payload.expose())?;

        let changed = tx.execute(
            "UPDATE servers SET payload = ?2, updated_at = ?3 WHERE id = ?1",
            params![id_text, sealed, now_db],
        )?;
        let mut position = None;
        if changed == 0 {
            let next: i64 = tx.query_row(
                "SELECT COALESCE(MAX(position) + 1, 0) FROM servers",
                [],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO servers (id, position, created_at, updated_at, payload)
                 VALUES (?1, ?2, ?3, ?3, ?4)",
                params![id_text, next, now_db, sealed],
            )?;
            position = Some(next);
        }
        tx.commit(&unlocked.key)?;
        if let Some(entry) = unlocked.servers.iter_mut().find(|s| s.id == id) {
            entry.wipe();
            entry.payload = payload;
            entry.updated_at = now;
            if let Some(position) = position {
                // Another process had removed it: it was added again.
                entry.position = position;
                entry.created_at = now;
            }
        } else {
            unlocked.servers.push(ServerEntry {
                id,
                payload,
                // A row another process added keeps its place in the
                // file; the cache shows it last until the next refresh.
                position: position.unwrap_or(i64::MAX),
                created_at: now,
                updated_at: now,
            });
        }
        Ok(())
    }

    /// Deletes server `id`.
    pub fn remove_server(&mut self, id: Uuid) -> Result<()> {
        let now = self.clock.now();
        let (tx, unlocked) = self.write()?;

        let changed = tx.execute(
            "DELETE FROM servers WHERE id = ?1",
            params![id.hyphenated().to_string()],
        )?;
        if changed != 1 {
            return Err(not_found_server(id));
        }
        super::sync_rows::note_removed(&tx, id, now)?;
        tx.commit(&unlocked.key)?;
        unlocked.servers.retain(|s| s.id != id);
        Ok(())
    }
}

fn not_found_server(id: Uuid) -> VaultError {
    VaultError::NotFound {
        what: "server",
        id: id.hyphenated().to_string(),
    }
}
