//! Capturing the screen to find QR codes on it: every X11 screen's root
//! window (which spans all monitors of that screen) through `x11rb`, a
//! pure-Rust X11 client, so it works under `Xvfb` and `XWayland` alike; on
//! a Wayland session, the desktop portal ([`super::portal`]) when X11
//! capture is impossible or finds no code (under `XWayland`, native Wayland
//! windows show as black).
//!
//! Must never: keep or write the captured pixels anywhere (a screen shows
//! secrets), or read the display from anything but the `DISPLAY` and
//! `WAYLAND_DISPLAY` environment variables or the name it is given.

use image::GrayImage;
use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{ConnectionExt as _, ImageFormat, ImageOrder, Screen, Setup};

use super::decode::decode_luma;
use super::error::QrError;
use super::portal::capture_portal;
use crate::core::plural::counted;

/// Every screen of the session, in grey levels: the X11 display named by
/// `DISPLAY`, else (on a Wayland session) the desktop portal's screenshot.
///
/// # Errors
/// `ScreenCapture` naming why no screen could be captured (by X11 and, on
/// Wayland, by the portal).
pub fn capture_screen() -> Result<Vec<GrayImage>, QrError> {
    match capture_display(None) {
        Err(QrError::ScreenCapture { reason: x11 }) if wayland_session() => {
            capture_portal().map_err(|portal| both_failed(&x11, &portal))
        }
        result => result,
    }
}

/// What the QR codes on every screen hold ([`scan_screen`], then
/// [`classify_all`](super::classify_all)).
///
/// # Errors
/// `ScreenCapture`; `NoQrFound` when no screen shows a QR code; the
/// codes' (no OTP data, an invalid URI).
pub fn screen_contents() -> Result<Vec<super::QrContent>, QrError> {
    let texts = zeroize::Zeroizing::new(scan_screen()?);
    if texts.is_empty() {
        return Err(QrError::NoQrFound);
    }
    super::classify_all(&texts)
}

/// Every QR code on every screen, as text (see [`decode_luma`]); empty
/// when there is none. On a Wayland session the desktop portal is asked
/// when X11 capture fails or finds no code.
///
/// # Errors
/// `ScreenCapture`.
pub fn scan_screen() -> Result<Vec<String>, QrError> {
    let x11 = capture_display(None);
    if !wayland_session() {
        return Ok(scan_shots(&x11?));
    }
    let x11_reason = match x11 {
        Ok(shots) => {
            let texts = scan_shots(&shots);
            if !texts.is_empty() {
                return Ok(texts);
            }
            "no QR code on the X11 screens (XWayland shows no Wayland windows)".to_owned()
        }
        Err(QrError::ScreenCapture { reason }) => reason,
        Err(other) => return Err(other),
    };
    capture_portal()
        .map(|shots| scan_shots(&shots))
        .map_err(|portal| both_failed(&x11_reason, &portal))
}

/// [`scan_screen`] on the X11 display `display` (e.g. `":99"`), or
/// `DISPLAY` when `None`; X11 only, never the portal.
///
/// # Errors
/// `ScreenCapture`.
pub fn scan_display(display: Option<&str>) -> Result<Vec<String>, QrError> {
    Ok(scan_shots(&capture_display(display)?))
}

/// Every code in the shots, each text once.
fn scan_shots(shots: &[GrayImage]) -> Vec<String> {
    let mut texts: Vec<String> = Vec::new();
    for shot in shots {
        for text in decode_luma(shot) {
            if !texts.contains(&text) {
                texts.push(text);
            }
        }
    }
    texts
}

/// Whether `WAYLAND_DISPLAY` names a Wayland session.
fn wayland_session() -> bool {
    std::env::var_os("WAYLAND_DISPLAY").is_some_and(|d| !d.is_empty())
}

/// One `ScreenCapture` error for an X11 and a portal failure.
fn both_failed(x11: &str, portal: &QrError) -> QrError {
    let portal = match portal {
        QrError::ScreenCapture { reason } => reason.clone(),
        other => other.to_string(),
    };
    QrError::ScreenCapture {
        reason: format!("X11: {x11}; {portal}"),
    }
}

