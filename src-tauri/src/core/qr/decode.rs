//! Reading every QR code in a picture: PNG, JPEG, GIF, WebP and BMP through
//! `image`, SVG rasterised with `resvg`, codes found and decoded by `rqrr`.
//!
//! `rqrr` alone misses codes in real pictures, so decoding runs in passes
//! over derived images, and keeps every distinct text any pass reads:
//! 1. a local-mean binarisation (a box window around each pixel), read as
//!    it is and inverted (light codes on a dark background);
//! 2. only when pass 1 read nothing, or found a code it could not read:
//!    `rqrr`'s own row-wise threshold, half and quarter size (large
//!    screenshots, photos, noise), a global (Otsu) threshold, normal and
//!    inverted, and double size (codes with modules of one or two pixels).
//!
//! Before `rqrr` searches a pass's bitmap, the shapes in it that look like
//! finder patterns are counted (`finders`): a pass with more than
//! [`finders::MAX_FINDERS`] is skipped, since the search's work grows with
//! a high power of their number, and a picture where nothing was read
//! because of it says so ([`QrError::TooManyFinderShapes`]).
//!
//! When a pass reads several codes, or reads some and fails on others, it
//! blanks out the codes it read and looks again: `rqrr` can pair finder
//! patterns of neighbouring codes wrongly and lose one of them. Rotation
//! and light perspective are handled by `rqrr`'s grid fitting.
//! Texts come back in reading order (top to bottom, then left to right),
//! each once.
//!
//! Must never: log, print or put into an error the text of a code (it may
//! hold a secret), or panic on hostile input (`rqrr` is run behind
//! `catch_unwind`; images are decoded with size limits).

use std::io::Cursor;
use std::panic::{self, AssertUnwindSafe};

use image::{DynamicImage, GrayImage, ImageFormat, ImageReader, Limits, Luma};
use rqrr::PreparedImage;

use super::error::QrError;
use super::{finders, svg};

/// Largest width or height of a picture we decode, in pixels (8K is 7680).
const MAX_SIDE: u32 = 16_384;
/// Most bytes the image decoder may allocate.
const MAX_ALLOC: u64 = 1 << 30;
/// Most pixels of a picture we decode (an 8K screenshot has 33.2 million):
/// each pass of the decoder walks every pixel, so a small file declaring
/// 16,384 × 16,384 pixels would take minutes and gigabytes.
const MAX_PIXELS: u64 = 40_000_000;

/// Every QR code in a picture, as text, in reading order, each text once.
///
/// # Errors
/// `NotAnImage` when the bytes are no picture in a supported format,
/// `UnreadableImage` when they are a damaged or oversized one, `NoQrFound`
/// when the picture holds no readable QR code.
pub fn decode(bytes: &[u8]) -> Result<Vec<String>, QrError> {
    let image = load_luma(bytes)?;
    let found = search(&image);
    if found.texts.is_empty() {
        return Err(if found.crowded > 0 {
            QrError::TooManyFinderShapes {
                limit: finders::MAX_FINDERS,
            }
        } else {
            QrError::NoQrFound
        });
    }
    Ok(found.into_reading_order())
}

/// Decodes a picture (raster or SVG) into grey levels, transparent parts
/// composed over white.
///
/// # Errors
/// `NotAnImage`, `UnreadableImage`.
pub fn load_luma(bytes: &[u8]) -> Result<GrayImage, QrError> {
    if svg::looks_like_svg(bytes) {
        return svg::rasterise(bytes);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| QrError::NotAnImage)?;
    let Some(
        format @ (ImageFormat::Png
        | ImageFormat::Jpeg
        | ImageFormat::Gif
        | ImageFormat::WebP
        | ImageFormat::Bmp),
    ) = reader.format()
    else {
        return Err(QrError::NotAnImage);
    };
    let unreadable = |reason: String| QrError::UnreadableImage {
        format: format!("{format:?}").to_uppercase(),
        reason,
    };
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|e| unreadable(e.to_string()))?;
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(unreadable(format!(
            "{width}×{height} pixels is more than the {} million this reads",
            MAX_PIXELS / 1_000_000
        )));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| unreadable(e.to_string()))?;
    Ok(to_luma_over_white(&image))
}

