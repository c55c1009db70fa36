//! Native open and save dialogs, shown by a child process (this executable
//! started with [`CHILD_ARG`]) instead of inside the app.
//!
//! Why a child: GTK's file chooser lists the folder it shows through GIO,
//! whose worker threads open and close every file there to guess its
//! content type (seen with `strace -k`: `g_file_query_info` and the local
//! file enumerator opening `vault.tessera` and `vault.tessera-shm` with
//! `O_NOATIME`). In the app that includes the open vault, and on POSIX
//! closing any descriptor of a file drops every `fcntl` lock the process
//! holds on that file: `SQLite`'s locks. The CLI beside the window would then
//! take the vault for unused, checkpoint and delete the write-ahead log the
//! app still writes to, and every later write of the app would be lost. The
//! child has no vault open, so what it opens harms nothing.
//!
//! Owns: the request and answer passed to the child (JSON on its standard
//! input and output) and the child's side (`rfd` with GTK).
//!
//! Must never: be handed anything secret (the request holds a title, a file
//! name, filters and a folder), or open a file in the app process.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

use serde::{Deserialize, Serialize};

/// The first argument that makes the executable show one dialog and exit.
pub const CHILD_ARG: &str = "--file-dialog-child";

/// Open an existing file, choose where to save a new one, or choose a
/// folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Purpose {
    Open,
    Save,
    Folder,
}

/// A file type the dialog offers (`Pictures`: `png`, `jpg`, ...).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Filter {
    name: String,
    extensions: Vec<String>,
}

/// One dialog to show.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileDialog {
    purpose: Purpose,
    title: String,
    file_name: Option<String>,
    filters: Vec<Filter>,
}

/// What the child answers: the chosen path, `None` if the user cancelled.
#[derive(Debug, Serialize, Deserialize)]
struct Answer {
    path: Option<PathBuf>,
}

/// Why no dialog could be shown.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileDialogError {
    /// The child process could not be started or talked to.
    #[error("cannot show the file dialog: {0}")]
    Child(String),
}

impl FileDialog {
    /// A dialog choosing an existing file to open.
    pub fn open(title: impl Into<String>) -> Self {
        Self {
            purpose: Purpose::Open,
            title: title.into(),
            file_name: None,
            filters: Vec::new(),
        }
    }

    /// A dialog choosing where to save a new file, suggesting `file_name`.
    pub fn save(title: impl Into<String>, file_name: impl Into<String>) -> Self {
        Self {
            purpose: Purpose::Save,
            title: title.into(),
            file_name: Some(file_name.into()),
            filters: Vec::new(),
        }
    }

    /// A dialog choosing an existing folder.
    pub fn folder(title: impl Into<String>) -> Self {
        Self {
            purpose: Purpose::Folder,
            title: title.into(),
            file_name: None,
            filters: Vec::new(),
        }
    }

    /// Offers files named `*.EXTENSION` for each of `extensions`, as `name`.
    #[must_use]
    pub fn filter(mut self, name: impl Into<String>, extensions: &[&str]) -> Self {
        self.filters.push(Filter {
            name: name.into(),
            extensions: extensions.iter().map(|e| (*e).to_owned()).collect(),
        });
        self
    }

    /// Shows the dialog in a child process and waits for the user: the
    /// chosen path, or `None` if they cancelled. Blocks; call it off the
    /// main thread.
    ///
    /// # Errors
    /// `Child` if this executable cannot be started again or answers
    /// something else than an [`Answer`].
    pub fn show(&self) -> Result<Option<PathBuf>, FileDialogError> {
        let failed = |what: &str, error: &dyn std::fmt::Display| {
            FileDialogError::Child(format!("{what}: {error}"))
        };
        let exe = std::env::current_exe().map_err(|e| failed("no path to this program", &e))?;
        let request = serde_json::to_vec(self).map_err(|e| failed("bad request", &e))?;
        let mut child = Command::new(exe)
            .arg(CHILD_ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| failed("cannot start the dialog process", &e))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(&request)
                .map_err(|e| failed("cannot send the request", &e))?;
        }
        let output = child
            .wait_with_output()
            .map_err(|e| failed("the dialog process did not answer", &e))?;
        answer_of(output.status, &output.stdout)
    }
}

