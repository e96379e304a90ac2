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
use rusqlite::{params_from_iter, Connection, ErrorCode, OpenFlags};

use super::fsutil::{self, CreatedFolders, Stamp};
use super::sql::{Dialect, SqlConn, SqlStore};
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
    // Serves the next-id lookup.
    extra_indexes: |table| {
        vec![format!(
            "CREATE INDEX {table}_numeric_id_idx ON {table} (CAST(id AS INTEGER), id)"
        )]
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
                write: None,
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
    /// What the open write created, undone if it fails.
    write: Option<Created>,
}

#[derive(Default)]
struct Created {
    file: bool,
    folders: CreatedFolders,
}

fn token_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Token> {
    let mut fields: [Option<String>; 10] = Default::default();
    for (i, slot) in fields.iter_mut().enumerate() {
        *slot = row.get(i)?;
    }
    Ok(Token::from_fields(fields))
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
            conn.busy_timeout(BUSY_TIMEOUT)?;
            self.opened = Stamp::of(&self.path);
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("opened above"))
    }

    /// Creates the database file (0600, in private new folders) for a
    /// write; remembers it so a failed write removes it again.
    fn create_file(&mut self) -> Result<Created> {
        let mut created = Created::default();
        if self.in_memory || self.path.exists() {
            return Ok(created);
        }
        fsutil::resolve_store_path(&self.path)?;
        created.folders.create_parents(&self.path)?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&self.path) {
            Ok(_) => created.file = true,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                created.folders.remove();
                return Err(e).with_context(|| format!("cannot create {}", self.path.display()));
            }
        }
        Ok(created)
    }

    /// Removes what a write created; called while the write lock is held,
    /// so a writer waiting for it sees the file gone and starts again.
    fn undo_creation(&mut self) {
        if let Some(mut created) = self.write.take() {
            if created.file {
                let _ = std::fs::remove_file(&self.path);
                for suffix in ["-journal", "-wal", "-shm"] {
                    let mut side = self.path.clone().into_os_string();
                    side.push(suffix);
                    let _ = std::fs::remove_file(side);
                }
            }
            created.folders.remove();
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
        for _ in 0..5 {
            let created = self.create_file()?;
            self.write = Some(created);
            let begun = self
                .connection()
                .and_then(|c| c.execute_batch("BEGIN IMMEDIATE").map_err(backend_error));
            if let Err(e) = begun {
                self.undo_creation();
                return Err(e).context("cannot start a write transaction");
            }
            // A writer that created the file and failed removes it while
            // holding the lock; the lock we waited for was then on a
            // removed file. Start again on the file that is there now.
            if self.in_memory || Stamp::of(&self.path).identity() == self.opened.identity() {
                return Ok(());
            }
            let _ = self.connection()?.execute_batch("ROLLBACK");
            self.conn = None;
            self.write = None;
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
        if !keep_store && self.write.as_ref().is_some_and(|c| c.file) {
            // Nothing was written into a file this write created.
            self.undo_creation();
            let result = self.connection()?.execute_batch("ROLLBACK");
            self.conn = None;
            return result.map_err(backend_error);
        }
        let committed = self
            .connection()?
            .execute_batch("COMMIT")
            .map_err(backend_error);
        match committed {
            Ok(()) => {
                if let Some(mut created) = self.write.take() {
                    created.folders.keep();
                }
                Ok(())
            }
            Err(e) => {
                let _ = self.rollback(None);
                Err(e)
            }
        }
    }

    fn rollback(&mut self, _created_table: Option<&str>) -> Result<()> {
        // The table was created inside the transaction: ROLLBACK takes it
        // back. A file this write created is removed before the lock goes.
        let created_file = self.write.as_ref().is_some_and(|c| c.file);
        if created_file {
            self.undo_creation();
        }
        let result = match self.conn.as_mut() {
            Some(conn) if !conn.is_autocommit() => {
                conn.execute_batch("ROLLBACK").map_err(backend_error)
            }
            _ => Ok(()),
        };
        self.undo_creation();
        if created_file {
            self.conn = None;
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

    fn identity(&mut self) -> Result<String> {
        if self.in_memory {
            return Ok(format!("sqlite in-memory {:p}", self));
        }
        let path = fsutil::resolve_store_path(&self.path)?;
        Ok(match Stamp::of(&path).identity() {
            Some(inode) => format!("file {inode}"),
            None => format!("file {}", absolute(&path).display()),
        })
    }
}