/// Every QR code in raw RGBA pixels (a clipboard image, a window
/// capture), as text, in reading order; empty when there is none or when
/// `rgba` does not hold `width × height` pixels.
pub fn decode_rgba(width: u32, height: u32, rgba: &[u8]) -> Vec<String> {
    match image::RgbaImage::from_raw(width, height, rgba.to_vec()) {
        Some(image) => decode_luma(&to_luma_over_white(&DynamicImage::ImageRgba8(image))),
        None => Vec::new(),
    }
}

/// Every QR code in a grey picture, as text, in reading order, each text
/// once; empty when there is none.
pub fn decode_luma(image: &GrayImage) -> Vec<String> {
    search(image).into_reading_order()
}

/// Runs the passes over `image`.
fn search(image: &GrayImage) -> Found {
    let mut found = Found::default();
    if image.width() == 0 || image.height() == 0 {
        return found;
    }
    let (normal, inverted) = binarise_local_mean(image);
    found.scan_bitmap(normal, 1.0);
    found.scan_bitmap(inverted, 1.0);
    if found.texts.is_empty() || found.unread > 0 {
        fallbacks(image, &mut found);
    }
    found
}

/// The passes that run when the first one missed something.
fn fallbacks(image: &GrayImage, found: &mut Found) {
    found.scan_prepared(image.clone(), 1.0);
    let mut scaled = image.clone();
    let mut scale = 1.0;
    for _ in 0..2 {
        if scaled.width().min(scaled.height()) < 200 {
            break;
        }
        scaled = half(&scaled);
        scale *= 2.0;
        found.scan_prepared(scaled.clone(), scale);
        found.scan_bitmap(binarise_local_mean(&scaled).1, scale);
    }
    let (normal, inverted) = binarise_otsu(image);
    found.scan_bitmap(normal, 1.0);
    found.scan_bitmap(inverted, 1.0);
    if image.width().max(image.height()) <= 1200 {
        let doubled = double(image);
        found.scan_prepared(doubled.clone(), 0.5);
        found.scan_bitmap(binarise_local_mean(&doubled).1, 0.5);
    }
}

/// What a pass hands to `rqrr`.
#[derive(Clone, Copy)]
enum Input {
    /// Grey levels, thresholded by `rqrr`.
    Grey,
    /// 1 = module colour, 0 = background.
    Bitmap,
}

impl Input {
    /// The value that erases a code.
    const fn blank(self) -> u8 {
        match self {
            Self::Grey => u8::MAX,
            Self::Bitmap => 0,
        }
    }
}

/// Most times one pass looks again after blanking out the codes it read.
const MAX_ROUNDS: usize = 8;

/// Fills the quadrilateral `bounds`, grown by a tenth around its centre,
/// with `value`.
fn blank(image: &mut GrayImage, bounds: &[rqrr::Point; 4], value: u8) {
    let cx = bounds.iter().map(|p| f64::from(p.x)).sum::<f64>() / 4.0;
    let cy = bounds.iter().map(|p| f64::from(p.y)).sum::<f64>() / 4.0;
    let corners: Vec<(f64, f64)> = bounds
        .iter()
        .map(|p| {
            (
                cx + (f64::from(p.x) - cx) * 1.1,
                cy + (f64::from(p.y) - cy) * 1.1,
            )
        })
        .collect();
    let (min_x, max_x) = min_max(corners.iter().map(|c| c.0));
    let (min_y, max_y) = min_max(corners.iter().map(|c| c.1));
    let clamp = |v: f64, limit: u32| -> u32 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let v = v.max(0.0) as u32;
        v.min(limit)
    };
    let (x0, x1) = (
        clamp(min_x, image.width()),
        clamp(max_x + 1.0, image.width()),
    );
    let (y0, y1) = (
        clamp(min_y, image.height()),
        clamp(max_y + 1.0, image.height()),
    );
    // Inside a convex quadrilateral: on the same side of every edge.
    let inside = |x: f64, y: f64| {
        let (mut left, mut right) = (false, false);
        for i in 0..4 {
            let (ax, ay) = corners[i];
            let (bx, by) = corners[(i + 1) % 4];
            let cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
            left |= cross < 0.0;
            right |= cross > 0.0;
        }
        !(left && right)
    };
    for y in y0..y1 {
        for x in x0..x1 {
            if inside(f64::from(x), f64::from(y)) {
                image.put_pixel(x, y, Luma([value]));
            }
        }
    }
}

