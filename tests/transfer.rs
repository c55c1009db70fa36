//! core::transfer against real files from other authenticators (read from
//! `../shared/fixtures/`, never copied here), the preview and its
//! all-or-nothing commit, and export → import round trips, the encrypted
//! Aegis export checked by an independent decryptor (Python
//! `cryptography`).

use std::path::PathBuf;
use std::sync::Arc;

use tessera::core::clock::FixedClock;
use tessera::core::icon::AccountIcon;
use tessera::core::otp::{Account, Algorithm, OtpKind};
use tessera::core::secret::SecretString;
use tessera::core::transfer::aegis::ScryptCost;
use tessera::core::transfer::export::{self, ExportOptions};
use tessera::core::transfer::{
    self, ExportError, ExportFormat, Format, ImportError, Parsed, Preview, Status, sniff,
};
use tessera::core::vault::{Details, KdfParams, Vault};

macro_rules! fixture {
    ($name:literal) => {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/aegis-importers/",
            $name
        )
    };
}

macro_rules! google_fixture {
    ($name:literal) => {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/google-migration/",
            $name
        )
    };
}

/// The password of every encrypted fixture.
fn test_password() -> SecretString {
    SecretString::from("test")
}

/// An account as compared here: issuer, name, base32 secret, algorithm,
/// digits, kind (with period or counter).
type Row = (String, String, String, Algorithm, u8, OtpKind);

fn row(a: &Account) -> Row {
    (
        a.issuer.clone(),
        a.name.clone(),
        data_encoding::BASE32_NOPAD.encode(a.secret.expose()),
        a.algorithm,
        a.digits,
        a.kind,
    )
}

fn r(
    issuer: &str,
    name: &str,
    secret: &str,
    algorithm: Algorithm,
    digits: u8,
    kind: OtpKind,
) -> Row {
    (
        issuer.to_owned(),
        name.to_owned(),
        secret.to_owned(),
        algorithm,
        digits,
        kind,
    )
}

const fn totp(period: u32) -> OtpKind {
    OtpKind::Totp { period }
}
const fn hotp(counter: u64) -> OtpKind {
    OtpKind::Hotp { counter }
}

/// The seven accounts of `fixtures/README.md`.
fn seven() -> Vec<Row> {
    use Algorithm::{Sha1, Sha256, Sha512};
    vec![
        r(
            "Deno",
            "Mason",
            "4SJHB4GSD43FZBAI7C2HLRJGPQ",
            Sha1,
            6,
            totp(30),
        ),
        r(
            "SPDX",
            "James",
            "5OM4WOOGPLQEF6UGN3CPEOOLWU",
            Sha256,
            7,
            totp(20),
        ),
        r(
            "Airbnb",
            "Elijah",
            "7ELGJSGXNCCTV3O6LKJWYFV2RA",
            Sha512,
            8,
            totp(50),
        ),
        r(
            "Issuu",
            "James",
            "YOOMIXWS5GN6RTBPUFFWKTW5M4",
            Sha1,
            6,
            hotp(1),
        ),
        r(
            "Air Canada",
            "Benjamin",
            "KUVJJOM753IHTNDSZVCNKL7GII",
            Sha256,
            7,
            hotp(50),
        ),
        r(
            "WWE",
            "Mason",
            "5VAML3X35THCEBVRLV24CGBKOY",
            Sha512,
            8,
            hotp(10300),
        ),
        r(
            "Boeing",
            "Sophia",
            "JRZCL47CMXVOQMNPZR2F7J4RGI",
            Sha1,
            5,
            OtpKind::Steam { period: 30 },
        ),
    ]
}

/// The rows of `seven()` whose issuers are listed.
fn seven_of(issuers: &[&str]) -> Vec<Row> {
    seven()
        .into_iter()
        .filter(|row| issuers.contains(&row.0.as_str()))
        .collect()
}

fn sorted(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    rows
}

fn rows(parsed: &Parsed) -> Vec<Row> {
    sorted(parsed.items().map(|i| row(&i.account)).collect())
}

fn read(path: &str, password: Option<&SecretString>) -> Parsed {
    let bytes = std::fs::read(path).unwrap();
    let parsed = transfer::import(&bytes, None, password).unwrap();
    assert_eq!(
        parsed.invalid().count(),
        0,
        "{:?}",
        parsed.invalid().collect::<Vec<_>>()
    );
    parsed
}

fn assert_accounts(parsed: &Parsed, expected: Vec<Row>) {
    assert_eq!(rows(parsed), sorted(expected));
}

