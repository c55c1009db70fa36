//! The encrypted vault against real files: round trips, wrong password,
//! every single-byte flip, a writer killed with SIGKILL, migration from
//! v1 and v2 files built from the spec, servers (opaque sealed payloads),
//! an independent decryptor written from `docs/vault-format.md`, the OS
//! keyring (real Secret Service when
//! `TESSERA_KEYRING_TESTS=1`), snapshots, and errors that carry no secret.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::types::Value;
use tessera::core::clock::FixedClock;
use tessera::core::otp::{Account, Algorithm, OtpKind};
use tessera::core::secret::{SecretBytes, SecretString};
use tessera::core::vault::{
    AccountEdit, Details, EnvelopeKey, KdfParams, KeyStore, OsKeyring, SCHEMA_VERSION, Vault,
    VaultError,
};

const PASSWORD: &str = "correct horse battery staple";
const CHILD_PATH_VAR: &str = "TESSERA_VAULT_TEST_CHILD_PATH";

fn password() -> SecretString {
    SecretString::from(PASSWORD)
}

fn small_kdf() -> KdfParams {
    KdfParams::new(64, 2, 1).unwrap()
}

fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_unix_seconds(1_700_000_000))
}

fn secret_for(i: u64) -> SecretBytes {
    let mut bytes = b"seed-".to_vec();
    bytes.extend_from_slice(&i.to_be_bytes());
    SecretBytes::new(bytes)
}

fn totp(i: u64) -> Account {
    Account {
        issuer: format!("Issuer {i}"),
        name: format!("user{i}@example.com"),
        secret: secret_for(i),
        algorithm: Algorithm::Sha256,
        digits: 8,
        kind: OtpKind::Totp { period: 30 },
        extra_params: vec![("image".into(), format!("https://example.com/{i}.png"))],
    }
}

fn hotp(counter: u64) -> Account {
    Account {
        issuer: "Counter Corp".into(),
        name: "hotp".into(),
        secret: SecretBytes::from(b"12345678901234567890".as_slice()),
        algorithm: Algorithm::Sha1,
        digits: 6,
        kind: OtpKind::Hotp { counter },
        extra_params: Vec::new(),
    }
}

fn steam() -> Account {
    Account {
        issuer: "Steam".into(),
        name: "gamer".into(),
        secret: SecretBytes::from(vec![0xAB; 20]),
        algorithm: Algorithm::Sha1,
        digits: 5,
        kind: OtpKind::Steam { period: 30 },
        extra_params: Vec::new(),
    }
}

fn details(tag: &str) -> Details {
    Details {
        tags: vec![tag.to_owned(), "all".into()],
        favorite: tag == "work",
        note: format!("note about {tag}"),
        icon: tessera::core::icon::AccountIcon::badge(tag, Some("#336699")),
    }
}

/// A vault file in its own temporary directory.
struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vault.tessera");
        Self { _dir: dir, path }
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap()
    }

    fn create(&self) -> Vault {
        Vault::create(&self.path, &password(), small_kdf(), clock()).unwrap()
    }

    fn open(&self) -> Result<Vault, VaultError> {
        Vault::open(&self.path, clock())
    }

    fn unlock(&self) -> Result<Vault, VaultError> {
        let mut vault = self.open()?;
        vault.unlock_with_password(&password())?;
        Ok(vault)
    }

    fn sql(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(&self.path).unwrap();
        conn.execute_batch("PRAGMA ignore_check_constraints = ON; PRAGMA foreign_keys = OFF;")
            .unwrap();
        conn
    }
}

/// A key store in memory, standing in for the OS keyring.
#[derive(Default)]
struct MemoryStore(Mutex<Vec<(String, String, Vec<u8>)>>);

