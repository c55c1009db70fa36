//! `scan FILE... | --screen | --clipboard`, `add --image FILE`, `show-qr ID --out FILE`:
//! QR codes on the command line, through `core::qr`.
//!
//! `scan` prints each account's `otpauth://` URI, one per line: it is the
//! command whose job is to show what a QR code holds, secret included.
//! Each part of a multi-part Google export holds complete accounts: they
//! are printed or added as read, parts scanned twice once, and an export
//! with parts missing is named on stderr with the parts still to scan.
//!
//! Must never: print a secret for `add` (ids only), or write a QR picture
//! readable by other users or over an existing file (`show-qr` writes
//! through `core::private_file`: a new file, mode 0600, no symbolic link).

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::core::intake::ScanStaging;
use crate::core::otp::{Account, Algorithm, format_uri};
use crate::core::private_file;
use crate::core::qr::{self, QrContent};
use crate::core::user_file;
use crate::core::vault::Vault;

use super::accounts::resolve;
use super::error::CliError;
use super::output;

/// One account found, as `scan --json` shows it.
#[derive(Serialize)]
struct Scanned<'a> {
    /// The file it was read from, `"screen"` or `"clipboard"`.
    source: &'a str,
    uri: String,
    issuer: &'a str,
    account: &'a str,
    kind: &'static str,
    algorithm: Algorithm,
    digits: u8,
    period: Option<u32>,
    counter: Option<u64>,
}

/// `tessera scan FILE... [--json]`, or `tessera scan --clipboard [--json]`
/// when `clipboard` (clap keeps the two apart).
pub fn scan(paths: &[PathBuf], clipboard: bool, json: bool) -> Result<(), CliError> {
    if clipboard {
        return print_clipboard(json);
    }
    let found = accounts_in_files(paths)?;
    print_found(&found, json)
}

/// `tessera scan --clipboard [--json]`: the clipboard's image searched for
/// QR codes, or its text for OTP URIs.
fn print_clipboard(json: bool) -> Result<(), CliError> {
    let contents = qr::scan_clipboard()?;
    let found = assemble(vec![("clipboard".to_owned(), contents)])?;
    print_found(&found, json)
}

/// `tessera scan --screen [--json]`.
pub fn print_screen(json: bool) -> Result<(), CliError> {
    let contents = qr::screen_contents()?;
    let found = assemble(vec![("screen".to_owned(), contents)])?;
    print_found(&found, json)
}

/// `tessera add --image FILE... [--tag T]...`: every account in the
/// pictures, added in one transaction; prints the new ids, one per line.
/// The pictures are read before the vault is opened, so a bad picture asks
/// for no password.
pub fn add_images(
    paths: &[PathBuf],
    tags: &[String],
    keep_copies: bool,
    open_vault: impl FnOnce() -> Result<Vault, CliError>,
) -> Result<(), CliError> {
    let found = accounts_in_files(paths)?;
    let accounts = found.into_iter().map(|(_, account)| account).collect();
    super::accounts::insert_tagged(&mut open_vault()?, accounts, tags, keep_copies)
}

/// `tessera show-qr ID --out FILE.png|FILE.svg`: the account as a QR code
/// for a phone to scan; prints the path written.
pub fn show_qr(vault: &Vault, query: &str, out: &Path) -> Result<(), CliError> {
    let extension = out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let picture = match extension.as_deref() {
        Some("png") => {
            let id = resolve(vault, query)?;
            qr::account_png(&vault.get(id)?.account)?
        }
        Some("svg") => {
            let id = resolve(vault, query)?;
            qr::account_svg(&vault.get(id)?.account)?.into_bytes()
        }
        _ => {
            return Err(CliError::io(
                format!("cannot write {}", out.display()),
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "--out must end in .png or .svg",
                ),
            ));
        }
    };
    private_file::write_new(out, &picture)?;
    output::line(&out.display().to_string())
}

/// Every account in the pictures, with the file it came from, in order;
/// multi-part Google exports assembled across files.
fn accounts_in_files(paths: &[PathBuf]) -> Result<Vec<(String, Account)>, CliError> {
    let mut sources = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = user_file::read(path, qr::PICTURE_LIMIT)?;
        let contents = qr::scan(&bytes).map_err(|source| CliError::QrFile {
            path: path.clone(),
            source,
        })?;
        sources.push((path.display().to_string(), contents));
    }
    assemble(sources)
}

/// The accounts of every source through one [`ScanStaging`] (the window's
/// intake): each part of a Google export gives its accounts where it was
/// read, a part or an account read twice counts once. Exports with parts
/// missing are named on stderr.
fn assemble(sources: Vec<(String, Vec<QrContent>)>) -> Result<Vec<(String, Account)>, CliError> {
    let mut staging = ScanStaging::default();
    let mut found = Vec::new();
    for (source, contents) in sources {
        let note = staging.take_in(contents)?;
        let waiting = staging.found();
        let new = &waiting[waiting.len() - note.accounts..];
        found.extend(new.iter().map(|f| (source.clone(), f.account.clone())));
    }
    for export in staging.incomplete_exports() {
        let parts = if export.missing.len() == 1 {
            "part"
        } else {
            "parts"
        };
        output::note(&format!(
            "Google Authenticator export: {} of {} QR codes scanned; still missing {parts} {} (their accounts are not included)",
            export.scanned,
            export.total,
            qr::list_parts(&export.missing)
        ));
    }
    Ok(found)
}

fn print_found(found: &[(String, Account)], json: bool) -> Result<(), CliError> {
    if json {
        let scanned: Vec<Scanned<'_>> = found
            .iter()
            .map(|(source, account)| Scanned {
                source,
                uri: format_uri(account),
                issuer: &account.issuer,
                account: &account.name,
                kind: account.kind.name(),
                algorithm: account.algorithm,
                digits: account.digits,
                period: account.period(),
                counter: account.counter(),
            })
            .collect();
        return output::json(&scanned);
    }
    for (_, account) in found {
        output::line(&format_uri(account))?;
    }
    Ok(())
}
