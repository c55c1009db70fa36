//! The folder backend: the group's files in a local directory that
//! something else keeps in step between machines (Syncthing, a Nextcloud
//! or Dropbox client, a USB stick). Tessera only reads and writes files
//! there (`docs/sync-format.md` §10).
//!
//! Owns: atomic file writes (a temporary `.tessera-tmp-` file, synced, then
//! hard-linked into place for a create or renamed over the old file for a
//! replace, so a syncing tool never ships half a file under the real
//! name), and the content digest that stands in for an `ETag`.
//!
//! Must never: follow a path out of the folder (names are checked), leave
//! a temporary file behind on success, or write through a symbolic link.

use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::backend::{Fetched, Listed, MAX_FILE, Remote, RemoteError, Version};
use super::codec::hex;
use super::crypto;

/// Prefix of temporary files; readers ignore them.
pub const TEMP_PREFIX: &str = ".tessera-tmp-";

/// A folder holding the group's files.
#[derive(Debug, Clone)]
pub struct Folder {
    root: PathBuf,
}

impl Folder {
    /// The folder at `root`, which must exist and be a directory.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, RemoteError> {
        let root = root.into();
        match fs::metadata(&root) {
            Ok(meta) if meta.is_dir() => Ok(Self { root }),
            Ok(_) => Err(RemoteError::Offline {
                what: format!("{} is not a folder", root.display()),
            }),
            Err(e) => Err(io(
                &format!("cannot open the sync folder {}", root.display()),
                e,
            )),
        }
    }

    /// The file for `path`, refusing names that could leave the folder.
    fn file(&self, path: &str) -> Result<PathBuf, RemoteError> {
        let safe = path.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && !part.contains('\\')
                && !part.contains('\0')
        });
        if !safe && !path.is_empty() {
            return Err(RemoteError::Protocol {
                what: format!("unusable remote path {path:?}"),
            });
        }
        Ok(self.root.join(path))
    }

    /// Writes `bytes` to a new temporary file beside `dest` and syncs it.
    fn temporary(&self, dest: &Path, bytes: &[u8]) -> Result<PathBuf, RemoteError> {
        let dir = dest.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir).map_err(|e| io("cannot create a sync folder", e))?;
        let name = format!(
            "{TEMP_PREFIX}{}",
            hex(
                &crypto::random_bytes::<8>().map_err(|_| RemoteError::Protocol {
                    what: "no randomness".into()
                })?[..]
            )
        );
        let tmp = dir.join(name);
        let written = (|| {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(io("cannot write to the sync folder", e));
        }
        Ok(tmp)
    }
}

fn io(what: &str, source: std::io::Error) -> RemoteError {
    match source.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => RemoteError::NoSpace {
            what: what.to_owned(),
        },
        ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem => RemoteError::Denied {
            what: what.to_owned(),
        },
        ErrorKind::NotFound => RemoteError::Offline {
            what: what.to_owned(),
        },
        _ => RemoteError::Io {
            what: what.to_owned(),
            source,
        },
    }
}

fn version_of(bytes: &[u8]) -> Version {
    Version(hex(&crypto::digest(bytes)))
}

fn sync_dir(path: &Path) {
    if let Some(dir) = path.parent()
        && let Ok(dir) = fs::File::open(dir)
    {
        let _ = dir.sync_all();
    }
}

impl Remote for Folder {
    fn describe(&self) -> String {
        format!("folder {}", self.root.display())
    }

    fn list(&self, dir: &str) -> Result<Vec<Listed>, RemoteError> {
        let path = self.file(dir)?;
        let entries = match fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io("cannot list the sync folder", e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io("cannot list the sync folder", e))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let kind = entry
                .file_type()
                .map_err(|e| io("cannot list the sync folder", e))?;
            if kind.is_symlink() {
                continue;
            }
            out.push(Listed {
                name,
                is_dir: kind.is_dir(),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn get(&self, path: &str) -> Result<Option<Fetched>, RemoteError> {
        let file = self.file(path)?;
        match fs::symlink_metadata(&file) {
            Ok(meta) if meta.file_type().is_symlink() || !meta.is_file() => {
                return Err(RemoteError::Protocol {
                    what: format!("{path} is not a plain file"),
                });
            }
            Ok(meta) if meta.len() > MAX_FILE as u64 => {
                return Err(RemoteError::TooLarge {
                    path: path.to_owned(),
                    limit: MAX_FILE,
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io("cannot read the sync folder", e)),
        }
        match fs::read(&file) {
            Ok(bytes) => Ok(Some(Fetched {
                version: version_of(&bytes),
                bytes,
            })),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("cannot read the sync folder", e)),
        }
    }

    fn create(&self, path: &str, bytes: &[u8]) -> Result<(), RemoteError> {
        let dest = self.file(path)?;
        let tmp = self.temporary(&dest, bytes)?;
        let linked = fs::hard_link(&tmp, &dest);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {
                sync_dir(&dest);
                Ok(())
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(RemoteError::AlreadyExists {
                path: path.to_owned(),
            }),
            Err(e) => Err(io("cannot write to the sync folder", e)),
        }
    }

    fn replace(&self, path: &str, bytes: &[u8], expected: &Version) -> Result<(), RemoteError> {
        let dest = self.file(path)?;
        let current = self.get(path)?;
        if current.as_ref().map(|f| &f.version) != Some(expected) {
            return Err(RemoteError::Changed {
                path: path.to_owned(),
            });
        }
        let tmp = self.temporary(&dest, bytes)?;
        fs::rename(&tmp, &dest).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io("cannot write to the sync folder", e)
        })?;
        sync_dir(&dest);
        Ok(())
    }

    fn delete(&self, path: &str) -> Result<(), RemoteError> {
        match fs::remove_file(self.file(path)?) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("cannot remove from the sync folder", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_never_overwrite_and_replaces_need_the_version_read() {
        let dir = tempfile::tempdir().unwrap();
        let folder = Folder::new(dir.path()).unwrap();
        folder.create("devices/a/head", b"one").unwrap();
        assert!(matches!(
            folder.create("devices/a/head", b"two"),
            Err(RemoteError::AlreadyExists { .. })
        ));
        let read = folder.get("devices/a/head").unwrap().unwrap();
        assert_eq!(read.bytes, b"one");
        folder
            .replace("devices/a/head", b"three", &read.version)
            .unwrap();
        assert!(matches!(
            folder.replace("devices/a/head", b"four", &read.version),
            Err(RemoteError::Changed { .. })
        ));
        assert_eq!(
            folder.get("devices/a/head").unwrap().unwrap().bytes,
            b"three"
        );
        let names: Vec<_> = folder
            .list("devices/a")
            .unwrap()
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(names, ["head"], "no temporary file is left");
        assert!(folder.get("missing").unwrap().is_none());
        folder.delete("devices/a/head").unwrap();
        folder.delete("devices/a/head").unwrap();
        assert!(folder.list("nowhere").unwrap().is_empty());
    }

    #[test]
    fn paths_cannot_leave_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let folder = Folder::new(dir.path().join("x").as_path()).err();
        assert!(folder.is_some(), "a missing folder is refused");
        let folder = Folder::new(dir.path()).unwrap();
        for bad in ["../x", "a/../../x", "/etc/passwd", "a//b", "a/./b"] {
            assert!(
                matches!(folder.get(bad), Err(RemoteError::Protocol { .. })),
                "{bad}"
            );
        }
    }
}
