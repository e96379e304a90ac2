//! The store layer: the small [`TokenStore`] trait each backend
//! implements, the [`WriteTx`] every write goes through, and the six
//! operations written once on top of them ([`TokenStoreExt`]).
//!
//! A backend implements reading (`scan`, `find`), `describe`, and one
//! write transaction. Everything that changes a store — save, delete,
//! purge, `save --input`, migrate — opens a [`WriteTx`], does its work, and
//! either commits it or aborts it. Abort (also the `Drop` fallback) leaves
//! the store exactly as it was, including removing a file, database file or
//! table that the transaction created.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::token::{MatchKey, Token};
use crate::uri::StoreUri;

pub mod error;
pub mod file;
pub(crate) mod fsutil;
pub mod memory;
#[cfg(feature = "mysql")]
pub mod mysql;
#[cfg(feature = "postgres")]
pub mod postgres;
mod sql;
pub mod sqlite;
mod table;
#[cfg(any(feature = "mysql", feature = "postgres"))]
mod tls;

pub use error::StoreError;

/// An index tokenstore's lookups would use, and how to build it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexPlan {
    pub name: String,
    /// The column (or expression) it indexes.
    pub indexed: String,
    /// That in words.
    pub on: String,
    /// What it makes fast, for `info` and `index`.
    pub serves: String,
    pub statement: String,
}

