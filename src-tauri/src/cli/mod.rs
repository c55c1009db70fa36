//! The command-line front end (clap). With no subcommand it opens the GUI;
//! with one it works on the same vault through the core, printing results on
//! stdout and one line naming the problem on stderr.

mod args;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command};

use crate::{AppState, core};

/// Parses `std::env::args` and runs what they ask for.
pub fn main_entry() -> ExitCode {
    let cli = Cli::parse();
    let vault_path = match resolve_vault_path(cli.vault.clone()) {
        Ok(path) => path,
        Err(message) => return fail(&message),
    };
    match cli.command {
        None => open_gui(vault_path),
        Some(Command::Info) => print_info(&vault_path),
    }
}

/// `--vault` / `TESSERA_VAULT` if given (clap merges both), else the default.
fn resolve_vault_path(explicit: Option<PathBuf>) -> Result<PathBuf, String> {
    explicit
        .or_else(core::paths::default_vault_path)
        .ok_or_else(|| {
            "no home directory to put the vault in; pass --vault PATH or set TESSERA_VAULT"
                .to_owned()
        })
}

fn open_gui(vault_path: PathBuf) -> ExitCode {
    if let Some(message) = missing_display_message() {
        return fail(&message);
    }
    match crate::run_gui(AppState::new(vault_path)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&format!("could not open the window: {error}")),
    }
}

/// On Linux and the BSDs GTK needs a display; say how to get one instead of
/// letting GTK panic.
fn missing_display_message() -> Option<String> {
    if !cfg!(any(
        target_os = "linux",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd"
    )) {
        return None;
    }
    let has = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    if has("DISPLAY") || has("WAYLAND_DISPLAY") {
        return None;
    }
    Some(
        "no display: DISPLAY and WAYLAND_DISPLAY are unset. Run Tessera inside a desktop session, \
         or under a virtual X server: `xvfb-run -a tessera` (Debian package xvfb), or `make run-xvfb`. \
         Command-line use needs no display: `tessera --help`."
            .to_owned(),
    )
}

fn print_info(vault_path: &std::path::Path) -> ExitCode {
    let state = if vault_path.is_file() {
        "exists"
    } else {
        "not created yet"
    };
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "tessera {}", env!("CARGO_PKG_VERSION"))
        .and_then(|()| writeln!(out, "vault: {} ({state})", vault_path.display()));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&format!("could not write to stdout: {error}")),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("tessera: {message}");
    ExitCode::FAILURE
}
