//! The `TokenStore` trait, its shared upsert rules, and `open` by URI.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::token::{MatchKey, Token};
use crate::uri::StoreUri;

pub mod file;
pub mod memory;
#[cfg(feature = "mysql")]
pub mod mysql;
mod sql;
pub mod sqlite;
mod table;

/// The six operations of a token store (the Zoho SDK's `TokenStore`), plus
/// the bulk forms that `save --input`, `purge` and `migrate` need to be
/// all-or-nothing.
pub trait TokenStore {
    /// save_token: upsert by the SDK's matching rules; returns the saved token.
    fn save_token(&mut self, token: &Token) -> Result<Token> {
        let mut saved = self.save_tokens(std::slice::from_ref(token))?;
        Ok(saved.pop().expect("one token saved"))
    }

    /// Many `save_token`s in one transaction: all are saved or none.
    fn save_tokens(&mut self, tokens: &[Token]) -> Result<Vec<Token>>;

    /// The token a match key selects (see [`crate::token::BestMatch`]).
    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>>;

    /// find_token: the first token the query matches, by the rules of save.
    fn find_token(&mut self, query: &Token) -> Result<Option<Token>> {
        match query.match_key() {
            Some(key) => self.find(&key),
            None => Ok(None),
        }
    }

    /// find_token_by_id.
    fn find_token_by_id(&mut self, id: &str) -> Result<Option<Token>> {
        self.find(&MatchKey::Id(id))
    }

    /// get_tokens: every token, in id order.
    fn get_tokens(&mut self) -> Result<Vec<Token>> {
        let mut all = Vec::new();
        self.for_each_token(&mut |t| {
            all.push(t);
            Ok(())
        })?;
        Ok(all)
    }

