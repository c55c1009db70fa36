//! The encrypted vault: one `SQLite` file (WAL, every change in a
//! transaction) holding the accounts, their backup codes and the servers
//! (settings and credentials, as payloads opaque to the vault), each
//! encrypted with XChaCha20-Poly1305 under a random vault key that is
//! wrapped by a password slot (Argon2id) and optionally a keyring slot.
//! The file format is specified in `docs/vault-format.md`.
//!
//! Owns: [`Vault`] (create, open, unlock, lock, change password, keyring
//! unlock, snapshot backups; accounts and backup codes in `repo`, servers
//! in `servers`; the sync tables and the one sync transaction in
//! `sync_rows`), the format (`envelope`, `kdf`, `slots`, `payload`), the
//! file (`db`, `migrations`), the OS keyring ([`keyring`]) and
//! [`VaultError`].
//!
//! Must never: write anything but ids, order, timestamps and slot
//! parameters in clear text; keep the vault key or decrypted entries after
//! [`Vault::lock`]; put a secret (password, key, OTP secret, backup code,
//! issuer, account name, note, server payload) in an error, a log line or
//! a panic message; return data from a row that failed to authenticate; change the file
//! outside a transaction; import anything from Tauri or the UI.

pub mod envelope;
pub mod kdf;
pub mod keyring;
#[doc(hidden)]
pub mod payload;

mod db;
mod entry;
mod error;
mod lifecycle;
mod manifest;
mod migrations;
pub(crate) mod open_files;
mod password_key;
mod rekey;
mod repo;
mod servers;
mod slots;
mod sync_rows;

use std::path::PathBuf;
use std::sync::Arc;

use rusqlite::Connection;

pub use entry::{AccountEdit, BackupCode, Details, Entry};
pub use envelope::EnvelopeKey;
pub use error::{Result, VaultError};
pub use kdf::KdfParams;
pub use keyring::{KeyStore, OsKeyring};
pub use lifecycle::PasswordChanged;
pub use migrations::CURRENT as SCHEMA_VERSION;
pub use password_key::{PasswordKey, PasswordSlotParams};
pub use servers::ServerEntry;
pub use sync_rows::{
    RowChange, StateChange, SyncChanges, SyncRow, SyncView, SyncedAccount, SyncedCode,
    SyncedServer, account_document_value, account_from_document,
};

use crate::core::clock::Clock;
use slots::{Header, Slot};

/// An open vault file, locked or unlocked.
///
/// Locked, it knows only the clear-text header and slots. Unlocked, it
/// holds the vault key and every entry decrypted, in memory; [`lock`]
/// wipes both. Every change is one `SQLite` transaction, committed before
/// the in-memory copy changes. Several processes may open the same file;
/// [`refresh`] picks up their changes.
///
/// [`lock`]: Vault::lock
/// [`refresh`]: Vault::refresh
pub struct Vault {
    path: PathBuf,
    conn: Connection,
    /// Keeps the file in [`open_files`] while `conn` is open (dropped after it).
    _registration: open_files::Registration,
    clock: Arc<dyn Clock>,
    header: Header,
    slots: Vec<Slot>,
    /// `PRAGMA data_version` when the cache was loaded.
    data_version: i64,
    unlocked: Option<Unlocked>,
}

/// What exists only while the vault is unlocked.
struct Unlocked {
    key: EnvelopeKey,
    entries: Vec<Entry>,
    /// Server payloads (opaque to the vault), in order.
    servers: Vec<ServerEntry>,
}

impl Unlocked {
    /// Overwrites the key and every decrypted field with zeros.
    fn wipe(&mut self) {
        self.key.wipe();
        for entry in &mut self.entries {
            entry.wipe();
        }
        for server in &mut self.servers {
            server.wipe();
        }
    }
}

impl Drop for Unlocked {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("path", &self.path)
            .field("vault_id", &self.header.vault_id)
            .field("unlocked", &self.unlocked.is_some())
            .finish_non_exhaustive()
    }
}
