//! Runs tauri-build: embeds `tauri.conf.json`, generates the per-command
//! permissions of Tessera's own commands and reads the capabilities folder.

/// Tessera's commands, the list `ipc::commands::COMMAND_NAMES` also
/// includes: each gets an `allow-<command>` permission.
#[cfg(feature = "desktop")]
const COMMANDS: &[&str] = include!("command_names.in");

#[cfg(feature = "desktop")]
fn main() {
    // tauri-build names only tauri.conf.json, so cargo would otherwise
    // keep a stale permission set after a capability file changes.
    println!("cargo:rerun-if-changed=src-tauri/capabilities");
    println!("cargo:rerun-if-changed=src-tauri/command_names.in");
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}

/// Without the desktop app there is nothing for tauri-build to do.
#[cfg(not(feature = "desktop"))]
fn main() {}
