//! Sync through the window's session (`core::session::sync`, what
//! Settings › Sync calls): two windows on vaults of their own pair through
//! a folder (and through Apache `WebDAV`, the joiner taking the address from
//! the pairing code), a change syncs by itself after a moment, a conflict leaves
//! the losing value in the account's history, a removed device is told so.

use std::path::Path;
use std::time::{Duration, Instant};

use tessera::core::clock::{Clock, SystemClock};
use tessera::core::secret::SecretString;
use tessera::core::session::sync::{SYNC_AFTER_CHANGE, SYNC_EVERY, SyncRemoteInput};
use tessera::core::session::{AccountEdit, AccountSummary, AppState, vault_clock};
use tessera::core::settings::Settings;
use tessera::core::vault::{KdfParams, Vault};
use tessera::ipc::commands::parse_id;
use tessera::ipc::error::{IpcError, IpcErrorCode};

use crate::support::webdav::{Apache, PASSWORD as DAV_PASSWORD, USER};

const PASSWORD: &str = "pw";

fn window(dir: &Path, file: &str) -> AppState {
    let path = dir.join(file);
    let kdf = KdfParams::new(8 * 1024, 2, 1).unwrap();
    drop(Vault::create(&path, &SecretString::from(PASSWORD), kdf, vault_clock()).unwrap());
    let state = AppState::with_settings(path, None, Settings::default());
    state
        .with_vault(|vault, _| Ok(vault.unlock_with_password(&SecretString::from(PASSWORD))?))
        .unwrap();
    state
}

fn folder(path: &Path) -> SyncRemoteInput {
    SyncRemoteInput::Folder {
        path: path.display().to_string(),
    }
}

fn only_account(state: &AppState) -> AccountSummary {
    let mut accounts = state.list_accounts().unwrap();
    assert_eq!(accounts.len(), 1, "{accounts:?}");
    accounts.remove(0)
}

fn set_note(state: &AppState, note: &str) {
    let account = only_account(state);
    let edit = AccountEdit {
        issuer: account.issuer,
        name: account.name,
        algorithm: account.algorithm,
        digits: account.digits,
        period: account.period,
        tags: account.tags,
        note: note.to_owned(),
        favorite: account.favorite,
    };
    state
        .update_account(parse_id(&account.id).unwrap(), edit)
        .unwrap();
}

/// A sync that brings and sends nothing still counts as the last sync.
fn an_idle_sync_counts_as_the_last(state: &AppState) {
    let before = SystemClock.now().unix_millis();
    std::thread::sleep(Duration::from_millis(20));
    let idle = state.sync_now().unwrap();
    assert_eq!((idle.sent, idle.merged), (0, 0));
    let last = idle.status.last_sync_at.unwrap();
    assert!(last >= before, "{last} < {before}");
    assert_eq!(
        state.sync_status().unwrap().last_sync_at,
        idle.status.last_sync_at
    );
}

