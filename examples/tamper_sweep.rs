//! Tamper detection of the vault: `cargo run --example tamper_sweep`
//! (`make tamper-sweep`).
//!
//! Builds a sample vault (one account, one backup code, one server, a
//! password and a keyring slot), then changes every byte of every
//! authenticated column of every row, slot and the header to each of its
//! 255 other values, one change at a time, and opens and unlocks the vault
//! with the right password after each. Every change must be refused with an
//! error; a successful unlock or a panic is a miss. Integers are changed
//! byte by byte in their 8-byte two's-complement form; the Argon2 cost
//! columns only with the masks 0x01, 0x80 and 0xff per byte, since most of
//! their other values are legal costs of up to 4 GiB and 100 passes that
//! the vault must run before it can tell the file was changed.
//!
//! Then the row operations an old copy of the file allows: every row of
//! the entry tables put back as it was before its last change, deleted,
//! and copied under a new id; each must be refused too.
//!
//! `--quick` uses the three masks for every byte. Prints the bytes and
//! changes tried per column and the detection rate; exits non-zero below
//! 100%.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rusqlite::types::Value;
use tessera::core::clock::FixedClock;
use tessera::core::otp::{Account, Algorithm, OtpKind};
use tessera::core::secret::{SecretBytes, SecretString};
use tessera::core::vault::{Details, EnvelopeKey, KdfParams, KeyStore, Vault, VaultError};

const PASSWORD: &str = "tamper sweep password";
const MASKS: [u8; 3] = [0x01, 0x80, 0xff];
/// Set while a changed vault is being unlocked: a panic there is counted
/// as a miss, not printed.
static PROBING: AtomicBool = AtomicBool::new(false);

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_unix_seconds(1_700_000_000))
}

/// A key store in memory, standing in for the OS keyring.
#[derive(Default)]
struct MemoryStore(Mutex<Vec<(String, String, Vec<u8>)>>);

impl KeyStore for MemoryStore {
    fn service(&self) -> &'static str {
        "tessera-tamper-sweep"
    }
    fn store(&self, service: &str, user: &str, key: &EnvelopeKey) -> Result<(), VaultError> {
        let mut items = self.0.lock().unwrap();
        items.retain(|(s, u, _)| !(s == service && u == user));
        items.push((service.into(), user.into(), key.expose().to_vec()));
        Ok(())
    }
    fn load(&self, service: &str, user: &str) -> Result<EnvelopeKey, VaultError> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .find(|(s, u, _)| s == service && u == user)
            .and_then(|(_, _, k)| EnvelopeKey::from_slice(k))
            .ok_or(VaultError::KeyringUnavailable {
                reason: "no item".into(),
            })
    }
    fn delete(&self, service: &str, user: &str) -> Result<(), VaultError> {
        self.0
            .lock()
            .unwrap()
            .retain(|(s, u, _)| !(s == service && u == user));
        Ok(())
    }
}

/// An entry row as it was before its last change: table, id and every
/// column.
type OldRow = (&'static str, String, Vec<Value>);

/// Every column of row `id` of `table`.
fn row_values(path: &Path, table: &str, id: &str) -> Vec<Value> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM {table} WHERE id = ?1"))
        .unwrap();
    let columns = stmt.column_count();
    stmt.query_row([id], |r| (0..columns).map(|i| r.get(i)).collect())
        .unwrap()
}

/// The sample vault: every kind of row once, each changed once after it
/// was written; returns each row as it was before that change.
fn sample(path: &Path) -> Vec<OldRow> {
    let mut vault = Vault::create(
        path,
        &SecretString::from(PASSWORD),
        KdfParams::new(64, 2, 1).unwrap(),
        clock(),
    )
    .unwrap();
    let id = vault
        .insert(
            Account {
                issuer: "Example".into(),
                name: "alice@example.com".into(),
                secret: SecretBytes::from(b"12345678901234567890".as_slice()),
                algorithm: Algorithm::Sha256,
                digits: 8,
                kind: OtpKind::Totp { period: 30 },
                extra_params: Vec::new(),
            },
            Details {
                tags: vec!["work".into()],
                favorite: true,
                note: "a note".into(),
                icon: None,
            },
        )
        .unwrap();
    let code = vault
        .add_backup_codes(id, vec![SecretString::from("abcd-efgh")])
        .unwrap()[0];
    let server = uuid::Uuid::new_v4();
    let server_payload = br#"{"name":"srv","password":"pw","token":"tok"}"#;
    vault
        .put_server(server, SecretBytes::new(server_payload.to_vec()))
        .unwrap();
    let old = vec![
        ("accounts", id.to_string()),
        ("backup_codes", code.to_string()),
        ("servers", server.to_string()),
    ]
    .into_iter()
    .map(|(table, id)| {
        let values = row_values(path, table, &id);
        (table, id, values)
    })
    .collect();
    vault.mark_used(id).unwrap();
    vault.mark_backup_code_used(id, code).unwrap();
    vault
        .put_server(server, SecretBytes::new(server_payload.to_vec()))
        .unwrap();
    vault.enable_keyring(&MemoryStore::default()).unwrap();
    old
}

