//! Running the `tessera` CLI on a throwaway vault.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::{Command, Output};

use super::tessera_bin;

/// The password of every test vault.
pub const PASSWORD: &str = "correct horse battery staple";

/// Argon2id parameters small enough for tests (the CLI warns about them).
pub const TEST_KDF: [&str; 6] = [
    "--kdf-memory-mib",
    "8",
    "--kdf-passes",
    "2",
    "--kdf-lanes",
    "1",
];

/// A vault file in a temporary directory, created with `tessera init`.
pub struct CliVault {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl CliVault {
    pub fn init() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cli.tessera");
        let vault = Self { dir, path };
        let mut args = vec!["init"];
        args.extend(TEST_KDF);
        vault.ok(&args);
        vault
    }

    /// `tessera ARGS` on this vault with the right password in the environment.
    pub fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new(tessera_bin());
        command
            .args(args)
            .env("TESSERA_VAULT", &self.path)
            .env("TESSERA_PASSWORD", PASSWORD)
            .env_remove("TESSERA_NEW_PASSWORD");
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        expect_success(&self.run(args), args)
    }

    /// Runs and expects failure; returns stderr.
    pub fn err(&self, args: &[&str]) -> String {
        expect_failure(&self.run(args), args)
    }
}

pub fn expect_success(output: &Output, what: &[&str]) -> String {
    assert!(
        output.status.success(),
        "tessera {what:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Expects exit status 1 (2 when no account matched the query) and one
/// line naming the problem on stderr, after any `tessera: warning:` lines;
/// returns that line.
pub fn expect_failure(output: &Output, what: &[&str]) -> String {
    assert!(
        matches!(output.status.code(), Some(1 | 2)),
        "tessera {what:?} should fail with status 1 or 2, not {:?}; stdout: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.starts_with(WARNING))
        .collect();
    assert_eq!(errors.len(), 1, "one error line on stderr: {stderr}");
    assert!(errors[0].starts_with("tessera: "), "{stderr}");
    format!("{}\n", errors[0])
}

/// How a warning on stderr starts.
pub const WARNING: &str = "tessera: warning: ";

/// The warning for a secret given in the arguments.
pub const ARGV_WARNING: &str = "visible to other users in the process list";

/// Runs `command` with `input` on its standard input.
pub fn run_with_stdin(command: &mut Command, input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// Whether tests that need the real Secret Service may run here: `make
/// test` runs them inside `.ci/keyring-session`, which sets
/// `TESSERA_KEYRING_TESTS=1`. Outside it they are skipped with a message,
/// except on CI, where a missing session is an error.
pub fn keyring_available(test: &str) -> bool {
    if std::env::var_os("TESSERA_KEYRING_TESTS").is_some() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: CI must run the keyring tests inside .ci/keyring-session"
    );
    eprintln!("{test}: skipped, no keyring session (run `.ci/keyring-session cargo test`)");
    false
}
