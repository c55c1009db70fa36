//! The life of a [`Vault`]: create, open, unlock (password or keyring),
//! lock, change the password, enable or disable keyring unlock, refresh
//! after another process wrote, and snapshot backups.
//!
//! Owns: the order of the steps (a wrong password never changes the file;
//! the header check is verified before anything is decrypted; migrations
//! run only after the key is known good), atomic creation of new files
//! (built beside the target, then linked into place without overwriting).
//!
//! Must never: overwrite an existing file, keep a key-encryption key after
//! the call that used it, or leave the vault half unlocked after an error.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rusqlite::{Connection, TransactionBehavior};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use super::db;
use super::envelope::EnvelopeKey;
use super::error::{Result, VaultError};
use super::kdf::KdfParams;
use super::keyring::KeyStore;
use super::manifest;
use super::migrations;
use super::open_files;
use super::password_key::{PasswordKey, PasswordSlotParams};
use super::rekey;
use super::repo::load_entries;
use super::servers::{ServerEntry, load_servers};
use super::slots::{Header, Slot, SlotParams, map_seal};
use super::{Unlocked, Vault};
use crate::core::clock::Clock;
use crate::core::secret::SecretString;

impl Vault {
    /// Creates a new vault at `path` protected by `password`, and returns it
    /// unlocked and empty. Costs one Argon2id run with `kdf` (use
    /// [`KdfParams::calibrate`] for real vaults).
    ///
    /// The file is built beside `path` and linked into place only when
    /// complete; `AlreadyExists` if `path` exists.
    pub fn create(
        path: impl AsRef<Path>,
        password: &SecretString,
        kdf: KdfParams,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let path = path.as_ref();
        if exists(path)? {
            return Err(VaultError::AlreadyExists {
                path: path.to_owned(),
            });
        }
        let now = now_db(clock.as_ref());
        let key = EnvelopeKey::random().map_err(map_seal)?;
        let mut header = Header::new(now);
        let slot = Slot::new_password(&header, &key, password, kdf, now)?;

        let tmp = sibling(path, "creating")?;
        let built = build_new_file(&tmp, &mut header, &slot, &key)
            .and_then(|()| link_no_clobber(&tmp, path));
        // Best effort: the temporary name is gone after a successful link.
        let _ = fs::remove_file(&tmp);
        built?;
        sync_parent(path);

        let mut vault = Self::open(path, clock)?;
        vault.unlocked = Some(Unlocked {
            key,
            entries: Vec::new(),
            servers: Vec::new(),
        });
        vault.data_version = db::data_version(&vault.conn)?;
        tracing::info!(vault_id = %vault.header.vault_id, "vault created");
        Ok(vault)
    }

