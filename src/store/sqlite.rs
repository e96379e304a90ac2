//! `sqlite:` — the `CustomStoreSQLite` schema (`zohooauth.db`, table
//! `oauthtoken`). Nothing is created until the first write; writes take the
//! write lock up front (`BEGIN IMMEDIATE`) and wait for other writers.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result};
use rusqlite::{
    params_from_iter, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};

use super::sql::{self, IdOrder};
use super::{
    absolute, create_private_file, permission_warning, upsert, Bulk, Details, Rows, TokenStore,
};
use crate::token::{id_after, numeric_id, MatchKey, Token};

/// How long a writer waits for another to finish before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub struct SqliteStore {
    path: PathBuf,
    table: String,
    conn: Option<Connection>,
    /// Whether the table is known to exist with the SDK's columns.
    table_ready: bool,
}

fn token_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Token> {
    let mut fields: [Option<String>; 10] = Default::default();
    for (i, slot) in fields.iter_mut().enumerate() {
        *slot = row.get(i)?;
    }
    Ok(Token::from_fields(fields))
}

impl SqliteStore {
    pub fn new(path: PathBuf, table: String) -> SqliteStore {
        SqliteStore {
            path,
            table,
            conn: None,
            table_ready: false,
        }
    }

    fn open(&mut self) -> Result<&mut Connection> {
        if self.conn.is_none() {
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let conn = Connection::open_with_flags(&self.path, flags)
                .or_else(|_| {
                    Connection::open_with_flags(
                        &self.path,
                        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                    )
                })
                .with_context(|| format!("cannot open {}", self.path.display()))?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("opened above"))
    }

    /// The table's column names; empty when the table does not exist.
    fn columns(&mut self) -> Result<Vec<String>> {
        let table = self.table.clone();
        let conn = self.open()?;
        let mut stmt = conn
            .prepare(&format!(
                "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
            ))
            .context("cannot read the table's columns (is this a SQLite database?)")?;
        let names = stmt
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(names)
    }

    /// The connection for reading, or `None` when there is nothing to read
    /// (no file, or no table yet).
    fn reader(&mut self) -> Result<Option<&mut Connection>> {
        if !self.table_ready {
            if !self.path.exists() {
                return Ok(None);
            }
            let columns = self.columns()?;
            if columns.is_empty() {
                return Ok(None);
            }
            sql::check_columns(&self.table, &columns)?;
            self.table_ready = true;
        }
        self.open().map(Some)
    }

    /// A write transaction, taken up front (`BEGIN IMMEDIATE`), with the
    /// table and its indexes created inside it when missing, so a rollback
    /// takes them back too. Creates the file (0600) when missing.
    fn begin_write(&mut self) -> Result<Transaction<'_>> {
        if !self.path.exists() {
            create_private_file(&self.path)?;
        }
        let table = self.table.clone();
        let columns = self.columns()?;
        if !columns.is_empty() {
            sql::check_columns(&table, &columns)?;
        }
        let tx = self
            .open()?
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .context("cannot start a write transaction")?;
        let mut ddl = sql::create_table(&table) + ";";
        for column in sql::INDEXED_COLUMNS {
            let name = sql::index_name(&table, column);
            ddl += &format!("CREATE INDEX IF NOT EXISTS {name} ON {table} ({column});");
        }
        // Serves both the numeric id order and the next-id lookup.
        ddl += &format!(
            "CREATE INDEX IF NOT EXISTS {table}_numeric_id_idx ON {table} (CAST(id AS INTEGER), id);"
        );
        tx.execute_batch(&ddl)
            .context("cannot create the table and its indexes")?;
        Ok(tx)
    }

    /// Runs `work` in one write transaction; nothing is kept if it fails.
    fn write_tx<T>(&mut self, work: impl FnOnce(&mut SqliteRows<'_>) -> Result<T>) -> Result<T> {
        let table = self.table.clone();
        let tx = self.begin_write()?;
        let result = work(&mut SqliteRows {
            tx: &tx,
            table: &table,
        })?;
        tx.commit().context("cannot commit")?;
        Ok(result)
    }

    /// Streams every row to `visit`, in the order `order_by` gives.
    fn scan(&mut self, order_by: &str, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        let table = self.table.clone();
        let Some(conn) = self.reader()? else {
            return Ok(());
        };
        let mut stmt = conn.prepare(&format!("{}{order_by}", sql::select_all(&table)))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            visit(token_from_row(row)?)?;
        }
        Ok(())
    }
}

fn find_in(conn: &Connection, table: &str, key: &MatchKey<'_>) -> Result<Option<Token>> {
    sql::find_by_lookups(key, |column, value| {
        let mut stmt = conn.prepare_cached(&sql::select_where(table, column))?;
        let rows = stmt.query_map([value], token_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
}

struct SqliteRows<'c> {
    tx: &'c Transaction<'c>,
    table: &'c str,
}

impl Rows for SqliteRows<'_> {
    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        find_in(self.tx, self.table, key)
    }

    fn update(&mut self, token: &Token) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(&sql::update(self.table))?;
        stmt.execute(params_from_iter(sql::update_params(token)))?;
        Ok(())
    }

    fn insert(&mut self, token: &Token) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(&sql::insert(self.table))?;
        stmt.execute(params_from_iter(token.fields()))?;
        Ok(())
    }

    fn next_id(&mut self) -> Result<String> {
        // Walks the numeric-id index from the top to the first all-digit id.
        let query = format!(
            "SELECT id FROM {} WHERE id <> '' AND id NOT GLOB '*[^0-9]*' \
             ORDER BY CAST(id AS INTEGER) DESC, id DESC LIMIT 1",
            self.table
        );
        let max: Option<String> = self.tx.query_row(&query, [], |row| row.get(0)).optional()?;
        let max = max.as_deref().and_then(numeric_id).unwrap_or(0);
        id_after(max)
    }
}

