//! The REST client that drives 2FA enrolment, login, status and disabling on
//! remote servers, described by declarative profiles (data, not code). Never
//! keeps credentials outside the vault and never retries a refused code.