/// How a column's bytes are changed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Changes {
    /// Each byte to each of its 255 other values.
    Every,
    /// Each byte xor 0x01, 0x80 and 0xff.
    Masks,
}

/// One swept column of one row.
struct Area {
    table: &'static str,
    column: &'static str,
    /// Finds the row.
    key_column: &'static str,
    key: Value,
    /// How the report names the row.
    row: String,
    changes: Changes,
}

/// What sweeping one area found.
#[derive(Default)]
struct Tally {
    bytes: usize,
    tried: usize,
    detected: usize,
    /// Changes the database refused to store (a UNIQUE clash).
    skipped: usize,
    missed: Vec<String>,
}

fn main() -> ExitCode {
    let quick = std::env::args().any(|a| a == "--quick");
    let started = Instant::now();
    let base = if Path::new("/dev/shm").is_dir() {
        tempfile::tempdir_in("/dev/shm")
    } else {
        tempfile::tempdir()
    }
    .unwrap();
    let path = base.path().join("sample.tessera");
    let old_rows = sample(&path);

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("PRAGMA ignore_check_constraints = ON; PRAGMA foreign_keys = OFF;")
        .unwrap();
    let areas = areas(&conn, quick);
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !PROBING.load(Ordering::Relaxed) {
            report(info);
        }
    }));

    let mut total = Tally::default();
    println!(
        "{:<32} {:>6} {:>8} {:>8} {:>8}",
        "row.column", "bytes", "changes", "detected", "skipped"
    );
    for area in &areas {
        let tally = sweep(&conn, &path, area);
        println!(
            "{:<32} {:>6} {:>8} {:>8} {:>8}",
            format!("{}.{}", area.row, area.column),
            tally.bytes,
            tally.tried,
            tally.detected,
            tally.skipped
        );
        for miss in &tally.missed {
            eprintln!(
                "tamper-sweep: MISSED {}.{}: {miss}",
                area.table, area.column
            );
        }
        total.bytes += tally.bytes;
        total.tried += tally.tried;
        total.detected += tally.detected;
        total.skipped += tally.skipped;
        total.missed.extend(tally.missed);
    }
    for (name, tally) in row_operations(&conn, &path, &old_rows) {
        println!(
            "{:<32} {:>6} {:>8} {:>8} {:>8}",
            name, "-", tally.tried, tally.detected, tally.skipped
        );
        for miss in &tally.missed {
            eprintln!("tamper-sweep: MISSED {name}: {miss}");
        }
        total.tried += tally.tried;
        total.detected += tally.detected;
        total.skipped += tally.skipped;
        total.missed.extend(tally.missed);
    }
    let restored = unlock(&path);
    let rate = if total.tried == 0 {
        0.0
    } else {
        100.0 * count_f64(total.detected) / count_f64(total.tried)
    };
    println!(
        "tamper-sweep: {} areas, {} bytes, {} changes tried, {} detected ({rate:.2}%), {} missed, {} skipped, {:.1} s{}",
        areas.len(),
        total.bytes,
        total.tried,
        total.detected,
        total.missed.len(),
        total.skipped,
        started.elapsed().as_secs_f64(),
        if quick {
            " (--quick: 3 masks per byte)"
        } else {
            ""
        }
    );
    if let Err(err) = restored {
        eprintln!("tamper-sweep: the restored vault does not open: {err}");
        return ExitCode::FAILURE;
    }
    if total.missed.is_empty() && total.tried > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[allow(clippy::cast_precision_loss, reason = "a count shown as a percentage")]
fn count_f64(n: usize) -> f64 {
    n as f64
}

