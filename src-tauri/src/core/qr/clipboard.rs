//! Reading 2FA data from the system clipboard: a copied picture is searched
//! for QR codes like a file ([`decode_rgba`]); copied text is used when it
//! holds `otpauth://` or `otpauth-migration://` URIs. Through `arboard`,
//! which speaks X11 (also under `XWayland`) and the Wayland data-control
//! protocol (wlroots and KDE compositors) in pure Rust.
//!
//! Owns: getting the clipboard's image or text and turning it into QR
//! texts ([`clipboard_texts`]) or classified 2FA data ([`scan_clipboard`]).
//!
//! Must never: write to or clear the clipboard, keep what it read beyond
//! the call (the text is zeroized once read), or put the clipboard's text
//! into an error or a log: it may be a secret.

use arboard::{Clipboard, Error as ClipboardError};
use zeroize::Zeroizing;

use super::classify::{QrContent, classify_all};
use super::decode::decode_rgba;
use super::error::QrError;

/// The URI schemes copied text is searched for.
const OTP_SCHEMES: [&str; 2] = ["otpauth://", "otpauth-migration://"];

/// The 2FA data on the clipboard, classified like the codes of a file (see
/// [`clipboard_texts`] for what is read).
///
/// # Errors
/// `ClipboardUnavailable`, `ClipboardEmpty`, `ClipboardNoOtp`,
/// `NoQrFound`, `UnreadableImage`, `NoOtpData`, `InvalidOtpUri`,
/// `InvalidMigration`.
pub fn scan_clipboard() -> Result<Vec<QrContent>, QrError> {
    classify_all(&clipboard_texts()?)
}

/// The texts on the clipboard: every QR code in its image, else the
/// `otpauth://` and `otpauth-migration://` URIs of its text, one per line.
///
/// # Errors
/// `ClipboardUnavailable` when no clipboard can be reached,
/// `ClipboardEmpty`, `ClipboardNoOtp` (text without an OTP URI),
/// `NoQrFound` (an image without a QR code), `UnreadableImage`.
pub fn clipboard_texts() -> Result<Vec<String>, QrError> {
    let mut clipboard = Clipboard::new().map_err(|e| unavailable(&e))?;
    // An owner that answers a request with data of another type (`xclip`
    // serves its one type to every request) is an `Unknown` error for that
    // form only; it matters only when no other form is usable.
    let mut read_error = None;
    let image = match clipboard.get_image() {
        Ok(image) => {
            let width = u32::try_from(image.width).ok();
            let height = u32::try_from(image.height).ok();
            let (Some(width), Some(height)) = (width, height) else {
                return Err(QrError::UnreadableImage {
                    format: "PNG".to_owned(),
                    reason: "the clipboard's image is too large".to_owned(),
                });
            };
            Some(Ok((width, height, image.bytes.into_owned())))
        }
        Err(ClipboardError::ContentNotAvailable) => None,
        Err(ClipboardError::ConversionFailure) => Some(Err(QrError::UnreadableImage {
            format: "PNG".to_owned(),
            reason: "the clipboard's image cannot be decoded".to_owned(),
        })),
        Err(e @ ClipboardError::Unknown { .. }) => {
            read_error = Some(unavailable(&e));
            None
        }
        Err(e) => return Err(unavailable(&e)),
    };
    let text = match clipboard.get_text() {
        Ok(text) => Some(Zeroizing::new(text)),
        Err(ClipboardError::ContentNotAvailable | ClipboardError::ConversionFailure) => None,
        Err(e @ ClipboardError::Unknown { .. }) => {
            read_error = Some(unavailable(&e));
            None
        }
        Err(e) => return Err(unavailable(&e)),
    };
    match texts_from(image, text.as_deref().map(String::as_str)) {
        Err(QrError::ClipboardEmpty) => Err(read_error.unwrap_or(QrError::ClipboardEmpty)),
        result => result,
    }
}

/// A picture's width, height and RGBA bytes.
type Rgba = (u32, u32, Vec<u8>);

/// What [`clipboard_texts`] makes of an image (width, height, RGBA bytes,
/// or why it could not be read) and a text: the image's codes first, else
/// the text's OTP URIs.
fn texts_from(
    image: Option<Result<Rgba, QrError>>,
    text: Option<&str>,
) -> Result<Vec<String>, QrError> {
    let uris = text.map(otp_uris).unwrap_or_default();
    let Some(image) = image else {
        if !uris.is_empty() {
            return Ok(uris);
        }
        return match text {
            Some(text) if !text.trim().is_empty() => Err(QrError::ClipboardNoOtp),
            _ => Err(QrError::ClipboardEmpty),
        };
    };
    let found = match image {
        Ok((width, height, rgba)) => {
            let found = decode_rgba(width, height, &rgba);
            if found.is_empty() {
                Err(QrError::NoQrFound)
            } else {
                Ok(found)
            }
        }
        Err(e) => Err(e),
    };
    match found {
        Err(_) if !uris.is_empty() => Ok(uris),
        found => found,
    }
}

/// The lines of `text` that are OTP URIs (schemes compared ignoring case).
fn otp_uris(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| {
            OTP_SCHEMES.iter().any(|scheme| {
                line.get(..scheme.len())
                    .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
            })
        })
        .map(str::to_owned)
        .collect()
}

/// `ClipboardUnavailable`, saying what is missing when no graphical
/// session is visible at all.
fn unavailable(error: &ClipboardError) -> QrError {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let reason = if !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
        "no graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set)".to_owned()
    } else {
        error.to_string()
    };
    QrError::ClipboardUnavailable { reason }
}

#[cfg(test)]
mod tests {
    use super::{otp_uris, texts_from};
    use crate::core::qr::{QrError, encode_luma};

    const URI: &str = "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example";

    fn rgba_of(text: &str) -> (u32, u32, Vec<u8>) {
        let luma = encode_luma(text, 4).unwrap();
        let rgba = luma.as_raw().iter().flat_map(|&v| [v, v, v, 255]).collect();
        (luma.width(), luma.height(), rgba)
    }

    #[test]
    fn text_uris_are_found_line_by_line_ignoring_scheme_case() {
        let text = format!("  {URI}\nnot a uri\nOTPAUTH-MIGRATION://offline?data=AA\n");
        assert_eq!(
            otp_uris(&text),
            vec![
                URI.to_owned(),
                "OTPAUTH-MIGRATION://offline?data=AA".to_owned()
            ]
        );
        assert_eq!(texts_from(None, Some(URI)).unwrap(), vec![URI.to_owned()]);
    }

    #[test]
    fn an_image_is_searched_for_codes_first() {
        let image = rgba_of(URI);
        assert_eq!(
            texts_from(Some(Ok(image)), Some("some words")).unwrap(),
            vec![URI.to_owned()]
        );
    }

    #[test]
    fn each_kind_of_useless_clipboard_has_its_error() {
        assert_eq!(texts_from(None, None), Err(QrError::ClipboardEmpty));
        assert_eq!(texts_from(None, Some(" \n")), Err(QrError::ClipboardEmpty));
        assert_eq!(
            texts_from(None, Some("hello")),
            Err(QrError::ClipboardNoOtp)
        );
        let blank = (40, 40, vec![255; 40 * 40 * 4]);
        assert_eq!(texts_from(Some(Ok(blank)), None), Err(QrError::NoQrFound));
        let blank = (40, 40, vec![255; 40 * 40 * 4]);
        assert_eq!(
            texts_from(Some(Ok(blank)), Some(URI)).unwrap(),
            vec![URI.to_owned()]
        );
    }
}
