//! The command-line grammar. This contract is what scripts and tests rely
//! on: keep it stable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Tessera: a desktop authenticator. With no command, opens the app;
/// with an otpauth:// link instead of a command, opens it on the link's
/// accounts, to add them once confirmed.
///
/// The vault password comes from `TESSERA_PASSWORD`, `--password-file`, the
/// OS keyring (when enabled for the vault) or a prompt, in that order.
///
/// Secrets given as arguments (an otpauth:// URI, backup codes) are visible
/// to other users in the process list: pass `-` instead to read them from
/// standard input, one per line, or set `TESSERA_URI` /
/// `TESSERA_BACKUP_CODES`.
#[derive(Debug, Parser)]
#[command(
    name = "tessera",
    version,
    about,
    long_about = None,
    after_help = "With an otpauth:// or otpauth-migration:// link in place of a command \
                  (`tessera LINK`, what the desktop's link handler runs), opens the app on \
                  the link's accounts, to add them once confirmed."
)]
pub struct Cli {
    /// The vault file (default: `vault.tessera` in the platform data directory).
    #[arg(long, global = true, env = "TESSERA_VAULT", value_name = "PATH")]
    pub vault: Option<PathBuf>,

    /// Read the vault password from the first line of this file (at most
    /// 4096 bytes; a warning if other users can read the file).
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// `tessera LINK`: an otpauth:// or otpauth-migration:// link in place
    /// of a command opens the app (or the one already open on the vault)
    /// on its accounts, to add them once confirmed. What the desktop's
    /// link handler runs. Any other word there is a mistyped command.
    #[command(external_subcommand)]
    Link(Vec<String>),
    /// Print the version and where the vault is.
    Info,
    /// Create a new, empty vault.
    Init(InitArgs),
    /// Add the account of an otpauth:// URI, or every account in the QR
    /// codes of pictures (--image); prints the new accounts' ids.
    ///
    /// The URI holds the secret: `-` reads URIs from standard input (one
    /// per line), and with neither URI nor --image they come from
    /// `TESSERA_URI` (one per line); a URI given as the argument is visible
    /// to other users in the process list.
    Add {
        /// An `otpauth://totp/...`, `otpauth://hotp/...` or `otpauth://steam/...` URI,
        /// or `-` to read URIs from standard input.
        #[arg(conflicts_with = "image")]
        uri: Option<String>,
        /// A picture (PNG, JPEG, GIF, WebP, BMP, SVG) whose QR codes hold
        /// accounts, a Google Authenticator export included (repeatable).
        #[arg(long, value_name = "FILE")]
        image: Vec<PathBuf>,
        /// A tag for the account (repeatable).
        #[arg(long = "tag", value_name = "T")]
        tags: Vec<String>,
        /// Add an account even when the vault already holds one with the
        /// same secret and parameters (without it, such an account is left
        /// out and named on standard error).
        #[arg(long)]
        keep_copy: bool,
    },
    /// Read the QR codes in pictures, on the screen or on the clipboard, and print each
    /// account's otpauth:// URI (secret included), one per line.
    Scan {
        /// Pictures: PNG, JPEG, GIF, WebP, BMP or SVG.
        #[arg(
            value_name = "FILE",
            required_unless_present_any = ["screen", "clipboard"],
            conflicts_with_all = ["screen", "clipboard"]
        )]
        files: Vec<PathBuf>,
        /// Capture every screen instead of reading files (X11, or the
        /// desktop portal on Wayland).
        #[arg(long, conflicts_with = "clipboard")]
        screen: bool,
        /// Read the clipboard instead: a copied QR code image, or copied
        /// otpauth:// / otpauth-migration:// URIs.
        #[arg(long)]
        clipboard: bool,
        #[arg(long)]
        json: bool,
    },
    /// Write the account matching ID as a QR code for a phone to scan.
    ShowQr {
        #[arg(value_name = "ID")]
        query: String,
        /// FILE.png or FILE.svg: a new file, mode 0600 (an existing file or
        /// a symbolic link is refused).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// List the accounts (never their secrets).
    List {
        /// One JSON array instead of lines of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the current code of the one account matching QUERY.
    ///
    /// QUERY matches the id, issuer or account name (case-insensitive
    /// substring). An HOTP account's counter advances with each code.
    ///
    /// Exit status 2 when no account matches (1 for any other failure).
    Code {
        query: String,
        /// Compute the code at this time instead of now.
        #[arg(long, value_name = "UNIX_SECONDS", conflicts_with = "wait")]
        at: Option<u64>,
        /// If fewer than SECONDS are left of the current code, wait for
        /// the next one and print that.
        #[arg(long, value_name = "SECONDS")]
        wait: Option<u32>,
        /// Put the code on the clipboard instead of printing it; it is
        /// cleared after the time set in the app (Settings › Security).
        #[arg(long)]
        copy: bool,
        #[arg(long)]
        json: bool,
    },
    /// Remove the one account matching ID.
    Remove {
        #[arg(value_name = "ID")]
        query: String,
    },
    /// Keep an account's backup (recovery) codes.
    #[command(subcommand)]
    BackupCodes(BackupCodesCommand),
    /// Import accounts from another authenticator's file (format sniffed
    /// from the content). An encrypted file's password comes from
    /// `TESSERA_IMPORT_PASSWORD` or a prompt.
    Import {
        file: PathBuf,
        #[arg(long, value_name = "F")]
        format: Option<crate::core::transfer::Format>,
        /// The key file of a `KeePass` database (with its password, if it has
        /// one).
        #[arg(long, value_name = "FILE")]
        key_file: Option<PathBuf>,
        /// Show what would be imported; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Export every account to a new file. Plaintext formats need
    /// --yes-plaintext; the aegis-encrypted password comes from
    /// `TESSERA_EXPORT_PASSWORD` or a prompt.
    Export {
        #[arg(long, value_name = "F")]
        format: crate::core::transfer::ExportFormat,
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
        #[arg(long)]
        yes_plaintext: bool,
    },
    /// Drive 2FA enrolment, login and disabling on remote servers.
    #[command(subcommand)]
    Server(super::server::ServerCommand),
    /// Sync this vault with your other devices, end to end encrypted,
    /// through a folder (Syncthing, Nextcloud, a USB stick) or WebDAV.
    #[allow(clippy::doc_markdown)] // clap's help text: no backticks
    #[command(subcommand)]
    Sync(super::sync::SyncCommand),
    /// Change the vault password.
    ///
    /// The new password comes from `TESSERA_NEW_PASSWORD`,
    /// `--new-password-file` or a prompt.
    Passwd {
        #[arg(long, value_name = "FILE")]
        new_password_file: Option<PathBuf>,
    },
    /// Unlock the vault through the OS keyring, or stop doing so.
    #[command(subcommand)]
    Keyring(KeyringCommand),
    /// Print the completion script of SHELL (bash, zsh, fish, elvish or
    /// powershell), e.g. `tessera completions bash > ~/.local/share/bash-completion/completions/tessera`.
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff), e.g. `tessera man | man -l -`.
    Man,
}

/// `init` options. The key-derivation cost is measured on this machine so
/// that an unlock takes about half a second; the options fix it instead.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Argon2id memory in MiB (default 256).
    #[arg(long, value_name = "MIB")]
    pub kdf_memory_mib: Option<u32>,
    /// Argon2id passes (default: calibrated, at least 2).
    #[arg(long, value_name = "N")]
    pub kdf_passes: Option<u32>,
    /// Argon2id lanes (default: 2 to 4, after the CPU count).
    #[arg(long, value_name = "N")]
    pub kdf_lanes: Option<u32>,
}

