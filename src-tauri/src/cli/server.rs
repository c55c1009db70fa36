//! `tessera server ...`: add servers, list them and the profiles, and run
//! the flows of `core::server` (register, enrol, status, login, disable).
//!
//! What is kept where: every server (name, profile, URL, username, its
//! credentials: password, session token, cookies; the linked account id,
//! the last time step sent, the server's user id) is one encrypted row of
//! the vault (`VaultServerStore`). `server add` reads the credentials from
//! the named environment variables, once, and stores them in the vault;
//! the session a flow obtains (a token from a login, cookies from
//! `Set-Cookie`) is saved back after every flow, so the next command reuses
//! it instead of logging in again. Nothing is written beside the vault.
//! User profiles are the `*.toml` files of `profiles/` beside the vault.
//!
//! Must never: take a secret from argv, write a credential anywhere but
//! the vault, print one, or retry a refused request.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::core::clock::{Clock, OffsetClock};
use crate::core::secret::SecretString;
use crate::core::server::{
    Http, HttpOptions, Label, LoginWith, OpName, Profile, ServerClient, ServerError, ServerRecord,
    ServerStore, TokioPause, VaultServerStore, qr_decoder,
};
use crate::core::settings::{Settings, default_settings_path};
use crate::core::vault::Vault;

use super::error::CliError;
use super::{output, unlock};

/// `tessera server ...`.
#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Add a server. Credentials are read from the named environment
    /// variables (never from the command line) and kept in the vault.
    Add(AddArgs),
    /// List the servers (never their credentials).
    List {
        #[arg(long)]
        json: bool,
    },
    /// List the profiles: built-in, then those in `profiles/` beside the vault.
    Profiles,
    /// Create the user on the server.
    Register { name: String },
    /// Switch 2FA on; prints the new account's id once the server says 2FA is on.
    Enrol {
        name: String,
        /// The account's issuer (default: the server's name).
        #[arg(long)]
        issuer: Option<String>,
        /// The account's name (default: the username).
        #[arg(long)]
        account: Option<String>,
    },
    /// Print `enabled` or `disabled`.
    Status { name: String },
    /// Log in with a fresh code (or the next unused backup code); prints `ok`.
    Login {
        name: String,
        #[arg(long)]
        backup_code: bool,
    },
    /// Switch 2FA off; the local account is archived once the server confirms.
    Disable { name: String },
}

/// `server add` options.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Your name for the server; also the issuer of its account.
    pub name: String,
    /// The profile (see `tessera server profiles`).
    #[arg(long)]
    pub profile: String,
    /// The base URL, which may carry a path prefix (`https://host/api/v2/`).
    #[arg(long)]
    pub url: String,
    #[arg(long)]
    pub username: Option<String>,
    /// The environment variable holding the password.
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// The environment variable holding a session (bearer) token.
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// The environment variable holding a session cookie (a bare JWT or
    /// `name=value; ...`).
    #[arg(long, value_name = "VAR")]
    pub cookie_env: Option<String>,
}

/// Runs one `server` command.
pub fn run(
    command: ServerCommand,
    vault_path: &Path,
    password_file: Option<&PathBuf>,
    clock: &Arc<dyn Clock>,
) -> Result<(), CliError> {
    let profiles_dir = profiles_dir(vault_path);
    if let ServerCommand::Profiles = command {
        return profiles(&profiles_dir);
    }
    let mut vault = unlock::open_unlocked(vault_path, password_file, Arc::clone(clock))?;
    match command {
        ServerCommand::Profiles => profiles(&profiles_dir),
        ServerCommand::Add(args) => add(&mut vault, &profiles_dir, args),
        ServerCommand::List { json } => list(&VaultServerStore::new(&mut vault), json),
        ServerCommand::Register { name } => {
            with_server(&mut vault, &profiles_dir, &name, |ctx, _| {
                block_on(ctx.client.register(&ctx.profile, &mut ctx.record))??;
                output::line("registered")
            })
        }
        ServerCommand::Enrol {
            name,
            issuer,
            account,
        } => with_server(&mut vault, &profiles_dir, &name, |ctx, vault| {
            let label = Label { issuer, account };
            let id = block_on(
                ctx.client
                    .enrol(&ctx.profile, &mut ctx.record, vault, &label),
            )??;
            output::line(&id.hyphenated().to_string())
        }),
        ServerCommand::Status { name } => {
            with_server(&mut vault, &profiles_dir, &name, |ctx, vault| {
                // A kept session is reused; without one (or with one that
                // still lacks the second factor) a login is made, with a
                // code if the server asks for one.
                block_on(
                    ctx.client
                        .open_session(&ctx.profile, &mut ctx.record, vault),
                )??;
                let enabled = block_on(ctx.client.status(&ctx.profile, &mut ctx.record))??;
                output::line(if enabled { "enabled" } else { "disabled" })
            })
        }
        ServerCommand::Login { name, backup_code } => {
            with_server(&mut vault, &profiles_dir, &name, |ctx, vault| {
                let with = if backup_code {
                    LoginWith::BackupCode
                } else {
                    LoginWith::Code
                };
                block_on(ctx.client.login(&ctx.profile, &mut ctx.record, vault, with))??;
                output::line("ok")
            })
        }
        ServerCommand::Disable { name } => {
            with_server(&mut vault, &profiles_dir, &name, |ctx, vault| {
                let archived = block_on(ctx.client.disable(&ctx.profile, &mut ctx.record, vault))??;
                match archived {
                    Some(id) => output::line(&format!("disabled; account {id} archived")),
                    None => output::line("disabled"),
                }
            })
        }
    }
}

