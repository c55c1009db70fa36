use std::process::Command;

use serde_json::Value;

use crate::support::cli::{
    ARGV_WARNING, CliVault, PASSWORD, TEST_KDF, WARNING, expect_failure, expect_success,
    keyring_available, run_with_stdin,
};
use crate::support::tessera_bin;

const RFC6238_SHA1: &str =
    "otpauth://totp/RFC:6238?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&period=30&issuer=RFC";
const RFC4226: &str =
    "otpauth://hotp/RFC:4226?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0&issuer=RFC";

fn aegis_plain_uris() -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/aegis-importers/plain.txt"
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("otpauth://"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn init_refuses_to_overwrite_a_vault() {
    let vault = CliVault::init();
    let mut args = vec!["init"];
    args.extend(TEST_KDF);
    let stderr = vault.err(&args);
    assert!(stderr.contains("already exists"), "{stderr}");
}

#[test]
fn added_accounts_are_listed_with_their_parameters_and_no_secret() {
    let vault = CliVault::init();
    let uris = aegis_plain_uris();
    assert_eq!(uris.len(), 7);
    let mut ids = Vec::new();
    for uri in &uris {
        let id = vault
            .ok(&["add", uri, "--tag", "fixture"])
            .trim()
            .to_owned();
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().to_string(), id);
        ids.push(id);
    }
    let listed: Value = serde_json::from_str(&vault.ok(&["list", "--json"])).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 7);
    let by_issuer = |issuer: &str| {
        listed
            .iter()
            .find(|a| a["issuer"] == issuer)
            .unwrap()
            .clone()
    };
    let spdx = by_issuer("SPDX");
    assert_eq!(spdx["account"], "James");
    assert_eq!(spdx["kind"], "totp");
    assert_eq!(spdx["algorithm"], "sha256");
    assert_eq!(spdx["digits"], 7);
    assert_eq!(spdx["period"], 20);
    assert_eq!(spdx["counter"], Value::Null);
    assert_eq!(spdx["tags"], serde_json::json!(["fixture"]));
    assert_eq!(spdx["favorite"], false);
    let wwe = by_issuer("WWE");
    assert_eq!(
        (wwe["kind"].as_str(), wwe["counter"].as_u64()),
        (Some("hotp"), Some(10300))
    );
    assert_eq!(by_issuer("Boeing")["kind"], "steam");
    assert_eq!(by_issuer("Boeing")["digits"], 5);
    let ids_listed: Vec<&str> = listed.iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(ids_listed, ids, "listed in the order added");

    let text = vault.ok(&["list"]);
    assert_eq!(text.lines().count(), 7);
    let spdx_line = text
        .lines()
        .find(|line| line.contains("SPDX:James"))
        .unwrap();
    assert!(
        spdx_line.contains("totp SHA256 7 digits 20s  [fixture]"),
        "the text list shows algorithm, digits and period: {spdx_line}"
    );
    for secret in [
        "4SJHB4GSD43FZBAI7C2HLRJGPQ",
        "5OM4WOOGPLQEF6UGN3CPEOOLWU",
        "JRZCL47CMXVOQMNPZR2F7J4RGI",
    ] {
        assert!(!text.contains(secret) && !text.to_lowercase().contains(&secret.to_lowercase()));
    }
}

#[test]
fn code_at_a_fixed_time_matches_rfc_6238() {
    let vault = CliVault::init();
    vault.ok(&["add", RFC6238_SHA1]);
    // RFC 6238 appendix B, SHA1 column.
    for (at, expected) in [
        ("59", "94287082"),
        ("1111111109", "07081804"),
        ("20000000000", "65353130"),
    ] {
        assert_eq!(
            vault.ok(&["code", "rfc", "--at", at]).trim(),
            expected,
            "at {at}"
        );
    }
    let json: Value =
        serde_json::from_str(&vault.ok(&["code", "6238", "--at", "59", "--json"])).unwrap();
    assert_eq!(json["code"], "94287082");
    // t = 60..89 is counter 2: RFC 4226 appendix D's decimal 137359152, to 8 digits.
    assert_eq!(json["next"], "37359152");
    assert_eq!(json["valid_for_ms"], 1000);
}

#[test]
fn hotp_codes_advance_the_stored_counter() {
    let vault = CliVault::init();
    vault.ok(&["add", RFC4226]);
    // RFC 4226 appendix D, counters 0, 1, 2.
    for expected in ["755224", "287082", "359152"] {
        assert_eq!(vault.ok(&["code", "4226"]).trim(), expected);
    }
    let listed: Value = serde_json::from_str(&vault.ok(&["list", "--json"])).unwrap();
    assert_eq!(listed[0]["counter"], 3);
    let json: Value = serde_json::from_str(&vault.ok(&["code", "4226", "--json"])).unwrap();
    assert_eq!(
        (json["code"].as_str(), json["counter"].as_u64()),
        (Some("969429"), Some(3))
    );
    assert_eq!(json["valid_for_ms"], Value::Null);
}

