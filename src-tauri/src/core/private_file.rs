//! [`write_new`]: the one way Tessera writes a file that holds secrets in
//! clear or sealed (exports, backups, account QR pictures, the temporary
//! copy of an imported backup).
//!
//! The file is created, never replaced: the bytes go to a new temporary
//! sibling (`NAME.partial-RANDOM`, mode 0600 on Unix, opened with
//! `create_new`), are fsync'd, and the sibling is hard-linked to the final
//! name, which fails if anything at all is there (a file, a directory, a
//! symbolic link even when it dangles: `link` never follows its new path).
//! On a file system without hard links (FAT, exFAT) the final name is
//! claimed with an exclusive create instead and the sibling renamed over
//! the empty claim (`place`). The parent directory is fsync'd afterwards
//! (best effort). A crash leaves at most a `.partial-` file (or, without
//! hard links, an empty file), never a half-written file under the final
//! name, so a file found under that name with content is complete.
//!
//! Must never: overwrite or truncate an existing file, follow a symbolic
//! link, create a file readable by other users, or put the bytes into an
//! error.

use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why [`write_new`] wrote nothing.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PrivateFileError {
    /// Something is already at the path; it was left alone.
    #[error("{path} already exists; Tessera never overwrites a file", path = path.display())]
    AlreadyExists { path: PathBuf },
    /// The path is a symbolic link (it may point nowhere); it was left alone.
    #[error("{path} is a symbolic link; Tessera writes secrets only to a new, real file", path = path.display())]
    Symlink { path: PathBuf },
    /// The operating system refused (no such directory, no permission, disk full, ...).
    #[error("cannot write {path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl PrivateFileError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            Self::AlreadyExists { path } | Self::Symlink { path } | Self::Io { path, .. } => path,
        }
    }

    /// The error as an [`std::io::Error`] of the matching kind
    /// (`AlreadyExists` for an existing path or a symbolic link), with this
    /// error's message, for callers whose errors carry an `io::Error`.
    pub fn into_io(self) -> std::io::Error {
        match self {
            Self::Io { source, .. } => source,
            other => std::io::Error::new(std::io::ErrorKind::AlreadyExists, other.to_string()),
        }
    }
}

/// Writes `bytes` to the new file `path`, readable by its owner only; see
/// the module documentation for how.
///
/// # Errors
///
/// `AlreadyExists` when anything is at `path`, `Symlink` when `path` is a
/// symbolic link, `Io` when the file could not be written (nothing is left
/// under `path` then, and the temporary sibling is removed).
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), PrivateFileError> {
    refuse_existing(path)?;
    let io = |at: &Path| {
        let at = at.to_owned();
        move |source| PrivateFileError::Io { path: at, source }
    };
    let tmp = partial_sibling(path).map_err(io(path))?;
    let written = create_private(&tmp)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .map_err(io(&tmp));
    let linked = written.and_then(|()| place(&tmp, path, |from, to| std::fs::hard_link(from, to)));
    let _ = std::fs::remove_file(&tmp);
    linked?;
    sync_parent(path);
    Ok(())
}

/// Puts the complete file `tmp` at `path` unless something is there, with
/// `link` (a hard link, which fails if anything is at `path`).
///
/// A file system without hard links (FAT and exFAT, as on most USB sticks,
/// some network file systems) refuses the link with another error; then the
/// name is claimed with an exclusive create (which fails if anything is
/// there, a dangling symbolic link included) and `tmp` renamed over that
/// empty claim. A crash in between leaves an empty file under `path`, never
/// a half-written one.
fn place(
    tmp: &Path,
    path: &Path,
    link: impl FnOnce(&Path, &Path) -> std::io::Result<()>,
) -> Result<(), PrivateFileError> {
    let refused = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            existing(path)
        } else {
            PrivateFileError::Io {
                path: path.to_owned(),
                source,
            }
        }
    };
    match link(tmp, path) {
        Ok(()) => Ok(()),
        Err(source) if source.kind() == std::io::ErrorKind::AlreadyExists => Err(refused(source)),
        Err(_) => {
            create_private(path).map_err(refused)?;
            std::fs::rename(tmp, path).map_err(|source| {
                let _ = std::fs::remove_file(path);
                refused(source)
            })
        }
    }
}

