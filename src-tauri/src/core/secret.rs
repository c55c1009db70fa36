//! Wrappers for secret material: redacted `Debug`, no `Serialize`, zeroized
//! on drop. Seeds, keys, passwords and tokens travel only inside these.