fn add(vault: &mut Vault, profiles_dir: &Path, args: AddArgs) -> Result<(), CliError> {
    let profile = find_profile(profiles_dir, &args.profile)?;
    let mut record = ServerRecord::new(args.name.clone(), args.profile.clone(), &args.url)?;
    record.username = args.username;
    if let Some(var) = &args.password_env {
        record.credentials.password = Some(env_secret(var, "password")?);
    }
    if let Some(var) = &args.token_env {
        record.credentials.token = Some(env_secret(var, "session token")?);
    }
    if let Some(var) = &args.cookie_env {
        let cookie = env_secret(var, "session cookie")?;
        record
            .credentials
            .set_cookies_from(cookie.expose(), profile.cookie_name());
    }
    VaultServerStore::new(vault).add(record)?;
    output::line(&args.name)
}

fn profiles(dir: &Path) -> Result<(), CliError> {
    for profile in Profile::all(Some(dir))? {
        let ops: Vec<&str> = profile.ops.keys().map(|op| op.as_str()).collect();
        output::row(&[&profile.name, &ops.join(","), &profile.description])?;
    }
    Ok(())
}

/// What a flow runs with.
struct Context {
    profile: Profile,
    record: ServerRecord,
    client: ServerClient,
}

/// Loads server `name` from the vault, runs `flow`, and saves the record
/// back whatever the outcome: the session it obtained (token, cookies),
/// the linked account, the last time step (a code that was sent counts
/// even when it was refused) and the user id.
fn with_server(
    vault: &mut Vault,
    profiles_dir: &Path,
    name: &str,
    flow: impl FnOnce(&mut Context, &mut Vault) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let record = VaultServerStore::new(vault).load(name)?;
    let profile = find_profile(profiles_dir, &record.profile)?;
    let mut context = Context {
        profile,
        record,
        client: client()?,
    };
    let result = flow(&mut context, vault);
    if let Err(CliError::Server(ServerError::Unauthorized { .. })) = &result {
        forget_refused_session(&context.profile, &mut context.record);
    }
    let saved = VaultServerStore::new(vault).save(&context.record);
    result?;
    Ok(saved?)
}

/// After the server refused the session: forgets a kept session token
/// that a password login can replace, so that the next command logs in
/// again instead of sending the refused token forever (nothing is retried
/// now). Pasted credentials (a token with no password, cookies) stay.
fn forget_refused_session(profile: &Profile, record: &mut ServerRecord) {
    if record.credentials.password.is_some() && profile.has(OpName::Login) {
        record.credentials.token = None;
    }
}

/// The value of environment variable `var`, which must be set.
fn env_secret(var: &str, what: &str) -> Result<SecretString, CliError> {
    if var.is_empty() || var.contains('=') || var.contains('\0') {
        return Err(CliError::Password(format!(
            "{var:?} is not an environment variable name"
        )));
    }
    match unlock::given_password(var, None)? {
        Some(value) => Ok(value),
        None => Err(CliError::Password(format!(
            "{var} is not set; it should hold the server's {what}"
        ))),
    }
}

fn client() -> Result<ServerClient, CliError> {
    let offset = match default_settings_path() {
        Some(path) => Settings::load(&path)?.clock_offset_ms,
        None => 0,
    };
    let clock = Arc::new(OffsetClock::new(crate::core::clock::SystemClock, offset));
    Ok(ServerClient::new(
        Http::new(HttpOptions::default())?,
        clock,
        Arc::new(TokioPause),
        Some(qr_decoder()),
    ))
}

fn find_profile(dir: &Path, name: &str) -> Result<Profile, CliError> {
    Profile::all(Some(dir))?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(|| {
            ServerError::UnknownProfile {
                name: name.to_owned(),
            }
            .into()
        })
}

#[derive(Serialize)]
struct Listed {
    name: String,
    profile: String,
    url: String,
    username: Option<String>,
    account_id: Option<String>,
    /// Which credentials are kept (never their values).
    password: bool,
    token: bool,
    cookies: Vec<String>,
}

fn list(store: &VaultServerStore<'_>, json: bool) -> Result<(), CliError> {
    let listed: Vec<Listed> = store
        .records()?
        .into_iter()
        .map(|(_, r)| Listed {
            account_id: r.account_id.map(|id| id.hyphenated().to_string()),
            password: r.credentials.password.is_some(),
            token: r.credentials.token.is_some(),
            cookies: r.credentials.cookies.keys().cloned().collect(),
            name: r.name,
            profile: r.profile,
            url: r.base_url,
            username: r.username,
        })
        .collect();
    if json {
        return output::json(&listed);
    }
    for s in &listed {
        output::row(&[
            &s.name,
            &s.profile,
            &s.url,
            s.username.as_deref().unwrap_or("-"),
            s.account_id.as_deref().unwrap_or("-"),
        ])?;
    }
    Ok(())
}

/// `profiles/` beside the vault.
fn profiles_dir(vault: &Path) -> PathBuf {
    vault
        .parent()
        .map_or_else(|| PathBuf::from("profiles"), |d| d.join("profiles"))
}

fn block_on<F: Future>(future: F) -> Result<F::Output, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("cannot start the network runtime", e))?;
    Ok(runtime.block_on(future))
}