fn losses(parsed: &Parsed) -> String {
    parsed
        .losses
        .iter()
        .map(|l| l.message.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn tags_of(parsed: &Parsed, issuer: &str) -> Vec<String> {
    parsed
        .items()
        .find(|i| i.account.issuer == issuer)
        .unwrap()
        .details
        .tags
        .clone()
}

// ---- one test per fixture ----

#[test]
fn otpauth_list_plain_txt() {
    let parsed = read(fixture!("plain.txt"), None);
    assert_eq!(parsed.format, Format::OtpauthList);
    assert_accounts(&parsed, seven());
}

#[test]
fn aegis_plain() {
    let parsed = read(fixture!("aegis_plain.json"), None);
    assert_eq!(parsed.format, Format::Aegis);
    assert_accounts(&parsed, seven());
    assert!(parsed.items().all(|i| i.details.tags.is_empty()));
}

#[test]
fn aegis_plain_grouped_v2_groups_become_tags() {
    let parsed = read(fixture!("aegis_plain_grouped_v2.json"), None);
    assert_accounts(&parsed, seven());
    assert_eq!(tags_of(&parsed, "Deno"), ["group1"]);
    assert_eq!(tags_of(&parsed, "Airbnb"), ["group1"]);
    assert_eq!(tags_of(&parsed, "Issuu"), ["group2"]);
    assert!(tags_of(&parsed, "SPDX").is_empty());
}

#[test]
fn aegis_encrypted() {
    let parsed = read(fixture!("aegis_encrypted.json"), Some(&test_password()));
    assert_accounts(&parsed, seven());
}

#[test]
fn aegis_encrypted_wrong_or_missing_password() {
    let bytes = std::fs::read(fixture!("aegis_encrypted.json")).unwrap();
    let wrong = transfer::import(&bytes, None, Some(&SecretString::from("tset"))).unwrap_err();
    assert!(
        matches!(
            wrong,
            ImportError::WrongPassword {
                format: Format::Aegis
            }
        ),
        "{wrong:?}"
    );
    let missing = transfer::import(&bytes, None, None).unwrap_err();
    assert!(matches!(
        missing,
        ImportError::PasswordRequired {
            format: Format::Aegis
        }
    ));
    assert_eq!(
        sniff(&bytes).unwrap(),
        transfer::Sniffed {
            format: Format::Aegis,
            encrypted: true
        }
    );
}

#[test]
fn twofas_schema1_defaults_and_reports_loss() {
    let parsed = read(fixture!("2fas_authenticator.json"), None);
    assert_eq!(parsed.format, Format::TwoFas);
    // Schema 1 has no type, algorithm, digits or period: all TOTP/SHA1/6/30.
    let expected = seven_of(&["Deno", "SPDX", "Airbnb", "Issuu", "Air Canada", "WWE"])
        .into_iter()
        .map(|(i, n, s, ..)| (i, n, s, Algorithm::Sha1, 6, totp(30)))
        .collect();
    assert_accounts(&parsed, expected);
    assert!(losses(&parsed).contains("schema 1"), "{}", losses(&parsed));
}

/// Schema 2 has no token type: HOTP accounts read as TOTP (period 30).
fn twofas_v2_expected() -> Vec<Row> {
    use Algorithm::{Sha1, Sha512};
    vec![
        r(
            "Deno",
            "Mason",
            "4SJHB4GSD43FZBAI7C2HLRJGPQ",
            Sha1,
            6,
            totp(30),
        ),
        r(
            "Airbnb",
            "Elijah",
            "7ELGJSGXNCCTV3O6LKJWYFV2RA",
            Sha512,
            8,
            totp(50),
        ),
        r(
            "Issuu",
            "James",
            "YOOMIXWS5GN6RTBPUFFWKTW5M4",
            Sha1,
            6,
            totp(30),
        ),
        r(
            "WWE",
            "Mason",
            "5VAML3X35THCEBVRLV24CGBKOY",
            Sha512,
            8,
            totp(30),
        ),
    ]
}

#[test]
fn twofas_schema2_plain() {
    let parsed = read(fixture!("2fas_authenticator_plain.2fas"), None);
    assert_accounts(&parsed, twofas_v2_expected());
    assert!(losses(&parsed).contains("schema 2"));
}

#[test]
fn twofas_schema2_encrypted() {
    let parsed = read(
        fixture!("2fas_authenticator_encrypted.2fas"),
        Some(&test_password()),
    );
    assert_accounts(&parsed, twofas_v2_expected());
}

#[test]
fn twofas_schema3_plain() {
    let parsed = read(fixture!("2fas_authenticator_plain_v3.2fas"), None);
    assert_accounts(
        &parsed,
        seven_of(&["Deno", "SPDX", "Airbnb", "Issuu", "Air Canada", "WWE"]),
    );
    assert!(
        losses(&parsed).contains(
            "icons of the 2FAS collection are not imported (6 entries had one): Tessera shows its own brand icons, matched by issuer"
        ),
        "{}",
        losses(&parsed)
    );
}

#[test]
fn twofas_schema3_encrypted() {
    let parsed = read(
        fixture!("2fas_authenticator_encrypted_v3.2fas"),
        Some(&test_password()),
    );
    let plain = read(fixture!("2fas_authenticator_plain_v3.2fas"), None);
    assert_eq!(rows(&parsed), rows(&plain));
}

#[test]
fn twofas_schema4_plain() {
    let parsed = read(fixture!("2fas_authenticator_plain_v4.2fas"), None);
    let mut expected = seven_of(&["Deno", "Issuu", "Air Canada", "WWE", "Boeing"]);
    let extra: Vec<Row> = rows(&parsed)
        .into_iter()
        .filter(|r| !expected.contains(r))
        .collect();
    // Whatever else the file holds must be one of the seven too.
    assert!(extra.iter().all(|r| seven().contains(r)), "{extra:?}");
    expected.extend(extra);
    assert_accounts(&parsed, expected);
}

#[test]
fn twofas_schema4_encrypted() {
    let parsed = read(
        fixture!("2fas_authenticator_encrypted_v4.2fas"),
        Some(&test_password()),
    );
    let plain = read(fixture!("2fas_authenticator_plain_v4.2fas"), None);
    assert!(!rows(&parsed).is_empty());
    assert!(rows(&parsed).iter().all(|r| seven().contains(r)));
    assert_eq!(rows(&parsed), rows(&plain));
}

#[test]
fn twofas_wrong_password() {
    let bytes = std::fs::read(fixture!("2fas_authenticator_encrypted_v4.2fas")).unwrap();
    let err = transfer::import(&bytes, None, Some(&SecretString::from("nope"))).unwrap_err();
    assert!(matches!(
        err,
        ImportError::WrongPassword {
            format: Format::TwoFas
        }
    ));
    assert!(matches!(
        transfer::import(&bytes, None, None).unwrap_err(),
        ImportError::PasswordRequired { .. }
    ));
}

#[test]
fn andotp_plain() {
    let parsed = read(fixture!("andotp_plain.json"), None);
    assert_eq!(parsed.format, Format::AndOtp);
    assert_accounts(&parsed, seven());
}

#[test]
fn andotp_encrypted() {
    let parsed = read(fixture!("andotp_encrypted.bin"), Some(&test_password()));
    assert_eq!(parsed.format, Format::AndOtpEncrypted);
    assert_accounts(&parsed, seven());
    let bytes = std::fs::read(fixture!("andotp_encrypted.bin")).unwrap();
    assert!(matches!(
        transfer::import(&bytes, None, Some(&SecretString::from("x"))).unwrap_err(),
        ImportError::WrongPassword {
            format: Format::AndOtpEncrypted
        }
    ));
}

fn bitwarden_expected(steam_name: &str) -> Vec<Row> {
    let mut expected = seven_of(&["Deno", "SPDX", "Airbnb"]);
    expected.push(r(
        "Steam",
        steam_name,
        "JRZCL47CMXVOQMNPZR2F7J4RGI",
        Algorithm::Sha1,
        5,
        OtpKind::Steam { period: 30 },
    ));
    expected
}

#[test]
fn bitwarden_json() {
    let parsed = read(fixture!("bitwarden.json"), None);
    assert_eq!(parsed.format, Format::BitwardenJson);
    assert_accounts(&parsed, bitwarden_expected("Test Steam"));
}

#[test]
fn bitwarden_csv() {
    let parsed = read(fixture!("bitwarden.csv"), None);
    assert_eq!(parsed.format, Format::BitwardenCsv);
    assert_accounts(&parsed, bitwarden_expected("Test 4"));
}

#[test]
fn bitwarden_bare_secret_and_items_without_totp() {
    let json = br#"{"encrypted":false,"folders":[{"id":"f1","name":"Work"}],"items":[
        {"name":"GitHub","favorite":true,"notes":"n","folderId":"f1","login":{"username":"alice","totp":"jbsw y3dp ehpk 3pxp"}},
        {"name":"NoTotp","login":{"username":"bob","totp":null}}]}"#;
    let parsed = transfer::import(json, None, None).unwrap();
    let item = parsed.items().next().unwrap();
    assert_eq!(
        row(&item.account),
        r(
            "GitHub",
            "alice",
            "JBSWY3DPEHPK3PXP",
            Algorithm::Sha1,
            6,
            totp(30)
        )
    );
    assert_eq!(item.details.tags, ["Work"]);
    assert!(item.details.favorite);
    assert_eq!(item.details.note, "n");
    assert!(losses(&parsed).contains("1 item without a TOTP"));
}

