//! Crash reports a user can send: a panic in the app writes a report next
//! to the log ([`super::logging::log_dir`]), `crash-<unix ms>.txt`, mode
//! 0600, through the one private-file writer; the next start finds the
//! newest report not yet offered ([`pending`]) and the window offers to
//! show it; [`dismiss`] marks it offered (renamed `crash-….seen.txt`).
//! At most [`KEPT_REPORTS`] reports are kept.
//!
//! What a report holds: the version, the platform, the thread, where the
//! panic happened, its message redacted ([`redact`]) and a backtrace
//! (function names and source lines, no values).
//!
//! Must never: put a secret into a report (a panic message may quote data:
//! long runs of letters and digits, which secrets, keys and codes are, and
//! any run of six or more digits are replaced), or fail the panic
//! (a report that cannot be written is skipped).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::core::clock::{Clock, SystemClock};

const PREFIX: &str = "crash-";
const NEW_SUFFIX: &str = ".txt";
const SEEN_SUFFIX: &str = ".seen.txt";
/// Reports kept in the log folder (the oldest go first).
pub const KEPT_REPORTS: usize = 5;
/// What replaces a run that may be secret.
pub const REDACTED: &str = "[redacted]";

/// A report waiting to be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrashReport {
    /// The report's file name in the log folder (what [`dismiss`] takes).
    pub file_name: String,
    pub text: String,
}

/// Makes every panic of this process write a report into `dir`, then run
/// the hook that was there before (which prints the panic).
pub fn install(dir: PathBuf) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info
            .location()
            .map(|at| format!("{}:{}", at.file(), at.line()));
        let thread = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        let backtrace = std::backtrace::Backtrace::force_capture().to_string();
        let text = render(&message, location.as_deref(), &thread, &backtrace);
        // Best effort: the panic goes on whether or not the report is written.
        let _ = write(&dir, &text, SystemClock.now().unix_millis());
        previous(info);
    }));
}

/// The report's text.
pub fn render(message: &str, location: Option<&str>, thread: &str, backtrace: &str) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "Tessera {} crashed", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(
        text,
        "platform: {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    );
    let _ = writeln!(text, "thread: {}", redact(thread));
    let _ = writeln!(text, "at: {}", location.unwrap_or("unknown"));
    let _ = writeln!(text, "message: {}", redact(message));
    let _ = writeln!(text, "backtrace:");
    for line in backtrace.lines() {
        let _ = writeln!(text, "  {}", redact(line.trim_end()));
    }
    text
}

/// `text` with every run that may be a secret replaced by [`REDACTED`]:
/// 16 or more letters, digits and `+/=_-` in a row (base32 and base64
/// secrets, keys, tokens) unless they are a path or a name, and 6 or more
/// digits in a row (codes). Function names in a backtrace survive: their
/// `::` breaks the runs.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let long = run.len() >= 16 && !is_path(run);
        if long || longest_digit_run(run) >= 6 {
            out.push_str(REDACTED);
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '_' | '-') {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// A source path or a function name as backtraces print them
/// (`src-tauri/src/core/vault`, `unlock_with_password`): words of at most
/// 12 lower-case letters joined by `/`, `-` or `_`, which base32 and base64
/// secrets are not.
fn is_path(run: &str) -> bool {
    let separator = |c: char| matches!(c, '/' | '-' | '_');
    run.contains(separator)
        && run
            .split(separator)
            .all(|word| word.len() <= 12 && word.bytes().all(|b| b.is_ascii_lowercase()))
}

fn longest_digit_run(text: &str) -> usize {
    let (mut longest, mut current) = (0, 0);
    for c in text.chars() {
        current = if c.is_ascii_digit() { current + 1 } else { 0 };
        longest = longest.max(current);
    }
    longest
}

/// Writes `text` as a new report in `dir` and drops the oldest past
/// [`KEPT_REPORTS`].
///
/// # Errors
/// The I/O error when the folder or the file cannot be made.
pub fn write(dir: &Path, text: &str, now_ms: u64) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{PREFIX}{now_ms}{NEW_SUFFIX}"));
    crate::core::private_file::write_new(&path, text.as_bytes())
        .map_err(|error| std::io::Error::other(error.to_string()))?;
    let mut reports = reports(dir);
    while reports.len() > KEPT_REPORTS {
        let (_, oldest) = reports.remove(0);
        let _ = std::fs::remove_file(dir.join(oldest));
    }
    Ok(path)
}

/// The newest report not yet offered, if any.
pub fn pending(dir: &Path) -> Option<CrashReport> {
    let (_, file_name) = reports(dir)
        .into_iter()
        .rev()
        .find(|(_, name)| !name.ends_with(SEEN_SUFFIX))?;
    let text = std::fs::read_to_string(dir.join(&file_name)).ok()?;
    Some(CrashReport { file_name, text })
}