/// The texts read so far, with where they were, and how many codes were
/// seen but not read.
#[derive(Default)]
struct Found {
    texts: Vec<Located>,
    unread: usize,
    /// The most finder-like shapes of a pass skipped for holding more than
    /// [`finders::MAX_FINDERS`]; 0 when none was.
    crowded: usize,
}

struct Located {
    text: String,
    /// Centre and side of the code in the original picture, in pixels.
    x: f64,
    y: f64,
    side: f64,
}

impl Found {
    /// Runs `rqrr` with its own thresholding on a grey image.
    fn scan_prepared(&mut self, image: GrayImage, scale: f64) {
        self.scan(image, Input::Grey, scale);
    }

    /// Runs `rqrr` on a bitmap (1 = dark module, 0 = light).
    fn scan_bitmap(&mut self, bitmap: GrayImage, scale: f64) {
        self.scan(bitmap, Input::Bitmap, scale);
    }

    /// Detects and decodes; when several codes are read, or some read and
    /// some not, blanks out the ones read and looks again (`rqrr` can pair
    /// finder patterns of neighbouring codes wrongly, losing one of them).
    fn scan(&mut self, mut image: GrayImage, input: Input, scale: f64) {
        let (width, height) = image.dimensions();
        for _ in 0..MAX_ROUNDS {
            let copy = image.clone();
            let outcome = panic::catch_unwind(AssertUnwindSafe(move || {
                let mut prepared = match input {
                    Input::Grey => PreparedImage::prepare(copy),
                    Input::Bitmap => PreparedImage::without_preparation(copy),
                };
                let shapes = finders::count(width, height, |x, y| {
                    prepared.get_pixel_at(x as usize, y as usize) == 1
                });
                if shapes > finders::MAX_FINDERS {
                    return Err(shapes);
                }
                Ok(prepared
                    .detect_grids()
                    .iter()
                    .map(|grid| (grid.bounds, grid.decode().map(|(_, text)| text).ok()))
                    .collect::<Vec<_>>())
            }));
            let grids = match outcome {
                Ok(Ok(grids)) => grids,
                Ok(Err(shapes)) => {
                    self.crowded = self.crowded.max(shapes);
                    return;
                }
                Err(_) => return,
            };
            let (mut read, mut unread) = (0, 0);
            for (bounds, text) in grids {
                if let Some(text) = text {
                    self.add(text, &bounds, scale);
                    blank(&mut image, &bounds, input.blank());
                    read += 1;
                } else {
                    unread += 1;
                }
            }
            if read == 0 || (read == 1 && unread == 0) {
                self.unread += unread;
                return;
            }
        }
    }

    fn add(&mut self, text: String, bounds: &[rqrr::Point; 4], scale: f64) {
        if self.texts.iter().any(|located| located.text == text) {
            return;
        }
        let xs = bounds.iter().map(|p| f64::from(p.x) * scale);
        let ys = bounds.iter().map(|p| f64::from(p.y) * scale);
        let (min_x, max_x) = min_max(xs);
        let (min_y, max_y) = min_max(ys);
        self.texts.push(Located {
            text,
            x: f64::midpoint(min_x, max_x),
            y: f64::midpoint(min_y, max_y),
            side: (max_x - min_x).max(max_y - min_y),
        });
    }

