//! Commands about the app itself and where its vault lives.

use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::{AppHandle, Runtime, State};

use crate::core::clock::{Clock, SystemClock};
use crate::core::session::AppState;
use crate::ipc::tray;

/// The app's identity and the vault it works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    /// The vault file location, as the user would type it.
    pub vault_path: String,
    /// Whether a vault file exists there yet (false on first run).
    pub vault_exists: bool,
    /// Whether the desktop shows Tessera's tray icon (without one, closing
    /// the window quits).
    pub tray_available: bool,
    /// Whether `TESSERA_LOG` sets the log level (the setting then waits
    /// until it is unset).
    pub log_level_fixed: bool,
}

/// The first screen the web view painted (`report_first_screen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Type)]
#[serde(rename_all = "camelCase")]
pub enum FirstScreen {
    /// The accounts list with its live codes.
    LiveCodes,
    /// The unlock, first-run or "cannot open the vault" screen.
    Gate,
}

/// The app's name, version and vault location.
#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        name: "Tessera".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        vault_path: state.vault_path.display().to_string(),
        vault_exists: state.vault_path.is_file(),
        tray_available: tray::is_shown(&state),
        log_level_fixed: crate::core::logging::level_override().is_some(),
    }
}

/// Puts the diagnostics text on the clipboard (versions, platform, the web
/// view's user agent, where the vault and the log are; nothing secret) and
/// returns it, for the user to see what a bug report would carry.
#[tauri::command]
#[specta::specta]
pub fn copy_diagnostics<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    user_agent: String,
) -> Result<String, crate::ipc::error::IpcError> {
    use tauri_plugin_clipboard_manager::ClipboardExt;

    let user_agent: String = user_agent
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    let text = crate::core::logging::diagnostics(&state.vault_path, &[("web view", user_agent)]);
    app.clipboard().write_text(text.clone()).map_err(|e| {
        crate::ipc::error::IpcError::internal(format!("could not write the clipboard: {e}"))
    })?;
    Ok(text)
}

/// A crash report of an earlier run, redacted (`core::crash`), to offer.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CrashReportView {
    /// Its file name, for `dismiss_crash_report`.
    pub file_name: String,
    /// Where it is, for the user to attach to a bug report.
    pub path: String,
    pub text: String,
}

/// The newest crash report not yet offered, if an earlier run crashed.
#[tauri::command]
#[specta::specta]
pub fn pending_crash_report() -> Option<CrashReportView> {
    let dir = crate::core::logging::log_dir()?;
    let report = crate::core::crash::pending(&dir)?;
    Some(CrashReportView {
        path: dir.join(&report.file_name).display().to_string(),
        file_name: report.file_name,
        text: report.text,
    })
}

/// Marks a crash report offered: the next start does not offer it again
/// (the file stays).
#[tauri::command]
#[specta::specta]
pub fn dismiss_crash_report(file_name: String) -> Result<(), crate::ipc::error::IpcError> {
    let dir = crate::core::logging::log_dir().ok_or_else(|| {
        crate::ipc::error::IpcError::internal("no log folder (no home directory)")
    })?;
    crate::core::crash::dismiss(&dir, &file_name).map_err(|error| {
        crate::ipc::error::IpcError::invalid(format!(
            "the crash report cannot be dismissed: {error}"
        ))
    })
}

/// The environment variable that turns the start-up probe on
/// (`make bench-startup`).
pub const STARTUP_PROBE_ENV: &str = "TESSERA_STARTUP_PROBE";

/// Called by the web view when it has painted a screen the user can act
/// on: the first live codes, or the unlock / first-run / unavailable gate.
///
/// The first call (of either kind) registers the global shortcut, which is
/// kept out of start-up (see [`tray::register_shortcut_reporting`]). With
/// `TESSERA_STARTUP_PROBE=1` the first `LiveCodes` call prints
/// `tessera-startup-probe first-code-unix-ms=<wall clock ms>` on standard
/// output, for the benchmark script to subtract its own launch time from.
#[tauri::command]
#[specta::specta]
pub fn report_first_screen<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    screen: FirstScreen,
) {
    static PROBED: AtomicBool = AtomicBool::new(false);
    if screen == FirstScreen::LiveCodes
        && std::env::var_os(STARTUP_PROBE_ENV).is_some_and(|value| value == "1")
        && !PROBED.swap(true, Ordering::SeqCst)
    {
        let now = SystemClock.now().unix_millis();
        println!("tessera-startup-probe first-code-unix-ms={now}");
        // The benchmark reads this line from a pipe.
        let _ = std::io::Write::flush(&mut std::io::stdout());
    }
    if !state.shortcut_registered.swap(true, Ordering::SeqCst) {
        // Registering waits on the main thread; this command must not.
        std::thread::spawn(move || tray::register_shortcut_reporting(&app));
    }
}
