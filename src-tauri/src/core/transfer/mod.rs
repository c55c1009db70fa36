//! Import and export: one module per foreign format, a sniffer that picks
//! the format from the content, previews that classify each entry as new,
//! duplicate or invalid, and Tessera's own encrypted backup format. Never
//! writes to the vault itself: the caller commits a preview in one
//! transaction.
