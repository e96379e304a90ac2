//! `sqlite:` — the `CustomStoreSQLite` schema (`zohooauth.db`, table
//! `oauthtoken`): a thin adapter over the shared SQL engine. Nothing is
//! created until the first write; writes take the write lock up front
//! (`BEGIN IMMEDIATE`) and wait for other writers, at most 30 s.
//!
//! `sqlite::memory:` (or any in-memory name) is a database that lives for
//! one command, like `memory:`; no file of that name is ever created.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::{params_from_iter, Connection, ErrorCode, OpenFlags, OptionalExtension};

use super::fsutil::{self, CreatedFolders, Stamp};
use super::sql::{Dialect, ExtraIndex, SqlConn, SqlStore};
use super::{absolute, permission_warning, Details, StoreError};
use crate::token::Token;

/// How long a writer waits for another to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) static DIALECT: Dialect = Dialect {
    placeholder: |_| "?".to_string(),
    exact_eq_params: 1,
    // SQLite compares text byte for byte.
    exact_eq: |column, _| format!("{column} = ?"),
    lock_rows: "",
    rows_per_insert: 1,
    // Walks the numeric-id index from the top to the first all-digit id.
    fast_max_id: Some(|table, id| {
        format!(
            "SELECT {id} FROM {table} WHERE {id} <> '' AND {id} NOT GLOB '*[^0-9]*' \
             ORDER BY CAST({id} AS INTEGER) DESC, {id} DESC LIMIT 1"
        )
    }),
    count_as_text: |table| format!("SELECT CAST(COUNT(*) AS TEXT) FROM {table}"),
    exact_max_id: |table, id| {
        format!(
            "SELECT {id} FROM {table} WHERE {id} <> '' AND {id} NOT GLOB '*[^0-9]*' \
             ORDER BY length(ltrim({id}, '0')) DESC, ltrim({id}, '0') DESC LIMIT 1"
        )
    },
    id_order: |id| format!("CAST({id} AS INTEGER), {id}"),
    // SQLite's type affinity: a declared type naming INT, REAL, FLOA,
    // DOUB or NUMERIC turns '01' into 1.
    is_text_type: |declared| {
        let t = declared.to_ascii_uppercase();
        t.contains("CHAR") || t.contains("TEXT") || t.contains("CLOB")
    },
    create_suffix: "",
    // Serves the next-id lookup and listing in id order.
    extra_indexes: |table| {
        vec![ExtraIndex {
            name: format!("{table}_numeric_id_idx"),
            indexed: "CAST(id AS INTEGER), id",
            on: "id as a number",
            serves: "numbering new tokens and listing in id order",
        }]
    },
    // SQLite has no online index build: it holds the write lock while it
    // builds (writers wait, up to their busy timeout).
    indexes_after_load: true,
    create_index: |table, name, indexed| {
        format!("CREATE INDEX IF NOT EXISTS {name} ON {table} ({indexed})")
    },
};

pub(crate) type SqliteStore = SqlStore<SqliteConn>;

impl SqliteStore {
    pub fn new(path: PathBuf, table: String) -> SqliteStore {
        SqlStore::with_conn(
            SqliteConn {
                in_memory: is_memory_name(&path),
                path,
                conn: None,
                opened: Stamp::of(Path::new("")),
                new_file: None,
            },
            table,
        )
    }
}

/// Whether a SQLite path names an in-memory database.
pub fn is_memory_name(path: &Path) -> bool {
    let name = path.to_string_lossy();
    name == ":memory:" || name.is_empty() || name.starts_with("file::memory:")
}

pub(crate) struct SqliteConn {
    path: PathBuf,
    in_memory: bool,
    conn: Option<Connection>,
    /// The file the connection opened, to notice it being replaced.
    opened: Stamp,
    /// A write into a store that does not exist yet builds the database
    /// in a temporary file beside it, linked into place at commit, so no
    /// other program ever opens a database that a failed write removes.
    new_file: Option<NewFile>,
}

struct NewFile {
    temp: PathBuf,
    folders: CreatedFolders,
}

impl NewFile {
    /// Removes the temporary database and any folders made for it.
    fn discard(mut self) {
        remove_database_files(&self.temp);
        self.folders.remove();
    }
}

fn remove_database_files(path: &Path) {
    fsutil::remove_temp(path);
    for suffix in ["-journal", "-wal", "-shm"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(side);
    }
}

/// SQLite's busy handler: wait for another writer (at most
/// [`BUSY_TIMEOUT`]), saying so once on a terminal so a long wait is not a
/// silent hang.
fn wait_for_lock(attempt: i32) -> bool {
    const PAUSE: Duration = Duration::from_millis(10);
    if attempt == 0 && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        crate::output::notice(&format!(
            "the database is locked by another process; waiting (at most {} s)…",
            BUSY_TIMEOUT.as_secs()
        ));
    }
    if PAUSE * attempt.max(0) as u32 >= BUSY_TIMEOUT {
        return false;
    }
    std::thread::sleep(PAUSE);
    true
}