    /// Opens an existing vault, locked. Reads only the clear-text header and
    /// slots; changes nothing but the journal mode.
    ///
    /// `NotFound` if there is no file, `NotAVault`, `NewerFormat`, or
    /// `Corrupt { table: "header" | "slots", .. }`.
    pub fn open(path: impl AsRef<Path>, clock: Arc<dyn Clock>) -> Result<Self> {
        let path = path.as_ref();
        if !exists(path)? {
            return Err(VaultError::NotFound {
                what: "vault file",
                id: path.display().to_string(),
            });
        }
        restrict_to_owner(path);
        let registration = open_files::Registration::new(path);
        let conn = db::connect(path, false)?;
        db::check_identity(&conn, path)?;
        let header = db::read_header(&conn)?;
        let slots = db::read_slots(&conn)?;
        db::enable_wal(&conn)?;
        let data_version = db::data_version(&conn)?;
        tracing::debug!(vault_id = %header.vault_id, slots = slots.len(), "vault opened");
        Ok(Self {
            path: path.to_owned(),
            conn,
            _registration: registration,
            clock,
            header,
            slots,
            data_version,
            unlocked: None,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes that change whenever a row of the vault changes, through this
    /// handle or (after [`refresh`](Self::refresh)) another: the header
    /// check, which seals the row manifest. Not secret (it is in the file).
    pub fn revision_mark(&self) -> &[u8] {
        &self.header.check
    }

    /// The vault's random id (clear text; names its keyring item).
    pub fn vault_id(&self) -> &str {
        &self.header.vault_id
    }

    /// Whether the vault key and entries are in memory.
    pub fn is_unlocked(&self) -> bool {
        self.unlocked.is_some()
    }

    /// Whether keyring unlock is enabled.
    pub fn has_keyring_slot(&self) -> bool {
        self.slots.iter().any(Slot::is_keyring)
    }

    /// The Argon2id parameters of the password slot.
    pub fn password_kdf(&self) -> Option<KdfParams> {
        self.slots.iter().find_map(|s| match &s.params {
            SlotParams::Password { kdf, .. } => Some(*kdf),
            SlotParams::Keyring { .. } => None,
        })
    }

    /// A second handle on the same vault file, unlocked with this handle's
    /// key: for work that writes to the file while this handle stays free,
    /// such as a server flow waiting on answers. What either handle commits
    /// reaches the other through [`refresh`](Self::refresh). `Locked` if
    /// this handle is locked.
    pub fn open_another(&self) -> Result<Self> {
        let key = EnvelopeKey::from_slice(self.unlocked()?.key.expose())
            .ok_or_else(|| VaultError::invalid("the vault key has the wrong length"))?;
        let mut other = Self::open(&self.path, Arc::clone(&self.clock))?;
        other.finish_unlock(key)?;
        Ok(other)
    }

    /// Unlocks with the password: one Argon2id run, then the header check,
    /// migrations if the file is older, and decryption of every entry.
    ///
    /// `WrongPassword`, `Tampered`, `Corrupt { table, id }`. On error the
    /// vault is locked.
    pub fn unlock_with_password(&mut self, password: &SecretString) -> Result<()> {
        self.lock();
        self.reload_header()?;
        let key = self.password_slot_params()?.derive(password)?;
        self.unlock_with_password_key(&key)
    }

    /// Unlocks with the key held in the OS keyring.
    ///
    /// `NoKeyringSlot` if keyring unlock is not enabled;
    /// `KeyringUnavailable` if the keyring cannot be reached within its
    /// timeout, has no item, or its key does not open the slot (the caller
    /// falls back to the password). On error the vault is locked.
    pub fn unlock_with_keyring(&mut self, store: &dyn KeyStore) -> Result<()> {
        self.lock();
        self.reload_header()?;
        let slot = self
            .slots
            .iter()
            .find(|s| s.is_keyring())
            .ok_or(VaultError::NoKeyringSlot)?;
        let SlotParams::Keyring { service, user } = &slot.params else {
            return Err(VaultError::NoKeyringSlot);
        };
        let kek = store
            .load(service, user)
            .inspect_err(|error| tracing::warn!(%error, "unlock with the keyring refused"))?;
        let key =
            slot.unwrap_key(&self.header, &kek)
                .map_err(|_| VaultError::KeyringUnavailable {
                    reason: "the key in the keyring does not open this vault".into(),
                })?;
        self.finish_unlock(key)
    }

    /// Checks `password` against the password slot without changing
    /// anything (for actions that ask for the password again, e.g. export).
    pub fn verify_password(&self, password: &SecretString) -> Result<()> {
        self.verify_password_key(&self.password_slot_params()?.derive(password)?)
    }

    /// Wipes the vault key and every decrypted entry from memory.
    /// Idempotent.
    pub fn lock(&mut self) {
        if let Some(mut unlocked) = self.unlocked.take() {
            unlocked.wipe();
            tracing::info!(vault_id = %self.header.vault_id, "vault locked");
        }
    }

    /// Changes the password and rotates the vault key ([`super::rekey`]):
    /// a new random key, every row sealed again under it, a new password
    /// slot for `new` (with `kdf`, or the current slot's cost when `None`),
    /// in one transaction. A keyring slot is kept, wrapping the new key
    /// with the key `keyring` holds for it; when that key cannot be read
    /// (no `keyring`, or it does not answer) the slot is dropped and
    /// keyring unlock is off ([`PasswordChanged::keyring_kept`]). Needs the
    /// vault unlocked and the `current` password.
    ///
    /// Other handles on the file (another window, a server flow, the CLI)
    /// hold the old key: their next refresh locks them ([`VaultError::KeyChanged`])
    /// and their writes are refused until they unlock again.
    pub fn change_password(
        &mut self,
        current: &SecretString,
        new: &SecretString,
        kdf: Option<KdfParams>,
        keyring: Option<&dyn KeyStore>,
    ) -> Result<PasswordChanged> {
        self.reload_header()?;
        let current_params = self.password_slot_params()?;
        let kdf = kdf.unwrap_or_else(|| current_params.kdf());
        let current = current_params.derive(current)?;
        let new = PasswordSlotParams::new_slot(kdf)?.derive(new)?;
        self.change_password_with_keys(&current, &new, keyring)
    }

    /// [`change_password`](Self::change_password) with both passwords
    /// already derived: `current` for the password slot, `new` from
    /// [`PasswordSlotParams::new_slot`] (so that a window derives them
    /// without holding its vault).
    ///
    /// # Errors
    /// `WrongPassword` for `current`; `Invalid` when the password slot
    /// changed since `current` was derived; as
    /// [`change_password`](Self::change_password).
    pub fn change_password_with_keys(
        &mut self,
        current: &PasswordKey,
        new: &PasswordKey,
        keyring: Option<&dyn KeyStore>,
    ) -> Result<PasswordChanged> {
        self.reload_header()?;
        let unlocked = self.unlocked.as_ref().ok_or(VaultError::Locked)?;
        let from_current = self.open_password_slot(current)?;
        if !bool::from(from_current.expose().ct_eq(unlocked.key.expose())) {
            return Err(VaultError::Tampered);
        }
        let new_key = EnvelopeKey::random().map_err(map_seal)?;
        let now = now_db(self.clock.as_ref());
        let mut slots = vec![new.new_slot(&self.header, &new_key, now)?];
        let old_keyring = self.slots.iter().find(|s| s.is_keyring()).cloned();
        let kept_keyring = old_keyring.as_ref().and_then(|slot| {
            rewrap_keyring_slot(&self.header, slot, &unlocked.key, &new_key, keyring)
        });
        let keyring_kept = kept_keyring.is_some();
        slots.extend(kept_keyring);
        let tx = begin_key_change(
            &mut self.conn,
            &self.header,
            &self.slots,
            &unlocked.key,
            self.data_version,
        )?;
        let rows = rekey::reseal_rows(&tx, &unlocked.key, &new_key)?;
        for slot in &self.slots {
            db::delete_slot(&tx, &slot.id)?;
        }
        for slot in &slots {
            db::insert_slot(&tx, slot)?;
        }
        let mut header = self.header.clone();
        header.seal_check(&new_key, &slots, manifest::digest(&tx)?)?;
        db::update_header_check(&tx, &header)?;
        tx.commit()?;
        self.header = header;
        self.slots = slots;
        if let Some(unlocked) = self.unlocked.as_mut() {
            unlocked.key = new_key;
        }
        if let (Some(keyring), Some(SlotParams::Keyring { service, user }), false) = (
            keyring,
            old_keyring.as_ref().map(|slot| &slot.params),
            keyring_kept,
        ) {
            // Best effort: the slot is gone from the file already.
            let _ = keyring.delete(service, user);
        }
        tracing::info!(
            vault_id = %self.header.vault_id,
            rows,
            keyring_kept,
            "vault password changed and vault key rotated"
        );
        Ok(PasswordChanged {
            keyring_kept: keyring_kept || old_keyring.is_none(),
        })
    }

    /// Enables keyring unlock: stores a new random key in `store` and adds
    /// a keyring slot wrapping the vault key with it (replacing an earlier
    /// keyring slot). Needs the vault unlocked.
    ///
    /// `KeyringUnavailable` (and the file unchanged) if the keyring cannot
    /// store the key.
    pub fn enable_keyring(&mut self, store: &dyn KeyStore) -> Result<()> {
        self.reload_header()?;
        let unlocked = self.unlocked.as_ref().ok_or(VaultError::Locked)?;
        let kek = EnvelopeKey::random().map_err(map_seal)?;
        let slot_id = Uuid::new_v4().hyphenated().to_string();
        let user = format!("{}/{slot_id}", self.header.vault_id);
        let service = store.service().to_owned();
        let now = now_db(self.clock.as_ref());
        let slot = Slot::new_keyring(
            &self.header,
            &unlocked.key,
            &kek,
            slot_id,
            &service,
            &user,
            now,
        )?;
        let old = self.slots.iter().find(|s| s.is_keyring()).cloned();
        store.store(&service, &user, &kek)?;
        if let Err(e) = self.replace_slot(old.as_ref().map(|s| s.id.as_str()), Some(&slot)) {
            // Best effort: the new item is useless without its slot.
            let _ = store.delete(&service, &user);
            return Err(e);
        }
        if let Some(Slot {
            params: SlotParams::Keyring { service, user },
            ..
        }) = old
        {
            // Best effort: the old slot is gone from the file already.
            let _ = store.delete(&service, &user);
        }
        tracing::info!(vault_id = %self.header.vault_id, "keyring unlock enabled");
        Ok(())
    }

    /// Disables keyring unlock: removes the keyring slot from the file,
    /// then its key from `store`. Needs the vault unlocked; does nothing if
    /// keyring unlock is not enabled.
    ///
    /// `KeyringUnavailable` if the slot was removed but the keyring item
    /// could not be deleted.
    pub fn disable_keyring(&mut self, store: &dyn KeyStore) -> Result<()> {
        self.reload_header()?;
        self.unlocked()?;
        let Some(old) = self.slots.iter().find(|s| s.is_keyring()).cloned() else {
            return Ok(());
        };
        self.replace_slot(Some(&old.id), None)?;
        tracing::info!(vault_id = %self.header.vault_id, "keyring unlock disabled");
        if let SlotParams::Keyring { service, user } = &old.params {
            store.delete(service, user).map_err(|e| VaultError::KeyringUnavailable {
                reason: format!(
                    "keyring unlock is disabled, but its key could not be removed from the keyring: {e}"
                ),
            })?;
        }
        Ok(())
    }

    /// Writes a consistent copy of the vault to `dest` (`VACUUM INTO`). The
    /// copy is a vault of its own, opened with the current password; its
    /// keyring slot is removed. Needs the vault unlocked (to re-seal the
    /// copy's header check).
    ///
    /// `AlreadyExists` if `dest` exists.
    pub fn snapshot(&self, dest: impl AsRef<Path>) -> Result<()> {
        let dest = dest.as_ref();
        let unlocked = self.unlocked()?;
        if exists(dest)? {
            return Err(VaultError::AlreadyExists {
                path: dest.to_owned(),
            });
        }
        let tmp = sibling(dest, "partial")?;
        // VACUUM INTO fills an empty file and keeps its owner-only mode.
        create_private(&tmp)?;
        let tmp_text = tmp
            .to_str()
            .ok_or_else(|| VaultError::invalid("the backup path is not valid UTF-8"))?
            .to_owned();
        let made = self
            .conn
            .execute("VACUUM INTO ?1", [tmp_text])
            .map_err(VaultError::from)
            .and_then(|_| strip_keyring_slots(&tmp, &unlocked.key))
            .and_then(|()| sync_file(&tmp))
            .and_then(|()| link_no_clobber(&tmp, dest));
        let _ = fs::remove_file(&tmp);
        made.inspect_err(|error| tracing::warn!(%error, "vault snapshot failed"))?;
        sync_parent(dest);
        tracing::info!(vault_id = %self.header.vault_id, "vault snapshot written");
        Ok(())
    }

    /// Picks up changes committed by another process (the CLI beside the
    /// GUI): re-reads the header and slots, and, if unlocked, every entry.
    /// Returns whether anything had changed.
    pub fn refresh(&mut self) -> Result<bool> {
        let version = db::data_version(&self.conn)?;
        if version == self.data_version {
            return Ok(false);
        }
        self.reload_header()?;
        if let Some(unlocked) = &self.unlocked
            && self
                .header
                .verify_check(&unlocked.key, &self.slots)
                .is_err()
        {
            // Another process changed the password, and so the key (or
            // altered the header): nothing more is read with the old key.
            self.lock();
            self.data_version = version;
            return Err(VaultError::KeyChanged);
        }
        if let Some(mut unlocked) = self.unlocked.take() {
            match read_entries(&mut self.conn, &unlocked.key) {
                Ok(read) => {
                    unlocked.entries = read.entries;
                    unlocked.servers = read.servers;
                    self.header = read.header;
                    self.slots = read.slots;
                    self.data_version = read.version;
                }
                Err(e) => {
                    self.unlocked = Some(unlocked);
                    return Err(e);
                }
            }
            self.unlocked = Some(unlocked);
        } else {
            self.data_version = version;
        }
        Ok(true)
    }

    pub(super) fn unlocked(&self) -> Result<&Unlocked> {
        self.unlocked.as_ref().ok_or(VaultError::Locked)
    }

    pub(super) fn password_slot(&self) -> Result<&Slot> {
        self.slots
            .iter()
            .find(|s| s.is_password())
            .ok_or_else(|| VaultError::corrupt("slots", "(no password slot)"))
    }

    pub(super) fn reload_header(&mut self) -> Result<()> {
        self.header = db::read_header(&self.conn)?;
        self.slots = db::read_slots(&self.conn)?;
        Ok(())
    }

    pub(super) fn finish_unlock(&mut self, key: EnvelopeKey) -> Result<()> {
        self.header
            .verify_check(&key, &self.slots)
            .inspect_err(|error| tracing::warn!(%error, "vault header check refused"))?;
        migrations::migrate(&mut self.conn)?;
        let read = read_entries(&mut self.conn, &key)
            .inspect_err(|error| tracing::warn!(%error, "vault entries refused"))?;
        self.header = read.header;
        self.slots = read.slots;
        self.data_version = read.version;
        tracing::info!(
            vault_id = %self.header.vault_id,
            accounts = read.entries.len(),
            servers = read.servers.len(),
            "vault unlocked"
        );
        if !read.has_manifest {
            self.seal_first_manifest(&key);
        }
        self.unlocked = Some(Unlocked {
            key,
            entries: read.entries,
            servers: read.servers,
        });
        Ok(())
    }

    /// Seals the row manifest into a file written before manifests
    /// existed, so that later changes to its rows are detected. Best
    /// effort: a file that cannot be written (read-only) stays as it was.
    fn seal_first_manifest(&mut self, key: &EnvelopeKey) {
        let sealed = rekey::begin_write(&mut self.conn, &mut self.header, key, self.data_version)
            .and_then(|write| write.commit(key));
        match sealed {
            Ok(()) => {
                tracing::info!(vault_id = %self.header.vault_id, "vault row manifest sealed");
            }
            Err(error) => tracing::warn!(%error, "vault row manifest not sealed"),
        }
    }

    /// In one transaction: removes slot `old` (if any), adds `new` (if
    /// any), re-seals the header check. Refuses if the slots changed since
    /// they were last read.
    fn replace_slot(&mut self, old: Option<&str>, new: Option<&Slot>) -> Result<()> {
        let unlocked = self.unlocked.as_ref().ok_or(VaultError::Locked)?;
        let mut slots: Vec<Slot> = self
            .slots
            .iter()
            .filter(|s| Some(s.id.as_str()) != old)
            .cloned()
            .collect();
        slots.extend(new.cloned());
        let tx = begin_key_change(
            &mut self.conn,
            &self.header,
            &self.slots,
            &unlocked.key,
            self.data_version,
        )?;
        if let Some(old) = old {
            db::delete_slot(&tx, old)?;
        }
        if let Some(new) = new {
            db::insert_slot(&tx, new)?;
        }
        let mut header = self.header.clone();
        header.seal_check(&unlocked.key, &slots, manifest::digest(&tx)?)?;
        db::update_header_check(&tx, &header)?;
        tx.commit()?;
        self.header = header;
        self.slots = slots;
        Ok(())
    }
}

/// Begins a transaction that changes the slots or the header check;
/// refuses if the slots changed since this handle read them, and checks
/// the key and the rows as every write does ([`rekey::check_unchanged`]).
fn begin_key_change<'c>(
    conn: &'c mut Connection,
    header: &Header,
    slots: &[Slot],
    key: &EnvelopeKey,
    known_version: i64,
) -> Result<rusqlite::Transaction<'c>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if db::read_slots(&tx)? != slots {
        return Err(VaultError::invalid(
            "the vault's keys were changed by another window; try again",
        ));
    }
    rekey::check_unchanged(&tx, header, key, known_version)?;
    Ok(tx)
}

