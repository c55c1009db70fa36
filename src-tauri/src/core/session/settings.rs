//! The user's settings: read, checked against their ranges, saved, and
//! applied at once.

use crate::core::logging;
use crate::core::settings::Settings;

use super::views::SettingsView;
use super::{AppState, Result, SessionError};

/// The longest clipboard timeout and auto-lock time the window offers.
const MAX_CLIPBOARD_SECONDS: u32 = 600;
const MAX_AUTO_LOCK_MINUTES: u32 = 24 * 60;
/// A clock more than a day off is not a clock offset any more.
const MAX_OFFSET_MS: i32 = 86_400_000;

impl AppState {
    /// The current settings.
    ///
    /// # Errors
    /// As [`AppState::session`].
    pub fn settings(&self) -> Result<SettingsView> {
        Ok(SettingsView::from(&self.session()?.settings))
    }

    /// Saves the settings (they apply at once).
    ///
    /// # Errors
    /// `Invalid` for a value out of range; writing the settings file.
    pub fn save_settings(&self, view: &SettingsView) -> Result<SettingsView> {
        if view.clipboard_clear_seconds > MAX_CLIPBOARD_SECONDS
            || view.auto_lock_minutes > MAX_AUTO_LOCK_MINUTES
            || view.clock_offset_ms.abs() > MAX_OFFSET_MS
        {
            return Err(SessionError::invalid(format!(
                "out of range: clipboard timeout up to {MAX_CLIPBOARD_SECONDS} s, auto-lock up to {MAX_AUTO_LOCK_MINUTES} min, clock offset up to ±{MAX_OFFSET_MS} ms"
            )));
        }
        let settings = Settings::from(view);
        if let Some(path) = &self.settings_path {
            settings.save(path)?;
        }
        if logging::level_override().is_none() {
            logging::set_level(settings.log_level.into());
        }
        let mut session = self.session()?;
        session.settings = settings;
        Ok(SettingsView::from(&session.settings))
    }

    /// The level the log writes at: `TESSERA_LOG` when set, else the
    /// settings'.
    pub fn log_level(&self) -> tracing::Level {
        logging::level_override().unwrap_or_else(|| {
            self.session()
                .map(|session| session.settings.log_level)
                .unwrap_or_default()
                .into()
        })
    }
}
