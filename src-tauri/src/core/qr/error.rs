//! [`QrError`]: what went wrong reading, classifying, assembling, capturing
//! or drawing QR codes.
//!
//! Must never: carry the text of a QR code or any other secret material (a
//! QR may hold an `otpauth://` URI with its secret). Variants name the
//! problem and non-secret context only: a format name, a count, an index.

use thiserror::Error;

use crate::core::otp::{MigrationError, OtpError};
use crate::core::plural::{counted, plural};

/// What went wrong, precisely enough to tell the user what to do.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum QrError {
    /// The bytes are no picture in a supported format (PNG, JPEG, GIF,
    /// WebP, BMP, SVG).
    #[error("not an image: expected PNG, JPEG, GIF, WebP, BMP or SVG")]
    NotAnImage,
    /// A supported format, but the file is damaged, truncated or too large.
    #[error("the {format} image cannot be read: {reason}")]
    UnreadableImage { format: String, reason: String },
    /// A picture with no QR code that could be read.
    #[error("no QR code found in the image")]
    NoQrFound,
    /// A picture with no code read, where a search was not made because it
    /// holds more shapes like a code's corner squares than `limit` (a
    /// search's work grows with a high power of their number).
    #[error(
        "the image holds more than {limit} shapes like the corner squares of a QR code, too many to search; crop it to the QR code"
    )]
    TooManyFinderShapes { limit: usize },
    /// QR codes were read, but none holds an `otpauth://` or
    /// `otpauth-migration://` URI.
    #[error("the QR code holds no 2FA account (no otpauth:// or otpauth-migration:// URI)")]
    NoOtpData,
    /// An `otpauth://` URI that does not describe a valid account.
    #[error("the QR code holds an invalid otpauth:// URI: {source}")]
    InvalidOtpUri { source: OtpError },
    /// An `otpauth-migration://` URI that cannot be decoded.
    #[error("the QR code holds an invalid Google Authenticator export: {source}")]
    InvalidMigration { source: MigrationError },
    /// A part of a Google export whose index is outside its export's size.
    /// `index` is the part's own `batch_index` (from 0); the message counts
    /// from 1.
    #[error(
        "this QR code says it is part {} of a Google Authenticator export of {}, which cannot be; export the accounts again",
        i64::from(*.index) + 1,
        counted(*.size, "part", "parts")
    )]
    InconsistentBatch { index: i32, size: i32 },
    /// Some parts of a multi-part Google export were never scanned; its
    /// accounts are held back until they are.
    #[error(
        "Google Authenticator export incomplete: {scanned} of {total} QR codes scanned (missing {} {missing})",
        plural(.total - .scanned, "part", "parts")
    )]
    IncompleteExport {
        scanned: usize,
        total: usize,
        /// The missing parts, numbered from 1, in words (`1 and 3`).
        missing: String,
    },
    /// Text too long for the largest QR code.
    #[error("the text is too long for a QR code ({length} bytes)")]
    TooLongForQr { length: usize },
    /// Writing the PNG failed.
    #[error("cannot write the PNG image: {reason}")]
    PngEncode { reason: String },
    /// No screen could be captured (no display, a Wayland session without
    /// X11 access or a working desktop portal, a refused connection, ...).
    /// `reason` names what failed (X11, the portal) and never holds pixels.
    #[error("cannot capture the screen: {reason}")]
    ScreenCapture { reason: String },
    /// The system clipboard cannot be read (no graphical session, no X11
    /// display or Wayland compositor reachable, ...).
    #[error("cannot read the clipboard: {reason}")]
    ClipboardUnavailable { reason: String },
    /// The clipboard holds nothing.
    #[error("the clipboard is empty: copy a QR code image or an otpauth:// URI first")]
    ClipboardEmpty,
    /// The clipboard holds something, but neither an image nor text with an
    /// `otpauth://` or `otpauth-migration://` URI.
    #[error("the clipboard holds neither an image nor an otpauth:// or otpauth-migration:// URI")]
    ClipboardNoOtp,
}
