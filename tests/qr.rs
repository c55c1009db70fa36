//! QR codes and Google migration payloads: the fixtures of other tools
//! (`../shared/fixtures/google-migration/`), generated pictures decoded
//! back, agreement with `zbarimg`, screen capture and the clipboard on a
//! private Xvfb (`xclip` owning the selection), and the desktop portal's
//! failure modes on a bare private D-Bus.

use tessera::core::otp::{Account, MigrationError, parse_migration_uri, parse_uri};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../shared/fixtures/google-migration/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).unwrap()
}

/// The `otpauth-migration://` lines of a fixture, comments and blanks skipped.
fn migration_lines(name: &str) -> Vec<String> {
    fixture_text(name)
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

fn expected_accounts() -> Vec<Account> {
    fixture_text("url_list_output.txt")
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| parse_uri(line).unwrap())
        .collect()
}

#[test]
fn migration_example_export_gives_the_listed_accounts_in_order() {
    let accounts: Vec<Account> = migration_lines("example_export.txt")
        .iter()
        .flat_map(|line| parse_migration_uri(line).unwrap().accounts)
        .collect();
    assert_eq!(accounts, expected_accounts());
}

#[test]
fn migration_only_totp_export_is_the_example_without_hotp() {
    let accounts: Vec<Account> = migration_lines("example_export_only_totp.txt")
        .iter()
        .flat_map(|line| parse_migration_uri(line).unwrap().accounts)
        .collect();
    let expected: Vec<Account> = expected_accounts()
        .into_iter()
        .filter(|account| account.kind_name() == "totp")
        .collect();
    assert_eq!(accounts, expected);
}

#[test]
fn migration_plus_problem_export_decodes() {
    let lines = migration_lines("test_plus_problem_export.txt");
    assert_eq!(lines.len(), 1);
    let batch = parse_migration_uri(&lines[0]).unwrap();
    let names: Vec<(&str, &str)> = batch
        .accounts
        .iter()
        .map(|a| (a.issuer.as_str(), a.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("SerenityLabs", "test1@serenitylabs.co.uk"),
            ("SerenityLabs", "test2@serenitylabs.co.uk"),
            ("SerenityLabs", "test3@serenitylabs.co.uk"),
            ("SerenityLabs", "test4@serenitylabs.co.uk"),
        ]
    );
    // The same payload with `+` and `/` percent-encoded, and turned into spaces.
    let encoded = lines[0].replace('+', "%2B").replace('/', "%2F");
    let encoded = encoded.replacen("%2F%2F", "//", 1);
    assert_eq!(parse_migration_uri(&encoded).unwrap(), batch);
    assert_eq!(
        parse_migration_uri(&lines[0].replace('+', " ")).unwrap(),
        batch
    );
}

#[test]
fn migration_malformed_fixtures_fail_with_specific_errors() {
    let first = |name: &str| migration_lines(name).remove(0);
    assert!(matches!(
        parse_migration_uri(&first("test_export_wrong_data.txt")),
        Err(MigrationError::InvalidProtobuf { .. })
    ));
    assert_eq!(
        parse_migration_uri(&first("test_export_wrong_prefix.txt")),
        Err(MigrationError::WrongPrefix)
    );
    assert_eq!(
        parse_migration_uri(&first("test_export_wrong_content.txt")),
        Err(MigrationError::WrongPrefix)
    );
    assert!(migration_lines("empty_file.txt").is_empty());
    assert!(migration_lines("only_comments.txt").is_empty());
    assert_eq!(parse_migration_uri(""), Err(MigrationError::WrongPrefix));
}

#[test]
fn migration_round_trip_of_the_example_accounts() {
    let accounts = expected_accounts();
    let uris = tessera::core::otp::format_migration_uris(&accounts);
    assert_eq!(uris.len(), 1);
    let batch = parse_migration_uri(&uris[0]).unwrap();
    assert_eq!(batch.accounts, accounts);
    assert_eq!((batch.batch_size, batch.batch_index), (1, 0));
}

// ---------------------------------------------------------------------------
// Pictures: real fixtures.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use image::{DynamicImage, GrayImage, ImageFormat, Luma};
use qrcode::{EcLevel, QrCode, Version};
use tessera::core::otp::{Algorithm, MigrationBatch, OtpKind, format_uri};
use tessera::core::qr::{self, BatchAssembly, BatchProgress, QrContent, QrError};
use tessera::core::secret::SecretBytes;

#[test]
fn qr_example_export_png_yields_the_accounts_of_its_uri() {
    let contents = qr::scan(&fixture("example_export.png")).unwrap();
    assert_eq!(contents.len(), 1);
    let QrContent::Migration(batch) = &contents[0] else {
        panic!("not a migration QR")
    };
    // The three accounts of the URI the picture holds (scito/extract_otp_secrets'
    // documented output for it).
    let expected: Vec<Account> = [
        "otpauth://totp/Test1:test1%40example1.com?secret=JBSWY3DPEHPK3PXP&issuer=Test1",
        "otpauth://totp/Test2:test2%40example2.com?secret=JBSWY3DPEHPK3PXQ&issuer=Test2",
        "otpauth://totp/Test3:test3%40example3.com?secret=JBSWY3DPEHPK3PXR&issuer=Test3",
    ]
    .iter()
    .map(|uri| parse_uri(uri).unwrap())
    .collect();
    assert_eq!(batch.accounts, expected);
    assert_eq!((batch.batch_size, batch.batch_index), (1, 0));
}

#[test]
fn qr_without_otp_data_is_rejected_clearly() {
    let bytes = fixture("qr_but_without_otp.png");
    let texts = qr::decode(&bytes).unwrap();
    assert_eq!(texts.len(), 1);
    assert_eq!(qr::scan(&bytes), Err(QrError::NoOtpData));
}