#[test]
fn a_query_must_name_exactly_one_account() {
    let vault = CliVault::init();
    let first = vault.ok(&["add", RFC6238_SHA1]).trim().to_owned();
    let second = vault.ok(&["add", RFC4226]).trim().to_owned();
    let stderr = vault.err(&["code", "RFC"]);
    assert!(stderr.contains("matches 2 accounts"), "{stderr}");
    assert!(
        stderr.contains(&first) && stderr.contains(&second),
        "{stderr}"
    );
    assert!(
        !stderr.contains("GEZDGNBV"),
        "no secret in errors: {stderr}"
    );
    let stderr = vault.err(&["code", "github"]);
    assert!(stderr.contains("no account matches \"github\""), "{stderr}");
    // An id prefix is a substring of the id.
    assert_eq!(
        vault.ok(&["code", &first[..8], "--at", "59"]).trim(),
        "94287082"
    );
}

#[test]
fn a_mistyped_query_suggests_the_closest_accounts() {
    let vault = CliVault::init();
    for uri in [
        "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
        "otpauth://totp/GitLab:alice?secret=KRSXG5CTMVRXEZLU&issuer=GitLab",
        "otpauth://totp/Dropbox:alice?secret=GEZDGNBVGY3TQOJQ&issuer=Dropbox",
    ] {
        vault.ok(&["add", uri]);
    }
    let stderr = vault.err(&["code", "githbu"]);
    assert!(
        stderr.contains("no account matches \"githbu\"; did you mean GitHub:alice?"),
        "{stderr}"
    );
    let stderr = vault.err(&["code", "gitlba"]);
    assert!(stderr.contains("did you mean GitLab:alice"), "{stderr}");
    assert!(!stderr.contains("Dropbox"), "{stderr}");
    let stderr = vault.err(&["code", "zzzzzz"]);
    assert!(!stderr.contains("did you mean"), "{stderr}");
}