#[test]
fn ente_auth() {
    let parsed = read(fixture!("ente_auth.txt"), None);
    assert_eq!(parsed.format, Format::Ente);
    assert_accounts(&parsed, seven());
    assert!(parsed.items().all(|i| {
        i.account
            .extra_params
            .iter()
            .all(|(k, _)| k != "codeDisplay")
    }));
}

#[test]
fn freeotp_plus_counters_are_next_use() {
    let parsed = read(fixture!("freeotp_plus.json"), None);
    assert_eq!(parsed.format, Format::FreeOtpPlus);
    assert_accounts(
        &parsed,
        seven_of(&["Deno", "SPDX", "Airbnb", "Issuu", "Air Canada", "WWE"]),
    );
}

#[test]
fn proton_authenticator() {
    let parsed = read(fixture!("proton_authenticator.json"), None);
    assert_eq!(parsed.format, Format::Proton);
    assert_accounts(&parsed, seven_of(&["Deno", "SPDX", "Airbnb"]));
}

#[test]
fn steam_mafile() {
    let parsed = read(fixture!("steam.json"), None);
    assert_eq!(parsed.format, Format::Steam);
    assert_accounts(
        &parsed,
        vec![r(
            "Steam",
            "Sophia",
            "JRZCL47CMXVOQMNPZR2F7J4RGI",
            Algorithm::Sha1,
            5,
            OtpKind::Steam { period: 30 },
        )],
    );
    assert!(losses(&parsed).contains("revocation code"));
}

/// The expected accounts of a Google export: the URIs the fixture's
/// authors list, parsed.
fn google_expected(lines: &str) -> Vec<Row> {
    sorted(
        lines
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| row(&tessera::core::otp::parse_uri(l).unwrap()))
            .collect(),
    )
}

#[test]
fn google_migration_example_export() {
    let parsed = read(google_fixture!("example_export.txt"), None);
    assert_eq!(parsed.format, Format::GoogleMigration);
    let expected = std::fs::read_to_string(google_fixture!("url_list_output.txt")).unwrap();
    // Compare secret, kind and parameters; the label split of a name with a
    // colon is the codec's business.
    let key = |rows: Vec<Row>| -> Vec<_> {
        let mut k: Vec<_> = rows.into_iter().map(|r| (r.2, r.3, r.4, r.5)).collect();
        k.sort_by_key(|x| format!("{x:?}"));
        k
    };
    assert_eq!(parsed.entries.len(), 6);
    assert_eq!(key(rows(&parsed)), key(google_expected(&expected)));
}

#[test]
fn google_migration_only_totp() {
    let parsed = read(google_fixture!("example_export_only_totp.txt"), None);
    assert_eq!(parsed.entries.len(), 5);
    assert!(
        parsed
            .items()
            .all(|i| matches!(i.account.kind, OtpKind::Totp { .. }))
    );
}

#[test]
fn google_migration_plus_in_data() {
    let parsed = read(google_fixture!("test_plus_problem_export.txt"), None);
    assert_eq!(parsed.entries.len(), 4);
}

#[test]
fn google_migration_malformed_files_fail_specifically() {
    let forced = |path: &str| {
        let bytes = std::fs::read(path).unwrap();
        transfer::import(&bytes, Some(Format::GoogleMigration), None).unwrap_err()
    };
    for path in [
        google_fixture!("test_export_wrong_data.txt"),
        google_fixture!("test_export_wrong_prefix.txt"),
        google_fixture!("test_export_wrong_content.txt"),
    ] {
        let err = forced(path);
        assert!(
            matches!(&err, ImportError::Malformed { format: Format::GoogleMigration, location, .. } if location == "line 1"),
            "{path}: {err:?}"
        );
    }
    for path in [
        google_fixture!("empty_file.txt"),
        google_fixture!("only_comments.txt"),
    ] {
        assert!(matches!(forced(path), ImportError::Empty { .. }), "{path}");
    }
}

#[test]
fn unrecognised_files_are_rejected_by_the_sniffer() {
    for path in [
        google_fixture!("test_export_wrong_content.txt"),
        google_fixture!("test_export_wrong_prefix.txt"),
        google_fixture!("empty_file.txt"),
        google_fixture!("only_comments.txt"),
        google_fixture!("text_masquerading_as_image.jpeg"),
        google_fixture!("example_export.png"),
        google_fixture!("qr_but_without_otp.png"),
    ] {
        let bytes = std::fs::read(path).unwrap();
        assert!(
            matches!(
                transfer::import(&bytes, None, None),
                Err(ImportError::UnknownFormat)
            ),
            "{path}"
        );
    }
}

#[test]
fn every_fixture_is_sniffed() {
    let cases: &[(&str, Format, bool)] = &[
        (fixture!("plain.txt"), Format::OtpauthList, false),
        (fixture!("aegis_plain.json"), Format::Aegis, false),
        (
            fixture!("aegis_plain_grouped_v2.json"),
            Format::Aegis,
            false,
        ),
        (fixture!("aegis_encrypted.json"), Format::Aegis, true),
        (fixture!("2fas_authenticator.json"), Format::TwoFas, false),
        (
            fixture!("2fas_authenticator_plain.2fas"),
            Format::TwoFas,
            false,
        ),
        (
            fixture!("2fas_authenticator_encrypted.2fas"),
            Format::TwoFas,
            true,
        ),
        (
            fixture!("2fas_authenticator_plain_v3.2fas"),
            Format::TwoFas,
            false,
        ),
        (
            fixture!("2fas_authenticator_encrypted_v3.2fas"),
            Format::TwoFas,
            true,
        ),
        (
            fixture!("2fas_authenticator_plain_v4.2fas"),
            Format::TwoFas,
            false,
        ),
        (
            fixture!("2fas_authenticator_encrypted_v4.2fas"),
            Format::TwoFas,
            true,
        ),
        (fixture!("andotp_plain.json"), Format::AndOtp, false),
        (
            fixture!("andotp_encrypted.bin"),
            Format::AndOtpEncrypted,
            true,
        ),
        (fixture!("bitwarden.json"), Format::BitwardenJson, false),
        (fixture!("bitwarden.csv"), Format::BitwardenCsv, false),
        (fixture!("ente_auth.txt"), Format::Ente, false),
        (fixture!("freeotp_plus.json"), Format::FreeOtpPlus, false),
        (fixture!("proton_authenticator.json"), Format::Proton, false),
        (fixture!("steam.json"), Format::Steam, false),
        (
            google_fixture!("example_export.txt"),
            Format::GoogleMigration,
            false,
        ),
    ];
    for (path, format, encrypted) in cases {
        let sniffed = sniff(&std::fs::read(path).unwrap()).unwrap();
        assert_eq!(
            (sniffed.format, sniffed.encrypted),
            (*format, *encrypted),
            "{path}"
        );
    }
}