    /// Rows (codes whose centres are within half a code of each other
    /// vertically), top to bottom, each left to right.
    fn into_reading_order(mut self) -> Vec<String> {
        self.texts.sort_by(|a, b| a.y.total_cmp(&b.y));
        let mut rows: Vec<Vec<Located>> = Vec::new();
        for located in self.texts {
            match rows.last_mut() {
                Some(row) if row.iter().any(|o| (o.y - located.y).abs() < o.side / 2.0) => {
                    row.push(located);
                }
                _ => rows.push(vec![located]),
            }
        }
        rows.into_iter()
            .flat_map(|mut row| {
                row.sort_by(|a, b| a.x.total_cmp(&b.x));
                row.into_iter().map(|located| located.text)
            })
            .collect()
    }
}

fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

/// Dark (and, inverted, light) where a pixel is 5 % darker (lighter) than
/// the mean of a box around it an eighth of the picture wide. Returns the
/// two bitmaps (1 = module colour).
fn binarise_local_mean(image: &GrayImage) -> (GrayImage, GrayImage) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let radius = (w.max(h) / 16).max(8);
    let stride = w + 1;
    // Wrapping arithmetic: every box sum (at most 255 × 33² × 10⁶) fits in
    // a u32 even when the running totals overflow.
    let mut integral = vec![0_u32; stride * (h + 1)];
    let pixels = image.as_raw();
    for y in 0..h {
        let mut row_sum = 0_u32;
        let row = &pixels[y * w..(y + 1) * w];
        for (x, &value) in row.iter().enumerate() {
            row_sum = row_sum.wrapping_add(u32::from(value));
            integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1].wrapping_add(row_sum);
        }
    }
    let mut dark = vec![0_u8; w * h];
    let mut light = vec![0_u8; w * h];
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(radius), (y + radius + 1).min(h));
        let (top, bottom) = (&integral[y0 * stride..], &integral[y1 * stride..]);
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(radius), (x + radius + 1).min(w));
            let sum = bottom[x1]
                .wrapping_sub(bottom[x0])
                .wrapping_sub(top[x1])
                .wrapping_add(top[x0]);
            let count = ((y1 - y0) * (x1 - x0)) as u64;
            let value = u64::from(pixels[y * w + x]) * count * 100;
            let mean100 = u64::from(sum) * 100;
            dark[y * w + x] = u8::from(value < mean100 - mean100 / 20);
            light[y * w + x] = u8::from(value > mean100 + mean100 / 20);
        }
    }
    (bitmap(image, dark), bitmap(image, light))
}