/// The path the child chose (`None`: cancelled) from its exit status and
/// what it wrote. GTK sometimes crashes while the child exits, after the
/// answer was written and flushed in full (about one dialog in ten under
/// Xvfb here): a complete answer stands whatever the status.
fn answer_of(
    status: std::process::ExitStatus,
    stdout: &[u8],
) -> Result<Option<PathBuf>, FileDialogError> {
    let failed = |what: &str, error: &dyn std::fmt::Display| {
        FileDialogError::Child(format!("{what}: {error}"))
    };
    match serde_json::from_slice::<Answer>(stdout) {
        Ok(answer) => {
            if !status.success() {
                tracing::warn!(%status, "the file dialog process failed after answering");
            }
            Ok(answer.path)
        }
        Err(_) if !status.success() => Err(failed("the dialog process failed", &status)),
        Err(error) => Err(failed("the dialog process answered garbage", &error)),
    }
}

/// The child's side: reads one [`FileDialog`] from standard input, shows it,
/// and writes the [`Answer`] to standard output.
pub fn run_child() -> ExitCode {
    let mut request = Vec::new();
    if let Err(error) = std::io::stdin().read_to_end(&mut request) {
        eprintln!("tessera: file dialog: cannot read the request: {error}");
        return ExitCode::FAILURE;
    }
    let dialog: FileDialog = match serde_json::from_slice(&request) {
        Ok(dialog) => dialog,
        Err(error) => {
            eprintln!("tessera: file dialog: bad request: {error}");
            return ExitCode::FAILURE;
        }
    };
    let answer = Answer {
        path: show_here(&dialog),
    };
    let mut stdout = std::io::stdout().lock();
    // Flushed before the process starts to exit (where GTK may crash).
    let written = serde_json::to_writer(&mut stdout, &answer)
        .map_err(std::io::Error::from)
        .and_then(|()| stdout.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tessera: file dialog: cannot answer: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Shows `dialog` in this process (the child).
fn show_here(dialog: &FileDialog) -> Option<PathBuf> {
    let mut native = rfd::FileDialog::new().set_title(&dialog.title);
    if let Some(name) = &dialog.file_name {
        native = native.set_file_name(name);
    }
    for filter in &dialog.filters {
        native = native.add_filter(&filter.name, &filter.extensions);
    }
    match dialog.purpose {
        Purpose::Open => native.pick_file(),
        Purpose::Save => native.save_file(),
        Purpose::Folder => native.pick_folder(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child that crashed while exiting, after answering in full, gave
    /// its answer; one that crashed before, or answered garbage, did not.
    #[cfg(unix)]
    #[test]
    fn a_complete_answer_stands_when_the_child_crashes_while_exiting() {
        use std::os::unix::process::ExitStatusExt;
        use std::process::ExitStatus;
        let segfault = ExitStatus::from_raw(11);
        let exited = ExitStatus::from_raw(0);
        let answer = br#"{"path":"/tmp/backup.tessera"}"#;
        for status in [segfault, exited] {
            assert_eq!(
                answer_of(status, answer).unwrap(),
                Some(PathBuf::from("/tmp/backup.tessera"))
            );
        }
        assert_eq!(answer_of(exited, br#"{"path":null}"#).unwrap(), None);
        let crashed = answer_of(segfault, br#"{"path":"/tm"#).unwrap_err();
        assert!(
            crashed.to_string().contains("the dialog process failed"),
            "{crashed}"
        );
        let garbage = answer_of(exited, b"hello").unwrap_err();
        assert!(garbage.to_string().contains("garbage"), "{garbage}");
    }

    #[test]
    fn the_request_names_no_more_than_title_file_name_and_filters() {
        let dialog =
            FileDialog::save("Export accounts", "aegis-export.json").filter("Aegis", &["json"]);
        let json = serde_json::to_value(&dialog).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "purpose": "Save",
                "title": "Export accounts",
                "file_name": "aegis-export.json",
                "filters": [{"name": "Aegis", "extensions": ["json"]}],
            })
        );
        let back: FileDialog = serde_json::from_value(json).unwrap();
        assert_eq!(back.purpose, Purpose::Save);
    }
}