/// Every authenticated column of every row: every column of the entry
/// tables (ids, foreign ids and payloads by their envelopes, positions and
/// times by the row manifest), every column of both slots and of the
/// header.
fn areas(conn: &rusqlite::Connection, quick: bool) -> Vec<Area> {
    let default = if quick {
        Changes::Masks
    } else {
        Changes::Every
    };
    let mut areas = Vec::new();
    let ids = |table: &str| -> Vec<String> {
        let mut stmt = conn
            .prepare(&format!("SELECT id FROM {table} ORDER BY id"))
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    for (table, columns) in [
        (
            "accounts",
            &[
                "payload",
                "id",
                "position",
                "created_at",
                "updated_at",
                "last_used_at",
            ][..],
        ),
        (
            "backup_codes",
            &["payload", "account_id", "id", "position", "created_at"][..],
        ),
        (
            "servers",
            &["payload", "id", "position", "created_at", "updated_at"][..],
        ),
        (
            "slots",
            &[
                "wrapped_key",
                "kdf_salt",
                "kdf",
                "kdf_m_kib",
                "kdf_t",
                "kdf_p",
                "keyring_service",
                "keyring_user",
                "created_at",
                "kind",
                "id",
            ][..],
        ),
    ] {
        for id in ids(table) {
            for &column in columns {
                let value: Value = conn
                    .query_row(
                        &format!("SELECT {column} FROM {table} WHERE id = ?1"),
                        [&id],
                        |r| r.get(0),
                    )
                    .unwrap();
                if value == Value::Null {
                    continue;
                }
                let cost = matches!(column, "kdf_m_kib" | "kdf_t" | "kdf_p");
                let row = if table == "slots" {
                    let kind: String = conn
                        .query_row("SELECT kind FROM slots WHERE id = ?1", [&id], |r| r.get(0))
                        .unwrap();
                    format!("slots[{kind}]")
                } else {
                    table.to_owned()
                };
                areas.push(Area {
                    table,
                    column,
                    key_column: "id",
                    key: Value::Text(id.clone()),
                    row,
                    changes: if cost { Changes::Masks } else { default },
                });
            }
        }
    }
    for column in ["header_check", "vault_id", "created_at", "format_version"] {
        areas.push(Area {
            table: "header",
            column,
            key_column: "id",
            key: Value::Integer(1),
            row: "header".into(),
            changes: default,
        });
    }
    areas
}

/// The bytes of a value and how to write changed bytes back as the same
/// type.
fn bytes_of(value: &Value) -> Vec<u8> {
    match value {
        Value::Blob(b) => b.clone(),
        Value::Text(t) => t.clone().into_bytes(),
        Value::Integer(n) => n.to_be_bytes().to_vec(),
        other => panic!("unexpected value {other:?}"),
    }
}

fn sweep(conn: &rusqlite::Connection, path: &Path, area: &Area) -> Tally {
    let (table, column, key_column) = (area.table, area.column, area.key_column);
    let original: Value = conn
        .query_row(
            &format!("SELECT {column} FROM {table} WHERE {key_column} = ?1"),
            [&area.key],
            |r| r.get(0),
        )
        .unwrap();
    let bytes = bytes_of(&original);
    // Text is written back from bytes, which may not be UTF-8.
    let param = |n: u8| match original {
        Value::Text(_) => format!("CAST(?{n} AS TEXT)"),
        _ => format!("?{n}"),
    };
    let store = param(1);
    let is_int = matches!(original, Value::Integer(_));
    let set = format!("UPDATE {table} SET {column} = {store} WHERE {key_column} = ?2");
    let mut tally = Tally {
        bytes: bytes.len(),
        ..Tally::default()
    };
    for i in 0..bytes.len() {
        let values: Vec<u8> = match area.changes {
            Changes::Every => (0..=255u8).filter(|v| *v != bytes[i]).collect(),
            Changes::Masks => MASKS.iter().map(|m| bytes[i] ^ m).collect(),
        };
        for value in values {
            let mut changed = bytes.clone();
            changed[i] = value;
            let new_value = if is_int {
                Value::Integer(i64::from_be_bytes(changed.try_into().unwrap()))
            } else {
                Value::Blob(changed)
            };
            match conn.execute(&set, rusqlite::params![new_value, area.key]) {
                Ok(1) => {}
                Ok(n) => panic!("{table}.{column}: {n} rows changed"),
                Err(_) => {
                    tally.skipped += 1;
                    continue;
                }
            }
            probe(path, &format!("byte {i} = {value:#04x}"), &mut tally);
            // Where the swept column is the row's key, the row is found by
            // its changed value.
            let (restore_key, restore_key_value) = if column == key_column {
                (param(2), &new_value)
            } else {
                ("?2".to_owned(), &area.key)
            };
            let restore =
                format!("UPDATE {table} SET {column} = ?1 WHERE {key_column} = {restore_key}");
            assert_eq!(
                conn.execute(&restore, rusqlite::params![original, restore_key_value])
                    .unwrap(),
                1,
                "{table}.{column}: restoring byte {i}"
            );
        }
    }
    if let Err(err) = unlock(path) {
        panic!("{table}.{column}: the restored vault does not unlock: {err}");
    }
    tally
}

/// Tries one change of whole rows: `Err` from `change` if the database
/// refused it (skipped), otherwise whether unlocking then failed; `undo`
/// puts the file back.
fn try_rows(
    conn: &rusqlite::Connection,
    path: &Path,
    what: &str,
    tally: &mut Tally,
    change: &str,
    undo: &str,
    params: &[&dyn rusqlite::ToSql],
) {
    if conn.execute(change, params).is_err() {
        tally.skipped += 1;
        return;
    }
    probe(path, what, tally);
    conn.execute_batch(undo).unwrap();
}

/// Unlocks the changed vault once: a refusal counts as detected, an unlock
/// or a panic as a miss named `what`.
fn probe(path: &Path, what: &str, tally: &mut Tally) {
    tally.tried += 1;
    PROBING.store(true, Ordering::Relaxed);
    let outcome = catch_unwind(AssertUnwindSafe(|| unlock(path)));
    PROBING.store(false, Ordering::Relaxed);
    match outcome {
        Ok(Err(_)) => tally.detected += 1,
        Ok(Ok(n)) => tally.missed.push(format!("{what}: unlocked, {n} accounts")),
        Err(_) => tally.missed.push(format!("{what}: panicked")),
    }
}

/// Rows put back from before their last change, deleted, and copied under
/// a new id, each in every entry table.
fn row_operations(
    conn: &rusqlite::Connection,
    path: &Path,
    old_rows: &[OldRow],
) -> Vec<(String, Tally)> {
    let mut results = Vec::new();
    for (table, id, old) in old_rows {
        let now = row_values(path, table, id);
        let marks = vec!["?"; now.len()].join(", ");
        let put = |values: &[Value]| {
            conn.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [id])
                .unwrap();
            conn.execute(
                &format!("INSERT INTO {table} VALUES ({marks})"),
                rusqlite::params_from_iter(values.iter()),
            )
            .unwrap();
        };
        let mut tally = Tally::default();
        // Put back as it was before its last change.
        conn.execute_batch("SAVEPOINT trial").unwrap();
        put(old);
        probe(path, "put back", &mut tally);
        conn.execute_batch("ROLLBACK TO trial; RELEASE trial")
            .unwrap();
        try_rows(
            conn,
            path,
            "deleted",
            &mut tally,
            &format!("DELETE FROM {table} WHERE id = ?1"),
            "",
            &[id],
        );
        put(&now);
        let copy = uuid::Uuid::new_v4().to_string();
        let columns = (1..now.len())
            .map(|i| format!("?{}", i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let mut params: Vec<&dyn rusqlite::ToSql> = vec![&copy];
        params.extend(now[1..].iter().map(|v| v as &dyn rusqlite::ToSql));
        try_rows(
            conn,
            path,
            "copied",
            &mut tally,
            &format!("INSERT INTO {table} VALUES (?1, {columns})"),
            &format!("DELETE FROM {table} WHERE id = '{copy}'"),
            &params,
        );
        results.push((format!("{table} row ops"), tally));
    }
    results
}

/// Opens and unlocks the vault with the right password and reads every
/// account, backup code and server; the number of accounts.
fn unlock(path: &Path) -> Result<usize, VaultError> {
    let mut vault = Vault::open(PathBuf::from(path), clock())?;
    vault.unlock_with_password(&SecretString::from(PASSWORD))?;
    let entries = vault.entries()?;
    for entry in entries {
        std::hint::black_box(vault.backup_codes(entry.id)?);
    }
    std::hint::black_box(vault.servers()?);
    Ok(entries.len())
}