impl KeyStore for MemoryStore {
    fn service(&self) -> &'static str {
        "tessera-test-memory"
    }
    fn store(&self, service: &str, user: &str, key: &EnvelopeKey) -> Result<(), VaultError> {
        let mut items = self.0.lock().unwrap();
        items.retain(|(s, u, _)| !(s == service && u == user));
        items.push((service.into(), user.into(), key.expose().to_vec()));
        Ok(())
    }
    fn load(&self, service: &str, user: &str) -> Result<EnvelopeKey, VaultError> {
        let items = self.0.lock().unwrap();
        items
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

/// A vault with one account of each kind, a backup code and a keyring
/// slot; returns the ids.
fn populated(fx: &Fixture) -> (Vault, Vec<uuid::Uuid>) {
    let mut vault = fx.create();
    let ids = vault
        .insert_many([
            (totp(1), details("work")),
            (hotp(5), details("bank")),
            (steam(), Details::default()),
        ])
        .unwrap();
    vault
        .add_backup_codes(
            ids[0],
            vec![
                SecretString::from("aaaa-bbbb"),
                SecretString::from("cccc-dddd"),
            ],
        )
        .unwrap();
    vault
        .put_server(uuid::Uuid::new_v4(), server_payload("one"))
        .unwrap();
    (vault, ids)
}

/// An opaque server payload, as the server module would store it.
fn server_payload(tag: &str) -> SecretBytes {
    SecretBytes::new(
        format!(r#"{{"name":"srv-{tag}","password":"server-pw-{tag}","token":"tok-{tag}"}}"#)
            .into_bytes(),
    )
}

/// The id of the first server row.
fn first_server_id(fx: &Fixture) -> String {
    fx.sql()
        .query_row(
            "SELECT id FROM servers ORDER BY position LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

// ---------------------------------------------------------------------------
// Round trips and operations

#[test]
fn create_add_reopen_round_trip() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    let before = vault.entries().unwrap().to_vec();
    assert_eq!(before.len(), 3);
    assert_eq!(before.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    vault.lock();
    drop(vault);

    let vault = fx.unlock().unwrap();
    assert_eq!(vault.entries().unwrap(), before.as_slice());
    let first = vault.get(ids[0]).unwrap();
    assert_eq!(first.account, totp(1));
    assert_eq!(first.details, details("work"));
    assert_eq!(first.backup_codes.len(), 2);
    assert_eq!(first.backup_codes[1].code.expose(), "cccc-dddd");
    assert_eq!(first.created_at.unix_seconds(), 1_700_000_000);
    assert_eq!(vault.password_kdf(), Some(small_kdf()));
}

#[test]
fn servers_round_trip_update_remove_and_lock() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    assert!(vault.servers().unwrap().is_empty());
    let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    vault.put_server(a, server_payload("a")).unwrap();
    vault.put_server(b, server_payload("b")).unwrap();
    // Putting an existing id replaces its payload, in place.
    vault.put_server(a, server_payload("a2")).unwrap();
    let before = vault.servers().unwrap().to_vec();
    assert_eq!(before.iter().map(|s| s.id).collect::<Vec<_>>(), [a, b]);
    assert_eq!(before[0].payload, server_payload("a2"));
    assert_eq!(before[0].position, 0);
    assert_eq!(before[1].position, 1);
    assert_eq!(vault.server(b).unwrap().payload, server_payload("b"));
    let debug = format!("{before:?}");
    assert!(
        !debug.contains("server-pw") && !debug.contains("tok-"),
        "{debug}"
    );
    drop(vault);

    // Nothing of a payload is in the file in clear text.
    let bytes = std::fs::read(&fx.path).unwrap();
    let wal = std::fs::read(fx.dir().join("vault.tessera-wal")).unwrap_or_default();
    for file in [&bytes, &wal] {
        for word in [&b"server-pw-"[..], b"tok-a", b"srv-"] {
            assert!(!file.windows(word.len()).any(|w| w == word));
        }
    }

    let mut vault = fx.unlock().unwrap();
    assert_eq!(vault.servers().unwrap(), before.as_slice());
    vault.remove_server(a).unwrap();
    assert!(matches!(
        vault.remove_server(a),
        Err(VaultError::NotFound { what: "server", .. })
    ));
    assert!(matches!(
        vault.server(a),
        Err(VaultError::NotFound { what: "server", .. })
    ));
    // Another handle sees the change after a refresh.
    let mut other = fx.unlock().unwrap();
    other.put_server(a, server_payload("c")).unwrap();
    assert!(vault.refresh().unwrap());
    assert_eq!(
        vault
            .servers()
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect::<Vec<_>>(),
        [b, a]
    );
    assert_eq!(vault.server(a).unwrap().payload, server_payload("c"));

    vault.lock();
    assert!(matches!(vault.servers(), Err(VaultError::Locked)));
    assert!(matches!(
        vault.put_server(a, server_payload("d")),
        Err(VaultError::Locked)
    ));
    assert!(matches!(vault.remove_server(a), Err(VaultError::Locked)));
    vault.unlock_with_password(&password()).unwrap();
    assert_eq!(vault.servers().unwrap().len(), 2);
}

#[test]
fn wrong_password_is_refused_and_changes_nothing() {
    let fx = Fixture::new();
    drop(populated(&fx));
    let before = std::fs::read(&fx.path).unwrap();
    let mut vault = fx.open().unwrap();
    for wrong in [
        "",
        "correct horse battery stapl",
        "Correct horse battery staple",
    ] {
        let err = vault
            .unlock_with_password(&SecretString::from(wrong))
            .unwrap_err();
        assert!(matches!(err, VaultError::WrongPassword), "{err:?}");
        assert!(!vault.is_unlocked());
    }
    drop(vault);
    assert_eq!(std::fs::read(&fx.path).unwrap(), before);
}

#[test]
fn locked_vault_refuses_everything() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    vault.lock();
    assert!(!vault.is_unlocked());
    assert!(matches!(vault.entries(), Err(VaultError::Locked)));
    assert!(matches!(vault.get(ids[0]), Err(VaultError::Locked)));
    assert!(matches!(vault.search("x"), Err(VaultError::Locked)));
    assert!(matches!(
        vault.insert(totp(9), Details::default()),
        Err(VaultError::Locked)
    ));
    assert!(matches!(vault.next_hotp(ids[1]), Err(VaultError::Locked)));
    assert!(matches!(vault.remove(ids[0]), Err(VaultError::Locked)));
    assert!(matches!(
        vault.backup_codes(ids[0]),
        Err(VaultError::Locked)
    ));
    assert!(matches!(
        vault.snapshot(fx.dir().join("s")),
        Err(VaultError::Locked)
    ));
    vault.unlock_with_password(&password()).unwrap();
    assert_eq!(vault.entries().unwrap().len(), 3);
}

#[test]
fn search_matches_issuer_name_tag_and_id() {
    let fx = Fixture::new();
    let (vault, ids) = populated(&fx);
    let found = |q: &str| {
        vault
            .search(q)
            .unwrap()
            .iter()
            .map(|e| e.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(found("issuer 1"), vec![ids[0]]);
    assert_eq!(found("COUNTER"), vec![ids[1]]);
    assert_eq!(found("GAMER"), vec![ids[2]]);
    assert_eq!(found("bank"), vec![ids[1]]);
    assert_eq!(found("all"), vec![ids[0], ids[1]]);
    assert_eq!(found(""), ids);
    assert_eq!(
        found(&ids[2].to_string()[9..18].to_uppercase()),
        vec![ids[2]]
    );
    assert!(found("nothing like this").is_empty());
}

#[test]
fn update_remove_reorder_and_mark_used_persist() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    let clock_handle = clock();
    drop(clock_handle);
    let mut changed = totp(1);
    changed.issuer = "Renamed".into();
    vault
        .update(ids[0], changed.clone(), details("home"))
        .unwrap();
    vault.remove(ids[2]).unwrap();
    assert!(matches!(
        vault.remove(ids[2]),
        Err(VaultError::NotFound { .. })
    ));
    vault.reorder(&[ids[1], ids[0]]).unwrap();
    assert!(matches!(
        vault.reorder(&[ids[1]]),
        Err(VaultError::Invalid { .. })
    ));
    assert!(matches!(
        vault.reorder(&[ids[1], ids[1]]),
        Err(VaultError::Invalid { .. })
    ));
    vault.mark_used(ids[0]).unwrap();
    let mut invalid = totp(2);
    invalid.digits = 3;
    assert!(matches!(
        vault.insert(invalid, Details::default()),
        Err(VaultError::InvalidAccount(_))
    ));
    drop(vault);

    let vault = fx.unlock().unwrap();
    let entries = vault.entries().unwrap();
    assert_eq!(
        entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![ids[1], ids[0]]
    );
    assert_eq!(entries[1].account, changed);
    assert_eq!(entries[1].details, details("home"));
    assert!(entries[1].last_used_at.is_some());
    assert_eq!(
        entries[1].backup_codes.len(),
        2,
        "update keeps backup codes"
    );
    assert!(matches!(
        vault.get(ids[2]),
        Err(VaultError::NotFound { .. })
    ));
}

/// The edit that changes nothing of `entry` but what a test sets after.
fn edit_of(account: &Account, details: &Details) -> AccountEdit {
    AccountEdit {
        issuer: account.issuer.clone(),
        name: account.name.clone(),
        algorithm: account.algorithm,
        digits: account.digits,
        period: account.period(),
        tags: details.tags.clone(),
        note: details.note.clone(),
        favorite: details.favorite,
    }
}

#[test]
fn an_edit_changes_the_code_parameters_and_keeps_secret_counter_and_codes() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    let before = vault.get(ids[0]).unwrap().clone();

    // TOTP: names trimmed, algorithm, digits and period as asked.
    let mut edit = edit_of(&before.account, &before.details);
    edit.issuer = "  Renamed  ".into();
    edit.algorithm = Algorithm::Sha512;
    edit.digits = 6;
    edit.period = Some(60);
    edit.favorite = true;
    vault.edit(ids[0], edit).unwrap();

    // HOTP: the counter stays whatever period is sent.
    let hotp_entry = vault.get(ids[1]).unwrap().clone();
    let mut edit = edit_of(&hotp_entry.account, &hotp_entry.details);
    edit.digits = 8;
    edit.period = Some(45);
    vault.edit(ids[1], edit).unwrap();

    // Steam: another algorithm or 6 digits is refused and changes nothing.
    let steam_entry = vault.get(ids[2]).unwrap().clone();
    for (algorithm, digits) in [(Algorithm::Sha256, 5), (Algorithm::Sha1, 6)] {
        let mut edit = edit_of(&steam_entry.account, &steam_entry.details);
        edit.algorithm = algorithm;
        edit.digits = digits;
        assert!(
            matches!(vault.edit(ids[2], edit), Err(VaultError::InvalidAccount(_))),
            "{algorithm:?} {digits}"
        );
    }
    drop(vault);

    let vault = fx.unlock().unwrap();
    let totp_after = vault.get(ids[0]).unwrap();
    assert_eq!(totp_after.account.issuer, "Renamed");
    assert_eq!(totp_after.account.algorithm, Algorithm::Sha512);
    assert_eq!(totp_after.account.digits, 6);
    assert_eq!(totp_after.account.kind, OtpKind::Totp { period: 60 });
    assert!(totp_after.details.favorite);
    assert!(
        totp_after.account.secret == before.account.secret,
        "the secret stays"
    );
    assert_eq!(totp_after.account.extra_params, before.account.extra_params);
    assert_eq!(totp_after.backup_codes.len(), 2, "backup codes stay");
    let hotp_after = vault.get(ids[1]).unwrap();
    assert_eq!(hotp_after.account.kind, OtpKind::Hotp { counter: 5 });
    assert_eq!(hotp_after.account.digits, 8);
    assert_eq!(vault.get(ids[2]).unwrap().account, steam_entry.account);
}

#[test]
fn hotp_counter_advances_atomically_with_the_code() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    let used = vault.next_hotp(ids[1]).unwrap();
    assert_eq!(
        used.kind,
        OtpKind::Hotp { counter: 5 },
        "the code is computed from the stored counter"
    );
    assert_eq!(
        vault.get(ids[1]).unwrap().account.kind,
        OtpKind::Hotp { counter: 6 }
    );
    assert!(vault.get(ids[1]).unwrap().last_used_at.is_some());
    assert!(matches!(
        vault.next_hotp(ids[0]),
        Err(VaultError::Invalid { .. })
    ));

    // A second process advancing the same counter never gets the same value.
    let mut other = fx.unlock().unwrap();
    assert_eq!(
        other.next_hotp(ids[1]).unwrap().kind,
        OtpKind::Hotp { counter: 6 }
    );
    assert_eq!(
        vault.next_hotp(ids[1]).unwrap().kind,
        OtpKind::Hotp { counter: 7 }
    );
    drop((vault, other));
    let vault = fx.unlock().unwrap();
    assert_eq!(
        vault.get(ids[1]).unwrap().account.kind,
        OtpKind::Hotp { counter: 8 }
    );
}

#[test]
fn backup_codes_add_list_use() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    let added = vault
        .add_backup_codes(
            ids[1],
            vec![
                SecretString::from(" 1111 2222 "),
                SecretString::from("3333-4444"),
            ],
        )
        .unwrap();
    assert!(matches!(
        vault.add_backup_codes(ids[1], vec![SecretString::from("  ")]),
        Err(VaultError::Invalid { .. })
    ));
    let codes = vault.backup_codes(ids[1]).unwrap();
    assert_eq!(codes.iter().map(|c| c.id).collect::<Vec<_>>(), added);
    assert_eq!(codes[0].code.expose(), "1111 2222");
    assert!(codes.iter().all(|c| c.used_at.is_none()));

    assert_eq!(vault.use_backup_code(ids[1], "33334444").unwrap(), added[1]);
    assert!(matches!(
        vault.use_backup_code(ids[1], "3333-4444"),
        Err(VaultError::Invalid { .. })
    ));
    assert!(matches!(
        vault.use_backup_code(ids[1], "9999"),
        Err(VaultError::NotFound { .. })
    ));
    vault.mark_backup_code_used(ids[1], added[0]).unwrap();
    assert!(matches!(
        vault.mark_backup_code_used(ids[1], added[0]),
        Err(VaultError::Invalid { .. })
    ));
    let first_code = vault.backup_codes(ids[0]).unwrap()[0].id;
    vault.remove_backup_code(ids[0], first_code).unwrap();
    drop(vault);

    let mut vault = fx.unlock().unwrap();
    let codes = vault.backup_codes(ids[1]).unwrap();
    assert!(codes.iter().all(|c| c.used_at.is_some()));
    assert_eq!(vault.backup_codes(ids[0]).unwrap().len(), 1);
    vault.remove(ids[1]).unwrap();
    let left: i64 = fx
        .sql()
        .query_row("SELECT COUNT(*) FROM backup_codes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 1, "removing an account removes its backup codes");
}

/// Every sealed payload of the file, by table and id.
fn sealed_payloads(fx: &Fixture) -> Vec<(String, String, Vec<u8>)> {
    let conn = fx.sql();
    let mut all = Vec::new();
    for table in ["accounts", "backup_codes", "servers"] {
        let mut stmt = conn
            .prepare(&format!("SELECT id, payload FROM {table} ORDER BY id"))
            .unwrap();
        all.extend(
            stmt.query_map([], |r| Ok((table.to_owned(), r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(Result::unwrap),
        );
    }
    all
}

#[test]
fn change_password_rotates_the_key_and_seals_every_row_again() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    let codes = vault.backup_codes(ids[0]).unwrap().len();
    let before = sealed_payloads(&fx);
    assert!(before.iter().any(|(t, _, _)| t == "backup_codes"));
    assert!(before.iter().any(|(t, _, _)| t == "servers"));
    let new = SecretString::from("a new password");
    assert!(matches!(
        vault.change_password(&SecretString::from("nope"), &new, Some(small_kdf()), None),
        Err(VaultError::WrongPassword)
    ));
    assert_eq!(
        sealed_payloads(&fx),
        before,
        "a wrong password changes nothing"
    );
    let stronger = KdfParams::new(128, 3, 2).unwrap();
    let changed = vault
        .change_password(&password(), &new, Some(stronger), None)
        .unwrap();
    assert!(changed.keyring_kept, "there was no keyring slot to lose");
    let after = sealed_payloads(&fx);
    assert_eq!(after.len(), before.len());
    for ((table, id, old), (_, _, new)) in before.iter().zip(&after) {
        assert_ne!(old, new, "{table} {id} is sealed again");
    }
    // The handle that changed it goes on with the new key.
    let added = vault.insert(totp(77), Details::default()).unwrap();
    drop(vault);

    let mut vault = fx.open().unwrap();
    assert!(matches!(
        vault.unlock_with_password(&password()),
        Err(VaultError::WrongPassword)
    ));
    vault.unlock_with_password(&new).unwrap();
    assert_eq!(vault.entries().unwrap().len(), 4);
    assert_eq!(vault.backup_codes(ids[0]).unwrap().len(), codes);
    assert_eq!(vault.get(added).unwrap().account, totp(77));
    assert_eq!(vault.servers().unwrap().len(), 1);
    assert_eq!(vault.password_kdf(), Some(stronger));
}

/// Issue 15, item 2: an old copy's slots and header check put into the
/// current file, with the old password, must not read what was written
/// after the password changed.
#[test]
fn an_old_copys_slots_and_the_old_password_do_not_open_later_writes() {
    let fx = Fixture::new();
    let (mut vault, _) = populated(&fx);
    let keys = |fx: &Fixture| -> (Vec<u8>, Vec<Vec<Value>>) {
        let conn = fx.sql();
        let check = conn
            .query_row("SELECT header_check FROM header", [], |r| r.get(0))
            .unwrap();
        let mut stmt = conn.prepare("SELECT * FROM slots").unwrap();
        let columns = stmt.column_count();
        let slots = stmt
            .query_map([], |r| (0..columns).map(|i| r.get(i)).collect())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        (check, slots)
    };
    let (old_check, old_slots) = keys(&fx);
    let new = SecretString::from("the new password");
    vault
        .change_password(&password(), &new, Some(small_kdf()), None)
        .unwrap();
    let later = vault.insert(totp(99), Details::default()).unwrap();
    drop(vault);

    let conn = fx.sql();
    conn.execute("DELETE FROM slots", []).unwrap();
    for slot in &old_slots {
        let marks = vec!["?"; slot.len()].join(", ");
        conn.execute(
            &format!("INSERT INTO slots VALUES ({marks})"),
            rusqlite::params_from_iter(slot.iter()),
        )
        .unwrap();
    }
    conn.execute("UPDATE header SET header_check = ?1", [&old_check])
        .unwrap();
    drop(conn);

    let mut vault = fx.open().unwrap();
    let opened = vault.unlock_with_password(&password());
    assert!(
        matches!(opened, Err(VaultError::Corrupt { .. })),
        "the old password must not read rows sealed under the new key: {opened:?}"
    );
    assert!(vault.get(later).is_err());
}

/// A password slot asking for 4 GiB × 100 passes (each within its own
/// bound) ran Argon2 for 387 s and took 4.2 GB before "wrong password";
/// memory × passes is bounded too, so the file is refused before any
/// derivation.
#[test]
fn a_slot_asking_for_a_key_derivation_bomb_is_refused_before_deriving() {
    let fx = Fixture::new();
    let (vault, _) = populated(&fx);
    drop(vault);
    let conn = fx.sql();
    conn.execute(
        "UPDATE slots SET kdf_m_kib = 4194304, kdf_t = 100 WHERE kind = 'password'",
        [],
    )
    .unwrap();
    drop(conn);
    let opened = fx
        .open()
        .and_then(|mut vault| vault.unlock_with_password(&password()));
    assert!(
        matches!(&opened, Err(e) if corrupt_in("slots")(e)),
        "{opened:?}"
    );
}

#[test]
fn a_handle_unlocked_before_another_changed_the_password_is_locked_and_writes_nothing() {
    let fx = Fixture::new();
    let (mut changer, ids) = populated(&fx);
    let mut other = fx.unlock().unwrap();
    let new = SecretString::from("changed elsewhere");
    changer
        .change_password(&password(), &new, Some(small_kdf()), None)
        .unwrap();
    let before = sealed_payloads(&fx);

    // A write before any refresh: refused, nothing sealed under the old key.
    let refused = other.insert(totp(5), Details::default()).unwrap_err();
    assert!(matches!(refused, VaultError::KeyChanged), "{refused:?}");
    let refused = other
        .update(ids[0], totp(6), Details::default())
        .unwrap_err();
    assert!(matches!(refused, VaultError::KeyChanged), "{refused:?}");
    assert_eq!(sealed_payloads(&fx), before);
    assert!(
        refused
            .to_string()
            .contains("unlock it with the new password")
    );

    // A refresh locks the handle.
    let refreshed = other.refresh().unwrap_err();
    assert!(matches!(refreshed, VaultError::KeyChanged), "{refreshed:?}");
    assert!(!other.is_unlocked());
    other.unlock_with_password(&new).unwrap();
    other.insert(totp(7), Details::default()).unwrap();
    let mut reopened = fx.open().unwrap();
    reopened.unlock_with_password(&new).unwrap();
    assert_eq!(reopened.entries().unwrap().len(), 4);
}

#[test]
fn a_keyring_slot_survives_a_password_change_when_the_keyring_answers() {
    let fx = Fixture::new();
    let (mut vault, _) = populated(&fx);
    let store = MemoryStore::default();
    vault.enable_keyring(&store).unwrap();
    let new = SecretString::from("new with keyring");
    let changed = vault
        .change_password(&password(), &new, Some(small_kdf()), Some(&store))
        .unwrap();
    assert!(changed.keyring_kept);
    let mut reopened = fx.open().unwrap();
    reopened.unlock_with_keyring(&store).unwrap();
    assert_eq!(reopened.entries().unwrap().len(), 3);

    // Without the keyring's key the slot is dropped, not left wrapping a
    // retired key.
    let changed = vault
        .change_password(&new, &password(), Some(small_kdf()), None)
        .unwrap();
    assert!(!changed.keyring_kept);
    assert!(!vault.has_keyring_slot());
    let mut reopened = fx.open().unwrap();
    assert!(reopened.unlock_with_keyring(&store).is_err());
    reopened.unlock_with_password(&password()).unwrap();
}

#[test]
fn two_handles_see_each_others_changes_after_refresh() {
    let fx = Fixture::new();
    let (mut a, _) = populated(&fx);
    let mut b = fx.unlock().unwrap();
    assert!(!b.refresh().unwrap());
    let id = a.insert(totp(42), Details::default()).unwrap();
    assert!(b.get(id).is_err());
    assert!(b.refresh().unwrap());
    assert_eq!(b.get(id).unwrap().account, totp(42));
    b.lock();
    a.remove(id).unwrap();
    assert!(b.refresh().unwrap(), "a locked handle refreshes its header");
}

#[test]
fn create_and_open_report_paths() {
    let fx = Fixture::new();
    assert!(matches!(
        fx.open(),
        Err(VaultError::NotFound {
            what: "vault file",
            ..
        })
    ));
    drop(fx.create());
    let again = Vault::create(&fx.path, &password(), small_kdf(), clock());
    assert!(matches!(again, Err(VaultError::AlreadyExists { .. })));
    let leftovers: Vec<_> = std::fs::read_dir(fx.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("creating"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    let text = fx.dir().join("notes.txt");
    std::fs::write(
        &text,
        "just some text, long enough to not be a database header at all",
    )
    .unwrap();
    assert!(matches!(
        Vault::open(&text, clock()),
        Err(VaultError::NotAVault { .. })
    ));
    let empty_db = fx.dir().join("empty.sqlite");
    rusqlite::Connection::open(&empty_db)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER)")
        .unwrap();
    assert!(matches!(
        Vault::open(&empty_db, clock()),
        Err(VaultError::NotAVault { .. })
    ));
}

#[test]
fn newer_schema_or_format_is_refused() {
    let fx = Fixture::new();
    drop(populated(&fx));
    fx.sql()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = fx.open().unwrap_err();
    assert!(
        matches!(err, VaultError::NewerFormat { found, supported } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err:?}"
    );
    fx.sql()
        .pragma_update(None, "user_version", SCHEMA_VERSION)
        .unwrap();
    fx.sql()
        .execute("UPDATE header SET format_version = 2", [])
        .unwrap();
    let err = fx.open().unwrap_err();
    assert!(
        matches!(
            err,
            VaultError::NewerFormat {
                found: 2,
                supported: 1
            }
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------
// Tampering: every single-byte flip is an error, never wrong data, never a panic

#[derive(Clone, Copy)]
enum Kind {
    Blob,
    Text,
    Int,
}

/// Every variant of `original` with one byte changed: blobs with each byte
/// xor 0x01, 0x80 and 0xff; text (ASCII) with each byte xor 0x01; integers
/// with each of their 8 bytes xor 0x01.
fn flips(original: &Value) -> Vec<Value> {
    match original {
        Value::Blob(bytes) => (0..bytes.len())
            .flat_map(|i| {
                [0x01u8, 0x80, 0xff].into_iter().map(move |mask| {
                    let mut b = bytes.clone();
                    b[i] ^= mask;
                    Value::Blob(b)
                })
            })
            .collect(),
        Value::Text(text) => (0..text.len())
            .map(|i| {
                let mut b = text.clone().into_bytes();
                b[i] ^= 0x01;
                Value::Text(String::from_utf8(b).unwrap())
            })
            .collect(),
        Value::Integer(n) => (0..8)
            .map(|i| Value::Integer(n ^ (1i64 << (8 * i))))
            .collect(),
        other => panic!("unexpected value {other:?}"),
    }
}

/// Flips every byte of `table.column` in the row `where_sql`, one at a
/// time, and checks that opening and unlocking with the password fails
/// with an error accepted by `expected`.
fn assert_flips_detected(
    fx: &Fixture,
    table: &str,
    column: &str,
    where_sql: &str,
    kind: Kind,
    expected: &dyn Fn(&VaultError) -> bool,
) -> usize {
    let select = format!("SELECT {column} FROM {table} WHERE {where_sql}");
    let update = format!("UPDATE {table} SET {column} = ?1 WHERE {where_sql}");
    let original: Value = fx.sql().query_row(&select, [], |r| r.get(0)).unwrap();
    match (kind, &original) {
        (Kind::Blob, Value::Blob(_))
        | (Kind::Text, Value::Text(_))
        | (Kind::Int, Value::Integer(_)) => {}
        _ => panic!(
            "{table}.{column} is not {:?}",
            std::mem::discriminant(&original)
        ),
    }
    let variants = flips(&original);
    let restore_where = |v: &Value| -> String {
        // Where the flipped column is part of the WHERE clause, find the row
        // by its flipped value to restore it.
        if where_sql.starts_with(&format!("{column} =")) {
            format!(
                "{column} = '{}'",
                match v {
                    Value::Text(t) => t.clone(),
                    _ => unreachable!(),
                }
            )
        } else {
            where_sql.to_owned()
        }
    };
    for flipped in &variants {
        let conn = fx.sql();
        assert_eq!(conn.execute(&update, [flipped]).unwrap(), 1);
        drop(conn);
        let outcome = fx.unlock().map(|v| v.entries().map(<[_]>::to_vec));
        match outcome {
            Ok(entries) => panic!("{table}.{column} flip {flipped:?} went unnoticed: {entries:?}"),
            Err(err) => assert!(
                expected(&err),
                "{table}.{column} flip {flipped:?}: unexpected {err:?}"
            ),
        }
        let restore = format!(
            "UPDATE {table} SET {column} = ?1 WHERE {}",
            restore_where(flipped)
        );
        assert_eq!(fx.sql().execute(&restore, [&original]).unwrap(), 1);
    }
    fx.unlock().expect("restored vault opens");
    variants.len()
}

fn corrupt_in(table: &'static str) -> impl Fn(&VaultError) -> bool {
    move |e| matches!(e, VaultError::Corrupt { table: t, .. } if *t == table)
}

#[test]
fn every_single_byte_flip_in_rows_is_detected() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    vault.enable_keyring(&MemoryStore::default()).unwrap();
    drop(vault);
    let account = format!("id = '{}'", ids[0]);
    let code_id: String = fx
        .sql()
        .query_row(
            "SELECT id FROM backup_codes ORDER BY position LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let code = format!("id = '{code_id}'");

    let exact_row = {
        let id = ids[0].to_string();
        move |e: &VaultError| matches!(e, VaultError::Corrupt { table: "accounts", id: got } if *got == id)
    };
    let mut n = assert_flips_detected(&fx, "accounts", "payload", &account, Kind::Blob, &exact_row);
    n += assert_flips_detected(&fx, "accounts", "id", &account, Kind::Text, &|e| {
        matches!(
            e,
            VaultError::Corrupt {
                table: "accounts" | "backup_codes",
                ..
            }
        )
    });
    let exact_code = {
        let id = code_id.clone();
        move |e: &VaultError| matches!(e, VaultError::Corrupt { table: "backup_codes", id: got } if *got == id)
    };
    n += assert_flips_detected(
        &fx,
        "backup_codes",
        "payload",
        &code,
        Kind::Blob,
        &exact_code,
    );
    n += assert_flips_detected(
        &fx,
        "backup_codes",
        "account_id",
        &code,
        Kind::Text,
        &exact_code,
    );
    n += assert_flips_detected(
        &fx,
        "backup_codes",
        "id",
        &code,
        Kind::Text,
        &corrupt_in("backup_codes"),
    );
    let server_id = first_server_id(&fx);
    let server = format!("id = '{server_id}'");
    let exact_server = {
        let id = server_id.clone();
        move |e: &VaultError| matches!(e, VaultError::Corrupt { table: "servers", id: got } if *got == id)
    };
    n += assert_flips_detected(
        &fx,
        "servers",
        "payload",
        &server,
        Kind::Blob,
        &exact_server,
    );
    n += assert_flips_detected(
        &fx,
        "servers",
        "id",
        &server,
        Kind::Text,
        &corrupt_in("servers"),
    );
    assert!(n > 1000, "{n} flips");
}

#[test]
fn every_single_byte_flip_in_slots_and_header_is_detected() {
    let fx = Fixture::new();
    let (mut vault, _) = populated(&fx);
    vault.enable_keyring(&MemoryStore::default()).unwrap();
    drop(vault);
    let password_slot = "kind = 'password'";
    let keyring_slot = "kind = 'keyring'";
    let wrong_or_corrupt =
        |e: &VaultError| matches!(e, VaultError::WrongPassword) || corrupt_in("slots")(e);
    let tampered_or_corrupt =
        |e: &VaultError| matches!(e, VaultError::Tampered) || corrupt_in("slots")(e);

    let mut n = 0;
    for (column, kind) in [
        ("wrapped_key", Kind::Blob),
        ("kdf_salt", Kind::Blob),
        ("kdf_m_kib", Kind::Int),
        ("kdf_t", Kind::Int),
        ("kdf_p", Kind::Int),
        ("kdf", Kind::Text),
    ] {
        n += assert_flips_detected(&fx, "slots", column, password_slot, kind, &wrong_or_corrupt);
    }
    n += assert_flips_detected(
        &fx,
        "slots",
        "created_at",
        password_slot,
        Kind::Int,
        &tampered_or_corrupt,
    );
    for (column, kind) in [
        ("wrapped_key", Kind::Blob),
        ("keyring_service", Kind::Text),
        ("keyring_user", Kind::Text),
        ("created_at", Kind::Int),
    ] {
        n += assert_flips_detected(
            &fx,
            "slots",
            column,
            keyring_slot,
            kind,
            &tampered_or_corrupt,
        );
    }
    let slot_ids: Vec<String> = {
        let conn = fx.sql();
        let mut stmt = conn.prepare("SELECT id FROM slots ORDER BY kind").unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    for id in &slot_ids {
        n += assert_flips_detected(
            &fx,
            "slots",
            "id",
            &format!("id = '{id}'"),
            Kind::Text,
            &|e| wrong_or_corrupt(e) || matches!(e, VaultError::Tampered),
        );
    }
    n += assert_flips_detected(
        &fx,
        "slots",
        "kind",
        password_slot,
        Kind::Text,
        &corrupt_in("slots"),
    );

    let header_corrupt = corrupt_in("header");
    n += assert_flips_detected(&fx, "header", "header_check", "id = 1", Kind::Blob, &|e| {
        matches!(e, VaultError::Tampered) || header_corrupt(e)
    });
    n += assert_flips_detected(&fx, "header", "created_at", "id = 1", Kind::Int, &|e| {
        matches!(e, VaultError::Tampered) || header_corrupt(e)
    });
    n += assert_flips_detected(&fx, "header", "vault_id", "id = 1", Kind::Text, &|e| {
        matches!(e, VaultError::WrongPassword) || header_corrupt(e)
    });
    n += assert_flips_detected(&fx, "header", "format_version", "id = 1", Kind::Int, &|e| {
        matches!(e, VaultError::NewerFormat { .. }) || header_corrupt(e)
    });
    assert!(n > 700, "{n} flips");
}

#[test]
fn a_payload_moved_to_another_row_is_detected() {
    let fx = Fixture::new();
    let (vault, ids) = populated(&fx);
    drop(vault);
    let conn = fx.sql();
    let other: Vec<u8> = conn
        .query_row(
            "SELECT payload FROM accounts WHERE id = ?1",
            [ids[1].to_string()],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute(
        "UPDATE accounts SET payload = ?1 WHERE id = ?2",
        rusqlite::params![other, ids[0].to_string()],
    )
    .unwrap();
    drop(conn);
    let err = fx.unlock().unwrap_err();
    assert!(
        matches!(&err, VaultError::Corrupt { table: "accounts", id } if *id == ids[0].to_string()),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&ids[0].to_string()),
        "the message names the row: {err}"
    );
}

// ---------------------------------------------------------------------------
// Issue 15, item 4: rows rolled back, deleted or copied (the row manifest)

/// Every column of the row `id` of `table`, to put back later.
fn row_of(conn: &rusqlite::Connection, table: &str, id: &str) -> Vec<Value> {
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM {table} WHERE id = ?1"))
        .unwrap();
    let columns = stmt.column_count();
    stmt.query_row([id], |r| (0..columns).map(|i| r.get(i)).collect())
        .unwrap()
}

/// Replaces the row of `table` with the id in `row[0]` by `row`.
fn put_back(conn: &rusqlite::Connection, table: &str, row: &[Value]) {
    conn.execute(&format!("DELETE FROM {table} WHERE id = ?1"), [&row[0]])
        .unwrap();
    let marks = vec!["?"; row.len()].join(", ");
    conn.execute(
        &format!("INSERT INTO {table} VALUES ({marks})"),
        rusqlite::params_from_iter(row.iter()),
    )
    .unwrap();
}

fn assert_rows_changed(fx: &Fixture, what: &str) {
    let opened = fx.unlock();
    assert!(
        matches!(opened, Err(VaultError::RowsChanged)),
        "{what}: {:?}",
        opened.map(|v| v.entries().unwrap().len())
    );
}

#[test]
fn an_hotp_row_put_back_from_an_older_copy_is_refused_so_no_code_is_handed_out_twice() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    let old = row_of(&fx.sql(), "accounts", &ids[1].to_string());
    assert_eq!(
        vault.next_hotp(ids[1]).unwrap().kind,
        OtpKind::Hotp { counter: 5 }
    );
    drop(vault);
    put_back(&fx.sql(), "accounts", &old);
    assert_rows_changed(&fx, "an HOTP row rolled back to counter 5");
}

#[test]
fn a_used_backup_code_row_put_back_as_unused_is_refused() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    let code = vault.backup_codes(ids[0]).unwrap()[0].id;
    let old = row_of(&fx.sql(), "backup_codes", &code.to_string());
    vault.mark_backup_code_used(ids[0], code).unwrap();
    drop(vault);
    put_back(&fx.sql(), "backup_codes", &old);
    assert_rows_changed(&fx, "a used backup code made unused");
}

#[test]
fn a_deleted_row_is_refused_in_every_table() {
    for (table, what) in [
        ("accounts", "an account"),
        ("backup_codes", "a backup code"),
        ("servers", "a server"),
    ] {
        let fx = Fixture::new();
        let (vault, _) = populated(&fx);
        drop(vault);
        let conn = fx.sql();
        let removed = conn
            .execute(
                &format!("DELETE FROM {table} WHERE id = (SELECT MAX(id) FROM {table})"),
                [],
            )
            .unwrap();
        assert_eq!(removed, 1);
        if table == "accounts" {
            conn.execute(
                "DELETE FROM backup_codes WHERE account_id NOT IN (SELECT id FROM accounts)",
                [],
            )
            .unwrap();
        }
        drop(conn);
        assert_rows_changed(&fx, &format!("{what} deleted"));
    }
}

#[test]
fn a_row_copied_from_an_older_copy_of_the_same_file_is_refused() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    let removed = vault.backup_codes(ids[0]).unwrap()[1].id;
    let copy = row_of(&fx.sql(), "backup_codes", &removed.to_string());
    vault.remove_backup_code(ids[0], removed).unwrap();
    let account = row_of(&fx.sql(), "accounts", &ids[2].to_string());
    vault.remove(ids[2]).unwrap();
    drop(vault);
    put_back(&fx.sql(), "backup_codes", &copy);
    assert_rows_changed(&fx, "a removed backup code brought back");
    let conn = fx.sql();
    conn.execute(
        "DELETE FROM backup_codes WHERE id = ?1",
        [removed.to_string()],
    )
    .unwrap();
    fx.unlock().expect("the file as Tessera left it opens");
    put_back(&conn, "accounts", &account);
    drop(conn);
    assert_rows_changed(&fx, "a removed account brought back");
}

#[test]
fn clear_text_positions_and_times_are_covered_too() {
    for change in [
        "UPDATE accounts SET position = position + 7",
        "UPDATE accounts SET last_used_at = 1",
        "UPDATE accounts SET updated_at = updated_at - 1000",
        "UPDATE backup_codes SET position = 9",
        "UPDATE servers SET created_at = 0",
    ] {
        let fx = Fixture::new();
        let (vault, _) = populated(&fx);
        drop(vault);
        fx.sql().execute_batch(change).unwrap();
        assert_rows_changed(&fx, change);
    }
}

#[test]
fn a_handle_whose_rows_were_changed_behind_it_refuses_to_write_over_them() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    let code = vault.backup_codes(ids[0]).unwrap()[0].id;
    let old = row_of(&fx.sql(), "backup_codes", &code.to_string());
    vault.mark_backup_code_used(ids[0], code).unwrap();
    put_back(&fx.sql(), "backup_codes", &old);
    let check_before: Vec<u8> = fx
        .sql()
        .query_row("SELECT header_check FROM header", [], |r| r.get(0))
        .unwrap();
    assert!(matches!(
        vault.insert(totp(42), Details::default()),
        Err(VaultError::RowsChanged)
    ));
    assert!(matches!(vault.refresh(), Err(VaultError::RowsChanged)));
    let check_after: Vec<u8> = fx
        .sql()
        .query_row("SELECT header_check FROM header", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        check_before, check_after,
        "nothing sealed the rolled-back row into the manifest"
    );
    drop(vault);
    assert_rows_changed(&fx, "still refused after the refused write");
}

#[test]
fn writes_from_another_handle_keep_the_manifest_true() {
    let fx = Fixture::new();
    let (mut window, ids) = populated(&fx);
    let mut cli = fx.unlock().unwrap();
    cli.insert(totp(7), Details::default()).unwrap();
    window.next_hotp(ids[1]).unwrap();
    cli.mark_used(ids[0]).unwrap();
    window.enable_keyring(&MemoryStore::default()).unwrap();
    assert!(window.refresh().unwrap());
    assert_eq!(window.entries().unwrap().len(), 4);
    drop((window, cli));
    assert_eq!(fx.unlock().unwrap().entries().unwrap().len(), 4);
}

// ---------------------------------------------------------------------------
// Crash safety: SIGKILL in the middle of many writes

#[test]
fn sigkill_during_writes_keeps_every_committed_account() {
    let fx = Fixture::new();
    let mut vault = fx.create();
    let hotp_id = vault.insert(hotp(0), Details::default()).unwrap();
    drop(vault);

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "vault::child_writer",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_PATH_VAR, &fx.path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reader = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_mins(2);
    let mut committed: Vec<(u64, uuid::Uuid)> = Vec::new();
    let mut last_hotp_shown = None;
    for line in reader.lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["committed", i, id] => committed.push((i.parse().unwrap(), id.parse().unwrap())),
            ["hotp", counter] => last_hotp_shown = Some(counter.parse::<u64>().unwrap()),
            _ => {}
        }
        if committed.len() >= 300 || Instant::now() > deadline {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the writer was killed, it did not finish"
    );
    assert!(
        committed.len() >= 300,
        "the writer stopped early after {} writes",
        committed.len()
    );

    let vault = fx.unlock().unwrap();
    for (i, id) in &committed {
        let entry = vault
            .get(*id)
            .unwrap_or_else(|e| panic!("committed account {i} lost: {e}"));
        assert_eq!(entry.account, totp(*i));
        assert_eq!(entry.details, details("kill"));
    }
    let entries = vault.entries().unwrap();
    assert!(
        entries.len() > committed.len(),
        "plus the HOTP account (and maybe one more write)"
    );
    let shown = last_hotp_shown.expect("some HOTP codes were shown");
    let OtpKind::Hotp { counter } = vault.get(hotp_id).unwrap().account.kind else {
        panic!("not hotp")
    };
    assert!(
        counter > shown,
        "a shown HOTP counter ({shown}) is never handed out again (stored {counter})"
    );
}

/// Child process of `sigkill_during_writes_keeps_every_committed_account`:
/// writes until killed, printing each write after it has committed.
#[test]
#[ignore = "child process of sigkill_during_writes_keeps_every_committed_account"]
fn child_writer() {
    let Some(path) = std::env::var_os(CHILD_PATH_VAR) else {
        return;
    };
    let mut vault = Vault::open(PathBuf::from(path), clock()).unwrap();
    vault.unlock_with_password(&password()).unwrap();
    let hotp_id = vault.search("counter corp").unwrap()[0].id;
    let mut out = std::io::stdout().lock();
    for i in 0..100_000u64 {
        let id = vault.insert(totp(i), details("kill")).unwrap();
        writeln!(out, "committed {i} {id}").unwrap();
        if i % 7 == 0 {
            let shown = vault.next_hotp(hotp_id).unwrap();
            writeln!(out, "hotp {}", shown.counter().unwrap()).unwrap();
        }
        out.flush().unwrap();
    }
}

// ---------------------------------------------------------------------------
// The format, from the spec: an independent decryptor and a v1 writer

/// `docs/vault-format.md` implemented again, directly on the primitives.
mod spec {
    use std::fmt::Write as _;

    use chacha20poly1305::aead::{Aead, KeyInit, Payload};
    use chacha20poly1305::{XChaCha20Poly1305, XNonce};

    pub enum Field<'a> {
        B(&'a [u8]),
        T(&'a str),
        U8(u8),
        Be32(u32),
        Be64(i64),
    }
    use Field::{B, Be32, Be64, T, U8};

    /// `LP(f1) || LP(f2) || ...`
    pub fn ad(fields: &[Field<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        for field in fields {
            let bytes: Vec<u8> = match field {
                B(b) => b.to_vec(),
                T(t) => t.as_bytes().to_vec(),
                U8(v) => vec![*v],
                Be32(v) => v.to_be_bytes().to_vec(),
                Be64(v) => v.to_be_bytes().to_vec(),
            };
            out.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_be_bytes());
            out.extend_from_slice(&bytes);
        }
        out
    }

    pub fn entry_ad(table: &str, id: &str, parent: Option<&str>) -> Vec<u8> {
        let mut fields = vec![T("tessera-vault-entry"), U8(1), T(table), T(id)];
        fields.extend(parent.map(T));
        ad(&fields)
    }

    pub fn hex(bytes: &[u8]) -> String {
        bytes.iter().fold(String::new(), |mut s, b| {
            write!(s, "{b:02x}").unwrap();
            s
        })
    }

    pub fn argon2id(password: &str, salt: &[u8], m: u32, t: u32, p: u32) -> [u8; 32] {
        let params = argon2::Params::new(m, t, p, Some(32)).unwrap();
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = [0u8; 32];
        argon
            .hash_password_into(password.as_bytes(), salt, &mut out)
            .unwrap();
        out
    }

    pub fn open(key: &[u8], envelope: &[u8], ad: &[u8]) -> Option<Vec<u8>> {
        if envelope.len() < 45 || &envelope[..4] != b"TSRA" || envelope[4] != 1 {
            return None;
        }
        let cipher = XChaCha20Poly1305::new_from_slice(key).ok()?;
        let nonce = XNonce::try_from(&envelope[5..29]).ok()?;
        cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &envelope[29..],
                    aad: ad,
                },
            )
            .ok()
    }

    pub fn seal(key: &[u8], plaintext: &[u8], ad: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new_from_slice(key).unwrap();
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).unwrap();
        let mut out = b"TSRA\x01".to_vec();
        out.extend_from_slice(&nonce);
        out.extend(
            cipher
                .encrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: plaintext,
                        aad: ad,
                    },
                )
                .unwrap(),
        );
        out
    }

    /// The header row and a vault's single password slot.
    pub struct PasswordVault {
        pub vault_id: String,
        pub header_created: i64,
        pub header_check: Vec<u8>,
        pub slot_id: String,
        pub slot_created: i64,
        pub m: u32,
        pub t: u32,
        pub p: u32,
        pub salt: Vec<u8>,
        pub wrapped_key: Vec<u8>,
    }

    impl PasswordVault {
        pub fn read(conn: &rusqlite::Connection) -> Self {
            let (vault_id, header_created, header_check) = conn
                .query_row(
                    "SELECT vault_id, created_at, header_check FROM header",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .unwrap();
            conn.query_row(
                "SELECT id, created_at, kdf_m_kib, kdf_t, kdf_p, kdf_salt, wrapped_key
                 FROM slots WHERE kind = 'password' AND kdf = 'argon2id'",
                [],
                |r| {
                    Ok(Self {
                        vault_id,
                        header_created,
                        header_check,
                        slot_id: r.get(0)?,
                        slot_created: r.get(1)?,
                        m: r.get(2)?,
                        t: r.get(3)?,
                        p: r.get(4)?,
                        salt: r.get(5)?,
                        wrapped_key: r.get(6)?,
                    })
                },
            )
            .unwrap()
        }

        pub fn wrap_ad(&self) -> Vec<u8> {
            ad(&[
                T("tessera-vault-slot"),
                U8(1),
                T(&self.vault_id),
                T(&self.slot_id),
                T("password"),
                T("argon2id"),
                Be32(self.m),
                Be32(self.t),
                Be32(self.p),
                B(&self.salt),
            ])
        }

        pub fn header_ad(&self) -> Vec<u8> {
            ad(&[
                T("tessera-vault-header"),
                U8(1),
                T(&self.vault_id),
                Be64(self.header_created),
                Be32(1),
                T(&self.slot_id),
                T("password"),
                Be64(self.slot_created),
                T("argon2id"),
                Be32(self.m),
                Be32(self.t),
                Be32(self.p),
                B(&self.salt),
                B(&self.wrapped_key),
            ])
        }

        /// The vault key and the header check's plaintext (empty, or the
        /// row manifest), after checking the header.
        pub fn unlock(&self, password: &str) -> (Vec<u8>, Vec<u8>) {
            let kek = argon2id(password, &self.salt, self.m, self.t, self.p);
            let key = open(&kek, &self.wrapped_key, &self.wrap_ad()).expect("password slot");
            assert_eq!(key.len(), 32);
            let plain = open(&key, &self.header_check, &self.header_ad()).expect("header");
            (key, plain)
        }
    }

    /// The row manifest of §5.4: `0x02 || SHA-256(...)` over every column
    /// of every row of the entry and sync tables.
    pub fn row_manifest(conn: &rusqlite::Connection) -> Vec<u8> {
        use rusqlite::types::ValueRef;
        use sha2::{Digest, Sha256};
        fn lp8(out: &mut Vec<u8>, bytes: &[u8]) {
            out.extend_from_slice(&(bytes.len() as u64).to_be_bytes());
            out.extend_from_slice(bytes);
        }
        let mut stream = Vec::new();
        lp8(&mut stream, b"tessera-vault-rows");
        for table in [
            "accounts",
            "backup_codes",
            "servers",
            "sync_state",
            "sync_entities",
            "sync_removed",
        ] {
            lp8(&mut stream, table.as_bytes());
            let mut stmt = conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY id"))
                .unwrap();
            let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
            stream.extend_from_slice(&(names.len() as u64).to_be_bytes());
            for name in &names {
                lp8(&mut stream, name.as_bytes());
            }
            let mut rows = stmt.query([]).unwrap();
            let mut count = 0u64;
            while let Some(row) = rows.next().unwrap() {
                stream.push(b'r');
                for i in 0..names.len() {
                    match row.get_ref(i).unwrap() {
                        ValueRef::Null => stream.push(0),
                        ValueRef::Integer(n) => {
                            stream.push(1);
                            stream.extend_from_slice(&n.to_be_bytes());
                        }
                        ValueRef::Real(x) => {
                            stream.push(2);
                            stream.extend_from_slice(&x.to_bits().to_be_bytes());
                        }
                        ValueRef::Text(t) => {
                            stream.push(3);
                            lp8(&mut stream, t);
                        }
                        ValueRef::Blob(b) => {
                            stream.push(4);
                            lp8(&mut stream, b);
                        }
                    }
                }
                count += 1;
            }
            stream.extend_from_slice(&count.to_be_bytes());
        }
        let mut out = vec![2u8];
        out.extend_from_slice(&Sha256::digest(&stream));
        out
    }
}