#[test]
fn qr_text_masquerading_as_image_is_not_an_image() {
    let bytes = fixture("text_masquerading_as_image.jpeg");
    assert_eq!(qr::decode(&bytes), Err(QrError::NotAnImage));
    assert_eq!(qr::scan(&bytes), Err(QrError::NotAnImage));
}

/// An SVG that shows one `<image>` at `href`, filling its 400 × 400 canvas.
fn svg_showing(href: &str) -> Vec<u8> {
    format!(
        "<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink' \
         width='400' height='400'><rect width='400' height='400' fill='white'/>\
         <image x='0' y='0' width='400' height='400' xlink:href='{href}' href='{href}'/></svg>"
    )
    .into_bytes()
}

#[test]
fn an_svg_picture_draws_no_image_it_names_on_disk_or_inline() {
    use base64::Engine as _;
    // Another account's QR picture on disk (an SVG, as `show-qr` writes
    // them): an SVG that names it must not show it.
    let dir = tempfile::tempdir().unwrap();
    let secret_uri = "otpauth://totp/Local:file?secret=JBSWY3DPEHPK3PXP&issuer=Local";
    let local = qr::encode_svg(secret_uri).unwrap();
    assert_eq!(
        qr::decode(local.as_bytes()).unwrap(),
        vec![secret_uri.to_owned()]
    );
    let local_path = dir.path().join("local-account.svg");
    std::fs::write(&local_path, &local).unwrap();
    let absolute = local_path.to_str().unwrap().to_owned();
    let relative = format!("../../../../../../../..{absolute}");
    let file_url = format!("file://{absolute}");
    let inline = format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&local)
    );
    let inline_png = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(qr::encode_png(secret_uri).unwrap())
    );
    for href in [
        absolute.as_str(),
        relative.as_str(),
        file_url.as_str(),
        inline.as_str(),
        inline_png.as_str(),
        "/dev/zero",
        "/proc/self/environ",
        "/etc/passwd",
    ] {
        let shown = &href[..href.len().min(40)];
        assert_eq!(
            qr::scan(&svg_showing(href)),
            Err(QrError::NoQrFound),
            "href {shown}"
        );
    }
}

#[test]
fn qr_picture_without_code_says_so() {
    let blank = GrayImage::from_fn(640, 480, |x, y| {
        Luma([u8::try_from((x ^ y) % 64 + 150).unwrap()])
    });
    assert_eq!(qr::decode(&png(&blank)), Err(QrError::NoQrFound));
    let truncated = &png(&blank)[..100];
    assert!(matches!(
        qr::decode(truncated),
        Err(QrError::UnreadableImage { .. })
    ));
}

// ---------------------------------------------------------------------------
// Pictures: generated, each decoded back to exactly what was encoded.

/// A picture file and the texts it must decode to, in reading order.
struct Case {
    name: String,
    bytes: Vec<u8>,
    extension: &'static str,
    expected: Vec<String>,
}

/// A deterministic xorshift generator (the tests must not depend on luck).
struct Noise(u32);

impl Noise {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    fn below(&mut self, n: u32) -> u32 {
        self.next() % n
    }
}

fn test_account(i: u8) -> Account {
    let algorithm = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512][usize::from(i % 3)];
    let kind = if i % 4 == 3 {
        OtpKind::Hotp {
            counter: u64::from(i) * 7,
        }
    } else {
        OtpKind::Totp { period: 30 }
    };
    Account::new(
        ["GitHub", "Ünïcödé Bank", "Example Corp", "AWS"][usize::from(i % 4)],
        format!("user{i}@example.com"),
        SecretBytes::from((0..20).map(|b| b ^ i.wrapping_mul(37)).collect::<Vec<u8>>()),
        algorithm,
        if i.is_multiple_of(2) { 6 } else { 8 },
        kind,
    )
    .unwrap()
}

fn test_uri(i: u8) -> String {
    format_uri(&test_account(i))
}

fn render(text: &str, version: Option<i16>, level: EcLevel, module: u32) -> GrayImage {
    let code = match version {
        Some(v) => QrCode::with_version(text, Version::Normal(v), level).unwrap(),
        None => QrCode::with_error_correction_level(text, level).unwrap(),
    };
    code.render::<Luma<u8>>()
        .module_dimensions(module, module)
        .build()
}

fn encode_as(image: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = std::io::Cursor::new(Vec::new());
    let dynamic = if format == ImageFormat::WebP || format == ImageFormat::Gif {
        DynamicImage::ImageRgba8(DynamicImage::ImageLuma8(image.clone()).to_rgba8())
    } else {
        DynamicImage::ImageLuma8(image.clone())
    };
    dynamic.write_to(&mut bytes, format).unwrap();
    bytes.into_inner()
}

fn png(image: &GrayImage) -> Vec<u8> {
    encode_as(image, ImageFormat::Png)
}

fn invert(image: &GrayImage) -> GrayImage {
    let mut inverted = image.clone();
    image::imageops::invert(&mut inverted);
    inverted
}

