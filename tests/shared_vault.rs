//! One vault file, two processes: a long-lived handle in this process does
//! every operation the window does, and after each one the CLI binary reads
//! and writes the same file, then the handle writes again. Both sides must
//! see every committed change, and so must a fresh open at the end.

use std::path::Path;
use std::sync::Arc;

use tessera::core::clock::SystemClock;
use tessera::core::otp;
use tessera::core::secret::SecretString;
use tessera::core::transfer::{self, ExportFormat, ImportError, Preview, export};
use tessera::core::user_file::UserFileError;
use tessera::core::vault::{Details, KdfParams, Vault};

use crate::support::cli::{CliVault, PASSWORD};

/// An account of its own for each issuer (its secret is made of the name).
fn uri(issuer: &str) -> String {
    let secret = data_encoding::BASE32_NOPAD.encode(format!("{issuer}-secret").as_bytes());
    format!("otpauth://totp/{issuer}:shared?secret={secret}&issuer={issuer}")
}

fn issuers(vault: &Vault) -> Vec<String> {
    vault
        .entries()
        .unwrap()
        .iter()
        .map(|e| e.account.issuer.clone())
        .collect()
}

/// What the window does, one step at a time, on its long-lived handle.
type Step = fn(&mut Vault, &Path);

fn backup(vault: &mut Vault, dir: &Path) {
    vault.snapshot(dir.join("backup.tessera")).unwrap();
}

fn export_every_format(vault: &mut Vault, dir: &Path) {
    let password = SecretString::from("export password");
    for format in ExportFormat::ALL {
        let options = export::ExportOptions {
            password: Some(&password),
            allow_plaintext: true,
            ..export::ExportOptions::default()
        };
        let dest = dir.join(format!("export-{}", format.id()));
        export::write_file(vault, format, &dest, &options).unwrap();
    }
}

fn import_an_export(vault: &mut Vault, dir: &Path) {
    let parsed = transfer::import_file(&dir.join("export-aegis"), None, None).unwrap();
    let preview = Preview::new(parsed, vault.entries().unwrap());
    preview.commit(vault).unwrap();
}

/// The user picks the vault itself (or its journal) as the file to import:
/// refused before the file is opened.
fn import_the_open_vault_by_mistake(vault: &mut Vault, _dir: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = vault.path().as_os_str().to_owned();
        name.push(suffix);
        let error = transfer::import_file(Path::new(&name), None, None).unwrap_err();
        assert!(
            matches!(error, ImportError::File(UserFileError::OpenVault { .. })),
            "{suffix}: {error}"
        );
    }
}

fn check_the_password(vault: &mut Vault, _dir: &Path) {
    vault
        .verify_password(&SecretString::from(PASSWORD))
        .unwrap();
    assert!(vault.verify_password(&SecretString::from("wrong")).is_err());
}

fn change_the_password_and_back(vault: &mut Vault, _dir: &Path) {
    let current = SecretString::from(PASSWORD);
    let other = SecretString::from("an interim password");
    let kdf = KdfParams::new(64, 2, 1).unwrap();
    vault
        .change_password(&current, &other, Some(kdf), None)
        .unwrap();
    vault
        .change_password(&other, &current, Some(kdf), None)
        .unwrap();
}

/// What a server flow does: a second handle on the same file, written to
/// and dropped while the first stays open.
fn write_through_a_second_handle(vault: &mut Vault, _dir: &Path) {
    let mut other = vault.open_another().unwrap();
    let account = otp::parse_uri(&uri("FlowHandle")).unwrap();
    other.insert(account, Details::default()).unwrap();
    drop(other);
}

#[test]
fn a_long_lived_handle_and_the_cli_see_each_others_writes_after_every_window_operation() {
    let cli = CliVault::init();
    let dir = cli.dir.path().to_owned();
    let mut vault = Vault::open(&cli.path, Arc::new(SystemClock)).unwrap();
    vault
        .unlock_with_password(&SecretString::from(PASSWORD))
        .unwrap();

    let steps: [(&str, Step); 7] = [
        ("backup", backup),
        ("export", export_every_format),
        ("import", import_an_export),
        ("vault-as-import", import_the_open_vault_by_mistake),
        ("password-check", check_the_password),
        ("password-change", change_the_password_and_back),
        ("second-handle", write_through_a_second_handle),
    ];
    let mut expected: Vec<String> = Vec::new();
    for (round, (name, step)) in steps.iter().enumerate() {
        step(&mut vault, &dir);
        vault.refresh().unwrap();
        expected = issuers(&vault);

        let listed = cli.ok(&["list"]);
        for issuer in &expected {
            assert!(
                listed.contains(issuer.as_str()),
                "after {name}: the CLI misses {issuer}:\n{listed}"
            );
        }
        let from_cli = format!("Cli{round}");
        cli.ok(&["add", &uri(&from_cli)]);
        vault.refresh().unwrap();
        assert!(
            issuers(&vault).contains(&from_cli),
            "after {name}: the handle misses {from_cli}"
        );

        let from_handle = format!("Handle{round}");
        let account = otp::parse_uri(&uri(&from_handle)).unwrap();
        vault.insert(account, Details::default()).unwrap();
        let listed = cli.ok(&["list"]);
        assert!(
            listed.contains(&from_handle),
            "after {name}: the CLI misses {from_handle}:\n{listed}"
        );
        expected = issuers(&vault);
    }
    drop(vault);

    let mut fresh = Vault::open(&cli.path, Arc::new(SystemClock)).unwrap();
    fresh
        .unlock_with_password(&SecretString::from(PASSWORD))
        .unwrap();
    let mut found = issuers(&fresh);
    found.sort();
    expected.sort();
    assert_eq!(found, expected);
    assert!(expected.len() > 2 * steps.len(), "{expected:?}");
}