fn pragma<T: rusqlite::types::FromSql>(conn: &rusqlite::Connection, name: &str) -> T {
    conn.pragma_query_value(None, name, |r| r.get(0)).unwrap()
}

#[test]
fn an_independent_decryptor_written_from_the_spec_reads_the_vault() {
    let fx = Fixture::new();
    let (vault, ids) = populated(&fx);
    drop(vault);
    let conn = rusqlite::Connection::open(&fx.path).unwrap();
    assert_eq!(pragma::<i64>(&conn, "application_id"), 0x5445_5353);
    assert_eq!(pragma::<i64>(&conn, "user_version"), 4);
    assert_eq!(pragma::<String>(&conn, "journal_mode"), "wal");
    let format_version: i64 = conn
        .query_row("SELECT format_version FROM header", [], |r| r.get(0))
        .unwrap();
    assert_eq!(format_version, 1);
    let header = spec::PasswordVault::read(&conn);
    assert_eq!((header.salt.len(), header.wrapped_key.len()), (16, 77));
    assert_eq!(header.header_check.len(), 45 + 33);
    let (vault_key, manifest) = header.unlock(PASSWORD);
    assert_eq!(
        manifest,
        spec::row_manifest(&conn),
        "the header check seals the digest of every row"
    );

    let mut stmt = conn
        .prepare("SELECT id, payload FROM accounts ORDER BY position, id")
        .unwrap();
    let rows: Vec<(String, Vec<u8>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let row_ids: Vec<String> = rows.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(
        row_ids,
        ids.iter().map(ToString::to_string).collect::<Vec<_>>()
    );
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|(id, payload)| {
            let plain = spec::open(&vault_key, payload, &spec::entry_ad("accounts", id, None));
            serde_json::from_slice(&plain.expect("account opens")).unwrap()
        })
        .collect();
    assert_eq!(
        json[0],
        serde_json::json!({
            "issuer": "Issuer 1", "name": "user1@example.com",
            "secret": spec::hex(secret_for(1).expose()),
            "algorithm": "SHA256", "digits": 8, "kind": "totp", "period": 30,
            "extra_params": [["image", "https://example.com/1.png"]],
            "tags": ["work", "all"], "favorite": true, "note": "note about work", "icon": {"badge": {"text": "work", "colour": "#336699"}}
        })
    );
    assert_eq!(json[1]["kind"], "hotp");
    assert_eq!(json[1]["counter"], 5);
    assert!(json[1].get("period").is_none());
    assert_eq!(json[2]["kind"], "steam");
    assert_eq!(json[2]["icon"], serde_json::Value::Null);

    let (code_id, account_id, code_payload): (String, String, Vec<u8>) = conn
        .query_row(
            "SELECT id, account_id, payload FROM backup_codes ORDER BY position LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let ad = spec::entry_ad("backup_codes", &code_id, Some(&account_id));
    let code: serde_json::Value =
        serde_json::from_slice(&spec::open(&vault_key, &code_payload, &ad).unwrap()).unwrap();
    assert_eq!(
        code,
        serde_json::json!({"code": "aaaa-bbbb", "used_at": null})
    );

    let (server_id, server_sealed): (String, Vec<u8>) = conn
        .query_row(
            "SELECT id, payload FROM servers ORDER BY position LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let plain = spec::open(
        &vault_key,
        &server_sealed,
        &spec::entry_ad("servers", &server_id, None),
    )
    .expect("server opens");
    assert_eq!(plain, server_payload("one").expose());
}

/// The schema of version 1, frozen here as it shipped.
const V1_SCHEMA: &str = "
    PRAGMA application_id = 1413829459;
    CREATE TABLE header (
        id INTEGER PRIMARY KEY CHECK (id = 1), format_version INTEGER NOT NULL,
        vault_id TEXT NOT NULL, created_at INTEGER NOT NULL, header_check BLOB NOT NULL) STRICT;
    CREATE TABLE slots (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('password', 'keyring')),
        created_at INTEGER NOT NULL, kdf TEXT, kdf_m_kib INTEGER, kdf_t INTEGER, kdf_p INTEGER,
        kdf_salt BLOB, keyring_service TEXT, keyring_user TEXT, wrapped_key BLOB NOT NULL) STRICT;
    CREATE TABLE accounts (
        id TEXT PRIMARY KEY, position INTEGER NOT NULL, created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL, payload BLOB NOT NULL) STRICT;
    CREATE INDEX accounts_by_position ON accounts (position, id);
    PRAGMA user_version = 1;";

