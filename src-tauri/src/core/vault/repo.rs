//! Accounts and backup codes: the encrypted rows and the operations of an
//! unlocked [`Vault`] on them (add, update, remove, reorder, search,
//! advance an HOTP counter, mark used, backup codes).
//!
//! Owns: the SQL of `accounts` and `backup_codes`, their associated data
//! (`docs/vault-format.md` §5.1), and keeping the in-memory cache equal to
//! what was committed.
//!
//! Must never: change the cache before the transaction has committed, write
//! a row without a fresh nonce, or return data from a row that failed to
//! authenticate.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::Vault;
use super::db::parse_id;
use super::entry::{AccountEdit, BackupCode, Details, Entry};
use super::envelope::{self, AssociatedData, EnvelopeKey, FORMAT_VERSION};
use super::error::{Result, VaultError};
use super::password_key::PasswordKey;
use super::payload;
use super::slots::map_seal;
use super::sync_rows;
use crate::core::clock::Timestamp;
use crate::core::otp::{self, Account, OtpKind};
use crate::core::secret::SecretString;

pub(super) const ACCOUNTS: &str = "accounts";
pub(super) const BACKUP_CODES: &str = "backup_codes";

pub(super) fn account_ad(id: &str) -> AssociatedData {
    AssociatedData::new("tessera-vault-entry")
        .u8(FORMAT_VERSION)
        .text(ACCOUNTS)
        .text(id)
}

pub(super) fn backup_code_ad(id: &str, account_id: &str) -> AssociatedData {
    AssociatedData::new("tessera-vault-entry")
        .u8(FORMAT_VERSION)
        .text(BACKUP_CODES)
        .text(id)
        .text(account_id)
}

pub(super) fn seal_account(
    key: &EnvelopeKey,
    id: &str,
    account: &Account,
    details: &Details,
) -> Result<Vec<u8>> {
    let json = payload::encode_account(account, details);
    envelope::seal(key, &json, &account_ad(id)).map_err(map_seal)
}

fn open_account(key: &EnvelopeKey, id: &str, sealed: &[u8]) -> Result<(Account, Details)> {
    let json = envelope::open(key, sealed, &account_ad(id))
        .map_err(|_| VaultError::corrupt(ACCOUNTS, id))?;
    payload::decode_account(&json).ok_or_else(|| VaultError::corrupt(ACCOUNTS, id))
}

pub(super) fn seal_backup_code(
    key: &EnvelopeKey,
    id: &str,
    account_id: &str,
    code: &SecretString,
    used_at: Option<Timestamp>,
) -> Result<Vec<u8>> {
    let json = payload::encode_backup_code(code, used_at);
    envelope::seal(key, &json, &backup_code_ad(id, account_id)).map_err(map_seal)
}

pub(super) fn timestamp(value: i64, table: &'static str, id: &str) -> Result<Timestamp> {
    u64::try_from(value)
        .map(Timestamp::from_unix_millis)
        .map_err(|_| VaultError::corrupt(table, id))
}

pub(super) fn db_time(at: Timestamp) -> i64 {
    i64::try_from(at.unix_millis()).unwrap_or(i64::MAX)
}

/// Decrypts every account and backup code. The first row that fails is
/// reported as `Corrupt { table, id }` and nothing is returned.
pub(super) fn load_entries(conn: &Connection, key: &EnvelopeKey) -> Result<Vec<Entry>> {
    load_entries_of(conn, key, |_| true)
}

