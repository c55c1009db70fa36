//! Account icons: the pictures other authenticators keep per account
//! (Aegis's PNG, JPEG or SVG icons) and the letter badges 2FAS users pick.
//!
//! Owns: turning icon data from a file into what the vault stores: a PNG
//! of at most [`ICON_SIDE`] pixels a side, drawn again by Tessera (the web
//! view never sees bytes another app wrote), or a [`Badge`] of a few
//! characters with an optional `#rrggbb` colour.
//!
//! Must never: load anything an SVG refers to (SVGs go through the QR
//! reader's resolver that loads nothing), decode a picture without size
//! limits, or keep a picture larger than [`ICON_SIDE`].

use std::fmt;
use std::io::Cursor;

use base64::Engine as _;
use image::{ImageEncoder, ImageFormat, ImageReader, Limits, RgbaImage, imageops};
use resvg::{tiny_skia, usvg};
use zeroize::Zeroize;

use crate::core::qr::svg;

/// The longest side of a stored icon, in pixels (rows draw icons at 32 CSS
/// pixels; 64 stays sharp at a scale of 2).
pub const ICON_SIDE: u32 = 64;
/// The largest icon file read, in bytes (Aegis's icon packs stay far below).
pub const MAX_ICON_BYTES: usize = 1024 * 1024;
/// The largest picture side an icon file may declare.
const MAX_SOURCE_SIDE: u32 = 4096;
/// Most bytes the image decoder may allocate for one icon.
const MAX_ALLOC: u64 = 64 * 1024 * 1024;
/// The most characters of a badge.
pub const MAX_BADGE_CHARS: usize = 4;

/// What a stored account shows in place of the issuer's brand icon.
#[derive(Clone, PartialEq, Eq)]
pub enum AccountIcon {
    /// A PNG Tessera encoded, at most [`ICON_SIDE`] pixels a side.
    Png(Vec<u8>),
    Badge(Badge),
}

/// A few letters on a coloured tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    /// One to [`MAX_BADGE_CHARS`] characters, no control characters.
    pub text: String,
    /// `#rrggbb`, or `None` for the account's own colour.
    pub colour: Option<String>,
}

impl fmt::Debug for AccountIcon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Png(png) => write!(f, "Png({} bytes)", png.len()),
            Self::Badge(badge) => badge.fmt(f),
        }
    }
}

/// Why an icon from a file is not kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IconError {
    #[error("the icon is not a PNG, JPEG, GIF, WebP, BMP or SVG picture")]
    NotAPicture,
    #[error("the icon is larger than {} KiB", MAX_ICON_BYTES / 1024)]
    TooLarge,
    #[error("the icon cannot be read: {0}")]
    Unreadable(String),
}

impl AccountIcon {
    /// Draws the picture in `bytes` (PNG, JPEG, GIF, WebP, BMP, SVG or
    /// SVGZ) again as a PNG that fits [`ICON_SIDE`], keeping its aspect
    /// ratio.
    ///
    /// # Errors
    /// `TooLarge`, `NotAPicture`, `Unreadable`.
    pub fn from_picture(bytes: &[u8]) -> Result<Self, IconError> {
        if bytes.len() > MAX_ICON_BYTES {
            return Err(IconError::TooLarge);
        }
        let rgba = if svg::looks_like_svg(bytes) {
            draw_svg(bytes)?
        } else {
            decode_raster(bytes)?
        };
        let (width, height) = fit(rgba.width(), rgba.height());
        let small = if (width, height) == rgba.dimensions() {
            rgba
        } else {
            imageops::resize(&rgba, width, height, imageops::FilterType::Triangle)
        };
        Ok(Self::Png(encode_png(&small)?))
    }

    /// A badge of `text` (trimmed, control characters dropped, at most
    /// [`MAX_BADGE_CHARS`] characters) in `colour` (kept when `#rrggbb`);
    /// `None` when no text is left.
    pub fn badge(text: &str, colour: Option<&str>) -> Option<Self> {
        let text: String = text
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_BADGE_CHARS)
            .collect();
        if text.trim().is_empty() {
            return None;
        }
        Some(Self::Badge(Badge {
            text,
            colour: colour.and_then(hex_colour),
        }))
    }

    /// The PNG, for an icon that is a picture.
    pub fn png(&self) -> Option<&[u8]> {
        match self {
            Self::Png(png) => Some(png),
            Self::Badge(_) => None,
        }
    }

    /// `data:image/png;base64,…` for a picture.
    pub fn data_url(&self) -> Option<String> {
        self.png().map(|png| {
            format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(png)
            )
        })
    }

    pub(crate) fn wipe(&mut self) {
        match self {
            Self::Png(png) => png.zeroize(),
            Self::Badge(badge) => {
                badge.text.zeroize();
                badge.colour.zeroize();
            }
        }
    }
}

fn encode_png(image: &RgbaImage) -> Result<Vec<u8>, IconError> {
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgba8,
        )
        .map_err(|e| IconError::Unreadable(e.to_string()))?;
    Ok(png)
}

/// `#rrggbb` in lower case, from `#rrggbb` or `rrggbb` in any case.
pub fn hex_colour(text: &str) -> Option<String> {
    let digits = text.trim().trim_start_matches('#');
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| format!("#{}", digits.to_ascii_lowercase()))
}

