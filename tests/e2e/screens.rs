//! Every main screen, light and dark, written to `target/e2e-screenshots/`
//! for people to look at (`make screenshot` copies them to
//! `docs/screenshots/`); also checks the theme setting reaches the page.

use super::session::AppSession;

const GITHUB: &str =
    "otpauth://totp/GitHub:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";
const COUNTER: &str = "otpauth://hotp/Example:bob?secret=KRSXG5CTMVRXEZLU&issuer=Example&counter=3";
const STEAM: &str = "otpauth://totp/Steam:carol?secret=GEZDGNBVGY3TQOJQ&issuer=Steam&encoder=steam";

#[tokio::test]
async fn main_screens_in_light_and_dark() {
    let app = AppSession::start_with_vault().await;
    app.cli(&["add", GITHUB, "--tag", "work"]);
    app.cli(&["add", COUNTER]);
    app.cli(&["add", STEAM, "--tag", "games"]);
    app.by_test_id("unlock").await;
    app.screenshot("unlock.png").await;
    app.unlock(crate::support::cli::PASSWORD).await;
    app.wait_attr("account-code", "data-code", |c| !c.is_empty())
        .await;
    for theme in ["light", "dark"] {
        app.by_test_id("nav-settings").await.click().await.unwrap();
        app.by_test_id(&format!("theme-{theme}"))
            .await
            .click()
            .await
            .unwrap();
        wait_for_theme(&app, theme).await;
        app.screenshot(&format!("settings-{theme}.png")).await;
        app.by_test_id("nav-add").await.click().await.unwrap();
        app.screenshot(&format!("add-{theme}.png")).await;
        app.by_test_id("nav-transfer").await.click().await.unwrap();
        app.by_test_id("screen-transfer").await;
        app.screenshot(&format!("transfer-{theme}.png")).await;
        app.by_test_id("nav-accounts").await.click().await.unwrap();
        app.wait_attr("account-code", "data-code", |c| !c.is_empty())
            .await;
        app.by_test_id("hotp-next").await.click().await.unwrap();
        app.screenshot(&format!("accounts-{theme}.png")).await;
        app.by_test_id("account-open").await.click().await.unwrap();
        app.by_test_id("account-detail").await;
        app.screenshot(&format!("detail-{theme}.png")).await;
        app.by_test_id("detail-back").await.click().await.unwrap();
    }
    // Each "Next" took one HOTP counter in the vault (3 → 5).
    let listed: serde_json::Value = serde_json::from_str(&app.cli(&["list", "--json"])).unwrap();
    let counter = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|account| account["issuer"] == "Example")
        .map(|account| account["counter"].clone());
    assert_eq!(counter, Some(serde_json::json!(5)));
    app.close().await;
}

/// Saving the setting goes through Rust; the page applies it after.
async fn wait_for_theme(app: &AppSession, theme: &str) {
    for _ in 0..50 {
        let applied = app
            .client
            .execute(
                "return document.documentElement.dataset.theme ?? null;",
                vec![],
            )
            .await
            .unwrap();
        if applied.as_str() == Some(theme) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the {theme} theme was not applied");
}
