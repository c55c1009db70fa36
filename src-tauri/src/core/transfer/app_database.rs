//! `SQLite` files other than Tessera backups: the databases authenticator
//! apps keep on the phone (copied off a rooted device). Opens one from its
//! bytes, read-only and in memory (no temporary file), and tells which
//! app's it is by its tables and columns.
//!
//! Must never: write the database; run anything but reads of plain tables
//! (a view or trigger in a hostile file is never selected from); keep the
//! copy after the import.

use std::collections::HashSet;

use rusqlite::{Connection, OpenFlags};

use super::{Format, ImportError, Parsed};

/// The `SQLite` file header.
pub(crate) const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
/// `PRAGMA application_id` of a Tessera vault (`TESS`), at byte 68 of the
/// header.
const TESSERA_APPLICATION_ID: &[u8] = b"TESS";
const APPLICATION_ID_AT: usize = 68;
/// Bytes 18 and 19 of the header: 2 when the database was in WAL mode.
const WAL_VERSION_AT: [usize; 2] = [18, 19];

/// Whose database an `SQLite` file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Tessera's own vault (and so a backup).
    Tessera,
    /// Google Authenticator's `databases` (table `accounts` with `email`
    /// and `secret`).
    GoogleAuthenticator,
    /// Microsoft Authenticator's `PhoneFactor` (table `accounts` with
    /// `oath_secret_key`).
    MicrosoftAuthenticator,
    /// Authenticator Pro / Stratum's `authenticator.db3` (table
    /// `authenticator`).
    AuthenticatorPro,
    /// Any other database.
    Other,
}

pub(crate) fn is_sqlite(bytes: &[u8]) -> bool {
    bytes.starts_with(SQLITE_MAGIC)
}

/// Tessera vaults set `application_id`; no other app here does.
pub(crate) fn is_tessera(bytes: &[u8]) -> bool {
    bytes.get(APPLICATION_ID_AT..APPLICATION_ID_AT + 4) == Some(TESSERA_APPLICATION_ID)
}

/// Whether the file was copied while in WAL mode: changes still in its
/// `-wal` file beside it are not in these bytes.
fn was_in_wal_mode(bytes: &[u8]) -> bool {
    WAL_VERSION_AT.iter().any(|&at| bytes.get(at) == Some(&2))
}

/// An in-memory, read-only copy of the database in `bytes`.
/// `Malformed` (for `format`) when `SQLite` cannot read it.
pub(crate) fn open(format: Format, bytes: &[u8]) -> Result<Connection, ImportError> {
    if !is_sqlite(bytes) {
        return Err(ImportError::malformed(
            format,
            "byte 0",
            "not an SQLite database",
        ));
    }
    load(bytes).ok_or_else(|| {
        ImportError::malformed(
            format,
            "the database",
            "SQLite cannot read it (damaged or cut short)",
        )
    })
}

fn load(bytes: &[u8]) -> Option<Connection> {
    // A database copied in WAL mode says so in its header, and SQLite
    // would then look for a -wal file; the bytes alone are a legacy-mode
    // database as of the last checkpoint.
    let mut copy = zeroize::Zeroizing::new(bytes.to_vec());
    for at in WAL_VERSION_AT {
        if copy.get(at) == Some(&2) {
            copy[at] = 1;
        }
    }
    let mut connection = Connection::open_in_memory_with_flags(
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    connection
        .deserialize_read_exact(rusqlite::MAIN_DB, copy.as_slice(), copy.len(), true)
        .ok()?;
    connection
        .pragma_update(None, "trusted_schema", false)
        .ok()?;
    // Reading the schema is where a damaged file shows.
    tables(&connection).ok()?;
    Some(connection)
}

/// The names of the plain tables.
fn tables(connection: &Connection) -> rusqlite::Result<HashSet<String>> {
    let mut statement =
        connection.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'")?;
    let names = statement.query_map([], |row| row.get::<_, String>(0))?;
    names.collect()
}

/// The lower-cased column names of `table`, empty when there is no such
/// plain table.
pub(crate) fn columns(connection: &Connection, table: &str) -> HashSet<String> {
    let Ok(tables) = tables(connection) else {
        return HashSet::new();
    };
    if !tables.contains(table) {
        return HashSet::new();
    }
    let Ok(mut statement) = connection.prepare("SELECT name FROM pragma_table_info(?1)") else {
        return HashSet::new();
    };
    statement
        .query_map([table], |row| row.get::<_, String>(0))
        .map(|names| {
            names
                .filter_map(Result::ok)
                .map(|n| n.to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

/// Whose database the open `connection` is.
pub(crate) fn kind(connection: &Connection) -> Kind {
    let accounts = columns(connection, "accounts");
    if accounts.contains("oath_secret_key") {
        Kind::MicrosoftAuthenticator
    } else if accounts.contains("email") && accounts.contains("secret") {
        Kind::GoogleAuthenticator
    } else if columns(connection, "authenticator").contains("secret") {
        Kind::AuthenticatorPro
    } else {
        Kind::Other
    }
}

/// The kind of the `SQLite` file in `bytes`, `None` when it cannot be read.
pub(crate) fn kind_of(bytes: &[u8]) -> Option<Kind> {
    if is_tessera(bytes) {
        return Some(Kind::Tessera);
    }
    load(bytes).map(|c| kind(&c))
}

/// What to say about a database Tessera does not import from.
pub(crate) fn not_an_export(kind: Kind) -> ImportError {
    let what = match kind {
        Kind::AuthenticatorPro => {
            "this is Authenticator Pro's own database, which Tessera does not read: make a backup in the app (Settings › Backup) and import that"
        }
        _ => {
            "this is an SQLite database, but not a Tessera backup, nor Google or Microsoft Authenticator's database: export the accounts from the app it belongs to"
        }
    };
    ImportError::NotAnExport { what }
}

/// Every row of `table` (in row order) as `row` maps the `wanted`
/// columns, NULL for those the table lacks (older app versions add
/// columns over time). `Malformed` (for `format`) when a row cannot be
/// read.
pub(crate) fn rows<T>(
    connection: &Connection,
    format: Format,
    table: &str,
    wanted: &[&str],
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, ImportError> {
    let have = columns(connection, table);
    let list: Vec<String> = wanted
        .iter()
        .map(|column| {
            if have.contains(*column) {
                format!("\"{column}\"")
            } else {
                "NULL".to_owned()
            }
        })
        .collect();
    let query = format!("SELECT {} FROM \"{table}\" ORDER BY rowid", list.join(", "));
    let bad = || ImportError::malformed(format, format!("table {table}"), "a row cannot be read");
    let mut statement = connection.prepare(&query).map_err(|_| bad())?;
    let rows = statement.query_map([], row).map_err(|_| bad())?;
    rows.collect::<rusqlite::Result<Vec<T>>>()
        .map_err(|_| bad())
}

/// Says, when the file was copied in WAL mode, that changes in its
/// `NAME-wal` file beside it are missing.
pub(crate) fn report_wal(parsed: &mut Parsed, bytes: &[u8], name: &str) {
    if was_in_wal_mode(bytes) {
        parsed.push_loss(format!(
            "the database was copied while the app had changes in its “{name}-wal” file, which is not read: accounts added or changed last may be missing (close the app before copying, or copy that file too and open the database once with sqlite3)"
        ));
    }
}
