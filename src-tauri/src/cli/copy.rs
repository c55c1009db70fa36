//! `tessera code --copy`: the code goes on the clipboard, held by a detached
//! child process (this executable started with [`HOLD_ARG`]), because on X11
//! and Wayland a clipboard lives only as long as the process that owns it.
//! The child serves the code until the clear time is over, then clears it
//! if it is still the clipboard's content; it exits early when something
//! else is copied.
//!
//! Must never: pass the code on a command line (it goes through the child's
//! standard input), print it, or clear a clipboard that holds something
//! the user copied since.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::error::CliError;

/// The first argument that makes the executable hold the clipboard.
pub const HOLD_ARG: &str = "--clipboard-hold-child";

/// How often the child looks whether the clipboard still holds the code.
const POLL: Duration = Duration::from_millis(250);
/// Longest a code is held when the app's setting says never to clear it.
const NEVER_CLEARED: Duration = Duration::from_hours(24);
/// The longest code the child reads.
const MAX_CODE_BYTES: u64 = 64;

/// Puts `code` on the clipboard for `seconds` (0: until something else is
/// copied). Returns once the child says the clipboard holds it.
pub fn hold(code: &str, seconds: u32) -> Result<(), CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::io("cannot find this program to hold the clipboard", e))?;
    let mut command = Command::new(exe);
    command
        .arg(HOLD_ARG)
        .arg(seconds.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| CliError::io("cannot start the clipboard holder", e))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(code.as_bytes())
            .map_err(|e| CliError::io("cannot hand the code to the clipboard holder", e))?;
    }
    let mut answer = String::new();
    if let Some(stdout) = child.stdout.take() {
        BufReader::new(stdout)
            .read_line(&mut answer)
            .map_err(|e| CliError::io("the clipboard holder did not answer", e))?;
    }
    match answer.trim() {
        "copied" => Ok(()),
        other => Err(CliError::Input(format!(
            "cannot copy to the clipboard: {}",
            other
                .strip_prefix("error: ")
                .unwrap_or("the clipboard holder stopped")
        ))),
    }
}

/// The child's side: reads the code from standard input, puts it on the
/// clipboard, says `copied` (or `error: WHY`) on standard output, and holds
/// it for the number of seconds its second argument names.
pub fn run_child() -> ExitCode {
    let seconds: u32 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let mut code = Zeroizing::new(String::new());
    if std::io::stdin()
        .take(MAX_CODE_BYTES)
        .read_to_string(&mut code)
        .is_err()
        || code.is_empty()
    {
        return answer("error: no code was given");
    }
    let mut clipboard = match arboard::Clipboard::new() {
        Ok(clipboard) => clipboard,
        Err(error) => return answer(&format!("error: {error}")),
    };
    if let Err(error) = set_text(&mut clipboard, &code) {
        return answer(&format!("error: {error}"));
    }
    let _ = answer("copied");
    let hold_for = if seconds == 0 {
        NEVER_CLEARED
    } else {
        Duration::from_secs(u64::from(seconds))
    };
    let deadline = Instant::now() + hold_for;
    while Instant::now() < deadline {
        std::thread::sleep(POLL);
        if !holds(&mut clipboard, &code) {
            return ExitCode::SUCCESS;
        }
    }
    if holds(&mut clipboard, &code) {
        let _ = clipboard.clear();
    }
    ExitCode::SUCCESS
}

/// Sets `code`, kept out of clipboard managers' histories where the
/// desktop supports the hint.
fn set_text(clipboard: &mut arboard::Clipboard, code: &str) -> Result<(), arboard::Error> {
    #[cfg(target_os = "linux")]
    {
        use arboard::SetExtLinux;
        clipboard.set().exclude_from_history().text(code.to_owned())
    }
    #[cfg(not(target_os = "linux"))]
    {
        clipboard.set_text(code.to_owned())
    }
}

/// Whether the clipboard still holds `code`.
fn holds(clipboard: &mut arboard::Clipboard, code: &str) -> bool {
    clipboard
        .get_text()
        .map(Zeroizing::new)
        .is_ok_and(|text| text.as_str() == code)
}

fn answer(line: &str) -> ExitCode {
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
    if line.starts_with("error") {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
