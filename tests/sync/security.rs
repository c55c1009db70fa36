//! What the remote can and cannot do: read nothing (grep every file for
//! every plaintext), change any byte unnoticed (flip sweeps, as the vault's
//! tamper sweep does), roll back or replay a device's log unnoticed.
//! `TESSERA_SYNC_SWEEP=full` flips every byte (the `make sync-trials`
//! form); by default every 19th.

use std::path::{Path, PathBuf};

use tessera::core::secret::{SecretBytes, SecretString};
use tessera::core::sync::{self, ProblemKind, SyncError};

use super::{folder, webdav};
use crate::support::sync::{Device, options, pair};
use crate::support::webdav::{Apache, PASSWORD as DAV_PASSWORD, files_under};

const ISSUER: &str = "Zanzibar Credit Union";
const NAME: &str = "quentin.q@example.org";
const TAG: &str = "tag-unlikely-xyzzy";
const NOTE: &str = "note-recovery-phrase-plover";
const CODE: &str = "BACKUP-CODE-98765";
const TOKEN: &str = "server-session-token-frobozz";

fn stride() -> usize {
    if std::env::var("TESSERA_SYNC_SWEEP").is_ok_and(|v| v == "full") {
        1
    } else {
        19
    }
}

/// A device whose vault holds every kind of secret the remote must not see.
fn secretive(device: &mut Device) {
    let id = device.add(ISSUER, NAME, 0x5eed);
    let entry = device.vault.get(id).unwrap();
    let mut details = entry.details.clone();
    details.tags = vec![TAG.into()];
    details.note = NOTE.into();
    let account = entry.account.clone();
    device.vault.update(id, account, details).unwrap();
    device
        .vault
        .add_backup_codes(id, vec![SecretString::from(CODE)])
        .unwrap();
    let server =
        format!(r#"{{"name":"srv","profile":"p","base_url":"https://x/","token":"{TOKEN}"}}"#);
    device
        .vault
        .put_server(uuid::Uuid::new_v4(), SecretBytes::from(server.as_bytes()))
        .unwrap();
}

fn needles(device: &Device) -> Vec<Vec<u8>> {
    let secret = device.vault.entries().unwrap()[0]
        .account
        .secret
        .expose()
        .to_vec();
    let mut out: Vec<Vec<u8>> = [
        ISSUER,
        NAME,
        TAG,
        NOTE,
        CODE,
        TOKEN,
        DAV_PASSWORD,
        "device password",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    out.push(data_encoding::HEXLOWER.encode(&secret).into_bytes());
    out.push(data_encoding::BASE32_NOPAD.encode(&secret).into_bytes());
    out.push(secret);
    out
}

fn assert_no_plaintext(root: &Path, needles: &[Vec<u8>]) {
    let files = files_under(root);
    assert!(files.len() >= 4, "the remote holds the group's files");
    for (path, bytes) in files {
        for needle in needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "{} holds {:?} in clear",
                path.display(),
                String::from_utf8_lossy(needle)
            );
        }
    }
}

#[test]
fn the_remote_holds_no_issuer_name_secret_or_other_plaintext() {
    let remote = tempfile::tempdir().unwrap();
    let apache = Apache::start();
    for (backend, root) in [
        (folder(remote.path()), remote.path().to_owned()),
        (webdav(&apache.url()), apache.files()),
    ] {
        let mut a = Device::new("laptop");
        let mut b = Device::new("desktop");
        secretive(&mut a);
        sync::setup(&mut a.vault, backend.clone(), "laptop", &options()).unwrap();
        pair(&mut a, &mut b, backend, &|| {});
        assert_eq!(b.view(), a.view());
        assert_no_plaintext(&root, &needles(&a));
    }
}

/// Flips bytes of `file` (every `stride()`th, 0x01 then 0x80) and checks
/// that `reader`'s next sync refuses each change and merges nothing.
fn sweep(file: &Path, reader: &mut Device, trials: &mut usize) {
    let original = std::fs::read(file).unwrap();
    let before = reader.view();
    for i in (0..original.len()).step_by(stride()) {
        for mask in [0x01u8, 0x80] {
            let mut bad = original.clone();
            bad[i] ^= mask;
            std::fs::write(file, &bad).unwrap();
            let refused = match sync::sync_now(&mut reader.vault, &options()) {
                Err(_) => true,
                Ok(report) => !report.problems.is_empty(),
            };
            assert!(
                refused,
                "{} byte {i} ^ {mask:#x} was not noticed",
                file.display()
            );
            assert_eq!(
                reader.view(),
                before,
                "{} byte {i}: nothing merged",
                file.display()
            );
            *trials += 1;
        }
    }
    std::fs::write(file, &original).unwrap();
}

fn segments(root: &Path, device: uuid::Uuid) -> Vec<PathBuf> {
    let dir = root.join("devices").join(device.hyphenated().to_string());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    out.sort();
    out
}

fn device_id(device: &Device) -> uuid::Uuid {
    sync::devices(&device.vault)
        .unwrap()
        .into_iter()
        .find(|d| d.this_device)
        .unwrap()
        .id
}

