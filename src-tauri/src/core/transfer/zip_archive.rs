//! Zip files some apps export (Proton Pass, 1Password's `.1pux`): the
//! names of their members, and one member's bytes, read with a size limit
//! whatever the archive claims.
//!
//! Must never: write a member anywhere; read more of a member than the
//! limit.

use std::io::{Cursor, Read};

use zeroize::Zeroizing;
use zip::ZipArchive;

use super::{Format, ImportError};

/// The local file header that starts a zip file.
pub(crate) const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// Most bytes read from one member: far more than any export's JSON.
const MEMBER_LIMIT: u64 = 64 * 1024 * 1024;

/// The members' names, `None` when `bytes` is not a readable zip file.
pub(crate) fn names(bytes: &[u8]) -> Option<Vec<String>> {
    if !bytes.starts_with(ZIP_MAGIC) {
        return None;
    }
    let archive = ZipArchive::new(Cursor::new(bytes)).ok()?;
    archive
        .file_names()
        .map(|name| name.ok().map(std::borrow::Cow::into_owned))
        .collect()
}

/// The bytes of the member called `name`, or `Malformed` (for `format`)
/// when the archive or the member cannot be read or it is not there.
pub(crate) fn member(
    format: Format,
    bytes: &[u8],
    name: &str,
) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let bad = |what: &str| ImportError::malformed(format, name, what);
    let mut archive = ZipArchive::new(Cursor::new(bytes)).map_err(|_| {
        ImportError::malformed(format, "the zip file", "it cannot be read as a zip archive")
    })?;
    let mut file = archive
        .by_name(name)
        .map_err(|_| bad("the archive has no such member"))?;
    let mut out = Zeroizing::new(Vec::new());
    file.by_ref()
        .take(MEMBER_LIMIT + 1)
        .read_to_end(&mut out)
        .map_err(|_| bad("it cannot be decompressed (damaged)"))?;
    if out.len() as u64 > MEMBER_LIMIT {
        return Err(bad("larger than 64 MiB"));
    }
    Ok(out)
}