/// [`load_entries`] for the accounts `wanted` picks (and their backup
/// codes) alone; the other rows are not decrypted.
pub(super) fn load_entries_of(
    conn: &Connection,
    key: &EnvelopeKey,
    wanted: impl Fn(&Uuid) -> bool,
) -> Result<Vec<Entry>> {
    let mut sealed_rows = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT id, position, created_at, updated_at, last_used_at, payload
             FROM accounts ORDER BY position, id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let raw_id: String = row
                .get(0)
                .map_err(|_| VaultError::corrupt(ACCOUNTS, "(unreadable id)"))?;
            let corrupt = || VaultError::corrupt(ACCOUNTS, raw_id.as_str());
            let id = parse_id(&raw_id).ok_or_else(corrupt)?;
            if !wanted(&id) {
                continue;
            }
            let position: i64 = row.get(1).map_err(|_| corrupt())?;
            let created_at: i64 = row.get(2).map_err(|_| corrupt())?;
            let updated_at: i64 = row.get(3).map_err(|_| corrupt())?;
            let last_used_at: Option<i64> = row.get(4).map_err(|_| corrupt())?;
            let sealed = row
                .get_ref(5)
                .map_err(|_| corrupt())?
                .as_blob()
                .map_err(|_| corrupt())?
                .to_vec();
            let times = (created_at, updated_at, last_used_at);
            sealed_rows.push((raw_id, id, position, times, sealed));
        }
    }
    // Opened on all cores (a vault may hold thousands), kept in order.
    let mut entries: Vec<Entry> = sealed_rows
        .par_iter()
        .map(
            |(raw_id, id, position, (created_at, updated_at, last_used_at), sealed)| {
                let (account, details) = open_account(key, raw_id, sealed)?;
                Ok(Entry {
                    id: *id,
                    account,
                    details,
                    position: *position,
                    created_at: timestamp(*created_at, ACCOUNTS, raw_id)?,
                    updated_at: timestamp(*updated_at, ACCOUNTS, raw_id)?,
                    last_used_at: last_used_at
                        .map(|t| timestamp(t, ACCOUNTS, raw_id))
                        .transpose()?,
                    backup_codes: Vec::new(),
                })
            },
        )
        .collect::<Result<_>>()?;
    let by_id: HashMap<Uuid, usize> = entries
        .iter()
        .enumerate()
        .map(|(index, entry)| (entry.id, index))
        .collect();
    let mut stmt = conn.prepare(
        "SELECT id, account_id, created_at, payload FROM backup_codes
         ORDER BY account_id, position, id",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let raw_id: String = row
            .get(0)
            .map_err(|_| VaultError::corrupt(BACKUP_CODES, "(unreadable id)"))?;
        let corrupt = || VaultError::corrupt(BACKUP_CODES, raw_id.as_str());
        let id = parse_id(&raw_id).ok_or_else(corrupt)?;
        let account_raw: String = row.get(1).map_err(|_| corrupt())?;
        let account = parse_id(&account_raw).ok_or_else(corrupt)?;
        if !wanted(&account) {
            continue;
        }
        let index = by_id.get(&account).copied().ok_or_else(corrupt)?;
        let created_at: i64 = row.get(2).map_err(|_| corrupt())?;
        let sealed = row
            .get_ref(3)
            .map_err(|_| corrupt())?
            .as_blob()
            .map_err(|_| corrupt())?;
        let json = envelope::open(key, sealed, &backup_code_ad(&raw_id, &account_raw))
            .map_err(|_| corrupt())?;
        let (code, used_at) = payload::decode_backup_code(&json).ok_or_else(corrupt)?;
        entries[index].backup_codes.push(BackupCode {
            id,
            code,
            created_at: timestamp(created_at, BACKUP_CODES, &raw_id)?,
            used_at,
        });
    }
    Ok(entries)
}

fn next_account_position(tx: &Transaction<'_>) -> Result<i64> {
    Ok(tx.query_row(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM accounts",
        [],
        |r| r.get(0),
    )?)
}

impl Vault {
    /// Every account, in display order.
    ///
    /// `Locked` if the vault is locked.
    pub fn entries(&self) -> Result<&[Entry]> {
        Ok(&self.unlocked()?.entries)
    }

    /// The account `id`.
    pub fn get(&self, id: Uuid) -> Result<&Entry> {
        self.unlocked()?
            .entries
            .iter()
            .find(|e| e.id == id)
            .ok_or_else(|| not_found_account(id))
    }

    /// Accounts whose id, issuer, name or a tag contains `query`, ignoring
    /// case, in display order. Searches the decrypted cache only.
    pub fn search(&self, query: &str) -> Result<Vec<&Entry>> {
        let query = query.trim().to_lowercase();
        Ok(self
            .unlocked()?
            .entries
            .iter()
            .filter(|e| e.matches(&query))
            .collect())
    }