#[test]
fn two_windows_pair_through_settings_and_a_change_syncs_by_itself() {
    let remote = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let desk = window(home.path(), "desk.tessera");
    let laptop = window(home.path(), "laptop.tessera");
    desk.add_account_from_uri(
        &SecretString::from("otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"),
        vec![],
    )
    .unwrap();
    assert!(!laptop.sync_status().unwrap().set_up);

    let started = desk.sync_setup(folder(remote.path()), "desk").unwrap();
    assert!(started.status.set_up);
    assert_eq!(started.status.devices.len(), 1);
    assert!(started.status.devices[0].this_device);
    let pairing = desk.sync_pair().unwrap();
    assert!(pairing.code.starts_with("TSYNC1-"), "{}", pairing.code);
    assert!(pairing.qr_svg.contains("<svg"));
    assert!(
        pairing
            .remote
            .contains(&remote.path().display().to_string())
    );

    let asked = laptop
        .sync_join(
            &SecretString::from(pairing.code.as_str()),
            folder(remote.path()),
            "laptop",
        )
        .unwrap();
    assert!(asked.status.joining, "the desk has not let it in yet");
    let admitted = desk.sync_now().unwrap();
    assert_eq!(admitted.joined, vec!["laptop".to_owned()]);
    let joined = laptop.sync_now().unwrap();
    assert!(!joined.status.joining);
    assert_eq!(joined.status.devices.len(), 2);
    assert_eq!(only_account(&laptop).issuer, "GitHub");

    // Just synced: nothing is due until the vault changes or time passes.
    let now = Instant::now();
    assert!(laptop.background_sync(now).is_none());
    set_note(&laptop, "recovery key in the safe");
    let seen = Instant::now();
    assert!(
        laptop.background_sync(seen).is_none(),
        "a change waits a moment for the next"
    );
    let sent = laptop
        .background_sync(seen + SYNC_AFTER_CHANGE)
        .expect("due after a change")
        .unwrap();
    assert!(sent.sent >= 1, "{sent:?}");
    assert_eq!(sent.status.pending_changes, 0);
    let received = desk
        .background_sync(Instant::now() + SYNC_EVERY)
        .expect("due after the interval")
        .unwrap();
    assert!(received.written >= 1, "{received:?}");
    assert_eq!(only_account(&desk).note, "recovery key in the safe");

    an_idle_sync_counts_as_the_last(&desk);

    // The same field changed on both: the later edit wins everywhere, the
    // other value stays in the account's history.
    set_note(&desk, "older note");
    std::thread::sleep(Duration::from_millis(5));
    set_note(&laptop, "newer note");
    desk.sync_now().unwrap();
    let merged = laptop.sync_now().unwrap();
    assert!(merged.conflicts >= 1, "{merged:?}");
    desk.sync_now().unwrap();
    assert_eq!(only_account(&desk).note, "newer note");
    let id = only_account(&desk).id;
    let history = desk.account_history(&id).unwrap();
    let kept = history
        .iter()
        .find(|h| h.field == "note" && h.value == "older note")
        .unwrap_or_else(|| panic!("{history:?}"));
    assert_eq!(kept.device, "desk");

    // The desk takes the laptop out; the laptop is told at its next sync.
    let laptop_id = joined
        .status
        .devices
        .iter()
        .find(|d| d.this_device)
        .unwrap()
        .id
        .clone();
    let after = desk.sync_remove_device(&laptop_id).unwrap();
    assert_eq!(after.devices.len(), 1);
    let refused = IpcError::from(laptop.sync_now().unwrap_err());
    assert_eq!(refused.code, IpcErrorCode::Sync);
    assert!(refused.message.contains("removed"), "{}", refused.message);
    assert_eq!(
        only_account(&laptop).note,
        "newer note",
        "its accounts stay"
    );

    let left = desk.sync_leave(false).unwrap();
    assert!(!left.set_up);
}

/// Settings › Sync on a `WebDAV` group: joining with the address left
/// empty takes it from the pairing code; with a folder group's code, an
/// empty address says to choose the folder.
#[test]
fn a_window_joins_a_webdav_group_with_the_address_from_the_code() {
    let dav = Apache::start();
    let home = tempfile::tempdir().unwrap();
    let desk = window(home.path(), "desk.tessera");
    let laptop = window(home.path(), "laptop.tessera");
    desk.add_account_from_uri(
        &SecretString::from("otpauth://totp/Dav:dora?secret=JBSWY3DPEHPK3PXP&issuer=Dav"),
        vec![],
    )
    .unwrap();
    let login = |url: &str| SyncRemoteInput::Webdav {
        url: url.to_owned(),
        username: USER.to_owned(),
        password: DAV_PASSWORD.to_owned(),
    };
    desk.sync_setup(login(&dav.url()), "desk").unwrap();
    let pairing = desk.sync_pair().unwrap();
    let asked = laptop
        .sync_join(
            &SecretString::from(pairing.code.as_str()),
            login("  "),
            "laptop",
        )
        .unwrap();
    assert!(asked.status.joining);
    assert!(
        asked
            .status
            .remote
            .as_deref()
            .is_some_and(|remote| remote.contains(&dav.url())),
        "{:?}",
        asked.status.remote
    );
    desk.sync_now().unwrap();
    laptop.sync_now().unwrap();
    assert_eq!(only_account(&laptop).issuer, "Dav");

    let remote = tempfile::tempdir().unwrap();
    let other = window(home.path(), "other.tessera");
    other.sync_setup(folder(remote.path()), "other").unwrap();
    let folder_code = other.sync_pair().unwrap();
    let newcomer = window(home.path(), "newcomer.tessera");
    let named_nothing = IpcError::from(
        newcomer
            .sync_join(
                &SecretString::from(folder_code.code.as_str()),
                login(""),
                "",
            )
            .unwrap_err(),
    );
    assert_eq!(named_nothing.code, IpcErrorCode::Invalid);
    assert!(
        named_nothing.message.contains("names no remote"),
        "{}",
        named_nothing.message
    );
}

