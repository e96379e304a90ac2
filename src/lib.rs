//! tokenstore: the OAuth token stores of the Zoho CRM SDKs, from the
//! command line. The binary is `src/main.rs`; this library holds everything
//! so the tests can drive the stores directly.

pub mod cli;
pub mod commands;
pub mod field;
pub mod json;
pub mod ops;
pub mod output;
pub mod secret;
pub mod store;
pub mod token;
pub mod uri;
pub mod zoho;

use store::StoreError;

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

/// The one map from an error to its exit code: a mistake in the command
/// or its input (a malformed store URI included) is a usage error (2);
/// everything else is a failure (1).
pub fn exit_code(error: &anyhow::Error) -> Exit {
    let usage = error.chain().any(|cause| {
        cause.downcast_ref::<UsageError>().is_some()
            || cause.downcast_ref::<uri::UriError>().is_some()
            || matches!(
                cause.downcast_ref::<StoreError>(),
                Some(StoreError::NotSaveable(_))
            )
    });
    if usage {
        Exit::Usage
    } else {
        Exit::Failure
    }
}
