//! `init`, `passwd` and `keyring enable|disable`: creating the vault and
//! changing what unlocks it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::core::clock::Clock;
use crate::core::password_strength;
use crate::core::secret::SecretString;
use crate::core::vault::{KdfParams, OsKeyring, Vault, kdf};

use super::args::{InitArgs, KeyringCommand};
use super::error::CliError;
use super::output;
use super::unlock::{self, NEW_PASSWORD_ENV, PASSWORD_ENV};

/// Below this much Argon2id memory `init` warns that the password is easy
/// to guess offline.
const WEAK_BELOW_KIB: u32 = 64 * 1024;

pub fn init(
    path: &Path,
    password_file: Option<&PathBuf>,
    args: &InitArgs,
    clock: Arc<dyn Clock>,
) -> Result<(), CliError> {
    if path.exists() {
        return Err(CliError::Vault(
            crate::core::vault::VaultError::AlreadyExists {
                path: path.to_owned(),
            },
        ));
    }
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .map_err(|error| CliError::io(format!("cannot create {}", parent.display()), error))?;
    }
    let password = match unlock::given_password(PASSWORD_ENV, password_file.map(PathBuf::as_path))?
    {
        Some(password) => password,
        None => unlock::prompt_new("New vault password: ", PASSWORD_ENV, "--password-file")?,
    };
    warn_if_weak(&password);
    let params = kdf_params(args)?;
    if params.m_kib < WEAK_BELOW_KIB {
        output::warn(&format!(
            "{} MiB of Argon2id memory is weak against password guessing; the default is {} MiB",
            params.m_kib / 1024,
            kdf::DESKTOP_M_KIB / 1024
        ));
    }
    Vault::create(path, &password, params, clock)?;
    output::line(&format!("created {}", path.display()))
}

/// A password the estimator finds easy to guess is used, with a warning
/// that says why.
fn warn_if_weak(password: &SecretString) {
    let strength = password_strength::estimate(password.expose());
    if !strength.is_acceptable() {
        output::warn(&format!(
            "this password is {}: {}",
            strength.verdict.word(),
            strength.advice()
        ));
    }
}

/// The Argon2id parameters `init` asked for, calibrated where not given.
fn kdf_params(args: &InitArgs) -> Result<KdfParams, CliError> {
    if args.kdf_memory_mib.is_none() && args.kdf_passes.is_none() && args.kdf_lanes.is_none() {
        return Ok(KdfParams::desktop()?);
    }
    let m_kib = args
        .kdf_memory_mib
        .map_or(kdf::DESKTOP_M_KIB, |mib| mib.saturating_mul(1024));
    let lanes = args.kdf_lanes.unwrap_or_else(KdfParams::desktop_lanes);
    Ok(match args.kdf_passes {
        Some(passes) => KdfParams::new(m_kib, passes, lanes)?,
        None => KdfParams::calibrate_with(m_kib, lanes, kdf::TARGET_UNLOCK)?,
    })
}

/// Changes the password. The current one is needed even when the keyring
/// could unlock the vault; the Argon2id parameters stay as they were.
pub fn passwd(
    path: &Path,
    password_file: Option<&PathBuf>,
    new_password_file: Option<&PathBuf>,
    clock: Arc<dyn Clock>,
) -> Result<(), CliError> {
    let mut vault = unlock::open_locked(path, clock)?;
    let current = match unlock::given_password(PASSWORD_ENV, password_file.map(PathBuf::as_path))? {
        Some(password) => password,
        None => unlock::prompt("Current vault password: ")?,
    };
    vault.unlock_with_password(&current)?;
    let new =
        match unlock::given_password(NEW_PASSWORD_ENV, new_password_file.map(PathBuf::as_path))? {
            Some(password) => password,
            None => unlock::prompt_new(
                "New vault password: ",
                NEW_PASSWORD_ENV,
                "--new-password-file",
            )?,
        };
    warn_if_weak(&new);
    let changed = vault.change_password(&current, &new, None, Some(&OsKeyring::default()))?;
    output::line(
        "password changed; the vault key was replaced, so copies made before open only with the old password and hold only what they held then",
    )?;
    if !changed.keyring_kept {
        output::note(
            "keyring unlock was turned off: the keyring did not answer; `tessera keyring enable` turns it on again",
        );
    }
    Ok(())
}

pub fn keyring(
    path: &Path,
    password_file: Option<&PathBuf>,
    command: &KeyringCommand,
    clock: Arc<dyn Clock>,
) -> Result<(), CliError> {
    let mut vault = unlock::open_unlocked(path, password_file, clock)?;
    let store = unlock::os_keyring();
    match command {
        KeyringCommand::Enable => {
            vault.enable_keyring(&store)?;
            output::line(
                "keyring unlock enabled: the vault opens without the password on this account",
            )
        }
        KeyringCommand::Disable => {
            vault.disable_keyring(&store)?;
            output::line("keyring unlock disabled: the vault needs its password")
        }
    }
}
