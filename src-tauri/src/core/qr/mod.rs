//! QR codes: reading every code in a picture (raster or SVG), on the
//! screen (X11, or the desktop portal on Wayland) or on the clipboard,
//! classifying what each holds, assembling multi-part Google
//! Authenticator exports, and drawing accounts as QR codes (SVG, PNG).
//!
//! Owns: pixels to text ([`decode()`], [`capture_screen`],
//! [`scan_clipboard`]), text to 2FA data ([`classify()`]), parts to a whole
//! export ([`BatchAssembly`]), and text to pixels ([`encode_svg`],
//! [`encode_png`]).
//!
//! Must never: know about the vault or the UI (it hands back accounts; the
//! caller stores them), write a file, or log, print or put into an error
//! the text of a code: a QR code may hold a secret.

mod batch;
mod classify;
mod clipboard;
mod decode;
mod encode;
mod error;
mod finders;
mod portal;
mod screen;
pub(crate) mod svg;

/// The largest picture read from a file, in bytes (a screenshot of a 4K
/// screen as an uncompressed BMP is about 33 MB).
pub const PICTURE_LIMIT: crate::core::user_file::Limit = crate::core::user_file::Limit {
    bytes: 40 * 1024 * 1024,
    what: "that is too large for a picture of a QR code",
};

pub use batch::{BatchAssembly, BatchProgress, ExportProgress, list_parts};
pub use classify::{QrContent, classify, classify_all};
pub use clipboard::{clipboard_texts, scan_clipboard};
pub use decode::{decode, decode_luma, decode_rgba, load_luma};
pub use encode::{
    PNG_MODULE_PX, account_png, account_svg, encode_luma, encode_png, encode_svg, migration_pngs,
    migration_svgs,
};
pub use error::QrError;
pub use portal::{capture_portal, capture_portal_on};
pub use screen::{capture_display, capture_screen, scan_display, scan_screen, screen_contents};

/// Every QR code in a picture, classified: the 2FA data of a PNG, JPEG,
/// GIF, WebP, BMP or SVG file. Codes that hold no OTP data are skipped when
/// others hold some.
///
/// # Errors
/// `NotAnImage`, `UnreadableImage`, `NoQrFound`, `NoOtpData`,
/// `InvalidOtpUri`, `InvalidMigration`.
pub fn scan(bytes: &[u8]) -> Result<Vec<QrContent>, QrError> {
    classify_all(&decode(bytes)?)
}