/// Rotated by `degrees` about the centre (bilinear), on a canvas large
/// enough for every corner, the new area filled with `fill`.
fn rotate(image: &GrayImage, degrees: f64, fill: u8) -> GrayImage {
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let (sin, cos) = degrees.to_radians().sin_cos();
    let side = (w * cos.abs() + h * sin.abs())
        .max(w * sin.abs() + h * cos.abs())
        .ceil();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let out = side as u32;
    GrayImage::from_fn(out, out, |x, y| {
        let (dx, dy) = (f64::from(x) - side / 2.0, f64::from(y) - side / 2.0);
        let sx = cos * dx + sin * dy + w / 2.0;
        let sy = -sin * dx + cos * dy + h / 2.0;
        if sx < 0.0 || sy < 0.0 || sx >= w - 1.0 || sy >= h - 1.0 {
            return Luma([fill]);
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (x0, y0) = (sx.floor() as u32, sy.floor() as u32);
        let (fx, fy) = (sx.fract(), sy.fract());
        let p = |x: u32, y: u32| f64::from(image.get_pixel(x, y).0[0]);
        let top = p(x0, y0) * (1.0 - fx) + p(x0 + 1, y0) * fx;
        let bottom = p(x0, y0 + 1) * (1.0 - fx) + p(x0 + 1, y0 + 1) * fx;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Luma([(top * (1.0 - fy) + bottom * fy).round() as u8])
    })
}

/// The picture on a plane tilted back by `degrees` about its bottom edge,
/// seen by a camera at twice its height (a true perspective: the top
/// narrower, its rows closer together).
fn tilt(flat: &GrayImage, degrees: f64) -> GrayImage {
    let (w, h) = (f64::from(flat.width()), f64::from(flat.height()));
    let (sin, cos) = degrees.to_radians().sin_cos();
    let focal = 2.0 * h;
    GrayImage::from_fn(flat.width(), flat.height(), |x, y| {
        let above = h - f64::from(y);
        let depth = above * focal / (focal * cos - above * sin);
        let u = w / 2.0 + (f64::from(x) - w / 2.0) * (focal + depth * sin) / focal;
        let v = h - depth;
        if u < 0.0 || u >= w || v < 0.0 || v >= h {
            return Luma([255]);
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let pixel = *flat.get_pixel(u as u32, v as u32);
        pixel
    })
}

/// A screenshot-like background: light, with lines of dark "text" and
/// speckles; `dark` turns it into a dark theme.
fn background(width: u32, height: u32, seed: u32, dark: bool) -> GrayImage {
    let mut noise = Noise(seed);
    let mut image = GrayImage::from_fn(width, height, |x, y| {
        let base = 200 + u8::try_from((x / 7 + y / 5) % 40).unwrap();
        let ink = (y / 14) % 3 == 0 && noise.below(5) == 0;
        let speck = noise.below(200) == 0;
        Luma([if ink || speck { 40 } else { base }])
    });
    if dark {
        image::imageops::invert(&mut image);
    }
    image
}

fn place(canvas: &mut GrayImage, code: &GrayImage, x: u32, y: u32) {
    image::imageops::replace(canvas, code, i64::from(x), i64::from(y));
}

fn case(
    name: impl Into<String>,
    bytes: Vec<u8>,
    extension: &'static str,
    expected: Vec<String>,
) -> Case {
    Case {
        name: name.into(),
        bytes,
        extension,
        expected,
    }
}

#[allow(clippy::too_many_lines)]
fn generated_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let short = "otpauth://totp/A?secret=JBSWY3DPEHPK3PXP".to_owned();
    for version in [3, 7, 15, 25, 40] {
        let image = render(&short, Some(version), EcLevel::L, 3);
        cases.push(case(
            format!("version-{version}"),
            png(&image),
            "png",
            vec![short.clone()],
        ));
    }
    for (name, level) in [
        ("L", EcLevel::L),
        ("M", EcLevel::M),
        ("Q", EcLevel::Q),
        ("H", EcLevel::H),
    ] {
        let uri = test_uri(1);
        cases.push(case(
            format!("ec-{name}"),
            png(&render(&uri, None, level, 4)),
            "png",
            vec![uri],
        ));
    }
    for module in [2, 3, 6, 15] {
        let uri = test_uri(2);
        cases.push(case(
            format!("module-{module}px"),
            png(&render(&uri, None, EcLevel::M, module)),
            "png",
            vec![uri],
        ));
    }
    // Large, noisy screenshots with small codes.
    let mut screen = background(1920, 1080, 7, false);
    let small = [test_uri(3), test_uri(4), test_uri(5)];
    place(
        &mut screen,
        &render(&small[0], None, EcLevel::M, 3),
        100,
        120,
    );
    place(
        &mut screen,
        &render(&small[1], None, EcLevel::M, 4),
        1400,
        90,
    );
    place(
        &mut screen,
        &render(&small[2], None, EcLevel::L, 3),
        800,
        700,
    );
    cases.push(case(
        "noisy-1080p-three-codes",
        png(&screen),
        "png",
        small.to_vec(),
    ));
    let mut dark = background(1600, 900, 11, true);
    let uri = test_uri(6);
    place(
        &mut dark,
        &invert(&render(&uri, None, EcLevel::M, 4)),
        600,
        300,
    );
    cases.push(case("dark-theme-inverted", png(&dark), "png", vec![uri]));
    // Inverted on its own, and mixed with a normal one.
    let uri = test_uri(7);
    cases.push(case(
        "inverted",
        png(&invert(&render(&uri, None, EcLevel::M, 5))),
        "png",
        vec![uri.clone()],
    ));
    let mut mixed = GrayImage::from_pixel(900, 500, Luma([128]));
    let other = test_uri(8);
    place(&mut mixed, &render(&other, None, EcLevel::M, 4), 20, 40);
    place(
        &mut mixed,
        &invert(&render(&uri, None, EcLevel::M, 4)),
        470,
        40,
    );
    cases.push(case(
        "normal-and-inverted",
        png(&mixed),
        "png",
        vec![other, uri],
    ));
    // Rotated.
    for degrees in [7.0, 20.0, 45.0, 90.0, 160.0] {
        let uri = test_uri(9);
        let image = rotate(&render(&uri, None, EcLevel::M, 5), degrees, 255);
        cases.push(case(
            format!("rotated-{degrees}"),
            png(&image),
            "png",
            vec![uri],
        ));
    }
    // Perspective: a code on a plane tilted away by 30° (a photo from below).
    let uri = test_uri(17);
    let tilted = tilt(&render(&uri, None, EcLevel::M, 5), 30.0);
    cases.push(case("tilted-30", png(&tilted), "png", vec![uri]));
    // Several per image, read in order.
    let mut grid = GrayImage::from_pixel(1100, 1000, Luma([255]));
    let four: Vec<String> = (10..14).map(test_uri).collect();
    for (i, uri) in (0_u32..).zip(&four) {
        place(
            &mut grid,
            &render(uri, None, EcLevel::M, 4),
            20 + (i % 2) * 540,
            20 + (i / 2) * 490,
        );
    }
    cases.push(case("four-in-a-grid", png(&grid), "png", four));
    // Every raster format, and SVG.
    let uri = test_uri(14);
    let image = render(&uri, None, EcLevel::M, 6);
    for (format, extension) in [
        (ImageFormat::Jpeg, "jpg"),
        (ImageFormat::Gif, "gif"),
        (ImageFormat::WebP, "webp"),
        (ImageFormat::Bmp, "bmp"),
    ] {
        cases.push(case(
            format!("format-{extension}"),
            encode_as(&image, format),
            extension,
            vec![uri.clone()],
        ));
    }
    let uri = test_uri(15);
    cases.push(case(
        "svg-tessera",
        qr::encode_svg(&uri).unwrap().into_bytes(),
        "svg",
        vec![uri.clone()],
    ));
    let tiny_svg = QrCode::new(uri.as_bytes())
        .unwrap()
        .render::<qrcode::render::svg::Color<'_>>()
        .module_dimensions(1, 1)
        .build();
    cases.push(case(
        "svg-one-unit-modules",
        tiny_svg.into_bytes(),
        "svg",
        vec![uri],
    ));
    // A photo-like JPEG: uneven lighting, slight blur, rotation.
    let uri = test_uri(16);
    let code = rotate(&render(&uri, None, EcLevel::Q, 6), 12.0, 255);
    let mut photo = GrayImage::from_fn(1200, 900, |x, y| {
        Luma([u8::try_from(120 + (x / 12 + y / 18).min(120)).unwrap()])
    });
    let shade = |v: u8, x: u32| u8::try_from(u32::from(v) * (70 + x * 30 / 1200) / 100).unwrap();
    place(&mut photo, &code, 300, 150);
    let photo = GrayImage::from_fn(1200, 900, |x, y| {
        Luma([shade(photo.get_pixel(x, y).0[0], x)])
    });
    let photo = image::imageops::blur(&photo, 1.2);
    cases.push(case(
        "photo-like-jpeg",
        encode_as(&photo, ImageFormat::Jpeg),
        "jpg",
        vec![uri],
    ));
    cases
}

#[test]
fn qr_generated_pictures_decode_to_exactly_what_was_encoded() {
    let mut failures = Vec::new();
    for case in generated_cases() {
        match qr::decode(&case.bytes) {
            Ok(texts) if texts == case.expected => {}
            other => failures.push(format!("{}: {:?}", case.name, other.map(|t| t.len()))),
        }
    }
    assert!(failures.is_empty(), "not decoded: {failures:#?}");
}

#[test]
fn qr_account_pictures_round_trip() {
    for i in 0..6 {
        let account = test_account(i);
        let from_png = qr::scan(&qr::account_png(&account).unwrap()).unwrap();
        let from_svg = qr::scan(qr::account_svg(&account).unwrap().as_bytes()).unwrap();
        for contents in [from_png, from_svg] {
            assert_eq!(contents, vec![QrContent::Account(test_account(i))]);
        }
    }
}

#[test]
fn qr_migration_sets_round_trip_through_batch_assembly() {
    let accounts: Vec<Account> = (0..23).map(test_account).collect();
    let pngs = qr::migration_pngs(&accounts).unwrap();
    let svgs = qr::migration_svgs(&accounts).unwrap();
    assert_eq!((pngs.len(), svgs.len()), (3, 3));
    for pictures in [
        pngs,
        svgs.into_iter().map(String::into_bytes).collect::<Vec<_>>(),
    ] {
        let mut assembly = BatchAssembly::new();
        let mut progress = Vec::new();
        // Scanned out of order, one part twice.
        for index in [2, 0, 2, 1] {
            let contents = qr::scan(&pictures[index]).unwrap();
            let [QrContent::Migration(batch)] = <[QrContent; 1]>::try_from(contents).unwrap()
            else {
                panic!("not a migration part")
            };
            let MigrationBatch { batch_size, .. } = batch;
            assert_eq!(batch_size, 3);
            progress.push(assembly.add(batch).unwrap());
        }
        let texts: Vec<String> = progress.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                "1 of 3 scanned",
                "2 of 3 scanned",
                "2 of 3 scanned (already had this one)",
                "all 3 scanned"
            ]
        );
        // Each new part handed over its own accounts; in part order they are all.
        let mut by_part: Vec<(usize, Vec<Account>)> = Vec::new();
        for (index, step) in [2, 0, 2, 1].into_iter().zip(&progress) {
            if let BatchProgress::Part { accounts: part, .. } = step {
                by_part.push((index, part.clone()));
            }
        }
        by_part.sort_by_key(|(index, _)| *index);
        let back: Vec<Account> = by_part.into_iter().flat_map(|(_, part)| part).collect();
        assert_eq!(back, accounts);
    }
}

