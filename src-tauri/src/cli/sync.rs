//! `tessera sync setup|status|now|devices|pair|join|leave|follow-aegis`: each parses
//! its arguments, calls one `core::sync` function and prints what it
//! returns. The remote's password and the pairing code are secrets: they
//! come from the environment or standard input, never from argv.

use std::io::BufRead;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::core::secret::SecretString;
use crate::core::sync::{self, Backend, SyncError, SyncOptions, SyncReport};
use crate::core::vault::Vault;

use super::error::CliError;
use super::output;

/// The environment variable holding the pairing code for `sync join`.
pub const CODE_ENV: &str = "TESSERA_SYNC_CODE";
/// The default environment variable holding the `WebDAV` password.
pub const WEBDAV_PASSWORD_ENV: &str = "TESSERA_WEBDAV_PASSWORD";

/// `tessera sync ...`.
#[allow(clippy::doc_markdown)] // clap's help text: no backticks
#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Start syncing this vault through a folder or a WebDAV server (the
    /// first device of a new group).
    Setup(RemoteArgs),
    /// Last sync, changes waiting, conflicts resolved, devices.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Sync now. Exit status 1 when a device's changes were refused.
    Now {
        #[arg(long)]
        json: bool,
    },
    /// List the devices of the group, or take one out (`--remove ID`): it
    /// gets no key to what is written from then on.
    Devices {
        #[arg(long, value_name = "ID")]
        remove: Option<uuid::Uuid>,
        #[arg(long)]
        json: bool,
    },
    /// Print a one-time pairing code for another device, and wait (up to
    /// --wait seconds) for it to join.
    Pair {
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        wait: u64,
    },
    /// Join the group of a pairing code made on another device with
    /// `tessera sync pair`. The code comes from `TESSERA_SYNC_CODE` or
    /// standard input (never the command line). A WebDAV group's code
    /// names its address: give only --username (and the password).
    Join {
        #[command(flatten)]
        remote: RemoteArgs,
        /// Seconds to wait for the other device to accept this one.
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        wait: u64,
    },
    /// Leave the group: a last sync, then this vault stops syncing (its
    /// accounts stay). --force leaves even when the remote cannot be reached.
    Leave {
        #[arg(long)]
        force: bool,
    },
    /// Bring in what a phone's Aegis automatic backups hold: reads the
    /// newest aegis-backup-*.json in FOLDER (the folder Aegis backs up to,
    /// synced here by Syncthing or the like), adds its new accounts tagged
    /// aegis-backup, and says which ones the phone renamed or no longer
    /// has. Deletes nothing. The backup's password comes from
    /// TESSERA_IMPORT_PASSWORD or a prompt.
    FollowAegis {
        #[arg(long, value_name = "FOLDER")]
        folder: PathBuf,
        /// Show what would be added, and add nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Where the group's files are.
#[allow(clippy::doc_markdown)] // clap's help text: no backticks
#[derive(Debug, Args)]
pub struct RemoteArgs {
    /// A folder kept in step by Syncthing, Nextcloud, Dropbox or the like.
    #[arg(long, value_name = "PATH", conflicts_with = "webdav")]
    pub folder: Option<PathBuf>,
    /// A WebDAV collection URL (https://, or http:// to this machine). To
    /// join, it may be left out when the pairing code names it.
    #[arg(long, value_name = "URL")]
    pub webdav: Option<String>,
    #[arg(long)]
    pub username: Option<String>,
    /// The environment variable holding the WebDAV password.
    #[arg(long, value_name = "VAR", default_value = WEBDAV_PASSWORD_ENV)]
    pub password_env: String,
    /// This device's name in the group (default: the host name).
    #[arg(long)]
    pub name: Option<String>,
}

impl RemoteArgs {
    /// The remote to set up on: the folder or the `WebDAV` URL given.
    fn backend(&self) -> Result<Backend, CliError> {
        if self.gives_no_remote() {
            return Err(CliError::Input("give --folder PATH or --webdav URL".into()));
        }
        self.backend_with(None)
    }

    /// The remote to join through: the folder or the `WebDAV` URL given, or
    /// else the `WebDAV` URL the pairing code `code` names.
    fn backend_to_join(&self, code: &SecretString) -> Result<Backend, CliError> {
        let named = if self.gives_no_remote() {
            Some(sync::remote_of_code(code.expose()).map_err(failed)?)
        } else {
            None
        };
        self.backend_with(named)
    }

    fn gives_no_remote(&self) -> bool {
        self.folder.is_none() && self.webdav.is_none()
    }

    /// The folder given, or a `WebDAV` backend at the URL given (else at
    /// `named_url`) with the login given.
    fn backend_with(&self, named_url: Option<String>) -> Result<Backend, CliError> {
        if let Some(path) = &self.folder {
            return Ok(Backend::Folder { path: path.clone() });
        }
        let url = self.webdav.clone().or(named_url).unwrap_or_default();
        if self.username.is_none() {
            return Err(CliError::Input(format!(
                "give --username for the WebDAV server at {url}"
            )));
        }
        let password = std::env::var(&self.password_env).map_err(|_| {
            CliError::Input(format!("set {} to the WebDAV password", self.password_env))
        })?;
        Ok(Backend::webdav(
            url,
            self.username.clone().unwrap_or_default(),
            &SecretString::new(password),
        ))
    }

    fn name(&self) -> String {
        self.name.clone().unwrap_or_else(sync::default_device_name)
    }
}

fn failed(error: SyncError) -> CliError {
    match error {
        SyncError::Vault(error) => CliError::Vault(error),
        other => CliError::Input(other.to_string()),
    }
}

/// Runs one `sync` command on the unlocked `vault`.
pub fn run(command: SyncCommand, vault: &mut Vault) -> Result<(), CliError> {
    let options = SyncOptions::default();
    match command {
        SyncCommand::Setup(remote) => {
            let report =
                sync::setup(vault, remote.backend()?, &remote.name(), &options).map_err(failed)?;
            print_report(&report, false)
        }
        SyncCommand::Status { json } => {
            let status = sync::status(vault).map_err(failed)?;
            if json {
                return output::json(&status);
            }
            print_status(&status)
        }
        SyncCommand::Now { json } => {
            let report = sync::sync_now(vault, &options).map_err(failed)?;
            print_report(&report, json)
        }
        SyncCommand::Devices {
            remove: Some(id), ..
        } => {
            sync::remove_device(vault, id, &options).map_err(failed)?;
            output::line(&format!(
                "removed {id}: it gets no key to what is written from now on"
            ))
        }
        SyncCommand::Devices { remove: None, json } => {
            let devices = sync::devices(vault).map_err(failed)?;
            if json {
                return output::json(&devices);
            }
            for device in devices {
                let seen = device
                    .last_seen
                    .map_or_else(|| "never".to_owned(), |t| format!("{} ms", t.unix_millis()));
                let this = if device.this_device {
                    " (this device)"
                } else {
                    ""
                };
                output::row(&[
                    &device.id.to_string(),
                    &format!("{}{this}", device.name),
                    &seen,
                ])?;
            }
            Ok(())
        }
        SyncCommand::Pair { wait } => {
            let joined = sync::pair_and_wait(vault, &options, Duration::from_secs(wait), |code| {
                let _ = output::line(code.expose());
                output::note("type or paste this code on the other device (`tessera sync join`); waiting for it");
            })
            .map_err(failed)?;
            for device in joined {
                output::line(&format!("joined: {device}"))?;
            }
            Ok(())
        }
        SyncCommand::Join { remote, wait } => {
            let code = pairing_code()?;
            let report = sync::join_and_wait(
                vault,
                code.expose(),
                remote.backend_to_join(&code)?,
                &remote.name(),
                &options,
                Duration::from_secs(wait),
            )
            .map_err(failed)?;
            print_report(&report, false)
        }
        SyncCommand::Leave { force } => {
            sync::leave(vault, &options, force).map_err(failed)?;
            output::line("this vault no longer syncs; its accounts stay")
        }
        SyncCommand::FollowAegis { folder, dry_run } => {
            super::transfer::add_from_aegis_backups(vault, &folder, dry_run)
        }
    }
}

/// The pairing code from `TESSERA_SYNC_CODE`, else the first line of
/// standard input.
fn pairing_code() -> Result<SecretString, CliError> {
    if let Ok(code) = std::env::var(CODE_ENV) {
        return Ok(SecretString::new(code));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::io("cannot read the pairing code from standard input", e))?;
    if line.trim().is_empty() {
        return Err(CliError::Input(format!(
            "give the pairing code in {CODE_ENV} or on standard input"
        )));
    }
    Ok(SecretString::new(line))
}

fn print_report(report: &SyncReport, json: bool) -> Result<(), CliError> {
    if json {
        output::json(report)?;
    } else {
        output::line(&format!(
            "synced: {} changes sent, {} merged, {} conflicts resolved, {} entries updated",
            report.captured, report.merged, report.conflicts, report.written
        ))?;
        for device in &report.joined {
            output::line(&format!("joined: {device}"))?;
        }
        for device in &report.removed {
            output::line(&format!("left the group: {device}"))?;
        }
    }
    for problem in &report.problems {
        output::note(&problem.to_string());
    }
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::Input(format!(
            "{} device log(s) refused; the rest was merged",
            report.problems.len()
        )))
    }
}

fn print_status(status: &sync::SyncStatus) -> Result<(), CliError> {
    if !status.set_up {
        return output::line("not syncing (tessera sync setup, or tessera sync join)");
    }
    let line = |label: &str, value: String| output::row(&[label, &value]);
    line("remote", status.remote.clone().unwrap_or_default())?;
    line(
        "device",
        status.device.map(|d| d.to_string()).unwrap_or_default(),
    )?;
    if status.joining {
        line(
            "joining",
            "waiting for the other device to accept this one".into(),
        )?;
    }
    line(
        "last sync",
        status
            .last_sync
            .map_or_else(|| "never".to_owned(), |t| format!("{} ms", t.unix_millis())),
    )?;
    if let Some(error) = &status.last_error {
        line("last error", error.clone())?;
    }
    line("pending changes", status.pending_changes.to_string())?;
    line("conflicts resolved", status.conflicts_resolved.to_string())?;
    line("devices", status.devices.to_string())?;
    for problem in &status.problems {
        line("refused", problem.clone())?;
    }
    Ok(())
}
