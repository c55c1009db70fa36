//! Following a phone's Aegis automatic-backup folder, against the real
//! encrypted Aegis backup of the shared fixtures (password `test`, read
//! from there and copied only into a temporary folder).

use std::path::Path;

use tessera::core::secret::SecretString;
use tessera::core::sync::aegis_follow::{self, FollowError, SOURCE_TAG};
use tessera::core::transfer::ImportError;

use crate::support::sync::Device;

/// The shared encrypted Aegis backup (password `test`).
pub(super) fn fixture() -> Vec<u8> {
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

/// `tessera sync follow-aegis` as a user runs it: a dry run first, then
/// the new accounts added; a second run adds nothing; a wrong password
/// says so and writes nothing.
#[test]
fn the_cli_follows_the_backup_folder_and_adds_only_what_is_new() {
    use crate::support::cli::{CliVault, expect_success};

    let folder = tempfile::tempdir().unwrap();
    std::fs::write(
        folder.path().join("aegis-backup-20240301-120000.json"),
        fixture(),
    )
    .unwrap();
    let vault = CliVault::init();
    let dir = folder.path().to_str().unwrap();
    let run = |args: &[&str], password: &str| {
        vault
            .command(args)
            .env("TESSERA_IMPORT_PASSWORD", password)
            .output()
            .unwrap()
    };
    let args = ["sync", "follow-aegis", "--folder", dir];
    let wrong = run(&args, "nope");
    assert!(!wrong.status.success());
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(said.to_lowercase().contains("password"), "{said}");

    let dry = expect_success(&run(&[&args[..], &["--dry-run"]].concat(), "test"), &args);
    assert!(dry.contains("dry run: nothing written"), "{dry}");
    assert!(!expect_success(&vault.command(["list"]).output().unwrap(), &["list"]).contains(':'));

    let added = expect_success(&run(&args, "test"), &args);
    let count: usize = added
        .lines()
        .find_map(|l| l.strip_prefix("added "))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{added}"));
    assert!(count >= 3, "{added}");
    let listed = expect_success(
        &vault.command(["list", "--json"]).output().unwrap(),
        &["list"],
    );
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let accounts = listed.as_array().unwrap();
    assert_eq!(accounts.len(), count);
    assert!(accounts.iter().all(|a| {
        a["tags"]
            .as_array()
            .is_some_and(|tags| tags.iter().any(|t| t == SOURCE_TAG))
    }));

    let again = expect_success(&run(&args, "test"), &args);
    assert!(again.contains("added 0 accounts"), "{again}");
}
