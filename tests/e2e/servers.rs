//! The Servers screen through the window against the reference server on
//! loopback: add a Syncano server, enrol with the stepper, the account's
//! code in the list, log in with a fresh code, turn 2FA off after the
//! confirmation dialog; and the clock check against the server's `Date`
//! header. No IPC answer holds the password, the seed, a backup code or
//! the session token.
//!
//! Then the same commands without a window (`core::session::servers`
//! called on an `AppState`), for what the window flow does not reach:
//! registering, backup-code logins written back to the vault, one flow
//! at a time per server, a lockout waited out instead of retried, and a
//! refused verification reported at its step.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tessera::core::clock::SystemClock;
use tessera::core::secret::SecretString;
use tessera::core::session::AppState;
use tessera::core::session::servers::{EnrolStep, NewServer};
use tessera::core::settings::{SETTINGS_FILE_NAME, Settings};
use tessera::core::vault::{KdfParams, Vault};
use tessera::ipc::error::{IpcError, IpcErrorCode};

use super::accounts::{cli_codes, unix_now};
use super::session::{APP_TIMEOUT, AppSession};
use crate::support::reference_server::{Fault, Flavor, ReferenceServer};

const USER: &str = "alice@example.com";
const SERVER_PASSWORD: &str = "server pass phrase 7e1c";
const NAME: &str = "wiki";

async fn click(app: &AppSession, id: &str) {
    app.by_test_id(id).await.click().await.unwrap();
}

