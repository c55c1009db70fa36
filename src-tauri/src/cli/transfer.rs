//! `import` and `export`: moving accounts between Tessera and other
//! authenticators' files.
//!
//! `tessera import FILE [--format F] [--dry-run] [--json]` previews the file
//! against the vault (new / duplicate / repeated / invalid, and what the
//! format could not carry) and, unless `--dry-run`, adds the new accounts in
//! one transaction. An encrypted file's password comes from
//! `TESSERA_IMPORT_PASSWORD` or a prompt.
//!
//! `tessera export --format otpauth|aegis|aegis-encrypted|tessera|google-qr
//! --out PATH [--yes-plaintext]` writes a new file (never overwrites);
//! plaintext formats refuse without `--yes-plaintext`. The password of an
//! `aegis-encrypted` export comes from `TESSERA_EXPORT_PASSWORD` or a prompt
//! (asked twice); a `tessera` backup keeps the vault's password.
//!
//! Must never: print a secret (the preview shows labels and statuses only),
//! or write the vault anywhere but through `Preview::commit`.

use std::io::IsTerminal;
use std::path::Path;

use serde::Serialize;

use crate::core::secret::SecretString;
use crate::core::sync::aegis_follow;
use crate::core::transfer::export::{self, ExportOptions};
use crate::core::transfer::kdf_guard::{self, KdfPolicy};
use crate::core::transfer::{
    self, ExportFormat, Format, ImportError, Parsed, Preview, PreviewEntry, Status,
};
use crate::core::vault::Vault;

use super::error::CliError;
use super::output;
use super::unlock::given_password;

/// The environment variable holding the password of an encrypted file to
/// import.
pub const IMPORT_PASSWORD_ENV: &str = "TESSERA_IMPORT_PASSWORD";
/// The environment variable holding the password of an encrypted export.
pub const EXPORT_PASSWORD_ENV: &str = "TESSERA_EXPORT_PASSWORD";

/// `tessera import`.
pub fn import(
    vault: &mut Vault,
    file: &Path,
    format: Option<Format>,
    key_file: Option<&Path>,
    dry_run: bool,
    json: bool,
) -> Result<(), CliError> {
    let key_file = key_file
        .map(|path| crate::core::user_file::read(path, transfer::IMPORT_LIMIT))
        .transpose()?;
    let parsed = read(file, format, key_file.as_ref().map(|k| k.as_slice()))?;
    let preview = Preview::new(parsed, vault.entries()?);
    let report = Report::from(&preview);
    let ids = if dry_run {
        Vec::new()
    } else {
        preview.commit(vault)?
    };
    if json {
        return output::json(&JsonReport {
            report,
            dry_run,
            imported: ids.iter().map(|id| id.hyphenated().to_string()).collect(),
        });
    }
    report.print()?;
    if dry_run {
        output::line(&format!(
            "dry run: nothing written ({} would be added)",
            report.new
        ))
    } else {
        output::line(&format!(
            "imported {} {}",
            ids.len(),
            if ids.len() == 1 {
                "account"
            } else {
                "accounts"
            }
        ))
    }
}

/// Reads `file`, asking for its password only if it turns out to need one;
/// `key_file` is the contents of a `KeePass` database's key file.
fn read(file: &Path, format: Option<Format>, key_file: Option<&[u8]>) -> Result<Parsed, CliError> {
    let bytes = crate::core::user_file::read(file, transfer::IMPORT_LIMIT)?;
    let format = match format {
        Some(format) => format,
        None => transfer::sniff(&bytes)?.format,
    };
    match transfer::import_with_key_file(&bytes, Some(format), None, key_file) {
        Err(ImportError::PasswordRequired { format }) => {
            let password = match given_password(IMPORT_PASSWORD_ENV, None)? {
                Some(password) => password,
                None => prompt(
                    &format!("Password of the {format} {}: ", file.display()),
                    IMPORT_PASSWORD_ENV,
                )?,
            };
            Ok(told_before_deriving(|| {
                transfer::import_with_key_file(&bytes, Some(format), Some(&password), key_file)
            })?)
        }
        other => Ok(other?),
    }
}

