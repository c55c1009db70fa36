//! Logs a user can send: a `tracing` layer that appends one line per event
//! to `tessera.log` in the platform state directory (`~/.local/state/tessera`
//! on Linux), rotated at 1 MiB with three old files kept, at the level
//! `TESSERA_LOG` names (`error`, `warn`, `info`, `debug`, `trace`) or, when
//! it is not set, the one the settings name (`info` by default; a change
//! applies at once, [`set_level`]); and [`diagnostics`], the text "Copy
//! diagnostics" puts on the clipboard.
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
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

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

/// The level `TESSERA_LOG` names, `None` when it is unset or unknown.
pub fn level_override() -> Option<Level> {
    std::env::var(LEVEL_ENV)
        .ok()
        .and_then(|value| value.trim().parse().ok())
}

/// The level `TESSERA_LOG` names, `info` when unset or unknown.
pub fn level_from_env() -> Level {
    level_override().unwrap_or(Level::INFO)
}

/// The level of the logger [`install`] installed, shared with its layer.
static INSTALLED: OnceLock<Arc<AtomicU8>> = OnceLock::new();

/// Installs the file logger for this process (once; later calls, and
/// failures to open the file, do nothing). Returns the log file's path
/// when logging to it.
pub fn install(dir: &Path, level: Level) -> Option<PathBuf> {
    let layer = file_layer(dir, level).ok()?;
    let path = layer.path().to_owned();
    let shared = Arc::clone(&layer.level);
    tracing_subscriber::registry().with(layer).try_init().ok()?;
    let _ = INSTALLED.set(shared);
    Some(path)
}

/// Changes the level of the installed logger (a settings change); does
/// nothing when none is installed.
pub fn set_level(level: Level) {
    if let Some(installed) = INSTALLED.get() {
        installed.store(rank(level), Ordering::Relaxed);
    }
}

/// The level the installed logger writes at, `None` when none is.
pub fn installed_level() -> Option<Level> {
    INSTALLED
        .get()
        .map(|level| unrank(level.load(Ordering::Relaxed)))
}

/// 1 (error) to 5 (trace): a level as the layer keeps it.
fn rank(level: Level) -> u8 {
    match level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

fn unrank(rank: u8) -> Level {
    match rank {
        1 => Level::ERROR,
        2 => Level::WARN,
        4 => Level::DEBUG,
        5 => Level::TRACE,
        _ => Level::INFO,
    }
}

/// The layer [`install`] installs, for a subscriber of the caller's own
/// (the hygiene tests compose it with theirs).
pub fn file_layer(dir: &Path, level: Level) -> std::io::Result<FileLayer> {
    Ok(FileLayer {
        level: Arc::new(AtomicU8::new(rank(level))),
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
    /// The level as [`rank`] gives it, changed by [`FileLayer::set_level`].
    level: Arc<AtomicU8>,
    file: Mutex<LogFile>,
    path: PathBuf,
}

impl FileLayer {
    /// The log file it writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes events at `level` and above from now on.
    pub fn set_level(&self, level: Level) {
        self.level.store(rank(level), Ordering::Relaxed);
    }
}

impl<S: tracing::Subscriber> Layer<S> for FileLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        if rank(*metadata.level()) > self.level.load(Ordering::Relaxed) {
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
    let level = installed_level().unwrap_or_else(level_from_env);
    let source = if level_override().is_some() {
        " (from TESSERA_LOG)"
    } else {
        ""
    };
    let _ = writeln!(text, "log level: {level}{source}");
    text
}

#[cfg(test)]
mod tests {
    use super::{KEPT_FILES, LOG_FILE_NAME, LogFile, ROTATE_BYTES, file_layer};
    use tracing::Level;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn a_level_change_applies_to_the_next_event() {
        let dir = tempfile::tempdir().unwrap();
        let layer = file_layer(dir.path(), Level::INFO).unwrap();
        let level = std::sync::Arc::clone(&layer.level);
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!("hidden at info");
            tracing::info!("shown at info");
            level.store(
                super::rank(Level::DEBUG),
                std::sync::atomic::Ordering::Relaxed,
            );
            tracing::debug!("shown at debug");
            level.store(
                super::rank(Level::ERROR),
                std::sync::atomic::Ordering::Relaxed,
            );
            tracing::warn!("hidden at error");
        });
        let text = std::fs::read_to_string(dir.path().join(LOG_FILE_NAME)).unwrap();
        assert!(
            text.contains("shown at info") && text.contains("shown at debug"),
            "{text}"
        );
        assert!(!text.contains("hidden"), "{text}");
    }

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