/// The codes of `backup-codes add|use`: `-` reads them from standard input
/// (one per line); with none given they come from `TESSERA_BACKUP_CODES`
/// (one per line). Codes given as arguments are visible to other users in
/// the process list.
#[derive(Debug, Subcommand)]
pub enum BackupCodesCommand {
    /// Add backup codes to the account matching ID.
    ///
    /// CODE... or `-` (standard input, one per line) or
    /// `TESSERA_BACKUP_CODES` (one per line).
    Add {
        #[arg(value_name = "ID")]
        query: String,
        /// The codes, or `-` to read them from standard input.
        #[arg(value_name = "CODE")]
        codes: Vec<String>,
    },
    /// Print the account's backup codes, unused first, and how many are left.
    List {
        #[arg(value_name = "ID")]
        query: String,
        #[arg(long)]
        json: bool,
    },
    /// Mark backup codes of the account as used.
    ///
    /// CODE... or `-` (standard input, one per line) or
    /// `TESSERA_BACKUP_CODES` (one per line).
    Use {
        #[arg(value_name = "ID")]
        query: String,
        /// The codes, or `-` to read them from standard input.
        #[arg(value_name = "CODE")]
        codes: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyringCommand {
    /// Store a key in the OS keyring so that the vault opens without the password.
    Enable,
    /// Remove the keyring key; the password alone opens the vault again.
    Disable,
}
