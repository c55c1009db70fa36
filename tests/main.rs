//! Tessera's one integration-test binary: a module per area, real files,
//! real processes, the real window.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The `tessera` command line, run as a child process.
mod cli;
/// The vault through the CLI: init, add, list, code, remove, backup codes, passwords, keyring.
mod cli_vault;
/// The real app window through tauri-driver + WebKitWebDriver under a private Xvfb.
mod e2e;
/// Inputs the fuzz targets in fuzz/ found crashing or hanging, each now a clear error.
mod fuzz_regressions;
/// The fuzz targets' short form: fuzz/harness.rs fed its seeds and mutations of them for seconds each.
mod fuzz_replay;
/// Secret hygiene: main flows with every log record captured at TRACE, error texts, Debug redaction, lock.
mod hygiene;
/// core::otp: published vectors, otpauth:// URIs, codes against an independent implementation.
mod otp;
/// core::qr and otp::migration: real pictures and exports of other tools, generated pictures, zbarimg, Xvfb screen capture, the scan/add --image/show-qr commands.
mod qr;
/// core::server against the reference 2FA server over loopback: every profile's lifecycle, refusals, lockout, 429, replay, garbage, timeouts, redirects.
mod server;
/// The window's session (core::session) on real vault files: imports, exports, server flows, errors as the web view sees them.
mod session;
/// One vault file, a long-lived handle in this process and the CLI binary beside it, after every window operation.
mod shared_vault;
/// Shared helpers: temporary vault locations, the built binary, free ports.
mod support;
/// The web view's reach: capabilities derived from command_names.in, the CSP, withGlobalTauri.
mod surface;
/// Sync between devices: folder (Syncthing) and WebDAV (Apache) remotes, merge rules, faults, tamper sweeps, convergence trials.
mod sync;
/// core::transfer: every shared fixture, preview/commit, export round trips, independent Aegis decryptor.
mod transfer;
/// core::transfer for the formats of other apps: real or generated fixtures in tests/fixtures/formats, every field, wrong passwords, damaged files.
mod transfer_formats;
/// The encrypted vault: real files, byte flips, SIGKILL, v1/v2 migrations, servers, spec decryptor, keyring.
mod vault;
