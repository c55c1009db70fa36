//! Reading a file the user named: an export to import, a picture to scan.
//!
//! Owns: the checks made before such a file is opened: it is not a vault
//! this process has open (see [`crate::core::vault::open_files`]: opening
//! and closing it would drop `SQLite`'s locks and lose later writes), and it
//! is not larger than the caller's limit. Errors name the file.
//!
//! Must never: open a file of an open vault, or read more than the limit.

use std::io::Read;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::core::vault::open_files::open_vault_holding;

/// Why a file the user named could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UserFileError {
    /// The file is the open vault (or its `-wal`/`-shm`).
    #[error(
        "{} is the vault Tessera has open (or one of its journal files); to bring in \
         another copy of a vault, use a backup (Settings → Back up now, or `tessera export \
         --format tessera`)",
        path.display()
    )]
    OpenVault { path: PathBuf },
    /// The file is larger than the limit.
    #[error("{} is larger than {limit_mib} MiB; {what}", path.display())]
    TooLarge {
        path: PathBuf,
        limit_mib: u64,
        what: &'static str,
    },
    /// The file system refused.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a limit is for, said when a file is over it.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Most bytes read.
    pub bytes: u64,
    /// The end of the message when the file is larger, e.g. "that is not
    /// an authenticator export".
    pub what: &'static str,
}

/// Reads the whole file at `path`, at most `limit.bytes`, into memory that
/// is zeroed when dropped.
///
/// # Errors
/// `OpenVault` for a file of a vault this process has open (checked with
/// `stat`, before any `open`), `TooLarge`, or `Io`.
pub fn read(path: &Path, limit: Limit) -> Result<Zeroizing<Vec<u8>>, UserFileError> {
    if let Some(vault) = open_vault_holding(path) {
        tracing::warn!(vault = %vault.display(), "refused to read an open vault's file as input");
        return Err(UserFileError::OpenVault {
            path: path.to_owned(),
        });
    }
    let io = |source| UserFileError::Io {
        path: path.to_owned(),
        source,
    };
    let too_large = || UserFileError::TooLarge {
        path: path.to_owned(),
        limit_mib: limit.bytes.div_ceil(1024 * 1024),
        what: limit.what,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let length = file.metadata().map_err(io)?.len();
    if length > limit.bytes {
        return Err(too_large());
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(usize::try_from(length).unwrap_or(0)));
    file.take(limit.bytes.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit.bytes {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::core::clock::FixedClock;
    use crate::core::secret::SecretString;
    use crate::core::vault::{KdfParams, Vault};

    const LIMIT: Limit = Limit {
        bytes: 16,
        what: "too big for this test",
    };

    #[test]
    fn reads_a_file_within_the_limit_and_names_a_file_over_it() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small.txt");
        std::fs::write(&small, b"0123456789abcdef").unwrap();
        assert_eq!(read(&small, LIMIT).unwrap().as_slice(), b"0123456789abcdef");

        let large = dir.path().join("large.txt");
        std::fs::write(&large, [0u8; 17]).unwrap();
        let error = read(&large, LIMIT).unwrap_err();
        assert!(matches!(error, UserFileError::TooLarge { .. }));
        assert!(
            error.to_string().contains("large.txt is larger than 1 MiB"),
            "{error}"
        );

        let missing = read(&dir.path().join("missing.txt"), LIMIT).unwrap_err();
        assert!(missing.to_string().starts_with("cannot read "), "{missing}");
        assert!(missing.to_string().contains("missing.txt"), "{missing}");
    }

    #[test]
    fn an_open_vault_and_its_journal_files_are_refused_as_input() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("open.tessera");
        let clock = Arc::new(FixedClock::at_unix_seconds(1_700_000_000));
        let vault = Vault::create(
            &path,
            &SecretString::from("pw"),
            KdfParams::new(64, 2, 1).unwrap(),
            clock,
        )
        .unwrap();
        let generous = Limit {
            bytes: 1 << 20,
            what: "",
        };
        for name in ["open.tessera", "open.tessera-wal", "open.tessera-shm"] {
            let file = dir.path().join(name);
            assert!(file.exists(), "{name}");
            let error = read(&file, generous).unwrap_err();
            assert!(
                matches!(error, UserFileError::OpenVault { .. }),
                "{name}: {error}"
            );
        }
        drop(vault);
        assert!(read(&path, generous).is_ok());
    }
}