/// What a password change did besides the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordChanged {
    /// Whether keyring unlock is still on (or was never on); `false` when
    /// the keyring's key could not be read, so the keyring slot was dropped.
    pub keyring_kept: bool,
}

/// The keyring slot `slot` wrapping `new_key` instead of `old_key`, with
/// the key `keyring` holds for it; `None` if that key cannot be read or
/// does not open the slot.
fn rewrap_keyring_slot(
    header: &Header,
    slot: &Slot,
    old_key: &EnvelopeKey,
    new_key: &EnvelopeKey,
    keyring: Option<&dyn KeyStore>,
) -> Option<Slot> {
    let SlotParams::Keyring { service, user } = &slot.params else {
        return None;
    };
    let kek = keyring?.load(service, user).ok()?;
    let unwrapped = slot.unwrap_key(header, &kek).ok()?;
    if !bool::from(unwrapped.expose().ct_eq(old_key.expose())) {
        return None;
    }
    Slot::new_keyring(
        header,
        new_key,
        &kek,
        slot.id.clone(),
        service,
        user,
        slot.created_at,
    )
    .ok()
}

/// What [`read_entries`] read, all from one commit.
struct ReadVault {
    header: Header,
    slots: Vec<Slot>,
    entries: Vec<super::Entry>,
    servers: Vec<ServerEntry>,
    version: i64,
    /// Whether the header check seals a row manifest (files written
    /// before manifests existed have none).
    has_manifest: bool,
}

