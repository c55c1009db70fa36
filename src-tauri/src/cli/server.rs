//! `tessera server ...`: add servers, list them and the profiles, and run
//! the flows of `core::server` (register, enrol, status, login, disable).
//!
//! What is kept where: a server's settings (name, profile, URL, username,
//! the *names* of the environment variables holding its credentials, the
//! linked account id, the last time step sent, the server's user id) are
//! in `<vault file stem>.servers.json` beside the vault; none of them is a
//! secret. The credentials themselves (password, token, cookie) are read
//! from those environment variables at every run and never written
//! anywhere. User profiles are the `*.toml` files of `profiles/` beside
//! the vault.
//!
//! Must never: take a secret from argv, write a credential to a file,
//! print one, or retry a refused request.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::core::clock::{Clock, OffsetClock};
use crate::core::secret::SecretString;
use crate::core::server::{
    Http, HttpOptions, Label, LoginWith, Profile, QrDecoder, ServerClient, ServerError,
    ServerRecord, TokioPause,
};
use crate::core::settings::{Settings, default_settings_path};

use super::error::CliError;
use super::{output, unlock};

/// `tessera server ...`.
#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Add a server. Credentials are read from the named environment
    /// variables at each use, never from the command line.
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

/// A server as saved beside the vault: no secret in here.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Saved {
    name: String,
    profile: String,
    url: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password_env: Option<String>,
    #[serde(default)]
    token_env: Option<String>,
    #[serde(default)]
    cookie_env: Option<String>,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    last_step: Option<u64>,
    #[serde(default)]
    user_id: Option<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct SavedFile {
    servers: Vec<Saved>,
}

/// Runs one `server` command.
pub fn run(
    command: ServerCommand,
    vault_path: &Path,
    password_file: Option<&PathBuf>,
    clock: &Arc<dyn Clock>,
) -> Result<(), CliError> {
    let store = servers_path(vault_path);
    let profiles_dir = profiles_dir(vault_path);
    match command {
        ServerCommand::Add(args) => add(&store, &profiles_dir, args),
        ServerCommand::List { json } => list(&load(&store)?, json),
        ServerCommand::Profiles => profiles(&profiles_dir),
        ServerCommand::Register { name } => with_server(&store, &profiles_dir, &name, |ctx| {
            block_on(ctx.client.register(&ctx.profile, &mut ctx.record))??;
            output::line("registered")
        }),
        ServerCommand::Enrol {
            name,
            issuer,
            account,
        } => {
            let mut vault = unlock::open_unlocked(vault_path, password_file, Arc::clone(clock))?;
            with_server(&store, &profiles_dir, &name, |ctx| {
                let label = Label { issuer, account };
                let id =
                    block_on(
                        ctx.client
                            .enrol(&ctx.profile, &mut ctx.record, &mut vault, &label),
                    )??;
                output::line(&id.hyphenated().to_string())
            })
        }
        ServerCommand::Status { name } => with_server(&store, &profiles_dir, &name, |ctx| {
            // Sessions are not kept between runs yet: with 2FA on, getting
            // one may need a code, hence the vault.
            if ctx.record.account_id.is_some() {
                let mut vault =
                    unlock::open_unlocked(vault_path, password_file, Arc::clone(clock))?;
                block_on(
                    ctx.client
                        .open_session(&ctx.profile, &mut ctx.record, &mut vault),
                )??;
            }
            let enabled = block_on(ctx.client.status(&ctx.profile, &mut ctx.record))??;
            output::line(if enabled { "enabled" } else { "disabled" })
        }),
        ServerCommand::Login { name, backup_code } => {
            let mut vault = unlock::open_unlocked(vault_path, password_file, Arc::clone(clock))?;
            with_server(&store, &profiles_dir, &name, |ctx| {
                let with = if backup_code {
                    LoginWith::BackupCode
                } else {
                    LoginWith::Code
                };
                block_on(
                    ctx.client
                        .login(&ctx.profile, &mut ctx.record, &mut vault, with),
                )??;
                output::line("ok")
            })
        }
        ServerCommand::Disable { name } => {
            let mut vault = unlock::open_unlocked(vault_path, password_file, Arc::clone(clock))?;
            with_server(&store, &profiles_dir, &name, |ctx| {
                let archived = block_on(ctx.client.disable(
                    &ctx.profile,
                    &mut ctx.record,
                    &mut vault,
                ))??;
                match archived {
                    Some(id) => output::line(&format!("disabled; account {id} archived")),
                    None => output::line("disabled"),
                }
            })
        }
    }
}

fn add(store: &Path, profiles_dir: &Path, args: AddArgs) -> Result<(), CliError> {
    find_profile(profiles_dir, &args.profile)?;
    ServerRecord::new(args.name.clone(), args.profile.clone(), &args.url)?;
    let mut file = load(store)?;
    if file.servers.iter().any(|s| s.name == args.name) {
        return Err(ServerError::DuplicateServer { name: args.name }.into());
    }
    for var in [&args.password_env, &args.token_env, &args.cookie_env]
        .into_iter()
        .flatten()
    {
        if var.is_empty() || var.contains('=') {
            return Err(CliError::Password(format!(
                "{var:?} is not an environment variable name"
            )));
        }
    }
    let name = args.name.clone();
    file.servers.push(Saved {
        name: args.name,
        profile: args.profile,
        url: args.url,
        username: args.username,
        password_env: args.password_env,
        token_env: args.token_env,
        cookie_env: args.cookie_env,
        account_id: None,
        last_step: None,
        user_id: None,
    });
    save(store, &file)?;
    output::line(&name)
}

