//! The row manifest: one SHA-256 digest over every column of every row of
//! `accounts`, `backup_codes`, `servers`, `sync_state`, `sync_entities` and
//! `sync_removed`,
//! sealed as the plaintext of the header check (`docs/vault-format.md`
//! §5.4). Since only the vault key can seal the header check, a row put
//! back from an older copy, a deleted row or a copied row no longer
//! matches it and the vault refuses to open ([`VaultError::RowsChanged`]).
//!
//! Owns: the digest's encoding, both versions of it (1: the three entry
//! tables, sealed by files written before sync existed; 2: every table
//! with rows, written now), and the plaintext form of the header check.
//!
//! Must never: accept a header check whose plaintext is neither empty (a
//! file written before the manifest existed) nor a manifest, or accept a
//! version-1 manifest over a file whose sync tables hold rows (version 1
//! predates them, so they would go unchecked).

use std::sync::mpsc;

use rusqlite::Connection;
use rusqlite::types::ValueRef;
use sha2::{Digest, Sha256};

use super::error::{Result, VaultError};
use super::repo::{ACCOUNTS, BACKUP_CODES};
use super::servers::SERVERS;
use super::sync_rows::{SYNC_ENTITIES, SYNC_REMOVED, SYNC_STATE};

/// The tables a version-1 manifest covers, in the order they are hashed.
const TABLES_V1: [&str; 3] = [ACCOUNTS, BACKUP_CODES, SERVERS];

/// The tables a version-2 manifest covers, in the order they are hashed.
const TABLES_V2: [&str; 6] = [
    ACCOUNTS,
    BACKUP_CODES,
    SERVERS,
    SYNC_STATE,
    SYNC_ENTITIES,
    SYNC_REMOVED,
];

/// The first byte of a header check plaintext that holds a manifest over
/// the three entry tables (read, never written any more).
const MANIFEST_V1: u8 = 1;

/// The first byte of a header check plaintext that holds a manifest over
/// every table with rows (written by every write).
const MANIFEST_V2: u8 = 2;

/// The digest of every row of the entry tables, and which tables it covers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RowDigest {
    version: u8,
    digest: [u8; 32],
}

impl std::fmt::Debug for RowDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RowDigest(v{}, ..)", self.version)
    }
}

impl RowDigest {
    /// A digest of zeros, for tests of the header check alone.
    #[cfg(test)]
    pub const ZEROS: Self = Self {
        version: MANIFEST_V2,
        digest: [0; 32],
    };

    /// The header check plaintext that carries this digest.
    pub fn to_check_plaintext(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.digest.len());
        out.push(self.version);
        out.extend_from_slice(&self.digest);
        out
    }

    /// The digest a header check plaintext carries: `None` for the empty
    /// plaintext of a file written before manifests, `Tampered` for
    /// anything else that is not a manifest.
    pub fn from_check_plaintext(plain: &[u8]) -> Result<Option<Self>> {
        match plain {
            [] => Ok(None),
            [version @ (MANIFEST_V1 | MANIFEST_V2), rest @ ..] => rest
                .try_into()
                .map(|digest| {
                    Some(Self {
                        version: *version,
                        digest,
                    })
                })
                .map_err(|_| VaultError::Tampered),
            _ => Err(VaultError::Tampered),
        }
    }
}

/// The version-2 digest of every row as `conn` sees them now (in a
/// transaction, as of that transaction's snapshot): what every write seals.
pub fn digest(conn: &Connection) -> Result<RowDigest> {
    Ok(RowDigest {
        version: MANIFEST_V2,
        digest: digest_of(conn, &TABLES_V2)?,
    })
}

/// SHA-256 of [`encode`]'s bytes for `tables`, hashed on a second thread
/// while this one reads the rows (the bytes are ids, times and sealed
/// payloads: nothing secret is copied).
fn digest_of(conn: &Connection, tables: &[&str]) -> Result<[u8; 32]> {
    let (to_hasher, chunks) = mpsc::sync_channel::<Vec<u8>>(4);
    std::thread::scope(|scope| {
        let hasher = scope.spawn(move || {
            let mut hash = Sha256::new();
            for chunk in chunks {
                hash.update(&chunk);
            }
            <[u8; 32]>::from(hash.finalize())
        });
        let mut sink = Chunks {
            buf: Vec::with_capacity(CHUNK),
            to_hasher,
        };
        let encoded = encode(conn, tables, &mut sink);
        let Chunks { buf, to_hasher } = sink;
        // The hasher only stops when the channel closes, so it cannot
        // have hung up on a send.
        let _ = to_hasher.send(buf);
        drop(to_hasher);
        let digest = hasher
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        encoded.map(|()| digest)
    })
}

/// How many bytes of the encoding go to the hashing thread at a time.
const CHUNK: usize = 256 * 1024;

