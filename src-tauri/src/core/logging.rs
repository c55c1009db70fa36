//! Logs a user can send: a `tracing` layer that appends one line per event
//! to `tessera.log` in the platform state directory (`~/.local/state/tessera`
//! on Linux), rotated at 1 MiB with three old files kept, at the level
//! `TESSERA_LOG` names (`error`, `warn`, `info` by default, `debug`,
//! `trace`); and [`diagnostics`], the text "Copy diagnostics" puts on the
//! clipboard.
//!
//! What reaches the log is what the code's `tracing` events carry: ids,
//! counts, kinds of errors, never a secret (the hygiene tests check the
//! events of every flow and the file itself).
//!
//! Must never: write a secret, make logging failures fatal (a log that
//! cannot be opened is skipped), or let other users read the log (0600).

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing::Level;
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

use crate::core::clock::{Clock, SystemClock};

/// The environment variable naming the log level.
pub const LEVEL_ENV: &str = "TESSERA_LOG";
/// The log file's name in [`log_dir`].
pub const LOG_FILE_NAME: &str = "tessera.log";
/// A log file is rotated when it grows past this many bytes.
pub const ROTATE_BYTES: u64 = 1024 * 1024;
/// Old log files kept (`tessera.log.1` … `.3`).
pub const KEPT_FILES: u32 = 3;

/// Where the log goes: the platform state directory (Linux), else the
/// cache directory; `None` without a home directory.
pub fn log_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("app", "tessera", "Tessera")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.cache_dir())
            .to_path_buf(),
    )
}

/// The level `TESSERA_LOG` names, `info` when unset or unknown.
pub fn level_from_env() -> Level {
    std::env::var(LEVEL_ENV)
        .ok()
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(Level::INFO)
}

/// Installs the file logger for this process (once; later calls, and
/// failures to open the file, do nothing). Returns the log file's path
/// when logging to it.
pub fn install(dir: &Path, level: Level) -> Option<PathBuf> {
    let layer = file_layer(dir, level).ok()?;
    let path = layer.path().to_owned();
    tracing_subscriber::registry().with(layer).try_init().ok()?;
    Some(path)
}

/// The layer [`install`] installs, for a subscriber of the caller's own
/// (the hygiene tests compose it with theirs).
pub fn file_layer(dir: &Path, level: Level) -> std::io::Result<FileLayer> {
    Ok(FileLayer {
        level,
        file: Mutex::new(LogFile::open(dir)?),
        path: dir.join(LOG_FILE_NAME),
    })
}

/// The log file, rotated as it grows.
struct LogFile {
    path: PathBuf,
    file: File,
    written: u64,
}

impl LogFile {
    fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(LOG_FILE_NAME);
        let file = open_private(&path)?;
        let written = file.metadata()?.len();
        Ok(Self {
            path,
            file,
            written,
        })
    }

    fn write_line(&mut self, line: &str) {
        if self.written + line.len() as u64 > ROTATE_BYTES && self.rotate().is_err() {
            return;
        }
        if self.file.write_all(line.as_bytes()).is_ok() {
            self.written += line.len() as u64;
        }
    }

    /// `tessera.log` → `.1` → `.2` → `.3` (the oldest dropped), then a new
    /// empty `tessera.log`.
    fn rotate(&mut self) -> std::io::Result<()> {
        let numbered = |n: u32| self.path.with_extension(format!("log.{n}"));
        for n in (1..KEPT_FILES).rev() {
            let from = numbered(n);
            if from.exists() {
                std::fs::rename(&from, numbered(n + 1))?;
            }
        }
        std::fs::rename(&self.path, numbered(1))?;
        self.file = open_private(&self.path)?;
        self.written = 0;
        Ok(())
    }
}

fn open_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

/// Writes each event at or above its level as one line: time (Unix
/// milliseconds), level, target, message and fields.
pub struct FileLayer {
    level: Level,
    file: Mutex<LogFile>,
    path: PathBuf,
}

impl FileLayer {
    /// The log file it writes.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl<S: tracing::Subscriber> Layer<S> for FileLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        if *metadata.level() > self.level {
            return;
        }
        let mut line = format!(
            "{} {:5} {}:",
            SystemClock.now().unix_millis(),
            metadata.level(),
            metadata.target()
        );
        event.record(&mut Fields(&mut line));
        line.push('\n');
        if let Ok(mut file) = self.file.lock() {
            file.write_line(&line);
        }
    }
}

/// Renders an event's fields: the message as it is, the others `name=value`.
struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        let text = value.replace(['\n', '\r'], " ");
        if field.name() == "message" {
            let _ = write!(self.0, " {text}");
        } else {
            let _ = write!(self.0, " {}={text}", field.name());
        }
    }
}

/// What a user can paste into a bug report: versions, platform, where the
/// vault and the log are, the vault file's format; nothing secret (no
/// account, no label, no path inside the vault). `extra` lines come from
/// the front end (e.g. the web view's user agent).
pub fn diagnostics(vault_path: &Path, extra: &[(&str, String)]) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "Tessera {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(
        text,
        "platform: {} {} ({})",
        std::env::consts::OS,
        std::env::consts::ARCH,
        std::env::consts::FAMILY
    );
    for (name, value) in extra {
        let _ = writeln!(text, "{name}: {value}");
    }
    let _ = writeln!(
        text,
        "vault file format: {} (schema {})",
        crate::core::vault::envelope::FORMAT_VERSION,
        crate::core::vault::SCHEMA_VERSION
    );
    let state = if vault_path.is_file() {
        "exists"
    } else {
        "not created yet"
    };
    let _ = writeln!(text, "vault: {} ({state})", vault_path.display());
    match log_dir() {
        Some(dir) => {
            let _ = writeln!(text, "log: {}", dir.join(LOG_FILE_NAME).display());
        }
        None => {
            let _ = writeln!(text, "log: none (no home directory)");
        }
    }
    let _ = writeln!(text, "log level: {}", level_from_env());
    text
}

#[cfg(test)]
mod tests {
    use super::{KEPT_FILES, LOG_FILE_NAME, LogFile, ROTATE_BYTES};

    #[test]
    fn the_log_rotates_and_keeps_three_old_files() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = LogFile::open(dir.path()).unwrap();
        let line = format!("{}\n", "x".repeat(1023));
        let per_file = ROTATE_BYTES / line.len() as u64;
        for _ in 0..per_file * 5 {
            log.write_line(&line);
        }
        let path = dir.path().join(LOG_FILE_NAME);
        assert!(path.metadata().unwrap().len() <= ROTATE_BYTES);
        for n in 1..=KEPT_FILES {
            let old = path.with_extension(format!("log.{n}"));
            assert!(old.metadata().unwrap().len() <= ROTATE_BYTES, "{n}");
        }
        assert!(
            !path
                .with_extension(format!("log.{}", KEPT_FILES + 1))
                .exists()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = path.metadata().unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
