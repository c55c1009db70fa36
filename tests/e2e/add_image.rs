//! Adding accounts from QR pictures through the window: a real Google
//! Authenticator export PNG dropped on the Add screen (a synthetic HTML5
//! drop carrying the file's bytes, as a drag from a file manager would),
//! confirmed, then its codes match the CLI's; pictures without OTP data
//! are refused with their own errors; a multi-part export shows what is
//! missing; "Show as QR" reveals the account only after a confirmation.

use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};
use tessera::core::otp::{Account, Algorithm, OtpKind};
use tessera::core::qr::{self, QrContent};
use tessera::core::secret::SecretBytes;

use super::accounts::{cli_codes, unix_now};
use super::session::AppSession;

/// The secrets of the three accounts in `example_export.png`, in base32 and
/// hex (the forms a leak would take).
const SECRETS: &[&str] = &[
    "JBSWY3DPEHPK3PXP",
    "JBSWY3DPEHPK3PXQ",
    "JBSWY3DPEHPK3PXR",
    "48656c6c6f21deadbeef",
    "48656c6c6f21deadbef0",
    "48656c6c6f21deadbef1",
];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../shared/fixtures/google-migration/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Drops a file with `bytes` on the Add screen's drop zone: a `drop` event
/// whose `dataTransfer` holds a `File`, built in the page.
async fn drop_file(app: &AppSession, name: &str, mime: &str, bytes: &[u8]) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    app.client
        .execute(
            r"const [encoded, name, type] = arguments;
              const binary = atob(encoded);
              const bytes = new Uint8Array(binary.length);
              for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
              const file = new File([bytes], name, { type });
              let transfer = null;
              try {
                transfer = new DataTransfer();
                transfer.items.add(file);
              } catch (error) {
                transfer = null;
              }
              const event = new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: transfer });
              if (!event.dataTransfer || event.dataTransfer.files.length !== 1) {
                Object.defineProperty(event, 'dataTransfer', {
                  value: { files: [file], types: ['Files'], getData: () => '' },
                });
              }
              document.querySelector(`[data-testid='scan-drop']`).dispatchEvent(event);",
            vec![json!(encoded), json!(name), json!(mime)],
        )
        .await
        .unwrap();
}

