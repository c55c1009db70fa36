//! The window and the CLI on one vault file: what either commits the other
//! sees, across the window's native file dialogs (which list the vault's own
//! folder) and a restart of the app.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::accounts::{add_by_uri, wait_rows};
use super::session::{APP_TIMEOUT, AppSession};
use crate::support::cli::PASSWORD;

const ALPHA: &str = "otpauth://totp/Alpha:cli-first?secret=JBSWY3DPEHPK3PXP&issuer=Alpha";
const BRAVO: &str = "otpauth://totp/Bravo:window-after-backup?secret=KRSXG5CTMVRXEZLU&issuer=Bravo";
const CHARLIE: &str =
    "otpauth://totp/Charlie:cli-after-import?secret=GEZDGNBVGY3TQOJQ&issuer=Charlie";
const DELTA: &str = "otpauth://totp/Delta:window-last?secret=MFRGGZDFMZTWQ2LK&issuer=Delta";

/// `xdotool` on the app's display.
fn xdotool(display: &str, args: &[&str]) -> String {
    let output = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .expect("xdotool is installed (`make setup` installs it)");
    assert!(
        output.status.success(),
        "xdotool {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The id of the window titled `title` on `display`, if there is one.
fn window_titled(display: &str, title: &str) -> Option<String> {
    let found = Command::new("xdotool")
        .args(["search", "--name", title])
        .env("DISPLAY", display)
        .output()
        .expect("xdotool is installed (`make setup` installs it)");
    String::from_utf8_lossy(&found.stdout)
        .lines()
        .next()
        .map(str::to_owned)
}

/// Waits for the native file dialog titled `title`, lets it list its
/// folder, then presses `key` in it (`Return` saves under the name the
/// dialog suggests, in the folder it shows; `Escape` cancels), again until
/// the dialog is gone (a busy machine may drop the first key). Runs on its
/// own thread, since the click that opens the dialog may not return before
/// the dialog closes.
fn answer_dialog(
    display: String,
    title: &'static str,
    key: &'static str,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let deadline = Instant::now() + APP_TIMEOUT;
        let mut window = None;
        while window.is_none() {
            assert!(Instant::now() < deadline, "no dialog titled {title:?}");
            std::thread::sleep(Duration::from_millis(200));
            window = window_titled(&display, title);
        }
        // The dialog lists the folder (and guesses its files' types) in the background.
        std::thread::sleep(Duration::from_secs(2));
        while let Some(id) = window {
            assert!(
                Instant::now() < deadline,
                "the dialog {title:?} did not close"
            );
            xdotool(&display, &["windowfocus", "--sync", &id]);
            xdotool(&display, &["key", key]);
            std::thread::sleep(Duration::from_secs(1));
            window = window_titled(&display, title);
        }
    })
}

/// Clicks "Back up now…", answers the save dialog with Return and waits
/// for the page to say where the backup went (its toast) or why not (its
/// alert). A dialog that closed with no answer at all (on a busy machine
/// the key can reach its Cancel button) is opened again, at most three
/// times; a backup written anywhere but `expected` fails at once.
async fn back_up_through_the_dialog(app: &AppSession, expected: &Path) {
    for attempt in 1..=3 {
        let dialog = answer_dialog(app.display.clone(), "Save a backup of the vault", "Return");
        app.by_test_id("backup-now").await.click().await.unwrap();
        dialog.join().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            let failed = app.count("backup-problem").await > 0;
            assert!(
                !failed,
                "the backup failed: {}",
                app.content_of("backup-problem").await
            );
            let toasts = if app.count("toast").await > 0 {
                app.content_of("toast").await
            } else {
                String::new()
            };
            if toasts.contains("Backup written to") {
                assert!(
                    toasts.contains(&expected.display().to_string()),
                    "the backup went elsewhere: {toasts}"
                );
                wait_for_file(expected).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        eprintln!("attempt {attempt}: the save dialog closed without an answer; opening it again");
    }
    panic!(
        "three save dialogs closed without writing {}",
        expected.display()
    );
}

async fn wait_for_file(path: &Path) {
    let deadline = Instant::now() + APP_TIMEOUT;
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} was never written",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn assert_cli_lists(app: &AppSession, issuers: &[&str]) {
    let listed = app.cli(&["list"]);
    for issuer in issuers {
        assert!(
            listed.contains(issuer),
            "the CLI does not list {issuer}:\n{listed}"
        );
    }
}

#[tokio::test]
async fn the_window_and_the_cli_share_one_vault_across_file_dialogs_and_a_restart() {
    let app = AppSession::start_unlocked().await;
    let folder = app.vault_path.parent().unwrap().to_owned();

    // The CLI adds an account: the open window lists it without being asked.
    app.cli(&["add", ALPHA]);
    wait_rows(&app, 1).await;

    // Back up now, through the save dialog, which shows the vault's folder
    // (the app's working directory) and suggests tessera-backup.tessera.
    let backup = folder.join("tessera-backup.tessera");
    app.by_test_id("nav-settings").await.click().await.unwrap();
    back_up_through_the_dialog(&app, &backup).await;

    // The CLI reads and closes the vault: were the window's locks lost, it
    // would take itself for the last user and delete the write-ahead log.
    assert_cli_lists(&app, &["Alpha"]);
    add_by_uri(&app, BRAVO).await;
    assert_cli_lists(&app, &["Alpha", "Bravo"]);

    // The import dialog, cancelled; then the CLI writes and the window writes.
    app.by_test_id("nav-transfer").await.click().await.unwrap();
    let dialog = answer_dialog(app.display.clone(), "Import accounts from a file", "Escape");
    app.by_test_id("import-pick").await.click().await.unwrap();
    dialog.join().unwrap();
    app.cli(&["add", CHARLIE]);
    add_by_uri(&app, DELTA).await;
    wait_rows(&app, 4).await;
    assert_cli_lists(&app, &["Alpha", "Bravo", "Charlie", "Delta"]);

    // A restart of the window finds all four, and so does the backup's
    // owner: the backup holds the accounts committed before it was made.
    let app = app.restart().await;
    app.unlock(PASSWORD).await;
    app.by_test_id("app-shell").await;
    wait_rows(&app, 4).await;
    assert_cli_lists(&app, &["Alpha", "Bravo", "Charlie", "Delta"]);
    let in_backup = Command::new(crate::support::tessera_bin())
        .args(["--vault"])
        .arg(&backup)
        .arg("list")
        .env("TESSERA_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        in_backup.status.success(),
        "{}",
        String::from_utf8_lossy(&in_backup.stderr)
    );
    assert!(String::from_utf8_lossy(&in_backup.stdout).contains("Alpha"));
    app.close().await;
}
