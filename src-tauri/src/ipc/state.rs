//! What every command can reach: the vault location chosen at start-up.

use std::path::PathBuf;

/// Shared state managed by Tauri for the lifetime of the app.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The vault file this window works on (`--vault`, `TESSERA_VAULT` or the
    /// platform default).
    pub vault_path: PathBuf,
}

impl AppState {
    pub fn new(vault_path: PathBuf) -> Self {
        Self { vault_path }
    }
}
