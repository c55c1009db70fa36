//! The vault through the window: create it on first run, lock it, and the
//! messages the unlock screen gives.

use std::time::Duration;

use super::session::AppSession;
use crate::support::cli::PASSWORD;

#[tokio::test]
async fn first_run_creates_the_vault_and_it_unlocks_again() {
    let app = AppSession::start().await;
    app.by_test_id("new-password")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    let score = app
        .wait_attr("password-strength", "data-score", |s| s != "0")
        .await;
    assert!(
        score.parse::<u8>().unwrap() >= 3,
        "a four-word password is rated good: {score}"
    );
    app.by_test_id("repeat-password")
        .await
        .send_keys(PASSWORD)
        .await
        .unwrap();
    app.by_test_id("create-vault").await.click().await.unwrap();
    app.by_test_id("app-shell").await;
    assert!(app.vault_path.is_file(), "the vault file was created");
    // The CLI opens it with the same password.
    assert_eq!(app.cli(&["list", "--json"]).trim(), "[]");

    app.by_test_id("lock-now").await.click().await.unwrap();
    app.unlock(PASSWORD).await;
    app.by_test_id("app-shell").await;
    app.close().await;
}

#[tokio::test]
async fn a_wrong_password_says_so_and_the_right_one_unlocks() {
    let app = AppSession::start_unlocked().await;
    app.by_test_id("lock-now").await.click().await.unwrap();
    app.unlock("not the password").await;
    let code = app
        .wait_attr("vault-error", "data-code", |c| !c.is_empty())
        .await;
    assert_eq!(code, "wrong_password");
    let text = app.text_of("vault-error").await;
    assert!(text.contains("Wrong password"), "{text}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    app.unlock(PASSWORD).await;
    app.by_test_id("app-shell").await;
    app.close().await;
}

#[tokio::test]
async fn a_damaged_vault_says_so() {
    let app = AppSession::start().await;
    // Not a vault: the window explains instead of offering to unlock it.
    std::fs::write(&app.vault_path, b"this is not a Tessera vault at all").unwrap();
    app.client.refresh().await.unwrap();
    let code = app
        .wait_attr("vault-error", "data-code", |c| !c.is_empty())
        .await;
    assert_eq!(code, "corrupt");
    app.by_test_id("vault-unavailable").await;
    app.close().await;
}

#[tokio::test]
async fn auto_lock_fires_after_the_idle_time() {
    let app = AppSession::start_unlocked().await;
    app.by_test_id("nav-settings").await.click().await.unwrap();
    let select = app.by_test_id("auto-lock").await;
    select.select_by_value("1").await.unwrap();
    app.wait_attr("auto-lock", "data-minutes", |m| m == "1")
        .await;
    let idle_since = std::time::Instant::now();
    // No input from here on: Rust's idle timer locks after a minute and
    // tells the window, which returns to the unlock screen.
    app.client
        .wait()
        .at_most(Duration::from_secs(90))
        .for_element(fantoccini::Locator::Css("[data-testid='unlock']"))
        .await
        .unwrap();
    let waited = idle_since.elapsed();
    assert!(
        waited >= Duration::from_secs(55),
        "locked after {waited:?}, before the minute was up"
    );
    app.close().await;
}
