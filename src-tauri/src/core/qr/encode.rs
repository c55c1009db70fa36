//! Drawing QR codes with `qrcode`: any text, an account (its `otpauth://`
//! URI) for a phone to scan, and the QR codes of a Google Authenticator
//! export for a group of accounts (split by
//! [`format_migration_uris`](crate::core::otp::format_migration_uris)).
//!
//! Every picture is black on white with the standard quiet zone of four
//! modules; PNGs have modules of [`PNG_MODULE_PX`] pixels. Single accounts
//! use error-correction level M; migration parts, which hold much more, use
//! L so that their modules stay large.
//!
//! Must never: write a file (the caller does) or keep the URI it draws
//! (it holds the secret; copies are wiped after drawing).

use image::{ExtendedColorType, GrayImage, ImageEncoder, Luma};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use zeroize::Zeroize;

use super::error::QrError;
use crate::core::otp::{Account, format_migration_uris, format_uri};

/// Side of one module in the PNGs drawn here, in pixels.
pub const PNG_MODULE_PX: u32 = 8;

/// `text` as an SVG QR code (EC level M).
///
/// # Errors
/// `TooLongForQr`.
pub fn encode_svg(text: &str) -> Result<String, QrError> {
    svg_at(text, EcLevel::M)
}

/// `text` as a PNG QR code (EC level M).
///
/// # Errors
/// `TooLongForQr`, `PngEncode`.
pub fn encode_png(text: &str) -> Result<Vec<u8>, QrError> {
    png_at(text, EcLevel::M)
}

/// `text` as a grey picture with modules of `module_px` pixels and a quiet
/// zone (EC level M).
///
/// # Errors
/// `TooLongForQr`.
pub fn encode_luma(text: &str, module_px: u32) -> Result<GrayImage, QrError> {
    luma_at(text, EcLevel::M, module_px)
}

/// An account's `otpauth://` URI as an SVG QR code.
///
/// The SVG holds the secret: treat it like one.
///
/// # Errors
/// `TooLongForQr`.
pub fn account_svg(account: &Account) -> Result<String, QrError> {
    let mut uri = format_uri(account);
    let svg = encode_svg(&uri);
    uri.zeroize();
    svg
}

/// An account's `otpauth://` URI as a PNG QR code.
///
/// The PNG holds the secret: treat it like one.
///
/// # Errors
/// `TooLongForQr`, `PngEncode`.
pub fn account_png(account: &Account) -> Result<Vec<u8>, QrError> {
    let mut uri = format_uri(account);
    let png = encode_png(&uri);
    uri.zeroize();
    png
}

/// The QR codes (SVG) of a Google Authenticator export of `accounts`, one
/// per part, in part order. Accounts the format cannot carry are left out
/// (see [`check_migration_compatible`](crate::core::otp::migration::check_migration_compatible)).
///
/// # Errors
/// `TooLongForQr` (names so long that a part no longer fits).
pub fn migration_svgs(accounts: &[Account]) -> Result<Vec<String>, QrError> {
    let mut uris = format_migration_uris(accounts);
    let svgs = uris.iter().map(|uri| svg_at(uri, EcLevel::L)).collect();
    uris.iter_mut().for_each(Zeroize::zeroize);
    svgs
}

/// The QR codes (PNG) of a Google Authenticator export of `accounts`, one
/// per part, in part order; see [`migration_svgs`].
///
/// # Errors
/// `TooLongForQr`, `PngEncode`.
pub fn migration_pngs(accounts: &[Account]) -> Result<Vec<Vec<u8>>, QrError> {
    let mut uris = format_migration_uris(accounts);
    let pngs = uris.iter().map(|uri| png_at(uri, EcLevel::L)).collect();
    uris.iter_mut().for_each(Zeroize::zeroize);
    pngs
}

fn code(text: &str, level: EcLevel) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(text.as_bytes(), level)
        .map_err(|_| QrError::TooLongForQr { length: text.len() })
}

fn svg_at(text: &str, level: EcLevel) -> Result<String, QrError> {
    Ok(code(text, level)?
        .render::<svg::Color<'_>>()
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .min_dimensions(256, 256)
        .build())
}

fn luma_at(text: &str, level: EcLevel, module_px: u32) -> Result<GrayImage, QrError> {
    Ok(code(text, level)?
        .render::<Luma<u8>>()
        .module_dimensions(module_px, module_px)
        .build())
}

fn png_at(text: &str, level: EcLevel) -> Result<Vec<u8>, QrError> {
    let image = luma_at(text, level, PNG_MODULE_PX)?;
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::L8,
        )
        .map_err(|e| QrError::PngEncode {
            reason: e.to_string(),
        })?;
    Ok(png)
}

#[cfg(test)]
mod tests {
    use super::{encode_luma, encode_png, encode_svg};
    use crate::core::qr::{QrError, decode, decode_luma};

    #[test]
    fn round_trips_through_our_decoder() {
        let text = "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&issuer=A";
        assert_eq!(decode(&encode_png(text).unwrap()).unwrap(), vec![text]);
        let svg = encode_svg(text).unwrap();
        assert!(svg.contains("<svg"));
        assert_eq!(decode(svg.as_bytes()).unwrap(), vec![text]);
        assert_eq!(decode_luma(&encode_luma(text, 3).unwrap()), vec![text]);
    }

    #[test]
    fn too_long_is_an_error() {
        let text = "x".repeat(3000);
        assert_eq!(
            encode_png(&text),
            Err(QrError::TooLongForQr { length: 3000 })
        );
    }
}