#[test]
fn window_sync_errors_are_specific_and_keep_the_form() {
    let home = tempfile::tempdir().unwrap();
    let remote = tempfile::tempdir().unwrap();
    let state = window(home.path(), "v.tessera");
    let empty = IpcError::from(
        state
            .sync_setup(SyncRemoteInput::Folder { path: " ".into() }, "")
            .unwrap_err(),
    );
    assert_eq!(empty.code, IpcErrorCode::Invalid);
    let bad_code = IpcError::from(
        state
            .sync_join(&SecretString::from("hello"), folder(remote.path()), "")
            .unwrap_err(),
    );
    assert_eq!(bad_code.code, IpcErrorCode::Invalid);
    assert!(bad_code.message.contains("TSYNC1-"), "{}", bad_code.message);
    let not_set_up = IpcError::from(state.sync_now().unwrap_err());
    assert_eq!(not_set_up.code, IpcErrorCode::Invalid);
    assert!(
        state.background_sync(Instant::now()).is_none(),
        "a vault that does not sync is never synced in the background"
    );
    state
        .with_vault(|vault, _| {
            vault.lock();
            Ok(())
        })
        .unwrap();
    let locked = IpcError::from(state.sync_status().unwrap_err());
    assert_eq!(locked.code, IpcErrorCode::Locked);
}

/// Following a phone's Aegis backup folder from Settings › Sync, on the
/// real encrypted Aegis backup of the shared fixtures (copied only into a
/// temporary folder): the newest backup is staged as the import preview,
/// a newer one is staged as it comes when it holds something new, and a
/// lock forgets the password.
#[test]
fn the_window_follows_a_phones_aegis_backups() {
    let home = tempfile::tempdir().unwrap();
    let phone = tempfile::tempdir().unwrap();
    let state = window(home.path(), "v.tessera");
    let folder = phone.path().display().to_string();
    let none = IpcError::from(
        state
            .follow_aegis(&folder, &SecretString::from("test"))
            .unwrap_err(),
    );
    assert_eq!(none.code, IpcErrorCode::Invalid);
    assert!(none.message.contains("no Aegis backup"), "{}", none.message);

    std::fs::write(
        phone.path().join("aegis-backup-20240301-120000.json"),
        super::follow::fixture(),
    )
    .unwrap();
    let wrong = IpcError::from(
        state
            .follow_aegis(&folder, &SecretString::from("nope"))
            .unwrap_err(),
    );
    assert_eq!(wrong.code, IpcErrorCode::WrongPassword);
    assert_eq!(state.aegis_followed().unwrap(), None);

    let staged = state
        .follow_aegis(&folder, &SecretString::from("test"))
        .unwrap();
    assert_eq!(
        staged.preview.file_name,
        "aegis-backup-20240301-120000.json"
    );
    let new = staged.preview.counts.new;
    assert!(new >= 3, "{staged:?}");
    assert_eq!(state.aegis_followed().unwrap(), Some(folder.clone()));
    assert!(
        state.list_accounts().unwrap().is_empty(),
        "nothing added before the user confirms"
    );
    let added = state
        .commit_import(parse_id(&staged.preview.id).unwrap())
        .unwrap();
    assert_eq!(added.imported, new);
    let accounts = state.list_accounts().unwrap();
    assert!(
        accounts
            .iter()
            .all(|a| a.tags.iter().any(|t| t == "aegis-backup"))
    );

    // The same backup again: nothing to stage.
    assert!(state.check_aegis_backups().is_none());
    // An account removed here comes back in the phone's next backup; it is
    // staged, and nothing is removed because the phone lacks something.
    let gone = parse_id(&accounts[0].id).unwrap();
    state.remove_account(gone).unwrap();
    std::fs::write(
        phone.path().join("aegis-backup-20240302-120000.json"),
        super::follow::fixture(),
    )
    .unwrap();
    let next = state
        .check_aegis_backups()
        .expect("a newer backup with an account the vault lacks")
        .unwrap();
    assert_eq!(next.preview.file_name, "aegis-backup-20240302-120000.json");
    assert_eq!(next.preview.counts.new, 1);
    assert!(next.missing.is_empty());
    // While that preview waits, a later backup waits too.
    std::fs::write(
        phone.path().join("aegis-backup-20240303-120000.json"),
        super::follow::fixture(),
    )
    .unwrap();
    assert!(state.check_aegis_backups().is_none());
    state.discard_import().unwrap();
    let third = state.check_aegis_backups().expect("its turn").unwrap();
    assert_eq!(third.preview.file_name, "aegis-backup-20240303-120000.json");

    state.lock_vault().unwrap();
    assert_eq!(
        state.aegis_followed().unwrap(),
        None,
        "a lock forgets the password"
    );
}
