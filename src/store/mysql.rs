//! `mysql://` — the Zoho SDK DBStore table on MySQL or MariaDB.
//!
//! Writes run in one transaction under a named lock (`GET_LOCK`) per table,
//! so concurrent tokenstore writers never pick the same id or lose an
//! update. New ids are the numeric maximum plus one, unlike the SDK's
//! string `MAX(id)`.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, Params, Row, TxOpts, Value};

use super::sql::{self, IdOrder};
use super::{upsert, Bulk, Details, Rows, TokenStore};
use crate::token::{id_after, MatchKey, Token};
use crate::uri::MysqlUri;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Seconds a writer waits for another tokenstore writer of the same table.
const LOCK_WAIT_SECONDS: u32 = 30;

pub struct MysqlStore {
    conn: Conn,
    database: String,
    table: String,
    /// Whether the table is known to exist with the SDK's columns.
    table_ready: bool,
    /// Whether this process has already added any missing lookup indexes.
    indexes_checked: bool,
}

fn params(values: impl IntoIterator<Item = Option<impl Into<String>>>) -> Params {
    Params::Positional(
        values
            .into_iter()
            .map(|v| v.map_or(Value::NULL, |s| Value::from(s.into())))
            .collect(),
    )
}

fn create_table(conn: &mut Conn, table: &str) -> Result<()> {
    conn.query_drop(format!(
        "{} DEFAULT CHARSET=utf8mb4",
        sql::create_table(table)
    ))
    .context("cannot create the table")
}

/// The lookup indexes the table lacks.
fn missing_indexes(conn: &mut Conn, database: &str, table: &str) -> Result<Vec<&'static str>> {
    let existing: Vec<String> = conn.exec(
        "SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
        (database, table),
    )?;
    Ok(sql::INDEXED_COLUMNS
        .into_iter()
        .filter(|column| {
            let name = sql::index_name(table, column);
            !existing.iter().any(|e| e.eq_ignore_ascii_case(&name))
        })
        .collect())
}

/// Adds the lookup indexes the table lacks, after a committed write. Best
/// effort: an account without the INDEX privilege still reads and writes
/// (lookups then scan the table; `info` says so).
fn add_missing_indexes(conn: &mut Conn, database: &str, table: &str) {
    let Ok(missing) = missing_indexes(conn, database, table) else {
        return;
    };
    for column in missing {
        let name = sql::index_name(table, column);
        // MySQL (unlike MariaDB) has no CREATE INDEX IF NOT EXISTS.
        let _ = conn.query_drop(format!("CREATE INDEX {name} ON {table} ({column})"));
    }
}

fn token_from_row(mut row: Row) -> Result<Token> {
    let mut fields: [Option<String>; 10] = Default::default();
    for (i, slot) in fields.iter_mut().enumerate() {
        *slot = row
            .take_opt::<Option<String>, _>(i)
            .context("the table has fewer columns than expected")?
            .context("a column value is not text")?;
    }
    Ok(Token::from_fields(fields))
}

impl MysqlStore {
    pub fn connect(uri: &MysqlUri) -> Result<MysqlStore> {
        let password = uri
            .password
            .as_ref()
            .map(|p| p.expose().to_string())
            .or_else(|| std::env::var("TOKENSTORE_MYSQL_PASSWORD").ok());
        let opts = OptsBuilder::new()
            .ip_or_hostname(Some(uri.host.clone()))
            .tcp_port(uri.port)
            .user(Some(uri.user.clone()))
            .pass(password)
            .db_name(Some(uri.database.clone()))
            .prefer_socket(false)
            .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
            .read_timeout(Some(IO_TIMEOUT))
            .write_timeout(Some(IO_TIMEOUT));
        let conn = Conn::new(opts).with_context(|| {
            format!(
                "cannot connect to MySQL at {}:{} as {}",
                uri.host, uri.port, uri.user
            )
        })?;
        Ok(MysqlStore {
            conn,
            database: uri.database.clone(),
            table: uri.table.clone(),
            table_ready: false,
            indexes_checked: false,
        })
    }

    fn columns(&mut self) -> Result<Vec<String>> {
        self.conn
            .exec(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
                (&self.database, &self.table),
            )
            .context("cannot read the table's columns")
    }

    /// Whether there is a table to read; checks its columns once.
    fn readable(&mut self) -> Result<bool> {
        if !self.table_ready {
            let columns = self.columns()?;
            if columns.is_empty() {
                return Ok(false);
            }
            sql::check_columns(&self.table, &columns)?;
            self.table_ready = true;
        }
        Ok(true)
    }

    /// Creates the table when it is missing (checks its columns otherwise);
    /// true when it created it.
    fn create_table_if_missing(&mut self) -> Result<bool> {
        if self.table_ready {
            return Ok(false);
        }
        let columns = self.columns()?;
        let create = columns.is_empty();
        if create {
            create_table(&mut self.conn, &self.table)?;
        } else {
            sql::check_columns(&self.table, &columns)?;
        }
        self.table_ready = true;
        Ok(create)
    }

