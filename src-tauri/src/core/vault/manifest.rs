//! The row manifest: one SHA-256 digest over every column of every row of
//! `accounts`, `backup_codes` and `servers`, sealed as the plaintext of the
//! header check (`docs/vault-format.md` §5.4). Since only the vault key can
//! seal the header check, a row put back from an older copy, a deleted row
//! or a copied row no longer matches it and the vault refuses to open
//! ([`VaultError::RowsChanged`]).
//!
//! Owns: the digest's encoding, and the plaintext form of the header check.
//!
//! Must never: accept a header check whose plaintext is neither empty (a
//! file written before the manifest existed) nor a manifest.

use rusqlite::Connection;
use rusqlite::types::ValueRef;
use sha2::{Digest, Sha256};

use super::error::{Result, VaultError};
use super::repo::{ACCOUNTS, BACKUP_CODES};
use super::servers::SERVERS;

/// The tables the manifest covers, in the order they are hashed.
const TABLES: [&str; 3] = [ACCOUNTS, BACKUP_CODES, SERVERS];

/// The first byte of a header check plaintext that holds a manifest.
const MANIFEST_V1: u8 = 1;

/// The digest of every row of the entry tables.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RowDigest([u8; 32]);

impl std::fmt::Debug for RowDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RowDigest(..)")
    }
}

impl RowDigest {
    /// A digest of zeros, for tests of the header check alone.
    #[cfg(test)]
    pub const ZEROS: Self = Self([0; 32]);

    /// The header check plaintext that carries this digest.
    pub fn to_check_plaintext(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.0.len());
        out.push(MANIFEST_V1);
        out.extend_from_slice(&self.0);
        out
    }

    /// The digest a header check plaintext carries: `None` for the empty
    /// plaintext of a file written before manifests, `Tampered` for
    /// anything else that is not a manifest.
    pub fn from_check_plaintext(plain: &[u8]) -> Result<Option<Self>> {
        match plain {
            [] => Ok(None),
            [MANIFEST_V1, rest @ ..] => rest
                .try_into()
                .map(|digest| Some(Self(digest)))
                .map_err(|_| VaultError::Tampered),
            _ => Err(VaultError::Tampered),
        }
    }
}

/// The digest of every row as `conn` sees them now (in a transaction, as
/// of that transaction's snapshot).
///
/// Encoding fed to SHA-256: `"tessera-vault-rows"`, then per table in
/// [`TABLES`] order: its name, its column count and names, each row ordered
/// by `id` as a tag `r` followed by its values, and the row count. A value
/// is one type byte (0 null, 1 integer, 2 real, 3 text, 4 blob) and, but for
/// null, its 8-byte big-endian form (integer, real) or its 8-byte length
/// and bytes (text, blob).
pub fn digest(conn: &Connection) -> Result<RowDigest> {
    let mut hash = Sha256::new();
    put_bytes(&mut hash, b"tessera-vault-rows");
    for table in TABLES {
        put_bytes(&mut hash, table.as_bytes());
        let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY id"))?;
        let columns = stmt.column_count();
        hash.update(u64::try_from(columns).unwrap_or(u64::MAX).to_be_bytes());
        for name in stmt.column_names() {
            put_bytes(&mut hash, name.as_bytes());
        }
        let mut rows = stmt.query([])?;
        let mut count: u64 = 0;
        while let Some(row) = rows.next()? {
            hash.update(b"r");
            for index in 0..columns {
                put_value(&mut hash, row.get_ref(index)?);
            }
            count += 1;
        }
        hash.update(count.to_be_bytes());
    }
    Ok(RowDigest(hash.finalize().into()))
}

/// Fails with `RowsChanged` unless the rows `conn` sees are those `sealed`
/// names; a file without a manifest (`None`) passes.
pub fn verify(conn: &Connection, sealed: Option<RowDigest>) -> Result<()> {
    match sealed {
        Some(expected) if digest(conn)? != expected => Err(VaultError::RowsChanged),
        _ => Ok(()),
    }
}

fn put_bytes(hash: &mut Sha256, bytes: &[u8]) {
    hash.update(u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_be_bytes());
    hash.update(bytes);
}

fn put_value(hash: &mut Sha256, value: ValueRef<'_>) {
    match value {
        ValueRef::Null => hash.update([0]),
        ValueRef::Integer(n) => {
            hash.update([1]);
            hash.update(n.to_be_bytes());
        }
        ValueRef::Real(x) => {
            hash.update([2]);
            hash.update(x.to_bits().to_be_bytes());
        }
        ValueRef::Text(t) => {
            hash.update([3]);
            put_bytes(hash, t);
        }
        ValueRef::Blob(b) => {
            hash.update([4]);
            put_bytes(hash, b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        ] {
            let tx = conn.unchecked_transaction().unwrap();
            tx.execute_batch(change).unwrap();
            assert_ne!(digest(&tx).unwrap(), before, "{change}");
            tx.rollback().unwrap();
        }
        assert_eq!(digest(&conn).unwrap(), before);
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
            conn.execute("INSERT INTO accounts VALUES (?1, ?2)", [a, b])
                .unwrap();
        }
        assert_ne!(digest(&one).unwrap(), digest(&two).unwrap());
    }

    #[test]
    fn the_check_plaintext_round_trips_and_refuses_other_forms() {
        let digest = digest(&tables()).unwrap();
        let plain = digest.to_check_plaintext();
        assert_eq!(plain.len(), 33);
        assert_eq!(
            RowDigest::from_check_plaintext(&plain).unwrap(),
            Some(digest)
        );
        assert_eq!(RowDigest::from_check_plaintext(&[]).unwrap(), None);
        for bad in [&plain[..32], &[2u8; 33][..], &[1u8; 34][..]] {
            assert!(matches!(
                RowDigest::from_check_plaintext(bad),
                Err(VaultError::Tampered)
            ));
        }
    }
}
