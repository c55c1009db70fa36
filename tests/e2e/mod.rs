//! End-to-end: the app built with its embedded front end, opened in a real
//! window on a private Xvfb, driven through tauri-driver and Debian's
//! WebKitWebDriver. One session at a time (each spawns a WebKit process
//! tree; two cores do not fit more).

mod accounts;
mod add_image;
mod organise;
mod scale;
mod screens;
mod servers;
mod session;
mod shared_vault;
mod shell;
mod sync;
mod transfer;
mod vault;
