//! Sync: end-to-end-encrypted sync of the vault between devices through
//! storage the user already runs (a folder kept in step by Syncthing or
//! the like, or `WebDAV`), merging per entry so that nothing is lost. The
//! format and the rules are `docs/sync-format.md`.
//!
//! Owns: the remote's files and their crypto, the change capture, the
//! merge, pairing and the device roster, one function per user action for
//! the window and the CLI, and following a phone's Aegis backups
//! ([`aegis_follow`]).
//!
//! Must never: put anything readable on the remote but ids, numbers and
//! sizes; merge a record that did not authenticate, that goes backwards
//! or that replays; drop a change it could not send; import Tauri.

pub mod aegis_follow;
pub mod backend;
mod capture;
pub mod clock;
mod codec;
pub mod crypto;
mod engine;
pub mod error;
pub mod folder;
mod keys;
mod lock;
pub mod merge;
mod pairing;
mod pass;
mod pull;
pub mod record;
pub mod retry;
pub mod state;
mod status;
mod upload;
pub mod webdav;

pub use engine::{
    SyncOptions, SyncReport, default_device_name, join, join_and_wait, leave, pair, pair_and_wait,
    remote_of_code, remove_device, setup, sync_now, sync_with,
};
pub use error::{Problem, ProblemKind, Result, SyncError};
pub use pairing::PairingCode;
pub use state::Backend;
pub use status::{DeviceInfo, HistoryEntry, SyncStatus, devices, history, status};