    /// Takes the named lock that serialises tokenstore writers of this
    /// table; returns its name for the release.
    fn take_writer_lock(&mut self) -> Result<String> {
        let lock_name = format!("tokenstore.{}.{}", self.database, self.table);
        let got: Option<Option<i64>> = self
            .conn
            .exec_first("SELECT GET_LOCK(?, ?)", (&lock_name, LOCK_WAIT_SECONDS))
            .context("cannot take the writer lock")?;
        if got.flatten() != Some(1) {
            bail!("another writer held the table for {LOCK_WAIT_SECONDS}s; try again");
        }
        Ok(lock_name)
    }

    /// Runs `work` in one transaction, holding this table's writer lock
    /// (taken before any DDL, so concurrent first writers do not race).
    fn write_tx<T>(&mut self, work: impl FnOnce(&mut MysqlRows<'_, '_>) -> Result<T>) -> Result<T> {
        let lock_name = self.take_writer_lock()?;
        let result = (|| {
            self.create_table_if_missing()?;
            let table = self.table.clone();
            let mut tx = self
                .conn
                .start_transaction(TxOpts::default())
                .context("cannot start a transaction")?;
            let result = work(&mut MysqlRows {
                tx: &mut tx,
                table: &table,
            })?;
            tx.commit().context("cannot commit")?;
            Ok(result)
        })();
        if result.is_ok() && !self.indexes_checked {
            add_missing_indexes(&mut self.conn, &self.database, &self.table);
            self.indexes_checked = true;
        }
        let _ = self.conn.exec_drop("SELECT RELEASE_LOCK(?)", (&lock_name,));
        result
    }

    /// Streams every row to `visit`, in the order `order_by` gives.
    fn scan(&mut self, order_by: &str, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        if !self.readable()? {
            return Ok(());
        }
        let query = format!("{}{order_by}", sql::select_all(&self.table));
        for row in self.conn.query_iter(query)? {
            visit(token_from_row(row?)?)?;
        }
        Ok(())
    }
}

fn find_in(db: &mut impl Queryable, table: &str, key: &MatchKey<'_>) -> Result<Option<Token>> {
    sql::find_by_lookups(key, |column, value| {
        let rows: Vec<Row> = db.exec(sql::select_where(table, column), (value,))?;
        rows.into_iter().map(token_from_row).collect()
    })
}

struct MysqlRows<'t, 'c> {
    tx: &'t mut mysql::Transaction<'c>,
    table: &'t str,
}

impl Rows for MysqlRows<'_, '_> {
    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        find_in(self.tx, self.table, key)
    }

    fn update(&mut self, token: &Token) -> Result<()> {
        self.tx
            .exec_drop(sql::update(self.table), params(sql::update_params(token)))?;
        Ok(())
    }

    fn insert(&mut self, token: &Token) -> Result<()> {
        self.tx
            .exec_drop(sql::insert(self.table), params(token.fields()))?;
        Ok(())
    }

    fn next_id(&mut self) -> Result<String> {
        let max: Option<Option<u64>> = self.tx.query_first(format!(
            "SELECT MAX(CAST(id AS UNSIGNED)) FROM {} WHERE id REGEXP '^[0-9]+$'",
            self.table
        ))?;
        id_after(max.flatten().unwrap_or(0).into())
    }
}

/// One transaction under the table's writer lock; rolled back and
/// unlocked when dropped without `commit`. A missing table is created at
/// the first `put` (so a dry run creates nothing) and dropped again on
/// rollback, since MySQL cannot roll back DDL.
struct MysqlBulk<'c> {
    conn: &'c mut Conn,
    database: String,
    table: String,
    lock_name: String,
    table_exists: bool,
    created_table: bool,
    open: bool,
}

impl Bulk for MysqlBulk<'_> {
    fn existing(&mut self, ids: &[String]) -> Result<Vec<Token>> {
        let mut found = Vec::new();
        if !self.table_exists {
            return Ok(found);
        }
        for batch in ids.chunks(sql::BATCH_ROWS) {
            let rows: Vec<Row> = self.conn.exec(
                sql::select_ids(&self.table, batch.len()),
                params(batch.iter().map(Some)),
            )?;
            for row in rows {
                found.push(token_from_row(row)?);
            }
        }
        Ok(found)
    }

    fn put(&mut self, tokens: &[Token]) -> Result<()> {
        if tokens.is_empty() {
            return Ok(());
        }
        if !self.table_exists {
            // DDL ends the (still empty) transaction; start it again after.
            create_table(self.conn, &self.table)?;
            self.created_table = true;
            self.table_exists = true;
            self.conn.query_drop("START TRANSACTION")?;
        }
        for batch in tokens.chunks(sql::BATCH_ROWS) {
            let placeholders = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; batch.len()].join(", ");
            let statement = format!(
                "REPLACE INTO {} ({}) VALUES {placeholders}",
                self.table,
                sql::COLUMNS
            );
            self.conn
                .exec_drop(statement, params(batch.iter().flat_map(|t| t.fields())))?;
        }
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        self.conn.query_drop("COMMIT").context("cannot commit")?;
        self.open = false;
        if self.table_exists {
            add_missing_indexes(self.conn, &self.database, &self.table);
        }
        let _ = self
            .conn
            .exec_drop("SELECT RELEASE_LOCK(?)", (&self.lock_name,));
        Ok(())
    }
}