const V1_CREATED: i64 = 1_600_000_000_000;

/// Writes a version-1 vault from the spec alone (no Tessera code); returns
/// the account ids.
fn write_v1_file(path: &Path) -> Vec<uuid::Uuid> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(V1_SCHEMA).unwrap();
    let mut vault_key = [0u8; 32];
    getrandom::fill(&mut vault_key).unwrap();
    let mut v1 = spec::PasswordVault {
        vault_id: uuid::Uuid::new_v4().to_string(),
        header_created: V1_CREATED,
        header_check: Vec::new(),
        slot_id: uuid::Uuid::new_v4().to_string(),
        slot_created: V1_CREATED,
        m: 64,
        t: 2,
        p: 1,
        salt: vec![7; 16],
        wrapped_key: Vec::new(),
    };
    let kek = spec::argon2id(PASSWORD, &v1.salt, v1.m, v1.t, v1.p);
    v1.wrapped_key = spec::seal(&kek, &vault_key, &v1.wrap_ad());
    v1.header_check = spec::seal(&vault_key, b"", &v1.header_ad());
    conn.execute(
        "INSERT INTO header VALUES (1, 1, ?1, ?2, ?3)",
        rusqlite::params![v1.vault_id, V1_CREATED, v1.header_check],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO slots (id, kind, created_at, kdf, kdf_m_kib, kdf_t, kdf_p, kdf_salt, wrapped_key)
         VALUES (?1, 'password', ?2, 'argon2id', ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![v1.slot_id, V1_CREATED, v1.m, v1.t, v1.p, v1.salt, v1.wrapped_key],
    )
    .unwrap();
    let accounts = [
        r#"{"issuer":"Old","name":"one","secret":"3132333435363738393031323334353637383930",
            "algorithm":"SHA1","digits":6,"kind":"totp","period":30}"#,
        r#"{"issuer":"Old","name":"two","secret":"ff00","algorithm":"SHA512","digits":10,
            "kind":"hotp","counter":41,"tags":["legacy"],"favorite":true,"note":"n"}"#,
    ];
    let mut ids = Vec::new();
    for (position, json) in accounts.iter().enumerate() {
        let id = uuid::Uuid::new_v4();
        let text = id.to_string();
        let sealed = spec::seal(
            &vault_key,
            json.as_bytes(),
            &spec::entry_ad("accounts", &text, None),
        );
        conn.execute(
            "INSERT INTO accounts VALUES (?1, ?2, ?3, ?3, ?4)",
            rusqlite::params![text, i64::try_from(position).unwrap(), V1_CREATED, sealed],
        )
        .unwrap();
        ids.push(id);
    }
    ids
}

