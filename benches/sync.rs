//! Sync benchmarks (placeholder until the engine lands).
fn main() {}