impl Drop for MysqlBulk<'_> {
    fn drop(&mut self) {
        if self.open {
            let _ = self.conn.query_drop("ROLLBACK");
            if self.created_table {
                let _ = self.conn.query_drop(format!("DROP TABLE {}", self.table));
            }
            let _ = self
                .conn
                .exec_drop("SELECT RELEASE_LOCK(?)", (&self.lock_name,));
        }
    }
}

impl TokenStore for MysqlStore {
    fn bulk(&mut self) -> Result<Box<dyn Bulk + '_>> {
        let lock_name = self.take_writer_lock()?;
        let started = self.readable().and_then(|exists| {
            self.conn.query_drop("START TRANSACTION")?;
            Ok(exists)
        });
        let table_exists = match started {
            Ok(exists) => exists,
            Err(e) => {
                let _ = self.conn.exec_drop("SELECT RELEASE_LOCK(?)", (&lock_name,));
                return Err(e.context("cannot start a transaction"));
            }
        };
        Ok(Box::new(MysqlBulk {
            conn: &mut self.conn,
            database: self.database.clone(),
            table: self.table.clone(),
            lock_name,
            table_exists,
            created_table: false,
            open: true,
        }))
    }

    fn save_tokens(&mut self, tokens: &[Token]) -> Result<Vec<Token>> {
        self.write_tx(|rows| tokens.iter().map(|t| upsert(rows, t)).collect())
    }

    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        if !self.readable()? {
            return Ok(None);
        }
        find_in(&mut self.conn, &self.table, key)
    }

    fn for_each_token(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        let mut ordered = IdOrder::new(visit);
        self.scan(" ORDER BY CAST(id AS UNSIGNED), id", &mut |t| {
            ordered.push(t)
        })?;
        ordered.finish()
    }

    fn for_each_unordered(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        self.scan("", visit)
    }

    fn delete_ids(&mut self, ids: &[String]) -> Result<Vec<String>> {
        if !self.readable()? {
            return Ok(Vec::new());
        }
        self.write_tx(|rows| {
            let mut deleted = Vec::new();
            for id in ids {
                rows.tx.exec_drop(sql::delete_by_id(rows.table), (id,))?;
                if rows.tx.affected_rows() > 0 {
                    deleted.push(id.clone());
                }
            }
            Ok(deleted)
        })
    }

    fn delete_matching(&mut self, select: &dyn Fn(&Token) -> bool) -> Result<Vec<Token>> {
        if !self.readable()? {
            return Ok(Vec::new());
        }
        self.write_tx(|rows| {
            // FOR UPDATE: a token judged here cannot change before it goes.
            let all: Vec<Row> = rows
                .tx
                .query(format!("{} FOR UPDATE", sql::select_all(rows.table)))?;
            let mut gone = Vec::new();
            for row in all {
                let token = token_from_row(row)?;
                if select(&token) {
                    gone.push(token);
                }
            }
            for token in &gone {
                rows.tx
                    .exec_drop(sql::delete_by_id(rows.table), (&token.id,))?;
            }
            Ok(gone)
        })
    }

    fn delete_tokens(&mut self) -> Result<usize> {
        if !self.readable()? {
            return Ok(0);
        }
        self.write_tx(|rows| {
            rows.tx.query_drop(format!("DELETE FROM {}", rows.table))?;
            Ok(rows.tx.affected_rows() as usize)
        })
    }

    fn details(&mut self) -> Result<Details> {
        let version: Option<String> = self.conn.query_first("SELECT VERSION()")?;
        let mut details = Details::default();
        details
            .facts
            .push(("server".into(), version.unwrap_or_default()));
        details
            .facts
            .push(("table".into(), format!("{}.{}", self.database, self.table)));
        let columns = self.columns()?;
        if columns.is_empty() {
            details.facts.push((
                "layout".into(),
                "no table yet (created on the first save)".into(),
            ));
            return Ok(details);
        }
        if sql::check_columns(&self.table, &columns).is_err() {
            return Ok(details); // `info` reports why the tokens cannot be read
        }
        let missing = missing_indexes(&mut self.conn, &self.database, &self.table)?;
        if !missing.is_empty() {
            details.warnings.push(format!(
                "no index on {}: lookups scan the whole table (tokenstore adds them on a write when the account may)",
                missing.join(", ")
            ));
        }
        Ok(details)
    }
}
