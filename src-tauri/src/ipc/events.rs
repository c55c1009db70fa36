//! Events sent from Rust to the web view (`vault-locked`, `entries-changed`,
//! `import-progress`, `server-flow-progress`), registered with the typed
//! bindings as each feature lands.