#[test]
fn remove_deletes_only_the_named_account() {
    let vault = CliVault::init();
    let totp = vault.ok(&["add", RFC6238_SHA1]).trim().to_owned();
    vault.ok(&["add", RFC4226]);
    assert!(vault.ok(&["remove", &totp]).contains(&totp));
    let listed: Value = serde_json::from_str(&vault.ok(&["list", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["kind"], "hotp");
    assert!(vault.err(&["remove", &totp]).contains("no account matches"));
}

#[test]
fn malformed_uris_are_refused_with_the_reason() {
    let vault = CliVault::init();
    let cases = [
        ("otpauth://totp/X?secret=AB1!", "base32"),
        (
            "otpauth://totp/X?secret=JBSWY3DPEHPK3PXP&algorithm=MD5",
            "MD5",
        ),
        (
            "otpauth://totp/X?secret=JBSWY3DPEHPK3PXP&digits=12",
            "digits",
        ),
        ("otpauth://totp/X?issuer=Y", "secret"),
        ("https://example.com/?secret=JBSWY3DPEHPK3PXP", "scheme"),
    ];
    for (uri, reason) in cases {
        let stderr = vault.err(&["add", uri]);
        assert!(stderr.contains("invalid otpauth URI"), "{uri}: {stderr}");
        assert!(
            stderr.to_lowercase().contains(&reason.to_lowercase()),
            "{uri}: {stderr}"
        );
    }
    assert_eq!(
        vault.ok(&["list", "--json"]).trim(),
        "[]",
        "nothing was added"
    );
}

#[test]
fn wrong_password_is_reported_and_changes_nothing() {
    let vault = CliVault::init();
    vault.ok(&["add", RFC6238_SHA1]);
    let output = vault
        .command(["list"])
        .env("TESSERA_PASSWORD", "not the password")
        .output()
        .unwrap();
    let stderr = expect_failure(&output, &["list"]);
    assert_eq!(stderr.trim(), "tessera: wrong password");
    assert_eq!(vault.ok(&["list"]).lines().count(), 1);
}

#[test]
fn password_file_is_read_when_the_environment_has_none() {
    let vault = CliVault::init();
    let file = vault.dir.path().join("password.txt");
    std::fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    let output = vault
        .command(["--password-file", file.to_str().unwrap(), "list", "--json"])
        .env_remove("TESSERA_PASSWORD")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn without_any_password_source_the_cli_says_how_to_give_one() {
    let vault = CliVault::init();
    let output = vault
        .command(["list"])
        .env_remove("TESSERA_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = expect_failure(&output, &["list"]);
    assert!(stderr.contains("TESSERA_PASSWORD"), "{stderr}");
}

#[test]
fn init_without_a_password_says_how_to_give_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.tessera");
    let mut args = vec!["--vault", path.to_str().unwrap(), "init"];
    args.extend(TEST_KDF);
    let output = Command::new(tessera_bin())
        .args(&args)
        .env_remove("TESSERA_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stderr = expect_failure(&output, &["init"]);
    assert!(
        stderr.contains("TESSERA_PASSWORD")
            && stderr.contains("--password-file")
            && stderr.contains("terminal"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("keyring"),
        "a new vault has no keyring slot: {stderr}"
    );
    assert!(!path.exists());
}

#[test]
fn init_with_a_guessable_password_warns_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("weak.tessera");
    let mut args = vec!["--vault", path.to_str().unwrap(), "init"];
    args.extend(TEST_KDF);
    let output = Command::new(tessera_bin())
        .args(&args)
        .env("TESSERA_PASSWORD", "password123")
        .output()
        .unwrap();
    expect_success(&output, &["init"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{WARNING}this password is weak")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("password123"),
        "the password is not echoed: {stderr}"
    );
    assert!(path.exists());

    let strong = dir.path().join("strong.tessera");
    let mut args = vec!["--vault", strong.to_str().unwrap(), "init"];
    args.extend(TEST_KDF);
    let output = Command::new(tessera_bin())
        .args(&args)
        .env("TESSERA_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    expect_success(&output, &["init"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("this password is"), "{stderr}");
}

#[test]
fn a_missing_vault_points_at_init() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("none.tessera");
    let output = Command::new(tessera_bin())
        .args(["--vault", path.to_str().unwrap(), "list"])
        .env("TESSERA_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stderr = expect_failure(&output, &["list"]);
    assert!(stderr.contains("tessera init"), "{stderr}");
    assert!(!path.exists());
}

#[test]
fn backup_codes_are_kept_and_used_once() {
    let vault = CliVault::init();
    let id = vault.ok(&["add", RFC6238_SHA1]).trim().to_owned();
    vault.ok(&[
        "backup-codes",
        "add",
        &id,
        "1111-2222",
        "3333-4444",
        "5555-6666",
    ]);
    let listed = vault.ok(&["backup-codes", "list", &id]);
    assert!(
        listed.contains("1111-2222") && listed.ends_with("3 of 3 unused\n"),
        "{listed}"
    );

    assert!(
        vault
            .ok(&["backup-codes", "use", &id, "3333-4444"])
            .contains("2 left")
    );
    let stderr = vault.err(&["backup-codes", "use", &id, "3333-4444"]);
    assert!(
        stderr.contains("no unused backup code 1"),
        "used codes cannot be used again: {stderr}"
    );
    assert!(!stderr.contains("3333"), "no code in errors: {stderr}");
    // A typo among several marks none of them.
    vault.err(&["backup-codes", "use", &id, "1111-2222", "9999-0000"]);
    let json: Value =
        serde_json::from_str(&vault.ok(&["backup-codes", "list", &id, "--json"])).unwrap();
    let used: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|code| !code["used_at"].is_null())
        .map(|code| code["code"].as_str().unwrap())
        .collect();
    assert_eq!(used, ["3333-4444"]);
}

#[test]
fn passwd_replaces_the_password() {
    let vault = CliVault::init();
    vault.ok(&["add", RFC6238_SHA1]);
    let output = vault
        .command(["passwd"])
        .env("TESSERA_NEW_PASSWORD", "a new password")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = vault.err(&["list"]);
    assert!(
        stderr.contains("wrong password"),
        "the old password no longer opens it"
    );
    let output = vault
        .command(["code", "rfc", "--at", "59"])
        .env("TESSERA_PASSWORD", "a new password")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "94287082");
}

#[test]
fn passwd_rotates_the_key_and_keyring_unlock_keeps_working() {
    if !keyring_available("passwd_rotates_the_key_and_keyring_unlock_keeps_working") {
        return;
    }
    let vault = CliVault::init();
    vault.ok(&["add", RFC6238_SHA1]);
    vault.ok(&["keyring", "enable"]);
    let output = vault
        .command(["passwd"])
        .env("TESSERA_NEW_PASSWORD", "a rotated password")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains("copies made before open only with the old password"),
        "{said}"
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains("keyring unlock was turned off"));
    let output = vault
        .command(["code", "rfc", "--at", "59"])
        .env_remove("TESSERA_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the keyring still opens the vault: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "94287082");
}

#[test]
fn keyring_unlock_opens_the_vault_without_a_password() {
    if !keyring_available("keyring_unlock_opens_the_vault_without_a_password") {
        return;
    }
    let vault = CliVault::init();
    vault.ok(&["add", RFC6238_SHA1]);
    vault.ok(&["keyring", "enable"]);
    let output = vault
        .command(["code", "rfc", "--at", "59"])
        .env_remove("TESSERA_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "94287082");

    vault.ok(&["keyring", "disable"]);
    let output = vault
        .command(["list"])
        .env_remove("TESSERA_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    expect_failure(&output, &["list"]);
}

#[test]
fn the_clock_offset_setting_shifts_the_time_of_codes() {
    let vault = CliVault::init();
    vault.ok(&["add", RFC6238_SHA1]);
    let config = vault.dir.path().join("config");
    std::fs::create_dir_all(config.join("tessera")).unwrap();
    // One hour ahead.
    std::fs::write(
        config.join("tessera").join("settings.json"),
        r#"{"clockOffsetMs": 3600000}"#,
    )
    .unwrap();
    let before = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .unwrap()
        .as_secs();
    let output = vault
        .command(["code", "rfc", "--json"])
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    let after = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .unwrap()
        .as_secs();
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let at = json["at"].as_u64().unwrap();
    assert!(
        (before + 3600..=after + 3600).contains(&at),
        "{before} {at} {after}"
    );
    let at_text = at.to_string();
    assert_eq!(
        json["code"].as_str().unwrap(),
        vault.ok(&["code", "rfc", "--at", &at_text]).trim()
    );

    std::fs::write(config.join("tessera").join("settings.json"), "{ not json").unwrap();
    let output = vault
        .command(["code", "rfc"])
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    let stderr = expect_failure(&output, &["code"]);
    assert!(
        stderr.contains("settings") && stderr.contains("malformed"),
        "{stderr}"
    );
}

// ---------------------------------------------------------------------------
// Secrets out of the process list (`/proc/PID/cmdline` is readable by every
// local user): standard input and the environment instead of arguments.

/// Starts `tessera ARGS` with its standard input open, reads its command
/// line as another user would (`/proc/PID/cmdline`), then writes `input`
/// and waits for it.
#[cfg(target_os = "linux")]
fn cmdline_while_waiting_for_stdin(
    vault: &CliVault,
    args: &[&str],
    input: &str,
) -> (String, std::process::Output) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = vault
        .command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Until the child has executed the program, its command line is empty
    // (or still the parent's).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let cmdline = loop {
        let raw = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap_or_default();
        let text = String::from_utf8_lossy(&raw).replace('\0', " ");
        if text.contains("tessera") || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    (cmdline, child.wait_with_output().unwrap())
}

#[cfg(target_os = "linux")]
#[test]
fn a_uri_read_from_stdin_never_shows_in_the_process_list() {
    let vault = CliVault::init();
    let input = format!("{RFC6238_SHA1}\n\n{RFC4226}\n");
    let (cmdline, output) = cmdline_while_waiting_for_stdin(&vault, &["add", "-"], &input);
    assert!(cmdline.contains("add -"), "{cmdline}");
    assert!(!cmdline.contains("GEZDGNBV"), "{cmdline}");
    let stdout = expect_success(&output, &["add", "-"]);
    assert_eq!(stdout.lines().count(), 2, "one id per URI: {stdout}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains(ARGV_WARNING), "{stderr}");
    let listed: Value = serde_json::from_str(&vault.ok(&["list", "--json"])).unwrap();
    let kinds: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["totp", "hotp"]);
    assert_eq!(vault.ok(&["code", "6238", "--at", "59"]).trim(), "94287082");
}

#[test]
fn a_uri_in_the_arguments_is_visible_to_other_users_and_warned_about() {
    let vault = CliVault::init();
    let output = vault.run(&["add", RFC6238_SHA1]);
    expect_success(&output, &["add"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(WARNING) && stderr.contains(ARGV_WARNING),
        "{stderr}"
    );
    assert!(
        stderr.contains("pass - to read it from standard input"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("GEZDGNBV"),
        "no secret in the warning: {stderr}"
    );
}

#[test]
fn a_uri_from_the_environment_stays_out_of_the_process_list() {
    let vault = CliVault::init();
    let output = vault
        .command(["add"])
        .env("TESSERA_URI", RFC6238_SHA1)
        .output()
        .unwrap();
    expect_success(&output, &["add"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains(ARGV_WARNING), "{stderr}");
    assert_eq!(vault.ok(&["code", "rfc", "--at", "59"]).trim(), "94287082");

    // Neither argument nor variable: the error says how to give one.
    let output = vault
        .command(["add"])
        .env_remove("TESSERA_URI")
        .output()
        .unwrap();
    let stderr = expect_failure(&output, &["add"]);
    assert!(
        stderr.contains("TESSERA_URI") && stderr.contains("standard input"),
        "{stderr}"
    );
    // A bad URI on a line of standard input names the line and adds nothing.
    let output = run_with_stdin(
        &mut vault.command(["add", "-"]),
        format!("{RFC4226}\notpauth://totp/X?issuer=Y\n").as_bytes(),
    );
    let stderr = expect_failure(&output, &["add", "-"]);
    assert!(stderr.contains("line 2"), "{stderr}");
    assert_eq!(vault.ok(&["list"]).lines().count(), 1);
}

#[test]
fn backup_codes_from_stdin_or_the_environment_stay_out_of_the_process_list() {
    let vault = CliVault::init();
    let id = vault.ok(&["add", RFC6238_SHA1]).trim().to_owned();
    let output = run_with_stdin(
        &mut vault.command(["backup-codes", "add", &id, "-"]),
        b"1111-2222\n 3333-4444 \n\n5555-6666\n",
    );
    assert!(
        expect_success(&output, &["backup-codes", "add"]).contains("added 3 backup codes"),
        "{output:?}"
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains(ARGV_WARNING), "{stderr}");

    let output = vault
        .command(["backup-codes", "use", &id])
        .env("TESSERA_BACKUP_CODES", "3333-4444\n5555-6666")
        .output()
        .unwrap();
    assert!(
        expect_success(&output, &["backup-codes", "use"]).contains("marked 2 used; 1 left"),
        "{output:?}"
    );
    assert!(!String::from_utf8_lossy(&output.stderr).contains(ARGV_WARNING));

    // In the arguments they work, with the warning.
    let output = vault.run(&["backup-codes", "use", &id, "1111-2222"]);
    expect_success(&output, &["backup-codes", "use"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains(ARGV_WARNING), "{stderr}");
    assert!(!stderr.contains("1111"), "{stderr}");
}

// ---------------------------------------------------------------------------
// Terminal escapes in text from the vault or an import file.

/// An issuer that clears the screen and retitles the terminal window.
const HOSTILE_ISSUER: &str = "Evil\u{1b}[2J\u{1b}]0;title\u{7}Bank\u{202e}";

/// An account of its own for each name (its secret is made of the name).
fn hostile_uri(name: &str) -> String {
    let issuer = "Evil%1B%5B2J%1B%5D0%3Btitle%07Bank%E2%80%AE";
    let secret = data_encoding::BASE32_NOPAD.encode(format!("{name}-secret").as_bytes());
    format!("otpauth://totp/{issuer}:{name}?secret={secret}&issuer={issuer}")
}

fn assert_no_raw_escape(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !bytes.contains(&0x1b) && !bytes.contains(&0x07) && !text.contains('\u{202e}'),
        "{what} printed a raw escape: {text:?}"
    );
}

#[test]
fn escape_sequences_in_an_issuer_never_reach_the_terminal() {
    let vault = CliVault::init();
    vault.ok(&["add", &hostile_uri("alice")]);
    let listed: Value = serde_json::from_str(&vault.ok(&["list", "--json"])).unwrap();
    assert_eq!(listed[0]["issuer"], HOSTILE_ISSUER, "stored as given");

    let output = vault.run(&["list"]);
    assert_no_raw_escape("list", &output.stdout);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("Evil\\u{1b}[2J\\u{1b}]0;title\\u{7}Bank\\u{202e}:alice"),
        "{text}"
    );
    let output = vault.run(&["list", "--json"]);
    assert_no_raw_escape("list --json", &output.stdout);
    let output = vault.run(&["code", "evil", "--json"]);
    assert_no_raw_escape("code --json", &output.stdout);

    // An error listing the labels of an ambiguous query.
    vault.ok(&["add", &hostile_uri("bob")]);
    let output = vault.run(&["code", "evil"]);
    expect_failure(&output, &["code"]);
    assert_no_raw_escape("code (ambiguous)", &output.stderr);
}

#[test]
fn escape_sequences_in_an_import_file_never_reach_the_terminal() {
    let vault = CliVault::init();
    let file = vault.dir.path().join("hostile.txt");
    std::fs::write(
        &file,
        format!("{}\n{}\n", hostile_uri("alice"), hostile_uri("alice")),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    for args in [
        vec!["import", file, "--dry-run"],
        vec!["import", file, "--dry-run", "--json"],
        vec!["import", file],
    ] {
        let output = vault.run(&args);
        let stdout = expect_success(&output, &args);
        assert!(stdout.contains("Bank"), "{stdout}");
        assert_no_raw_escape(&format!("{args:?}"), &output.stdout);
        assert_no_raw_escape(&format!("{args:?}"), &output.stderr);
    }
    let listed: Value = serde_json::from_str(&vault.ok(&["list", "--json"])).unwrap();
    assert_eq!(listed[0]["issuer"], HOSTILE_ISSUER);
}

// ---------------------------------------------------------------------------
// Password files.

#[cfg(unix)]
#[test]
fn a_password_file_other_users_can_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let vault = CliVault::init();
    let file = vault.dir.path().join("password.txt");
    std::fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    let path = file.to_str().unwrap();
    let run = |mode: u32| {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let output = vault
            .command(["--password-file", path, "list"])
            .env_remove("TESSERA_PASSWORD")
            .output()
            .unwrap();
        expect_success(&output, &["list"]);
        String::from_utf8(output.stderr).unwrap()
    };
    for mode in [0o644, 0o640, 0o604] {
        let stderr = run(mode);
        assert!(
            stderr.starts_with(WARNING)
                && stderr.contains("can be read by other users")
                && stderr.contains(&format!("{mode:04o}"))
                && stderr.contains("chmod 600"),
            "{mode:o}: {stderr}"
        );
        assert!(!stderr.contains(PASSWORD), "{stderr}");
    }
    assert_eq!(run(0o600), "", "a private file: no warning");
}

#[test]
fn only_the_first_line_of_a_password_file_is_read_and_it_is_bounded() {
    let vault = CliVault::init();
    let file = vault.dir.path().join("password.txt");
    let path = file.to_str().unwrap().to_owned();
    let list = |contents: &[u8]| {
        std::fs::write(&file, contents).unwrap();
        vault
            .command(["--password-file", &path, "list"])
            .env_remove("TESSERA_PASSWORD")
            .output()
            .unwrap()
    };
    // What follows the first line is never read: not even bytes that are
    // not text.
    let mut contents = format!("{PASSWORD}\r\n").into_bytes();
    contents.extend([0xff, 0xfe, 0x00, b'\n']);
    contents.extend(std::iter::repeat_n(0xffu8, 1 << 20));
    expect_success(&list(&contents), &["list"]);

    // A first line past 4096 bytes is an error naming the limit, not a
    // password cut short.
    let long = format!("{}\n", "x".repeat(4097));
    let stderr = expect_failure(&list(long.as_bytes()), &["list"]);
    assert!(
        stderr.contains("longer than 4096 bytes") && stderr.contains("password.txt"),
        "{stderr}"
    );
    let no_newline = "y".repeat(10_000);
    let stderr = expect_failure(&list(no_newline.as_bytes()), &["list"]);
    assert!(stderr.contains("longer than 4096 bytes"), "{stderr}");
    assert!(!stderr.contains("yyyy"), "{stderr}");

    // Exactly 4096 bytes is a password (the wrong one here).
    let at_limit = format!("{}\n", "z".repeat(4096));
    let stderr = expect_failure(&list(at_limit.as_bytes()), &["list"]);
    assert!(stderr.contains("wrong password"), "{stderr}");
}

/// Opening and closing the vault file beside `SQLite`'s connection would drop
/// the process's locks on it; naming the vault (by any name) as the
/// password file is refused before the file is opened.
#[cfg(unix)]
#[test]
fn a_password_file_that_is_the_open_vault_is_refused_before_it_is_opened() {
    let vault = CliVault::init();
    let link = vault.dir.path().join("password-link.txt");
    std::os::unix::fs::symlink(&vault.path, &link).unwrap();
    for file in [&vault.path, &link] {
        let path = file.to_str().unwrap();
        let output = vault
            .command(["--password-file", path, "list"])
            .env_remove("TESSERA_PASSWORD")
            .output()
            .unwrap();
        let stderr = expect_failure(&output, &["list"]);
        assert!(
            stderr.contains("is the vault itself") && stderr.contains(path),
            "{stderr}"
        );
    }
    assert_eq!(vault.ok(&["list"]), "", "the vault still opens");
}

// ---------------------------------------------------------------------------
// The CLI in scripts: exit status, --wait, --copy, stable JSON, completions

#[test]
fn code_exits_2_when_no_account_matches_and_1_for_other_failures() {
    let vault = CliVault::init();
    vault.ok(&["add", RFC6238_SHA1]);
    let nothing = vault.run(&["code", "no such account"]);
    assert_eq!(nothing.status.code(), Some(2), "{nothing:?}");
    let locked_out = vault
        .command(["code", "rfc"])
        .env("TESSERA_PASSWORD", "not the password")
        .output()
        .unwrap();
    assert_eq!(locked_out.status.code(), Some(1), "{locked_out:?}");
    assert_eq!(vault.run(&["code", "rfc"]).status.code(), Some(0));
}

#[test]
fn code_wait_prints_the_next_code_when_too_little_of_this_one_is_left() {
    let vault = CliVault::init();
    // A 4-second period: every moment has less than 4 s left, so --wait 4
    // always waits for the next code, which then has nearly 4 s.
    vault.ok(&[
        "add",
        "otpauth://totp/Quick:q?secret=JBSWY3DPEHPK3PXP&period=4",
    ]);
    let before =
        tessera::core::clock::Clock::now(&tessera::core::clock::SystemClock).unix_seconds();
    let shown: Value =
        serde_json::from_str(&vault.ok(&["code", "quick", "--wait", "4", "--json"])).unwrap();
    let at = shown["at"].as_u64().unwrap();
    assert!(at / 4 > before / 4, "a later period: {at} after {before}");
    let left = shown["valid_for_ms"].as_u64().unwrap();
    assert!(
        left > 2000,
        "the new code has most of its period left: {left} ms"
    );
    let again: Value =
        serde_json::from_str(&vault.ok(&["code", "quick", "--at", &at.to_string(), "--json"]))
            .unwrap();
    assert_eq!(shown["code"], again["code"]);
}

/// A clipboard reader on `display`: `xclip -o`, or `None` when the
/// clipboard is empty.
fn clipboard_text(display: &str) -> Option<String> {
    let output = Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .env("DISPLAY", display)
        .output()
        .expect("xclip is installed (`make setup` installs it)");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success() && !text.is_empty()).then_some(text)
}

#[test]
fn code_copy_puts_the_code_on_the_clipboard_and_clears_it_after_the_set_time() {
    let display = crate::support::display::VirtualDisplay::start_sized(320, 240);
    let vault = CliVault::init();
    vault.ok(&["add", RFC6238_SHA1]);
    let config = vault.dir.path().join("config");
    std::fs::create_dir_all(config.join("tessera")).unwrap();
    std::fs::write(
        config.join("tessera/settings.json"),
        r#"{"clipboardClearSeconds": 2}"#,
    )
    .unwrap();
    let copied = vault
        .command(["code", "rfc", "--copy"])
        .env("DISPLAY", &display.name)
        .env_remove("WAYLAND_DISPLAY")
        .env("XDG_CONFIG_HOME", &config)
        .output()
        .unwrap();
    assert!(copied.status.success(), "{copied:?}");
    assert!(copied.stdout.is_empty(), "the code is not printed");
    let said = String::from_utf8_lossy(&copied.stderr);
    assert!(said.contains("cleared in 2 s"), "{said}");
    let shown: Value = serde_json::from_str(&vault.ok(&["code", "rfc", "--json"])).unwrap();
    let on_clipboard = clipboard_text(&display.name).expect("the code is on the clipboard");
    assert!(
        [&shown["code"], &shown["next"]]
            .iter()
            .any(|code| code.as_str() == Some(on_clipboard.as_str())),
        "{on_clipboard} is not the account's code ({shown})"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while clipboard_text(&display.name).is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the clipboard was never cleared"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn code_copy_without_a_display_says_why() {
    let vault = CliVault::init();
    vault.ok(&["add", RFC6238_SHA1]);
    let output = vault
        .command(["code", "rfc", "--copy"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let stderr = expect_failure(&output, &["code", "rfc", "--copy"]);
    assert!(stderr.contains("cannot copy to the clipboard"), "{stderr}");
    assert!(output.stdout.is_empty());
}

/// The problems of `value` against the JSON Schema subset the published
/// schemas use: type (one or a list), enum, required, properties,
/// additionalProperties: false, items, minimum, maximum, minLength,
/// maxLength.
fn schema_problems(schema: &Value, value: &Value, at: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let type_name = match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if let Some(expected) = schema.get("type") {
        let allowed: Vec<&str> = match expected {
            Value::String(one) => vec![one.as_str()],
            Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !allowed.contains(&type_name) {
            problems.push(format!("{at}: {type_name}, expected {allowed:?}"));
            return problems;
        }
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.contains(value)
    {
        problems.push(format!("{at}: {value} is not one of {options:?}"));
    }
    if let Some(n) = value.as_f64() {
        if schema
            .get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n < m)
        {
            problems.push(format!("{at}: {n} below the minimum"));
        }
        if schema
            .get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n > m)
        {
            problems.push(format!("{at}: {n} above the maximum"));
        }
    }
    if let Some(text) = value.as_str() {
        let len = text.chars().count() as u64;
        if schema
            .get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
            || schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .is_some_and(|m| len > m)
        {
            problems.push(format!("{at}: {text:?} has the wrong length"));
        }
    }
    if let (Some(object), Some(properties)) = (
        value.as_object(),
        schema.get("properties").and_then(Value::as_object),
    ) {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(name) {
                problems.push(format!("{at}: {name} is missing"));
            }
        }
        for (name, field) in object {
            match properties.get(name) {
                Some(rule) => {
                    problems.extend(schema_problems(rule, field, &format!("{at}.{name}")));
                }
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    problems.push(format!("{at}: {name} is not in the schema"));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(rule)) = (value.as_array(), schema.get("items")) {
        for (index, item) in items.iter().enumerate() {
            problems.extend(schema_problems(rule, item, &format!("{at}[{index}]")));
        }
    }
    problems
}

fn published_schema(name: &str) -> Value {
    let path = format!("{}/docs/schemas/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn list_and_code_json_follow_their_published_schemas() {
    let vault = CliVault::init();
    vault.ok(&["add", RFC6238_SHA1]);
    vault.ok(&["add", RFC4226]);
    vault.ok(&["add", "otpauth://steam/Steam:gabe?secret=JBSWY3DPEHPK3PXP"]);
    let list = published_schema("cli-list.schema.json");
    let listed: Value = serde_json::from_str(&vault.ok(&["list", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_eq!(
        schema_problems(&list, &listed, "list"),
        Vec::<String>::new()
    );
    let code = published_schema("cli-code.schema.json");
    for query in ["6238", "4226", "gabe"] {
        let shown: Value = serde_json::from_str(&vault.ok(&["code", query, "--json"])).unwrap();
        assert_eq!(schema_problems(&code, &shown, query), Vec::<String>::new());
    }
    // The check itself: a renamed field and a wrong type are caught.
    let mut renamed = listed.clone();
    let first = renamed[0].as_object_mut().unwrap();
    let value = first.remove("issuer").unwrap();
    first.insert("service".to_owned(), value);
    first.insert("digits".to_owned(), Value::from("six"));
    assert_eq!(schema_problems(&list, &renamed, "list").len(), 3);
}

#[test]
fn completions_and_the_manual_page_come_from_the_command_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let output = Command::new(tessera_bin())
            .args(["completions", shell])
            .output()
            .unwrap();
        let script = expect_success(&output, &["completions", shell]);
        for word in ["backup-codes", "show-qr", "password-file", "copy", "wait"] {
            assert!(script.contains(word), "{shell} completion lacks {word}");
        }
    }
    let output = Command::new(tessera_bin()).arg("man").output().unwrap();
    let page = expect_success(&output, &["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH tessera"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(page.contains("backup\\-codes") || page.contains("backup-codes"));
    let output = Command::new(tessera_bin())
        .arg("--version")
        .output()
        .unwrap();
    let version = expect_success(&output, &["--version"]);
    assert_eq!(
        version.trim(),
        format!("tessera {}", env!("CARGO_PKG_VERSION"))
    );
}

// ---------------------------------------------------------------------------
// One identity rule for everything added.

#[test]
fn an_account_the_vault_holds_is_not_added_again_unless_a_copy_is_asked_for() {
    let vault = CliVault::init();
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DP";
    let first = format!("otpauth://totp/GitHub:alice?secret={secret}");
    let relabelled = format!("otpauth://totp/Renamed:alice2?secret={secret}");
    assert_eq!(vault.ok(&["add", &first]).lines().count(), 1);

    let output = vault.run(&["add", &relabelled]);
    let stdout = expect_success(&output, &["add"]);
    assert_eq!(stdout, "", "no new id");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Renamed:alice2 is already in the vault as GitHub:alice")
            && stderr.contains("--keep-copy"),
        "{stderr}"
    );
    assert!(!stderr.contains(secret), "{stderr}");
    assert_eq!(vault.ok(&["list"]).lines().count(), 1);

    assert_eq!(
        vault
            .ok(&["add", "--keep-copy", &relabelled])
            .lines()
            .count(),
        1
    );
    assert_eq!(vault.ok(&["list"]).lines().count(), 2);

    let other = "otpauth://totp/Other:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBV";
    let input = format!("{other}\n{other}\n");
    let output = run_with_stdin(&mut vault.command(["add", "-"]), input.as_bytes());
    let stdout = expect_success(&output, &["add", "-"]);
    assert_eq!(stdout.lines().count(), 1, "added once: {stdout}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Other:bob is given twice: added once"),
        "{stderr}"
    );
    assert_eq!(vault.ok(&["list"]).lines().count(), 3);
}