// ---- malformed files ----

fn import_err(bytes: &[u8], format: Option<Format>) -> ImportError {
    transfer::import(bytes, format, Some(&test_password())).unwrap_err()
}

#[test]
fn malformed_files_fail_with_where_and_what() {
    let aegis = std::fs::read(fixture!("aegis_plain.json")).unwrap();
    let err = import_err(&aegis[..aegis.len() / 2], Some(Format::Aegis));
    assert!(
        matches!(&err, ImportError::Malformed { format: Format::Aegis, location, .. } if location.starts_with("line ")),
        "{err:?}"
    );
    let newer = String::from_utf8(aegis.clone()).unwrap().replacen(
        "\"version\": 1,\n        \"entries\"",
        "\"version\": 99,\n        \"entries\"",
        1,
    );
    assert!(matches!(
        import_err(newer.as_bytes(), None),
        ImportError::Unsupported {
            format: Format::Aegis,
            ..
        }
    ));
    let twofas = br#"{"schemaVersion":9,"services":[]}"#;
    assert!(matches!(
        import_err(twofas, None),
        ImportError::Unsupported {
            format: Format::TwoFas,
            ..
        }
    ));
    let andotp = std::fs::read(fixture!("andotp_encrypted.bin")).unwrap();
    assert!(matches!(
        import_err(&andotp[..20], Some(Format::AndOtpEncrypted)),
        ImportError::Malformed { .. }
    ));
    // A flipped byte in the encrypted content: the password is right, the
    // content does not authenticate.
    let text = std::fs::read_to_string(fixture!("aegis_encrypted.json")).unwrap();
    let db_at = text.find("\"db\": \"").unwrap() + 8;
    let mut damaged = text.into_bytes();
    damaged[db_at] = if damaged[db_at] == b'A' { b'B' } else { b'A' };
    assert!(matches!(
        import_err(&damaged, None),
        ImportError::Malformed {
            format: Format::Aegis,
            ..
        }
    ));
    assert!(matches!(
        import_err(b"", Some(Format::Aegis)),
        ImportError::Malformed { .. }
    ));
    assert!(matches!(
        import_err(b"# nothing\n", Some(Format::OtpauthList)),
        ImportError::Empty { .. }
    ));
}

#[test]
fn bad_entries_are_invalid_with_a_reason_and_no_secret() {
    let list = "otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP\n\
                otpauth://totp/B:b?secret=JBSWY3DP!HPK3PXP\n\
                otpauth://totp/C:c?secret=JBSWY3DPEHPK3PXP&digits=99\n";
    let parsed = transfer::import(list.as_bytes(), None, None).unwrap();
    let invalid: Vec<_> = parsed.invalid().collect();
    assert_eq!(invalid.len(), 2);
    assert_eq!(invalid[0].label, "line 2");
    assert!(
        invalid[0].reason.contains("base32"),
        "{}",
        invalid[0].reason
    );
    assert_eq!(invalid[1].label, "line 3");
    assert!(invalid[1].reason.contains("digits"));
    for item in &invalid {
        assert!(!item.reason.contains("JBSWY3DP"));
    }
}

#[test]
fn errors_never_quote_secrets() {
    // A secret where a number belongs: serde would quote it; we must not.
    let json = br#"{"version":1,"header":{"slots":null,"params":null},"db":{"version":2,"entries":[
        {"type":"totp","name":"n","issuer":"i","info":{"secret":"JBSWY3DPEHPK3PXP","digits":"JBSWY3DPEHPK3PXP"}}]}}"#;
    let parsed = transfer::import(json, None, None).unwrap();
    let invalid = parsed.invalid().next().unwrap();
    assert!(!format!("{invalid:?}").contains("JBSWY3DP"));
    let broken = br#"[{"secret":"JBSWY3DPEHPK3PXP","type":"TOTP","digits":"JBSWY3DPEHPK3PXP"}]"#;
    let err = transfer::import(broken, None, None).unwrap_err();
    assert!(!err.to_string().contains("JBSWY3DP"), "{err}");
    assert!(!format!("{err:?}").contains("JBSWY3DP"));
}

// ---- preview and commit ----

struct TempVault {
    _dir: tempfile::TempDir,
    path: PathBuf,
    vault: Vault,
}

fn vault_password() -> SecretString {
    SecretString::from("vault password")
}

fn empty_vault() -> TempVault {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.tessera");
    let vault = Vault::create(
        &path,
        &vault_password(),
        KdfParams::new(64, 2, 1).unwrap(),
        Arc::new(FixedClock::at_unix_seconds(1_700_000_000)),
    )
    .unwrap();
    TempVault {
        _dir: dir,
        path,
        vault,
    }
}

fn parsed_fixture(path: &str) -> Parsed {
    read(path, None)
}

#[test]
fn preview_classifies_new_duplicate_repeated_invalid() {
    let mut tv = empty_vault();
    let deno = tessera::core::otp::parse_uri(
        "otpauth://totp/Other:label?secret=4SJHB4GSD43FZBAI7C2HLRJGPQ&period=30",
    )
    .unwrap();
    let existing_id = tv.vault.insert(deno, Details::default()).unwrap();
    // An HOTP copy with an older counter is the same account too.
    let issuu = tessera::core::otp::parse_uri(
        "otpauth://hotp/x?secret=YOOMIXWS5GN6RTBPUFFWKTW5M4&counter=0",
    )
    .unwrap();
    let issuu_id = tv.vault.insert(issuu, Details::default()).unwrap();

    let mut text = std::fs::read_to_string(fixture!("plain.txt")).unwrap();
    text.push_str("otpauth://totp/Again:x?secret=5OM4WOOGPLQEF6UGN3CPEOOLWU&algorithm=SHA256&digits=7&period=20\n");
    text.push_str("otpauth://totp/Bad?secret=!!\n");
    let parsed = transfer::import(text.as_bytes(), None, None).unwrap();
    let preview = Preview::new(parsed, tv.vault.entries().unwrap());
    let statuses: Vec<_> = preview.entries.iter().map(|e| e.status.clone()).collect();
    assert_eq!(
        statuses[0],
        Status::Duplicate {
            existing: existing_id
        }
    );
    assert_eq!(statuses[3], Status::Duplicate { existing: issuu_id });
    assert_eq!(statuses[7], Status::RepeatedInFile { position: 2 });
    assert!(matches!(&statuses[8], Status::Invalid { reason } if reason.contains("base32")));
    assert_eq!(preview.count("new"), 5);
    assert_eq!(preview.count("duplicate"), 2);
    assert_eq!(preview.count("repeated"), 1);
    assert_eq!(preview.count("invalid"), 1);

    let ids = preview.commit(&mut tv.vault).unwrap();
    assert_eq!(ids.len(), 5);
    assert_eq!(tv.vault.entries().unwrap().len(), 7);
    // Everything is now a duplicate.
    let again = Preview::new(
        parsed_fixture(fixture!("plain.txt")),
        tv.vault.entries().unwrap(),
    );
    assert_eq!(again.count("duplicate"), 7);
    assert!(again.commit(&mut tv.vault).unwrap().is_empty());
}

