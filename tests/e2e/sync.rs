//! Settings › Sync in the real window: it starts a group through a folder,
//! shows a pairing code that another vault (the CLI, with its own HOME)
//! joins with while the window waits, brings that vault's account in with
//! "Sync now", and sends an account added in the window by itself.

use std::process::Command;
use std::time::{Duration, Instant};

use super::accounts::{add_by_uri, wait_rows};
use super::session::AppSession;
use crate::support::cli::{CliVault, expect_success};

const ALPHA: &str = "otpauth://totp/Alpha:desk?secret=JBSWY3DPEHPK3PXP&issuer=Alpha";
const BRAVO: &str = "otpauth://totp/Bravo:laptop?secret=KRSXG5CTMVRXEZLU&issuer=Bravo";
const CHARLIE: &str = "otpauth://totp/Charlie:window?secret=GEZDGNBVGY3TQOJQ&issuer=Charlie";

fn laptop_command(laptop: &CliVault, args: &[&str]) -> Command {
    let mut command = laptop.command(args);
    command
        .env("HOME", laptop.dir.path())
        .env_remove("TESSERA_SYNC_CODE");
    command
}

fn on_laptop(laptop: &CliVault, args: &[&str]) -> String {
    expect_success(&laptop_command(laptop, args).output().unwrap(), args)
}

#[tokio::test]
async fn the_window_pairs_with_another_vault_and_syncs_both_ways() {
    let app = AppSession::start_unlocked().await;
    let remote = tempfile::tempdir().unwrap();
    let folder = remote.path().to_str().unwrap().to_owned();
    app.cli(&["add", ALPHA]);
    wait_rows(&app, 1).await;

    app.click("nav-settings").await;
    app.type_into("sync-folder", &folder).await;
    app.type_into("sync-device-name", "desk").await;
    app.click("sync-start").await;
    let remote_shown = app.content_of("sync-remote").await;
    assert!(remote_shown.contains(&folder), "{remote_shown}");

    app.click("sync-pair").await;
    let code = app.content_of("sync-pairing-code").await;
    assert!(code.starts_with("TSYNC1-"), "{code}");
    let laptop = CliVault::init();
    let joining = {
        let mut command = laptop_command(
            &laptop,
            &[
                "sync", "join", "--folder", &folder, "--name", "laptop", "--wait", "90",
            ],
        );
        command.env("TESSERA_SYNC_CODE", &code);
        tokio::task::spawn_blocking(move || command.output().unwrap())
    };
    let joined = app.content_of("sync-joined").await;
    assert_eq!(joined, "laptop joined the group.");
    let joined = joining.await.unwrap();
    expect_success(&joined, &["sync", "join"]);
    assert!(on_laptop(&laptop, &["list"]).contains("Alpha"));
    assert_eq!(app.count("sync-device").await, 2);
    app.screenshot("sync-settings.png").await;

    // The laptop's account comes in with "Sync now".
    on_laptop(&laptop, &["add", BRAVO]);
    on_laptop(&laptop, &["sync", "now"]);
    app.click("sync-now").await;
    app.click("nav-accounts").await;
    wait_rows(&app, 2).await;

    // An account added in the window goes up by itself a moment later.
    add_by_uri(&app, CHARLIE).await;
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        on_laptop(&laptop, &["sync", "now"]);
        if on_laptop(&laptop, &["list"]).contains("Charlie") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the window's account never reached the laptop"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    app.close().await;
}
