//! Commands about the app itself and where its vault lives.

use tauri::State;

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
