//! One-time codes: the `Account` value, the otpauth:// Key URI Format, and
//! TOTP, HOTP and Steam code generation. Never reads the system time (a
//! `Clock` is passed in) and never stores anything.
