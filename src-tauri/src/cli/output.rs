//! Writing results to stdout: a line, or pretty JSON.

use std::io::Write;

use serde::Serialize;

use super::error::CliError;

pub fn line(text: &str) -> Result<(), CliError> {
    writeln!(std::io::stdout().lock(), "{text}").map_err(stdout_error)
}

pub fn json(value: &impl Serialize) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out).map_err(stdout_error)
}

pub fn stdout_error(error: std::io::Error) -> CliError {
    CliError::io("cannot write to stdout", error)
}
