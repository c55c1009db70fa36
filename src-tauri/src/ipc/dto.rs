//! Shapes sent to the web view. TypeScript types are generated from these;
//! none of them carries secret material.

use serde::Serialize;
use specta::Type;

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
}
