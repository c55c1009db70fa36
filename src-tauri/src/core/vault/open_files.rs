//! Which vault files this process has open through `SQLite`, so that nothing
//! else in the process opens them.
//!
//! On POSIX, closing any descriptor of a file drops every `fcntl` lock the
//! process holds on that file. `SQLite`'s locks on the vault, its `-wal` and
//! its `-shm` are what tell another process (the CLI beside the window) that
//! this process still uses the write-ahead log; without them that process
//! checkpoints and deletes the log when it closes, and every later write of
//! this process goes to a deleted file and is lost. So a file the user names
//! (an import, a picture, a password file) is checked here, by `stat` alone,
//! before it is opened.
//!
//! Owns: the list of open vault paths (one per [`Registration`], so two
//! handles on one file count twice) and the inode comparison.
//!
//! Must never: open a file (only `stat` it), or hold a lock while calling
//! out.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

static OPEN_VAULTS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn open_vaults() -> MutexGuard<'static, Vec<PathBuf>> {
    OPEN_VAULTS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Holds a vault path in the list while a connection to it is open.
#[derive(Debug)]
pub struct Registration {
    path: PathBuf,
}

impl Registration {
    /// Adds `path` to the list until the registration is dropped.
    pub fn new(path: &Path) -> Self {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        open_vaults().push(path.clone());
        Self { path }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut list = open_vaults();
        if let Some(at) = list.iter().position(|p| *p == self.path) {
            list.swap_remove(at);
        }
    }
}

/// The open vault whose file, `-wal` or `-shm` is `path` (the same file,
/// through any name: a hard link, a symlink, a relative path), if any.
pub fn open_vault_holding(path: &Path) -> Option<PathBuf> {
    let target = identity(path)?;
    let vaults = open_vaults().clone();
    vaults.into_iter().find(|vault| {
        [None, Some("-wal"), Some("-shm")]
            .into_iter()
            .any(|suffix| {
                let mut name = vault.as_os_str().to_owned();
                if let Some(suffix) = suffix {
                    name.push(suffix);
                }
                identity(Path::new(&name)) == Some(target)
            })
    })
}

/// The device and inode of the file `path` names (`stat`, following
/// symlinks); `None` if there is none.
#[cfg(unix)]
fn identity(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Without inodes, the canonical path stands in for the file's identity.
#[cfg(not(unix))]
fn identity(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_registered_vault_and_its_journal_files_are_recognised_by_any_name() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("v.tessera");
        let wal = dir.path().join("v.tessera-wal");
        let other = dir.path().join("other.tessera");
        for file in [&vault, &wal, &other] {
            std::fs::write(file, b"x").unwrap();
        }
        let link = dir.path().join("link");
        let hard = dir.path().join("hard");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&vault, &link).unwrap();
        std::fs::hard_link(&wal, &hard).unwrap();

        assert_eq!(open_vault_holding(&vault), None);
        let registration = Registration::new(&vault);
        let second = Registration::new(&vault);
        let canonical = std::fs::canonicalize(&vault).unwrap();
        assert_eq!(open_vault_holding(&vault), Some(canonical.clone()));
        assert_eq!(open_vault_holding(&wal), Some(canonical.clone()));
        assert_eq!(open_vault_holding(&hard), Some(canonical.clone()));
        #[cfg(unix)]
        assert_eq!(open_vault_holding(&link), Some(canonical.clone()));
        assert_eq!(open_vault_holding(&other), None);
        assert_eq!(open_vault_holding(&dir.path().join("missing")), None);

        drop(registration);
        assert_eq!(open_vault_holding(&vault), Some(canonical));
        drop(second);
        assert_eq!(open_vault_holding(&vault), None);
    }
}