    /// Adds an account at the end; returns its new id.
    ///
    /// `InvalidAccount` if `account` does not validate.
    pub fn insert(&mut self, account: Account, details: Details) -> Result<Uuid> {
        let mut ids = self.insert_many([(account, details)])?;
        ids.pop()
            .ok_or_else(|| VaultError::invalid("nothing inserted"))
    }

    /// Adds accounts at the end in one transaction (all or none); returns
    /// their ids in order.
    pub fn insert_many(
        &mut self,
        items: impl IntoIterator<Item = (Account, Details)>,
    ) -> Result<Vec<Uuid>> {
        let now = self.clock.now();
        let now_db = db_time(now);
        let items: Vec<(Account, Details)> = items.into_iter().collect();
        for (account, _) in &items {
            account.validate()?;
        }
        let (tx, unlocked) = self.write()?;

        let mut position = next_account_position(&tx)?;
        let mut new_entries = Vec::with_capacity(items.len());
        {
            let mut stmt = tx.prepare(
                "INSERT INTO accounts (id, position, created_at, updated_at, last_used_at, payload)
                 VALUES (?1, ?2, ?3, ?3, NULL, ?4)",
            )?;
            for (account, details) in items {
                let id = Uuid::new_v4();
                let id_text = id.hyphenated().to_string();
                let sealed = seal_account(&unlocked.key, &id_text, &account, &details)?;
                stmt.execute(params![id_text, position, now_db, sealed])?;
                new_entries.push(Entry {
                    id,
                    account,
                    details,
                    position,
                    created_at: now,
                    updated_at: now,
                    last_used_at: None,
                    backup_codes: Vec::new(),
                });
                position += 1;
            }
        }
        tx.commit(&unlocked.key)?;
        let ids = new_entries.iter().map(|e| e.id).collect();
        unlocked.entries.extend(new_entries);
        Ok(ids)
    }

    /// Applies what the user changed of `id`: names (trimmed), algorithm,
    /// digits, period, tags, note and favourite mark. The secret, kind,
    /// counter, icon and extra URI parameters stay; parameters the kind does
    /// not allow (Steam with another algorithm, 3 digits) are refused with
    /// the URI parser's error and change nothing.
    pub fn edit(&mut self, id: Uuid, edit: AccountEdit) -> Result<()> {
        let entry = self.get(id)?;
        let mut account = entry.account.clone();
        edit.issuer.trim().clone_into(&mut account.issuer);
        edit.name.trim().clone_into(&mut account.name);
        account.algorithm = edit.algorithm;
        account.digits = edit.digits;
        if let (OtpKind::Totp { period } | OtpKind::Steam { period }, Some(new)) =
            (&mut account.kind, edit.period)
        {
            *period = new;
        }
        let details = Details {
            tags: edit.tags,
            favorite: edit.favorite,
            note: edit.note,
            icon: entry.details.icon.clone(),
        };
        self.update(id, account, details)
    }

    /// Replaces the account and details of `id` (its backup codes, times
    /// and position stay).
    pub fn update(&mut self, id: Uuid, account: Account, details: Details) -> Result<()> {
        account.validate()?;
        let now = self.clock.now();
        let (tx, unlocked) = self.write()?;
        let index = find(&unlocked.entries, id)?;
        let id_text = id.hyphenated().to_string();
        let sealed = seal_account(&unlocked.key, &id_text, &account, &details)?;

        let changed = tx.execute(
            "UPDATE accounts SET payload = ?2, updated_at = ?3 WHERE id = ?1",
            params![id_text, sealed, db_time(now)],
        )?;
        if changed != 1 {
            return Err(not_found_account(id));
        }
        tx.commit(&unlocked.key)?;
        let entry = &mut unlocked.entries[index];
        entry.account = account;
        entry.details = details;
        entry.updated_at = now;
        Ok(())
    }

