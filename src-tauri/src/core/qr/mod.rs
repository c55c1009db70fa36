//! QR codes: decoding every code in an image (raster or SVG), screen capture,
//! and encoding accounts as otpauth or Google migration QR images. Knows
//! nothing of the vault; hands back text for `otp` and `transfer` to parse.
