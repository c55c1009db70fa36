//! Following a phone's Aegis automatic-backup folder, against the real
//! encrypted Aegis backup of the shared fixtures (password `test`, read
//! from there and copied only into a temporary folder).

use std::path::Path;

use tessera::core::secret::SecretString;
use tessera::core::sync::aegis_follow::{self, FollowError, SOURCE_TAG};
use tessera::core::transfer::ImportError;

use crate::support::sync::Device;

fn fixture() -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/fixtures/aegis-importers/aegis_encrypted.json"),
    )
    .unwrap()
}

#[test]
fn the_newest_aegis_backup_is_staged_tagged_and_nothing_is_deleted() {
    let folder = tempfile::tempdir().unwrap();
    let mut device = Device::new("desktop");
    let password = SecretString::from("test");
    assert!(matches!(
        aegis_follow::follow(&device.vault, folder.path(), &password),
        Err(FollowError::NoBackup { .. })
    ));
    std::fs::write(
        folder.path().join("aegis-backup-20240101-000000.json"),
        b"older, not read",
    )
    .unwrap();
    std::fs::write(
        folder.path().join("aegis-backup-20240301-120000.json"),
        fixture(),
    )
    .unwrap();
    std::fs::write(folder.path().join("notes.json"), b"{}").unwrap();

    let wrong = aegis_follow::follow(&device.vault, folder.path(), &SecretString::from("nope"));
    assert!(
        matches!(
            wrong,
            Err(FollowError::Import(ImportError::WrongPassword { .. }))
        ),
        "{wrong:?}"
    );

    let followed = aegis_follow::follow(&device.vault, folder.path(), &password).unwrap();
    assert!(followed.file.ends_with("aegis-backup-20240301-120000.json"));
    let new = followed.preview.count("new");
    assert!(new >= 3, "{new} new accounts");
    assert!(
        followed
            .preview
            .new_items()
            .all(|item| item.details.tags.iter().any(|t| t == SOURCE_TAG))
    );
    assert!(
        device.vault.entries().unwrap().is_empty(),
        "nothing written before the user confirms"
    );
    let ids = followed.preview.commit(&mut device.vault).unwrap();
    assert_eq!(ids.len(), new);

    // The phone renames one account and drops another: the rename is
    // offered, the dropped one is only reported, nothing is added twice.
    let renamed = ids[0];
    let dropped = ids[1];
    let entry = device.vault.get(renamed).unwrap().clone();
    let mut account = entry.account.clone();
    account.issuer = format!("{} (old name)", account.issuer);
    device
        .vault
        .update(renamed, account, entry.details.clone())
        .unwrap();
    let mut dropped_account = device.vault.get(dropped).unwrap().account.clone();
    dropped_account.secret = tessera::core::secret::SecretBytes::from(vec![0xAB; 20]);
    let details = device.vault.get(dropped).unwrap().details.clone();
    device
        .vault
        .update(dropped, dropped_account, details)
        .unwrap();
    let again = aegis_follow::follow(&device.vault, folder.path(), &password).unwrap();
    assert_eq!(
        again.changed.iter().map(|c| c.existing).collect::<Vec<_>>(),
        [renamed]
    );
    assert_eq!(again.missing, [dropped]);
    assert_eq!(
        again.preview.count("new"),
        1,
        "the account whose key changed comes in again"
    );
    assert_eq!(
        device.vault.entries().unwrap().len(),
        ids.len(),
        "nothing removed"
    );
}
