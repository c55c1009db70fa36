//! Schema migrations: forward-only steps keyed by `PRAGMA user_version`
//! (`docs/vault-format.md` §8).
//!
//! Owns: the SQL of every schema version, and moving a file from any older
//! version to [`CURRENT`] in one transaction.
//!
//! Must never: edit a step that has shipped (files in the wild were made
//! by it; add a new step instead), go backwards, or run on a file whose
//! version is newer than [`CURRENT`].

use rusqlite::Connection;

use super::error::{Result, VaultError};

/// The schema version this code writes.
pub const CURRENT: u32 = 4;

/// `PRAGMA application_id` of every vault: ASCII `TESS`.
pub const APPLICATION_ID: i64 = 0x5445_5353;

/// Step `i` moves a file from version `i` to `i + 1`.
const STEPS: [&str; CURRENT as usize] = [
    // 0 → 1: the first schema.
    "PRAGMA application_id = 1413829459;
     CREATE TABLE header (
         id             INTEGER PRIMARY KEY CHECK (id = 1),
         format_version INTEGER NOT NULL,
         vault_id       TEXT    NOT NULL,
         created_at     INTEGER NOT NULL,
         header_check   BLOB    NOT NULL
     ) STRICT;
     CREATE TABLE slots (
         id              TEXT    PRIMARY KEY,
         kind            TEXT    NOT NULL CHECK (kind IN ('password', 'keyring')),
         created_at      INTEGER NOT NULL,
         kdf             TEXT,
         kdf_m_kib       INTEGER,
         kdf_t           INTEGER,
         kdf_p           INTEGER,
         kdf_salt        BLOB,
         keyring_service TEXT,
         keyring_user    TEXT,
         wrapped_key     BLOB    NOT NULL
     ) STRICT;
     CREATE TABLE accounts (
         id         TEXT    PRIMARY KEY,
         position   INTEGER NOT NULL,
         created_at INTEGER NOT NULL,
         updated_at INTEGER NOT NULL,
         payload    BLOB    NOT NULL
     ) STRICT;
     CREATE INDEX accounts_by_position ON accounts (position, id);",
    // 1 → 2: last-used time and backup codes.
    "ALTER TABLE accounts ADD COLUMN last_used_at INTEGER;
     CREATE TABLE backup_codes (
         id         TEXT    PRIMARY KEY,
         account_id TEXT    NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
         position   INTEGER NOT NULL,
         created_at INTEGER NOT NULL,
         payload    BLOB    NOT NULL
     ) STRICT;
     CREATE INDEX backup_codes_by_account ON backup_codes (account_id, position, id);",
    // 2 → 3: servers (settings and credentials, one sealed payload each).
    "CREATE TABLE servers (
         id         TEXT    PRIMARY KEY,
         position   INTEGER NOT NULL,
         created_at INTEGER NOT NULL,
         updated_at INTEGER NOT NULL,
         payload    BLOB    NOT NULL
     ) STRICT;
     CREATE INDEX servers_by_position ON servers (position, id);",
    // 3 → 4: sync (docs/sync-format.md): the device's sync state and the
    // merge state of every synced entry, each one sealed payload, and when
    // entries were removed since the last sync.
    "CREATE TABLE sync_state (
         id      INTEGER PRIMARY KEY CHECK (id = 1),
         payload BLOB    NOT NULL
     ) STRICT;
     CREATE TABLE sync_entities (
         id      TEXT PRIMARY KEY,
         payload BLOB NOT NULL
     ) STRICT;
     CREATE TABLE sync_removed (
         id         TEXT    PRIMARY KEY,
         removed_at INTEGER NOT NULL
     ) STRICT;",
];

/// The file's schema version.
pub fn schema_version(conn: &Connection) -> Result<u32> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
    // user_version is a 32-bit signed integer; a negative one is not ours.
    u32::try_from(version).map_err(|_| VaultError::NewerFormat {
        found: u32::MAX,
        supported: CURRENT,
    })
}

/// `NewerFormat` if the file is newer than this code.
pub fn check_not_newer(found: u32) -> Result<()> {
    if found > CURRENT {
        return Err(VaultError::NewerFormat {
            found,
            supported: CURRENT,
        });
    }
    Ok(())
}

/// Moves the file from its version to [`CURRENT`] in one transaction;
/// returns the version it had. Nothing happens if it is current already.
pub fn migrate(conn: &mut Connection) -> Result<u32> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let from = schema_version(&tx)?;
    check_not_newer(from)?;
    if from == CURRENT {
        return Ok(from);
    }
    for step in &STEPS[from as usize..] {
        tx.execute_batch(step)?;
    }
    tx.pragma_update(None, "user_version", CURRENT)?;
    tx.commit()?;
    Ok(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_database_reaches_current_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), 0);
        assert_eq!(schema_version(&conn).unwrap(), CURRENT);
        let app: i64 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(app, APPLICATION_ID);
        assert_eq!(migrate(&mut conn).unwrap(), CURRENT);
    }

    #[test]
    fn newer_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", CURRENT + 1)
            .unwrap();
        assert!(matches!(
            migrate(&mut conn),
            Err(VaultError::NewerFormat { found, supported: CURRENT }) if found == CURRENT + 1
        ));
    }
}