/// Runs `import`, first refusing a costly key derivation; when the file
/// asks for one, says on stderr what it costs, then lets it run (the user
/// can stop it with Ctrl-C).
fn told_before_deriving(
    import: impl Fn() -> Result<Parsed, ImportError>,
) -> Result<Parsed, ImportError> {
    match kdf_guard::with_policy(KdfPolicy::default(), &import) {
        Err(ImportError::CostlyKeyDerivation {
            memory_mib,
            seconds,
            ..
        }) => {
            output::note(&format!(
                "opening this file takes {memory_mib} MiB of memory and about {seconds} s; deriving its key (Ctrl-C stops)"
            ));
            import()
        }
        other => other,
    }
}

/// Asks on the terminal without echo; a script gets an error naming
/// `env_var` instead of a prompt that blocks.
fn prompt(label: &str, env_var: &str) -> Result<SecretString, CliError> {
    let no_password = || {
        CliError::Password(format!(
            "the file is encrypted: set {env_var} or run in a terminal"
        ))
    };
    if !std::io::stdin().is_terminal() {
        return Err(no_password());
    }
    rpassword::prompt_password(label)
        .map(SecretString::new)
        .map_err(|_| no_password())
}

/// `tessera sync follow-aegis`: reads the newest Aegis automatic backup in
/// `folder` (its password from `TESSERA_IMPORT_PASSWORD` or a prompt),
/// previews it as an import (new accounts tagged `aegis-backup`), says
/// which accounts the phone renamed and which it no longer has (kept), and
/// unless `dry_run` adds the new ones. Deletes nothing.
pub fn add_from_aegis_backups(
    vault: &mut Vault,
    folder: &Path,
    dry_run: bool,
) -> Result<(), CliError> {
    let backup = aegis_follow::newest_backup(folder).map_err(followed)?;
    let password = match given_password(IMPORT_PASSWORD_ENV, None)? {
        Some(password) => password,
        None => prompt(
            &format!("Password of the Aegis backup {}: ", backup.display()),
            IMPORT_PASSWORD_ENV,
        )?,
    };
    let found = aegis_follow::follow(vault, folder, &password).map_err(followed)?;
    output::line(&format!("newest backup: {}", found.file.display()))?;
    Report::from(&found.preview).print()?;
    for renamed in &found.changed {
        output::line(&format!(
            "renamed on the phone: {} (here: {}); change it here if you want the new name",
            renamed.on_phone(),
            renamed.here,
        ))?;
    }
    for gone in found.missing_labels(vault).map_err(followed)? {
        output::line(&format!(
            "no longer in the phone's backup (kept here): {gone}"
        ))?;
    }
    if dry_run {
        return output::line(&format!(
            "dry run: nothing written ({} would be added)",
            found.preview.count("new")
        ));
    }
    let added = found.preview.commit(vault)?;
    output::line(&format!(
        "added {} {} from the phone",
        added.len(),
        if added.len() == 1 {
            "account"
        } else {
            "accounts"
        }
    ))
}

fn followed(error: aegis_follow::FollowError) -> CliError {
    match error {
        aegis_follow::FollowError::Import(error) => CliError::Import(error),
        aegis_follow::FollowError::Vault(error) => CliError::Vault(error),
        other => CliError::Input(other.to_string()),
    }
}

