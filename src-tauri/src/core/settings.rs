//! Non-secret settings (clipboard timeout, auto-lock, theme, clock offset).
//! Holds no secret and may be stored in clear text.