/// The header, slots, every entry, every server and the data version, read
/// in one read transaction so that they all come from the same commit;
/// the header check is verified under `key` (`Tampered`) and the rows
/// against the manifest it seals (`RowsChanged`).
fn read_entries(conn: &mut Connection, key: &EnvelopeKey) -> Result<ReadVault> {
    let tx = conn.transaction()?;
    let header = db::read_header(&tx)?;
    let slots = db::read_slots(&tx)?;
    let sealed = header.verify_check(key, &slots)?;
    let entries = load_entries(&tx, key)?;
    let servers = load_servers(&tx, key)?;
    manifest::verify(&tx, sealed)?;
    let version = db::data_version(&tx)?;
    tx.commit()?;
    Ok(ReadVault {
        header,
        slots,
        entries,
        servers,
        version,
        has_manifest: sealed.is_some(),
    })
}

fn build_new_file(tmp: &Path, header: &mut Header, slot: &Slot, key: &EnvelopeKey) -> Result<()> {
    create_private(tmp)?;
    let mut conn = db::connect(tmp, true)?;
    migrations::migrate(&mut conn)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    header.seal_check(key, std::slice::from_ref(slot), manifest::digest(&tx)?)?;
    db::insert_header(&tx, header)?;
    db::insert_slot(&tx, slot)?;
    tx.commit()?;
    conn.close().map_err(|(_, e)| VaultError::Database(e))?;
    sync_file(tmp)
}