#[test]
fn commit_is_all_or_nothing() {
    let mut tv = empty_vault();
    let mut preview = Preview::new(parsed_fixture(fixture!("aegis_plain.json")), &[]);
    // Make the last entry invalid after the preview: nothing may be written.
    let last = preview.entries.last_mut().unwrap();
    last.item.as_mut().unwrap().account.digits = 3;
    let err = preview.commit(&mut tv.vault).unwrap_err();
    assert!(matches!(err, ImportError::Vault(_)), "{err:?}");
    assert!(tv.vault.entries().unwrap().is_empty());
    // Nothing on disk either.
    let mut reopened = Vault::open(&tv.path, Arc::new(FixedClock::at_unix_seconds(1))).unwrap();
    reopened.unlock_with_password(&vault_password()).unwrap();
    assert!(reopened.entries().unwrap().is_empty());
}

#[test]
fn commit_keeps_tags_favorite_and_note() {
    let mut tv = empty_vault();
    let preview = Preview::new(
        parsed_fixture(fixture!("aegis_plain_grouped_v2.json")),
        tv.vault.entries().unwrap(),
    );
    preview.commit(&mut tv.vault).unwrap();
    let deno = tv
        .vault
        .entries()
        .unwrap()
        .iter()
        .find(|e| e.account.issuer == "Deno")
        .unwrap();
    assert_eq!(deno.details.tags, ["group1"]);
}

// ---- export and round trips ----

/// A vault holding the seven accounts, some with tags, a favourite and a note.
fn seven_vault() -> TempVault {
    let mut tv = empty_vault();
    let mut parsed = parsed_fixture(fixture!("aegis_plain_grouped_v2.json"));
    for item in parsed.entries.iter_mut().flatten() {
        if item.account.issuer == "WWE" {
            item.details.favorite = true;
            "wrestling, ünïcödé".clone_into(&mut item.details.note);
            item.details.tags = vec!["sport".to_owned(), "tv".to_owned()];
        }
    }
    Preview::new(parsed, &[]).commit(&mut tv.vault).unwrap();
    tv
}

fn entry_rows(vault: &Vault) -> Vec<(Row, Details)> {
    let mut out: Vec<_> = vault
        .entries()
        .unwrap()
        .iter()
        .map(|e| (row(&e.account), e.details.clone()))
        .collect();
    out.sort_by(|a, b| (&a.0.0, &a.0.1).cmp(&(&b.0.0, &b.0.1)));
    out
}

/// Exports `source` as `format`, imports the file into an empty vault,
/// and returns that vault.
fn round_trip(source: &TempVault, format: ExportFormat, options: &ExportOptions<'_>) -> TempVault {
    let out = source
        .path
        .with_file_name(format!("export.{}", format.id()));
    let summary = export::write_file(&source.vault, format, &out, options).unwrap();
    if matches!(
        format,
        ExportFormat::Otpauth | ExportFormat::GoogleMigration
    ) {
        // seven_vault() gives tags to four accounts, one favourite, one note.
        assert_eq!(
            summary.not_written,
            [
                "tags of 4 accounts",
                "the favourite mark of 1 account",
                "notes of 1 account"
            ]
        );
    } else {
        assert!(summary.not_written.is_empty(), "{:?}", summary.not_written);
    }
    let expected = if format == ExportFormat::GoogleMigration {
        3
    } else {
        7
    };
    assert_eq!(summary.written, expected, "{:?}", summary.left_out);
    let password = match format {
        ExportFormat::Tessera => Some(vault_password()),
        _ => options.password.cloned(),
    };
    let parsed = transfer::import_file(&out, None, password.as_ref()).unwrap();
    let mut target = empty_vault();
    let preview = Preview::new(parsed, target.vault.entries().unwrap());
    assert_eq!(preview.count("new"), expected);
    preview.commit(&mut target.vault).unwrap();
    target
}

#[test]
fn round_trip_otpauth_list() {
    let source = seven_vault();
    let options = ExportOptions {
        allow_plaintext: true,
        ..ExportOptions::default()
    };
    let target = round_trip(&source, ExportFormat::Otpauth, &options);
    let strip = |v: Vec<(Row, Details)>| v.into_iter().map(|(r, _)| r).collect::<Vec<_>>();
    assert_eq!(
        strip(entry_rows(&target.vault)),
        strip(entry_rows(&source.vault))
    );
    assert_eq!(strip(entry_rows(&target.vault)), sorted(seven()));
}

#[test]
fn round_trip_aegis_plain_keeps_details() {
    let source = seven_vault();
    let options = ExportOptions {
        allow_plaintext: true,
        ..ExportOptions::default()
    };
    let target = round_trip(&source, ExportFormat::Aegis, &options);
    assert_eq!(entry_rows(&target.vault), entry_rows(&source.vault));
}

fn small_scrypt() -> ScryptCost {
    ScryptCost {
        log_n: 10,
        r: 8,
        p: 1,
    }
}

#[test]
fn round_trip_aegis_encrypted() {
    let source = seven_vault();
    let password = SecretString::from("export password");
    let options = ExportOptions {
        password: Some(&password),
        scrypt: small_scrypt(),
        ..ExportOptions::default()
    };
    let target = round_trip(&source, ExportFormat::AegisEncrypted, &options);
    assert_eq!(entry_rows(&target.vault), entry_rows(&source.vault));
}

#[test]
fn round_trip_tessera_backup() {
    let source = seven_vault();
    let target = round_trip(&source, ExportFormat::Tessera, &ExportOptions::default());
    assert_eq!(entry_rows(&target.vault), entry_rows(&source.vault));
}

#[test]
fn tessera_backup_wrong_password() {
    let source = seven_vault();
    let out = source.path.with_file_name("backup.tessera");
    export::write_file(
        &source.vault,
        ExportFormat::Tessera,
        &out,
        &ExportOptions::default(),
    )
    .unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(sniff(&bytes).unwrap().format, Format::TesseraBackup);
    let err = transfer::import(&bytes, None, Some(&SecretString::from("nope"))).unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::WrongPassword {
                format: Format::TesseraBackup
            }
        ),
        "{err:?}"
    );
}