    /// Deletes `id` and its backup codes.
    pub fn remove(&mut self, id: Uuid) -> Result<()> {
        let now = self.clock.now();
        let (tx, unlocked) = self.write()?;
        let index = find(&unlocked.entries, id)?;

        let changed = tx.execute(
            "DELETE FROM accounts WHERE id = ?1",
            params![id.hyphenated().to_string()],
        )?;
        if changed != 1 {
            return Err(not_found_account(id));
        }
        sync_rows::note_removed(&tx, id, now)?;
        tx.commit(&unlocked.key)?;
        unlocked.entries.remove(index);
        Ok(())
    }

    /// Puts the accounts in the order of `ids`, which must name every
    /// account exactly once.
    pub fn reorder(&mut self, ids: &[Uuid]) -> Result<()> {
        let (tx, unlocked) = self.write()?;
        let wanted: HashSet<Uuid> = ids.iter().copied().collect();
        let have: HashSet<Uuid> = unlocked.entries.iter().map(|e| e.id).collect();
        if wanted.len() != ids.len() || wanted != have {
            return Err(VaultError::invalid(
                "a new order must name every account exactly once",
            ));
        }

        let stored: i64 = tx.query_row("SELECT COUNT(*) FROM accounts", [], |r| r.get(0))?;
        if usize::try_from(stored).ok() != Some(ids.len()) {
            return Err(VaultError::invalid(
                "the accounts changed in another window; reload and try again",
            ));
        }
        {
            let mut stmt = tx.prepare("UPDATE accounts SET position = ?2 WHERE id = ?1")?;
            for (position, id) in (0i64..).zip(ids) {
                if stmt.execute(params![id.hyphenated().to_string(), position])? != 1 {
                    return Err(not_found_account(*id));
                }
            }
        }
        tx.commit(&unlocked.key)?;
        let order: HashMap<Uuid, i64> = ids.iter().copied().zip(0i64..).collect();
        for entry in &mut unlocked.entries {
            entry.position = order.get(&entry.id).copied().unwrap_or(i64::MAX);
        }
        unlocked.entries.sort_by_key(|e| e.position);
        Ok(())
    }

    /// Takes the next HOTP code's counter: in one transaction, reads the
    /// stored counter `c`, stores `c + 1` and the last-used time. Returns
    /// the account with counter `c`, the one the code to show must be
    /// computed from. Reads the row from the file, not the cache, so two
    /// processes never hand out the same counter.
    ///
    /// `Invalid` if the account is not HOTP or its counter is exhausted.
    pub fn next_hotp(&mut self, id: Uuid) -> Result<Account> {
        let now = self.clock.now();
        let (tx, unlocked) = self.write()?;
        let index = find(&unlocked.entries, id)?;
        let id_text = id.hyphenated().to_string();

        let sealed: Vec<u8> = tx
            .query_row(
                "SELECT payload FROM accounts WHERE id = ?1",
                params![id_text],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| not_found_account(id))?;
        let (mut account, details) = open_account(&unlocked.key, &id_text, &sealed)?;
        let OtpKind::Hotp { counter } = account.kind else {
            return Err(VaultError::invalid("not an HOTP account"));
        };
        let next = counter
            .checked_add(1)
            .ok_or_else(|| VaultError::invalid("the HOTP counter is exhausted"))?;
        account.kind = OtpKind::Hotp { counter: next };
        let resealed = seal_account(&unlocked.key, &id_text, &account, &details)?;
        let now_db = db_time(now);
        tx.execute(
            "UPDATE accounts SET payload = ?2, updated_at = ?3, last_used_at = ?3 WHERE id = ?1",
            params![id_text, resealed, now_db],
        )?;
        tx.commit(&unlocked.key)?;
        let entry = &mut unlocked.entries[index];
        entry.account = account.clone();
        entry.details = details;
        entry.updated_at = now;
        entry.last_used_at = Some(now);
        account.kind = OtpKind::Hotp { counter };
        Ok(account)
    }

