//! `SQLite` access for the vault file: opening and configuring a connection
//! (WAL, full sync, foreign keys, secure delete), and reading and writing
//! the header and slot rows with every column validated.
//!
//! Owns: the SQL for `header` and `slots`, and the rules for what a valid
//! row looks like (canonical ids, NULLs in the other kind's columns, KDF
//! bounds, envelope layout).
//!
//! Must never: decrypt anything, hold a key, or change the file outside a
//! transaction.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Row, Transaction, params};
use uuid::Uuid;

use super::envelope::{self, FORMAT_VERSION};
use super::error::{Result, VaultError};
use super::kdf::{KDF_NAME, KdfParams, SALT_LEN_RANGE};
use super::migrations::{self, APPLICATION_ID};
use super::slots::{Header, Slot, SlotParams};

/// How long a write waits for another process (the CLI beside the GUI)
/// to finish its transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens an existing vault file (`create == false`) or a new empty one,
/// and applies the per-connection settings. The page cache may grow to
/// 32 MiB (`SQLite`'s default is 2 MiB): a vault of 10,000 synced accounts
/// is about that size, and each write reads all of it again for the row
/// manifest.
pub fn connect(path: &Path, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags).map_err(|e| not_a_vault(e, path))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = FULL;
         PRAGMA secure_delete = ON;
         PRAGMA cache_size = -32768;",
    )
    .map_err(|e| not_a_vault(e, path))?;
    Ok(conn)
}

/// Switches the file to WAL (persistent in the file).
pub fn enable_wal(conn: &Connection) -> Result<()> {
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(VaultError::invalid(format!(
            "could not switch the vault to WAL (got {mode})"
        )));
    }
    Ok(())
}

/// `NotAVault` for `SQLite`'s "file is not a database", the error otherwise.
pub fn not_a_vault(err: rusqlite::Error, path: &Path) -> VaultError {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => VaultError::NotAVault {
            path: path.to_owned(),
        },
        _ => VaultError::Database(err),
    }
}

/// Checks that the file is a Tessera vault this code can read; returns its
/// schema version.
pub fn check_identity(conn: &Connection, path: &Path) -> Result<u32> {
    let app: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|e| not_a_vault(e, path))?;
    let version = migrations::schema_version(conn)?;
    if app != APPLICATION_ID || version == 0 {
        return Err(VaultError::NotAVault {
            path: path.to_owned(),
        });
    }
    migrations::check_not_newer(version)?;
    Ok(version)
}

/// A canonical id (lowercase hyphenated UUID), or `None`.
pub fn parse_id(text: &str) -> Option<Uuid> {
    let id = Uuid::try_parse(text).ok()?;
    (id.hyphenated().to_string() == text).then_some(id)
}

fn col<T: rusqlite::types::FromSql>(
    row: &Row<'_>,
    idx: usize,
    table: &'static str,
    id: &str,
) -> Result<T> {
    row.get(idx).map_err(|_| VaultError::corrupt(table, id))
}

/// `PRAGMA data_version`: changes when another connection commits.
pub fn data_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "data_version", |r| r.get(0))?)
}

/// Reads the header row.
pub fn read_header(conn: &Connection) -> Result<Header> {
    const T: &str = "header";
    let mut stmt =
        conn.prepare("SELECT id, format_version, vault_id, created_at, header_check FROM header")?;
    let mut rows = stmt.query([])?;
    let Some(row) = rows.next()? else {
        return Err(VaultError::corrupt(T, "1"));
    };
    let id: i64 = col(row, 0, T, "1")?;
    let id_text = id.to_string();
    let version: i64 = col(row, 1, T, &id_text)?;
    if version > i64::from(FORMAT_VERSION) {
        return Err(VaultError::NewerFormat {
            found: u32::try_from(version).unwrap_or(u32::MAX),
            supported: u32::from(FORMAT_VERSION),
        });
    }
    if id != 1 || version != i64::from(FORMAT_VERSION) {
        return Err(VaultError::corrupt(T, id_text));
    }
    let vault_id: String = col(row, 2, T, &id_text)?;
    let created_at: i64 = col(row, 3, T, &id_text)?;
    let header_check: Vec<u8> = col(row, 4, T, &id_text)?;
    if parse_id(&vault_id).is_none()
        || created_at < 0
        || envelope::check_layout(&header_check).is_err()
    {
        return Err(VaultError::corrupt(T, id_text));
    }
    if rows.next()?.is_some() {
        return Err(VaultError::corrupt(T, id_text));
    }
    Ok(Header {
        format_version: FORMAT_VERSION,
        vault_id,
        created_at,
        check: header_check,
    })
}