#[test]
fn a_v1_file_is_migrated_on_unlock() {
    let fx = Fixture::new();
    let v1_ids = write_v1_file(&fx.path);

    // A wrong password leaves the v1 file as it was.
    let mut vault = fx.open().unwrap();
    let wrong = vault.unlock_with_password(&SecretString::from("x"));
    assert!(matches!(wrong, Err(VaultError::WrongPassword)));
    assert_eq!(pragma::<i64>(&fx.sql(), "user_version"), 1);

    vault.unlock_with_password(&password()).unwrap();
    assert_eq!(
        pragma::<i64>(&fx.sql(), "user_version"),
        i64::from(SCHEMA_VERSION)
    );
    let entries = vault.entries().unwrap();
    assert_eq!(entries.iter().map(|e| e.id).collect::<Vec<_>>(), v1_ids);
    assert_eq!(entries[0].account.secret.expose(), b"12345678901234567890");
    assert_eq!(entries[0].details, Details::default());
    assert_eq!(entries[1].account.kind, OtpKind::Hotp { counter: 41 });
    assert_eq!(entries[1].account.algorithm, Algorithm::Sha512);
    assert_eq!(entries[1].details.tags, vec!["legacy".to_owned()]);
    assert!(entries[1].details.favorite);
    assert_eq!(entries[0].created_at.unix_millis(), 1_600_000_000_000);
    assert!(entries[0].last_used_at.is_none());

    // The new parts of the schema work on the migrated file.
    vault
        .add_backup_codes(v1_ids[0], vec![SecretString::from("new-code")])
        .unwrap();
    vault.mark_used(v1_ids[1]).unwrap();
    vault.next_hotp(v1_ids[1]).unwrap();
    drop(vault);
    let vault = fx.unlock().unwrap();
    assert_eq!(
        vault.backup_codes(v1_ids[0]).unwrap()[0].code.expose(),
        "new-code"
    );
    assert_eq!(
        vault.get(v1_ids[1]).unwrap().account.kind,
        OtpKind::Hotp { counter: 42 }
    );
    assert!(vault.get(v1_ids[1]).unwrap().last_used_at.is_some());
    assert!(vault.servers().unwrap().is_empty());
}

