//! The command-line front end (clap). With no subcommand it opens the GUI;
//! with one it works on the same vault through the core, printing results on
//! stdout and one line naming the problem on stderr (exit status 1).
//!
//! Must never: print a secret the user did not ask for (only `code` and
//! `backup-codes list` print secret material), or implement vault or OTP
//! logic itself.

mod accounts;
mod args;
mod backup_codes;
pub mod copy;
mod error;
mod output;
mod qr;
mod secret_input;
mod server;
mod sync;
mod transfer;
mod unlock;
mod vault_setup;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

pub use args::{BackupCodesCommand, Cli, Command, InitArgs, KeyringCommand};
pub use error::CliError;

use crate::core;
use crate::core::clock::{Clock, SystemClock};
use crate::core::link::AccountLink;
use crate::core::settings::Settings;
use crate::core::vault::Vault;

/// Parses `std::env::args` and runs what they ask for.
pub fn main_entry() -> ExitCode {
    let cli = Cli::parse();
    let vault_path = match resolve_vault_path(cli.vault.clone()) {
        Ok(path) => path,
        Err(message) => return fail(&message),
    };
    let command = match cli.command {
        None => return open_gui(vault_path, None),
        Some(Command::Link(words)) => {
            return match words.as_slice() {
                [argument] => match opened_link(argument) {
                    Ok(link) => open_gui(vault_path, Some(link)),
                    Err(message) => fail(&message),
                },
                [argument, ..] if !AccountLink::looks_like_one(argument) => {
                    fail(&opened_link(argument).err().unwrap_or_default())
                }
                _ => fail("a link is given alone, without a command after it"),
            };
        }
        Some(command) => command,
    };
    match run(command, &vault_path, cli.password_file.as_ref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            output::note(&error.to_string());
            error.exit_code()
        }
    }
}

fn run(command: Command, vault: &Path, password_file: Option<&PathBuf>) -> Result<(), CliError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let unlocked = || unlock::open_unlocked(vault, password_file, Arc::clone(&clock));
    match command {
        // `main_entry` opens the app on a link before it runs commands.
        Command::Link(_) => Err(CliError::Input(
            "a link opens the app; it is no command to run".to_owned(),
        )),
        Command::Info => print_info(vault),
        Command::Init(args) => vault_setup::init(vault, password_file, &args, Arc::clone(&clock)),
        Command::Add {
            uri,
            image,
            tags,
            keep_copy,
        } => add(uri, &image, &tags, keep_copy, unlocked),
        Command::Scan {
            screen: true, json, ..
        } => qr::print_screen(json),
        Command::Scan {
            files,
            clipboard,
            json,
            ..
        } => qr::scan(&files, clipboard, json),
        Command::ShowQr { query, out } => qr::show_qr(&unlocked()?, &query, &out),
        Command::List { json } => accounts::list(&unlocked()?, json),
        Command::Code {
            query,
            at,
            wait,
            copy,
            json,
        } => {
            let settings = load_settings()?;
            let request = accounts::CodeRequest {
                at,
                wait_below_s: wait,
                copy_for_s: copy.then_some(settings.clipboard_clear_seconds),
                json,
            };
            accounts::code(&mut unlocked()?, &query, &settings.code_clock(), &request)
        }
        Command::Remove { query } => accounts::remove(&mut unlocked()?, &query),
        Command::BackupCodes(BackupCodesCommand::Add { query, codes }) => {
            let codes = secret_input::values(codes, secret_input::BACKUP_CODE)?;
            backup_codes::add(&mut unlocked()?, &query, codes)
        }
        Command::BackupCodes(BackupCodesCommand::List { query, json }) => {
            backup_codes::list(&unlocked()?, &query, json)
        }
        Command::BackupCodes(BackupCodesCommand::Use { query, codes }) => {
            let codes = secret_input::values(codes, secret_input::BACKUP_CODE)?;
            backup_codes::mark_used(&mut unlocked()?, &query, &codes)
        }
        Command::Import {
            file,
            format,
            key_file,
            dry_run,
            json,
        } => transfer::import(
            &mut unlocked()?,
            &file,
            format,
            key_file.as_deref(),
            dry_run,
            json,
        ),
        Command::Export {
            format,
            out,
            yes_plaintext,
        } => transfer::export(&unlocked()?, format, &out, yes_plaintext),
        Command::Server(command) => {
            server::run(command, vault, password_file, &clock, &load_settings()?)
        }
        Command::Sync(command) => sync::run(command, &mut unlocked()?),
        Command::Passwd { new_password_file } => vault_setup::passwd(
            vault,
            password_file,
            new_password_file.as_ref(),
            Arc::clone(&clock),
        ),
        Command::Keyring(command) => {
            vault_setup::keyring(vault, password_file, &command, Arc::clone(&clock))
        }
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut command, "tessera", &mut std::io::stdout());
            Ok(())
        }
        Command::Man => print_manual(),
    }
}

