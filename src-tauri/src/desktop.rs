//! The desktop app: Tauri's builder with Tessera's commands, state, plugins,
//! tray and idle timer.

use std::time::{Duration, Instant};

use tauri::{Builder, Manager, Runtime};
use tauri_specta::Event;

use crate::ipc::{self, state::AppState};

/// How often the idle timer looks at the last activity.
const IDLE_CHECK: Duration = Duration::from_secs(5);

/// Registers Tessera's commands, state and plugins on a Tauri builder.
///
/// Generic over the runtime so tests can pass `tauri::test::mock_builder()`.
pub fn build_app<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    let commands = ipc::commands::specta_builder::<R>();
    let instance_id = ipc::state::instance_id(&state.vault_path);
    builder
        // First, so a second start on the same vault only raises this window.
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance_id)
                .callback(|app, _args, _cwd| ipc::tray::show_main(app))
                .build(),
        )
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(ipc::tray::shortcut_plugin())
        .manage(state)
        .invoke_handler(commands.invoke_handler())
        .setup(move |app| {
            commands.mount_events(app);
            start_idle_timer(app.handle().clone());
            if let Err(error) = ipc::tray::install(app) {
                // The app works without a tray (desktops without one exist).
                eprintln!("tessera: no tray icon: {error}");
            }
            if let Err(error) = ipc::tray::register_shortcut(app) {
                // Another program (or another Tessera window) may hold it.
                eprintln!(
                    "tessera: the shortcut {} is not available: {error}",
                    ipc::tray::PALETTE_SHORTCUT
                );
            }
            Ok(())
        })
}

/// Locks the vault after the auto-lock time without input, and tells the
/// web view (`vault-locked`).
fn start_idle_timer<R: Runtime>(app: tauri::AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(IDLE_CHECK).await;
            if app.state::<AppState>().lock_if_idle(Instant::now()) {
                // Nothing to do if the window is gone.
                let _ = ipc::events::VaultLocked.emit(&app);
            }
        }
    });
}

/// Opens the desktop window on the vault at `state.vault_path`.
///
/// # Errors
/// Returns the Tauri error when the window or the web view cannot start.
pub fn run_gui(state: AppState) -> Result<(), tauri::Error> {
    build_app(tauri::Builder::default(), state).run(tauri::generate_context!())
}
