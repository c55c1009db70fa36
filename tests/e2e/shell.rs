//! The app shell: the window opens (on first run, the create-vault screen),
//! navigation works, and a command round-trips through IPC with its typed
//! result.

use super::session::AppSession;

const SCREENS: [&str; 5] = ["accounts", "add", "transfer", "servers", "settings"];

#[tokio::test]
async fn window_opens_on_first_run_without_creating_a_vault() {
    let app = AppSession::start().await;
    app.by_test_id("first-run").await;
    assert_eq!(app.client.title().await.unwrap(), "Tessera");
    let text = app.text_of("first-run").await;
    assert!(
        text.contains(&app.vault_path.display().to_string()),
        "first run names the vault file: {text}"
    );
    assert!(
        !app.vault_path.exists(),
        "opening the app creates no vault by itself"
    );
    app.close().await;
}

#[tokio::test]
async fn every_navigation_item_shows_its_screen() {
    let app = AppSession::start_unlocked().await;
    app.by_test_id("screen-accounts").await;
    let empty = app.text_of("screen-accounts").await;
    assert!(
        empty.contains("No accounts"),
        "accounts empty state: {empty}"
    );
    for screen in SCREENS {
        let item = app.by_test_id(&format!("nav-{screen}")).await;
        assert!(!item.text().await.unwrap().trim().is_empty());
        item.click().await.unwrap();
        app.by_test_id(&format!("screen-{screen}")).await;
        let current = app
            .by_test_id(&format!("nav-{screen}"))
            .await
            .attr("aria-current")
            .await
            .unwrap();
        assert_eq!(
            current.as_deref(),
            Some("page"),
            "nav-{screen} marked current"
        );
    }
    app.close().await;
}

#[tokio::test]
async fn about_shows_what_app_info_returns_over_ipc() {
    let app = AppSession::start_unlocked().await;
    app.by_test_id("nav-settings").await.click().await.unwrap();
    let path = app.text_of("about-vault-path").await;
    assert_eq!(path.trim(), app.vault_path.display().to_string());
    let version = app.text_of("about-version").await;
    assert!(
        version.contains(env!("CARGO_PKG_VERSION")),
        "version: {version}"
    );
    let exists = app.by_test_id("about-vault-exists").await;
    assert_eq!(
        exists.attr("data-exists").await.unwrap().as_deref(),
        Some("true")
    );
    // Copy diagnostics: versions, platform, the web view, the log file.
    app.click("copy-diagnostics").await;
    let diagnostics = app.content_of("about-diagnostics").await;
    let state_home = app.config_home.parent().unwrap().join("state");
    let log_file = state_home.join("tessera").join("tessera.log");
    for part in [
        format!("Tessera {}", env!("CARGO_PKG_VERSION")),
        "platform: linux".to_owned(),
        "web view: ".to_owned(),
        "AppleWebKit".to_owned(),
        format!("log: {}", log_file.display()),
    ] {
        assert!(diagnostics.contains(&part), "{part} not in {diagnostics}");
    }
    let logged = std::fs::read_to_string(&log_file).unwrap();
    assert!(
        logged.contains("Tessera started") && logged.contains("vault unlocked"),
        "{logged}"
    );
    app.close().await;
}

/// The web view runs JavaScript without the JIT (`desktop::WEBKIT_ENVIRONMENT`),
/// so neither the app nor the web engine's processes hold memory that is
/// both writable and executable (with the JIT, the JavaScript engine maps a
/// writable and executable pool in the app and in the web process).
#[tokio::test]
async fn no_process_of_the_app_has_writable_executable_memory() {
    let app = AppSession::start_unlocked().await;
    app.by_test_id("screen-accounts").await;
    let marker = format!("TESSERA_VAULT={}", app.vault_path.display());
    let mut names = Vec::new();
    let mut writable_executable = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let dir = entry.path();
        let Ok(environ) = std::fs::read(dir.join("environ")) else {
            continue;
        };
        let ours = environ
            .split(|byte| *byte == 0)
            .any(|variable| variable == marker.as_bytes());
        if !ours {
            continue;
        }
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        let Ok(maps) = std::fs::read_to_string(dir.join("maps")) else {
            continue;
        };
        for line in maps.lines() {
            let perms = line.split_whitespace().nth(1).unwrap_or_default();
            if perms.contains('w') && perms.contains('x') {
                writable_executable.push(format!("{}: {line}", name.trim()));
            }
        }
        names.push(name.trim().to_owned());
    }
    assert!(
        names.iter().any(|name| name.starts_with("WebKitWebProc"))
            && names.iter().any(|name| name == "tessera"),
        "found the app and its web process: {names:?}"
    );
    assert!(
        writable_executable.is_empty(),
        "writable and executable mappings: {writable_executable:#?}"
    );
    app.close().await;
}

