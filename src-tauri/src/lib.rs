//! Tessera: a desktop authenticator and 2FA account manager.
//!
//! `core` holds everything Tessera knows (codes, the vault, QR, import and
//! export, the server client) and never imports Tauri. `ipc` is the thin Tauri
//! layer the web view talks to; `cli` is the command-line front end. Both call
//! the core the same way.

pub mod cli;
pub mod core;
#[cfg(feature = "desktop")]
pub mod ipc;

use std::process::ExitCode;

#[cfg(feature = "desktop")]
mod desktop;
#[cfg(feature = "desktop")]
pub mod file_dialog;
#[cfg(all(feature = "desktop", unix))]
mod single_instance;

#[cfg(feature = "desktop")]
pub use core::session::AppState;
#[cfg(feature = "desktop")]
pub use desktop::{build_app, run_gui};

/// Parses the command line and runs the CLI or the GUI (or, started by the
/// GUI with [`file_dialog::CHILD_ARG`], shows one file dialog).
pub fn main_entry() -> ExitCode {
    #[cfg(feature = "desktop")]
    if std::env::args_os()
        .nth(1)
        .is_some_and(|arg| arg == file_dialog::CHILD_ARG)
    {
        return file_dialog::run_child();
    }
    if std::env::args_os()
        .nth(1)
        .is_some_and(|arg| arg == cli::copy::HOLD_ARG)
    {
        return cli::copy::run_child();
    }
    cli::main_entry()
}