/// `Symlink` or `AlreadyExists` when something is at `path` now. The link
/// in [`write_new`] refuses it anyway; this names a symbolic link as one.
fn refuse_existing(path: &Path) -> Result<(), PrivateFileError> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => Err(existing(path)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(PrivateFileError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// The error for something found at `path`.
fn existing(path: &Path) -> PrivateFileError {
    let is_symlink = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_symlink {
        PrivateFileError::Symlink {
            path: path.to_owned(),
        }
    } else {
        PrivateFileError::AlreadyExists {
            path: path.to_owned(),
        }
    }
}

/// `PATH.partial-` and 12 random hex digits.
fn partial_sibling(path: &Path) -> std::io::Result<PathBuf> {
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix)
        .map_err(|_| std::io::Error::other("no randomness from the operating system"))?;
    let mut name = path.as_os_str().to_owned();
    name.push(".partial-");
    name.push(data_encoding::HEXLOWER.encode(&suffix));
    Ok(PathBuf::from(name))
}

/// A new file at `path`, mode 0600 on Unix; fails if anything is there.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Makes the new directory entry durable. Best effort: some systems
/// cannot open a directory for syncing.
fn sync_parent(path: &Path) {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if let Ok(dir) = std::fs::File::open(parent) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::{PrivateFileError, write_new};

    fn leftovers(dir: &std::path::Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains(".partial-"))
            .collect()
    }

    /// `path` holds `seed`, only its owner may read it, and no temporary
    /// sibling is left beside it.
    fn assert_complete_and_private(path: &std::path::Path) {
        assert_eq!(std::fs::read(path).unwrap(), b"seed");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(leftovers(path.parent().unwrap()).is_empty());
    }

    #[test]
    fn writes_a_new_owner_only_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.txt");
        write_new(&path, b"seed").unwrap();
        assert_complete_and_private(&path);
    }

    #[test]
    fn never_overwrites_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kept.txt");
        std::fs::write(&path, b"keep me").unwrap();
        let error = write_new(&path, b"seed").unwrap_err();
        assert!(
            matches!(&error, PrivateFileError::AlreadyExists { path: p } if *p == path),
            "{error:?}"
        );
        assert!(error.to_string().contains("kept.txt"), "{error}");
        assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn refuses_symlinks_dangling_or_not() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        std::fs::write(&target, b"keep me").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let dangling = dir.path().join("dangling.txt");
        std::os::unix::fs::symlink(dir.path().join("nowhere.txt"), &dangling).unwrap();
        for path in [&link, &dangling] {
            let error = write_new(path, b"seed").unwrap_err();
            assert!(
                matches!(error, PrivateFileError::Symlink { .. }),
                "{error:?}"
            );
            assert!(error.to_string().contains("symbolic link"), "{error}");
        }
        assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
        assert!(!dir.path().join("nowhere.txt").exists());
        assert!(leftovers(dir.path()).is_empty());
    }

    #[test]
    fn a_missing_directory_is_an_io_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("no such dir").join("out.txt");
        let error = write_new(&path, b"seed").unwrap_err();
        assert!(matches!(error, PrivateFileError::Io { .. }), "{error:?}");
        assert!(error.to_string().contains("no such dir"), "{error}");
        assert!(!error.to_string().contains("seed"));
    }

    /// The link of a file system without hard links (FAT answers EPERM).
    fn no_hard_links(_: &std::path::Path, _: &std::path::Path) -> std::io::Result<()> {
        Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
    }

    /// A complete temporary file in `dir`, as `write_new` leaves it before
    /// placing it.
    fn complete_tmp(dir: &std::path::Path) -> std::path::PathBuf {
        let tmp = dir.join("out.txt.partial-test");
        let mut file = super::create_private(&tmp).unwrap();
        std::io::Write::write_all(&mut file, b"seed").unwrap();
        tmp
    }

    #[test]
    fn without_hard_links_the_complete_file_is_renamed_into_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        super::place(&complete_tmp(dir.path()), &path, no_hard_links).unwrap();
        assert_complete_and_private(&path);
    }

    #[test]
    fn without_hard_links_an_existing_file_is_still_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, b"keep me").unwrap();
        let error = super::place(&complete_tmp(dir.path()), &path, no_hard_links).unwrap_err();
        assert!(
            matches!(error, PrivateFileError::AlreadyExists { .. }),
            "{error:?}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
    }

    #[cfg(unix)]
    #[test]
    fn without_hard_links_a_dangling_symlink_is_still_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let missing = dir.path().join("nowhere.txt");
        std::os::unix::fs::symlink(&missing, &path).unwrap();
        let error = super::place(&complete_tmp(dir.path()), &path, no_hard_links).unwrap_err();
        assert!(
            matches!(error, PrivateFileError::Symlink { .. }),
            "{error:?}"
        );
        assert!(!missing.exists());
    }

    #[test]
    fn into_io_keeps_the_kind() {
        let error = PrivateFileError::AlreadyExists { path: "x".into() };
        assert_eq!(error.into_io().kind(), std::io::ErrorKind::AlreadyExists);
    }
}
