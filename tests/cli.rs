use std::process::Command;

use crate::support::{temp_vault, tessera_bin};

#[test]
fn info_reports_the_vault_given_by_flag() {
    let (_dir, vault) = temp_vault();
    let output = Command::new(tessera_bin())
        .arg("--vault")
        .arg(&vault)
        .arg("info")
        .env_remove("TESSERA_VAULT")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains(&format!("vault: {} (not created yet)", vault.display())),
        "{stdout}"
    );
    assert!(
        stdout.starts_with(&format!("tessera {}", env!("CARGO_PKG_VERSION"))),
        "{stdout}"
    );
}

#[test]
fn info_reads_the_vault_from_the_environment() {
    let (_dir, vault) = temp_vault();
    std::fs::write(&vault, b"").unwrap();
    let output = Command::new(tessera_bin())
        .arg("info")
        .env("TESSERA_VAULT", &vault)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains(&format!("vault: {} (exists)", vault.display())),
        "{stdout}"
    );
}

#[test]
fn flag_overrides_the_environment() {
    let (_dir, from_flag) = temp_vault();
    let output = Command::new(tessera_bin())
        .arg("info")
        .arg("--vault")
        .arg(&from_flag)
        .env("TESSERA_VAULT", "/nonexistent/other.tessera")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains(&from_flag.display().to_string()),
        "{stdout}"
    );
}

#[test]
fn default_vault_is_in_the_platform_data_dir() {
    let data_home = tempfile::tempdir().unwrap();
    let output = Command::new(tessera_bin())
        .arg("info")
        .env_remove("TESSERA_VAULT")
        .env("XDG_DATA_HOME", data_home.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let expected = data_home.path().join("tessera").join("vault.tessera");
    assert!(stdout.contains(&expected.display().to_string()), "{stdout}");
}

#[test]
fn gui_without_a_display_explains_how_to_get_one() {
    let (_dir, vault) = temp_vault();
    let output = Command::new(tessera_bin())
        .arg("--vault")
        .arg(&vault)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("no display"), "{stderr}");
    assert!(stderr.contains("xvfb-run"), "{stderr}");
    assert!(!vault.exists(), "opening nothing must create nothing");
}

// ---------------------------------------------------------------------------
// `show-qr` writes the seed as a picture: only ever to a new, private file.

/// A vault with one account; its id.
fn vault_with_an_account() -> (crate::support::cli::CliVault, String) {
    let vault = crate::support::cli::CliVault::init();
    let id = vault
        .ok(&[
            "add",
            "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example",
        ])
        .trim()
        .to_owned();
    (vault, id)
}

#[cfg(unix)]
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[test]
fn show_qr_never_overwrites_an_existing_file() {
    use std::os::unix::fs::PermissionsExt;
    let (vault, id) = vault_with_an_account();
    let fresh = vault.dir.path().join("fresh.png");
    let fresh = fresh.to_str().unwrap();
    assert_eq!(vault.ok(&["show-qr", &id, "--out", fresh]).trim(), fresh);
    assert_eq!(
        mode_of(fresh.as_ref()),
        0o600,
        "a new picture is owner-only"
    );
    let first = std::fs::read(fresh).unwrap();

    let shared = vault.dir.path().join("shared.svg");
    std::fs::write(&shared, b"a file other users can read").unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o644)).unwrap();
    for out in [shared.to_str().unwrap(), fresh] {
        let before = std::fs::read(out).unwrap();
        let mode = mode_of(out.as_ref());
        let stderr = vault.err(&["show-qr", &id, "--out", out]);
        assert!(
            stderr.contains("already exists") && stderr.contains(out),
            "{stderr}"
        );
        assert_eq!(std::fs::read(out).unwrap(), before, "{out} was changed");
        assert_eq!(mode_of(out.as_ref()), mode, "{out} changed mode");
    }
    assert_eq!(std::fs::read(fresh).unwrap(), first);
    assert_no_partial_files(vault.dir.path());
}

#[cfg(unix)]
#[test]
fn show_qr_never_writes_through_a_symlink() {
    let (vault, id) = vault_with_an_account();
    let dir = vault.dir.path();
    let target = dir.join("target.png");
    std::fs::write(&target, b"keep me").unwrap();
    let link = dir.join("link.png");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let missing = dir.join("created-by-the-link.svg");
    let dangling = dir.join("dangling.svg");
    std::os::unix::fs::symlink(&missing, &dangling).unwrap();
    for out in [&link, &dangling] {
        let stderr = vault.err(&["show-qr", &id, "--out", out.to_str().unwrap()]);
        assert!(stderr.contains("symbolic link"), "{stderr}");
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    assert!(!missing.exists(), "the dangling link's target was created");
    assert_no_partial_files(dir);
}

/// No `NAME.partial-*` left behind by the private-file writer.
fn assert_no_partial_files(dir: &std::path::Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.contains(".partial-"), "{name} left behind");
    }
}