/// Marks the report `file_name` offered, so the next start does not offer
/// it again; the file stays for the user to send.
///
/// # Errors
/// `InvalidInput` for a name that is no unseen report of `dir`; the I/O
/// error of the rename.
pub fn dismiss(dir: &Path, file_name: &str) -> std::io::Result<()> {
    let Some(stamp) = stamp_of(file_name).filter(|_| !file_name.ends_with(SEEN_SUFFIX)) else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a crash report",
        ));
    };
    std::fs::rename(
        dir.join(file_name),
        dir.join(format!("{PREFIX}{stamp}{SEEN_SUFFIX}")),
    )
}

/// The reports in `dir`, oldest first, with their time stamps.
fn reports(dir: &Path) -> Vec<(u64, String)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(u64, String)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            Some((stamp_of(&name)?, name))
        })
        .collect();
    found.sort();
    found
}

/// The time stamp of a report's file name (`crash-<digits>.txt` or
/// `crash-<digits>.seen.txt`); `None` for any other name.
fn stamp_of(name: &str) -> Option<u64> {
    let rest = name.strip_prefix(PREFIX)?;
    let digits = rest
        .strip_suffix(SEEN_SUFFIX)
        .or_else(|| rest.strip_suffix(NEW_SUFFIX))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    #[test]
    fn secrets_codes_and_keys_are_redacted_and_the_rest_is_kept() {
        let message = format!(
            "called `Result::unwrap()` on an `Err` value: Invalid {{ secret: \"{SECRET}\", code: 287082, key: dGhpcyBpcyBhIGtleSBvZiAzMiBieXRlcw== }}"
        );
        let redacted = redact(&message);
        assert!(!redacted.contains(SECRET), "{redacted}");
        assert!(!redacted.contains("287082"), "{redacted}");
        assert!(!redacted.contains("dGhpcyBp"), "{redacted}");
        assert!(redacted.contains("called `Result::unwrap()` on an `Err` value: Invalid"));
        assert_eq!(redacted.matches(REDACTED).count(), 3, "{redacted}");
        let frame = "   7: tessera::core::vault::lifecycle::Vault::unlock_with_password";
        assert_eq!(redact(frame), frame);
        let at = "at /work/main/app-core/src/core/vault/lifecycle.rs:120:5";
        assert_eq!(redact(at), at);
        assert!(!redact("key=ab/cdEFGH12/ijKL+mnop==").contains("cdEFGH12"));
    }

    #[test]
    fn a_real_panic_writes_a_redacted_report_and_still_panics() {
        let dir = tempfile::tempdir().unwrap();
        install(dir.path().to_owned());
        let crashed = std::thread::Builder::new()
            .name("crash-test".to_owned())
            .spawn(|| panic!("cannot decode the secret {SECRET}"))
            .unwrap()
            .join();
        // The default hook again (the process's other tests panic too).
        drop(std::panic::take_hook());
        assert!(crashed.is_err(), "the panic went on");
        let written: Vec<String> = reports(dir.path())
            .into_iter()
            .map(|(_, name)| std::fs::read_to_string(dir.path().join(name)).unwrap())
            .filter(|text| text.contains("thread: crash-test"))
            .collect();
        assert_eq!(written.len(), 1, "one report of this panic");
        let text = &written[0];
        assert!(
            text.contains("message: cannot decode the secret [redacted]"),
            "{text}"
        );
        assert!(text.contains("core/crash.rs"), "the location: {text}");
        assert!(!text.contains(SECRET), "{text}");
    }

    #[test]
    fn a_report_is_written_private_offered_once_and_kept_to_the_last_few() {
        let dir = tempfile::tempdir().unwrap();
        let text = render(
            &format!("index out of bounds for {SECRET}"),
            Some("app-core/src/core/otp/mod.rs:42"),
            "main",
            "   0: std::backtrace::Backtrace::force_capture\n   1: tessera::main",
        );
        assert!(!text.contains(SECRET));
        assert!(text.contains("at: app-core/src/core/otp/mod.rs:42"));
        assert!(text.contains("tessera::main"));
        let path = write(dir.path(), &text, 1_000).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let report = pending(dir.path()).unwrap();
        assert_eq!(report.file_name, "crash-1000.txt");
        assert_eq!(report.text, text);
        dismiss(dir.path(), &report.file_name).unwrap();
        assert_eq!(pending(dir.path()), None, "offered once");
        assert!(
            dir.path().join("crash-1000.seen.txt").is_file(),
            "kept to send"
        );
        assert!(dismiss(dir.path(), "../tessera.log").is_err());
        assert!(dismiss(dir.path(), "crash-1000.seen.txt").is_err());

        for stamp in 2_000..2_010 {
            write(dir.path(), &format!("report {stamp}"), stamp).unwrap();
        }
        assert_eq!(reports(dir.path()).len(), KEPT_REPORTS);
        assert_eq!(pending(dir.path()).unwrap().file_name, "crash-2009.txt");
    }
}
