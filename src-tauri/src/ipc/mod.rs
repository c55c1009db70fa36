//! The Tauri layer: thin, typed commands over the core, the state they
//! share, and the events sent to the web view. No business logic lives here,
//! and no secret is ever returned to the web view unless the user asked to
//! reveal or export it.

pub mod commands;
pub mod dto;
pub mod error;
pub mod events;
pub mod state;
pub mod tray;