#[test]
fn a_byte_flipped_in_any_remote_file_is_refused() {
    let remote = tempfile::tempdir().unwrap();
    let root = remote.path();
    let mut a = Device::new("laptop");
    let mut b = Device::new("desktop");
    let mut c = Device::new("phone");
    sync::setup(&mut a.vault, folder(root), "laptop", &options()).unwrap();
    pair(&mut a, &mut b, folder(root), &|| {});
    pair(&mut a, &mut c, folder(root), &|| {});
    b.sync();
    // New data for b to read: a segment of every kind of entry and a new
    // key file (c is removed).
    let already = segments(root, device_id(&a)).len();
    secretive(&mut a);
    sync::remove_device(&mut a.vault, device_id(&c), &options()).unwrap();
    a.sync();
    let mut trials = 0;
    let keys: Vec<PathBuf> = files_under(&root.join("keys"))
        .into_iter()
        .map(|(p, _)| root.join("keys").join(p))
        .collect();
    sweep(keys.last().unwrap(), &mut b, &mut trials);
    for segment in &segments(root, device_id(&a))[already..] {
        sweep(segment, &mut b, &mut trials);
    }
    // And the other way: b's new segment, read by a.
    let b_already = segments(root, device_id(&b)).len();
    b.sync();
    b.add("From", "desktop", 77);
    b.sync();
    for segment in &segments(root, device_id(&b))[b_already..] {
        sweep(segment, &mut a, &mut trials);
    }
    // The group file, read by a device that joins.
    let group = root.join("group");
    let original = std::fs::read(&group).unwrap();
    let code = sync::pair(&mut a.vault, &options()).unwrap();
    for i in 0..original.len() {
        let mut bad = original.clone();
        bad[i] ^= 0x01;
        std::fs::write(&group, &bad).unwrap();
        let mut d = Device::new("new");
        let joined = sync::join(
            &mut d.vault,
            code.text().expose(),
            folder(root),
            "d",
            &options(),
        );
        assert!(
            matches!(joined, Err(SyncError::WrongGroup)),
            "group byte {i}: {joined:?}"
        );
        trials += 1;
    }
    std::fs::write(&group, &original).unwrap();
    assert!(trials > 200, "{trials} changes tried");

    // Untouched, everything goes through.
    a.sync();
    b.sync();
    assert_eq!(a.view(), b.view());
    assert_eq!(a.view().len(), 2);
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    for (path, bytes) in files_under(from) {
        let dest = to.join(path);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
}

#[test]
fn a_remote_rolled_back_to_an_older_copy_is_refused() {
    let remote = tempfile::tempdir().unwrap();
    let root = remote.path().join("remote");
    let older = remote.path().join("older");
    std::fs::create_dir_all(&root).unwrap();
    let mut a = Device::new("laptop");
    let mut b = Device::new("desktop");
    a.add("First", "x", 1);
    sync::setup(&mut a.vault, folder(&root), "laptop", &options()).unwrap();
    pair(&mut a, &mut b, folder(&root), &|| {});
    copy_dir(&root, &older);
    a.add("Second", "y", 2);
    a.sync();
    b.sync();
    assert_eq!(b.view().len(), 2);

    // The whole remote put back.
    copy_dir(&older, &root);
    assert!(matches!(
        sync::sync_now(&mut a.vault, &options()),
        Err(SyncError::RemoteRolledBack { .. })
    ));
    let report = b.sync();
    assert_eq!(
        report.problems.iter().map(|p| p.kind).collect::<Vec<_>>(),
        [ProblemKind::RolledBack]
    );
    assert_eq!(b.view().len(), 2, "nothing b merged is undone");
    assert!(sync::status(&mut b.vault).unwrap().problems[0].contains("rolled back"));
}

#[test]
fn a_replayed_segment_and_a_vault_put_back_from_a_backup_are_refused() {
    let remote = tempfile::tempdir().unwrap();
    let root = remote.path();
    let mut a = Device::new("laptop");
    let mut b = Device::new("desktop");
    sync::setup(&mut a.vault, folder(root), "laptop", &options()).unwrap();
    pair(&mut a, &mut b, folder(root), &|| {});
    a.add("One", "x", 1);
    a.sync();
    let backup = a.vault.path().with_file_name("backup.tessera");
    a.vault.snapshot(&backup).unwrap();
    a.add("Two", "y", 2);
    a.sync();

    // An old segment of a's replayed under the next number.
    let own = segments(root, device_id(&a));
    let next = own
        .last()
        .unwrap()
        .with_file_name(format!("{:016x}.seg", own.len() + 1));
    std::fs::copy(&own[0], &next).unwrap();
    let report = b.sync();
    assert!(
        report
            .problems
            .iter()
            .any(|p| matches!(p.kind, ProblemKind::Tampered | ProblemKind::Replayed)),
        "{report:?}"
    );
    std::fs::remove_file(&next).unwrap();

    // a's vault put back from the backup would reuse segment numbers.
    let mut restored = tessera::core::vault::Vault::open(
        &backup,
        std::sync::Arc::new(tessera::core::clock::SystemClock),
    )
    .unwrap();
    restored
        .unlock_with_password(&SecretString::from(crate::support::sync::PASSWORD))
        .unwrap();
    assert!(matches!(
        sync::sync_now(&mut restored, &options()),
        Err(SyncError::VaultBehindRemote)
    ));
}
