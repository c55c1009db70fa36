//! Sync between devices (issue 17): vaults of their own syncing through a
//! folder (shared, and kept in step by two real Syncthing instances) and
//! through a real WebDAV server (Apache mod_dav on loopback), merge rules,
//! faults, security sweeps of the remote, and the convergence trials.

mod cli;
mod convergence;
mod follow;
mod security;
mod window;

use std::path::Path;

use tessera::core::secret::SecretString;
use tessera::core::sync::{self, Backend, SyncError};
use tessera::core::vault::AccountEdit;

use crate::support::sync::{Device, options, pair};
use crate::support::syncthing::SyncthingPair;
use crate::support::webdav::{Apache, PASSWORD as DAV_PASSWORD, Relay, USER};

fn folder(path: &Path) -> Backend {
    Backend::Folder {
        path: path.to_owned(),
    }
}

/// Two devices on one folder (a USB stick, or one machine's two vaults).
fn two_on_a_folder() -> (tempfile::TempDir, Device, Device) {
    let remote = tempfile::tempdir().unwrap();
    let mut a = Device::new("laptop");
    let mut b = Device::new("desktop");
    sync::setup(&mut a.vault, folder(remote.path()), "laptop", &options()).unwrap();
    pair(&mut a, &mut b, folder(remote.path()), &|| {});
    (remote, a, b)
}

fn edit(device: &mut Device, id: uuid::Uuid, change: impl FnOnce(&mut AccountEdit)) {
    let entry = device.vault.get(id).unwrap();
    let mut edit = AccountEdit {
        issuer: entry.account.issuer.clone(),
        name: entry.account.name.clone(),
        algorithm: entry.account.algorithm,
        digits: entry.account.digits,
        period: entry.account.kind.period(),
        tags: entry.details.tags.clone(),
        note: entry.details.note.clone(),
        favorite: entry.details.favorite,
    };
    change(&mut edit);
    device.vault.edit(id, edit).unwrap();
}

#[test]
fn accounts_reach_the_other_device_and_edits_of_different_accounts_both_win() {
    let (_remote, mut a, mut b) = two_on_a_folder();
    let gh = a.add("GitHub", "alice", 1);
    a.sync();
    b.sync();
    assert_eq!(b.view(), a.view());
    assert_eq!(
        b.vault.get(gh).unwrap().account.issuer,
        "GitHub",
        "same id everywhere"
    );

    let gl = b.add("GitLab", "bob", 2);
    edit(&mut a, gh, |e| e.note = "from the laptop".into());
    edit(&mut b, gh, |e| e.tags.push("work".into()));
    a.sync();
    b.sync();
    a.sync();
    assert_eq!(a.view(), b.view());
    let on_a = a.vault.get(gh).unwrap();
    assert_eq!(on_a.details.note, "from the laptop");
    assert_eq!(on_a.details.tags, ["work"]);
    assert_eq!(a.vault.get(gl).unwrap().account.name, "bob");
}

#[test]
fn the_same_field_edited_on_both_keeps_the_later_value_and_the_other_in_the_history() {
    let (_remote, mut a, mut b) = two_on_a_folder();
    let id = a.add("Mail", "me", 3);
    a.sync();
    b.sync();
    edit(&mut a, id, |e| e.issuer = "Mail (laptop)".into());
    std::thread::sleep(std::time::Duration::from_millis(5));
    edit(&mut b, id, |e| e.issuer = "Mail (desktop)".into());
    a.sync();
    let report = b.sync();
    assert_eq!(report.conflicts, 1);
    a.sync();
    assert_eq!(a.view(), b.view());
    assert_eq!(a.vault.get(id).unwrap().account.issuer, "Mail (desktop)");
    let history = sync::history(&mut a.vault, id).unwrap();
    assert!(
        history
            .iter()
            .any(|h| h.field == "issuer" && h.value == "Mail (laptop)"),
        "{history:?}"
    );
    assert_eq!(sync::history(&mut b.vault, id).unwrap(), history);
    assert!(sync::status(&mut b.vault).unwrap().conflicts_resolved >= 1);
}

#[test]
fn an_edit_after_a_delete_survives_and_a_delete_after_an_edit_wins() {
    let (_remote, mut a, mut b) = two_on_a_folder();
    let kept = a.add("Kept", "x", 4);
    let gone = a.add("Gone", "y", 5);
    a.sync();
    b.sync();
    a.vault.remove(kept).unwrap();
    edit(&mut b, gone, |e| e.note = "edited first".into());
    std::thread::sleep(std::time::Duration::from_millis(5));
    edit(&mut b, kept, |e| e.note = "edited after the delete".into());
    b.sync();
    a.vault.remove(gone).unwrap();
    a.sync();
    b.sync();
    assert_eq!(a.view(), b.view());
    assert_eq!(
        a.vault.get(kept).unwrap().details.note,
        "edited after the delete"
    );
    assert!(a.vault.get(gone).is_err());
}