    /// Uses a code of `id` as a person does when they copy or print it:
    /// an HOTP account hands out its next counter ([`next_hotp`](Self::next_hotp)),
    /// any other is marked used; the code is computed at `at`. Returns the
    /// account as the code was computed from it (HOTP: at the counter
    /// handed out) and the code.
    ///
    /// `NotFound`; `Invalid` for an exhausted HOTP counter;
    /// `InvalidAccount` when no code can be computed.
    pub fn use_code(&mut self, id: Uuid, at: Timestamp) -> Result<(Account, otp::Code)> {
        let account = if matches!(self.get(id)?.account.kind, OtpKind::Hotp { .. }) {
            self.next_hotp(id)?
        } else {
            self.mark_used(id)?;
            self.get(id)?.account.clone()
        };
        let code = otp::generate(&account, at)?;
        Ok((account, code))
    }

    /// Records that a code of `id` was just used (copied, shown on demand).
    pub fn mark_used(&mut self, id: Uuid) -> Result<()> {
        let now = self.clock.now();
        let (tx, unlocked) = self.write()?;
        let index = find(&unlocked.entries, id)?;

        let changed = tx.execute(
            "UPDATE accounts SET last_used_at = ?2 WHERE id = ?1",
            params![id.hyphenated().to_string(), db_time(now)],
        )?;
        if changed != 1 {
            return Err(not_found_account(id));
        }
        tx.commit(&unlocked.key)?;
        unlocked.entries[index].last_used_at = Some(now);
        Ok(())
    }

    /// The backup codes of `account_id`, in the order they were added.
    pub fn backup_codes(&self, account_id: Uuid) -> Result<&[BackupCode]> {
        Ok(&self.get(account_id)?.backup_codes)
    }

    /// [`backup_codes`](Self::backup_codes) for showing them to the user:
    /// only with the vault password typed again (`WrongPassword`), so that
    /// a page that asks cannot read them without the user.
    pub fn reveal_backup_codes(
        &self,
        account_id: Uuid,
        password: &PasswordKey,
    ) -> Result<&[BackupCode]> {
        self.verify_password_key(password)?;
        self.backup_codes(account_id)
    }

    /// The account `id` with its secret, for showing it (as a QR code or
    /// text): only with the vault password typed again (`WrongPassword`).
    pub fn reveal_account(&self, id: Uuid, password: &PasswordKey) -> Result<&Account> {
        self.verify_password_key(password)?;
        Ok(&self.get(id)?.account)
    }

    /// Adds backup codes to `account_id` in one transaction; returns their
    /// ids. Surrounding white space is removed; empty codes are refused.
    pub fn add_backup_codes(
        &mut self,
        account_id: Uuid,
        codes: Vec<SecretString>,
    ) -> Result<Vec<Uuid>> {
        let now = self.clock.now();
        let now_db = db_time(now);
        let (tx, unlocked) = self.write()?;
        let index = find(&unlocked.entries, account_id)?;
        let codes: Vec<SecretString> = codes
            .into_iter()
            .map(|c| SecretString::from(c.expose().trim()))
            .collect();
        if codes.iter().any(SecretString::is_empty) {
            return Err(VaultError::invalid("a backup code is empty"));
        }
        let account_text = account_id.hyphenated().to_string();

        let mut position: i64 = tx.query_row(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM backup_codes WHERE account_id = ?1",
            params![account_text],
            |r| r.get(0),
        )?;
        let mut added = Vec::with_capacity(codes.len());
        {
            let mut stmt = tx.prepare(
                "INSERT INTO backup_codes (id, account_id, position, created_at, payload)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for code in codes {
                let id = Uuid::new_v4();
                let id_text = id.hyphenated().to_string();
                let sealed = seal_backup_code(&unlocked.key, &id_text, &account_text, &code, None)?;
                stmt.execute(params![id_text, account_text, position, now_db, sealed])
                    .map_err(|e| match e.sqlite_error_code() {
                        Some(rusqlite::ErrorCode::ConstraintViolation) => {
                            not_found_account(account_id)
                        }
                        _ => VaultError::Database(e),
                    })?;
                position += 1;
                added.push(BackupCode {
                    id,
                    code,
                    created_at: now,
                    used_at: None,
                });
            }
        }
        tx.commit(&unlocked.key)?;
        let ids = added.iter().map(|c| c.id).collect();
        unlocked.entries[index].backup_codes.extend(added);
        Ok(ids)
    }