/// `tessera add`: the accounts of URIs, or of the QR codes of pictures.
fn add(
    uri: Option<String>,
    images: &[PathBuf],
    tags: &[String],
    keep_copies: bool,
    open_vault: impl FnOnce() -> Result<Vault, CliError>,
) -> Result<(), CliError> {
    if images.is_empty() {
        let uris = secret_input::values(uri.into_iter().collect(), secret_input::URI)?;
        accounts::add(&uris, tags, keep_copies, open_vault)
    } else {
        qr::add_images(images, tags, keep_copies, open_vault)
    }
}

/// `tessera man`: the manual page, in roff.
fn print_manual() -> Result<(), CliError> {
    let page = clap_mangen::Man::new(<Cli as clap::CommandFactory>::command());
    page.render(&mut std::io::stdout())
        .map_err(|e| CliError::io("cannot write the manual page", e))
}

/// The user's settings (defaults when there is no settings file).
fn load_settings() -> Result<Settings, CliError> {
    match core::settings::default_settings_path() {
        Some(path) => Ok(Settings::load(&path)?),
        None => Ok(Settings::default()),
    }
}

/// `--vault` / `TESSERA_VAULT` if given (clap merges both), else the default.
fn resolve_vault_path(explicit: Option<PathBuf>) -> Result<PathBuf, String> {
    explicit
        .or_else(core::paths::default_vault_path)
        .ok_or_else(|| {
            "no home directory to put the vault in; pass --vault PATH or set TESSERA_VAULT"
                .to_owned()
        })
}

#[cfg(feature = "desktop")]
fn open_gui(vault_path: PathBuf, link: Option<AccountLink>) -> ExitCode {
    if let Some(message) = missing_display_message() {
        return fail(&message);
    }
    let state = crate::AppState::new(vault_path);
    if let Some(dir) = core::logging::log_dir() {
        core::logging::install(&dir, state.log_level());
        core::crash::install(dir);
    }
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "Tessera started");
    match crate::run_gui(state, link) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&format!("could not open the window: {error}")),
    }
}

#[cfg(not(feature = "desktop"))]
fn open_gui(_vault_path: PathBuf, _link: Option<AccountLink>) -> ExitCode {
    fail(
        "this build of Tessera has no desktop app (built without the `desktop` feature); see `tessera --help`",
    )
}

/// The argument given instead of a command: a link to open, or a mistyped
/// command (named back only when it is not a link, which holds a secret).
fn opened_link(argument: &str) -> Result<AccountLink, String> {
    if !AccountLink::looks_like_one(argument) {
        let suggestion = closest_command(argument).map_or_else(
            || " (see `tessera --help`)".to_owned(),
            |name| format!("; did you mean `tessera {name}`?"),
        );
        return Err(format!(
            "'{}' is not a command nor an otpauth:// link{suggestion}",
            output::escape(argument)
        ));
    }
    AccountLink::parse(argument).map_err(|error| format!("cannot open the link: {error}"))
}

/// The command a few typing mistakes from `typed`, if one is.
fn closest_command(typed: &str) -> Option<String> {
    use clap::CommandFactory;
    let typed = typed.to_lowercase();
    let allowed = (typed.chars().count() / 3).clamp(1, 2);
    Cli::command()
        .get_subcommands()
        .map(|command| command.get_name().to_owned())
        .map(|name| (accounts::typing_distance(&typed, &name), name))
        .filter(|(distance, _)| *distance <= allowed)
        .min()
        .map(|(_, name)| name)
}

/// On Linux and the BSDs GTK needs a display; say how to get one instead of
/// letting GTK panic.
#[cfg(feature = "desktop")]
fn missing_display_message() -> Option<String> {
    if !cfg!(any(
        target_os = "linux",
        target_os = "freebsd",
        target_os = "openbsd",
        target_os = "netbsd"
    )) {
        return None;
    }
    let has = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    if has("DISPLAY") || has("WAYLAND_DISPLAY") {
        return None;
    }
    Some(
        "no display: DISPLAY and WAYLAND_DISPLAY are unset. Run Tessera inside a desktop session, \
         or under a virtual X server: `xvfb-run -a tessera` (Debian package xvfb), or `make run-xvfb`. \
         Command-line use needs no display: `tessera --help`."
            .to_owned(),
    )
}

fn print_info(vault_path: &Path) -> Result<(), CliError> {
    let state = if vault_path.is_file() {
        "exists"
    } else {
        "not created yet"
    };
    output::line(&format!("tessera {}", env!("CARGO_PKG_VERSION")))?;
    output::line(&format!("vault: {} ({state})", vault_path.display()))
}

/// The one line naming the problem, escaped (an error may quote a label
/// from the vault or a file).
fn fail(message: &str) -> ExitCode {
    output::note(message);
    ExitCode::FAILURE
}
