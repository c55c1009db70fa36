//! The REST client that drives 2FA enrolment, login, status and disabling on
//! remote servers, described by declarative profiles (data, not code). Never
//! keeps credentials outside the vault and never retries a refused code.
//!
//! Owns: [`Profile`] (the TOML model, validation, the built-in profiles in
//! `profiles/*.toml`), [`Http`] (reqwest + rustls: timeouts, a size limit,
//! `http://` only to loopback, redirects only within the origin), secret
//! discovery in a setup answer (`discover`), the flows of [`ServerClient`]
//! (`register`, `enrol`, `login`, `status`, `disable`), [`FlowRunner`]
//! (one user action: load the record, pick the profile, run the flow, save
//! the record and the wait the server asked for), [`ServerRecord`]
//! with its [`Credentials`], [`ServerStore`] and the vault-backed
//! [`VaultServerStore`], and [`ServerError`].
//!
//! Must never: put a password, token, cookie, secret or code into an
//! error, a log line or a `Debug` string; contact a non-loopback host over
//! plain `http://`; follow a redirect to another origin; submit the same
//! time step twice to one server; retry a refused code or a rate-limited
//! request on its own; archive or drop a local account before the server
//! has confirmed; import anything from Tauri or the UI.

pub mod clock_check;
mod discover;
mod error;
mod flows;
mod http;
mod profile;
mod record;
mod runner;
mod store;

pub use discover::{Label, QrDecoder, Source, discover, qr_decoder};
pub use error::ServerError;
pub use flows::{
    ARCHIVED_TAG, EnrolStep, LoginWith, MIN_REMAINING_MS, PENDING_TAG, Pause, ServerClient,
    TokioPause, server_tag,
};
pub use http::{Answer, Http, HttpOptions, is_loopback, parse_base_url};
pub use profile::{
    AuthStyle, ErrorKind, ErrorRule, OpName, Operation, Profile, TotpDefaults, UserIdSource,
};
pub use record::{Credentials, MemoryStore, ServerRecord, ServerStore};
pub use runner::{
    CredentialKind, Disable, Enrol, Flow, FlowActivity, FlowRunner, Login, NewServer, Ran,
    Register, SignIn, Status, Steps, profiles_dir,
};
pub use store::VaultServerStore;