/// Waits until there are `n` elements with `data-testid` = `id`.
async fn wait_count(app: &AppSession, id: &str, n: usize) {
    for _ in 0..600 {
        if app.count(id).await == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never {n} elements {id}; now {}", app.count(id).await);
}

/// The error the Add screen shows after dropping `name`.
async fn drop_error(app: &AppSession, name: &str, mime: &str) -> String {
    drop_file(app, name, mime, &fixture(name)).await;
    let error = app.content_of("scan-error").await;
    assert_eq!(app.count("scan-found").await, 0, "{name}: {error}");
    error
}

#[tokio::test]
async fn a_dropped_export_picture_adds_its_accounts_and_shows_as_qr_after_confirming() {
    let app = AppSession::start_unlocked().await;
    app.record_ipc().await;
    app.by_test_id("nav-add").await.click().await.unwrap();
    app.by_test_id("scan-card").await;

    // Pictures that hold no account: each says why.
    let error = drop_error(&app, "qr_but_without_otp.png", "image/png").await;
    assert!(error.contains("holds no 2FA account"), "{error}");
    let error = drop_error(&app, "text_masquerading_as_image.jpeg", "image/jpeg").await;
    assert!(error.starts_with("Not an image"), "{error}");

    add_the_export(&app).await;
    open_the_reveal_confirmation(&app).await;
    reveal_and_decode(&app).await;
    hide_and_lock(&app).await;
    app.close().await;
}

/// Drops `example_export.png`, checks the confirmation list, confirms, and
/// compares the first account's code with the CLI's.
async fn add_the_export(app: &AppSession) {
    drop_file(
        app,
        "example_export.png",
        "image/png",
        &fixture("example_export.png"),
    )
    .await;
    wait_count(app, "scan-found", 3).await;
    assert_eq!(app.count("scan-error").await, 0);
    assert_eq!(app.content_of("scan-status").await, "Found 3 accounts.");
    let listed = app.content_of("scan-found-list").await;
    for name in [
        "Test1",
        "test1@example1.com",
        "Test2",
        "Test3",
        "test3@example3.com",
    ] {
        assert!(listed.contains(name), "{name} not in {listed}");
    }
    app.screenshot("add-image-confirm.png").await;
    // Nothing is in the vault before the user confirms.
    assert_eq!(app.cli(&["list"]).trim(), "");
    app.by_test_id("scan-add").await.click().await.unwrap();

    app.by_test_id("screen-accounts").await;
    wait_count(app, "account-row", 3).await;
    assert!(app.content_of("account-issuer").await.contains("Test1"));
    let shown = app
        .wait_attr("account-code", "data-code", |c| c.len() == 6)
        .await;
    let expected = cli_codes(app, "Test1", unix_now());
    assert!(
        expected.contains(&shown),
        "the window shows {shown}; the CLI computes {expected:?}"
    );
}

/// Opens the first account's detail and asks to show its QR code: a
/// confirmation, and until then no answer holds a secret.
async fn open_the_reveal_confirmation(app: &AppSession) {
    // The add flow and the account detail up to the reveal: no secret in
    // any answer Rust gave the web view.
    app.by_test_id("account-open").await.click().await.unwrap();
    app.by_test_id("account-detail").await;
    app.by_test_id("detail-qr-show")
        .await
        .click()
        .await
        .unwrap();
    let confirm = app.content_of("detail-qr-confirm").await;
    assert!(confirm.contains("This shows the secret"), "{confirm}");
    assert_eq!(app.count("detail-qr").await, 0);
    let answers = app.recorded_ipc().await;
    // The scan's answer (display fields and ids) and add_scanned's (the
    // summaries) were recorded; no QR picture was asked for yet.
    assert!(
        answers
            .iter()
            .any(|a| a.starts_with("{\"found\":[{") && a.contains("test3@example3.com")),
        "no scan answer recorded: {answers:?}"
    );
    assert!(
        answers
            .iter()
            .any(|a| a.starts_with("[{\"id\"") && a.contains("\"backupCodesTotal\"")),
        "no account summaries recorded: {answers:?}"
    );
    assert!(
        !answers.iter().any(|a| a.contains("<svg")),
        "the QR was asked for before confirming"
    );
    let checked = app.assert_no_secret_in_ipc(SECRETS).await;
    assert!(checked >= 6, "only {checked} answers recorded");
}

/// Confirms the reveal: the picture renders and decodes to the account's
/// URI; `show_account_qr`'s answer is the only one with the secret.
async fn reveal_and_decode(app: &AppSession) {
    // The reveal: show_account_qr's answer is the one that holds the
    // secret, on purpose, after Rust checked the vault password; the
    // picture decodes to the account's URI.
    let (field, submit) = ("detail-qr-password", "detail-qr-confirm-show");
    app.confirm_with_password(field, submit, "not the password", Some("detail-qr-error"))
        .await;
    assert_eq!(app.count("detail-qr").await, 0);
    app.confirm_with_password(field, submit, crate::support::cli::PASSWORD, None)
        .await;
    let source = app
        .wait_attr("detail-qr", "src", |s| s.starts_with("data:image/svg+xml"))
        .await;
    let rendered = app
        .client
        .execute(
            r"const image = document.querySelector(`[data-testid='detail-qr']`);
              return image.complete && image.naturalWidth > 0;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(rendered, Value::Bool(true), "the QR image did not render");
    let svg = percent_decode(source.split_once(',').unwrap().1);
    assert!(svg.starts_with("<?xml") || svg.starts_with("<svg"), "{svg}");
    let texts = qr::decode(svg.as_bytes()).unwrap();
    assert_eq!(texts.len(), 1);
    assert!(
        texts[0].starts_with("otpauth://totp/Test1:test1@example1.com?secret=JBSWY3DPEHPK3PXP&"),
        "{}",
        texts[0]
    );
    // Every other answer of the whole flow is still secret-free: only the
    // one SVG (show_account_qr's answer) holds the secret.
    let answers = app.recorded_ipc().await;
    let revealing: Vec<&String> = answers
        .iter()
        .filter(|a| a.to_lowercase().contains("jbswy3dpehpk3pxp"))
        .collect();
    assert_eq!(
        revealing.len(),
        0,
        "the SVG is drawn, not the URI: {revealing:?}"
    );
    assert_eq!(answers.iter().filter(|a| a.contains("<svg")).count(), 1);
    for answer in answers.iter().filter(|a| !a.contains("<svg")) {
        for secret in SECRETS {
            assert!(
                !answer.to_lowercase().contains(&secret.to_lowercase()),
                "an IPC answer holds a secret ({secret}): {answer}"
            );
        }
    }
    app.screenshot("detail-qr.png").await;
}

/// Hides the QR code; shows it again and locks: it is gone.
async fn hide_and_lock(app: &AppSession) {
    app.by_test_id("detail-qr-hide")
        .await
        .click()
        .await
        .unwrap();
    wait_count(app, "detail-qr", 0).await;
    app.by_test_id("detail-qr-show").await;

    // Shown again, then the vault locks: the picture is gone.
    app.by_test_id("detail-qr-show")
        .await
        .click()
        .await
        .unwrap();
    app.confirm_with_password(
        "detail-qr-password",
        "detail-qr-confirm-show",
        crate::support::cli::PASSWORD,
        None,
    )
    .await;
    app.by_test_id("detail-qr").await;
    app.by_test_id("lock-now").await.click().await.unwrap();
    app.by_test_id("unlock-password").await;
    assert_eq!(app.count("detail-qr").await, 0);
}

#[tokio::test]
async fn a_two_part_export_shows_the_missing_part_until_both_are_scanned() {
    let accounts: Vec<Account> = (0..12u8)
        .map(|i| {
            Account::new(
                format!("Issuer{i}"),
                format!("user{i}@example.com"),
                SecretBytes::from(vec![i.wrapping_mul(7).wrapping_add(1); 20]),
                Algorithm::Sha1,
                6,
                OtpKind::Totp { period: 30 },
            )
            .unwrap()
        })
        .collect();
    let parts = qr::migration_pngs(&accounts).unwrap();
    assert_eq!(parts.len(), 2, "12 accounts make two QR codes");

    let app = AppSession::start_unlocked().await;
    app.by_test_id("nav-add").await.click().await.unwrap();
    app.by_test_id("scan-card").await;
    drop_file(&app, "part2.png", "image/png", &parts[1]).await;
    let progress = app.content_of("scan-progress").await;
    assert_eq!(
        progress,
        "Google Authenticator export: 1 of 2 scanned. Still missing: part 1."
    );
    // The part holds whole accounts: they can be added at once.
    wait_count(&app, "scan-found", 2).await;
    assert_eq!(app.content_of("scan-add").await, "Add 2 accounts");

    // The progress lives in Rust's session: it survives leaving the screen.
    app.by_test_id("nav-accounts").await.click().await.unwrap();
    app.by_test_id("nav-add").await.click().await.unwrap();
    let progress = app.content_of("scan-progress").await;
    assert!(progress.contains("1 of 2 scanned"), "{progress}");

    // The same part again changes nothing.
    drop_file(&app, "part2.png", "image/png", &parts[1]).await;
    let status = app.content_of("scan-status").await;
    assert!(status.starts_with("Already scanned"), "{status}");

    drop_file(&app, "part1.png", "image/png", &parts[0]).await;
    wait_count(&app, "scan-found", 12).await;
    assert_eq!(app.count("scan-progress").await, 0);
    assert_eq!(app.content_of("scan-add").await, "Add 12 accounts");
    app.screenshot("add-image-two-parts.png").await;
    app.by_test_id("scan-add").await.click().await.unwrap();
    app.by_test_id("screen-accounts").await;
    let mut issuers = cli_issuers(&app);
    issuers.sort();
    let mut expected: Vec<String> = (0..12).map(|i| format!("Issuer{i}")).collect();
    expected.sort();
    assert_eq!(issuers, expected);
    app.close().await;
}

fn cli_issuers(app: &AppSession) -> Vec<String> {
    let listed: Value = serde_json::from_str(&app.cli(&["list", "--json"])).unwrap();
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["issuer"].as_str().unwrap().to_owned())
        .collect()
}

fn numbered(prefix: &str, count: u8) -> Vec<Account> {
    (0..count)
        .map(|i| {
            Account::new(
                format!("{prefix}{i}"),
                format!("user{i}@example.com"),
                SecretBytes::from(vec![u8::try_from(prefix.len()).unwrap() * 31 + i; 20]),
                Algorithm::Sha1,
                6,
                OtpKind::Totp { period: 30 },
            )
            .unwrap()
        })
        .collect()
}

/// The parts of an export of `accounts` carrying `batch_id`, as PNGs.
fn export_with_id(accounts: &[Account], batch_id: i32) -> Vec<Vec<u8>> {
    tessera::core::otp::format_migration_uris_with_id(accounts, batch_id)
        .iter()
        .map(|uri| qr::encode_png(uri).unwrap())
        .collect()
}

#[tokio::test]
async fn exports_sharing_a_batch_id_are_kept_apart_and_each_part_adds_its_accounts() {
    // The real export in the shared fixtures, and two other exports that
    // carry the same batch id (real exports often carry 0).
    let fixture_bytes = fixture("example_export.png");
    let [QrContent::Migration(real)] =
        <[QrContent; 1]>::try_from(qr::scan(&fixture_bytes).unwrap()).unwrap()
    else {
        panic!("example_export.png is one export part")
    };
    let id = real.batch_id;
    let two = export_with_id(&numbered("Two", 12), id);
    let three = export_with_id(&numbered("Three", 25), id);
    assert_eq!((two.len(), three.len()), (2, 3));

    let app = AppSession::start_unlocked().await;
    app.by_test_id("nav-add").await.click().await.unwrap();
    app.by_test_id("scan-card").await;
    drop_file(&app, "example_export.png", "image/png", &fixture_bytes).await;
    wait_count(&app, "scan-found", 3).await;
    app.by_test_id("scan-add").await.click().await.unwrap();
    app.by_test_id("screen-accounts").await;

    // A part of another export with the same id is not taken for a repeat.
    app.by_test_id("nav-add").await.click().await.unwrap();
    drop_file(&app, "two-part2.png", "image/png", &two[1]).await;
    wait_count(&app, "scan-found", 2).await;
    // A part of a third, of another size, does not "not fit": it is its own.
    drop_file(&app, "three-part1.png", "image/png", &three[0]).await;
    wait_count(&app, "scan-found", 12).await;
    wait_count(&app, "scan-progress", 2).await;
    let progress = app.content_of("scan-card").await;
    assert!(progress.contains("1 of 2 scanned"), "{progress}");
    assert!(progress.contains("1 of 3 scanned"), "{progress}");
    assert!(
        !progress.contains("export 0") && !progress.contains(&format!("export {id}")),
        "{progress}"
    );
    assert_eq!(app.count("scan-error").await, 0);
    app.screenshot("add-image-shared-batch-id.png").await;
    app.by_test_id("scan-add").await.click().await.unwrap();
    // Exports are still incomplete: the Add screen stays, with their progress.
    wait_count(&app, "scan-found", 0).await;
    assert_eq!(app.count("scan-progress").await, 2);
    let issuers = cli_issuers(&app);
    assert_eq!(issuers.len(), 3 + 12, "{issuers:?}");
    assert!(issuers.iter().any(|i| i == "Two10") && issuers.iter().any(|i| i == "Three0"));
    app.close().await;
}

/// Decodes the `%XX` escapes of a data URL (`encodeURIComponent`'s output).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A one-account QR for `issuer` (`secret` in base32).
fn uri_for(issuer: &str, secret: &str) -> String {
    format!("otpauth://totp/{issuer}:me?secret={secret}&issuer={issuer}")
}

/// Ctrl+V through `WebDriver`'s key actions, with nothing editable focused.
async fn press_ctrl_v(app: &AppSession) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    use fantoccini::key::Key;
    app.by_test_id("scan-card").await.click().await.unwrap();
    let control = char::from(Key::Control);
    let keys = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: control })
        .then(KeyAction::Down { value: 'v' })
        .then(KeyAction::Up { value: 'v' })
        .then(KeyAction::Up { value: control });
    app.client.perform_actions(keys).await.unwrap();
}