/// Every export format writes only a new, private file: never over a file
/// other users can read, never through a symbolic link (the Tessera backup
/// through the vault's snapshot, the others through `core::private_file`).
#[cfg(unix)]
#[test]
fn exports_never_write_over_a_file_or_through_a_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let (vault, _) = vault_with_an_account();
    let dir = vault.dir.path();
    for (format, extension) in [
        ("otpauth", "txt"),
        ("tessera", "tessera"),
        ("google-qr", "png"),
    ] {
        let shared = dir.join(format!("shared-{format}.{extension}"));
        std::fs::write(&shared, b"a file other users can read").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o644)).unwrap();
        let target = dir.join(format!("target-{format}.{extension}"));
        std::fs::write(&target, b"keep me").unwrap();
        let link = dir.join(format!("link-{format}.{extension}"));
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let missing = dir.join(format!("created-by-the-link-{format}.{extension}"));
        let dangling = dir.join(format!("dangling-{format}.{extension}"));
        std::os::unix::fs::symlink(&missing, &dangling).unwrap();

        let export = |out: &std::path::Path| {
            let out = out.to_str().unwrap().to_owned();
            vault.run(&[
                "export",
                "--format",
                format,
                "--out",
                &out,
                "--yes-plaintext",
            ])
        };
        for out in [&shared, &link, &dangling] {
            let output = export(out);
            let stderr = crate::support::cli::expect_failure(&output, &["export", format]);
            assert!(stderr.contains("already exists"), "{format}: {stderr}");
        }
        assert_eq!(
            std::fs::read(&shared).unwrap(),
            b"a file other users can read"
        );
        assert_eq!(mode_of(&shared), 0o644, "{format}: the mode was changed");
        assert_eq!(std::fs::read(&target).unwrap(), b"keep me", "{format}");
        assert!(
            !missing.exists(),
            "{format}: the dangling link's target was created"
        );

        let fresh = dir.join(format!("fresh-{format}.{extension}"));
        crate::support::cli::expect_success(&export(&fresh), &["export", format]);
        assert_eq!(
            mode_of(&fresh),
            0o600,
            "{format}: a new export is owner-only"
        );
    }
    assert_no_partial_files(dir);
}

#[test]
fn an_argument_that_is_no_command_is_named_back_and_a_bad_link_is_not() {
    let (_dir, vault) = temp_vault();
    let run = |argument: &str| {
        Command::new(tessera_bin())
            .arg("--vault")
            .arg(&vault)
            .arg(argument)
            .env("DISPLAY", ":0")
            .output()
            .unwrap()
    };
    let typo = run("lsit");
    let stderr = crate::support::cli::expect_failure(&typo, &["lsit"]);
    assert!(
        stderr.contains("'lsit' is not a command")
            && stderr.contains("did you mean `tessera list`"),
        "{stderr}"
    );
    let unknown = run("frobnicate");
    let stderr = crate::support::cli::expect_failure(&unknown, &["frobnicate"]);
    assert!(stderr.contains("see `tessera --help`"), "{stderr}");

    let secret = "JBSWY3DPEHPK3PXP";
    let broken = run(&format!("otpauth://totp/x?secret={secret}\u{7}"));
    let stderr = crate::support::cli::expect_failure(&broken, &["a link"]);
    assert!(
        stderr.contains("cannot open the link") && stderr.contains("control characters"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(secret),
        "the link holds a secret: {stderr}"
    );
    assert!(!vault.exists(), "nothing was opened");
}

#[test]
fn a_link_and_a_command_together_are_refused() {
    let (_dir, vault) = temp_vault();
    let output = Command::new(tessera_bin())
        .arg("--vault")
        .arg(&vault)
        .args(["otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", "list"])
        .output()
        .unwrap();
    let stderr = crate::support::cli::expect_failure(&output, &["a link", "list"]);
    assert!(stderr.contains("a link is given alone"), "{stderr}");
    assert!(!stderr.contains("JBSWY3DP"), "{stderr}");
    assert!(!vault.exists());
}