#[test]
fn qr_all_parts_of_an_export_in_one_picture() {
    let accounts: Vec<Account> = (0..12).map(test_account).collect();
    let uris = tessera::core::otp::format_migration_uris(&accounts);
    assert_eq!(uris.len(), 2);
    let mut canvas = GrayImage::from_pixel(1400, 800, Luma([255]));
    place(&mut canvas, &render(&uris[0], None, EcLevel::L, 4), 10, 10);
    place(&mut canvas, &render(&uris[1], None, EcLevel::L, 4), 720, 10);
    let mut assembly = BatchAssembly::new();
    let mut back = Vec::new();
    let mut last = None;
    for content in qr::scan(&png(&canvas)).unwrap() {
        let QrContent::Migration(batch) = content else {
            panic!("not a migration part")
        };
        let progress = assembly.add(batch).unwrap();
        if let BatchProgress::Part { accounts: part, .. } = &progress {
            back.extend(part.iter().cloned());
        }
        last = Some(progress);
    }
    assert_eq!(back, accounts);
    assert!(last.unwrap().export().is_complete());
    assert_eq!(parse_migration_uri(&uris[0]).unwrap().batch_size, 2);
}

// ---------------------------------------------------------------------------
// zbar: Tessera must read everything `zbarimg` (Debian zbar-tools) reads.

