//! Tessera's own backup: a consistent snapshot of the vault
//! ([`Vault::snapshot`]), itself an encrypted vault opened with the
//! password it had when the backup was made. Exporting copies the vault;
//! importing opens the copy read-only and hands back its entries (tags,
//! favourite, note and icon included).
//!
//! Must never: modify the backup being imported; leave the temporary copy
//! of an imported backup behind; put the password into an error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{ExportError, Format, ImportError, ImportedItem, Importer, Parsed, random_bytes};
use crate::core::clock::SystemClock;
use crate::core::private_file;
use crate::core::secret::SecretString;
use crate::core::vault::{Vault, VaultError};

/// Importer for [`Format::TesseraBackup`].
pub struct TesseraBackup;

const FORMAT: Format = Format::TesseraBackup;

impl Importer for TesseraBackup {
    const FORMAT: Format = FORMAT;

    /// Writes `bytes` to a private temporary file (`SQLite` needs a file),
    /// reads it with [`import_path`], and removes it.
    fn import(bytes: &[u8], password: Option<&SecretString>) -> Result<Parsed, ImportError> {
        if !super::app_database::is_tessera(bytes) {
            return Err(ImportError::malformed(
                FORMAT,
                "the header",
                "not a Tessera vault (its SQLite application id is not Tessera's)",
            ));
        }
        let password = password.ok_or(ImportError::PasswordRequired { format: FORMAT })?;
        let suffix = random_bytes::<8>().map_err(|_| ImportError::Vault(VaultError::Random))?;
        let path = std::env::temp_dir().join(format!(
            "tessera-import-{}.tessera",
            super::hex_encode(&suffix)
        ));
        private_file::write_new(&path, bytes).map_err(|error| ImportError::Io {
            path: error.path().to_owned(),
            source: error.into_io(),
        })?;
        let result = import_path(&path, password);
        for extra in ["", "-wal", "-shm", "-journal"] {
            let mut name = path.clone().into_os_string();
            name.push(extra);
            let _ = std::fs::remove_file(PathBuf::from(name));
        }
        result
    }
}

/// Reads the backup at `path` with `password`: `WrongPassword`, or
/// `Vault(..)` when the file is not a Tessera vault or is damaged.
pub fn import_path(path: &Path, password: &SecretString) -> Result<Parsed, ImportError> {
    let mut vault = Vault::open(path, Arc::new(SystemClock))?;
    let kdf = vault.password_slot_params()?.kdf();
    super::kdf_guard::admit(FORMAT, super::kdf_guard::KdfCost::argon2(kdf.m_kib, kdf.t))?;
    vault.unlock_with_password(password).map_err(|e| match e {
        VaultError::WrongPassword => ImportError::WrongPassword { format: FORMAT },
        other => ImportError::Vault(other),
    })?;
    let mut parsed = Parsed::new(FORMAT);
    let mut codes = 0;
    for entry in vault.entries()? {
        codes += entry.backup_codes.len();
        parsed.entries.push(Ok(ImportedItem {
            account: entry.account.clone(),
            details: entry.details.clone(),
        }));
    }
    vault.lock();
    if codes > 0 {
        parsed.push_loss(format!(
            "{codes} backup {} not imported (open the backup as a vault to see them)",
            super::plural(codes, "code", "codes")
        ));
    }
    Ok(parsed)
}

/// Writes a backup of `vault` (unlocked) to `dest`, which must not exist.
pub fn export(vault: &Vault, dest: &Path) -> Result<(), ExportError> {
    vault.snapshot(dest).map_err(|e| match e {
        VaultError::AlreadyExists { path } => ExportError::AlreadyExists { path },
        other => ExportError::Vault(other),
    })
}
