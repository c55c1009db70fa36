//! Secrets a command takes as values (the otpauth:// URI of `add`, the
//! codes of `backup-codes add|use`): from the arguments, from standard
//! input (`-`), or from an environment variable.
//!
//! Arguments are readable by every local user (`/proc/PID/cmdline`, `ps`)
//! for as long as the command runs, so a secret given there is taken but
//! warned about on stderr; standard input and the environment are private
//! to the user.
//!
//! Must never: print a value, or put one into an error.

use std::io::Read;

use zeroize::Zeroizing;

use crate::core::secret::SecretString;

use super::error::CliError;
use super::output;

/// The environment variable holding otpauth:// URIs for `add`, one per line.
pub const URI_ENV: &str = "TESSERA_URI";
/// The environment variable holding backup codes for `backup-codes
/// add|use`, one per line.
pub const BACKUP_CODES_ENV: &str = "TESSERA_BACKUP_CODES";

/// The argument that reads the values from standard input.
pub const STDIN: &str = "-";

/// Most bytes read from standard input.
const MAX_STDIN_BYTES: u64 = 1024 * 1024;

/// What is being read, for messages: `"otpauth URI"`, `"backup code"`.
#[derive(Clone, Copy, Debug)]
pub struct Kind {
    /// Singular noun.
    pub what: &'static str,
    /// The environment variable to read when no argument is given.
    pub env_var: &'static str,
}

pub const URI: Kind = Kind {
    what: "otpauth URI",
    env_var: URI_ENV,
};
pub const BACKUP_CODE: Kind = Kind {
    what: "backup code",
    env_var: BACKUP_CODES_ENV,
};

/// The values: `given` as they are (with a warning on stderr), every
/// non-empty line of standard input when `given` is `["-"]`, or every
/// non-empty line of the environment variable when nothing is given.
/// Lines are trimmed. At least one value, or an error saying how to give
/// them.
pub fn values(given: Vec<String>, kind: Kind) -> Result<Vec<SecretString>, CliError> {
    if let [only] = given.as_slice()
        && only == STDIN
    {
        return at_least_one(lines(&read_stdin()?), kind, "standard input");
    }
    if !given.is_empty() {
        if given.iter().any(|value| value == STDIN) {
            return Err(CliError::Input(format!(
                "`-` reads every {} from standard input: give it alone",
                kind.what
            )));
        }
        warn_argv(kind);
        return Ok(given.into_iter().map(SecretString::new).collect());
    }
    match std::env::var_os(kind.env_var) {
        Some(value) => {
            let value =
                Zeroizing::new(value.into_string().map_err(|_| {
                    CliError::Input(format!("{} is not valid UTF-8", kind.env_var))
                })?);
            at_least_one(lines(&value), kind, kind.env_var)
        }
        None => Err(CliError::Input(format!(
            "no {what}: give it as an argument, `-` to read from standard input, or set {env}",
            what = kind.what,
            env = kind.env_var
        ))),
    }
}

/// The warning for a secret that arrived in the arguments.
pub fn warn_argv(kind: Kind) {
    output::warn(&format!(
        "the secret is visible to other users in the process list; pass - to read it from standard input (or set {})",
        kind.env_var
    ));
}

/// Every trimmed, non-empty line of `text`.
fn lines(text: &str) -> Vec<SecretString> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(SecretString::from)
        .collect()
}

/// `values`, or an error naming `source` when there are none.
fn at_least_one(
    values: Vec<SecretString>,
    kind: Kind,
    source: &str,
) -> Result<Vec<SecretString>, CliError> {
    if values.is_empty() {
        return Err(CliError::Input(format!("no {} in {source}", kind.what)));
    }
    Ok(values)
}

/// Standard input, at most [`MAX_STDIN_BYTES`], as UTF-8.
fn read_stdin() -> Result<Zeroizing<String>, CliError> {
    let mut text = Zeroizing::new(String::new());
    let read = std::io::stdin()
        .lock()
        .take(MAX_STDIN_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|error| CliError::io("cannot read standard input", error))?;
    if read as u64 > MAX_STDIN_BYTES {
        return Err(CliError::Input(format!(
            "standard input is longer than {} KiB",
            MAX_STDIN_BYTES / 1024
        )));
    }
    Ok(text)
}