fn zbarimg_available() -> bool {
    Command::new("zbarimg").arg("--version").output().is_ok()
}

/// The texts `zbarimg` reads in a file (none when it reads nothing).
fn zbarimg(path: &Path) -> BTreeSet<String> {
    let output = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn qr_decodes_everything_zbarimg_decodes() {
    if !zbarimg_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have zbarimg (.ci/setup installs zbar-tools)"
        );
        eprintln!("skipped: zbarimg is not installed (Debian package zbar-tools)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cases = generated_cases();
    for name in ["example_export.png", "qr_but_without_otp.png"] {
        cases.push(case(name, fixture(name), "png", Vec::new()));
    }
    let (mut zbar_total, mut ours_total) = (0, 0);
    let mut missed = Vec::new();
    for case in &cases {
        let path = dir.path().join(format!("{}.{}", case.name, case.extension));
        std::fs::write(&path, &case.bytes).unwrap();
        let theirs = zbarimg(&path);
        let ours: BTreeSet<String> = qr::decode(&case.bytes)
            .unwrap_or_default()
            .into_iter()
            .collect();
        zbar_total += theirs.len();
        ours_total += ours.len();
        if !theirs.is_subset(&ours) {
            missed.push(case.name.clone());
        }
    }
    eprintln!(
        "zbarimg read {zbar_total} codes, Tessera {ours_total}, over {} pictures",
        cases.len()
    );
    assert!(
        missed.is_empty(),
        "zbarimg read codes Tessera missed in: {missed:?}"
    );
    assert!(ours_total >= zbar_total);
}

// ---------------------------------------------------------------------------
// Screen capture, on a virtual X server (`Xvfb`, Debian package xvfb).

/// An `Xvfb` of our own on a free display number, stopped on drop.
struct VirtualScreen {
    child: std::process::Child,
    display: String,
}

impl VirtualScreen {
    /// Tries free-looking display numbers until an `Xvfb` of our own runs
    /// on one (another test may have taken the same number a moment ago:
    /// then our `Xvfb` exits, and the next number is tried).
    fn start(width: u32, height: u32) -> Option<Self> {
        // Each test of this process gets numbers of its own.
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let base = 200 + std::process::id() % 500;
        loop {
            let number = base + NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if number >= base + 50 {
                return None;
            }
            if Path::new(&format!("/tmp/.X11-unix/X{number}")).exists()
                || Path::new(&format!("/tmp/.X{number}-lock")).exists()
            {
                continue;
            }
            let display = format!(":{number}");
            let child = Command::new("Xvfb")
                .args([
                    &display,
                    "-screen",
                    "0",
                    &format!("{width}x{height}x24"),
                    "-nolisten",
                    "tcp",
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .ok()?;
            let mut screen = Self { child, display };
            let socket = format!("/tmp/.X11-unix/X{number}");
            for _ in 0..100 {
                if screen.child.try_wait().ok().flatten().is_some() {
                    break;
                }
                if Path::new(&socket).exists() && x11rb::connect(Some(&screen.display)).is_ok() {
                    // Still ours, not one that won the number.
                    if screen.child.try_wait().ok().flatten().is_none() {
                        return Some(screen);
                    }
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        }
    }
}

impl Drop for VirtualScreen {
    /// SIGTERM first, so `Xvfb` removes its socket and lock file (a killed
    /// one leaves them, and its display number looks taken ever after);
    /// SIGKILL when it is still there after 2 s.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn qr_screen_capture_reads_codes_on_a_virtual_x11_screen() {
    let Some(screen) = VirtualScreen::start(1280, 800) else {
        eprintln!("skipped: Xvfb is not installed or did not start (Debian package xvfb)");
        return;
    };
    let mut desktop = background(1280, 800, 3, false);
    let (first, second) = (test_uri(20), test_uri(21));
    place(&mut desktop, &render(&first, None, EcLevel::M, 3), 60, 80);
    place(
        &mut desktop,
        &invert(&render(&second, None, EcLevel::M, 4)),
        800,
        300,
    );
    let _shown = crate::support::display::show_on_root(&screen.display, &desktop);
    let shots = qr::capture_display(Some(&screen.display)).unwrap();
    assert_eq!(shots.len(), 1);
    assert_eq!(shots[0].dimensions(), (1280, 800));
    assert_eq!(shots[0].get_pixel(0, 0), desktop.get_pixel(0, 0));
    assert_eq!(
        qr::scan_display(Some(&screen.display)).unwrap(),
        vec![first, second]
    );
}

// ---------------------------------------------------------------------------
// The command line: `scan`, `add --image`, `show-qr`.

mod cli {
    use super::{QrContent, fixture, qr, test_account};
    use crate::support::cli::CliVault;
    use tessera::core::otp::{Account, format_uri};

    fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path.to_str().unwrap().to_owned()
    }

    #[test]
    fn scan_prints_the_uris_of_every_picture_with_exports_assembled() {
        let vault = CliVault::init();
        let single = test_account(30);
        let group: Vec<Account> = (31..43).map(test_account).collect();
        let parts = qr::migration_pngs(&group).unwrap();
        assert_eq!(parts.len(), 2);
        let dir = vault.dir.path();
        let files = [
            write(dir, "part2.png", &parts[1]),
            write(
                dir,
                "single.svg",
                qr::account_svg(&single).unwrap().as_bytes(),
            ),
            write(dir, "part1.png", &parts[0]),
        ];
        let args: Vec<&str> = ["scan"]
            .into_iter()
            .chain(files.iter().map(String::as_str))
            .collect();
        let stdout = vault.ok(&args);
        // Each part's accounts where that part was read: part 2, the
        // single account, part 1.
        let mut expected: Vec<String> = group[10..].iter().map(format_uri).collect();
        expected.push(format_uri(&single));
        expected.extend(group[..10].iter().map(format_uri));
        assert_eq!(stdout.lines().collect::<Vec<_>>(), expected);

        let mut json_args = args.clone();
        json_args.push("--json");
        let json: serde_json::Value = serde_json::from_str(&vault.ok(&json_args)).unwrap();
        let listed = json.as_array().unwrap();
        assert_eq!(listed.len(), 13);
        assert_eq!(listed[2]["uri"], expected[2].as_str());
        assert_eq!(listed[2]["source"], files[1].as_str());
        assert_eq!(listed[0]["source"], files[0].as_str());
        assert_eq!(listed[3]["issuer"], group[0].issuer.as_str());
    }

    #[test]
    fn scan_names_what_is_wrong() {
        let vault = CliVault::init();
        let group: Vec<Account> = (0..15).map(test_account).collect();
        let parts = qr::migration_pngs(&group).unwrap();
        let dir = vault.dir.path();
        // A lone part of an export: its accounts, and which part is missing.
        let part = write(dir, "part1.png", &parts[0]);
        let output = vault.run(&["scan", &part]);
        assert!(output.status.success());
        let printed = String::from_utf8_lossy(&output.stdout);
        let expected: Vec<String> = group[..10].iter().map(format_uri).collect();
        assert_eq!(printed.lines().collect::<Vec<_>>(), expected);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("1 of 2 QR codes scanned; still missing part 2"),
            "{stderr}"
        );
        let ids = vault.ok(&["add", "--image", &part]);
        assert_eq!(
            ids.lines().count(),
            10,
            "add --image adds what the part holds"
        );
        let text = write(
            dir,
            "text.jpeg",
            &fixture("text_masquerading_as_image.jpeg"),
        );
        let stderr = vault.err(&["scan", &text]);
        assert!(stderr.contains("text.jpeg: not an image"), "{stderr}");
        let other = write(dir, "other.png", &fixture("qr_but_without_otp.png"));
        let stderr = vault.err(&["scan", &other]);
        assert!(stderr.contains("holds no 2FA account"), "{stderr}");
        let lattice = write(
            dir,
            "lattice.png",
            include_bytes!("fuzz_regressions/qr-finder-lattice-800x800.png"),
        );
        let stderr = vault.err(&["scan", &lattice]);
        assert!(
            stderr.contains("lattice.png: the image holds more than 240 shapes like the corner squares of a QR code"),
            "{stderr}"
        );
    }

    #[test]
    fn add_image_then_show_qr_round_trips() {
        let vault = CliVault::init();
        let dir = vault.dir.path();
        let export = write(dir, "export.png", &fixture("example_export.png"));
        let ids = vault.ok(&["add", "--image", &export, "--tag", "phone"]);
        let ids: Vec<&str> = ids.lines().collect();
        assert_eq!(ids.len(), 3);
        let list = vault.ok(&["list"]);
        assert!(list.contains("Test1:test1@example1.com"), "{list}");
        assert!(list.contains("[phone]"), "{list}");
        for extension in ["png", "svg"] {
            let out = dir.join(format!("shown.{extension}"));
            let out = out.to_str().unwrap();
            assert_eq!(vault.ok(&["show-qr", ids[1], "--out", out]).trim(), out);
            let contents = qr::scan(&std::fs::read(out).unwrap()).unwrap();
            let [QrContent::Account(account)] = contents.as_slice() else {
                panic!("not one account")
            };
            assert_eq!(account.label(), "Test2:test2@example2.com");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(out).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600);
            }
        }
        let stderr = vault.err(&["show-qr", ids[0], "--out", "x.jpg"]);
        assert!(stderr.contains(".png or .svg"), "{stderr}");
    }
}

// ---------------------------------------------------------------------------
// Bounded child processes, for the clipboard and portal tests.

/// Runs `command` to its end, at most `limit`; kills it and fails the test
/// when it takes longer.
fn output_within(command: &mut Command, limit: std::time::Duration) -> std::process::Output {
    use std::io::Read as _;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} did not finish within {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_end(&mut stderr)
        .unwrap();
    std::process::Output {
        status,
        stdout,
        stderr,
    }
}

/// Whether `program` can be run (`program -version` or `--version`).
fn installed(program: &str, version_flag: &str) -> bool {
    Command::new(program)
        .arg(version_flag)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok()
}

// ---------------------------------------------------------------------------
// The clipboard, on a private X server: `xclip` (Debian package xclip)
// owns the CLIPBOARD selection, `tessera scan --clipboard` reads it.

/// An `xclip` serving one value on the CLIPBOARD selection of a display
/// until it is dropped (it is killed then).
struct ClipboardOwner(std::process::Child);

impl ClipboardOwner {
    /// Puts `bytes` of MIME type `mime` on the clipboard of `display`, and
    /// waits (at most 10 s) until the selection offers it. An `xclip` that
    /// exits before (it could not connect, say) is started again.
    fn serve(display: &str, dir: &Path, mime: &str, bytes: &[u8]) -> Self {
        let file = dir.join("clipboard-content");
        std::fs::write(&file, bytes).unwrap();
        let log = dir.join("xclip.log");
        // -quiet keeps xclip in the foreground (it forks otherwise), serving
        // the selection until it is killed or another client takes it.
        let spawn = || {
            Command::new("xclip")
                .args(["-quiet", "-selection", "clipboard", "-t", mime, "-i"])
                .arg(&file)
                .env("DISPLAY", display)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap()
        };
        let mut owner = Self(spawn());
        let started = std::time::Instant::now();
        loop {
            let targets = output_within(
                Command::new("xclip")
                    .args(["-selection", "clipboard", "-o", "-t", "TARGETS"])
                    .env("DISPLAY", display),
                std::time::Duration::from_secs(10),
            );
            if String::from_utf8_lossy(&targets.stdout)
                .lines()
                .any(|t| t == mime)
            {
                return owner;
            }
            let exited = owner.0.try_wait().unwrap();
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "xclip did not take the clipboard within 10 s (xclip: {exited:?} {:?}; \
                 targets: {:?})",
                std::fs::read_to_string(&log),
                String::from_utf8_lossy(&targets.stderr),
            );
            if exited.is_some() {
                owner = Self(spawn());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for ClipboardOwner {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `tessera ARGS` on the X display `display` only (no Wayland, so the
/// developer's own clipboard is never read), at most 30 s.
fn tessera_on(display: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut command = Command::new(crate::support::tessera_bin());
    command
        .args(args)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DISPLAY");
    if let Some(display) = display {
        command.env("DISPLAY", display);
    }
    output_within(&mut command, std::time::Duration::from_secs(30))
}

fn stdout_of(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "tessera failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr_of(output: &std::process::Output) -> String {
    assert!(!output.status.success(), "tessera succeeded");
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn qr_clipboard_image_and_text_scan_like_files() {
    if !installed("xclip", "-version") {
        eprintln!("skipped: xclip is not installed (Debian package xclip; `make setup`)");
        return;
    }
    let Some(screen) = VirtualScreen::start(640, 480) else {
        eprintln!("skipped: Xvfb is not installed or did not start (Debian package xvfb)");
        return;
    };
    let display = screen.display.as_str();
    let dir = tempfile::tempdir().unwrap();

    // A QR code image, as a browser or an image viewer copies it.
    let uri = test_uri(50);
    let mut picture = background(500, 400, 7, false);
    place(&mut picture, &render(&uri, None, EcLevel::M, 4), 90, 60);
    let owner = ClipboardOwner::serve(display, dir.path(), "image/png", &png(&picture));
    let output = tessera_on(Some(display), &["scan", "--clipboard"]);
    assert_eq!(stdout_of(&output), format!("{uri}\n"));
    let output = tessera_on(Some(display), &["scan", "--clipboard", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&output)).unwrap();
    assert_eq!(json[0]["source"], "clipboard");
    assert_eq!(json[0]["uri"], uri.as_str());
    drop(owner);

    // A copied otpauth:// URI (plain text).
    let text_uri = test_uri(51);
    let owner = ClipboardOwner::serve(
        display,
        dir.path(),
        "UTF8_STRING",
        format!("{text_uri}\n").as_bytes(),
    );
    let output = tessera_on(Some(display), &["scan", "--clipboard"]);
    assert_eq!(stdout_of(&output), format!("{text_uri}\n"));
    drop(owner);

    // A Google Authenticator export, copied as an image.
    let group: Vec<Account> = (52..54).map(test_account).collect();
    let parts = qr::migration_pngs(&group).unwrap();
    assert_eq!(parts.len(), 1);
    let owner = ClipboardOwner::serve(display, dir.path(), "image/png", &parts[0]);
    let output = tessera_on(Some(display), &["scan", "--clipboard"]);
    let expected: Vec<String> = group.iter().map(format_uri).collect();
    assert_eq!(
        stdout_of(&output).lines().collect::<Vec<_>>(),
        expected.iter().map(String::as_str).collect::<Vec<_>>()
    );
    drop(owner);
}

#[test]
fn qr_clipboard_without_2fa_data_names_what_is_wrong() {
    if !installed("xclip", "-version") {
        eprintln!("skipped: xclip is not installed (Debian package xclip; `make setup`)");
        return;
    }
    let Some(screen) = VirtualScreen::start(640, 480) else {
        eprintln!("skipped: Xvfb is not installed or did not start (Debian package xvfb)");
        return;
    };
    let display = screen.display.as_str();
    let dir = tempfile::tempdir().unwrap();

    // Nobody owns the selection on a fresh X server.
    let stderr = stderr_of(&tessera_on(Some(display), &["scan", "--clipboard"]));
    assert!(stderr.contains("the clipboard is empty"), "{stderr}");

    let owner = ClipboardOwner::serve(display, dir.path(), "UTF8_STRING", b"a shopping list");
    let stderr = stderr_of(&tessera_on(Some(display), &["scan", "--clipboard"]));
    assert!(
        stderr.contains("holds neither an image nor an otpauth:// or otpauth-migration:// URI"),
        "{stderr}"
    );
    assert!(!stderr.contains("shopping"), "{stderr}");
    drop(owner);

    let owner = ClipboardOwner::serve(
        display,
        dir.path(),
        "image/png",
        &png(&background(300, 200, 9, false)),
    );
    let stderr = stderr_of(&tessera_on(Some(display), &["scan", "--clipboard"]));
    assert!(stderr.contains("no QR code found"), "{stderr}");
    drop(owner);

    let owner = ClipboardOwner::serve(
        display,
        dir.path(),
        "image/png",
        &fixture("qr_but_without_otp.png"),
    );
    let stderr = stderr_of(&tessera_on(Some(display), &["scan", "--clipboard"]));
    assert!(stderr.contains("holds no 2FA account"), "{stderr}");
    drop(owner);

    // No graphical session at all.
    let stderr = stderr_of(&tessera_on(None, &["scan", "--clipboard"]));
    assert!(
        stderr.contains("cannot read the clipboard: no graphical session"),
        "{stderr}"
    );
    // --clipboard goes alone.
    let stderr = stderr_of(&tessera_on(None, &["scan", "--clipboard", "x.png"]));
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    let stderr = stderr_of(&tessera_on(None, &["scan", "--clipboard", "--screen"]));
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}

// ---------------------------------------------------------------------------
// Screen capture through the desktop portal (Wayland).

/// A D-Bus configuration for a session bus with no service files at all,
/// so nothing (no `xdg-desktop-portal`) can be started on it.
const BARE_BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// A private `dbus-daemon` on [`BARE_BUS_CONFIG`], killed on drop.
struct BareBus {
    child: std::process::Child,
    address: String,
}

impl BareBus {
    fn start(dir: &Path) -> Self {
        use std::io::BufRead as _;
        let config = dir.join("bare-bus.conf");
        std::fs::write(&config, BARE_BUS_CONFIG).unwrap();
        let mut child = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("dbus-daemon is installed (Debian package dbus; `make setup`)");
        let mut address = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        assert!(!address.is_empty(), "dbus-daemon exited without an address");
        Self { child, address }
    }
}

impl Drop for BareBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Without a desktop portal on the session bus, capture through the portal
/// is a `ScreenCapture` error naming the missing portal, and comes at once.
///
/// The real portal path (a `Screenshot` request, its `Response` signal, the
/// file it returns) is not exercised here: that needs a Wayland compositor
/// with an `xdg-desktop-portal` backend (GNOME, KDE, wlroots), which a
/// headless test machine does not have. The test runs on a private bus
/// with no service files rather than the session bus of
/// `.ci/keyring-session`, whose standard service directories could start
/// `xdg-desktop-portal`, and on a developer's desktop its real backend.
#[test]
fn qr_portal_capture_without_a_portal_is_a_quick_specific_error() {
    if !installed("dbus-daemon", "--version") {
        eprintln!("skipped: dbus-daemon is not installed (Debian package dbus)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bus = BareBus::start(dir.path());
    let started = std::time::Instant::now();
    let result = qr::capture_portal_on(Some(&bus.address));
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let Err(QrError::ScreenCapture { reason }) = result else {
        panic!("expected ScreenCapture, got {result:?}")
    };
    assert!(
        reason == "desktop portal: none on the session bus (no org.freedesktop.portal.Desktop)",
        "{reason}"
    );
}

/// `scan --screen` on a Wayland session without X11 falls back to the
/// portal, and says why neither worked. Same limits as the test above: the
/// session bus is a `dbus-run-session` with no service files, so no portal.
#[test]
fn qr_scan_screen_on_wayland_without_portal_names_both_problems() {
    if !installed("dbus-run-session", "--version") {
        eprintln!("skipped: dbus-run-session is not installed (Debian package dbus)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bare-bus.conf");
    std::fs::write(&config, BARE_BUS_CONFIG).unwrap();
    let started = std::time::Instant::now();
    let output = output_within(
        Command::new("dbus-run-session")
            .arg(format!("--config-file={}", config.display()))
            .arg("--")
            .arg(crate::support::tessera_bin())
            .args(["scan", "--screen"])
            .env_remove("DISPLAY")
            .env("WAYLAND_DISPLAY", "tessera-test-no-compositor"),
        std::time::Duration::from_secs(30),
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(15));
    let stderr = stderr_of(&output);
    assert!(
        stderr.contains("cannot capture the screen: X11: no X11 display (DISPLAY is not set)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("; desktop portal: none on the session bus"),
        "{stderr}"
    );
}

/// What Tessera draws for a phone is read by another decoder too: account
/// pictures and every part of a migration set, through `zbarimg`, give
/// exactly the texts our own decoder gives.
#[test]
fn qr_our_pictures_are_read_by_zbarimg() {
    if !zbarimg_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have zbarimg (.ci/setup installs zbar-tools)"
        );
        eprintln!("skipped: zbarimg is not installed (Debian package zbar-tools)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut pictures: Vec<Vec<u8>> = (0..4)
        .map(|i| qr::account_png(&test_account(i)).unwrap())
        .collect();
    let group: Vec<Account> = (0..23).map(test_account).collect();
    pictures.extend(qr::migration_pngs(&group).unwrap());
    assert_eq!(pictures.len(), 7);
    for (index, png) in pictures.iter().enumerate() {
        let path = dir.path().join(format!("ours-{index}.png"));
        std::fs::write(&path, png).unwrap();
        let ours: BTreeSet<String> = qr::decode(png).unwrap().into_iter().collect();
        assert_eq!(ours.len(), 1, "picture {index}");
        assert_eq!(zbarimg(&path), ours, "picture {index}");
    }
}
