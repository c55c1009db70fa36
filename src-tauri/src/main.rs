//! The `tessera` executable: no subcommand opens the desktop app, a
//! subcommand runs the command-line front end on the same vault.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() -> std::process::ExitCode {
    tessera::main_entry()
}
