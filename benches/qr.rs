//! QR decoding speed: a plain 600×600 code (target ≤ 20 ms) and a
//! 3840×2160 screenshot holding one small code, against `zbarimg` on the
//! same file (target: no slower). Run with `cargo bench --bench qr`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use image::{GrayImage, Luma};
use tessera::core::qr;

const URI: &str = "otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example";

fn png(image: &GrayImage) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

/// 600×600: one code with 10-pixel modules on white.
fn plain() -> Vec<u8> {
    let code = qr::encode_luma(URI, 10).unwrap();
    let mut canvas = GrayImage::from_pixel(600, 600, Luma([255]));
    image::imageops::replace(&mut canvas, &code, 20, 20);
    png(&canvas)
}

/// A 4K screenshot: light window-like areas, lines of "text", and one code
/// with 3-pixel modules.
fn screenshot() -> Vec<u8> {
    let mut state = 0x9e37_79b9_u32;
    let mut canvas = GrayImage::from_fn(3840, 2160, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let panel = if (x / 640 + y / 540) % 2 == 0 {
            245
        } else {
            225
        };
        let text = (y / 16) % 3 == 0 && (x / 9) % 7 != 0 && state.is_multiple_of(3);
        Luma([if text { 60 } else { panel }])
    });
    let code = qr::encode_luma(URI, 3).unwrap();
    image::imageops::replace(&mut canvas, &code, 2900, 1500);
    png(&canvas)
}

/// Mean wall time of `runs` calls.
fn mean(runs: u32, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..runs {
        f();
    }
    start.elapsed() / runs
}

fn zbarimg(path: &std::path::Path) -> bool {
    Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(path)
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains(URI))
}

fn decoding(c: &mut Criterion) {
    let plain = plain();
    assert_eq!(qr::decode(&plain).unwrap(), [URI]);
    c.bench_function("decode 600x600 png", |b| {
        b.iter(|| qr::decode(black_box(&plain)).unwrap());
    });

    let shot = screenshot();
    assert_eq!(qr::decode(&shot).unwrap(), [URI]);
    let mut group = c.benchmark_group("4k screenshot");
    group.sample_size(10);
    group.bench_function("tessera decode png", |b| {
        b.iter(|| qr::decode(black_box(&shot)).unwrap());
    });
    let dir = std::env::temp_dir().join(format!("tessera-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("screenshot.png");
    std::fs::write(&path, &shot).unwrap();
    if zbarimg(&path) {
        group.bench_function("zbarimg", |b| b.iter(|| zbarimg(black_box(&path))));
        let ours = mean(5, || {
            qr::decode(&shot).unwrap();
        });
        let theirs = mean(5, || {
            zbarimg(&path);
        });
        println!(
            "4k screenshot: tessera {ours:?}, zbarimg {theirs:?}, ratio tessera/zbarimg {:.2}",
            ours.as_secs_f64() / theirs.as_secs_f64()
        );
    } else {
        println!("zbarimg missing or unable to read the screenshot: no comparison");
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, decoding);
criterion_main!(benches);
