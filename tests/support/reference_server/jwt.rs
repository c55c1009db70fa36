//! Seed 004's tokens: HS256 JWTs, the access token (cookie `jwt`, 30
//! minutes) signed with one secret and the refresh token (cookie
//! `refresh`, 7 days) with another, as the seed insists ("use different
//! secrets to sign the access and refresh tokens"). Each claims `sub`,
//! `email`, `tfa` (the "2FA passed" flag) and `exp` (seconds).

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

/// Seed 004: the access token is short-lived.
pub const ACCESS_TTL_MS: u64 = 30 * 60 * 1000;
/// Seed 004: the refresh token lives long.
pub const REFRESH_TTL_MS: u64 = 7 * 24 * 60 * 60 * 1000;

/// What a token says about its holder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub email: String,
    pub second_factor: bool,
    pub expires_ms: u64,
}

/// Signs `claims` with `key`.
pub fn sign(claims: &Claims, key: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64.encode(
        json!({
            "sub": claims.sub,
            "email": claims.email,
            "tfa": claims.second_factor,
            "exp": claims.expires_ms / 1000,
        })
        .to_string(),
    );
    let signed = format!("{header}.{payload}");
    let signature = b64.encode(mac(key, signed.as_bytes()).finalize().into_bytes());
    format!("{signed}.{signature}")
}

/// The claims of `token` if `key` signed it and it has not expired at
/// `now_ms`.
pub fn verify(token: &str, key: &[u8], now_ms: u64) -> Option<Claims> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (signed, signature) = token.rsplit_once('.')?;
    mac(key, signed.as_bytes())
        .verify_slice(&b64.decode(signature).ok()?)
        .ok()?;
    let payload = signed.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&b64.decode(payload).ok()?).ok()?;
    let expires_ms = claims.get("exp")?.as_u64()?.checked_mul(1000)?;
    if expires_ms <= now_ms {
        return None;
    }
    Some(Claims {
        sub: claims.get("sub")?.as_str()?.to_owned(),
        email: claims.get("email")?.as_str()?.to_owned(),
        second_factor: claims.get("tfa")?.as_bool()?,
        expires_ms,
    })
}

fn mac(key: &[u8], data: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(data);
    mac
}