    /// Marks the backup code `code_id` of `account_id` as used now.
    ///
    /// `Invalid` if it was already used.
    pub fn mark_backup_code_used(&mut self, account_id: Uuid, code_id: Uuid) -> Result<()> {
        let now = self.clock.now();
        let (tx, unlocked) = self.write()?;
        let index = find(&unlocked.entries, account_id)?;
        let code_index = unlocked.entries[index]
            .backup_codes
            .iter()
            .position(|c| c.id == code_id)
            .ok_or_else(|| VaultError::NotFound {
                what: "backup code",
                id: code_id.hyphenated().to_string(),
            })?;
        let code = &unlocked.entries[index].backup_codes[code_index];
        if code.used_at.is_some() {
            return Err(VaultError::invalid(format!(
                "backup code {code_id} was already used"
            )));
        }
        let (id_text, account_text) = (
            code_id.hyphenated().to_string(),
            account_id.hyphenated().to_string(),
        );
        let sealed = seal_backup_code(
            &unlocked.key,
            &id_text,
            &account_text,
            &code.code,
            Some(now),
        )?;

        let changed = tx.execute(
            "UPDATE backup_codes SET payload = ?3 WHERE id = ?1 AND account_id = ?2",
            params![id_text, account_text, sealed],
        )?;
        if changed != 1 {
            return Err(VaultError::NotFound {
                what: "backup code",
                id: id_text,
            });
        }
        tx.commit(&unlocked.key)?;
        unlocked.entries[index].backup_codes[code_index].used_at = Some(now);
        Ok(())
    }

    /// Finds the unused backup code of `account_id` equal to `code`
    /// (ignoring case, spaces and hyphens), marks it used and returns its id.
    ///
    /// `NotFound` if no code matches; `Invalid` if the only match was used.
    pub fn use_backup_code(&mut self, account_id: Uuid, code: &str) -> Result<Uuid> {
        let wanted = normalize_code(code);
        let codes = self.backup_codes(account_id)?;
        let matching: Vec<&BackupCode> = codes
            .iter()
            .filter(|c| *normalize_code(c.code.expose()) == *wanted)
            .collect();
        let id = match matching.iter().find(|c| c.used_at.is_none()) {
            Some(unused) => unused.id,
            None if matching.is_empty() => {
                return Err(VaultError::NotFound {
                    what: "matching backup code for account",
                    id: account_id.hyphenated().to_string(),
                });
            }
            None => return Err(VaultError::invalid("that backup code was already used")),
        };
        self.mark_backup_code_used(account_id, id)?;
        Ok(id)
    }

    /// Deletes one backup code.
    pub fn remove_backup_code(&mut self, account_id: Uuid, code_id: Uuid) -> Result<()> {
        let now = self.clock.now();
        let (tx, unlocked) = self.write()?;
        let index = find(&unlocked.entries, account_id)?;

        let changed = tx.execute(
            "DELETE FROM backup_codes WHERE id = ?1 AND account_id = ?2",
            params![
                code_id.hyphenated().to_string(),
                account_id.hyphenated().to_string()
            ],
        )?;
        if changed != 1 {
            return Err(VaultError::NotFound {
                what: "backup code",
                id: code_id.hyphenated().to_string(),
            });
        }
        sync_rows::note_removed(&tx, code_id, now)?;
        tx.commit(&unlocked.key)?;
        unlocked.entries[index]
            .backup_codes
            .retain(|c| c.id != code_id);
        Ok(())
    }
}

fn find(entries: &[Entry], id: Uuid) -> Result<usize> {
    entries
        .iter()
        .position(|e| e.id == id)
        .ok_or_else(|| not_found_account(id))
}

fn not_found_account(id: Uuid) -> VaultError {
    VaultError::NotFound {
        what: "account",
        id: id.hyphenated().to_string(),
    }
}

fn normalize_code(code: &str) -> Zeroizing<String> {
    Zeroizing::new(
        code.chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_lowercase)
            .collect(),
    )
}
