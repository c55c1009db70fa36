//! One window per vault: the first app started on a vault listens on a Unix
//! socket named after the vault's canonical path; a later start on the same
//! vault connects, asks the first to show its window, and exits.
//!
//! Works with or without a session bus, under X11 and Wayland: the socket
//! lives in the user's runtime directory (`$XDG_RUNTIME_DIR`, private to
//! the user), else in a folder of the user's cache directory created
//! owner-only. A socket left by a crashed app (nobody answers) is replaced.
//!
//! Owns: the socket's place and name, and the one-line protocol: `show`,
//! or `open LINK` (a link the later start was given, to show in the first
//! window), answered by `ok`.
//!
//! Must never: open the vault file (the name comes from its path alone),
//! let a second window open on a vault that has one, or take a link it
//! cannot check ([`AccountLink::parse`]) from whoever connects.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use zeroize::Zeroizing;

use crate::core::link::{AccountLink, MAX_LINK_BYTES};

/// How long a later start waits for the first to answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);

/// What a later start asks of the first.
#[derive(Debug)]
pub enum Request {
    /// Show the window.
    Show,
    /// Show the window on the accounts of this link.
    Open(AccountLink),
}

impl Request {
    fn line(&self) -> Zeroizing<String> {
        Zeroizing::new(match self {
            Self::Show => "show\n".to_owned(),
            Self::Open(link) => format!("open {}\n", link.expose()),
        })
    }

    fn from_line(line: &str) -> Option<Self> {
        let line = line.strip_suffix('\n')?;
        if line == "show" {
            return Some(Self::Show);
        }
        AccountLink::parse(line.strip_prefix("open ")?)
            .ok()
            .map(Self::Open)
    }
}

/// What starting on a vault found.
#[derive(Debug)]
pub enum Claim {
    /// No other app has this vault open: this one listens for later starts.
    First(UnixListener),
    /// Another app has it open and took the request.
    AlreadyOpen,
}

/// Claims `vault` for this process, or hands `request` to the app that has
/// it.
///
/// # Errors
/// The I/O error when no socket can be made (the caller then goes on
/// without single-instance protection, saying so).
pub fn claim(vault: &Path, request: &Request) -> std::io::Result<Claim> {
    let socket = socket_path(vault)?;
    for _ in 0..2 {
        match UnixListener::bind(&socket) {
            Ok(listener) => return Ok(Claim::First(listener)),
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse => {
                if send(&socket, request).is_ok() {
                    return Ok(Claim::AlreadyOpen);
                }
                // Nobody answers: a socket left by an app that crashed.
                std::fs::remove_file(&socket)?;
            }
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::other(format!(
        "{} is in use and cannot be replaced",
        socket.display()
    )))
}

/// Answers later starts on `listener`, calling `take` with each request,
/// on a thread of its own, for as long as the process runs. A line that is
/// no request (too long, a link that is none) gets no answer.
pub fn serve(listener: UnixListener, take: impl Fn(Request) + Send + 'static) {
    // "open " and the newline around the longest link.
    const MAX_LINE: u64 = MAX_LINK_BYTES as u64 + 8;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(ANSWER_TIMEOUT));
            let mut line = Zeroizing::new(String::new());
            let mut reader = BufReader::new((&stream).take(MAX_LINE));
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            if let Some(request) = Request::from_line(&line) {
                take(request);
                let _ = (&stream).write_all(b"ok\n");
            }
        }
    });
}

fn send(socket: &Path, request: &Request) -> std::io::Result<()> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(ANSWER_TIMEOUT))?;
    stream.set_write_timeout(Some(ANSWER_TIMEOUT))?;
    stream.write_all(request.line().as_bytes())?;
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer)?;
    if answer.trim_end() == "ok" {
        Ok(())
    } else {
        Err(std::io::Error::other("the running app did not answer"))
    }
}

/// `<runtime dir>/tessera/<hash of the canonical vault path>.sock`.
fn socket_path(vault: &Path) -> std::io::Result<PathBuf> {
    let dir = socket_dir()?;
    Ok(dir.join(format!("{:016x}.sock", fnv1a(&canonical(vault)))))
}

