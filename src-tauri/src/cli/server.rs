//! `tessera server ...`: add servers, list them and the profiles, and run
//! the flows of `core::server` through its `FlowRunner` (register, enrol,
//! status, login, disable), the same runner the window uses.
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

use crate::core::clock::Clock;
use crate::core::secret::SecretString;
use crate::core::server::{
    Disable, Enrol, FlowRunner, Label, Login, LoginWith, NewServer, Register, Status,
    VaultServerStore,
};
use crate::core::settings::Settings;

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
    settings: &Settings,
) -> Result<(), CliError> {
    let runner = FlowRunner::new(vault_path, Arc::new(settings.code_clock()))?;
    if let ServerCommand::Profiles = command {
        return profiles(&runner);
    }
    let mut vault = unlock::open_unlocked(vault_path, password_file, Arc::clone(clock))?;
    let vault = &mut vault;
    match command {
        ServerCommand::Profiles => profiles(&runner),
        ServerCommand::Add(args) => {
            let server = new_server(args)?;
            let record = block_on(runner.add(vault, server))??;
            output::line(&record.name)
        }
        ServerCommand::List { json } => list(&VaultServerStore::new(vault), json),
        ServerCommand::Register { name } => {
            block_on(runner.run(vault, &name, Register))??.outcome?;
            output::line("registered")
        }
        ServerCommand::Enrol {
            name,
            issuer,
            account,
        } => {
            let enrol = Enrol {
                label: Label { issuer, account },
                on_step: None,
            };
            let id = block_on(runner.run(vault, &name, enrol))??.outcome?;
            output::line(&id.hyphenated().to_string())
        }
        ServerCommand::Status { name } => {
            let enabled = block_on(runner.run(vault, &name, Status))??.outcome?;
            output::line(if enabled { "enabled" } else { "disabled" })
        }
        ServerCommand::Login { name, backup_code } => {
            let with = if backup_code {
                LoginWith::BackupCode
            } else {
                LoginWith::Code
            };
            block_on(runner.run(vault, &name, Login(with)))??.outcome?;
            output::line("ok")
        }
        ServerCommand::Disable { name } => {
            match block_on(runner.run(vault, &name, Disable))??.outcome? {
                Some(id) => output::line(&format!("disabled; account {id} archived")),
                None => output::line("disabled"),
            }
        }
    }
}

/// The server `server add` describes, its credentials read from the
/// environment variables it names.
fn new_server(args: AddArgs) -> Result<NewServer, CliError> {
    let env = |var: &Option<String>, what| var.as_deref().map(|v| env_secret(v, what)).transpose();
    Ok(NewServer {
        password: env(&args.password_env, "password")?,
        token: env(&args.token_env, "session token")?,
        cookie: env(&args.cookie_env, "session cookie")?,
        name: args.name,
        profile: args.profile,
        url: args.url,
        username: args.username,
        register: false,
        // The user typed the command: that is the confirmation.
        host_confirmed: true,
    })
}

fn profiles(runner: &FlowRunner) -> Result<(), CliError> {
    for profile in runner.profiles()? {
        let ops: Vec<&str> = profile.ops.keys().map(|op| op.as_str()).collect();
        output::row(&[&profile.name, &ops.join(","), &profile.description])?;
    }
    Ok(())
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

fn block_on<F: Future>(future: F) -> Result<F::Output, CliError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::io("cannot start the network runtime", e))?;
    Ok(runtime.block_on(future))
}
