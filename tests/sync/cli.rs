//! `tessera sync ...` as a user runs it: two vaults, each with its own
//! HOME, syncing through a folder or Apache `WebDAV`; `pair` waits in the
//! background while `join` reads its code from the environment.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

use crate::support::cli::{CliVault, expect_success};
use crate::support::webdav::{Apache, PASSWORD as DAV_PASSWORD, USER};

fn device() -> CliVault {
    CliVault::init()
}

fn command(vault: &CliVault, args: &[&str]) -> Command {
    let mut command = vault.command(args);
    command
        .env("HOME", vault.dir.path())
        .env_remove("TESSERA_SYNC_CODE");
    command
}

fn ok(vault: &CliVault, args: &[&str]) -> String {
    expect_success(&command(vault, args).output().unwrap(), args)
}

/// `tessera sync pair --wait SECONDS` on `vault` in the background (with
/// the `WebDAV` password `dav_password`, if any): the process, its output
/// after the first line (keep it while the process runs: it writes there
/// when a device joins) and that line, the code.
fn start_pair(
    vault: &CliVault,
    wait: &str,
    dav_password: Option<&str>,
) -> (Child, BufReader<ChildStdout>, String) {
    let mut command = command(vault, &["sync", "pair", "--wait", wait]);
    if let Some(password) = dav_password {
        command.env("TESSERA_WEBDAV_PASSWORD", password);
    }
    let mut pair = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut shown = BufReader::new(pair.stdout.take().unwrap());
    let mut code = String::new();
    shown.read_line(&mut code).unwrap();
    assert!(code.starts_with("TSYNC1-"), "{code}");
    (pair, shown, code.trim().to_owned())
}

#[test]
fn two_vaults_pair_and_sync_through_the_command_line() {
    let remote = tempfile::tempdir().unwrap();
    let folder = remote.path().to_str().unwrap();
    let laptop = device();
    let desktop = device();
    ok(
        &laptop,
        &[
            "add",
            "otpauth://totp/Cli:alice?secret=JBSWY3DPEHPK3PXP&issuer=Cli",
        ],
    );
    let setup = ok(
        &laptop,
        &["sync", "setup", "--folder", folder, "--name", "laptop"],
    );
    assert!(setup.starts_with("synced:"), "{setup}");

    let (mut pair, mut shown, code) = start_pair(&laptop, "60", None);
    let joined = command(
        &desktop,
        &[
            "sync", "join", "--folder", folder, "--name", "desktop", "--wait", "60",
        ],
    )
    .env("TESSERA_SYNC_CODE", &code)
    .output()
    .unwrap();
    let joined = expect_success(&joined, &["sync", "join"]);
    assert!(joined.contains("merged"), "{joined}");
    let mut rest = String::new();
    shown.read_line(&mut rest).unwrap();
    assert!(rest.starts_with("joined: "), "{rest}");
    assert!(pair.wait().unwrap().success());

    let listed = ok(&desktop, &["list"]);
    assert!(listed.contains("Cli"), "{listed}");
    let devices = ok(&desktop, &["sync", "devices"]);
    assert_eq!(devices.lines().count(), 2, "{devices}");
    assert!(devices.contains("(this device)"));
    let status: serde_json::Value =
        serde_json::from_str(&ok(&desktop, &["sync", "status", "--json"])).unwrap();
    assert_eq!(status["set_up"], true);
    assert_eq!(status["pending_changes"], 0);
    assert!(status["last_sync"].is_u64());

    ok(
        &desktop,
        &[
            "add",
            "otpauth://totp/Back:bob?secret=JBSWY3DPEHPK3PXQ&issuer=Back",
        ],
    );
    ok(&desktop, &["sync", "now"]);
    ok(&laptop, &["sync", "now"]);
    assert!(ok(&laptop, &["list"]).contains("Back"));
    let left = ok(&desktop, &["sync", "leave"]);
    assert!(left.contains("no longer syncs"), "{left}");
    let report = ok(&laptop, &["sync", "now", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["removed"].as_array().unwrap().len(), 1, "{report}");
    assert!(ok(&desktop, &["sync", "status"]).contains("not syncing"));

    let unset = command(&desktop, &["sync", "join", "--folder", folder])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&unset.stderr).contains("TESSERA_SYNC_CODE"));
}

/// A group on `WebDAV`: the pairing code names the address, so the joining
/// device gives only the login; a folder group's code names nothing, and
/// joining without a remote says what to give.
#[test]
fn a_device_joins_a_webdav_group_through_the_address_in_the_code() {
    let dav = Apache::start();
    let url = dav.url();
    let laptop = device();
    let desktop = device();
    ok(
        &laptop,
        &[
            "add",
            "otpauth://totp/Dav:carol?secret=JBSWY3DPEHPK3PXP&issuer=Dav",
        ],
    );
    let setup = command(
        &laptop,
        &[
            "sync",
            "setup",
            "--webdav",
            &url,
            "--username",
            USER,
            "--name",
            "laptop",
        ],
    )
    .env("TESSERA_WEBDAV_PASSWORD", DAV_PASSWORD)
    .output()
    .unwrap();
    expect_success(&setup, &["sync", "setup"]);

    let (mut pair, _shown, code) = start_pair(&laptop, "60", Some(DAV_PASSWORD));
    let without_login = command(&desktop, &["sync", "join", "--wait", "5"])
        .env("TESSERA_SYNC_CODE", &code)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&without_login.stderr);
    assert!(!without_login.status.success());
    assert!(said.contains("--username") && said.contains(&url), "{said}");

    let joined = command(
        &desktop,
        &[
            "sync",
            "join",
            "--username",
            USER,
            "--name",
            "desktop",
            "--wait",
            "60",
        ],
    )
    .env("TESSERA_SYNC_CODE", &code)
    .env("TESSERA_WEBDAV_PASSWORD", DAV_PASSWORD)
    .output()
    .unwrap();
    let joined = expect_success(&joined, &["sync", "join"]);
    assert!(joined.contains("merged"), "{joined}");
    assert!(pair.wait().unwrap().success());
    assert!(ok(&desktop, &["list"]).contains("Dav"));
    let status: serde_json::Value =
        serde_json::from_str(&ok(&desktop, &["sync", "status", "--json"])).unwrap();
    assert!(
        status["remote"].as_str().is_some_and(|r| r.contains(&url)),
        "{status}"
    );

    let remote = tempfile::tempdir().unwrap();
    let folder = remote.path().to_str().unwrap();
    let other = device();
    ok(&other, &["sync", "setup", "--folder", folder]);
    let (mut pair, _shown_too, folder_code) = start_pair(&other, "5", None);
    let nowhere = command(&device(), &["sync", "join", "--username", USER])
        .env("TESSERA_SYNC_CODE", &folder_code)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&nowhere.stderr);
    assert!(!nowhere.status.success());
    assert!(said.contains("names no remote"), "{said}");
    let _ = pair.kill();
    let _ = pair.wait();
}