/// Schema step 1 → 2, frozen here as it shipped.
const V1_TO_V2: &str = "
    ALTER TABLE accounts ADD COLUMN last_used_at INTEGER;
    CREATE TABLE backup_codes (
        id TEXT PRIMARY KEY,
        account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
        position INTEGER NOT NULL, created_at INTEGER NOT NULL, payload BLOB NOT NULL) STRICT;
    CREATE INDEX backup_codes_by_account ON backup_codes (account_id, position, id);
    PRAGMA user_version = 2;";

#[test]
fn a_v2_file_is_migrated_to_v3_on_unlock() {
    let fx = Fixture::new();
    let ids = write_v1_file(&fx.path);
    {
        let conn = rusqlite::Connection::open(&fx.path).unwrap();
        conn.execute_batch(V1_TO_V2).unwrap();
        conn.execute("UPDATE accounts SET last_used_at = ?1", [V1_CREATED + 5])
            .unwrap();
    }
    let has_servers = |fx: &Fixture| -> bool {
        fx.sql()
            .query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'servers'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
            == 1
    };

    // Opening, and a wrong password, leave the v2 file as it was.
    let mut vault = fx.open().unwrap();
    assert!(matches!(
        vault.unlock_with_password(&SecretString::from("x")),
        Err(VaultError::WrongPassword)
    ));
    assert_eq!(pragma::<i64>(&fx.sql(), "user_version"), 2);
    assert!(!has_servers(&fx));

    vault.unlock_with_password(&password()).unwrap();
    assert_eq!(
        pragma::<i64>(&fx.sql(), "user_version"),
        i64::from(SCHEMA_VERSION)
    );
    assert!(has_servers(&fx));
    let entries = vault.entries().unwrap();
    assert_eq!(entries.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    assert_eq!(
        entries[0]
            .last_used_at
            .map(tessera::core::clock::Timestamp::unix_millis),
        Some(1_600_000_000_005)
    );
    assert!(vault.servers().unwrap().is_empty());

    let id = uuid::Uuid::new_v4();
    vault.put_server(id, server_payload("v3")).unwrap();
    drop(vault);
    let vault = fx.unlock().unwrap();
    assert_eq!(vault.server(id).unwrap().payload, server_payload("v3"));
    assert_eq!(vault.entries().unwrap().len(), 2);
}

// ---------------------------------------------------------------------------
// Snapshots

#[test]
fn snapshot_is_a_vault_of_its_own_without_the_keyring_slot() {
    let fx = Fixture::new();
    let (mut vault, _) = populated(&fx);
    let store = MemoryStore::default();
    vault.enable_keyring(&store).unwrap();
    let backup = fx.dir().join("backup.tessera");
    vault.snapshot(&backup).unwrap();
    assert!(matches!(
        vault.snapshot(&backup),
        Err(VaultError::AlreadyExists { .. })
    ));
    let wal = fx.dir().join("backup.tessera-wal");
    assert!(!wal.exists(), "the snapshot is one self-contained file");
    // Later changes do not reach the snapshot.
    vault.insert(totp(77), Details::default()).unwrap();
    let live = vault.entries().unwrap().to_vec();

    let mut copy = Vault::open(&backup, clock()).unwrap();
    assert!(!copy.has_keyring_slot());
    assert_eq!(copy.vault_id(), vault.vault_id());
    assert!(matches!(
        copy.unlock_with_keyring(&store),
        Err(VaultError::NoKeyringSlot)
    ));
    copy.unlock_with_password(&password()).unwrap();
    assert_eq!(copy.entries().unwrap(), &live[..3]);
    let partials = std::fs::read_dir(fx.dir())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains("partial")
        })
        .count();
    assert_eq!(partials, 0);
    // The original still unlocks with the keyring.
    vault.lock();
    vault.unlock_with_keyring(&store).unwrap();
}