fn token_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Token> {
    let mut fields: [Option<String>; 10] = Default::default();
    for (i, slot) in fields.iter_mut().enumerate() {
        *slot = row.get(i)?;
    }
    Ok(Token::from_sql_fields(fields))
}

/// SQLite's own words: they name tables and columns, never values.
fn backend_error(e: rusqlite::Error) -> anyhow::Error {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy(format!(
            "the database is locked by another process; waited {} s",
            BUSY_TIMEOUT.as_secs()
        ))
        .into(),
        Some(ErrorCode::ConstraintViolation) => {
            StoreError::Conflict(format!("{e} (another row holds that value)")).into()
        }
        Some(ErrorCode::NotADatabase) => {
            StoreError::Corrupt("the file is not a database that SQLite can read".into()).into()
        }
        _ => StoreError::Backend(e.to_string()).into(),
    }
}

impl SqliteConn {
    fn path_exists(&self) -> bool {
        self.in_memory || self.path.exists()
    }

    fn connection(&mut self) -> Result<&mut Connection> {
        if self.conn.is_none() {
            let rw = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = if self.in_memory {
                Connection::open_in_memory()
            } else {
                fsutil::resolve_store_path(&self.path)?;
                Connection::open_with_flags(&self.path, rw).or_else(|_| {
                    Connection::open_with_flags(
                        &self.path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )
                })
            }
            .with_context(|| format!("cannot open {}", self.path.display()))?;
            conn.busy_handler(Some(wait_for_lock))?;
            self.opened = Stamp::of(&self.path);
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("opened above"))
    }

    /// Starts building a new database in a temporary file (0600) beside
    /// the store's path, in private new folders.
    fn start_new_file(&mut self) -> Result<()> {
        let mut folders = CreatedFolders::default();
        folders.create_parents(&self.path)?;
        let temp = match fsutil::temp_beside(&self.path, ".db") {
            Ok(temp) => temp,
            Err(e) => {
                folders.remove();
                return Err(e);
            }
        };
        let new = NewFile { temp, folders };
        let opened = Connection::open_with_flags(
            &new.temp,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(backend_error)
        .and_then(|c| {
            // No other program sees this file before it is complete: no
            // journal on disk and no fsync per commit; it is synced once,
            // whole, before it is linked into place.
            c.pragma_update_and_check(None, "journal_mode", "MEMORY", |_| Ok(()))
                .map_err(backend_error)?;
            c.pragma_update(None, "synchronous", "OFF")
                .map_err(backend_error)?;
            c.execute_batch("BEGIN IMMEDIATE").map_err(backend_error)?;
            Ok(c)
        });
        match opened {
            Ok(conn) => {
                self.conn = Some(conn);
                self.new_file = Some(new);
                Ok(())
            }
            Err(e) => {
                new.discard();
                Err(e)
            }
        }
    }

    /// Links a committed new database into place; fails with `Changed`
    /// (nothing written) when another writer created the store meanwhile.
    fn link_new_file(&mut self, new: NewFile) -> Result<()> {
        self.conn = None; // closes the temporary database
        let synced = std::fs::File::open(&new.temp).and_then(|f| f.sync_all());
        if let Err(e) = synced {
            new.discard();
            return Err(e).with_context(|| format!("cannot write {}", self.path.display()));
        }
        match std::fs::hard_link(&new.temp, &self.path) {
            Ok(()) => {
                let NewFile { temp, mut folders } = new;
                remove_database_files(&temp);
                folders.keep();
                fsutil::sync_folder_of(&self.path);
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                new.discard();
                Err(StoreError::Changed(format!(
                    "{} was created by another writer meanwhile; nothing was written",
                    self.path.display()
                ))
                .into())
            }
            Err(e) => {
                new.discard();
                Err(e).with_context(|| format!("cannot create {}", self.path.display()))
            }
        }
    }
}

impl SqlConn for SqliteConn {
    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }

    fn query_tokens(
        &mut self,
        sql: &str,
        params: &[Option<&str>],
        visit: &mut dyn FnMut(Token) -> Result<()>,
    ) -> Result<()> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(sql).map_err(backend_error)?;
        let mut rows = stmt
            .query(params_from_iter(params))
            .map_err(backend_error)?;
        while let Some(row) = rows.next().map_err(backend_error)? {
            visit(token_from_row(row).map_err(backend_error)?)?;
        }
        Ok(())
    }

    fn query_column(&mut self, sql: &str, params: &[Option<&str>]) -> Result<Vec<Option<String>>> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(sql).map_err(backend_error)?;
        let values = stmt
            .query_map(params_from_iter(params), |row| {
                row.get::<_, Option<String>>(0)
            })
            .map_err(backend_error)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(backend_error)?;
        Ok(values)
    }

    fn execute(&mut self, sql: &str, params: &[Option<&str>]) -> Result<u64> {
        let conn = self.connection()?;
        let mut stmt = conn.prepare_cached(sql).map_err(backend_error)?;
        let n = stmt
            .execute(params_from_iter(params))
            .map_err(backend_error)?;
        Ok(n as u64)
    }

    fn columns(&mut self, table: &str) -> Result<Vec<(String, String)>> {
        if !self.path_exists() {
            return Ok(Vec::new());
        }
        let conn = self.connection()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT name, type FROM pragma_table_info('{table}') ORDER BY cid"
            ))
            .map_err(backend_error)
            .context("cannot read the table's columns")?;
        let columns = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(backend_error)?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(backend_error)?;
        Ok(columns)
    }

    fn begin(&mut self) -> Result<()> {
        if !self.in_memory && !self.path.exists() {
            fsutil::resolve_store_path(&self.path)?;
            return self.start_new_file();
        }
        for _ in 0..5 {
            self.connection()?
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(backend_error)
                .context("cannot start a write transaction")?;
            // The file may have been replaced (renamed over) since this
            // connection opened it: then start again on the one there now.
            if self.in_memory || Stamp::of(&self.path).identity() == self.opened.identity() {
                return Ok(());
            }
            let _ = self.connection()?.execute_batch("ROLLBACK");
            self.conn = None;
        }
        Err(StoreError::Busy(format!(
            "{} keeps being replaced by other writers; try again",
            self.path.display()
        ))
        .into())
    }

    fn create_table(&mut self, statements: &[String]) -> Result<()> {
        let conn = self.connection()?;
        for statement in statements {
            conn.execute_batch(statement).map_err(backend_error)?;
        }
        Ok(())
    }

    fn commit(&mut self, keep_store: bool) -> Result<()> {
        let committed = match self.new_file.take() {
            // Nothing was written: no store is made.
            Some(new) if !keep_store => {
                let _ = self.connection()?.execute_batch("ROLLBACK");
                self.conn = None;
                new.discard();
                return Ok(());
            }
            Some(new) => match self.connection()?.execute_batch("COMMIT") {
                Ok(()) => return self.link_new_file(new),
                Err(e) => {
                    let _ = self.connection()?.execute_batch("ROLLBACK");
                    self.conn = None;
                    new.discard();
                    Err(e)
                }
            },
            None => self.connection()?.execute_batch("COMMIT"),
        };
        committed.map_err(|e| {
            let _ = self.rollback(None);
            backend_error(e)
        })
    }

    fn rollback(&mut self, _created_table: Option<&str>) -> Result<()> {
        // A table created inside the transaction goes with ROLLBACK; a new
        // database file was never visible under the store's name.
        let result = match self.conn.as_mut() {
            Some(conn) if !conn.is_autocommit() => {
                conn.execute_batch("ROLLBACK").map_err(backend_error)
            }
            _ => Ok(()),
        };
        if let Some(new) = self.new_file.take() {
            self.conn = None;
            new.discard();
        }
        result
    }

    fn describe(&mut self, table: &str, details: &mut Details) -> Result<()> {
        if self.in_memory {
            details
                .facts
                .push(("file".into(), "(in memory, for this command only)".into()));
        } else {
            details
                .facts
                .push(("file".into(), absolute(&self.path).display().to_string()));
            details.warnings.extend(permission_warning(&self.path));
        }
        details.facts.push(("table".into(), table.to_string()));
        Ok(())
    }

    fn indexes(&mut self, table: &str) -> Result<(Vec<String>, Vec<String>)> {
        let conn = self.connection()?;
        let mut names = Vec::new();
        let mut leading = Vec::new();
        let mut list = conn
            .prepare("SELECT name FROM pragma_index_list(?1)")
            .map_err(backend_error)?;
        let found: Vec<String> = list
            .query_map([table], |row| row.get(0))
            .map_err(backend_error)?
            .collect::<rusqlite::Result<_>>()
            .map_err(backend_error)?;
        for name in found {
            // The first column (NULL for an expression).
            let first: Option<String> = conn
                .query_row(
                    "SELECT name FROM pragma_index_info(?1) WHERE seqno = 0",
                    [&name],
                    |row| row.get(0),
                )
                .optional()
                .map_err(backend_error)?
                .flatten();
            leading.extend(first.map(|c| c.to_ascii_lowercase()));
            names.push(name.to_ascii_lowercase());
        }
        Ok((names, leading))
    }

    fn identity(&mut self, table: &str) -> Result<String> {
        // SQLite table names ignore case: `OAuthToken` is `oauthtoken`.
        let table = table.to_ascii_lowercase();
        if self.in_memory {
            return Ok(format!("sqlite in-memory {:p} table {table}", self));
        }
        let path = fsutil::resolve_store_path(&self.path)?;
        Ok(format!("{} table {table}", fsutil::file_identity(&path)))
    }
}