/// [`capture_screen`] on the X11 display `display` (e.g. `":99"`), or
/// `DISPLAY` when `None`.
///
/// # Errors
/// `ScreenCapture`.
pub fn capture_display(display: Option<&str>) -> Result<Vec<GrayImage>, QrError> {
    let (connection, _) = x11rb::connect(display).map_err(|e| {
        let unset = display.is_none() && std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty());
        let reason = if unset {
            "no X11 display (DISPLAY is not set)".to_owned()
        } else {
            format!("cannot connect to the X11 display: {e}")
        };
        QrError::ScreenCapture { reason }
    })?;
    let failed = |e: &dyn std::fmt::Display| QrError::ScreenCapture {
        reason: e.to_string(),
    };
    let setup = connection.setup();
    let mut shots = Vec::with_capacity(setup.roots.len());
    for screen in &setup.roots {
        let (w, h) = (screen.width_in_pixels, screen.height_in_pixels);
        let reply = connection
            .get_image(ImageFormat::Z_PIXMAP, screen.root, 0, 0, w, h, u32::MAX)
            .map_err(|e| failed(&e))?
            .reply()
            .map_err(|e| failed(&e))?;
        shots.push(to_luma(
            setup,
            screen,
            reply.depth,
            reply.visual,
            &reply.data,
            w,
            h,
        )?);
    }
    Ok(shots)
}

/// Converts a `ZPixmap` of a true-colour visual to grey levels.
fn to_luma(
    setup: &Setup,
    screen: &Screen,
    depth: u8,
    visual_id: u32,
    data: &[u8],
    width: u16,
    height: u16,
) -> Result<GrayImage, QrError> {
    let unsupported = |what: String| QrError::ScreenCapture {
        reason: format!("unsupported screen format: {what}"),
    };
    let format = setup
        .pixmap_formats
        .iter()
        .find(|f| f.depth == depth)
        .ok_or_else(|| unsupported(format!("depth {depth}")))?;
    let visual = screen
        .allowed_depths
        .iter()
        .flat_map(|d| d.visuals.iter())
        .find(|v| v.visual_id == visual_id)
        .ok_or_else(|| unsupported("unknown visual".to_owned()))?;
    let bits = usize::from(format.bits_per_pixel);
    if !matches!(bits, 16 | 24 | 32) {
        return Err(unsupported(format!(
            "{} per pixel",
            counted(bits, "bit", "bits")
        )));
    }
    let bytes_per_pixel = bits / 8;
    let pad = usize::from(format.scanline_pad).max(8);
    let (w, h) = (usize::from(width), usize::from(height));
    let stride = (w * bits).div_ceil(pad) * pad / 8;
    if data.len() < stride * h {
        return Err(unsupported("short image data".to_owned()));
    }
    let little_endian = setup.image_byte_order == ImageOrder::LSB_FIRST;
    let channel = |pixel: u32, mask: u32| -> u32 {
        if mask == 0 {
            return 0;
        }
        let value = (pixel & mask) >> mask.trailing_zeros();
        let max = mask >> mask.trailing_zeros();
        value * 255 / max
    };
    let mut pixels = Vec::with_capacity(w * h);
    for row in data.chunks_exact(stride).take(h) {
        for raw in row[..w * bytes_per_pixel].chunks_exact(bytes_per_pixel) {
            let pixel = raw.iter().enumerate().fold(0_u32, |acc, (i, &byte)| {
                let shift = if little_endian {
                    8 * i
                } else {
                    8 * (bytes_per_pixel - 1 - i)
                };
                acc | (u32::from(byte) << shift)
            });
            let luma = (channel(pixel, visual.red_mask) * 2126
                + channel(pixel, visual.green_mask) * 7152
                + channel(pixel, visual.blue_mask) * 722)
                / 10_000;
            pixels.push(u8::try_from(luma).unwrap_or(u8::MAX));
        }
    }
    GrayImage::from_raw(u32::from(width), u32::from(height), pixels)
        .ok_or_else(|| unsupported("size mismatch".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::capture_display;
    use crate::core::qr::QrError;

    #[test]
    fn a_missing_display_is_a_specific_error() {
        assert!(matches!(
            capture_display(Some(":4242")),
            Err(QrError::ScreenCapture { .. })
        ));
    }
}
