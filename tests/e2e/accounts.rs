//! Accounts through the window: add by URI, the code shown matches the
//! CLI's for the same vault, copy puts it on the X clipboard and the
//! clipboard is cleared after the timeout if it still holds the code,
//! search filters.

use std::time::Duration;

use serde_json::Value;

use super::session::AppSession;

const GITHUB: &str =
    "otpauth://totp/GitHub:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";
const GITLAB: &str = "otpauth://totp/GitLab:bob?secret=KRSXG5CTMVRXEZLU&issuer=GitLab";

/// The codes the CLI computes for `query` one period before `at`, at `at`
/// and one period after: the window a displayed code may come from.
pub(super) fn cli_codes(app: &AppSession, query: &str, at: u64) -> Vec<String> {
    let mut codes = Vec::new();
    for when in [at - 30, at] {
        let out = app.cli(&["code", query, "--at", &when.to_string(), "--json"]);
        let json: Value = serde_json::from_str(&out).unwrap();
        codes.push(json["code"].as_str().unwrap().to_owned());
        codes.push(json["next"].as_str().unwrap().to_owned());
    }
    codes
}

#[allow(
    clippy::disallowed_methods,
    reason = "compared with the app, which reads the real clock"
)]
pub(super) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub(super) async fn add_by_uri(app: &AppSession, uri: &str) {
    app.by_test_id("nav-add").await.click().await.unwrap();
    app.by_test_id("add-uri")
        .await
        .send_keys(uri)
        .await
        .unwrap();
    app.by_test_id("add-uri-submit")
        .await
        .click()
        .await
        .unwrap();
    app.by_test_id("screen-accounts").await;
}

