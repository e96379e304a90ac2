//! tokenstore: the OAuth token stores of the Zoho CRM SDKs, from the
//! command line. The binary is `src/main.rs`; this library holds everything
//! so the tests can drive the stores directly.

pub mod cli;
pub mod commands;
pub mod json;
pub mod output;
pub mod secret;
pub mod store;
pub mod token;
pub mod uri;

/// A mistake in how the command was called (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// The documented exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    Failure = 1,
    Usage = 2,
    NotFound = 3,
}