/// One write transaction, committed at the end. A store file that the
/// bulk write created is removed again when it is dropped uncommitted.
struct SqliteBulk<'c> {
    tx: Option<Transaction<'c>>,
    table: String,
    created: Option<PathBuf>,
}

impl SqliteBulk<'_> {
    fn tx(&self) -> &Transaction<'_> {
        self.tx.as_ref().expect("open until commit or drop")
    }
}

impl Drop for SqliteBulk<'_> {
    fn drop(&mut self) {
        if let Some(tx) = self.tx.take() {
            drop(tx); // rolls back
            if let Some(path) = &self.created {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

impl Bulk for SqliteBulk<'_> {
    fn existing(&mut self, ids: &[String]) -> Result<Vec<Token>> {
        let mut found = Vec::new();
        for batch in ids.chunks(sql::BATCH_ROWS) {
            let mut stmt = self
                .tx()
                .prepare_cached(&sql::select_ids(&self.table, batch.len()))?;
            for row in stmt.query_map(params_from_iter(batch), token_from_row)? {
                found.push(row?);
            }
        }
        Ok(found)
    }

    fn put(&mut self, tokens: &[Token]) -> Result<()> {
        let mut stmt = self
            .tx()
            .prepare_cached(&sql::insert(&self.table).replacen("INSERT", "INSERT OR REPLACE", 1))?;
        for token in tokens {
            stmt.execute(params_from_iter(token.fields()))?;
        }
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        let tx = self.tx.take().expect("open until commit or drop");
        tx.commit().context("cannot commit")
    }
}

impl TokenStore for SqliteStore {
    fn bulk(&mut self) -> Result<Box<dyn Bulk + '_>> {
        let table = self.table.clone();
        let created = (!self.path.exists()).then(|| self.path.clone());
        let tx = match self.begin_write() {
            Ok(tx) => tx,
            Err(e) => {
                if let Some(path) = &created {
                    let _ = std::fs::remove_file(path);
                }
                return Err(e);
            }
        };
        Ok(Box::new(SqliteBulk {
            tx: Some(tx),
            table,
            created,
        }))
    }

    fn save_tokens(&mut self, tokens: &[Token]) -> Result<Vec<Token>> {
        self.write_tx(|rows| tokens.iter().map(|t| upsert(rows, t)).collect())
    }

    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        let table = self.table.clone();
        match self.reader()? {
            None => Ok(None),
            Some(conn) => find_in(conn, &table, key),
        }
    }

    fn for_each_token(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        let mut ordered = IdOrder::new(visit);
        self.scan(" ORDER BY CAST(id AS INTEGER), id", &mut |t| {
            ordered.push(t)
        })?;
        ordered.finish()
    }

    fn for_each_unordered(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        self.scan("", visit)
    }

    fn delete_ids(&mut self, ids: &[String]) -> Result<Vec<String>> {
        if self.reader()?.is_none() {
            return Ok(Vec::new());
        }
        self.write_tx(|rows| {
            let mut stmt = rows.tx.prepare_cached(&sql::delete_by_id(rows.table))?;
            let mut deleted = Vec::new();
            for id in ids {
                if stmt.execute([id])? > 0 {
                    deleted.push(id.clone());
                }
            }
            Ok(deleted)
        })
    }

    fn delete_matching(&mut self, select: &dyn Fn(&Token) -> bool) -> Result<Vec<Token>> {
        if self.reader()?.is_none() {
            return Ok(Vec::new());
        }
        self.write_tx(|rows| {
            let mut gone = Vec::new();
            {
                let mut stmt = rows.tx.prepare(&sql::select_all(rows.table))?;
                let mut all = stmt.query([])?;
                while let Some(row) = all.next()? {
                    let token = token_from_row(row)?;
                    if select(&token) {
                        gone.push(token);
                    }
                }
            }
            let mut delete = rows.tx.prepare_cached(&sql::delete_by_id(rows.table))?;
            for token in &gone {
                delete.execute([&token.id])?;
            }
            Ok(gone)
        })
    }

    fn delete_tokens(&mut self) -> Result<usize> {
        if self.reader()?.is_none() {
            return Ok(0);
        }
        self.write_tx(|rows| {
            Ok(rows
                .tx
                .execute(&format!("DELETE FROM {}", rows.table), [])?)
        })
    }

    fn details(&mut self) -> Result<Details> {
        let mut details = Details::default();
        details
            .facts
            .push(("file".into(), absolute(&self.path).display().to_string()));
        details.facts.push(("table".into(), self.table.clone()));
        let columns = if self.path.exists() {
            self.columns()?
        } else {
            Vec::new()
        };
        if columns.is_empty() {
            details.facts.push((
                "layout".into(),
                "no table yet (created on the first save)".into(),
            ));
        }
        details.warnings.extend(permission_warning(&self.path));
        Ok(details)
    }
}