#[tokio::test]
async fn the_screen_and_the_clipboard_are_scanned() {
    let app = AppSession::start_unlocked().await;
    app.by_test_id("nav-add").await.click().await.unwrap();
    app.by_test_id("scan-card").await;

    // A QR code on the desktop, behind the window (1100 x 720, centred on
    // the 1280 x 800 screen): the window steps aside while it is captured.
    let code = qr::encode_luma(&uri_for("ScreenCo", "JBSWY3DPEHPK3PXP"), 6).unwrap();
    let mut desktop = image::GrayImage::from_pixel(1280, 800, image::Luma([235]));
    let (x, y) = ((1280 - code.width()) / 2, (800 - code.height()) / 2);
    image::imageops::replace(&mut desktop, &code, x.into(), y.into());
    let _shown = crate::support::display::show_on_root(&app.display, &desktop);
    app.by_test_id("scan-screen").await.click().await.unwrap();
    wait_count(&app, "scan-found", 1).await;
    assert!(app.content_of("scan-found-list").await.contains("ScreenCo"));
    let visible = app
        .client
        .execute("return document.visibilityState;", vec![])
        .await
        .unwrap();
    assert_eq!(visible, json!("visible"), "the window came back");
    app.by_test_id("scan-discard").await.click().await.unwrap();
    wait_count(&app, "scan-found", 0).await;

    // A copied picture, pasted with Ctrl+V: Rust reads it from the clipboard.
    let png = qr::encode_png(&uri_for("ClipCo", "KRSXG5CTMVRXEZLU")).unwrap();
    app.set_clipboard("image/png", &png);
    press_ctrl_v(&app).await;
    wait_count(&app, "scan-found", 1).await;
    assert!(app.content_of("scan-found-list").await.contains("ClipCo"));

    // Copied otpauth:// text, pasted the same way; both wait together.
    let text = uri_for("TextCo", "GEZDGNBVGY3TQOJQ");
    app.set_clipboard("UTF8_STRING", text.as_bytes());
    press_ctrl_v(&app).await;
    wait_count(&app, "scan-found", 2).await;
    assert!(app.content_of("scan-found-list").await.contains("TextCo"));

    // An empty-handed paste says what the clipboard lacks.
    app.set_clipboard("UTF8_STRING", b"just some words");
    app.by_test_id("scan-paste").await.click().await.unwrap();
    let error = app.content_of("scan-error").await;
    assert!(error.contains("neither an image nor"), "{error}");

    app.by_test_id("scan-add").await.click().await.unwrap();
    app.by_test_id("screen-accounts").await;
    let listed = app.cli(&["list"]);
    assert!(
        listed.contains("ClipCo") && listed.contains("TextCo") && !listed.contains("ScreenCo"),
        "{listed}"
    );
    app.close().await;
}