#[test]
fn round_trip_google_migration() {
    let source = seven_vault();
    let options = ExportOptions {
        allow_plaintext: true,
        ..ExportOptions::default()
    };
    // Google's format carries SHA1/SHA256/SHA512, 6 or 8 digits, 30 s
    // TOTP and HOTP: of the seven, Deno, Issuu and WWE; the others are
    // reported as left out.
    let target = round_trip(&source, ExportFormat::GoogleMigration, &options);
    let strip = |v: Vec<(Row, Details)>| v.into_iter().map(|(r, _)| r).collect::<Vec<_>>();
    assert_eq!(
        strip(entry_rows(&target.vault)),
        sorted(seven_of(&["Deno", "Issuu", "WWE"]))
    );
    let left = export::left_out(
        source.vault.entries().unwrap(),
        ExportFormat::GoogleMigration,
    );
    let mut labels: Vec<_> = left.iter().map(|i| i.label.as_str()).collect();
    labels.sort_unstable();
    assert_eq!(
        labels,
        [
            "Air Canada:Benjamin",
            "Airbnb:Elijah",
            "Boeing:Sophia",
            "SPDX:James"
        ]
    );
}

#[test]
fn plaintext_exports_need_consent_and_never_overwrite() {
    let source = seven_vault();
    let out = source.path.with_file_name("plain.txt");
    for format in [
        ExportFormat::Otpauth,
        ExportFormat::Aegis,
        ExportFormat::GoogleMigration,
    ] {
        let err =
            export::write_file(&source.vault, format, &out, &ExportOptions::default()).unwrap_err();
        assert!(
            matches!(err, ExportError::PlaintextNotConfirmed { .. }),
            "{err:?}"
        );
        assert!(!out.exists());
    }
    let err = export::write_file(
        &source.vault,
        ExportFormat::AegisEncrypted,
        &out,
        &ExportOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, ExportError::PasswordRequired { .. }));
    std::fs::write(&out, b"keep me").unwrap();
    let consent = ExportOptions {
        allow_plaintext: true,
        ..ExportOptions::default()
    };
    let err = export::write_file(&source.vault, ExportFormat::Otpauth, &out, &consent).unwrap_err();
    assert!(matches!(err, ExportError::AlreadyExists { .. }));
    assert_eq!(std::fs::read(&out).unwrap(), b"keep me");
}

/// Decrypts an Aegis vault the way `docs/vault.md` of Aegis describes,
/// with Python's `cryptography` package: nothing shared with our code.
const AEGIS_DECRYPTOR: &str = r#"
import base64, json, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
vault = json.load(open(sys.argv[1]))
password = sys.argv[2].encode()
master = None
for slot in vault["header"]["slots"]:
    if slot["type"] != 1:
        continue
    kdf = Scrypt(salt=bytes.fromhex(slot["salt"]), length=32, n=slot["n"], r=slot["r"], p=slot["p"])
    key = kdf.derive(password)
    params = slot["key_params"]
    master = AESGCM(key).decrypt(bytes.fromhex(params["nonce"]),
                                 bytes.fromhex(slot["key"]) + bytes.fromhex(params["tag"]), None)
params = vault["header"]["params"]
content = AESGCM(master).decrypt(bytes.fromhex(params["nonce"]),
                                 base64.b64decode(vault["db"]) + bytes.fromhex(params["tag"]), None)
db = json.loads(content)
groups = {g["uuid"]: g["name"] for g in db.get("groups", [])}
for e in db["entries"]:
    info = e["info"]
    factor = info.get("period", info.get("counter"))
    tags = ",".join(sorted(groups[g] for g in e.get("groups", [])))
    print("|".join([e["type"], e["issuer"], e["name"], info["secret"], info["algo"],
                    str(info["digits"]), str(factor), tags, str(e.get("favorite", False)).lower(),
                    e.get("note", "")]))
"#;

