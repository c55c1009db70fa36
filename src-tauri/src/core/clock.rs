//! The one place that reads the time: a `Clock` trait with system and fixed
//! implementations, injected wherever codes or timestamps are computed.
