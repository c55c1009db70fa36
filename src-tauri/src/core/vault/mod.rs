//! The encrypted vault: a `SQLite` file whose entries are sealed with
//! `XChaCha20-Poly1305` under a vault key wrapped by password and keyring
//! slots. Never writes a secret in clear text, to disk or to an error.