#[test]
fn hotp_counters_take_the_maximum_and_a_used_backup_code_is_used_everywhere() {
    let (_remote, mut a, mut b) = two_on_a_folder();
    let hotp = a.add_hotp("Bank", 6);
    let codes = a
        .vault
        .add_backup_codes(
            hotp,
            vec![
                SecretString::from("1111-2222"),
                SecretString::from("3333-4444"),
            ],
        )
        .unwrap();
    a.sync();
    b.sync();
    for _ in 0..3 {
        a.vault.next_hotp(hotp).unwrap();
    }
    b.vault.next_hotp(hotp).unwrap();
    b.vault.mark_backup_code_used(hotp, codes[1]).unwrap();
    a.sync();
    b.sync();
    a.sync();
    assert_eq!(a.view(), b.view());
    assert_eq!(a.vault.get(hotp).unwrap().account.kind.counter(), Some(3));
    let used: Vec<bool> = a
        .vault
        .backup_codes(hotp)
        .unwrap()
        .iter()
        .map(|c| c.used_at.is_some())
        .collect();
    assert_eq!(used, [false, true]);
}

#[test]
fn servers_merge_member_by_member() {
    let (_remote, mut a, mut b) = two_on_a_folder();
    let id = uuid::Uuid::new_v4();
    let payload = |text: &str| tessera::core::secret::SecretBytes::from(text.as_bytes());
    a.vault
        .put_server(
            id,
            payload(
                r#"{"name":"s","profile":"p","base_url":"https://x/","token":"t1","last_step":5}"#,
            ),
        )
        .unwrap();
    a.sync();
    b.sync();
    a.vault
        .put_server(
            id,
            payload(
                r#"{"name":"s","profile":"p","base_url":"https://x/","token":"t2","last_step":5}"#,
            ),
        )
        .unwrap();
    b.vault
        .put_server(
            id,
            payload(
                r#"{"name":"s","profile":"p","base_url":"https://x/","token":"t1","last_step":9}"#,
            ),
        )
        .unwrap();
    a.sync();
    b.sync();
    a.sync();
    let json: serde_json::Value =
        serde_json::from_slice(b.vault.server(id).unwrap().payload.expose()).unwrap();
    assert_eq!(json["token"], "t2");
    assert_eq!(json["last_step"], 9);
    assert_eq!(
        a.vault.server(id).unwrap().payload.expose(),
        b.vault.server(id).unwrap().payload.expose()
    );
}

#[test]
fn a_removed_device_reads_nothing_written_after_and_is_told_so() {
    let (remote, mut a, mut b) = two_on_a_folder();
    let mut c = Device::new("old phone");
    pair(&mut a, &mut c, folder(remote.path()), &|| {});
    a.add("Before", "x", 7);
    a.sync();
    c.sync();
    assert_eq!(c.view().len(), 1);
    let c_id = sync::devices(&c.vault)
        .unwrap()
        .into_iter()
        .find(|d| d.this_device)
        .unwrap()
        .id;
    sync::remove_device(&mut a.vault, c_id, &options()).unwrap();
    a.add("After", "y", 8);
    a.sync();
    b.sync();
    assert_eq!(b.view().len(), 2);
    assert!(matches!(
        sync::sync_now(&mut c.vault, &options()),
        Err(SyncError::Removed)
    ));
    assert_eq!(c.view().len(), 1, "the removed device got nothing new");
    assert_eq!(sync::devices(&a.vault).unwrap().len(), 2);
}

// --- WebDAV through a real Apache mod_dav ---------------------------------

fn webdav(url: &str) -> Backend {
    Backend::webdav(url, USER, &SecretString::from(DAV_PASSWORD))
}

#[test]
fn two_devices_sync_through_a_real_webdav_server() {
    let apache = Apache::start();
    let mut a = Device::new("laptop");
    let mut b = Device::new("desktop");
    a.add("GitHub", "alice", 11);
    sync::setup(&mut a.vault, webdav(&apache.url()), "laptop", &options()).unwrap();
    pair(&mut a, &mut b, webdav(&apache.url()), &|| {});
    assert_eq!(b.view(), a.view());
    let id = b.add("GitLab", "bob", 12);
    b.sync();
    a.sync();
    assert_eq!(a.vault.get(id).unwrap().account.issuer, "GitLab");
    let wrong = Backend::webdav(apache.url(), USER, &SecretString::from("wrong"));
    let mut c = Device::new("intruder");
    let code = sync::pair(&mut a.vault, &options()).unwrap();
    let refused = sync::join(&mut c.vault, code.text().expose(), wrong, "c", &options());
    assert!(
        matches!(&refused, Err(SyncError::Remote(e)) if e.to_string().contains("refused access")),
        "{refused:?}"
    );
}

