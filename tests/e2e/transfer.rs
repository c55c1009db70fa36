//! Import / Export through the window: an encrypted Aegis export dropped on
//! the screen (its password asked for, a wrong one refused), the preview
//! table, the commit, the accounts and a code checked against the CLI, a
//! re-import seen as duplicates, then encrypted and plaintext exports and
//! the exported file read back. No IPC answer holds a secret.

use std::path::Path;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use serde_json::Value;

use super::accounts::{cli_codes, unix_now};
use super::session::{APP_TIMEOUT, AppSession};
use crate::support::cli::PASSWORD;
use tessera::core::secret::SecretString;
use tessera::core::transfer;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/aegis-importers/aegis_encrypted.json"
);
const FIXTURE_PASSWORD: &str = "test";
const EXPORT_PASSWORD: &str = "Export-Pw-4711";
/// The seven accounts' base32 secrets (`fixtures/README.md`).
const SECRETS: [&str; 7] = [
    "4SJHB4GSD43FZBAI7C2HLRJGPQ",
    "5OM4WOOGPLQEF6UGN3CPEOOLWU",
    "7ELGJSGXNCCTV3O6LKJWYFV2RA",
    "YOOMIXWS5GN6RTBPUFFWKTW5M4",
    "KUVJJOM753IHTNDSZVCNKL7GII",
    "5VAML3X35THCEBVRLV24CGBKOY",
    "JRZCL47CMXVOQMNPZR2F7J4RGI",
];

/// Drops `bytes` as a file named `name` on the Import / Export screen, the
/// way the page sees an HTML5 file drop (`WebDriver` cannot drag from the
/// desktop).
async fn drop_file(app: &AppSession, name: &str, bytes: &[u8]) {
    app.by_test_id("transfer-drop-zone").await;
    app.client
        .execute(
            r#"const [name, base64] = arguments;
               const text = atob(base64);
               const bytes = new Uint8Array(text.length);
               for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
               const file = new File([bytes], name);
               const zone = document.querySelector("[data-testid='transfer-drop-zone']");
               const drop = new Event("drop", { bubbles: true, cancelable: true });
               Object.defineProperty(drop, "dataTransfer", { value: { files: [file], types: ["Files"] } });
               zone.dispatchEvent(drop);"#,
            vec![
                Value::from(name),
                Value::from(data_encoding::BASE64.encode(bytes)),
            ],
        )
        .await
        .unwrap();
}

