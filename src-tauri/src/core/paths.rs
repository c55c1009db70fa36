//! Where Tessera keeps its files: the default vault location in the
//! platform's data directory. Overrides (`--vault`, `TESSERA_VAULT`) are
//! resolved by the front ends and passed in as plain paths.

use std::path::PathBuf;

/// File name of the vault inside the data directory.
pub const VAULT_FILE_NAME: &str = "vault.tessera";

/// The platform data directory for Tessera (`~/.local/share/tessera` on
/// Linux, `~/Library/Application Support/app.tessera.Tessera` on macOS,
/// `%APPDATA%\tessera\Tessera\data` on Windows).
///
/// Returns `None` when the platform reports no home directory.
pub fn data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("app", "tessera", "Tessera")
        .map(|dirs| dirs.data_dir().to_path_buf())
}

/// The vault used when neither `--vault` nor `TESSERA_VAULT` is given.
pub fn default_vault_path() -> Option<PathBuf> {
    data_dir().map(|dir| dir.join(VAULT_FILE_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_vault_lives_in_the_data_dir() {
        let path = default_vault_path().expect("a home directory in tests");
        assert_eq!(
            path.file_name().and_then(|n| n.to_str()),
            Some(VAULT_FILE_NAME)
        );
        assert_eq!(path.parent(), data_dir().as_deref());
    }
}
