//! Getting the vault open: the password from `TESSERA_PASSWORD`,
//! `--password-file`, the OS keyring slot or a prompt, in that order (the
//! convention of restic's `RESTIC_PASSWORD`).

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::core::clock::Clock;
use crate::core::secret::SecretString;
use crate::core::vault::open_files::open_vault_holding;
use crate::core::vault::{Vault, VaultError, keyring};

use super::error::CliError;
use super::output;

/// The environment variable holding the vault password.
pub const PASSWORD_ENV: &str = "TESSERA_PASSWORD";
/// The environment variable holding the new password for `passwd`.
pub const NEW_PASSWORD_ENV: &str = "TESSERA_NEW_PASSWORD";

/// The OS keyring as the CLI and GUI use it.
pub fn os_keyring() -> keyring::OsKeyring {
    keyring::OsKeyring::new(keyring::DEFAULT_SERVICE, keyring::DEFAULT_TIMEOUT)
}

/// Longest first line of a password file, in bytes.
pub const PASSWORD_FILE_MAX_LINE: usize = 4096;

/// A password given without a prompt: `env_var` first, then the first line
/// of `file` ([`read_password_file`]). `None` when neither is given.
pub fn given_password(
    env_var: &str,
    file: Option<&Path>,
) -> Result<Option<SecretString>, CliError> {
    if let Some(value) = std::env::var_os(env_var) {
        let value = value
            .into_string()
            .map_err(|_| CliError::Password(format!("{env_var} is not valid UTF-8")))?;
        if value.is_empty() {
            return Err(CliError::Password(format!("{env_var} is set but empty")));
        }
        return Ok(Some(SecretString::new(value)));
    }
    file.map(read_password_file).transpose()
}

/// The first line of the password file `file` (without its `\n` or
/// `\r\n`); nothing after it is read beyond the limit. A first line longer
/// than [`PASSWORD_FILE_MAX_LINE`] bytes is an error, never cut short: a
/// truncated password would fail as "wrong password" and hide the cause.
///
/// A file that group or other users may read gets a warning on stderr, not
/// a refusal: scripts that already pass such a file keep working, and the
/// warning says how to fix it (`chmod 600`). Refusing, as ssh does for
/// private keys, would break those scripts on upgrade for a file that
/// usually sits in a private directory anyway.
///
/// A file of the vault this process has open (the vault, its `-wal` or
/// `-shm`, by any name) is refused before it is opened: closing it would
/// drop `SQLite`'s locks on the vault (see `core::vault::open_files`).
pub fn read_password_file(file: &Path) -> Result<SecretString, CliError> {
    if open_vault_holding(file).is_some() {
        return Err(CliError::Password(format!(
            "the password file {} is the vault itself (or one of its journal files): give the file that holds the password",
            file.display()
        )));
    }
    let cannot_read = |error| {
        CliError::io(
            format!("cannot read the password file {}", file.display()),
            error,
        )
    };
    let opened = std::fs::File::open(file).map_err(cannot_read)?;
    warn_if_shared(file, &opened);
    let limit = PASSWORD_FILE_MAX_LINE + "\r\n".len();
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(limit));
    opened
        .take(limit as u64)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    let end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let line = &bytes[..end];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > PASSWORD_FILE_MAX_LINE {
        return Err(CliError::Password(format!(
            "the first line of the password file {} is longer than {PASSWORD_FILE_MAX_LINE} bytes",
            file.display()
        )));
    }
    if line.is_empty() {
        return Err(CliError::Password(format!(
            "the password file {} starts with an empty line",
            file.display()
        )));
    }
    let line = std::str::from_utf8(line).map_err(|_| {
        CliError::Password(format!(
            "the first line of the password file {} is not valid UTF-8",
            file.display()
        ))
    })?;
    Ok(SecretString::from(line))
}

/// Warns on stderr when group or other users may read `file`.
#[cfg(unix)]
fn warn_if_shared(file: &Path, opened: &std::fs::File) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(metadata) = opened.metadata() else {
        return;
    };
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o044 != 0 {
        output::warn(&format!(
            "the password file {path} can be read by other users (mode {mode:04o}); make it private: chmod 600 {path}",
            path = file.display()
        ));
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_file: &Path, _opened: &std::fs::File) {}

/// Asks on the terminal without echo. Only when standard input is a
/// terminal: a script gets an error instead of a prompt that blocks.
pub fn prompt(label: &str) -> Result<SecretString, CliError> {
    ask(label, || {
        format!(
            "no password: set {PASSWORD_ENV}, pass --password-file, turn on keyring unlock (`tessera keyring enable`), or run in a terminal to be asked"
        )
    })
}

/// Asks twice for a new password and insists both answers match and are
/// not empty. Without a terminal the error names the variable (`env`) and
/// the option (`file_option`) that give it instead.
pub fn prompt_new(label: &str, env: &str, file_option: &str) -> Result<SecretString, CliError> {
    let no_password = || {
        format!("no new password: set {env}, pass {file_option}, or run in a terminal to be asked")
    };
    let first = ask(label, no_password)?;
    if first.is_empty() {
        return Err(CliError::Password(
            "the password must not be empty".to_owned(),
        ));
    }
    let again = ask("Repeat it: ", no_password)?;
    if first != again {
        return Err(CliError::Password("the two passwords differ".to_owned()));
    }
    Ok(first)
}

fn ask(label: &str, no_password: impl Fn() -> String) -> Result<SecretString, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::Password(no_password()));
    }
    rpassword::prompt_password(label)
        .map(SecretString::new)
        .map_err(|_| CliError::Password(no_password()))
}

/// Opens the vault at `path`, locked, with a hint when it does not exist.
pub fn open_locked(path: &Path, clock: Arc<dyn Clock>) -> Result<Vault, CliError> {
    if !path.exists() {
        return Err(CliError::NoVault {
            path: path.to_owned(),
        });
    }
    Ok(Vault::open(path, clock)?)
}

/// Opens and unlocks the vault: a given password, else the keyring slot,
/// else a prompt. A keyring that cannot be used is reported on stderr and
/// the password is asked for instead.
pub fn open_unlocked(
    path: &Path,
    password_file: Option<&PathBuf>,
    clock: Arc<dyn Clock>,
) -> Result<Vault, CliError> {
    let mut vault = open_locked(path, clock)?;
    if let Some(password) = given_password(PASSWORD_ENV, password_file.map(PathBuf::as_path))? {
        vault.unlock_with_password(&password)?;
        return Ok(vault);
    }
    if vault.has_keyring_slot() {
        match vault.unlock_with_keyring(&os_keyring()) {
            Ok(()) => return Ok(vault),
            Err(error @ VaultError::KeyringUnavailable { .. }) => {
                output::note(&error.to_string());
            }
            Err(error) => return Err(error.into()),
        }
    }
    let password = prompt("Vault password: ")?;
    vault.unlock_with_password(&password)?;
    Ok(vault)
}
