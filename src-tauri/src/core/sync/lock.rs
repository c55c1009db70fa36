//! [`SyncLock`]: one sync at a time per vault on this machine, whichever
//! process runs it (the window, the CLI): an advisory `flock` on a file
//! beside the vault, `.<vault name>.sync-lock`, never on the vault's own
//! files (closing a descriptor of those would drop `SQLite`'s locks).
//!
//! Must never: wait long (a second sync is told another one runs, after
//! [`PATIENCE`]: a child process this one forks holds a copy of the lock
//! until it execs, so a lock just released can look held for a moment),
//! or open the vault file, its `-wal` or its `-shm`.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use super::error::{Result, SyncError};

/// How long a sync waits for the lock before saying another one runs.
pub const PATIENCE: Duration = Duration::from_secs(2);

/// Held while a sync runs; released on drop.
#[derive(Debug)]
pub struct SyncLock {
    _file: File,
}

impl SyncLock {
    /// Takes the lock of the vault at `vault`; `Busy` if another sync
    /// holds it.
    pub fn acquire(vault: &Path) -> Result<Self> {
        let name = vault
            .file_name()
            .map(|n| format!(".{}.sync-lock", n.to_string_lossy()))
            .ok_or_else(|| SyncError::invalid("the vault path has no file name"))?;
        let path = vault.with_file_name(name);
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path).map_err(|source| SyncError::Io {
            what: format!("cannot open the sync lock {}", path.display()),
            source,
        })?;
        let started = Instant::now();
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Self { _file: file }),
                Err(TryLockError::WouldBlock) if started.elapsed() < PATIENCE => {
                    std::thread::sleep(Duration::from_millis(25));
                }
                Err(TryLockError::WouldBlock) => return Err(SyncError::Busy),
                Err(TryLockError::Error(source)) => {
                    return Err(SyncError::Io {
                        what: format!("cannot lock {}", path.display()),
                        source,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_sync_of_the_same_vault_is_told_one_runs() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("v.tessera");
        let held = SyncLock::acquire(&vault).unwrap();
        assert!(matches!(SyncLock::acquire(&vault), Err(SyncError::Busy)));
        drop(held);
        SyncLock::acquire(&vault).unwrap();
        assert!(!vault.exists(), "the vault file itself is never touched");
    }
}
