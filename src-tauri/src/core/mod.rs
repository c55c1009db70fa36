//! The Tauri-free core: every capability of Tessera as plain Rust.
//!
//! Nothing below this module may import `tauri` or know about the web view;
//! `make test` fails if it does. The GUI (`ipc`) and the CLI (`cli`) are two
//! front ends over the same functions.

pub mod clock;
pub mod crash;
pub mod icon;
pub mod intake;
pub mod link;
pub mod logging;
pub mod otp;
pub mod password_strength;
pub mod paths;
pub(crate) mod plural;
pub mod private_file;
pub mod qr;
pub mod secret;
pub mod server;
pub mod session;
pub mod settings;
pub mod sync;
pub mod transfer;
pub mod user_file;
pub mod vault;
