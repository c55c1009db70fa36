//! Runs tauri-build: embeds `tauri.conf.json`, generates the per-command
//! permissions of Tessera's own commands and reads the capabilities folder.

fn main() {
    let attributes = tauri_build::Attributes::new()
        .capabilities_path_pattern("./src-tauri/capabilities/**/*")
        .app_manifest(tauri_build::AppManifest::new().commands(&["app_info"]));
    if let Err(error) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {error:#}");
    }
}