/// Opens the fresh copy at `tmp`, removes its keyring slots and re-seals
/// its header check.
fn strip_keyring_slots(tmp: &Path, key: &EnvelopeKey) -> Result<()> {
    let mut conn = db::connect(tmp, false)?;
    let _mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut header = db::read_header(&tx)?;
    let slots = db::read_slots(&tx)?;
    let (keep, drop): (Vec<Slot>, Vec<Slot>) = slots.into_iter().partition(Slot::is_password);
    for slot in &drop {
        db::delete_slot(&tx, &slot.id)?;
    }
    header.seal_check(key, &keep, manifest::digest(&tx)?)?;
    db::update_header_check(&tx, &header)?;
    tx.commit()?;
    conn.close().map_err(|(_, e)| VaultError::Database(e))
}

fn now_db(clock: &dyn Clock) -> i64 {
    i64::try_from(clock.now().unix_millis()).unwrap_or(i64::MAX)
}

fn io_error(path: &Path, source: std::io::Error) -> VaultError {
    VaultError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Creates an empty file that only its owner can read or write, through
/// the one private-file writer (`SQLite` gives the database's `-wal` and
/// `-shm` files the same mode).
fn create_private(path: &Path) -> Result<()> {
    crate::core::private_file::write_new(path, &[]).map_err(|e| io_error(path, e.into_io()))
}

/// Takes group and other permissions off a vault file (and its `-wal` and
/// `-shm` files) that has them, e.g. one copied in with a loose umask. Best
/// effort: a file the user cannot change keeps its mode and still opens.
fn restrict_to_owner(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut paths = vec![path.to_owned()];
        for suffix in ["-wal", "-shm"] {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            paths.push(PathBuf::from(name));
        }
        for file in paths {
            if let Ok(meta) = fs::metadata(&file)
                && meta.permissions().mode() & 0o077 != 0
            {
                let mode = meta.permissions().mode() & 0o700;
                let _ = fs::set_permissions(&file, fs::Permissions::from_mode(mode));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn exists(path: &Path) -> Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error(path, e)),
    }
}

/// `<dir>/.<name>.<what>-<random>`: a temporary name beside `path`.
fn sibling(path: &Path, what: &str) -> Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| VaultError::invalid("the path has no file name"))?
        .to_string_lossy();
    Ok(path.with_file_name(format!(".{name}.{what}-{}", Uuid::new_v4().simple())))
}

