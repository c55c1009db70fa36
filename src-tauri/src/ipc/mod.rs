//! The Tauri layer: thin, typed commands over the core's session
//! (`core::session`), the error the web view sees, the events sent to it,
//! and the tray. No business logic lives here, and no secret is ever
//! returned to the web view unless the user asked to reveal or export it.

pub mod commands;
pub mod error;
pub mod events;
pub mod tray;