/// Dark and light bitmaps split at Otsu's global threshold.
fn binarise_otsu(image: &GrayImage) -> (GrayImage, GrayImage) {
    let mut histogram = [0_u64; 256];
    for &value in image.as_raw() {
        histogram[usize::from(value)] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let weighted: u64 = (0_u64..).zip(histogram).map(|(v, n)| v * n).sum();
    let (mut below, mut below_weighted) = (0_u64, 0_u64);
    let (mut best, mut threshold) = (0.0_f64, 128_u8);
    for (level, &count) in (0_u8..=255).zip(histogram.iter()) {
        below += count;
        below_weighted += u64::from(level) * count;
        let above = total - below;
        if below == 0 || above == 0 {
            continue;
        }
        #[allow(clippy::cast_precision_loss)]
        let (mean_below, mean_above) = (
            below_weighted as f64 / below as f64,
            (weighted - below_weighted) as f64 / above as f64,
        );
        #[allow(clippy::cast_precision_loss)]
        let between = below as f64 * above as f64 * (mean_below - mean_above).powi(2);
        if between > best {
            best = between;
            threshold = level;
        }
    }
    let raw = image.as_raw();
    let dark = raw.iter().map(|&v| u8::from(v <= threshold)).collect();
    let light = raw.iter().map(|&v| u8::from(v > threshold)).collect();
    (bitmap(image, dark), bitmap(image, light))
}

fn bitmap(like: &GrayImage, pixels: Vec<u8>) -> GrayImage {
    GrayImage::from_raw(like.width(), like.height(), pixels)
        .unwrap_or_else(|| GrayImage::new(like.width(), like.height()))
}

/// Half size, each pixel the mean of a 2×2 block.
fn half(image: &GrayImage) -> GrayImage {
    let (w, h) = (image.width() / 2, image.height() / 2);
    GrayImage::from_fn(w, h, |x, y| {
        let sum: u16 = [(0, 0), (1, 0), (0, 1), (1, 1)]
            .iter()
            .map(|&(dx, dy)| u16::from(image.get_pixel(2 * x + dx, 2 * y + dy).0[0]))
            .sum();
        Luma([u8::try_from(sum / 4).unwrap_or(u8::MAX)])
    })
}

/// Double size, each pixel repeated.
fn double(image: &GrayImage) -> GrayImage {
    GrayImage::from_fn(image.width() * 2, image.height() * 2, |x, y| {
        *image.get_pixel(x / 2, y / 2)
    })
}

/// Grey levels, with any transparency composed over white (a QR drawn on
/// a transparent background must not turn black).
fn to_luma_over_white(image: &DynamicImage) -> GrayImage {
    if !image.color().has_alpha() {
        return image.to_luma8();
    }
    let rgba = image.to_rgba8();
    let (width, height) = rgba.dimensions();
    let pixels = rgba
        .pixels()
        .map(|pixel| {
            let [red, green, blue, alpha] = pixel.0;
            let luma =
                (u32::from(red) * 2126 + u32::from(green) * 7152 + u32::from(blue) * 722) / 10_000;
            let alpha = u32::from(alpha);
            let over_white = (luma * alpha + 255 * (255 - alpha)) / 255;
            u8::try_from(over_white).unwrap_or(u8::MAX)
        })
        .collect();
    GrayImage::from_raw(width, height, pixels).unwrap_or_else(|| GrayImage::new(width, height))
}

#[cfg(test)]
mod tests {
    use super::{decode, decode_luma, decode_rgba, double, half};
    use crate::core::qr::QrError;
    use image::{GrayImage, Luma};

    #[test]
    fn rejects_what_is_not_a_picture() {
        assert_eq!(decode(b"hello, world"), Err(QrError::NotAnImage));
        assert_eq!(decode(b""), Err(QrError::NotAnImage));
        assert!(matches!(
            decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Err(QrError::UnreadableImage { .. })
        ));
        assert!(matches!(
            decode(b"<svg xmlns='http://www.w3.org/2000/svg'><g></svg>"),
            Err(QrError::UnreadableImage { .. })
        ));
    }

    #[test]
    fn raw_rgba_pixels_decode_like_files() {
        let text = "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&issuer=A";
        let grey = crate::core::qr::encode_luma(text, 4).unwrap();
        let rgba: Vec<u8> = grey.as_raw().iter().flat_map(|&v| [v, v, v, 255]).collect();
        assert_eq!(decode_rgba(grey.width(), grey.height(), &rgba), vec![text]);
        assert!(decode_rgba(grey.width() + 1, grey.height(), &rgba).is_empty());
        // A transparent background counts as white.
        let transparent: Vec<u8> = grey
            .as_raw()
            .iter()
            .flat_map(|&v| if v == 0 { [0, 0, 0, 255] } else { [0, 0, 0, 0] })
            .collect();
        assert_eq!(
            decode_rgba(grey.width(), grey.height(), &transparent),
            vec![text]
        );
    }

    #[test]
    fn blank_pictures_hold_no_code() {
        assert!(decode_luma(&GrayImage::new(0, 0)).is_empty());
        assert!(decode_luma(&GrayImage::from_pixel(300, 200, Luma([255]))).is_empty());
    }

    #[test]
    fn scaling_helpers() {
        let image = GrayImage::from_fn(4, 2, |x, _| Luma([u8::try_from(x * 10).unwrap()]));
        let halved = half(&image);
        assert_eq!(halved.dimensions(), (2, 1));
        assert_eq!(halved.get_pixel(1, 0).0[0], 25);
        assert_eq!(double(&image).dimensions(), (8, 4));
    }
}
