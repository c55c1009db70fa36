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