// ---------------------------------------------------------------------------
// Errors carry no secrets

#[test]
fn errors_never_contain_secrets() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    let mut errors = vec![
        vault
            .use_backup_code(ids[0], "zzzz-secret-guess")
            .unwrap_err(),
        vault
            .change_password(
                &SecretString::from("guess-pw"),
                &password(),
                Some(small_kdf()),
                None,
            )
            .unwrap_err(),
        vault.next_hotp(ids[0]).unwrap_err(),
    ];
    let mut bad = totp(1);
    bad.digits = 42;
    errors.push(vault.update(ids[0], bad, Details::default()).unwrap_err());
    drop(vault);
    let mut locked = fx.open().unwrap();
    errors.push(
        locked
            .unlock_with_password(&SecretString::from("guess-pw"))
            .unwrap_err(),
    );
    drop(locked);
    let original_payload: Vec<u8> = fx
        .sql()
        .query_row(
            "SELECT payload FROM accounts WHERE id = ?1",
            [ids[0].to_string()],
            |r| r.get(0),
        )
        .unwrap();
    fx.sql()
        .execute(
            "UPDATE accounts SET payload = zeroblob(60) WHERE id = ?1",
            [ids[0].to_string()],
        )
        .unwrap();
    errors.push(fx.unlock().unwrap_err());
    fx.sql()
        .execute(
            "UPDATE accounts SET payload = ?1 WHERE id = ?2",
            rusqlite::params![original_payload, ids[0].to_string()],
        )
        .unwrap();
    let server_id = first_server_id(&fx);
    let mut sealed: Vec<u8> = fx
        .sql()
        .query_row(
            "SELECT payload FROM servers WHERE id = ?1",
            [&server_id],
            |r| r.get(0),
        )
        .unwrap();
    *sealed.last_mut().unwrap() ^= 1;
    fx.sql()
        .execute(
            "UPDATE servers SET payload = ?1 WHERE id = ?2",
            rusqlite::params![sealed, server_id],
        )
        .unwrap();
    let server_error = fx.unlock().unwrap_err();
    assert!(
        matches!(&server_error, VaultError::Corrupt { table: "servers", id } if *id == server_id),
        "{server_error:?}"
    );
    errors.push(server_error);

    let secret_hex = spec::hex(secret_for(1).expose());
    let forbidden = [
        PASSWORD,
        "guess-pw",
        "zzzz-secret-guess",
        "aaaa-bbbb",
        "Issuer 1",
        "user1@",
        "seed-",
        &secret_hex,
        "server-pw-",
        "tok-one",
        "srv-one",
    ];
    for err in &errors {
        let texts = [err.to_string(), format!("{err:?}")];
        for text in &texts {
            for word in forbidden {
                assert!(!text.contains(word), "{word:?} leaked into {text:?}");
            }
        }
    }
    assert!(format!("{:?}", SecretString::from(PASSWORD)).contains("redacted"));
}

