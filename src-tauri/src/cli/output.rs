//! Writing results to stdout (a line, tab-separated fields, or pretty
//! JSON) and warnings and errors to stderr, with every character that
//! could steer the terminal escaped.
//!
//! Text printed by the CLI comes from the vault and from files being
//! imported: an issuer, a label, a note of an import file. Such text may
//! hold terminal escape sequences (clear the screen, retitle the window,
//! hide the rest of a line) or bidirectional overrides (show a line in
//! another order than it is). [`escape`] writes those characters as
//! `\u{..}`; every printing function here applies it, so no path prints
//! them raw.
//!
//! Must never: write a control character (C0, DEL, C1) or a bidi
//! override/isolate (U+202A–U+202E, U+2066–U+2069) to the terminal; in
//! JSON they are `\uXXXX` escapes, so the value a program parses is the
//! original text.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Write;

use serde::Serialize;

use super::error::CliError;

/// Whether `c` could steer a terminal or reorder what it shows.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character (C0, DEL, C1, so also tab and
/// newline) and bidi override written as `\u{hex}`.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line on stdout, escaped.
pub fn line(text: &str) -> Result<(), CliError> {
    writeln!(std::io::stdout().lock(), "{}", escape(text)).map_err(stdout_error)
}

/// One line of tab-separated fields on stdout, each escaped (a tab inside a
/// field cannot shift the columns).
pub fn row(fields: &[&str]) -> Result<(), CliError> {
    let escaped: Vec<Cow<'_, str>> = fields.iter().map(|field| escape(field)).collect();
    line_raw(&escaped.join("\t"))
}

/// One line on stdout as it is; only for text built from escaped parts.
fn line_raw(text: &str) -> Result<(), CliError> {
    writeln!(std::io::stdout().lock(), "{text}").map_err(stdout_error)
}

/// `tessera: warning: TEXT` on stderr, escaped.
pub fn warn(text: &str) {
    eprintln!("tessera: warning: {}", escape(text));
}

/// `tessera: TEXT` on stderr, escaped: a note that is not a warning.
pub fn note(text: &str) {
    eprintln!("tessera: {}", escape(text));
}

/// Pretty JSON on stdout. serde escapes the C0 controls; DEL, C1 and the
/// bidi characters, which it leaves as they are, become `\uXXXX` too.
pub fn json(value: &impl Serialize) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, TerminalSafe::default());
    value.serialize(&mut serializer)?;
    writeln!(out).map_err(stdout_error)
}

pub fn stdout_error(error: std::io::Error) -> CliError {
    CliError::io("cannot write to stdout", error)
}

/// `serde_json`'s pretty formatter, writing every character [`is_unsafe`]
/// finds inside a string as a `\uXXXX` escape.
#[derive(Default)]
struct TerminalSafe(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for TerminalSafe {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some((at, c)) = rest.char_indices().find(|&(_, c)| is_unsafe(c)) {
            writer.write_all(&rest.as_bytes()[..at])?;
            // Every unsafe character is in the Basic Multilingual Plane.
            write!(writer, "\\u{:04x}", u32::from(c))?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(writer)
    }
}

#[cfg(test)]
mod tests {
    use super::{TerminalSafe, escape};

    #[test]
    fn escapes_controls_and_bidi_and_keeps_the_rest() {
        assert_eq!(escape("GitHub: ünïcode ✓"), "GitHub: ünïcode ✓");
        assert_eq!(
            escape("a\u{1b}[2Jb\u{1b}]0;t\u{7}\tc\n\u{7f}\u{9b}\u{202e}\u{2066}"),
            "a\\u{1b}[2Jb\\u{1b}]0;t\\u{7}\\u{9}c\\u{a}\\u{7f}\\u{9b}\\u{202e}\\u{2066}"
        );
    }

    #[test]
    fn json_escapes_what_serde_leaves_and_parses_back_to_the_original() {
        let original = "x\u{1b}[2J\u{7f}\u{9b}1m\u{202e}\u{2069}é✓";
        let mut out = Vec::new();
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut out, TerminalSafe::default());
        serde::Serialize::serialize(&serde_json::json!({ "issuer": original }), &mut serializer)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.chars().any(|c| c != '\n' && super::is_unsafe(c)),
            "{text:?}"
        );
        assert!(text.contains("\\u007f\\u009b1m\\u202e\\u2069"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["issuer"], original);
        assert!(text.contains("{\n  \"issuer\""), "still pretty: {text}");
    }
}