/// `tessera export`.
pub fn export(
    vault: &Vault,
    format: ExportFormat,
    out: &Path,
    yes_plaintext: bool,
) -> Result<(), CliError> {
    format.check_consent(yes_plaintext)?;
    let password = if format.needs_password() {
        Some(export_password()?)
    } else {
        None
    };
    let options = ExportOptions {
        password: password.as_ref(),
        allow_plaintext: yes_plaintext,
        ..ExportOptions::default()
    };
    let summary = export::write_file(vault, format, out, &options)?;
    let count = summary.written;
    for item in &summary.left_out {
        output::note(&format!("left out {}: {}", item.label, item.reason));
    }
    for what in &summary.not_written {
        output::note(&format!("{format} cannot hold {what}: not written"));
    }
    let files: Vec<String> = summary
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    output::line(&format!(
        "exported {count} {} to {} ({format})",
        if count == 1 { "account" } else { "accounts" },
        files.join(", ")
    ))?;
    let pictures = out.extension().is_some_and(|e| e == "png" || e == "svg");
    if format == ExportFormat::GoogleMigration && !pictures {
        output::line(
            "the file holds one otpauth-migration:// URI per QR code; name it .png or .svg for QR pictures",
        )?;
    }
    if format.is_plaintext() {
        output::note(&format!(
            "{} holds every secret in plain text: keep it safe and delete it when done",
            out.display()
        ));
    }
    Ok(())
}

fn export_password() -> Result<SecretString, CliError> {
    if let Some(password) = given_password(EXPORT_PASSWORD_ENV, None)? {
        return Ok(password);
    }
    let first = prompt("Password for the export: ", EXPORT_PASSWORD_ENV)?;
    if first.is_empty() {
        return Err(CliError::Password(
            "the password must not be empty".to_owned(),
        ));
    }
    let again = prompt("Repeat it: ", EXPORT_PASSWORD_ENV)?;
    if first != again {
        return Err(CliError::Password("the two passwords differ".to_owned()));
    }
    Ok(first)
}

/// The preview as `import` prints it (labels and statuses, never secrets).
#[derive(Serialize)]
struct Report {
    format: Format,
    new: usize,
    duplicate: usize,
    repeated: usize,
    invalid: usize,
    entries: Vec<ReportEntry>,
    losses: Vec<String>,
}

#[derive(Serialize)]
struct ReportEntry {
    position: usize,
    label: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

#[derive(Serialize)]
struct JsonReport {
    #[serde(flatten)]
    report: Report,
    dry_run: bool,
    imported: Vec<String>,
}

impl From<&PreviewEntry> for ReportEntry {
    fn from(entry: &PreviewEntry) -> Self {
        let detail = match &entry.status {
            Status::New => None,
            Status::Duplicate { existing } => Some(format!("already in the vault as {existing}")),
            Status::RepeatedInFile { position } => Some(format!("same as entry {position}")),
            Status::Invalid { reason } => Some(reason.clone()),
        };
        Self {
            position: entry.position,
            label: entry.label.clone(),
            status: entry.status.name(),
            detail,
        }
    }
}

impl From<&Preview> for Report {
    fn from(preview: &Preview) -> Self {
        Self {
            format: preview.format,
            new: preview.count("new"),
            duplicate: preview.count("duplicate"),
            repeated: preview.count("repeated"),
            invalid: preview.count("invalid"),
            entries: preview.entries.iter().map(ReportEntry::from).collect(),
            losses: preview.losses.iter().map(|l| l.message.clone()).collect(),
        }
    }
}

impl Report {
    fn print(&self) -> Result<(), CliError> {
        output::line(&format!(
            "{}: {} {} ({} new, {} already in the vault, {} repeated, {} invalid)",
            self.format,
            self.entries.len(),
            if self.entries.len() == 1 {
                "entry"
            } else {
                "entries"
            },
            self.new,
            self.duplicate,
            self.repeated,
            self.invalid
        ))?;
        for entry in &self.entries {
            let detail = entry
                .detail
                .as_deref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            output::line(&format!(
                "  {:>4}  {:<9}  {}{detail}",
                entry.position, entry.status, entry.label
            ))?;
        }
        for loss in &self.losses {
            output::line(&format!("  note: {loss}"))?;
        }
        Ok(())
    }
}
