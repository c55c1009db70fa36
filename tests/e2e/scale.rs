//! Ten thousand accounts: the list opens, shows live codes, and search
//! answers a keystroke without stalling the window. Prints what it
//! measured (the frame budget is under 100 ms a keystroke).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tessera::core::clock::SystemClock;
use tessera::core::otp::{Account, Algorithm, OtpKind};
use tessera::core::secret::{SecretBytes, SecretString};
use tessera::core::vault::{Details, KdfParams, Vault};

use super::session::AppSession;
use crate::support::cli::PASSWORD;

const ACCOUNTS: usize = 10_000;

fn ten_thousand_accounts(path: &Path) {
    let kdf = KdfParams::new(8 * 1024, 2, 1).unwrap();
    let mut vault = Vault::create(
        path,
        &SecretString::from(PASSWORD),
        kdf,
        Arc::new(SystemClock),
    )
    .unwrap();
    let accounts = (0..ACCOUNTS).map(|i| {
        let secret = SecretBytes::from(format!("secret-of-account-{i:05}").as_bytes());
        let account = Account::new(
            format!("Issuer {i}"),
            format!("user{i}@example.com"),
            secret,
            Algorithm::Sha1,
            6,
            OtpKind::Totp { period: 30 },
        )
        .unwrap();
        let details = Details {
            tags: vec![if i % 2 == 0 { "even" } else { "odd" }.to_owned()],
            favorite: i == 4242,
            ..Details::default()
        };
        (account, details)
    });
    vault.insert_many(accounts).unwrap();
}

#[tokio::test]
async fn ten_thousand_accounts_open_and_search_fast() {
    let app = AppSession::start_prepared(ten_thousand_accounts).await;
    let started = Instant::now();
    app.unlock(PASSWORD).await;
    app.wait_attr("account-code", "data-code", |c| c.len() == 6)
        .await;
    let to_first_code = started.elapsed();
    let count = app.content_of("account-count").await;
    assert!(count.contains("10000"), "{count}");
    // Favourites first.
    assert!(
        app.content_of("account-issuer")
            .await
            .contains("Issuer 4242")
    );
    let rows = app.count("account-row").await;
    assert!(rows < 60, "only the rows on screen are in the page: {rows}");

    // One keystroke's worth of search, measured in the page: from the input
    // event until the list in the DOM shows the result (Svelte updates the
    // DOM in a microtask after the event), and until the next frame.
    let script = r#"
        const input = document.querySelector("[data-testid='account-search']");
        const rowCount = () => document.querySelectorAll("[data-testid='account-row']").length;
        const measure = async (query) => {
            const start = performance.now();
            input.value = query;
            input.dispatchEvent(new Event("input", { bubbles: true }));
            await new Promise((resolve) => setTimeout(resolve, 0));
            const updated = performance.now() - start;
            const rows = rowCount();
            await new Promise((resolve) => requestAnimationFrame(() => resolve()));
            return [updated, performance.now() - start, rows];
        };
        const first = await measure("user9999@");
        const again = await measure("");
        const third = await measure("user42@");
        return [first, again, third];
    "#;
    let wrapped = format!("return (async () => {{ {script} }})();");
    let measured = app.client.execute(&wrapped, vec![]).await.unwrap();
    let runs: Vec<(f64, f64, u64)> =
        serde_json::from_value::<Vec<(f64, f64, u64)>>(measured).unwrap();
    assert_eq!(runs[0].2, 1, "one account matches");
    assert_eq!(runs[2].2, 1, "one account matches");
    let search_ms = runs.iter().map(|run| run.0).fold(0.0, f64::max);
    eprintln!(
        "scale: {ACCOUNTS} accounts: unlock click to first live code {} ms; search keystroke to updated DOM (ms, to next frame): {runs:?}",
        to_first_code.as_millis()
    );
    // The frame budget (under 100 ms a keystroke) is what the printed
    // numbers show on a quiet machine; the assertion only catches a search
    // that stalls the window, since a loaded CI machine doubles the times.
    assert!(
        search_ms < 1000.0,
        "search took {search_ms} ms at {ACCOUNTS} accounts"
    );
    assert!(to_first_code < Duration::from_secs(20), "{to_first_code:?}");
    app.close().await;
}