/// Moves `tmp` to `dest` unless `dest` exists (a hard link fails if it
/// does; where hard links are not supported, a check then a rename).
fn link_no_clobber(tmp: &Path, dest: &Path) -> Result<()> {
    match fs::hard_link(tmp, dest) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(VaultError::AlreadyExists {
            path: dest.to_owned(),
        }),
        Err(_) if exists(dest)? => Err(VaultError::AlreadyExists {
            path: dest.to_owned(),
        }),
        Err(_) => fs::rename(tmp, dest).map_err(|e| io_error(dest, e)),
    }
}

fn sync_file(path: &Path) -> Result<()> {
    fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io_error(path, e))
}

/// Makes a new directory entry durable (best effort; not every platform
/// can open a directory).
fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && let Ok(dir) = fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::core::clock::FixedClock;
    use crate::core::otp::{Account, Algorithm, OtpKind};
    use crate::core::secret::SecretBytes;
    use crate::core::vault::Details;
    use crate::core::vault::keyring::tests::MemoryKeyStore;

    fn small() -> KdfParams {
        KdfParams::new(64, 2, 1).unwrap()
    }

    fn new_vault(dir: &tempfile::TempDir) -> Vault {
        let clock = Arc::new(FixedClock::at_unix_seconds(1_700_000_000));
        Vault::create(
            dir.path().join("v.tessera"),
            &SecretString::from("pw"),
            small(),
            clock,
        )
        .unwrap()
    }

    fn account() -> Account {
        Account {
            issuer: "Issuer".into(),
            name: "name".into(),
            secret: SecretBytes::from(vec![9; 20]),
            algorithm: Algorithm::Sha1,
            digits: 6,
            kind: OtpKind::Totp { period: 30 },
            extra_params: vec![("k".into(), "v".into())],
        }
    }

    #[test]
    fn vault_can_live_behind_a_mutex() {
        fn assert_send<T: Send>() {}
        assert_send::<Vault>();
        assert_send::<VaultError>();
    }

    #[test]
    fn lock_wipes_key_and_every_decrypted_field() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = new_vault(&dir);
        let details = Details {
            tags: vec!["t".into()],
            favorite: true,
            note: "note".into(),
            icon: crate::core::icon::AccountIcon::badge("IC", None),
        };
        let id = vault.insert(account(), details).unwrap();
        vault
            .add_backup_codes(id, vec![SecretString::from("code-1")])
            .unwrap();
        vault
            .put_server(
                Uuid::new_v4(),
                SecretBytes::from(b"server payload".as_slice()),
            )
            .unwrap();

        // What `lock` does, step by step, so the wiped state can be inspected.
        let mut unlocked = vault.unlocked.take().unwrap();
        unlocked.wipe();
        assert_eq!(unlocked.key.expose(), &[0; 32]);
        let entry = &unlocked.entries[0];
        assert!(entry.account.secret.is_empty());
        assert!(entry.account.issuer.is_empty() && entry.account.name.is_empty());
        assert!(entry.account.extra_params.is_empty());
        assert!(entry.details.tags.is_empty() && entry.details.note.is_empty());
        assert!(entry.details.icon.is_none() && !entry.details.favorite);
        assert!(entry.backup_codes.is_empty());
        assert!(unlocked.servers[0].payload.is_empty());
        drop(unlocked);

        assert!(!vault.is_unlocked());
        assert!(matches!(vault.entries(), Err(VaultError::Locked)));
        assert!(matches!(vault.servers(), Err(VaultError::Locked)));
        vault
            .unlock_with_password(&SecretString::from("pw"))
            .unwrap();
        vault.lock();
        assert!(vault.unlocked.is_none());
        vault.lock();
    }

    #[test]
    fn keyring_slot_round_trip_with_a_memory_store() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = new_vault(&dir);
        let store = MemoryKeyStore::default();
        assert!(matches!(
            vault.unlock_with_keyring(&store),
            Err(VaultError::NoKeyringSlot)
        ));
        vault
            .unlock_with_password(&SecretString::from("pw"))
            .unwrap();
        vault.enable_keyring(&store).unwrap();
        assert!(vault.has_keyring_slot());
        let first_item: Vec<_> = store.0.lock().unwrap().keys().cloned().collect();
        assert_eq!(first_item.len(), 1);
        assert_eq!(first_item[0].0, "tessera-test");
        assert!(first_item[0].1.starts_with(vault.vault_id()));

        vault.lock();
        vault.unlock_with_keyring(&store).unwrap();

        // Enabling again replaces the slot and its item.
        vault.enable_keyring(&store).unwrap();
        let items: Vec<_> = store.0.lock().unwrap().keys().cloned().collect();
        assert_eq!(items.len(), 1);
        assert_ne!(items, first_item);
        vault.lock();
        vault.unlock_with_keyring(&store).unwrap();

        // A wrong key in the keyring: unavailable, fall back to the password.
        let other = MemoryKeyStore::default();
        other
            .store(&items[0].0, &items[0].1, &EnvelopeKey::random().unwrap())
            .unwrap();
        assert!(matches!(
            vault.unlock_with_keyring(&other),
            Err(VaultError::KeyringUnavailable { .. })
        ));
        assert!(matches!(
            vault.unlock_with_keyring(&MemoryKeyStore::default()),
            Err(VaultError::KeyringUnavailable { .. })
        ));
        assert!(!vault.is_unlocked());

        vault
            .unlock_with_password(&SecretString::from("pw"))
            .unwrap();
        vault.disable_keyring(&store).unwrap();
        assert!(store.0.lock().unwrap().is_empty());
        assert!(!vault.has_keyring_slot());
        vault.lock();
        assert!(matches!(
            vault.unlock_with_keyring(&store),
            Err(VaultError::NoKeyringSlot)
        ));
    }

    #[test]
    fn slot_changes_need_the_vault_unlocked() {
        let dir = tempfile::tempdir().unwrap();
        let mut vault = new_vault(&dir);
        vault.lock();
        let pw = SecretString::from("pw");
        assert!(matches!(
            vault.change_password(&pw, &pw, Some(small()), None),
            Err(VaultError::Locked)
        ));
        assert!(matches!(
            vault.enable_keyring(&MemoryKeyStore::default()),
            Err(VaultError::Locked)
        ));
        assert!(matches!(
            vault.snapshot(dir.path().join("b")),
            Err(VaultError::Locked)
        ));
        vault.verify_password(&pw).unwrap();
        assert!(matches!(
            vault.verify_password(&SecretString::from("no")),
            Err(VaultError::WrongPassword)
        ));
    }
}