/// The size that fits `ICON_SIDE` with the same aspect ratio; pictures
/// already small enough keep their size.
fn fit(width: u32, height: u32) -> (u32, u32) {
    let longer = width.max(height);
    if longer <= ICON_SIDE {
        return (width.max(1), height.max(1));
    }
    let scale = |side: u32| {
        u32::try_from(u64::from(side) * u64::from(ICON_SIDE) / u64::from(longer))
            .unwrap_or(ICON_SIDE)
            .max(1)
    };
    (scale(width), scale(height))
}

fn decode_raster(bytes: &[u8]) -> Result<RgbaImage, IconError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| IconError::NotAPicture)?;
    if !matches!(
        reader.format(),
        Some(
            ImageFormat::Png
                | ImageFormat::Jpeg
                | ImageFormat::Gif
                | ImageFormat::WebP
                | ImageFormat::Bmp
        )
    ) {
        return Err(IconError::NotAPicture);
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_SIDE);
    limits.max_image_height = Some(MAX_SOURCE_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|e| IconError::Unreadable(e.to_string()))?;
    Ok(image.to_rgba8())
}

fn draw_svg(bytes: &[u8]) -> Result<RgbaImage, IconError> {
    let tree: usvg::Tree = svg::parse(bytes).map_err(|e| IconError::Unreadable(e.to_string()))?;
    let size = tree.size();
    let longer = size.width().max(size.height());
    if !longer.is_finite() || longer <= 0.0 {
        return Err(IconError::Unreadable("it has no size".to_owned()));
    }
    #[allow(clippy::cast_precision_loss)]
    let scale = ICON_SIDE as f32 / longer;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let (width, height) = (
        ((size.width() * scale).round() as u32).clamp(1, ICON_SIDE),
        ((size.height() * scale).round() as u32).clamp(1, ICON_SIDE),
    );
    let mut pixmap = tiny_skia::Pixmap::new(width, height)
        .ok_or_else(|| IconError::Unreadable("it cannot be drawn".to_owned()))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    // tiny-skia keeps premultiplied alpha; PNG wants it straight.
    let pixels = pixmap
        .pixels()
        .iter()
        .flat_map(|p| {
            let c = p.demultiply();
            [c.red(), c.green(), c.blue(), c.alpha()]
        })
        .collect();
    RgbaImage::from_raw(width, height, pixels)
        .ok_or_else(|| IconError::Unreadable("it cannot be drawn".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(width: u32, height: u32) -> Vec<u8> {
        encode_png(&RgbaImage::from_fn(width, height, |x, _| {
            image::Rgba([200, 10, 10, u8::try_from(x % 256).unwrap()])
        }))
        .unwrap()
    }

    fn decoded(icon: &AccountIcon) -> RgbaImage {
        image::load_from_memory_with_format(icon.png().unwrap(), ImageFormat::Png)
            .unwrap()
            .to_rgba8()
    }

    #[test]
    fn a_large_picture_is_drawn_again_to_fit_the_icon_side() {
        let icon = AccountIcon::from_picture(&png_of(512, 256)).unwrap();
        assert_eq!(decoded(&icon).dimensions(), (64, 32));
        let small = AccountIcon::from_picture(&png_of(20, 30)).unwrap();
        assert_eq!(decoded(&small).dimensions(), (20, 30));
    }

    #[test]
    fn an_svg_icon_is_drawn_and_what_it_refers_to_is_not_loaded() {
        let svg = br##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10"><rect width="10" height="10" fill="#00ff00"/><image href="/etc/passwd" width="10" height="10"/></svg>"##;
        let image = decoded(&AccountIcon::from_picture(svg).unwrap());
        assert_eq!(image.dimensions(), (64, 64));
        assert_eq!(image.get_pixel(32, 32).0, [0, 255, 0, 255]);
    }

    #[test]
    fn what_is_no_picture_or_too_large_is_refused() {
        assert_eq!(
            AccountIcon::from_picture(b"not a picture"),
            Err(IconError::NotAPicture)
        );
        assert_eq!(
            AccountIcon::from_picture(&vec![0; MAX_ICON_BYTES + 1]),
            Err(IconError::TooLarge)
        );
        let mut truncated = png_of(100, 100);
        truncated.truncate(60);
        assert!(matches!(
            AccountIcon::from_picture(&truncated),
            Err(IconError::Unreadable(_))
        ));
    }

    #[test]
    fn a_badge_keeps_a_few_printable_characters_and_a_hex_colour() {
        assert_eq!(
            AccountIcon::badge(" D\u{1b}E ", Some("F5C400")),
            Some(AccountIcon::Badge(Badge {
                text: "DE".into(),
                colour: Some("#f5c400".into())
            }))
        );
        assert_eq!(
            AccountIcon::badge("ABCDEFG", Some("yellow")),
            Some(AccountIcon::Badge(Badge {
                text: "ABCD".into(),
                colour: None
            }))
        );
        assert_eq!(AccountIcon::badge(" \u{7} ", None), None);
    }

    #[test]
    fn debug_shows_the_size_of_a_picture_not_its_bytes() {
        assert_eq!(
            format!("{:?}", AccountIcon::Png(vec![1, 2, 3])),
            "Png(3 bytes)"
        );
    }
}