/// Where the encoding goes: a hash, or chunks for a hashing thread.
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

/// The encoding gathered into chunks of about `CHUNK` bytes, each handed
/// to the thread that hashes them in order.
struct Chunks {
    buf: Vec<u8>,
    to_hasher: mpsc::SyncSender<Vec<u8>>,
}

impl Sink for Chunks {
    fn put(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= CHUNK {
            let full = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
            let _ = self.to_hasher.send(full);
        }
    }
}

/// Encoding fed to SHA-256: `"tessera-vault-rows"`, then per table in
/// `tables` order: its name, its column count and names, each row ordered
/// by `id` as a tag `r` followed by its values, and the row count. A value
/// is one type byte (0 null, 1 integer, 2 real, 3 text, 4 blob) and, but for
/// null, its 8-byte big-endian form (integer, real) or its 8-byte length
/// and bytes (text, blob).
fn encode(conn: &Connection, tables: &[&str], sink: &mut impl Sink) -> Result<()> {
    put_bytes(sink, b"tessera-vault-rows");
    for table in tables {
        put_bytes(sink, table.as_bytes());
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY id"))?;
        let columns = stmt.column_count();
        sink.put(&u64::try_from(columns).unwrap_or(u64::MAX).to_be_bytes());
        for name in stmt.column_names() {
            put_bytes(sink, name.as_bytes());
        }
        let mut rows = stmt.query([])?;
        let mut count: u64 = 0;
        while let Some(row) = rows.next()? {
            sink.put(b"r");
            for index in 0..columns {
                put_value(sink, row.get_ref(index)?);
            }
            count += 1;
        }
        sink.put(&count.to_be_bytes());
    }
    Ok(())
}

/// Fails with `RowsChanged` unless the rows `conn` sees are those `sealed`
/// names; a file without a manifest (`None`) passes. A version-1 manifest
/// covers the three entry tables and passes only while the sync tables
/// are empty.
pub fn verify(conn: &Connection, sealed: Option<RowDigest>) -> Result<()> {
    let Some(expected) = sealed else {
        return Ok(());
    };
    let actual = if expected.version == MANIFEST_V1 {
        for table in [SYNC_STATE, SYNC_ENTITIES, SYNC_REMOVED] {
            let rows: i64 =
                conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
            if rows != 0 {
                return Err(VaultError::RowsChanged);
            }
        }
        digest_of(conn, &TABLES_V1)?
    } else {
        digest_of(conn, &TABLES_V2)?
    };
    if actual == expected.digest {
        Ok(())
    } else {
        Err(VaultError::RowsChanged)
    }
}

fn put_bytes(sink: &mut impl Sink, bytes: &[u8]) {
    sink.put(&u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_be_bytes());
    sink.put(bytes);
}

