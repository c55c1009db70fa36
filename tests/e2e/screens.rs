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
        choose_theme(&app, theme).await;
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

/// Chooses `theme` in Settings and waits until the page shows it.
async fn choose_theme(app: &AppSession, theme: &str) {
    app.by_test_id("nav-settings").await.click().await.unwrap();
    app.by_test_id(&format!("theme-{theme}"))
        .await
        .click()
        .await
        .unwrap();
    wait_for_theme(app, theme).await;
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

/// What the layout looks like at one window size, measured in the page.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Layout {
    inner_width: f64,
    inner_height: f64,
    page_overflows: bool,
    main_scrolls: bool,
    list_scrolls: bool,
    gap_below_list: f64,
    rail_width: f64,
    label_width: f64,
    rows_in_view: u32,
    truncated_issuers: Vec<String>,
}

const MEASURE: &str = r#"
    const main = document.getElementById("main");
    const list = document.querySelector("[data-testid='account-list']");
    const root = document.scrollingElement;
    const box = list.getBoundingClientRect();
    const rows = [...list.querySelectorAll("[data-testid='account-row']")]
      .filter((row) => {
        const r = row.getBoundingClientRect();
        return r.top >= box.top - 1 && r.bottom <= box.bottom + 1;
      });
    const label = document.querySelector("[data-testid='nav-accounts'] .label");
    return JSON.stringify({
      innerWidth: window.innerWidth,
      innerHeight: window.innerHeight,
      pageOverflows: root.scrollWidth > window.innerWidth || root.scrollHeight > window.innerHeight,
      mainScrolls: main.scrollWidth > main.clientWidth + 1 || main.scrollHeight > main.clientHeight + 1,
      listScrolls: list.scrollHeight > list.clientHeight,
      gapBelowList: window.innerHeight - box.bottom,
      railWidth: document.querySelector(".sidebar").getBoundingClientRect().width,
      labelWidth: label.getBoundingClientRect().width,
      rowsInView: rows.length,
      truncatedIssuers: rows
        .map((row) => row.querySelector("[data-testid='account-issuer']"))
        .filter((issuer) => issuer.scrollWidth > issuer.clientWidth + 1)
        .map((issuer) => issuer.textContent.trim()),
    });"#;

async fn measure(app: &AppSession) -> Layout {
    let json = app.client.execute(MEASURE, vec![]).await.unwrap();
    serde_json::from_str(json.as_str().unwrap()).unwrap()
}