#[test]
fn aegis_encrypted_export_opens_with_an_independent_decryptor() {
    let source = seven_vault();
    let password = SecretString::from("pässword");
    let out = source.path.with_file_name("aegis.json");
    let options = ExportOptions {
        password: Some(&password),
        scrypt: small_scrypt(),
        ..ExportOptions::default()
    };
    export::write_file(&source.vault, ExportFormat::AegisEncrypted, &out, &options).unwrap();
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(AEGIS_DECRYPTOR)
        .arg(&out)
        .arg(password.expose())
        .output()
        .expect("python3 must be installed (with the “cryptography” package)");
    assert!(
        output.status.success(),
        "the independent decryptor failed (is “cryptography” installed? pip install cryptography): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut lines: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    let mut expected: Vec<String> = entry_rows(&source.vault)
        .into_iter()
        .map(
            |((issuer, name, secret, algorithm, digits, kind), details)| {
                let factor = kind
                    .period()
                    .map_or_else(|| kind.counter().unwrap_or(0), u64::from);
                let mut tags = details.tags.clone();
                tags.sort();
                format!(
                    "{}|{issuer}|{name}|{secret}|{algorithm}|{digits}|{factor}|{}|{}|{}",
                    kind.name(),
                    tags.join(","),
                    details.favorite,
                    details.note
                )
            },
        )
        .collect();
    expected.sort();
    assert_eq!(lines, expected);
}

#[test]
fn format_names_parse() {
    for format in Format::ALL {
        assert_eq!(format.id().parse::<Format>().unwrap(), format);
    }
    for format in ExportFormat::ALL {
        assert_eq!(format.id().parse::<ExportFormat>().unwrap(), format);
    }
    assert!("nope".parse::<Format>().is_err());
}

#[test]
fn format_serializes_as_its_id() {
    assert_eq!(serde_json::to_string(&Format::TwoFas).unwrap(), "\"2fas\"");
    assert_eq!(
        serde_json::to_string(&Format::AndOtpEncrypted).unwrap(),
        "\"andotp-encrypted\""
    );
}

/// A Google QR set written as pictures scans back, through the QR module's
/// decoder and batch assembly, into the accounts Google's format can carry.
#[test]
fn google_qr_pictures_scan_back_into_the_accounts() {
    use tessera::core::qr::{self, BatchAssembly, BatchProgress, QrContent};

    let source = seven_vault();
    let options = ExportOptions {
        allow_plaintext: true,
        ..ExportOptions::default()
    };
    for extension in ["png", "svg"] {
        let out = source.path.with_file_name(format!("google.{extension}"));
        let summary =
            export::write_file(&source.vault, ExportFormat::GoogleMigration, &out, &options)
                .unwrap();
        assert_eq!(
            summary.files,
            std::slice::from_ref(&out),
            "three accounts fit one QR"
        );
        let mut assembly = BatchAssembly::new();
        let mut accounts = Vec::new();
        for file in &summary.files {
            for content in qr::scan(&std::fs::read(file).unwrap()).unwrap() {
                let QrContent::Migration(batch) = content else {
                    panic!("a migration QR in {}", file.display())
                };
                if let BatchProgress::Part { accounts: part, .. } = assembly.add(batch).unwrap() {
                    accounts.extend(part);
                }
            }
        }
        let rows = sorted(accounts.iter().map(row).collect());
        assert_eq!(
            rows,
            sorted(seven_of(&["Deno", "Issuu", "WWE"])),
            "{extension}"
        );
        let again =
            export::write_file(&source.vault, ExportFormat::GoogleMigration, &out, &options)
                .unwrap_err();
        assert!(
            matches!(again, ExportError::AlreadyExists { .. }),
            "{again:?}"
        );
    }
}

// ---- one base32 rule for secrets, and the notes of how entries were read ----

/// One entry of `format` holding the secret `secret`, issuer `issuer` and
/// account name `bob`, as that app writes it.
fn file_with_secret(format: Format, issuer: &str, secret: &str) -> String {
    match format {
        Format::TwoFas => format!(
            r#"{{"schemaVersion":4,"services":[{{"name":"{issuer}","secret":"{secret}","otp":{{"account":"bob","issuer":"{issuer}","digits":6,"period":30,"algorithm":"SHA1","tokenType":"TOTP"}}}}]}}"#
        ),
        Format::Aegis => format!(
            r#"{{"version":1,"header":{{"slots":null,"params":null}},"db":{{"version":3,"entries":[{{"type":"totp","name":"bob","issuer":"{issuer}","info":{{"secret":"{secret}","algo":"SHA1","digits":6,"period":30}}}}],"groups":[]}}}}"#
        ),
        Format::AndOtp => format!(
            r#"[{{"secret":"{secret}","issuer":"{issuer}","label":"bob","digits":6,"type":"TOTP","algorithm":"SHA1","period":30}}]"#
        ),
        Format::BitwardenCsv => format!("name,login_username,login_totp\n{issuer},bob,{secret}\n"),
        Format::Proton => format!(
            r#"{{"version":1,"entries":[{{"content":{{"uri":"otpauth://totp/{issuer}:bob?secret={secret}","name":"bob"}}}}]}}"#
        ),
        Format::Ente => format!(
            "otpauth://totp/{issuer}:bob?secret={secret}&issuer={issuer}&codeDisplay=%7B%7D\n"
        ),
        Format::OtpauthList => format!("otpauth://totp/{issuer}:bob?secret={secret}\n"),
        other => panic!("no template for {other}"),
    }
}

const FORMATS_WITH_BASE32: [Format; 7] = [
    Format::TwoFas,
    Format::Aegis,
    Format::AndOtp,
    Format::BitwardenCsv,
    Format::Proton,
    Format::Ente,
    Format::OtpauthList,
];

/// Secrets typed by hand into 2FAS or Ente Auth (17 or 19 base32
/// characters) are read by every importer, decoded as the URI parser and
/// the add form decode them, and the loss report (kept by the preview)
/// names the entry and the bits dropped.
#[test]
fn non_canonical_secrets_are_read_and_reported_by_every_importer() {
    for (secret, bits) in [("JBSWY3DPEHPK3PXPA", 5), ("JBSWY3DPEHPK3PXPJBS", 7)] {
        let expected = tessera::core::otp::decode_base32_secret(secret).unwrap();
        for format in FORMATS_WITH_BASE32 {
            let text = file_with_secret(format, "Acme", secret);
            let parsed = transfer::import(text.as_bytes(), Some(format), None).unwrap();
            let invalid: Vec<_> = parsed.invalid().collect();
            assert!(invalid.is_empty(), "{format}: {invalid:?}");
            let items: Vec<_> = parsed.items().collect();
            assert_eq!(items.len(), 1, "{format}");
            assert_eq!(items[0].account.secret, expected, "{format}");
            let note = format!(
                "entry 1 (Acme:bob): the secret was non-canonical base32 ({bits} trailing bits dropped)"
            );
            assert!(
                losses(&parsed).contains(&note),
                "{format}: {}",
                losses(&parsed)
            );
            let preview = Preview::new(parsed, &[]);
            assert_eq!(preview.count("new"), 1);
            assert!(preview.losses.iter().any(|l| l.message == note), "{format}");
        }
    }
}

/// Every importer and the URI parser give the same answer for the same
/// secret: `=` only at the end, non-zero padding bits accepted (with a
/// note), a character after `=` refused with the same reason.
#[test]
fn importers_and_uris_decode_secrets_by_one_rule() {
    for secret in [
        "JBSWY3DPEHPK3PXP====",
        "jbsw-y3dp ehpk-3pxp",
        "MZXW6YR",
        "JB=SWY3DP",
    ] {
        let uri =
            tessera::core::otp::parse_uri(&format!("otpauth://totp/Acme:bob?secret={secret}"))
                .map(|a| a.secret)
                .map_err(|e| e.to_string());
        for format in FORMATS_WITH_BASE32 {
            let text = file_with_secret(format, "Acme", secret);
            let parsed = transfer::import(text.as_bytes(), Some(format), None).unwrap();
            let read = match parsed.entries.into_iter().next().unwrap() {
                Ok(item) => Ok(item.account.secret),
                Err(invalid) => Err(invalid.reason),
            };
            assert_eq!(read, uri, "{format} {secret}");
        }
    }
}

/// An `otpauth://hotp` line without `counter` is read with counter 0 and
/// the loss report says so; a bad algorithm in an importer's own field
/// names the algorithms Tessera supports.
#[test]
fn import_notes_and_reasons_name_what_was_assumed() {
    let list = "otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP\n\
                otpauth://hotp/bar?secret=AAAQEAYEAUDAOCAJBIFQYDIOB4\n";
    let parsed = transfer::import(list.as_bytes(), None, None).unwrap();
    let items: Vec<_> = parsed.items().collect();
    assert_eq!(items[1].account.kind, OtpKind::Hotp { counter: 0 });
    assert_eq!(
        losses(&parsed),
        "entry 2 (bar): the hotp URI has no counter parameter: counter 0 was taken"
    );

    let aegis = file_with_secret(Format::Aegis, "Acme", "JBSWY3DPEHPK3PXP")
        .replace(r#""algo":"SHA1""#, r#""algo":"SHA384""#);
    let parsed = transfer::import(aegis.as_bytes(), Some(Format::Aegis), None).unwrap();
    let invalid: Vec<_> = parsed.invalid().collect();
    assert_eq!(
        invalid[0].reason,
        "the algorithm SHA384 is not supported: Tessera computes codes with SHA1, SHA256 or SHA512"
    );
}

// ---- account icons ----

fn base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn png(width: u32, height: u32) -> Vec<u8> {
    use image::ImageEncoder as _;
    let picture = image::RgbaImage::from_pixel(width, height, image::Rgba([30, 120, 220, 255]));
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            picture.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgba8,
        )
        .unwrap();
    out
}

fn dimensions(png: &[u8]) -> (u32, u32) {
    image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .unwrap()
        .to_rgba8()
        .dimensions()
}

/// `aegis_plain.json` with icons on its first three entries (Deno: a
/// 256 × 128 PNG; SPDX: an SVG that refers to a picture on disk; Airbnb:
/// bytes that are no picture).
fn aegis_with_icons(elsewhere: &std::path::Path) -> Vec<u8> {
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture!("aegis_plain.json")).unwrap()).unwrap();
    std::fs::write(elsewhere, png(8, 8)).unwrap();
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24"><circle cx="12" cy="12" r="12" fill="#ff0000"/><image href="{}" width="24" height="24"/></svg>"##,
        elsewhere.display()
    );
    let entries = file["db"]["entries"].as_array_mut().unwrap();
    for (entry, (icon, mime)) in entries.iter_mut().zip([
        (base64(&png(256, 128)), "image/png"),
        (base64(svg.as_bytes()), "image/svg+xml"),
        (base64(b"not a picture"), "image/jpeg"),
    ]) {
        entry["icon"] = icon.into();
        entry["icon_mime"] = mime.into();
    }
    serde_json::to_vec(&file).unwrap()
}

