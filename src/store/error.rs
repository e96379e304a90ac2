//! The kinds of failure at the store boundary. Callers add context (which
//! store, what was being done) with anyhow; [`crate::exit_code`] maps a
//! kind to the documented exit code. No variant ever holds a token value.

/// A store operation that failed, by kind.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The token breaks the SDK's rules (e.g. a user without any token):
    /// the caller's input is wrong. Exit 2.
    #[error("cannot save this token: {0}")]
    NotSaveable(String),
    /// The store's contents cannot be read as a token store.
    #[error("{0}")]
    Corrupt(String),
    /// The table or file is not laid out as the SDKs lay it out.
    #[error("{0}")]
    WrongSchema(String),
    /// Another writer held the store for longer than tokenstore waits.
    #[error("{0}")]
    Busy(String),
    /// The write would replace or collide with a token it must not touch.
    #[error("{0}")]
    Conflict(String),
    /// A value the store cannot hold (too long, a character it cannot
    /// keep); the message names the field and token, never the value.
    #[error("{0}")]
    Refused(String),
    /// What was written did not read back the same; nothing was committed.
    #[error("verification failed: {0}")]
    Verify(String),
    /// The store changed under the transaction (an application rewrote
    /// the file); nothing was written, and the write may be run again.
    #[error("{0}")]
    Changed(String),
    /// A store that commands acting on existing tokens need is not there.
    #[error("{0}")]
    Missing(String),
    /// The path cannot be a store (a folder, a device, a hard-linked file).
    #[error("{0}")]
    BadPath(String),
    /// The database said no (connection, permissions, server errors),
    /// in words that never carry a value.
    #[error("{0}")]
    Backend(String),
}
