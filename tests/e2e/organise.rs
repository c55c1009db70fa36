//! Organising accounts through the window: tag chips filter the list,
//! Alt+↓ moves an account in the vault order (the CLI sees the new order),
//! and the quick palette (Ctrl+K) copies a code with the keyboard alone.

use std::time::Duration;

use serde_json::Value;

use super::accounts::{cli_codes, unix_now};
use super::session::AppSession;
use crate::support::cli::PASSWORD;

const GITHUB: &str = "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";
const GITLAB: &str = "otpauth://totp/GitLab:bob?secret=KRSXG5CTMVRXEZLU&issuer=GitLab";
const BANK: &str = "otpauth://totp/Bank:carol?secret=GEZDGNBVGY3TQOJQ&issuer=Bank";

/// `WebDriver` key codes.
const ALT: char = '\u{E00A}';
const CONTROL: char = '\u{E009}';
const ARROW_DOWN: char = '\u{E015}';
const RELEASE: char = '\u{E000}';
const ENTER: char = '\u{E007}';

/// Issuers in the vault order, as the CLI lists them.
fn cli_order(app: &AppSession) -> Vec<String> {
    let json: Value = serde_json::from_str(&app.cli(&["list", "--json"])).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|account| account["issuer"].as_str().unwrap().to_owned())
        .collect()
}

/// Issuers of the rows on screen, top to bottom.
async fn shown_order(app: &AppSession) -> Vec<String> {
    let text = app
        .client
        .execute(
            r#"return [...document.querySelectorAll("[data-testid='account-row']")]
                 .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
                 .map((row) => row.querySelector("[data-testid='account-issuer']").textContent.trim());"#,
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(text).unwrap()
}

async fn wait_for_order(app: &AppSession, want: &[&str]) {
    let mut shown = Vec::new();
    for _ in 0..100 {
        shown = shown_order(app).await;
        if shown == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("rows {shown:?}, expected {want:?}");
}

#[tokio::test]
async fn tags_filter_reorder_persists_and_the_palette_copies() {
    let app = AppSession::start_with_vault().await;
    app.cli(&["add", GITHUB, "--tag", "dev"]);
    app.cli(&["add", GITLAB, "--tag", "dev", "--tag", "work"]);
    app.cli(&["add", BANK, "--tag", "money"]);
    app.record_ipc().await;
    app.unlock(PASSWORD).await;
    app.by_test_id("account-list").await;
    wait_for_order(&app, &["GitHub", "GitLab", "Bank"]).await;

    // Tag chips: one per tag with its count; choosing two narrows to both.
    let chips = app
        .client
        .execute(
            r#"return [...document.querySelectorAll("[data-testid='tag-chip']")].map((c) => c.textContent.trim());"#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(chips, serde_json::json!(["dev 2", "money 1", "work 1"]));
    let chip = |tag: &'static str| {
        let app = &app;
        async move {
            app.client
                .find(fantoccini::Locator::Css(&format!(
                    "[data-testid='tag-chip'][data-tag='{tag}']"
                )))
                .await
                .unwrap()
        }
    };
    chip("dev").await.click().await.unwrap();
    wait_for_order(&app, &["GitHub", "GitLab"]).await;
    chip("work").await.click().await.unwrap();
    wait_for_order(&app, &["GitLab"]).await;
    assert_eq!(
        chip("work")
            .await
            .attr("aria-pressed")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    app.by_test_id("tag-clear").await.click().await.unwrap();
    wait_for_order(&app, &["GitHub", "GitLab", "Bank"]).await;

    // Alt+↓ on the first account moves it below the second, in the vault.
    let list = app.by_test_id("account-list").await;
    list.click().await.unwrap();
    list.send_keys(&format!("{ALT}{ARROW_DOWN}{RELEASE}"))
        .await
        .unwrap();
    wait_for_order(&app, &["GitLab", "GitHub", "Bank"]).await;
    let mut order = Vec::new();
    for _ in 0..50 {
        order = cli_order(&app);
        if order == ["GitLab", "GitHub", "Bank"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(order, ["GitLab", "GitHub", "Bank"], "the vault order");

    // Ctrl+K, type, Enter: the Bank code lands on the clipboard.
    list.send_keys(&format!("{CONTROL}k{RELEASE}"))
        .await
        .unwrap();
    let query = app.by_test_id("palette-query").await;
    query.send_keys("bank").await.unwrap();
    assert_eq!(app.count("palette-match").await, 1);
    query.send_keys(&ENTER.to_string()).await.unwrap();
    let mut copied = String::new();
    for _ in 0..50 {
        copied = app.clipboard();
        if copied.len() == 6 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let expected = cli_codes(&app, "Bank", unix_now());
    assert!(
        expected.contains(&copied),
        "clipboard {copied:?}, the CLI computes {expected:?}"
    );
    assert_eq!(
        app.count("quick-palette").await,
        0,
        "Enter closes the palette"
    );
    let checked = app
        .assert_no_secret_in_ipc(&[
            "JBSWY3DPEHPK3PXP",
            "KRSXG5CTMVRXEZLU",
            "GEZDGNBVGY3TQOJQ",
            PASSWORD,
        ])
        .await;
    assert!(checked > 5, "the recorder saw {checked} IPC answers");
    app.close().await;
}
