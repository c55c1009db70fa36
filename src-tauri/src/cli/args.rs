//! The command-line grammar. This contract is what scripts and tests rely
//! on: keep it stable.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Tessera: a desktop authenticator. With no command, opens the app.
#[derive(Debug, Parser)]
#[command(name = "tessera", version, about, long_about = None)]
pub struct Cli {
    /// The vault file (default: `vault.tessera` in the platform data directory).
    #[arg(long, global = true, env = "TESSERA_VAULT", value_name = "PATH")]
    pub vault: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the version and where the vault is.
    Info,
}