/// Reads and validates every slot: exactly one password slot, at most one
/// keyring slot.
pub fn read_slots(conn: &Connection) -> Result<Vec<Slot>> {
    const T: &str = "slots";
    let mut stmt = conn.prepare(
        "SELECT id, kind, created_at, kdf, kdf_m_kib, kdf_t, kdf_p, kdf_salt,
                keyring_service, keyring_user, wrapped_key
         FROM slots ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut slots = Vec::new();
    while let Some(row) = rows.next()? {
        let id: String = row
            .get::<_, String>(0)
            .map_err(|_| VaultError::corrupt(T, "(unreadable id)"))?;
        if parse_id(&id).is_none() {
            return Err(VaultError::corrupt(T, id));
        }
        let kind: String = col(row, 1, T, &id)?;
        let created_at: i64 = col(row, 2, T, &id)?;
        let kdf: Option<String> = col(row, 3, T, &id)?;
        let m: Option<i64> = col(row, 4, T, &id)?;
        let t: Option<i64> = col(row, 5, T, &id)?;
        let p: Option<i64> = col(row, 6, T, &id)?;
        let salt: Option<Vec<u8>> = col(row, 7, T, &id)?;
        let service: Option<String> = col(row, 8, T, &id)?;
        let user: Option<String> = col(row, 9, T, &id)?;
        let wrapped_key: Vec<u8> = col(row, 10, T, &id)?;
        let params = match kind.as_str() {
            "password" => match (kdf, m, t, p, salt, service, user) {
                (Some(kdf), Some(m), Some(t), Some(p), Some(salt), None, None)
                    if kdf == KDF_NAME && SALT_LEN_RANGE.contains(&salt.len()) =>
                {
                    let (Ok(m_kib), Ok(t), Ok(p)) =
                        (u32::try_from(m), u32::try_from(t), u32::try_from(p))
                    else {
                        return Err(VaultError::corrupt(T, id));
                    };
                    let kdf = KdfParams { m_kib, t, p };
                    if !kdf.is_readable() {
                        return Err(VaultError::corrupt(T, id));
                    }
                    SlotParams::Password { kdf, salt }
                }
                _ => return Err(VaultError::corrupt(T, id)),
            },
            "keyring" => match (kdf, m, t, p, salt, service, user) {
                (None, None, None, None, None, Some(service), Some(user))
                    if !service.is_empty() && !user.is_empty() =>
                {
                    SlotParams::Keyring { service, user }
                }
                _ => return Err(VaultError::corrupt(T, id)),
            },
            _ => return Err(VaultError::corrupt(T, id)),
        };
        if created_at < 0 || envelope::check_layout(&wrapped_key).is_err() {
            return Err(VaultError::corrupt(T, id));
        }
        slots.push(Slot {
            id,
            created_at,
            params,
            wrapped_key,
        });
    }
    let passwords = slots.iter().filter(|s| s.is_password()).count();
    let keyrings = slots.iter().filter(|s| s.is_keyring()).count();
    if passwords != 1 || keyrings > 1 {
        let id = slots
            .first()
            .map_or_else(|| "(none)".to_owned(), |s| s.id.clone());
        return Err(VaultError::corrupt(T, id));
    }
    Ok(slots)
}

/// Inserts the header row.
pub fn insert_header(tx: &Transaction<'_>, header: &Header) -> Result<()> {
    tx.execute(
        "INSERT INTO header (id, format_version, vault_id, created_at, header_check)
         VALUES (1, ?1, ?2, ?3, ?4)",
        params![
            header.format_version,
            header.vault_id,
            header.created_at,
            header.check
        ],
    )?;
    Ok(())
}

/// Rewrites the header check.
pub fn update_header_check(tx: &Transaction<'_>, header: &Header) -> Result<()> {
    let changed = tx.execute(
        "UPDATE header SET header_check = ?1 WHERE id = 1",
        params![header.check],
    )?;
    if changed != 1 {
        return Err(VaultError::corrupt("header", "1"));
    }
    Ok(())
}

/// Inserts one slot row.
pub fn insert_slot(tx: &Transaction<'_>, slot: &Slot) -> Result<()> {
    let (kdf, m, t, p, salt, service, user) = match &slot.params {
        SlotParams::Password { kdf, salt } => (
            Some(KDF_NAME),
            Some(kdf.m_kib),
            Some(kdf.t),
            Some(kdf.p),
            Some(salt.as_slice()),
            None,
            None,
        ),
        SlotParams::Keyring { service, user } => (
            None,
            None,
            None,
            None,
            None,
            Some(service.as_str()),
            Some(user.as_str()),
        ),
    };
    tx.execute(
        "INSERT INTO slots (id, kind, created_at, kdf, kdf_m_kib, kdf_t, kdf_p, kdf_salt,
                            keyring_service, keyring_user, wrapped_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            slot.id,
            slot.params.kind(),
            slot.created_at,
            kdf,
            m,
            t,
            p,
            salt,
            service,
            user,
            slot.wrapped_key
        ],
    )?;
    Ok(())
}

/// Deletes one slot row.
pub fn delete_slot(tx: &Transaction<'_>, id: &str) -> Result<()> {
    tx.execute("DELETE FROM slots WHERE id = ?1", params![id])?;
    Ok(())
}