#[tokio::test]
async fn an_account_added_by_uri_shows_the_cli_code_and_copies_it() {
    let app = AppSession::start_unlocked().await;
    add_by_uri(&app, GITHUB).await;
    let issuer = app.content_of("account-issuer").await;
    assert!(issuer.contains("GitHub"), "{issuer}");

    let shown = app
        .wait_attr("account-code", "data-code", |c| c.len() == 6)
        .await;
    let expected = cli_codes(&app, "GitHub", unix_now());
    assert!(
        expected.contains(&shown),
        "the window shows {shown}; the CLI computes {expected:?}"
    );
    app.screenshot("accounts-list.png").await;
    // The code and its grouped text read together: a new time step may
    // have begun since `shown` was read.
    let read = app
        .client
        .execute(
            r#"const code = document.querySelector("[data-testid='account-code']");
               return [code.dataset.code, code.textContent.trim()];"#,
            vec![],
        )
        .await
        .unwrap();
    let (digits, grouped) = (
        read[0].as_str().unwrap().to_owned(),
        read[1].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        grouped.replace(' ', ""),
        digits,
        "digits are grouped: {grouped}"
    );
    assert!(grouped.contains(' '), "digits are grouped: {grouped}");

    // What the web view can get from Rust about the account holds no secret.
    let responses = app
        .client
        .execute(
            r#"const invoke = window.__TAURI_INTERNALS__.invoke;
               const accounts = await invoke("list_accounts");
               const codes = await invoke("codes", { ids: accounts.map((a) => a.id) });
               return JSON.stringify([accounts, codes]);"#,
            vec![],
        )
        .await
        .unwrap();
    let responses = responses.as_str().unwrap().to_owned();
    assert!(responses.contains("alice@example.com"), "{responses}");
    for secret in ["JBSWY3DPEHPK3PXP", "Hello!", "48656c6c6f"] {
        assert!(
            !responses.to_lowercase().contains(&secret.to_lowercase()),
            "an IPC response holds the secret ({secret}): {responses}"
        );
    }

    // Copy: Rust writes the code to the X clipboard.
    app.by_test_id("account-row").await.click().await.unwrap();
    let mut toast = String::new();
    for _ in 0..100 {
        toast = app.text_of("toast").await;
        if toast.contains("Copied") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(toast.contains("Copied"), "{toast}");
    let copied = app.clipboard();
    let expected = cli_codes(&app, "GitHub", unix_now());
    assert!(
        expected.contains(&copied.trim().to_owned()),
        "clipboard {copied:?}; the CLI computes {expected:?}"
    );
    app.close().await;
}

#[tokio::test]
async fn a_bad_uri_names_the_problem() {
    let app = AppSession::start_unlocked().await;
    app.by_test_id("nav-add").await.click().await.unwrap();
    app.by_test_id("add-uri")
        .await
        .send_keys("otpauth://totp/Example?issuer=Example")
        .await
        .unwrap();
    app.by_test_id("add-uri-submit")
        .await
        .click()
        .await
        .unwrap();
    let text = app.text_of("add-uri-error").await;
    assert!(text.contains("no secret"), "{text}");
    app.close().await;
}

#[tokio::test]
async fn search_filters_as_you_type() {
    let app = AppSession::start_with_vault().await;
    app.cli(&["add", GITHUB]);
    app.cli(&["add", GITLAB, "--tag", "work"]);
    app.unlock(crate::support::cli::PASSWORD).await;
    app.by_test_id("account-list").await;
    wait_rows(&app, 2).await;
    let search = app.by_test_id("account-search").await;
    search.send_keys("hub").await.unwrap();
    wait_rows(&app, 1).await;
    assert!(app.content_of("account-issuer").await.contains("GitHub"));
    search.send_keys("\u{E00C}").await.unwrap(); // Escape clears the search
    search.send_keys("WORK").await.unwrap();
    wait_rows(&app, 1).await;
    assert!(app.content_of("account-issuer").await.contains("GitLab"));
    search.send_keys("\u{E00C}").await.unwrap(); // Escape clears the search
    search.send_keys("nothing like it").await.unwrap();
    app.by_test_id("no-match").await;
    app.close().await;
}

pub(super) async fn wait_rows(app: &AppSession, rows: usize) {
    for _ in 0..100 {
        if app.count("account-row").await == rows {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "expected {rows} rows, found {}",
        app.count("account-row").await
    );
}

/// Copies the first row's code and waits for the toast.
async fn copy_first_code(app: &AppSession) -> String {
    app.by_test_id("account-row").await.click().await.unwrap();
    for _ in 0..100 {
        let copied = app.clipboard();
        if !copied.trim().is_empty() {
            return copied.trim().to_owned();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing was copied");
}

#[tokio::test]
async fn a_copied_code_is_cleared_after_the_timeout_only_if_still_ours() {
    let app = AppSession::start_with_vault().await;
    app.cli(&["add", GITHUB]);
    app.unlock(crate::support::cli::PASSWORD).await;
    app.by_test_id("nav-settings").await.click().await.unwrap();
    app.by_test_id("clipboard-timeout")
        .await
        .select_by_value("10")
        .await
        .unwrap();
    // Saved through Rust, then shown.
    app.wait_attr("clipboard-timeout", "data-seconds", |seconds| {
        seconds == "10"
    })
    .await;
    app.by_test_id("nav-accounts").await.click().await.unwrap();
    app.wait_attr("account-code", "data-code", |c| !c.is_empty())
        .await;

    // Still ours after the timeout: cleared.
    let code = copy_first_code(&app).await;
    assert_eq!(code.len(), 6, "{code:?}");
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(app.clipboard().trim(), code, "kept until the timeout");
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(app.clipboard(), "", "cleared after 10 s");

    // Replaced by the user meanwhile: left alone.
    copy_first_code(&app).await;
    app.set_clipboard("text/plain", b"something the user copied");
    tokio::time::sleep(Duration::from_secs(12)).await;
    assert_eq!(app.clipboard(), "something the user copied");
    app.close().await;
}

/// The element's box's left and top within its scrolling page (so that
/// `WebDriver` scrolling an element into view before a click changes
/// nothing), in CSS pixels.
async fn position_of(app: &AppSession, element: &fantoccini::elements::Element) -> (f64, f64) {
    let rect = app
        .client
        .execute(
            "const r = arguments[0].getBoundingClientRect(); const m = arguments[0].closest('main'); return [r.left, r.top + (m ? m.scrollTop : 0)];",
            vec![serde_json::to_value(element).unwrap()],
        )
        .await
        .unwrap();
    (rect[0].as_f64().unwrap(), rect[1].as_f64().unwrap())
}

/// The account's backup codes as the CLI lists them (unused first).
fn cli_backup_codes(app: &AppSession) -> Vec<String> {
    let listed: Value =
        serde_json::from_str(&app.cli(&["backup-codes", "list", "GitHub", "--json"])).unwrap();
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect()
}

/// The id of the one account, as the CLI lists it.
fn cli_account_id(app: &AppSession) -> String {
    let listed: Value = serde_json::from_str(&app.cli(&["list", "--json"])).unwrap();
    listed[0]["id"].as_str().unwrap().to_owned()
}

/// Issue 15, item 3: a page that asks for backup codes gets them masked;
/// they reach it in clear only in the answer of a reveal that Rust checked
/// against the vault password.
#[tokio::test]
async fn backup_codes_reach_the_page_masked_until_the_vault_password_reveals_them() {
    let app = AppSession::start_with_vault().await;
    app.cli(&["add", GITHUB]);
    app.cli(&["backup-codes", "add", "GitHub", "7781-qzpw", "9025-kmvt"]);
    app.unlock(crate::support::cli::PASSWORD).await;
    app.by_test_id("app-shell").await;
    app.record_ipc().await;
    app.by_test_id("account-open").await.click().await.unwrap();
    app.by_test_id("account-detail").await;
    app.wait_text("backup-left", "2 of 2 left").await;
    let shown = app.content_of("backup-code").await;
    assert!(shown.contains("••••-••••"), "{shown}");
    // What the page itself could ask for: the list, masked.
    let asked = app
        .client
        .execute_async(
            r"const [id, done] = arguments;
              window.__TAURI_INTERNALS__.invoke('list_backup_codes', { id })
                .then((codes) => done(JSON.stringify(codes)), (e) => done(JSON.stringify(e)));",
            vec![Value::String(cli_account_id(&app))],
        )
        .await
        .unwrap();
    assert!(asked.as_str().unwrap().contains("\"masked\""), "{asked}");
    assert!(
        app.assert_no_secret_in_ipc(&["7781-qzpw", "9025-kmvt"])
            .await
            >= 2
    );

    // A reveal with a wrong password is refused in Rust.
    app.click("backup-reveal").await;
    let (field, submit) = ("backup-reveal-password", "backup-reveal-submit");
    app.confirm_with_password(field, submit, "not the password", Some("backup-problem"))
        .await;
    app.assert_no_secret_in_ipc(&["7781-qzpw", "9025-kmvt"])
        .await;
    app.confirm_with_password(field, submit, crate::support::cli::PASSWORD, None)
        .await;
    app.by_test_id("backup-hide").await;
    let shown = app.content_of("backup-code").await;
    assert!(shown.contains("7781-qzpw"), "{shown}");
    let answers = app.recorded_ipc().await;
    let holding: Vec<&String> = answers.iter().filter(|a| a.contains("7781-qzpw")).collect();
    assert_eq!(holding.len(), 1, "only the reveal's answer: {holding:?}");
    assert!(holding[0].contains("9025-kmvt"));
    app.close().await;
}

#[tokio::test]
async fn marking_a_backup_code_used_keeps_remove_in_place_and_every_removal_can_be_undone() {
    let app = AppSession::start_with_vault().await;
    app.cli(&["add", GITHUB]);
    app.cli(&[
        "backup-codes",
        "add",
        "GitHub",
        "1111-aaaa",
        "2222-bbbb",
        "3333-cccc",
    ]);
    app.unlock(crate::support::cli::PASSWORD).await;
    app.by_test_id("account-open").await.click().await.unwrap();
    app.by_test_id("account-detail").await;
    // The detail asks for its backup codes after it opens.
    app.wait_text("backup-left", "3 of 3 left").await;

    // Mark used: the Remove button of that row stays where it was.
    let remove = app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid='backup-remove']"))
        .await
        .unwrap();
    let before = position_of(&app, &remove[0]).await;
    app.by_test_id("backup-mark-used")
        .await
        .click()
        .await
        .unwrap();
    app.wait_text("backup-left", "2 of 3 left").await;
    let remove = app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid='backup-remove']"))
        .await
        .unwrap();
    assert_eq!(
        position_of(&app, &remove[0]).await,
        before,
        "Remove moved after Mark used"
    );

    // Remove, then Undo: the code is back and stays in the vault.
    remove[1].click().await.unwrap();
    app.wait_text("backup-left", "1 of 2 left").await;
    app.by_test_id("toast-action").await.click().await.unwrap();
    app.wait_text("backup-left", "2 of 3 left").await;
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(
        cli_backup_codes(&app).len(),
        3,
        "an undone removal removes nothing"
    );

    // Remove without undo: gone from the vault once the undo time is up.
    let remove = app
        .client
        .find_all(fantoccini::Locator::Css("[data-testid='backup-remove']"))
        .await
        .unwrap();
    remove[2].click().await.unwrap();
    app.wait_text("backup-left", "1 of 2 left").await;
    assert_eq!(
        cli_backup_codes(&app).len(),
        3,
        "not removed while the undo is offered"
    );
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(cli_backup_codes(&app), ["2222-bbbb", "1111-aaaa"]);
    app.close().await;
}