/// The vault's path with links and `..` resolved, also before the file
/// exists (its folder resolved, its name kept).
fn canonical(vault: &Path) -> PathBuf {
    if let Ok(path) = std::fs::canonicalize(vault) {
        return path;
    }
    let absolute = std::path::absolute(vault).unwrap_or_else(|_| vault.to_owned());
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => std::fs::canonicalize(parent)
            .map(|parent| parent.join(name))
            .unwrap_or(absolute),
        _ => absolute,
    }
}

fn socket_dir() -> std::io::Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute() && dir.is_dir())
        .or_else(|| directories::BaseDirs::new().map(|dirs| dirs.cache_dir().to_owned()))
        .ok_or_else(|| std::io::Error::other("no runtime or cache directory"))?;
    let dir = base.join("tessera");
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
    {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(error),
    }
    // The folder must be this user's and no one else's: owned by the owner
    // of the base directory (the user's own runtime or cache directory).
    let meta = std::fs::symlink_metadata(&dir)?;
    let owner = std::fs::metadata(&base)?.uid();
    if !meta.is_dir() || meta.uid() != owner || meta.permissions().mode() & 0o077 != 0 {
        return Err(std::io::Error::other(format!(
            "{} is not a private folder of this user",
            dir.display()
        )));
    }
    Ok(dir)
}

fn fnv1a(path: &Path) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in path.as_os_str().as_encoded_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn a_second_claim_on_the_same_vault_by_any_name_asks_the_first_to_show() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("v.tessera");
        std::fs::write(&vault, b"").unwrap();
        let shown = Arc::new(AtomicUsize::new(0));

        let Claim::First(listener) = claim(&vault, &Request::Show).unwrap() else {
            panic!("the first claim must be first");
        };
        let counter = Arc::clone(&shown);
        serve(listener, move |request| {
            assert!(matches!(request, Request::Show));
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let roundabout = dir.path().join(".").join("v.tessera");
        assert!(matches!(
            claim(&roundabout, &Request::Show).unwrap(),
            Claim::AlreadyOpen
        ));
        assert!(matches!(
            claim(&vault, &Request::Show).unwrap(),
            Claim::AlreadyOpen
        ));
        assert_eq!(shown.load(Ordering::SeqCst), 2);

        let other = dir.path().join("other.tessera");
        assert!(matches!(
            claim(&other, &Request::Show).unwrap(),
            Claim::First(_)
        ));
    }

    #[test]
    fn a_later_start_hands_its_link_to_the_first_and_a_line_that_is_no_request_is_not_taken() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("links.tessera");
        let Claim::First(listener) = claim(&vault, &Request::Show).unwrap() else {
            panic!("the first claim must be first");
        };
        let (sender, received) = std::sync::mpsc::channel();
        serve(listener, move |request| {
            let _ = sender.send(request);
        });
        let text = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example";
        let link = AccountLink::parse(text).unwrap();
        assert!(matches!(
            claim(&vault, &Request::Open(link)).unwrap(),
            Claim::AlreadyOpen
        ));
        let Ok(Request::Open(taken)) = received.recv_timeout(ANSWER_TIMEOUT) else {
            panic!("the first app did not take the link");
        };
        assert_eq!(taken.expose(), text);

        let socket = socket_path(&vault).unwrap();
        for line in [
            "open https://example.com/\n".to_owned(),
            "open otpauth://totp/x?secret=JBSWY3DPEHPK3PXP".to_owned(),
            format!("open otpauth://totp/x?p={}\n", "a".repeat(MAX_LINK_BYTES)),
            "shout\n".to_owned(),
        ] {
            let mut stream = UnixStream::connect(&socket).unwrap();
            stream.write_all(line.as_bytes()).unwrap();
            stream.shutdown(std::net::Shutdown::Write).unwrap();
            let mut answer = String::new();
            stream.set_read_timeout(Some(ANSWER_TIMEOUT)).unwrap();
            let _ = stream.read_to_string(&mut answer);
            assert_eq!(answer, "", "{line:.40}");
        }
        assert!(
            received.try_recv().is_err(),
            "a line that is no request was taken"
        );
    }

    #[test]
    fn a_socket_nobody_answers_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("crashed.tessera");
        let socket = socket_path(&vault).unwrap();
        // A socket whose listener is gone, as a crashed app leaves it.
        drop(UnixListener::bind(&socket).unwrap());
        assert!(socket.exists());
        assert!(matches!(
            claim(&vault, &Request::Show).unwrap(),
            Claim::First(_)
        ));
    }
}
