//! Non-secret settings (clock offset, clipboard timeout, auto-lock, theme),
//! kept as JSON in the platform config directory beside, not inside, the
//! vault. Holds no secret and may be stored in clear text.
//!
//! Must never: hold a seed, password, token or backup code; fail to start
//! the app because of a bad settings file (a missing file is the defaults;
//! a malformed one is an error the caller reports, and nothing is
//! overwritten until the user saves).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// File name of the settings inside the config directory.
pub const SETTINGS_FILE_NAME: &str = "settings.json";

/// Light, dark, or whatever the desktop says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

/// How much the log file records (`TESSERA_LOG`, when set, wins over it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "desktop", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    #[default]
    Info,
    Debug,
    Trace,
}

impl From<LogLevel> for tracing::Level {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Error => Self::ERROR,
            LogLevel::Warn => Self::WARN,
            LogLevel::Info => Self::INFO,
            LogLevel::Debug => Self::DEBUG,
            LogLevel::Trace => Self::TRACE,
        }
    }
}

/// Everything the user can set that is not secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Settings {
    /// Added to the system time before computing codes (milliseconds; a
    /// fast local clock has a negative offset).
    pub clock_offset_ms: i64,
    /// A copied code is cleared from the clipboard after this long (0: never).
    pub clipboard_clear_seconds: u32,
    /// The vault locks after this long without input (0: never).
    pub auto_lock_minutes: u32,
    pub theme: Theme,
    /// Closing the window hides it while a tray icon can bring it back;
    /// without a tray, or when false, closing quits.
    pub close_to_tray: bool,
    /// What the log file records.
    pub log_level: LogLevel,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            clock_offset_ms: 0,
            clipboard_clear_seconds: 30,
            auto_lock_minutes: 5,
            theme: Theme::System,
            close_to_tray: true,
            log_level: LogLevel::Info,
        }
    }
}

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SettingsError {
    #[error("cannot read settings {path}: {source}", path = path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("settings {path} are malformed (line {line}, column {column}); fix or delete the file", path = path.display())]
    Malformed {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    #[error("cannot write settings {path}: {source}", path = path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The default settings file: `settings.json` in the platform config dir.
pub fn default_settings_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("app", "tessera", "Tessera")
        .map(|dirs| dirs.config_dir().join(SETTINGS_FILE_NAME))
}

impl Settings {
    /// The clock codes are made with: the system clock moved by the
    /// user's clock offset.
    pub fn code_clock(&self) -> crate::core::clock::OffsetClock<crate::core::clock::SystemClock> {
        crate::core::clock::OffsetClock::new(crate::core::clock::SystemClock, self.clock_offset_ms)
    }

    /// Reads `path`; a missing file gives the defaults, unknown fields are
    /// ignored and missing ones take their default.
    pub fn load(path: &Path) -> Result<Self, SettingsError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(source) => {
                return Err(SettingsError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        serde_json::from_str(&text).map_err(|error| SettingsError::Malformed {
            path: path.to_owned(),
            line: error.line(),
            column: error.column(),
        })
    }

    /// Writes `path` atomically (a sibling file renamed over it).
    pub fn save(&self, path: &Path) -> Result<(), SettingsError> {
        let write_error = |source| SettingsError::Write {
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(write_error)?;
        }
        let text = serde_json::to_string_pretty(self)
            .map_err(|error| write_error(std::io::Error::other(error)))?;
        let temporary = path.with_extension("json.saving");
        std::fs::write(&temporary, text).map_err(write_error)?;
        std::fs::rename(&temporary, path).map_err(write_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_gives_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::load(&dir.path().join("none.json")).unwrap();
        assert_eq!(settings, Settings::default());
    }

    #[test]
    fn saved_settings_load_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested").join(SETTINGS_FILE_NAME);
        let settings = Settings {
            clock_offset_ms: -4_250,
            clipboard_clear_seconds: 0,
            auto_lock_minutes: 15,
            theme: Theme::Dark,
            close_to_tray: false,
            log_level: LogLevel::Debug,
        };
        settings.save(&path).unwrap();
        assert_eq!(Settings::load(&path).unwrap(), settings);
    }

    #[test]
    fn missing_fields_take_defaults_and_unknown_ones_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE_NAME);
        std::fs::write(
            &path,
            r#"{"clockOffsetMs": 1500, "fromANewerVersion": true}"#,
        )
        .unwrap();
        let settings = Settings::load(&path).unwrap();
        assert_eq!(settings.clock_offset_ms, 1500);
        assert_eq!(
            settings.auto_lock_minutes,
            Settings::default().auto_lock_minutes
        );
    }

    #[test]
    fn malformed_files_say_where() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE_NAME);
        std::fs::write(&path, "{\n  \"clockOffsetMs\": \"soon\"\n}").unwrap();
        let error = Settings::load(&path).unwrap_err();
        assert!(
            matches!(error, SettingsError::Malformed { line: 2, .. }),
            "{error}"
        );
    }
}
