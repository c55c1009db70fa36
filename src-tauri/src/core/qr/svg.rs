//! SVG and SVGZ pictures, rasterised for the QR decoder without touching
//! anything outside the picture's own bytes.
//!
//! A QR picture may come from a hostile server answer, a clipboard or a
//! downloaded file, so usvg's defaults are not used:
//! - `<image>` draws nothing, whatever it names: a path, a `file:` URL or a
//!   `data:` URL (usvg's default resolver reads any file the process can,
//!   such as another account's QR picture, `/etc/shadow` or `/dev/zero`,
//!   and parses SVG inside SVG without end). A QR code is drawn with shapes;
//!   raster images are not decoded here at all (resvg is built without
//!   them);
//! - SVGZ is inflated here with a cap of [`MAX_INFLATED_BYTES`] before usvg
//!   sees it, so a small file cannot expand to gigabytes;
//! - no fonts are loaded (text in a QR picture carries nothing to decode).

use std::io::Read;

use image::GrayImage;
use resvg::{tiny_skia, usvg};

use super::error::QrError;

/// The most an SVGZ picture may inflate to. QR pictures are a few
/// kilobytes; an 8 MiB SVG is already far beyond any real one.
pub const MAX_INFLATED_BYTES: u64 = 8 * 1024 * 1024;

/// The smallest and largest side the SVG is drawn at: small enough to stay
/// quick, large enough for the decoder to see every module.
const MIN_SIDE: f32 = 1024.0;
const MAX_SIDE: f32 = 4096.0;

/// SVG (or gzip-compressed SVGZ) by its first bytes.
pub fn looks_like_svg(bytes: &[u8]) -> bool {
    if is_gzip(bytes) {
        return true;
    }
    let head = &bytes[..bytes.len().min(4096)];
    let text = String::from_utf8_lossy(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    text.starts_with('<') && text.contains("<svg")
}

fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

fn unreadable(reason: impl Into<String>) -> QrError {
    QrError::UnreadableImage {
        format: "SVG".to_owned(),
        reason: reason.into(),
    }
}

/// Inflates SVGZ, refusing to go past [`MAX_INFLATED_BYTES`].
fn inflate(bytes: &[u8]) -> Result<Vec<u8>, QrError> {
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_INFLATED_BYTES + 1)
        .read_to_end(&mut inflated)
        .map_err(|_| QrError::NotAnImage)?;
    if inflated.len() as u64 > MAX_INFLATED_BYTES {
        return Err(unreadable(format!(
            "it inflates to more than {} MiB",
            MAX_INFLATED_BYTES / (1024 * 1024)
        )));
    }
    Ok(inflated)
}

/// The options every SVG is parsed with: nothing outside the bytes.
fn options() -> usvg::Options<'static> {
    usvg::Options {
        resources_dir: None,
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_mime, _data, _options| None),
            resolve_string: Box::new(|_href, _options| None),
        },
        ..usvg::Options::default()
    }
}

/// Parses an SVG (or SVGZ, inflated with the cap) with a resolver that
/// loads nothing the picture refers to.
///
/// # Errors
/// `NotAnImage` for broken gzip, `UnreadableImage` for what usvg refuses.
pub fn parse(bytes: &[u8]) -> Result<usvg::Tree, QrError> {
    let inflated;
    let svg = if is_gzip(bytes) {
        inflated = inflate(bytes)?;
        inflated.as_slice()
    } else {
        bytes
    };
    usvg::Tree::from_data(svg, &options()).map_err(|e| unreadable(e.to_string()))
}

/// Draws the SVG (or SVGZ) on white, in grey levels.
pub fn rasterise(bytes: &[u8]) -> Result<GrayImage, QrError> {
    let tree = parse(bytes)?;
    let size = tree.size();
    let longer = size.width().max(size.height());
    let scale = (MIN_SIDE / longer).max(1.0).min(MAX_SIDE / longer);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| unreadable(format!("cannot draw it at {w}×{h} pixels")))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let pixels = pixmap
        .data()
        .chunks_exact(4)
        .map(|p| {
            let luma =
                (u32::from(p[0]) * 2126 + u32::from(p[1]) * 7152 + u32::from(p[2]) * 722) / 10_000;
            u8::try_from(luma).unwrap_or(u8::MAX)
        })
        .collect();
    GrayImage::from_raw(w, h, pixels).ok_or_else(|| unreadable("empty picture"))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn a_small_svgz_that_inflates_past_the_cap_is_refused_without_inflating_it_all() {
        let mut svg = b"<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'>".to_vec();
        svg.resize(svg.len() + 32 * 1024 * 1024, b' ');
        svg.extend_from_slice(b"</svg>");
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&svg).unwrap();
        let svgz = gz.finish().unwrap();
        assert!(svgz.len() < 200_000, "{} bytes", svgz.len());
        let error = rasterise(&svgz).unwrap_err();
        assert!(
            error.to_string().contains("inflates to more than 8 MiB"),
            "{error}"
        );
    }

    #[test]
    fn a_gzip_stream_that_is_broken_is_not_an_image() {
        assert!(matches!(
            rasterise(&[0x1f, 0x8b, 8, 0, 1, 2, 3]),
            Err(QrError::NotAnImage)
        ));
    }

    #[test]
    fn sniffing_finds_svg_after_a_bom_and_an_xml_declaration() {
        assert!(looks_like_svg(b"\xef\xbb\xbf <?xml version='1.0'?><svg/>"));
        assert!(!looks_like_svg(b"<html></html>"));
    }
}
