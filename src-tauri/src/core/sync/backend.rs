//! [`Remote`]: where the group's files live, as the sync engine sees it —
//! a flat namespace of small files under one root, listed by directory,
//! read whole, created only if absent, replaced only if unchanged since
//! read (`docs/sync-format.md` §10). A folder ([`super::folder`]) and
//! `WebDAV` ([`super::webdav`]) implement it; S3 would too (`ListObjectsV2`
//! by prefix, `GetObject` with its `ETag`, `PutObject` with
//! `If-None-Match: *` and `If-Match`, `DeleteObject`).
//!
//! Owns: the trait, [`RemoteError`] (which failures are worth retrying),
//! and the names of remote files ([`paths`]).
//!
//! Must never: put file contents or credentials into an error.

use std::time::Duration;

use thiserror::Error;

/// An opaque version of a remote file: the `ETag` on `WebDAV`, a digest of
/// the contents in a folder. Equal versions mean equal contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(pub String);

/// A file read from the remote.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub version: Version,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The name within the directory (no `/`).
    pub name: String,
    pub is_dir: bool,
}

/// What went wrong talking to the remote.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// Not reachable now: connection refused or reset, DNS, a mount gone.
    #[error("the sync remote cannot be reached ({what})")]
    Offline { what: String },
    /// No answer in time.
    #[error("the sync remote did not answer within {seconds} s")]
    Timeout { seconds: u64 },
    /// The server is overloaded or failing (HTTP 5xx).
    #[error("the sync remote failed (HTTP {status})")]
    ServerFailed { status: u16 },
    /// HTTP 429: asked to wait.
    #[error("the sync remote asked to wait (HTTP 429)")]
    RateLimited { retry_after: Option<Duration> },
    /// No space left where the files go.
    #[error("the sync remote is full ({what})")]
    NoSpace { what: String },
    /// Credentials refused or no permission.
    #[error("the sync remote refused access ({what})")]
    Denied { what: String },
    /// A create-only write found the file there.
    #[error("{path} already exists on the sync remote")]
    AlreadyExists { path: String },
    /// A replace found the file changed (or gone) since it was read.
    #[error("{path} changed on the sync remote while it was being written")]
    Changed { path: String },
    /// A file larger than Tessera reads.
    #[error("{path} on the sync remote is larger than {limit} bytes")]
    TooLarge { path: String, limit: usize },
    /// An answer that does not follow the protocol.
    #[error("the sync remote gave an answer Tessera cannot use ({what})")]
    Protocol { what: String },
    /// Any other local file system error.
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl RemoteError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Offline { .. }
                | Self::Timeout { .. }
                | Self::ServerFailed { .. }
                | Self::RateLimited { .. }
                | Self::NoSpace { .. }
        )
    }

    /// How long the remote asked to wait, if it did.
    pub fn asked_wait(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

/// The group's files, wherever they are. Paths are relative, `/`-separated
/// (`devices/<id>/0000000000000001.seg`); directories exist implicitly (a write creates
/// the ones it needs).
pub trait Remote: Send + Sync {
    /// What `location` names, for messages (never a credential).
    fn describe(&self) -> String;

    /// The entries of directory `dir` (`""` for the root); empty if it
    /// does not exist.
    fn list(&self, dir: &str) -> Result<Vec<Listed>, RemoteError>;

    /// The file at `path`, `None` if there is none.
    fn get(&self, path: &str) -> Result<Option<Fetched>, RemoteError>;

    /// Writes `bytes` to `path` only if no file is there
    /// (`AlreadyExists` otherwise).
    fn create(&self, path: &str, bytes: &[u8]) -> Result<(), RemoteError>;

    /// Writes `bytes` over the file at `path` only if it is still at
    /// `expected` (`Changed` otherwise).
    fn replace(&self, path: &str, bytes: &[u8], expected: &Version) -> Result<(), RemoteError>;

    /// Removes the file at `path`; nothing if it is not there.
    fn delete(&self, path: &str) -> Result<(), RemoteError>;
}

/// The names of the group's files (`docs/sync-format.md` §3).
pub mod paths {
    use uuid::Uuid;

    pub const GROUP: &str = "group";
    pub const DEVICES: &str = "devices";

    pub fn key(epoch: u32) -> String {
        format!("keys/{epoch:08x}.key")
    }

    pub fn device(device: Uuid) -> String {
        format!("devices/{}", device.hyphenated())
    }

    pub fn segment(device: Uuid, n: u64) -> String {
        format!("devices/{}/{n:016x}.seg", device.hyphenated())
    }

    pub fn request(pairing: Uuid) -> String {
        format!("pairing/{}.req", pairing.hyphenated())
    }

    pub fn accept(pairing: Uuid) -> String {
        format!("pairing/{}.acc", pairing.hyphenated())
    }
}

/// Largest remote file Tessera reads or writes.
pub const MAX_FILE: usize = 32 * 1024 * 1024;
