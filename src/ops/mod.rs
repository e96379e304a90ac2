//! The operations that commands run, as a library: they take stores and
//! options, report progress through callbacks, and return data. Rendering
//! is the output module's; parsing flags is the CLI's.

pub mod access;
pub mod migrate;
pub mod save;
pub mod select;