async fn type_into(app: &AppSession, id: &str, text: &str) {
    let field = app.by_test_id(id).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Waits until the element's text contains `part`; returns the text.
async fn wait_text(app: &AppSession, id: &str, part: &str) -> String {
    let deadline = Instant::now() + APP_TIMEOUT;
    loop {
        let text = app
            .by_test_id(id)
            .await
            .prop("textContent")
            .await
            .unwrap()
            .unwrap_or_default();
        if text.contains(part) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{id} never said {part:?}; last {text:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The base32 seed of the account `issuer` in the app's vault, through
/// `tessera export` (what a user asking for their secrets gets).
fn seed_of(app: &AppSession, issuer: &str) -> String {
    let out = app.vault_path.with_file_name("export.txt");
    app.cli(&[
        "export",
        "--format",
        "otpauth",
        "--out",
        out.to_str().unwrap(),
        "--yes-plaintext",
    ]);
    let text = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains(issuer))
        .unwrap_or_else(|| panic!("no {issuer} account in the export"));
    let secret = line
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("secret="))
        .unwrap();
    assert!(secret.len() >= 16, "a real seed: {secret}");
    secret.to_owned()
}

/// Adds the Syncano server through the form.
async fn add_server(app: &AppSession, server: &ReferenceServer) {
    click(app, "nav-servers").await;
    click(app, "servers-add-open").await;
    type_into(app, "server-name", NAME).await;
    app.by_test_id("server-profile")
        .await
        .select_by_value(Flavor::Syncano.profile())
        .await
        .unwrap();
    type_into(app, "server-url", &server.url(Flavor::Syncano)).await;
    type_into(app, "server-username", USER).await;
    type_into(app, "server-secret", SERVER_PASSWORD).await;
    // A host no server of the vault has yet: refused until the vault
    // password, checked in Rust, confirms it.
    click(app, "server-add-submit").await;
    let refused = wait_text(app, "server-form-problem", "vault password").await;
    assert!(refused.contains("127.0.0.1"), "{refused}");
    assert_eq!(app.count("server-row").await, 0);
    type_into(app, "server-vault-password", crate::support::cli::PASSWORD).await;
    click(app, "server-add-submit").await;
    let row = app.by_test_id("server-row").await;
    assert_eq!(row.attr("data-name").await.unwrap().as_deref(), Some(NAME));
    app.wait_attr("server-2fa", "data-state", |s| s == "off")
        .await;
    let listed: Value = serde_json::from_str(&app.cli(&["server", "list", "--json"])).unwrap();
    assert_eq!(listed[0]["name"], NAME);
    assert_eq!(listed[0]["password"], true, "the password is in the vault");
}

/// Enrols through the stepper; every step must pass.
async fn enrol(app: &AppSession, server: &ReferenceServer) {
    click(app, "server-enrol").await;
    app.by_test_id("enrol-stepper").await;
    app.wait_attr("enrol-stepper", "data-running", |s| s == "false")
        .await;
    for step in [
        "sign_in",
        "request_secret",
        "store_pending",
        "verify",
        "done",
    ] {
        let state = app
            .by_test_id(&format!("enrol-step-{step}"))
            .await
            .attr("data-state")
            .await
            .unwrap();
        assert_eq!(state.as_deref(), Some("done"), "step {step}");
    }
    wait_text(app, "enrol-message-sign_in", USER).await;
    app.screenshot("servers-enrolled.png").await;
    app.wait_attr("server-2fa", "data-state", |s| s == "on")
        .await;
    assert!(server.is_enabled(Flavor::Syncano, USER));
    let verified = server.accepted_steps(Flavor::Syncano, USER);
    assert_eq!(verified.len(), 1, "one code verified the enrolment");
    let account = app.content_of("server-account").await;
    assert!(
        account.contains(NAME) && account.contains(USER),
        "{account}"
    );
}

/// The clock check against the reference server's `Date` header: the same
/// machine's clock, so the offset is within the stated uncertainty.
async fn check_clock(app: &AppSession) {
    click(app, "nav-settings").await;
    app.by_test_id("clock-check-server")
        .await
        .select_by_label(NAME)
        .await
        .unwrap();
    click(app, "clock-check-run").await;
    let offset: i64 = app
        .wait_attr("clock-check-result", "data-offset-ms", |v| !v.is_empty())
        .await
        .parse()
        .unwrap();
    let uncertainty: i64 = app
        .by_test_id("clock-check-result")
        .await
        .attr("data-uncertainty-ms")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (500..5000).contains(&uncertainty),
        "half a second plus half the round trip: {uncertainty}"
    );
    assert!(
        offset.abs() <= uncertainty,
        "one clock, so {offset} ms lies within ±{uncertainty} ms"
    );
    app.screenshot("settings-clock-check.png").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_is_added_enrolled_used_and_disabled_through_the_window() {
    let server = ReferenceServer::start(Arc::new(SystemClock)).await.unwrap();
    let session_token = server.add_user(Flavor::Syncano, USER, SERVER_PASSWORD);
    let app = AppSession::start_unlocked().await;
    app.record_ipc().await;

    add_server(&app, &server).await;

    enrol(&app, &server).await;

    // The new account is in the list, with the code the seed gives.
    click(&app, "nav-accounts").await;
    let issuer = app.content_of("account-issuer").await;
    assert!(issuer.contains(NAME), "{issuer}");
    let shown = app
        .wait_attr("account-code", "data-code", |c| c.len() == 6)
        .await;
    let expected = cli_codes(&app, NAME, unix_now());
    assert!(
        expected.contains(&shown),
        "the window shows {shown}; the vault's seed gives {expected:?}"
    );
    let tags = app.cli(&["list", "--json"]);
    assert!(
        !tags.contains("\"pending\""),
        "confirmed, not pending: {tags}"
    );
    let seed = seed_of(&app, NAME);

    // Log in with a fresh code: the server accepts a code from the seed.
    click(&app, "nav-servers").await;
    click(&app, "server-login").await;
    wait_text(&app, "server-note", "fresh code").await;
    let steps = server.accepted_steps(Flavor::Syncano, USER);
    assert_eq!(steps.len(), 2, "the login code was accepted: {steps:?}");
    assert!(steps[1] > steps[0], "a new time step: {steps:?}");

    // Disable, after the confirmation dialog (cancel first: nothing happens).
    click(&app, "server-disable").await;
    let dialog = app.content_of("confirm-dialog").await;
    assert!(dialog.contains("Turn off 2FA"), "{dialog}");
    click(&app, "confirm-no").await;
    assert_eq!(app.count("confirm-dialog").await, 0);
    assert!(
        server.is_enabled(Flavor::Syncano, USER),
        "cancel changes nothing"
    );
    click(&app, "server-disable").await;
    click(&app, "confirm-yes").await;
    app.wait_attr("server-2fa", "data-state", |s| s == "off")
        .await;
    wait_text(&app, "server-note", "archived").await;
    assert!(!server.is_enabled(Flavor::Syncano, USER));
    // The server itself reports 2FA off.
    click(&app, "server-status").await;
    wait_text(&app, "server-note", "two-factor sign-in is off").await;
    let tags = app.cli(&["list", "--json"]);
    assert!(
        tags.contains("\"archived\""),
        "the seed is kept, archived: {tags}"
    );

    check_clock(&app).await;

    let backup_codes: Vec<String> = server
        .backup_codes(Flavor::Syncano, USER)
        .into_iter()
        .map(|(code, _)| code)
        .collect();
    let mut secrets = vec![SERVER_PASSWORD, seed.as_str(), session_token.as_str()];
    secrets.extend(backup_codes.iter().map(String::as_str));
    let checked = app.assert_no_secret_in_ipc(&secrets).await;
    assert!(checked > 10, "the recorder saw the flow: {checked} answers");
    app.close().await;
}

/// Sets the clock offset in Settings and waits until the app has saved it.
async fn set_offset(app: &AppSession, seconds: i64) {
    click(app, "nav-settings").await;
    let field = app.by_test_id("clock-offset").await;
    field.clear().await.unwrap();
    field.send_keys(&format!("{seconds}\t")).await.unwrap();
    let path = app.config_home.join("tessera").join(SETTINGS_FILE_NAME);
    let deadline = Instant::now() + APP_TIMEOUT;
    while Settings::load(&path).map(|s| s.clock_offset_ms).ok() != Some(seconds * 1000) {
        assert!(
            Instant::now() < deadline,
            "the offset {seconds} s was never saved"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    click(app, "nav-servers").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lockout_shows_a_countdown_and_disables_retrying_in_the_window() {
    let server = ReferenceServer::start(Arc::new(SystemClock)).await.unwrap();
    server.add_user(Flavor::Syncano, USER, SERVER_PASSWORD);
    let app = AppSession::start_unlocked().await;
    add_server(&app, &server).await;
    enrol(&app, &server).await;
    // A clock minutes fast: the server refuses every code, each a step
    // further on; the fourth wrong code in a row locks the account.
    for attempt in 0..4 {
        set_offset(&app, 300 + attempt * 30).await;
        click(&app, "server-login").await;
        app.wait_attr("server-row", "data-busy", |b| b == "false")
            .await;
        let problem = app.content_of("server-problem").await;
        assert!(
            problem.contains("refused") || problem.contains("locked"),
            "{problem}"
        );
    }
    let problem = app.content_of("server-problem").await;
    assert!(problem.contains("locked"), "{problem}");
    let first: u64 = app
        .wait_attr("server-retry", "data-seconds", |s| !s.is_empty())
        .await
        .parse()
        .unwrap();
    assert!((280..=300).contains(&first), "a five-minute wait: {first}");
    let countdown = app.content_of("server-retry").await;
    let shown = format!("{}:{:02}", first / 60, first % 60);
    assert!(countdown.contains(&shown), "{shown} in {countdown}");
    for id in ["server-login", "server-status", "server-disable"] {
        let disabled = app.by_test_id(id).await.attr("disabled").await.unwrap();
        assert!(
            disabled.is_some(),
            "{id} is disabled while the server waits"
        );
    }
    // It counts down live.
    app.wait_attr("server-retry", "data-seconds", |s| {
        s.parse::<u64>().is_ok_and(|n| n + 2 <= first)
    })
    .await;
    app.screenshot("servers-locked.png").await;
    app.close().await;
}

/// An unlocked vault in a temporary directory behind an `AppState`, as
/// the app holds it.
fn unlocked_state(dir: &tempfile::TempDir) -> AppState {
    let path = dir.path().join("state.tessera");
    let password = SecretString::from("vault password");
    let kdf = KdfParams::new(64, 2, 1).unwrap();
    drop(Vault::create(&path, &password, kdf, Arc::new(SystemClock)).unwrap());
    let state = AppState::with_settings(path, None, Settings::default());
    state
        .with_vault(|vault, _| Ok(vault.unlock_with_password(&password)?))
        .unwrap();
    state
}

/// Adds a Syncano server `name` for `user`, registered through the app.
async fn add_registered(state: &AppState, server: &ReferenceServer, name: &str, user: &str) {
    let added = state
        .add_server(NewServer {
            name: name.to_owned(),
            profile: Flavor::Syncano.profile().to_owned(),
            url: server.url(Flavor::Syncano),
            username: Some(user.to_owned()),
            secret: SERVER_PASSWORD.to_owned(),
            register: true,
            vault_password: Some("vault password".to_owned()),
        })
        .await
        .unwrap();
    assert!(added.credentials.password && added.credentials.token);
}

/// A login through the session, with its error as the web view sees it.
async fn login(state: &AppState, name: &str, backup_code: bool) -> Result<(), IpcError> {
    state
        .server_login(name, backup_code)
        .await
        .map(drop)
        .map_err(IpcError::from)
}

/// A clock check through the session, with its error as the web view sees it.
async fn clock_check(
    state: &AppState,
    url: &str,
    password: Option<SecretString>,
) -> Result<(), IpcError> {
    state
        .server_clock_check(url, password.as_ref())
        .await
        .map(drop)
        .map_err(IpcError::from)
}

/// Signs in and enrols `name`; returns the confirmed account's id.
async fn enrolled(state: &AppState, name: &str) -> uuid::Uuid {
    state.server_sign_in(name).await.unwrap();
    let report = state.server_enrol(name).await.unwrap();
    assert!(report.failure.is_none(), "{:?}", report.failure);
    assert_eq!(report.failed_at, None);
    uuid::Uuid::parse_str(&report.account.unwrap().id).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_code_logins_are_written_back() {
    let server = ReferenceServer::start(Arc::new(SystemClock)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = unlocked_state(&dir);
    add_registered(&state, &server, "codes", "bob").await;
    let id = enrolled(&state, "codes").await;
    let issued = server.backup_codes(Flavor::Syncano, "bob");
    assert!(!issued.is_empty(), "Syncano hands out backup codes");
    let kept = state
        .with_vault(|vault, _| Ok(vault.backup_codes(id)?.len()))
        .unwrap();
    assert_eq!(kept, issued.len(), "the verify answer's codes are kept");

    login(&state, "codes", true).await.unwrap();
    let used = state
        .with_vault(|vault, _| {
            Ok(vault
                .backup_codes(id)?
                .iter()
                .map(|c| c.used_at.is_some())
                .collect::<Vec<_>>())
        })
        .unwrap();
    assert_eq!(used.iter().filter(|u| **u).count(), 1, "{used:?}");
    assert!(used[0], "the first unused code went: {used:?}");
    assert!(server.backup_codes(Flavor::Syncano, "bob")[0].1);

    // A login with a fresh code after the backup code.
    login(&state, "codes", false).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lockout_is_waited_out_and_never_retried() {
    let server = ReferenceServer::start(Arc::new(SystemClock)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = unlocked_state(&dir);
    add_registered(&state, &server, "locks", "carol").await;
    enrolled(&state, "locks").await;
    // A clock five minutes fast sends codes the server refuses; each try
    // a step further, so none waits for a fresh step.
    let mut last = None;
    for attempt in 0..4 {
        state.session().unwrap().settings.clock_offset_ms = 300_000 + attempt * 30_000;
        last = Some(login(&state, "locks", false).await.unwrap_err());
        let code = last.as_ref().unwrap().code;
        if attempt < 3 {
            assert_eq!(code, IpcErrorCode::Server, "attempt {attempt}: {last:?}");
        }
    }
    let locked = last.unwrap();
    assert_eq!(locked.code, IpcErrorCode::RateLimited, "{}", locked.message);
    assert!(locked.message.contains("locked"), "{}", locked.message);
    let listed = state.list_servers().unwrap();
    let wait = listed[0].retry_in_ms.expect("the wait is shown");
    assert!((290_000..=300_000).contains(&wait), "{wait}");
    let requests = server.requests();
    let again = login(&state, "locks", false).await.unwrap_err();
    assert_eq!(again.code, IpcErrorCode::RateLimited);
    assert_eq!(
        server.requests(),
        requests,
        "nothing was sent while waiting"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_verification_is_reported_at_its_step() {
    let server = ReferenceServer::start(Arc::new(SystemClock)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = unlocked_state(&dir);
    add_registered(&state, &server, "forgets", "dan").await;
    state.server_sign_in("forgets").await.unwrap();
    server.set_fault(Some(Fault::ForgetUsersOn("verify".to_owned())));
    let report = state.server_enrol("forgets").await.unwrap();
    assert_eq!(report.failed_at, Some(EnrolStep::Verify), "{report:?}");
    assert!(report.failure.is_some());
    // Refused before two-factor was on: no account is left behind.
    assert!(report.account.is_none());
    let accounts = state
        .with_vault(|vault, _| Ok(vault.entries()?.len()))
        .unwrap();
    assert_eq!(accounts, 0);

    // The clock check refuses plain http:// to another host.
    let refused = clock_check(&state, "http://example.com/", None)
        .await
        .unwrap_err();
    assert_eq!(refused.code, IpcErrorCode::Invalid, "{}", refused.message);
    // A host no server of the vault has: only with the vault password.
    let refused = clock_check(&state, "https://example.com/", None)
        .await
        .unwrap_err();
    assert_eq!(
        refused.code,
        IpcErrorCode::PasswordRequired,
        "{}",
        refused.message
    );
    let wrong = SecretString::from("not the vault password");
    let refused = clock_check(&state, "https://example.com/", Some(wrong))
        .await
        .unwrap_err();
    assert_eq!(
        refused.code,
        IpcErrorCode::WrongPassword,
        "{}",
        refused.message
    );
}