#[test]
fn a_webdav_server_stopped_mid_sync_loses_nothing_and_the_next_sync_finishes() {
    let mut apache = Apache::start();
    let relay = Relay::start(apache.port);
    let mut a = Device::new("laptop");
    let mut b = Device::new("desktop");
    sync::setup(&mut a.vault, webdav(&relay.url()), "laptop", &options()).unwrap();
    pair(&mut a, &mut b, webdav(&relay.url()), &|| {});
    for i in 0..5 {
        a.add("Offline", &format!("edit {i}"), 20 + i);
    }

    // Stopped: the changes are captured and kept, the error says so.
    apache.stop();
    let offline = sync::sync_now(&mut a.vault, &options());
    assert!(matches!(offline, Err(SyncError::Remote(_))), "{offline:?}");
    assert!(offline.unwrap_err().to_string().contains("kept"));
    let status = sync::status(&mut a.vault).unwrap();
    assert!(
        status.pending_changes > 0 && status.last_error.is_some(),
        "{status:?}"
    );
    a.add("Offline", "while down", 30);
    apache.resume();

    // Dropped connections are retried; cut-off requests too.
    relay.refuse_next(2);
    a.sync();
    b.sync();
    assert_eq!(b.view(), a.view());
    assert_eq!(b.view().len(), 6);

    a.add("Cut", "mid-upload", 31);
    relay.cut_next(1, 300);
    a.sync();
    b.sync();
    assert_eq!(b.view(), a.view());

    // More failures than retries: the sync stops, a later one finishes.
    a.add("Refused", "x", 32);
    relay.refuse_next(10);
    assert!(sync::sync_now(&mut a.vault, &options()).is_err());
    relay.refuse_next(0);
    a.sync();
    b.sync();
    assert_eq!(b.view(), a.view());
    assert_eq!(sync::status(&mut a.vault).unwrap().pending_changes, 0);
}

// --- the folder backend through two real Syncthing instances ------------

#[test]
fn two_devices_sync_through_two_real_syncthing_instances() {
    let syncthing = SyncthingPair::start();
    let (folder_a, folder_b) = syncthing.folders();
    let mut a = Device::new("laptop");
    let mut b = Device::new("desktop");
    a.add("GitHub", "alice", 41);
    sync::setup(&mut a.vault, folder(&folder_a), "laptop", &options()).unwrap();
    syncthing.settle();
    pair(&mut a, &mut b, folder(&folder_b), &|| syncthing.settle());
    assert_eq!(b.view(), a.view());

    let id = a.view()[0].id;
    edit(&mut a, id, |e| e.note = "laptop".into());
    edit(&mut b, id, |e| e.tags.push("synced".into()));
    b.add("Desktop", "only", 42);
    a.sync();
    b.sync();
    syncthing.settle();
    a.sync();
    b.sync();
    syncthing.settle();
    a.sync();
    assert_eq!(a.view(), b.view());
    let merged = a.vault.get(id).unwrap();
    assert_eq!(
        (merged.details.note.as_str(), merged.details.tags.clone()),
        ("laptop", vec!["synced".to_owned()])
    );
    assert_eq!(a.view().len(), 2);
}

#[test]
fn a_device_joining_with_the_same_accounts_adopts_them_instead_of_doubling_them() {
    let remote = tempfile::tempdir().unwrap();
    let mut a = Device::new("laptop");
    let mut b = Device::new("desktop");
    let on_a = a.add("GitHub", "alice", 51);
    let on_b = b.add("GitHub (desktop)", "alice", 51);
    edit(&mut b, on_b, |e| e.tags.push("desk".into()));
    b.vault
        .add_backup_codes(on_b, vec![SecretString::from("5555-6666")])
        .unwrap();
    b.add("Only here", "bob", 52);
    sync::setup(&mut a.vault, folder(remote.path()), "laptop", &options()).unwrap();
    pair(&mut a, &mut b, folder(remote.path()), &|| {});
    a.sync();
    assert_eq!(a.view(), b.view());
    assert_eq!(a.view().len(), 2, "the same account is not doubled");
    let merged = b.vault.get(on_a).unwrap();
    assert_eq!(merged.account.issuer, "GitHub", "the group's value wins");
    assert_eq!(merged.details.tags, ["desk"]);
    assert_eq!(merged.backup_codes.len(), 1);
    let history = sync::history(&mut a.vault, on_a).unwrap();
    assert!(
        history.iter().any(|h| h.value == "GitHub (desktop)"),
        "{history:?}"
    );
}