fn put_value(sink: &mut impl Sink, value: ValueRef<'_>) {
    match value {
        ValueRef::Null => sink.put(&[0]),
        ValueRef::Integer(n) => {
            sink.put(&[1]);
            sink.put(&n.to_be_bytes());
        }
        ValueRef::Real(x) => {
            sink.put(&[2]);
            sink.put(&x.to_bits().to_be_bytes());
        }
        ValueRef::Text(t) => {
            sink.put(&[3]);
            put_bytes(sink, t);
        }
        ValueRef::Blob(b) => {
            sink.put(&[4]);
            put_bytes(sink, b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYNC_TABLES: &str = "CREATE TABLE sync_state (id INTEGER PRIMARY KEY, payload BLOB);
         CREATE TABLE sync_entities (id TEXT PRIMARY KEY, payload BLOB);
         CREATE TABLE sync_removed (id TEXT PRIMARY KEY, removed_at INTEGER);";

    fn tables() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE accounts (id TEXT PRIMARY KEY, position INTEGER, payload BLOB);
             CREATE TABLE backup_codes (id TEXT PRIMARY KEY, account_id TEXT, payload BLOB);
             CREATE TABLE servers (id TEXT PRIMARY KEY, payload BLOB);
             INSERT INTO accounts VALUES ('a', 0, x'01'), ('b', 1, x'02');
             INSERT INTO backup_codes VALUES ('c', 'a', x'03');",
        )
        .unwrap();
        conn.execute_batch(SYNC_TABLES).unwrap();
        conn
    }

    #[test]
    fn every_kind_of_row_change_changes_the_digest() {
        let conn = tables();
        let before = digest(&conn).unwrap();
        assert_eq!(digest(&conn).unwrap(), before, "the digest is stable");
        for change in [
            "UPDATE accounts SET payload = x'09' WHERE id = 'a'",
            "UPDATE accounts SET position = 5 WHERE id = 'b'",
            "UPDATE accounts SET position = NULL WHERE id = 'b'",
            "DELETE FROM backup_codes",
            "INSERT INTO backup_codes VALUES ('d', 'a', x'03')",
            "INSERT INTO servers VALUES ('s', x'')",
            "UPDATE backup_codes SET account_id = 'b'",
            "INSERT INTO sync_state VALUES (1, x'01')",
            "INSERT INTO sync_entities VALUES ('e', x'01')",
            "INSERT INTO sync_removed VALUES ('a', 5)",
        ] {
            let tx = conn.unchecked_transaction().unwrap();
            tx.execute_batch(change).unwrap();
            assert_ne!(digest(&tx).unwrap(), before, "{change}");
            assert!(
                matches!(verify(&tx, Some(before)), Err(VaultError::RowsChanged)),
                "{change}"
            );
            tx.rollback().unwrap();
        }
        assert_eq!(digest(&conn).unwrap(), before);
        verify(&conn, Some(before)).unwrap();
    }

    #[test]
    fn a_version_1_manifest_covers_the_entry_tables_while_sync_is_empty() {
        let conn = tables();
        let v1 = RowDigest {
            version: MANIFEST_V1,
            digest: digest_of(&conn, &TABLES_V1).unwrap(),
        };
        verify(&conn, Some(v1)).unwrap();
        assert_ne!(digest(&conn).unwrap(), v1, "new writes seal version 2");
        for change in [
            "UPDATE accounts SET payload = x'09' WHERE id = 'a'",
            "INSERT INTO sync_state VALUES (1, x'01')",
            "INSERT INTO sync_entities VALUES ('e', x'01')",
            "INSERT INTO sync_removed VALUES ('a', 5)",
        ] {
            let tx = conn.unchecked_transaction().unwrap();
            tx.execute_batch(change).unwrap();
            assert!(
                matches!(verify(&tx, Some(v1)), Err(VaultError::RowsChanged)),
                "{change}"
            );
            tx.rollback().unwrap();
        }
    }

    #[test]
    fn values_cannot_slide_between_columns() {
        let one = Connection::open_in_memory().unwrap();
        let two = Connection::open_in_memory().unwrap();
        for (conn, a, b) in [(&one, "ab", "c"), (&two, "a", "bc")] {
            conn.execute_batch(
                "CREATE TABLE accounts (id TEXT, x TEXT);
                 CREATE TABLE backup_codes (id TEXT);
                 CREATE TABLE servers (id TEXT);",
            )
            .unwrap();
            conn.execute_batch(SYNC_TABLES).unwrap();
            conn.execute("INSERT INTO accounts VALUES (?1, ?2)", [a, b])
                .unwrap();
        }
        assert_ne!(digest(&one).unwrap(), digest(&two).unwrap());
    }

    /// Rows of several chunks hashed on the second thread give the digest
    /// of the encoding hashed in one piece.
    #[test]
    fn the_digest_hashed_beside_the_reading_is_the_digest_of_the_encoding() {
        let conn = tables();
        let tx = conn.unchecked_transaction().unwrap();
        let mut insert = tx
            .prepare("INSERT INTO sync_entities VALUES (?1, ?2)")
            .unwrap();
        for i in 0..2_000u32 {
            let payload: Vec<u8> = (0..1_000u32).map(|j| ((i * 31 + j) % 251) as u8).collect();
            insert
                .execute(rusqlite::params![format!("e{i:05}"), payload])
                .unwrap();
        }
        drop(insert);
        let mut whole = Sha256::new();
        encode(&tx, &TABLES_V2, &mut whole).unwrap();
        let expected: [u8; 32] = whole.finalize().into();
        assert_eq!(digest_of(&tx, &TABLES_V2).unwrap(), expected);
        const {
            assert!(
                2_000 * 1_000 > 4 * CHUNK,
                "more chunks than the channel holds"
            );
        };
    }

    #[test]
    fn the_check_plaintext_round_trips_and_refuses_other_forms() {
        let digest = digest(&tables()).unwrap();
        let plain = digest.to_check_plaintext();
        assert_eq!(plain.len(), 33);
        assert_eq!(plain[0], 2);
        assert_eq!(
            RowDigest::from_check_plaintext(&plain).unwrap(),
            Some(digest)
        );
        let mut v1 = plain.clone();
        v1[0] = 1;
        assert_eq!(
            RowDigest::from_check_plaintext(&v1)
                .unwrap()
                .map(|d| d.version),
            Some(1)
        );
        assert_eq!(RowDigest::from_check_plaintext(&[]).unwrap(), None);
        for bad in [&plain[..32], &[3u8; 33][..], &[1u8; 34][..], &[2u8; 34][..]] {
            assert!(matches!(
                RowDigest::from_check_plaintext(bad),
                Err(VaultError::Tampered)
            ));
        }
    }
}
