//! Tessera: a desktop authenticator and 2FA account manager.
//!
//! `core` holds everything Tessera knows (codes, the vault, QR, import and
//! export, the server client) and never imports Tauri. `ipc` is the thin Tauri
//! layer the web view talks to; `cli` is the command-line front end. Both call
//! the core the same way.

pub mod cli;
pub mod core;
pub mod ipc;

use std::process::ExitCode;

use tauri::{Builder, Runtime};

pub use ipc::state::AppState;

/// Parses the command line and runs the CLI or the GUI.
pub fn main_entry() -> ExitCode {
    cli::main_entry()
}

/// Registers Tessera's commands, state and plugins on a Tauri builder.
///
/// Generic over the runtime so tests can pass `tauri::test::mock_builder()`.
pub fn build_app<R: Runtime>(builder: Builder<R>, state: AppState) -> Builder<R> {
    let commands = ipc::commands::specta_builder::<R>();
    builder
        .manage(state)
        .invoke_handler(commands.invoke_handler())
        .setup(move |app| {
            commands.mount_events(app);
            Ok(())
        })
}

/// Opens the desktop window on the vault at `state.vault_path`.
///
/// # Errors
/// Returns the Tauri error when the window or the web view cannot start.
pub fn run_gui(state: AppState) -> Result<(), tauri::Error> {
    build_app(tauri::Builder::default(), state).run(tauri::generate_context!())
}