/// Resizes the window and waits until the page has the new size.
async fn resize(app: &AppSession, width: u32, height: u32) {
    app.client.set_window_size(width, height).await.unwrap();
    for _ in 0..50 {
        let size = app
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await
            .unwrap();
        if size == serde_json::json!([width, height]) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the window did not take the size {width} x {height}");
}

async fn open_screen(app: &AppSession, screen: &str) {
    app.by_test_id(&format!("nav-{screen}"))
        .await
        .click()
        .await
        .unwrap();
    app.by_test_id(&format!("screen-{screen}")).await;
}

async fn main_scroll_top(app: &AppSession) -> f64 {
    let top = app
        .client
        .execute("return document.getElementById('main').scrollTop;", vec![])
        .await
        .unwrap();
    top.as_f64().unwrap()
}

#[tokio::test]
async fn small_and_large_windows_have_one_scroll_container_and_readable_rows() {
    let app = AppSession::start_with_vault_on_screen(1920, 1080).await;
    let issuers = [
        "GitHub",
        "Proton Mail",
        "Cloudflare",
        "DigitalOcean",
        "Bitwarden",
        "Fastmail",
        "Hetzner",
        "Mastodon",
        "Namecheap",
        "PayPal",
        "Tailscale",
        "Wikipedia",
        "Kraken",
        "Dropbox",
        "Backblaze",
        "Zoho",
        "Linode",
        "Discord",
        "Gandi",
        "Mozilla",
        "Slack",
        "Stripe",
        "Twitch",
        "Vultr",
    ];
    for (index, issuer) in issuers.iter().enumerate() {
        let secret = data_encoding::BASE32_NOPAD.encode(format!("{issuer}-secret").as_bytes());
        let uri = format!(
            "otpauth://totp/{}:alice{index}%40example.com?secret={secret}&issuer={}",
            issuer.replace(' ', "%20"),
            issuer.replace(' ', "%20")
        );
        let tag = if index % 3 == 0 { "work" } else { "home" };
        app.cli(&["add", &uri, "--tag", tag]);
    }
    app.unlock(crate::support::cli::PASSWORD).await;
    app.wait_attr("account-code", "data-code", |c| !c.is_empty())
        .await;

    for (width, height) in [(600, 500), (1920, 1080)] {
        resize(&app, width, height).await;
        for theme in ["light", "dark"] {
            choose_theme(&app, theme).await;
            open_screen(&app, "accounts").await;
            app.wait_attr("account-code", "data-code", |c| !c.is_empty())
                .await;
            let layout = measure(&app).await;
            check_accounts_layout(&layout, width, height);
            let size = format!("{width}x{height}");
            app.screenshot(&format!("accounts-{size}-{theme}.png"))
                .await;
        }

        // A search that matches nothing shows its message and no empty box.
        let search = app.by_test_id("account-search").await;
        search.send_keys("no such account").await.unwrap();
        app.by_test_id("no-match").await;
        let list_height = app
            .client
            .execute(
                "return document.querySelector(\"[data-testid='account-list']\").offsetHeight;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            list_height,
            serde_json::json!(0),
            "an empty list box is shown"
        );
        // Backspaces, one `input` event each (WebDriver's clear sends none).
        search
            .send_keys(&"\u{E003}".repeat("no such account".len()))
            .await
            .unwrap();
        app.wait_attr("account-code", "data-code", |c| !c.is_empty())
            .await;

        check_other_screens(&app, width, height).await;
    }
    app.close().await;
}

/// The Accounts screen at `width` x `height`: no scrolling around the list,
/// the list filling the window, names in full, the rail as wide as fits.
fn check_accounts_layout(layout: &Layout, width: u32, height: u32) {
    let size = format!("{width}x{height}");
    assert!(
        (layout.inner_width - f64::from(width)).abs() < 1.0
            && (layout.inner_height - f64::from(height)).abs() < 1.0,
        "{layout:?}"
    );
    assert!(
        !layout.page_overflows,
        "{size}: the page scrolls: {layout:?}"
    );
    assert!(
        !layout.main_scrolls,
        "{size}: the screen scrolls around the list: {layout:?}"
    );
    assert!(
        layout.list_scrolls,
        "{size}: the list is the scroll container: {layout:?}"
    );
    assert!(
        layout.gap_below_list < 40.0,
        "{size}: the list fills the window: {layout:?}"
    );
    assert!(
        layout.truncated_issuers.is_empty(),
        "{size}: names are cut: {layout:?}"
    );
    if width < 760 {
        assert!(
            layout.rail_width < 80.0,
            "{size}: the rail collapses: {layout:?}"
        );
        assert!(layout.label_width < 2.0, "{size}: icons only: {layout:?}");
        assert!(layout.rows_in_view >= 4, "{size}: rows in view: {layout:?}");
    } else {
        assert!(layout.rail_width >= 180.0, "{size}: {layout:?}");
        assert!(layout.label_width > 8.0, "{size}: labels shown: {layout:?}");
        assert!(
            layout.rows_in_view >= 12,
            "{size}: rows in view: {layout:?}"
        );
    }
}

/// Every other screen fits the window's width and opens at its top, even
/// when the one before was scrolled down.
async fn check_other_screens(app: &AppSession, width: u32, height: u32) {
    for screen in ["add", "transfer", "servers", "settings"] {
        open_screen(app, screen).await;
        assert!(
            main_scroll_top(app).await < 1.0,
            "{screen} opens at its top"
        );
        let overflows = app
            .client
            .execute(
                "const main = document.getElementById('main');
                 return main.scrollWidth > main.clientWidth + 1;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            overflows,
            serde_json::json!(false),
            "{screen} is wider than {width} px"
        );
        app.client
            .execute(
                "document.getElementById('main').scrollTop = 100000;",
                vec![],
            )
            .await
            .unwrap();
    }
    if width < 760 {
        assert!(
            main_scroll_top(app).await > 0.0,
            "settings is taller than a {width} x {height} window, so it scrolls"
        );
    }
}