fn icon_of<'a>(
    entries: impl IntoIterator<Item = (&'a str, &'a Details)>,
    issuer: &str,
) -> Option<AccountIcon> {
    entries
        .into_iter()
        .find(|(i, _)| *i == issuer)
        .and_then(|(_, d)| d.icon.clone())
}

#[test]
fn aegis_icons_are_drawn_again_as_small_pngs_and_one_that_is_no_picture_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let parsed =
        transfer::import(&aegis_with_icons(&dir.path().join("other.png")), None, None).unwrap();
    let items = || {
        parsed
            .items()
            .map(|i| (i.account.issuer.as_str(), &i.details))
    };
    let deno = icon_of(items(), "Deno").expect("Deno keeps its icon");
    assert_eq!(dimensions(deno.png().unwrap()), (64, 32));
    let spdx = icon_of(items(), "SPDX").expect("SPDX keeps its SVG icon, drawn");
    let drawn = image::load_from_memory(spdx.png().unwrap())
        .unwrap()
        .to_rgba8();
    assert_eq!(drawn.dimensions(), (64, 64));
    // The circle is drawn; the picture on disk it refers to (blue) is not.
    assert_eq!(drawn.get_pixel(32, 32).0, [255, 0, 0, 255]);
    assert_eq!(icon_of(items(), "Airbnb"), None);
    assert_eq!(parsed.items().count(), 7, "every entry is imported");
    let losses = losses(&parsed);
    assert!(
        losses.contains("entry 3 (Airbnb")
            && losses.contains("the icon is not a PNG, JPEG, GIF, WebP, BMP or SVG picture; it is imported without it"),
        "{losses}"
    );
    assert!(
        !losses.contains("Deno") && !losses.contains("SPDX"),
        "{losses}"
    );
}

#[test]
fn aegis_icons_survive_the_vault_and_an_aegis_export() {
    let dir = tempfile::tempdir().unwrap();
    let parsed =
        transfer::import(&aegis_with_icons(&dir.path().join("other.png")), None, None).unwrap();
    let deno = icon_of(
        parsed
            .items()
            .map(|i| (i.account.issuer.as_str(), &i.details)),
        "Deno",
    );
    let mut source = empty_vault();
    Preview::new(parsed, &[]).commit(&mut source.vault).unwrap();
    source.vault.lock();
    source
        .vault
        .unlock_with_password(&vault_password())
        .unwrap();
    let stored = |vault: &Vault| {
        let entries = vault.entries().unwrap();
        icon_of(
            entries
                .iter()
                .map(|e| (e.account.issuer.as_str(), &e.details)),
            "Deno",
        )
    };
    assert_eq!(stored(&source.vault), deno, "read back from the file");
    let out = dir.path().join("export.json");
    let options = ExportOptions {
        allow_plaintext: true,
        ..ExportOptions::default()
    };
    let summary = export::write_file(&source.vault, ExportFormat::Aegis, &out, &options).unwrap();
    assert!(summary.not_written.is_empty(), "{:?}", summary.not_written);
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let deno_out = written["db"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["issuer"] == "Deno")
        .unwrap();
    assert_eq!(deno_out["icon_mime"], "image/png");
    let again = transfer::import_file(&out, None, None).unwrap();
    assert_eq!(
        icon_of(
            again
                .items()
                .map(|i| (i.account.issuer.as_str(), &i.details)),
            "Deno"
        ),
        deno
    );
}

#[test]
fn twofas_letter_badges_are_kept_with_their_colour() {
    let parsed = read(fixture!("2fas_authenticator_plain_v4.2fas"), None);
    let items = || {
        parsed
            .items()
            .map(|i| (i.account.issuer.as_str(), &i.details))
    };
    assert_eq!(
        icon_of(items(), "Deno"),
        AccountIcon::badge("DE", Some("#fdd835"))
    );
    assert_eq!(
        icon_of(items(), "Boeing"),
        AccountIcon::badge("BO", Some("#d81b60"))
    );
    // "Default" is 2FAS's own colour: the account's colour stands in.
    assert_eq!(icon_of(items(), "WWE"), AccountIcon::badge("WW", None));
    assert!(!losses(&parsed).contains("icon"), "{}", losses(&parsed));
    let collection = read(fixture!("2fas_authenticator_plain_v3.2fas"), None);
    assert!(collection.items().all(|i| i.details.icon.is_none()));
}

#[test]
fn an_invalid_entry_keeps_the_issuer_and_name_its_file_gives() {
    let mut file: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture!("2fas_authenticator_plain_v4.2fas")).unwrap(),
    )
    .unwrap();
    file["services"][1]["secret"] = "not base32!".into();
    let parsed = transfer::import(&serde_json::to_vec(&file).unwrap(), None, None).unwrap();
    let preview = Preview::new(parsed, &[]);
    let broken = &preview.entries[1];
    assert!(matches!(broken.status, Status::Invalid { .. }));
    assert_eq!(
        (
            broken.issuer.as_str(),
            broken.name.as_str(),
            broken.label.as_str()
        ),
        ("Issuu", "James", "Issuu:James")
    );
    // The preview given back for a commit keeps them too.
    let invalid: Vec<_> = preview.into_parsed().invalid().cloned().collect();
    assert_eq!(
        (invalid[0].issuer.as_str(), invalid[0].name.as_str()),
        ("Issuu", "James")
    );

    // An entry known only by its line has no issuer or name.
    let parsed = transfer::import(b"otpauth://totp/A?secret=!!\n", None, None).unwrap();
    let preview = Preview::new(parsed, &[]);
    let line = &preview.entries[0];
    assert_eq!(
        (
            line.issuer.as_str(),
            line.name.as_str(),
            line.label.as_str()
        ),
        ("", "", "line 1")
    );
}