// ---------------------------------------------------------------------------
// The OS keyring

/// Runs only with `TESSERA_KEYRING_TESTS=1`, inside `dbus-run-session` with
/// an unlocked gnome-keyring-daemon (`make test` sets this up); skips loudly
/// otherwise.
#[test]
fn keyring_slot_round_trip_in_the_real_secret_service() {
    if std::env::var("TESSERA_KEYRING_TESTS").as_deref() != Ok("1") {
        eprintln!(
            "SKIPPED vault::keyring_slot_round_trip_in_the_real_secret_service: needs a real Secret Service. \
             Run `make test`, or: dbus-run-session -- bash -c 'echo -n pw | gnome-keyring-daemon --unlock \
             --components=secrets >/dev/null; TESSERA_KEYRING_TESTS=1 cargo test vault::keyring' \
             (with a throwaway HOME and XDG_DATA_HOME)"
        );
        return;
    }
    let service = format!("tessera-test-{}", uuid::Uuid::new_v4().simple());
    let ring = OsKeyring::new(&service, Duration::from_secs(10));
    let fx = Fixture::new();
    let (mut vault, _) = populated(&fx);
    let before = vault.entries().unwrap().to_vec();
    vault.enable_keyring(&ring).unwrap();
    drop(vault);

    // The item is where the spec says, as 64 hex characters.
    let conn = fx.sql();
    let user: String = conn
        .query_row(
            "SELECT keyring_user FROM slots WHERE kind = 'keyring'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(conn);
    let vault_id = Vault::open(&fx.path, clock())
        .unwrap()
        .vault_id()
        .to_owned();
    assert!(user.starts_with(&format!("{vault_id}/")));
    let looked_up = Command::new("secret-tool")
        .args(["lookup", "service", &service, "username", &user])
        .output();
    if let Ok(out) = looked_up {
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.trim().len(), 64, "secret-tool finds the item");
        assert!(text.trim().chars().all(|c| c.is_ascii_hexdigit()));
    }

    let mut vault = fx.open().unwrap();
    vault.unlock_with_keyring(&ring).unwrap();
    assert_eq!(vault.entries().unwrap(), before.as_slice());

    // Re-enabling replaces the item; disabling removes it.
    vault.enable_keyring(&ring).unwrap();
    vault.lock();
    vault.unlock_with_keyring(&ring).unwrap();
    assert!(matches!(
        ring.load(&service, &user),
        Err(VaultError::KeyringUnavailable { .. })
    ));
    vault.disable_keyring(&ring).unwrap();
    vault.lock();
    assert!(matches!(
        vault.unlock_with_keyring(&ring),
        Err(VaultError::KeyringUnavailable { .. } | VaultError::NoKeyringSlot)
    ));
    vault.unlock_with_password(&password()).unwrap();
}

#[test]
fn keyring_unavailable_is_quick_and_falls_back_to_the_password() {
    let fx = Fixture::new();
    let start = Instant::now();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "vault::child_without_keyring",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_PATH_VAR, &fx.path)
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/tessera-test-bus",
        )
        .env_remove("DISPLAY")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("keyring unavailable:"), "{text}");
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
}

/// Child process of `keyring_unavailable_is_quick_and_falls_back_to_the_password`,
/// run without a usable session bus.
#[test]
#[ignore = "child process of keyring_unavailable_is_quick_and_falls_back_to_the_password"]
fn child_without_keyring() {
    let Some(path) = std::env::var_os(CHILD_PATH_VAR) else {
        return;
    };
    let mut vault = Vault::create(PathBuf::from(path), &password(), small_kdf(), clock()).unwrap();
    let ring = OsKeyring::new("tessera-test-unavailable", Duration::from_secs(5));
    let started = Instant::now();
    let err = vault.enable_keyring(&ring).unwrap_err();
    assert!(
        matches!(err, VaultError::KeyringUnavailable { .. }),
        "{err:?}"
    );
    assert!(!vault.has_keyring_slot(), "the file is unchanged");

    // A keyring slot made elsewhere, then opened where the keyring is gone.
    let memory = MemoryStore::default();
    vault.enable_keyring(&memory).unwrap();
    vault.lock();
    let err = vault.unlock_with_keyring(&ring).unwrap_err();
    println!("keyring unavailable: {err}");
    assert!(
        matches!(err, VaultError::KeyringUnavailable { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("unlock with the password"));
    assert!(
        started.elapsed() < Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );
    vault.unlock_with_password(&password()).unwrap();
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Other local users can neither read the vault nor its backups; a file
/// that arrives readable by them is tightened when opened.
#[cfg(unix)]
#[test]
fn vault_and_snapshot_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    let (vault, _) = populated(&fx);
    assert_eq!(mode_of(&fx.path), 0o600, "the vault file");
    let mut wal = fx.path.as_os_str().to_owned();
    wal.push("-wal");
    assert_eq!(mode_of(Path::new(&wal)), 0o600, "its write-ahead log");
    let backup = fx.dir().join("backup.tessera");
    vault.snapshot(&backup).unwrap();
    assert_eq!(mode_of(&backup), 0o600, "a snapshot");
    drop(vault);

    std::fs::set_permissions(&fx.path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let reopened = fx.unlock().unwrap();
    assert_eq!(mode_of(&fx.path), 0o600, "tightened on open");
    assert_eq!(reopened.entries().unwrap().len(), 3);
}

/// A second handle on the same file writes straight into it; the first
/// sees the change after `refresh`, and a locked handle has none to give.
#[test]
fn another_handle_commits_to_the_same_file() {
    let fx = Fixture::new();
    let (mut vault, ids) = populated(&fx);
    let mut other = vault.open_another().unwrap();
    assert_eq!(other.entries().unwrap().len(), ids.len());
    let added = other.insert(totp(9), details("server")).unwrap();
    drop(other);

    // Nothing is lost if the first handle never sees it: the file has it.
    let fresh = fx.unlock().unwrap();
    assert!(fresh.get(added).is_ok(), "committed to the file");
    assert!(vault.refresh().unwrap(), "the first handle sees a change");
    assert_eq!(
        vault.get(added).unwrap().account.secret.expose(),
        secret_for(9).expose()
    );

    vault.lock();
    assert!(matches!(vault.open_another(), Err(VaultError::Locked)));
}