/// Waits until the page's `textContent` of `id` contains `needle`.
async fn wait_text(app: &AppSession, id: &str, needle: &str) -> String {
    let deadline = Instant::now() + APP_TIMEOUT;
    loop {
        let text = app.content_of(id).await;
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{id} never said {needle:?}; last {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `textContent` of every element with `data-testid` = `id`.
async fn texts(app: &AppSession, id: &str) -> Vec<String> {
    let mut out = Vec::new();
    for element in app
        .client
        .find_all(Locator::Css(&format!("[data-testid='{id}']")))
        .await
        .unwrap()
    {
        out.push(
            element
                .prop("textContent")
                .await
                .unwrap()
                .unwrap_or_default()
                .trim()
                .to_owned(),
        );
    }
    out
}

async fn type_into(app: &AppSession, id: &str, text: &str) {
    let field = app.by_test_id(id).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Clicks the element after scrolling it to the middle of the screen (a
/// toast at the bottom edge would take the click).
async fn click(app: &AppSession, id: &str) {
    let element = app.by_test_id(id).await;
    app.client
        .execute(
            "arguments[0].scrollIntoView({ block: 'center' });",
            vec![serde_json::to_value(&element).unwrap()],
        )
        .await
        .unwrap();
    if let Err(error) = element.click().await {
        app.screenshot("transfer-failed-click.png").await;
        panic!("clicking {id}: {error}");
    }
}

/// Drops the fixture and opens it with its password (after a wrong one
/// when `wrong_first`), then waits for the preview.
async fn import_fixture(app: &AppSession, wrong_first: bool) {
    let bytes = std::fs::read(FIXTURE).unwrap();
    drop_file(app, "aegis_encrypted.json", &bytes).await;
    app.by_test_id("import-password").await;
    if wrong_first {
        type_into(app, "import-password", "not the password").await;
        click(app, "import-password-submit").await;
        app.wait_attr("import-problem", "data-wrong-password", |v| v == "true")
            .await;
        let problem = app.content_of("import-problem").await;
        assert!(problem.contains("Wrong password"), "{problem}");
        app.screenshot("transfer-password.png").await;
    }
    type_into(app, "import-password", FIXTURE_PASSWORD).await;
    click(app, "import-password-submit").await;
    app.by_test_id("import-preview").await;
}

#[tokio::test]
async fn an_encrypted_aegis_export_is_previewed_imported_and_exported_again() {
    let app = AppSession::start_unlocked().await;
    app.record_ipc().await;
    click(&app, "nav-transfer").await;
    app.by_test_id("screen-transfer").await;

    import_and_check(&app).await;
    reimport_shows_duplicates(&app).await;
    let dir = tempfile::tempdir().unwrap();
    export_encrypted_and_read_back(&app, dir.path()).await;
    export_plaintext(&app, dir.path()).await;

    let mut secrets: Vec<&str> = SECRETS.to_vec();
    secrets.extend([FIXTURE_PASSWORD, EXPORT_PASSWORD]);
    let checked = app.assert_no_secret_in_ipc(&secrets).await;
    assert!(checked > 10, "only {checked} IPC answers were recorded");
    app.close().await;
}

/// What each account row draws before its name: `(issuer, data-icon, text)`.
async fn avatars(app: &AppSession) -> Vec<(String, String, String)> {
    let rows = app
        .client
        .execute(
            r#"return [...document.querySelectorAll("[data-testid='account-row']")].map((row) => {
                 const avatar = row.querySelector("[data-testid='account-avatar']");
                 return [row.querySelector("[data-testid='account-issuer']").textContent.trim(),
                         avatar.dataset.icon ?? "", avatar.textContent.trim()];
               });"#,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(rows).unwrap()
}

/// Waits until the list has `count` rows.
async fn wait_rows(app: &AppSession, count: usize) {
    let deadline = Instant::now() + APP_TIMEOUT;
    while app.count("account-row").await < count {
        assert!(
            Instant::now() < deadline,
            "the list never showed {count} rows"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The real 2FAS backup whose user picked letter badges, then an Aegis
/// file with a picture icon on one entry: the list shows both, and the
/// picture the page gets is the PNG Tessera drew (64 × 64), not the file's.
#[tokio::test]
async fn icons_and_badges_from_imports_show_in_the_list() {
    let app = AppSession::start_unlocked().await;
    click(&app, "nav-transfer").await;
    let twofas = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/aegis-importers/2fas_authenticator_plain_v4.2fas"
    ))
    .unwrap();
    drop_file(&app, "2fas_authenticator_plain_v4.2fas", &twofas).await;
    app.wait_attr("import-count-new", "data-count", |v| v == "5")
        .await;
    click(&app, "import-commit").await;
    wait_text(&app, "toast", "Imported 5 accounts").await;

    let mut aegis: Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/aegis-importers/aegis_plain.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let picture = image::RgbaImage::from_pixel(300, 300, image::Rgba([0, 128, 0, 255]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgba8(picture)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let spdx = aegis["db"]["entries"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|e| e["issuer"] == "SPDX")
        .unwrap();
    spdx["icon"] = data_encoding::BASE64.encode(&png).into();
    spdx["icon_mime"] = "image/png".into();
    drop_file(
        &app,
        "aegis_plain.json",
        &serde_json::to_vec(&aegis).unwrap(),
    )
    .await;
    app.wait_attr("import-count-new", "data-count", |v| v == "2")
        .await;
    click(&app, "import-commit").await;
    wait_text(&app, "toast", "Imported 2 accounts").await;

    click(&app, "nav-accounts").await;
    wait_rows(&app, 7).await;
    let shown = avatars(&app).await;
    let of = |issuer: &str| {
        shown
            .iter()
            .find(|(i, _, _)| i.ends_with(issuer))
            .unwrap_or_else(|| panic!("no row for {issuer} in {shown:?}"))
            .clone()
    };
    assert_eq!(of("Deno").1, "badge", "{shown:?}");
    assert_eq!(of("Deno").2, "DE");
    assert_eq!(of("Boeing").2, "BO");
    assert_eq!(of("SPDX").1, "picture", "{shown:?}");
    let source: String = serde_json::from_value(
        app.client
            .execute(
                r#"return [...document.querySelectorAll("[data-testid='account-avatar'][data-icon='picture'] img")][0].src;"#,
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    let drawn = data_encoding::BASE64
        .decode(
            source
                .trim_start_matches("data:image/png;base64,")
                .as_bytes(),
        )
        .unwrap();
    let drawn = image::load_from_memory(&drawn).unwrap();
    assert_eq!((drawn.width(), drawn.height()), (64, 64));
    app.screenshot("accounts-imported-icons.png").await;
    app.close().await;
}

/// Import: password asked for, wrong one refused, the preview's rows and
/// counts, the commit, the accounts list with the CLI's code.
async fn import_and_check(app: &AppSession) {
    import_fixture(app, true).await;
    assert_eq!(app.count("import-row").await, 7);
    let statuses: Vec<String> = {
        let mut out = Vec::new();
        for row in app
            .client
            .find_all(Locator::Css("[data-testid='import-row']"))
            .await
            .unwrap()
        {
            out.push(row.attr("data-status").await.unwrap().unwrap_or_default());
        }
        out
    };
    assert_eq!(statuses, vec!["new"; 7]);
    assert_eq!(
        texts(app, "import-row-issuer").await,
        [
            "Deno",
            "SPDX",
            "Airbnb",
            "Issuu",
            "Air Canada",
            "WWE",
            "Boeing"
        ]
    );
    app.wait_attr("import-count-new", "data-count", |v| v == "7")
        .await;
    app.wait_attr("import-count-duplicate", "data-count", |v| v == "0")
        .await;
    let preview = app.content_of("import-preview").await;
    for kind in ["TOTP", "HOTP", "Steam"] {
        assert!(preview.contains(kind), "{preview}");
    }
    let commit = app.content_of("import-commit").await;
    assert_eq!(commit, "Import 7 new accounts");
    app.screenshot("transfer-preview.png").await;
    let listed: Value = serde_json::from_str(&app.cli(&["list", "--json"])).unwrap();
    assert_eq!(listed, serde_json::json!([]), "the preview wrote nothing");

    click(app, "import-commit").await;
    wait_text(app, "toast", "Imported 7 accounts").await;
    let listed: Value = serde_json::from_str(&app.cli(&["list", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 7, "{listed}");

    // The accounts list shows them, with the CLI's codes.
    click(app, "nav-accounts").await;
    app.by_test_id("screen-accounts").await;
    let deadline = Instant::now() + APP_TIMEOUT;
    while app.count("account-row").await < 7 {
        assert!(Instant::now() < deadline, "the list never showed 7 rows");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let issuers = texts(app, "account-issuer").await;
    assert!(
        issuers.iter().any(|i| i.contains("Deno")),
        "the list shows {issuers:?}"
    );
    let shown = app
        .wait_attr("account-code", "data-code", |c| c.len() == 6)
        .await;
    let expected = cli_codes(app, "Deno", unix_now());
    assert!(
        expected.contains(&shown),
        "the window shows {shown} for Deno; the CLI computes {expected:?}"
    );
}

/// The same file again: every entry is a duplicate, nothing to import.
async fn reimport_shows_duplicates(app: &AppSession) {
    click(app, "nav-transfer").await;
    import_fixture(app, false).await;
    app.wait_attr("import-count-duplicate", "data-count", |v| v == "7")
        .await;
    app.wait_attr("import-count-new", "data-count", |v| v == "0")
        .await;
    assert_eq!(app.count("import-row").await, 7);
    let commit = app.by_test_id("import-commit").await;
    assert_eq!(
        commit.attr("disabled").await.unwrap().as_deref(),
        Some("true")
    );
    click(app, "import-cancel").await;
}

/// Export, encrypted with its own password, to a path the test chooses
/// (the `data-path` hook replaces the native save dialog); the file opens
/// with that password and re-imports through the window as duplicates.
async fn export_encrypted_and_read_back(app: &AppSession, dir: &Path) {
    let encrypted = dir.join("aegis-export.json");
    app.by_test_id("export-format")
        .await
        .select_by_value("aegis-encrypted")
        .await
        .unwrap();
    type_into(app, "export-password", EXPORT_PASSWORD).await;
    type_into(app, "export-confirm", EXPORT_PASSWORD).await;
    type_into(app, "export-vault-password", PASSWORD).await;
    set_export_path(app, &encrypted).await;
    click(app, "export-submit").await;
    wait_text(app, "toast", "Exported 7 accounts").await;
    assert!(encrypted.exists());
    let text = std::fs::read_to_string(&encrypted).unwrap();
    for secret in SECRETS {
        assert!(
            !text.contains(secret),
            "the encrypted export holds {secret}"
        );
    }
    let parsed =
        transfer::import_file(&encrypted, None, Some(&SecretString::from(EXPORT_PASSWORD)))
            .unwrap();
    assert_eq!(parsed.items().count(), 7);

    drop_file(app, "aegis-export.json", text.as_bytes()).await;
    type_into(app, "import-password", EXPORT_PASSWORD).await;
    click(app, "import-password-submit").await;
    app.wait_attr("import-count-duplicate", "data-count", |v| v == "7")
        .await;
    click(app, "import-cancel").await;
}

/// A plaintext export waits for the acknowledgement, then writes a 0600 file.
async fn export_plaintext(app: &AppSession, dir: &Path) {
    let plain = dir.join("uris.txt");
    app.by_test_id("export-format")
        .await
        .select_by_value("otpauth")
        .await
        .unwrap();
    app.by_test_id("export-plaintext-warning").await;
    let submit = app.by_test_id("export-submit").await;
    assert_eq!(
        submit.attr("disabled").await.unwrap().as_deref(),
        Some("true")
    );
    click(app, "export-plaintext-ack").await;
    set_export_path(app, &plain).await;
    type_into(app, "export-vault-password", "not the vault password").await;
    click(app, "export-submit").await;
    wait_text(app, "export-problem", "password").await;
    assert!(!plain.exists(), "a wrong vault password writes nothing");
    type_into(app, "export-vault-password", PASSWORD).await;
    click(app, "export-submit").await;
    wait_text(app, "export-result", "uris.txt").await;
    let uris = std::fs::read_to_string(&plain).unwrap();
    assert_eq!(uris.lines().count(), 7, "{uris}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&plain).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    app.screenshot("transfer-export.png").await;
}

/// Points the export button's test hook at `path`.
async fn set_export_path(app: &AppSession, path: &Path) {
    app.by_test_id("export-submit").await;
    app.client
        .execute(
            "document.querySelector(\"[data-testid='export-submit']\").dataset.path = arguments[0];",
            vec![Value::from(path.display().to_string())],
        )
        .await
        .unwrap();
}

/// Codes keep coming from the window while an encrypted file it imports
/// derives its key (scrypt N = 2^20, r = 8: 1 GiB and seconds of work, so
/// the window asks first): the page's own `codes` calls, made after the
/// user agreed, are
/// all answered (with the code the CLI computes) before the import's
/// preview appears, which they could not be if the import held the
/// session while it derived.
#[tokio::test]
async fn codes_keep_coming_while_an_encrypted_import_derives_its_key() {
    const TICKING: &str = "otpauth://totp/Ticking:alice?secret=JBSWY3DPEHPK3PXP&issuer=Ticking";
    const SLOW_PASSWORD: &str = "slow file 2291";
    let app = AppSession::start_with_vault().await;
    app.cli(&["add", TICKING]);
    app.unlock(PASSWORD).await;
    let account = tessera::core::otp::parse_uri(TICKING).unwrap();
    let details = tessera::core::vault::Details::default();
    let cost = transfer::aegis::ScryptCost {
        log_n: 20,
        r: 8,
        p: 1,
    };
    let file = transfer::aegis::export_encrypted(
        [(&account, &details)],
        &SecretString::from(SLOW_PASSWORD),
        cost,
    )
    .unwrap();

    click(&app, "nav-transfer").await;
    app.by_test_id("screen-transfer").await;
    drop_file(&app, "slow.json", &file).await;
    type_into(&app, "import-password", SLOW_PASSWORD).await;
    click(&app, "import-password-submit").await;
    // 1 GiB is past what an import takes without asking.
    let cost = app.content_of("import-costly-cost").await;
    assert!(cost.contains("1024 MiB"), "{cost}");
    click(&app, "import-costly-open").await;
    let answers = app
        .client
        .execute(
            r#"const invoke = window.__TAURI_INTERNALS__.invoke;
               const ids = (await invoke("list_accounts")).map((a) => a.id);
               const codes = [];
               const started = performance.now();
               while (performance.now() - started < 1200) {
                 const [view] = await invoke("codes", { ids });
                 codes.push(view.current);
                 await new Promise((done) => setTimeout(done, 100));
               }
               const previewShown = document.querySelector("[data-testid='import-preview']") !== null;
               return JSON.stringify({ codes, previewShown });"#,
            vec![],
        )
        .await
        .unwrap();
    let answers: Value = serde_json::from_str(answers.as_str().unwrap()).unwrap();
    assert_eq!(
        answers["previewShown"], false,
        "the key derivation ended before the codes were asked for: {answers}"
    );
    let codes: Vec<String> = answers["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|code| code.as_str().unwrap().to_owned())
        .collect();
    assert!(codes.len() >= 5, "{answers}");
    let expected = cli_codes(&app, "Ticking", unix_now());
    let last = codes.last().unwrap();
    assert!(expected.contains(last), "{last} not in {expected:?}");

    let deadline = Instant::now() + 3 * APP_TIMEOUT;
    while app.count("import-preview").await == 0 {
        assert_eq!(
            app.count("import-problem").await,
            0,
            "{}",
            app.content_of("import-problem").await
        );
        assert!(Instant::now() < deadline, "the import never ended");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let duplicates = app
        .wait_attr("import-count-duplicate", "data-count", |count| {
            !count.is_empty()
        })
        .await;
    assert_eq!(duplicates, "1", "the file's account is the vault's");
    app.close().await;
}
