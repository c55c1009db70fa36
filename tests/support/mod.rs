//! Helpers shared by the test modules.

pub mod cli;
pub mod display;
pub mod reference_server;
pub mod sync;
pub mod syncthing;
pub mod webdav;

use std::path::PathBuf;

/// The `tessera` binary cargo built for these tests.
pub fn tessera_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tessera"))
}

/// A temporary directory and a vault path inside it that does not exist yet.
pub fn temp_vault() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("test.tessera");
    (dir, path)
}

/// A TCP port on loopback that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}