fn profiles(dir: &Path) -> Result<(), CliError> {
    for profile in Profile::all(Some(dir))? {
        let ops: Vec<&str> = profile.ops.keys().map(|op| op.as_str()).collect();
        output::line(&format!(
            "{}\t{}\t{}",
            profile.name,
            ops.join(","),
            profile.description
        ))?;
    }
    Ok(())
}

/// What a flow runs with.
struct Context {
    profile: Profile,
    record: ServerRecord,
    client: ServerClient,
}

/// Loads server `name` with its credentials, runs `flow`, and saves what
/// the flow changed (linked account, last time step, user id) whatever its
/// outcome: a code that was sent counts even when it was refused.
fn with_server(
    store: &Path,
    profiles_dir: &Path,
    name: &str,
    flow: impl FnOnce(&mut Context) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let mut file = load(store)?;
    let index = file
        .servers
        .iter()
        .position(|s| s.name == name)
        .ok_or_else(|| ServerError::UnknownServer {
            name: name.to_owned(),
        })?;
    let saved = file.servers[index].clone();
    let profile = find_profile(profiles_dir, &saved.profile)?;
    let record = record_of(&saved, &profile)?;
    let mut context = Context {
        profile,
        record,
        client: client()?,
    };
    let result = flow(&mut context);
    let entry = &mut file.servers[index];
    entry.account_id = context
        .record
        .account_id
        .map(|id| id.hyphenated().to_string());
    entry.last_step = context.record.last_step;
    entry.user_id.clone_from(&context.record.user_id);
    save(store, &file)?;
    result
}

fn record_of(saved: &Saved, profile: &Profile) -> Result<ServerRecord, CliError> {
    let mut record = ServerRecord::new(saved.name.clone(), saved.profile.clone(), &saved.url)?;
    record.username.clone_from(&saved.username);
    record.account_id = saved
        .account_id
        .as_deref()
        .and_then(|id| Uuid::parse_str(id).ok());
    record.last_step = saved.last_step;
    record.user_id.clone_from(&saved.user_id);
    if let Some(var) = &saved.password_env {
        record.credentials.password = Some(env_secret(var, "password")?);
    }
    if let Some(var) = &saved.token_env {
        record.credentials.token = Some(env_secret(var, "session token")?);
    }
    if let Some(var) = &saved.cookie_env {
        let cookie = env_secret(var, "session cookie")?;
        record
            .credentials
            .set_cookies_from(cookie.expose(), profile.cookie_name());
    }
    Ok(record)
}

/// The value of environment variable `var`, which must be set.
fn env_secret(var: &str, what: &str) -> Result<SecretString, CliError> {
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
        qr_decoder(),
    ))
}

/// The QR decoder for servers that answer with an image only.
fn qr_decoder() -> Option<QrDecoder> {
    None
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
struct Listed<'a> {
    name: &'a str,
    profile: &'a str,
    url: &'a str,
    username: Option<&'a str>,
    account_id: Option<&'a str>,
    password_env: Option<&'a str>,
    token_env: Option<&'a str>,
    cookie_env: Option<&'a str>,
}

fn list(file: &SavedFile, json: bool) -> Result<(), CliError> {
    let listed: Vec<Listed<'_>> = file
        .servers
        .iter()
        .map(|s| Listed {
            name: &s.name,
            profile: &s.profile,
            url: &s.url,
            username: s.username.as_deref(),
            account_id: s.account_id.as_deref(),
            password_env: s.password_env.as_deref(),
            token_env: s.token_env.as_deref(),
            cookie_env: s.cookie_env.as_deref(),
        })
        .collect();
    if json {
        return output::json(&listed);
    }
    for s in &listed {
        output::line(&format!(
            "{}\t{}\t{}\t{}\t{}",
            s.name,
            s.profile,
            s.url,
            s.username.unwrap_or("-"),
            s.account_id.unwrap_or("-")
        ))?;
    }
    Ok(())
}

/// `<vault stem>.servers.json` beside the vault.
fn servers_path(vault: &Path) -> PathBuf {
    let stem = vault
        .file_stem()
        .map_or_else(|| "vault".into(), |s| s.to_string_lossy().into_owned());
    vault.with_file_name(format!("{stem}.servers.json"))
}

/// `profiles/` beside the vault.
fn profiles_dir(vault: &Path) -> PathBuf {
    vault
        .parent()
        .map_or_else(|| PathBuf::from("profiles"), |d| d.join("profiles"))
}

fn load(path: &Path) -> Result<SavedFile, CliError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            CliError::io(
                format!("cannot read {}", path.display()),
                std::io::Error::other(e.to_string()),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(SavedFile::default()),
        Err(e) => Err(CliError::io(format!("cannot read {}", path.display()), e)),
    }
}

/// Writes beside the target and renames, so a crash leaves the old file.
fn save(path: &Path, file: &SavedFile) -> Result<(), CliError> {
    let tmp = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(file)?;
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| CliError::io(format!("cannot write {}", path.display()), e))
}

fn block_on<F: Future>(future: F) -> Result<F::Output, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("cannot start the network runtime", e))?;
    Ok(runtime.block_on(future))
}