/// What a backend must implement. The six operations of the SDK's
/// `TokenStore` are built on it once, in [`TokenStoreExt`]; backends do not
/// write them again.
pub trait TokenStore: Send {
    /// Calls `visit` for every token, in whatever order is cheapest.
    fn scan(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()>;

    /// Calls `visit` for every token in id order (numeric ids by value,
    /// then the others as strings). The default holds every token to sort
    /// them; SQL backends let the database sort.
    fn scan_in_id_order(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        let mut all = Vec::new();
        self.scan(&mut |t| {
            all.push(t);
            Ok(())
        })?;
        all.sort_by(|a, b| crate::token::compare_ids(a.id.as_deref(), b.id.as_deref()));
        all.into_iter().try_for_each(visit)
    }

    /// The token a match key selects (see [`crate::token::BestMatch`]).
    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>>;

    /// Opens the one write transaction. Until `commit`, nothing is visible
    /// to other readers; `abort` (or dropping it) undoes everything.
    fn begin_write(&mut self) -> Result<Box<dyn WriteTx + '_>>;

    /// Facts and warnings about the store for `info`, beyond its tokens.
    fn describe(&mut self) -> Result<Details>;

    /// About how many tokens the store holds, for progress displays, when
    /// that is cheap to learn.
    fn size_hint(&mut self) -> Result<Option<u64>> {
        Ok(None)
    }

    /// The lookup indexes the store lacks; `None` for a store without
    /// indexes (memory, file).
    fn missing_indexes(&mut self) -> Result<Option<Vec<IndexPlan>>> {
        Ok(None)
    }

    /// Builds one of the indexes [`TokenStore::missing_indexes`] named,
    /// outside any write transaction (online where the engine can).
    fn build_index(&mut self, index: &IndexPlan) -> Result<()> {
        Err(StoreError::Refused(format!("this store cannot build index {}", index.name)).into())
    }

    /// Whether the store is there (a file, or a table in its database).
    fn exists(&mut self) -> Result<bool> {
        Ok(true)
    }

    /// What the last read noticed that an operator should know (a Node
    /// row whose value held a comma, and how the SDK reads it).
    fn notes(&mut self) -> Vec<String> {
        Vec::new()
    }

    /// What makes this store the same as another reached by another name
    /// (device and inode of a file, a server's own identity plus table),
    /// or `None` for a store that lives only in this process.
    fn identity(&mut self) -> Result<Option<String>> {
        Ok(None)
    }
}

/// One write transaction. Reads inside it see its own writes; the rows it
/// reads are held (locked) until it ends, so a decision taken on them
/// stays true until `commit`.
pub trait WriteTx {
    /// The token a match key selects, as this transaction sees the store.
    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>>;
    /// The tokens with these ids (compared exactly), in any order.
    fn get(&mut self, ids: &[String]) -> Result<Vec<Token>>;
    /// Calls `visit` with the fields of each token [`WriteTx::get`] would
    /// return, without building tokens where the store need not.
    fn get_fields(
        &mut self,
        ids: &[&str],
        visit: &mut dyn FnMut([Option<&str>; 10]),
    ) -> Result<()> {
        let ids: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        for token in self.get(&ids)? {
            visit(token.fields());
        }
        Ok(())
    }
    /// Every token, in any order.
    fn scan(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()>;
    /// Adds tokens with new ids; an id that is already there is an error.
    fn insert(&mut self, tokens: &[Token]) -> Result<()>;
    /// Replaces the token with the same id, which must be there.
    fn update(&mut self, token: &Token) -> Result<()>;
    /// Removes the token with exactly this id; false when there was none.
    fn remove(&mut self, id: &str) -> Result<bool>;
    /// Removes the row holding exactly this token (all ten fields): a
    /// hand-edited file may hold two rows with one id, and the one judged
    /// must be the one removed. Where ids are unique, removing by id is it.
    fn remove_exact(&mut self, token: &Token) -> Result<bool> {
        let id = token.id.clone().unwrap_or_default();
        if self.get(std::slice::from_ref(&id))?.contains(token) {
            self.remove(&id)
        } else {
            Ok(false)
        }
    }
    /// Removes every token; returns how many there were.
    fn remove_all(&mut self) -> Result<usize>;
    /// The id for a new token: the numeric maximum plus one.
    fn next_id(&mut self) -> Result<String>;
    /// Whether the store held no tokens when this transaction began (it
    /// created the table or file, or found it empty): it then holds only
    /// what the transaction wrote. False when not known.
    fn began_empty(&self) -> bool {
        false
    }
    /// Makes every change visible at once, or none of them.
    fn commit(self: Box<Self>) -> Result<()>;
    /// Undoes everything, including creating the store.
    fn abort(self: Box<Self>) -> Result<()>;
}

/// What `info` reports about a store besides counting its tokens.
#[derive(Debug, Default)]
pub struct Details {
    /// (label, value) pairs, e.g. ("header", "id,user_name,...").
    pub facts: Vec<(String, String)>,
    /// Things a careful operator wants to know.
    pub warnings: Vec<String>,
}

/// Runs `work` in one write transaction: committed when it succeeds,
/// aborted when it fails (the store is then left exactly as it was). When
/// the store changed under the transaction (an application rewrote the
/// file), the whole read-change-write runs again, a few times at most.
pub fn in_transaction<S, T>(
    store: &mut S,
    mut work: impl FnMut(&mut dyn WriteTx) -> Result<T>,
) -> Result<T>
where
    S: TokenStore + ?Sized,
{
    let mut attempt = 1;
    loop {
        let mut tx = store.begin_write()?;
        let outcome = match work(tx.as_mut()) {
            Ok(value) => tx.commit().map(|()| value),
            Err(e) => {
                // The work's error is the one to report; an abort failure
                // is added to it rather than hiding it.
                return Err(match tx.abort() {
                    Ok(()) => e,
                    Err(abort) => e.context(format!("and undoing the write failed: {abort:#}")),
                });
            }
        };
        match outcome {
            Err(e)
                if attempt < file::WRITE_ATTEMPTS
                    && matches!(e.downcast_ref(), Some(StoreError::Changed(_))) =>
            {
                // The application is writing: let it finish first.
                std::thread::sleep(std::time::Duration::from_millis(
                    15 * attempt as u64 + u64::from(std::process::id() % 16),
                ));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The six operations (and their bulk forms), written once over the
/// required core. Implementors must not write these themselves.
pub trait TokenStoreExt: TokenStore {
    /// save_token: upsert by the SDK's matching rules; returns the saved token.
    fn save_token(&mut self, token: &Token) -> Result<Token> {
        let mut saved = self.save_tokens(std::slice::from_ref(token))?;
        Ok(saved.pop().expect("one token saved"))
    }

    /// Many `save_token`s in one transaction: all are saved or none.
    /// Every saved token is read back before commit.
    fn save_tokens(&mut self, tokens: &[Token]) -> Result<Vec<Token>> {
        Ok(self
            .save_tokens_with_changes(tokens)?
            .into_iter()
            .map(|(token, _)| token)
            .collect())
    }

    /// `save_tokens`, saying what each save did.
    fn save_tokens_with_changes(&mut self, tokens: &[Token]) -> Result<Vec<(Token, Change)>> {
        in_transaction(self, |tx| {
            let saved = tokens
                .iter()
                .map(|t| upsert(tx, t.clone()))
                .collect::<Result<Vec<_>>>()?;
            verify_written(tx, saved.iter().map(|(t, _)| t))?;
            Ok(saved)
        })
    }

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
        self.scan_in_id_order(&mut |t| {
            all.push(t);
            Ok(())
        })?;
        Ok(all)
    }

    /// delete_token: true when a token with this id was removed.
    fn delete_token(&mut self, id: &str) -> Result<bool> {
        Ok(!self.delete_ids(&[id.to_string()])?.is_empty())
    }

    /// delete_token for many ids in one transaction; returns the ids deleted.
    fn delete_ids(&mut self, ids: &[String]) -> Result<Vec<String>> {
        in_transaction(self, |tx| {
            let mut deleted = Vec::new();
            for id in ids {
                if tx.remove(id)? {
                    deleted.push(id.clone());
                }
            }
            Ok(deleted)
        })
    }

    /// Deletes, in one transaction, every token `select` picks (judged
    /// inside the transaction, so a token changed meanwhile is judged as
    /// it now is); returns the deleted tokens.
    fn delete_matching(&mut self, select: &dyn Fn(&Token) -> bool) -> Result<Vec<Token>> {
        in_transaction(self, |tx| {
            let mut gone = Vec::new();
            tx.scan(&mut |t| {
                if select(&t) {
                    gone.push(t);
                }
                Ok(())
            })?;
            for token in &gone {
                tx.remove_exact(token)?;
            }
            Ok(gone)
        })
    }

    /// delete_tokens: removes every token; returns how many there were.
    fn delete_tokens(&mut self) -> Result<usize> {
        in_transaction(self, |tx| tx.remove_all())
    }

    /// Writes tokens exactly as given, ids included, replacing any token
    /// with the same id; all or nothing, read back before commit.
    fn put_tokens(&mut self, tokens: &[Token]) -> Result<()> {
        in_transaction(self, |tx| {
            put(tx, tokens)?;
            verify_written(tx, tokens)
        })
    }
}

impl<S: TokenStore + ?Sized> TokenStoreExt for S {}

/// The SDK's refusal of a token that cannot be saved, as an error.
pub fn saveable(token: &Token) -> Result<Token> {
    token
        .check_saveable()
        .map(|()| token.clone())
        .map_err(|reason| StoreError::NotSaveable(reason).into())
}

/// save_token's rules: match, then merge into the match or insert anew.
/// What a save did to the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Created,
    Updated,
    /// The match already held every given value; nothing was written.
    Unchanged,
}

impl Change {
    pub fn verb(self) -> &'static str {
        match self {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::Unchanged => "unchanged",
        }
    }
}

/// A token that would be refused as new (an id or user and no token) is
/// fine when it matches one: `save --id 3 --api-domain …` updates one field.
pub fn upsert(tx: &mut dyn WriteTx, given: Token) -> Result<(Token, Change)> {
    upsert_known(tx, given, false)
}

/// [`upsert`], told whether the caller knows that nothing in the store
/// matches `given` (an id a store that began empty has not been given).
pub fn upsert_known(
    tx: &mut dyn WriteTx,
    given: Token,
    surely_new: bool,
) -> Result<(Token, Change)> {
    if given.fields().iter().all(Option::is_none) {
        return saveable(&given).map(|t| (t, Change::Unchanged));
    }
    let existing = match given.match_key() {
        Some(key) if !surely_new => tx.find(&key)?,
        _ => None,
    };
    match existing {
        Some(stored) => {
            let merged = stored.merged_with(&given);
            saveable(&merged)?;
            if merged == stored {
                return Ok((merged, Change::Unchanged));
            }
            tx.update(&merged)?;
            Ok((merged, Change::Updated))
        }
        None => {
            given.check_saveable().map_err(StoreError::NotSaveable)?;
            let mut new = given;
            if new.id.is_none() {
                new.id = Some(tx.next_id()?);
            }
            tx.insert(std::slice::from_ref(&new))?;
            Ok((new, Change::Created))
        }
    }
}

/// Writes tokens exactly, ids included: inserts new ids, updates the others.
pub(crate) fn put(tx: &mut dyn WriteTx, tokens: &[Token]) -> Result<()> {
    let ids = ids_of(tokens)?;
    let there: std::collections::HashSet<String> =
        tx.get(&ids)?.into_iter().filter_map(|t| t.id).collect();
    let (updates, inserts): (Vec<&Token>, Vec<&Token>) = tokens
        .iter()
        .partition(|t| t.id.as_ref().is_some_and(|id| there.contains(id)));
    for token in updates {
        tx.update(token)?;
    }
    let inserts: Vec<Token> = inserts.into_iter().cloned().collect();
    tx.insert(&inserts)
}

/// The ids of tokens that must all have one.
pub(crate) fn ids_of(tokens: &[Token]) -> Result<Vec<String>> {
    tokens
        .iter()
        .map(|t| {
            t.id.clone()
                .ok_or_else(|| StoreError::NotSaveable("a token to write has no id".into()).into())
        })
        .collect()
}

/// Reads the written tokens back inside the transaction and compares all
/// ten fields: a store that changes a value (a trigger, a charset, a
/// truncating server) fails the write before anything is committed.
pub fn verify_written<'t>(
    tx: &mut dyn WriteTx,
    written: impl IntoIterator<Item = &'t Token>,
) -> Result<()> {
    // A token saved twice in one write must read back as saved last.
    let mut expected: rustc_hash::FxHashMap<&str, [Option<&str>; 10]> = Default::default();
    for token in written {
        expected.insert(token.id.as_deref().unwrap_or_default(), token.fields());
    }
    let ids: Vec<&str> = expected.keys().copied().collect();
    // A hand-edited file may hold two rows with one id: one must match.
    let mut matched: rustc_hash::FxHashSet<&str> = Default::default();
    let mut differing: Vec<(String, &'static str)> = Vec::new();
    tx.get_fields(&ids, &mut |back| {
        let id = back[0].unwrap_or_default();
        let Some((&id, fields)) = expected.get_key_value(id) else {
            return;
        };
        if back == *fields {
            matched.insert(id);
        } else {
            let field = crate::field::Field::ALL
                .into_iter()
                .find(|f| back[f.index()] != fields[f.index()])
                .map_or("a field", |f| f.name());
            differing.push((id.to_string(), field));
        }
    })?;
    if let Some((id, field)) = differing
        .iter()
        .find(|(id, _)| !matched.contains(id.as_str()))
    {
        return Err(StoreError::Verify(format!(
            "token {id} reads back with a different {field} than was written"
        ))
        .into());
    }
    if let Some(id) = expected.keys().find(|id| !matched.contains(*id)) {
        return Err(StoreError::Verify(format!(
            "token {id} is missing when read back after writing"
        ))
        .into());
    }
    Ok(())
}

/// Opens the store a URI names. Nothing is created until the first write.
pub fn open(uri: &StoreUri) -> Result<Box<dyn TokenStore>> {
    Ok(match uri {
        StoreUri::Memory => Box::new(memory::MemoryStore::default()),
        StoreUri::File { path, flavor } => {
            Box::new(file::FileStore::new(path.clone()).with_flavor(*flavor))
        }
        StoreUri::Sqlite { path, table } => {
            Box::new(sqlite::SqliteStore::new(path.clone(), table.clone()))
        }
        StoreUri::Server(server) => match server.engine {
            #[cfg(feature = "mysql")]
            crate::uri::Engine::Mysql => Box::new(mysql::connect(server)?),
            #[cfg(feature = "postgres")]
            crate::uri::Engine::Postgres => Box::new(postgres::connect(server)?),
            #[allow(unreachable_patterns)]
            engine => {
                let name = engine.scheme();
                let mut accepted = vec!["memory:", "file:PATH", "sqlite:PATH[?table=NAME]"];
                accepted.extend(crate::cli::SERVER_FORMS);
                anyhow::bail!(
                    "this tokenstore was built without the `{name}` feature (rebuild with \
                     `--features {name}`); it accepts {}",
                    accepted.join(", ")
                )
            }
        },
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