/// Starts the app binary again on `vault` (as a user would, from a shell)
/// and returns its exit status and standard error.
fn launch_again(
    app: &AppSession,
    vault: &std::path::Path,
    bus: Option<&str>,
    args: &[&str],
) -> (bool, String) {
    let mut command = std::process::Command::new(crate::support::tessera_bin());
    command
        .args(args)
        .env("TESSERA_VAULT", vault)
        .env("DISPLAY", &app.display)
        .env("XDG_CONFIG_HOME", &app.config_home)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    if let Some(bus) = bus {
        command.env("DBUS_SESSION_BUS_ADDRESS", bus);
    }
    let mut child = command.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the second start on the same vault opened a window of its own");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let output = child.wait_with_output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_second_start_on_the_same_vault_raises_the_first_window_with_or_without_a_session_bus() {
    let app = AppSession::start_unlocked().await;
    let folder = app.vault_path.parent().unwrap();
    // The same file by another name: through `.` and relative to nothing.
    let roundabout = folder.join(".").join(app.vault_path.file_name().unwrap());
    for bus in [None, Some("unix:path=/nonexistent/tessera-test-bus")] {
        let (ok, stderr) = launch_again(&app, &roundabout, bus, &[]);
        assert!(ok, "bus {bus:?}: {stderr}");
        assert!(stderr.contains("already open"), "bus {bus:?}: {stderr}");
        assert!(
            !stderr.contains("already registered"),
            "bus {bus:?}: {stderr}"
        );
    }
    // The first window still answers.
    app.by_test_id("nav-settings").await.click().await.unwrap();
    app.by_test_id("screen-settings").await;
    app.close().await;
}

#[tokio::test]
async fn a_link_opened_from_the_desktop_shows_its_account_in_the_open_window_and_adds_it_once_confirmed()
 {
    let app = AppSession::start_unlocked().await;
    app.by_test_id("screen-accounts").await;
    // What the desktop's handler runs for a click on the link (Exec=tessera %u).
    let link = "otpauth://totp/Linked:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Linked";
    let (ok, stderr) = launch_again(&app, &app.vault_path, None, &[link]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("given the link"), "{stderr}");
    assert!(!stderr.contains("JBSWY3DP"), "{stderr}");

    app.by_test_id("screen-add").await;
    let issuer = app.text_of("scan-found-issuer").await;
    assert_eq!(issuer, "Linked");
    let listed = app.cli(&["list"]);
    assert!(
        !listed.contains("Linked"),
        "added before the confirmation: {listed}"
    );

    app.by_test_id("scan-add").await.click().await.unwrap();
    app.by_test_id("screen-accounts").await;
    let listed = app.cli(&["list"]);
    assert!(listed.contains("Linked"), "{listed}");
    app.close().await;
}

/// The pid of the app process (not its web processes) working on `app`'s vault.
fn app_pid(app: &AppSession) -> u32 {
    let marker = format!("TESSERA_VAULT={}", app.vault_path.display());
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let ours = std::fs::read(entry.path().join("environ")).is_ok_and(|environ| {
            environ
                .split(|byte| *byte == 0)
                .any(|variable| variable == marker.as_bytes())
        });
        let name = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
        if ours && name.trim() == "tessera" {
            return pid;
        }
    }
    panic!("no tessera process on {}", app.vault_path.display());
}

fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| !stat.contains(") Z "))
}

/// Waits up to 60 s for `done`.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    for _ in 0..600 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 60 s");
}

/// Asks `window` to close, again every 2 s (as a user clicks again on a
/// loaded machine), until `done`; at most 60 s.
async fn close_until(display: &str, window: u32, what: &str, done: impl Fn() -> bool) {
    for _ in 0..30 {
        crate::support::display::ask_to_close(display, window);
        for _ in 0..20 {
            if done() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    panic!("{what} did not happen within 60 s of asking the window to close");
}

#[tokio::test]
async fn closing_the_window_quits_without_a_tray_and_hides_it_with_one() {
    use crate::support::display::mapped_windows_of;

    // A bare X server: no tray shows icons, so Settings says closing quits,
    // and closing does.
    let app = AppSession::start_unlocked().await;
    app.by_test_id("nav-settings").await.click().await.unwrap();
    let note = app
        .wait_attr("tray-note", "data-tray", |t| t != "unknown")
        .await;
    assert_eq!(note, "false");
    assert!(
        app.text_of("tray-note")
            .await
            .contains("closing the window quits")
    );
    let pid = app_pid(&app);
    let windows = mapped_windows_of(&app.display, pid);
    assert_eq!(windows.len(), 1, "the main window: {windows:?}");
    close_until(&app.display, windows[0], "the app quitting", || {
        !is_running(pid)
    })
    .await;
    app.close().await;

    // A tray: the StatusNotifier watcher's name owned on the app's session
    // bus. A stand-in for a desktop panel, which needs a desktop session
    // that cannot run under Xvfb here; the app asks only whether the name
    // has an owner, and owning it is all a tray host does towards that.
    let app = AppSession::start_unlocked().await;
    let bus =
        zbus::blocking::Connection::session().expect("the session bus of .ci/keyring-session");
    bus.request_name("org.kde.StatusNotifierWatcher").unwrap();
    app.by_test_id("nav-settings").await.click().await.unwrap();
    let note = app
        .wait_attr("tray-note", "data-tray", |t| t != "unknown")
        .await;
    assert_eq!(note, "true");
    let pid = app_pid(&app);
    let windows = mapped_windows_of(&app.display, pid);
    assert_eq!(windows.len(), 1, "the main window: {windows:?}");
    close_until(&app.display, windows[0], "the window hiding", || {
        mapped_windows_of(&app.display, pid).is_empty()
    })
    .await;
    assert!(is_running(pid), "closing with a tray keeps Tessera running");
    // Starting Tessera again brings the hidden window back.
    let (ok, stderr) = launch_again(&app, &app.vault_path, None, &[]);
    assert!(ok, "{stderr}");
    eventually("the window showing again", || {
        mapped_windows_of(&app.display, pid).len() == 1
    })
    .await;
    app.by_test_id("screen-settings").await;
    drop(bus);
    app.close().await;
}
