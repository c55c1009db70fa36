//! Commands about the app itself and where its vault lives.

use std::sync::atomic::{AtomicBool, Ordering};

use tauri::State;

use crate::core::clock::{Clock, SystemClock};

use crate::ipc::{dto::AppInfo, state::AppState};

/// The app's name, version and vault location.
#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        name: "Tessera".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        vault_path: state.vault_path.display().to_string(),
        vault_exists: state.vault_path.is_file(),
    }
}

/// The environment variable that turns the start-up probe on
/// (`make bench-startup`).
pub const STARTUP_PROBE_ENV: &str = "TESSERA_STARTUP_PROBE";

/// Called by the web view once, when the first live code has been painted.
/// With `TESSERA_STARTUP_PROBE=1` the first call prints
/// `tessera-startup-probe first-code-unix-ms=<wall clock ms>` on standard
/// output, for the benchmark script to subtract its own launch time from;
/// otherwise it does nothing.
#[tauri::command]
#[specta::specta]
pub fn report_first_code() {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if std::env::var_os(STARTUP_PROBE_ENV).is_some_and(|value| value == "1")
        && !REPORTED.swap(true, Ordering::SeqCst)
    {
        let now = SystemClock.now().unix_millis();
        println!("tessera-startup-probe first-code-unix-ms={now}");
        // The benchmark reads this line from a pipe.
        let _ = std::io::Write::flush(&mut std::io::stdout());
    }
}