    /// get_tokens without holding them all: calls `visit` for each token,
    /// in id order where the backend can sort cheaply.
    fn for_each_token(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()>;

    /// Like `for_each_token`, in whatever order is cheapest (a file store
    /// streams its rows without holding them to sort them).
    fn for_each_unordered(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        self.for_each_token(visit)
    }

    /// delete_token for many ids in one transaction; returns the ids deleted.
    fn delete_ids(&mut self, ids: &[String]) -> Result<Vec<String>>;

    /// delete_token: true when a token with this id was removed.
    fn delete_token(&mut self, id: &str) -> Result<bool> {
        Ok(!self.delete_ids(&[id.to_string()])?.is_empty())
    }

    /// Deletes, in one transaction, every token `select` picks (judged
    /// under the write lock, so a token changed meanwhile is judged as it
    /// now is); returns the deleted tokens.
    fn delete_matching(&mut self, select: &dyn Fn(&Token) -> bool) -> Result<Vec<Token>>;

    /// delete_tokens: removes every token; returns how many there were.
    fn delete_tokens(&mut self) -> Result<usize>;

    /// Starts a bulk write: everything put through it lands at `commit`, in
    /// one transaction (or one atomic file replace), or not at all.
    fn bulk(&mut self) -> Result<Box<dyn Bulk + '_>>;

    /// Writes tokens exactly as given, ids included, replacing any token
    /// with the same id; all or nothing.
    fn put_tokens(&mut self, tokens: &[Token]) -> Result<()> {
        let mut bulk = self.bulk()?;
        bulk.put(tokens)?;
        bulk.commit()
    }

    /// Facts and warnings about the store for `info`, beyond its tokens.
    fn details(&mut self) -> Result<Details> {
        Ok(Details::default())
    }
}

/// What `info` reports about a store besides counting its tokens.
#[derive(Debug, Default)]
pub struct Details {
    /// (label, value) pairs, e.g. ("header", "id,user_name,...").
    pub facts: Vec<(String, String)>,
    /// Things a careful operator wants to know.
    pub warnings: Vec<String>,
}

/// An open bulk write (see [`TokenStore::bulk`]). Dropping it without
/// `commit` discards everything put through it.
pub trait Bulk {
    /// The tokens with these ids, as the store holds them inside this write.
    fn existing(&mut self, ids: &[String]) -> Result<Vec<Token>>;
    /// Writes tokens exactly, ids included, replacing same-id tokens.
    fn put(&mut self, tokens: &[Token]) -> Result<()>;
    fn commit(self: Box<Self>) -> Result<()>;
}

/// The row access that the upsert rules need; each backend provides it
/// inside its own transaction, so the rules live in one place.
pub(crate) trait Rows {
    /// The first token (in id order) that `key` matches.
    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>>;
    /// Replaces the token with the same id.
    fn update(&mut self, token: &Token) -> Result<()>;
    fn insert(&mut self, token: &Token) -> Result<()>;
    /// The numeric maximum id plus one.
    fn next_id(&mut self) -> Result<String>;
}

/// The SDK's refusal of a token that cannot be saved, as an error.
pub(crate) fn saveable(token: &Token) -> Result<()> {
    token
        .check_saveable()
        .map_err(|reason| anyhow::anyhow!("cannot save this token: {reason}"))
}

/// save_token's rules: match, then merge into the match or insert anew.
pub(crate) fn upsert(rows: &mut dyn Rows, given: &Token) -> Result<Token> {
    saveable(given)?;
    let existing = match given.match_key() {
        Some(key) => rows.find(&key)?,
        None => None,
    };
    match existing {
        Some(stored) => {
            let merged = stored.merged_with(given);
            rows.update(&merged)?;
            Ok(merged)
        }
        None => {
            let mut new = given.clone();
            if new.id.is_none() {
                new.id = Some(rows.next_id()?);
            }
            rows.insert(&new)?;
            Ok(new)
        }
    }
}

/// Opens the store a URI names. Nothing is created until the first write.
pub fn open(uri: &StoreUri) -> Result<Box<dyn TokenStore>> {
    Ok(match uri {
        StoreUri::Memory => Box::new(memory::MemoryStore::default()),
        StoreUri::File(path) => Box::new(file::FileStore::new(path.clone())),
        StoreUri::Sqlite { path, table } => {
            Box::new(sqlite::SqliteStore::new(path.clone(), table.clone()))
        }
        #[cfg(feature = "mysql")]
        StoreUri::Mysql(m) => Box::new(mysql::MysqlStore::connect(m)?),
        #[cfg(not(feature = "mysql"))]
        StoreUri::Mysql(_) => {
            anyhow::bail!(
                "this tokenstore was built without the `mysql` feature (rebuild with \
                 `--features mysql`); it accepts memory:, file:PATH and sqlite:PATH[?table=NAME]"
            )
        }
    })
}

/// The default store: SQLite under the user's data directory.
pub fn default_uri() -> Result<StoreUri> {
    let dir = dirs::data_dir().context("cannot find the user's data directory; pass --store")?;
    Ok(StoreUri::Sqlite {
        path: dir.join("tokenstore").join("tokens.db"),
        table: crate::uri::DEFAULT_TABLE.to_string(),
    })
}

/// Creates a store file's missing parent folders, private (0700).
pub(crate) fn create_private_parent(path: &Path) -> Result<()> {
    let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return Ok(());
    };
    if parent.exists() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(parent)
        .with_context(|| format!("cannot create folder {}", parent.display()))
}

/// Creates an empty private (0600) file if none exists yet.
pub(crate) fn create_private_file(path: &Path) -> Result<()> {
    create_private_parent(path)?;
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// A warning when a store file can be read or written by group or others.
pub(crate) fn permission_warning(path: &Path) -> Option<String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path).ok()?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Some(format!(
                "{} has mode {mode:04o}: group or others can read the tokens; chmod 600 it",
                path.display()
            ));
        }
    }
    None
}

/// A path made absolute against the current folder (for messages and
/// comparing stores), without touching the file system.
pub fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
