//! `postgres://` — the SDK DBStore table on PostgreSQL: a thin adapter over
//! the shared SQL engine.
//!
//! Writes run in one transaction under an advisory lock per table
//! (`pg_advisory_xact_lock`, released by the commit or rollback), taken
//! before anything is read, and rows read inside a write are locked
//! (`FOR UPDATE`). DDL is transactional, so a table a failed write created
//! goes with its rollback. Ids and lookup keys compare byte for byte
//! (`COLLATE "C"`), whatever the column's collation.

use std::time::Duration;

use anyhow::{Context, Result};
use postgres::config::SslMode;
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, NoTls};

use super::sql::{Dialect, ExtraIndex, SqlConn, SqlStore};
use super::{Details, StoreError};
use crate::field::Field;
use crate::token::Token;
use crate::uri::{ServerUri, TlsMode};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Seconds a writer waits for another tokenstore writer of the same table
/// (and for row locks an application holds).
const LOCK_WAIT_SECONDS: u32 = 30;

/// Ids of up to 18 significant digits, which fit a `bigint`.
macro_rules! small_number {
    ($id:expr) => {
        format!(
            "(CASE WHEN {id} ~ '^0*[0-9]{{1,18}}$' THEN {id}::bigint END)",
            id = $id
        )
    };
}

pub(crate) static DIALECT: Dialect = Dialect {
    placeholder: |n| format!("${n}"),
    // The first comparison can use an index (by the column's collation);
    // the `C` one is exact even under a non-deterministic collation.
    // (`varchar` keeps trailing spaces significant: `7 ` is not `7`.)
    exact_eq_params: 2,
    exact_eq: |column, first| {
        format!(
            "{column} = ${first} AND {column} COLLATE \"C\" = ${}",
            first + 1
        )
    },
    lock_rows: " FOR UPDATE",
    rows_per_insert: 500,
    // Walks the numeric-id index (see `extra_indexes`) from the top.
    fast_max_id: Some(|table, id| {
        let number = small_number!(id);
        format!(
            "SELECT {id} FROM {table} WHERE {number} IS NOT NULL ORDER BY {number} DESC LIMIT 1"
        )
    }),
    exact_max_id: |table, id| {
        format!(
            "SELECT {id} FROM {table} WHERE {id} ~ '^[0-9]+$' \
             ORDER BY length(ltrim({id}, '0')) DESC, ltrim({id}, '0') COLLATE \"C\" DESC LIMIT 1"
        )
    },
    id_order: |id| format!("{}, {id}", small_number!(id)),
    is_text_type: |declared| {
        let t = declared.to_ascii_lowercase();
        // `character(n)` pads and ignores trailing spaces: not exact.
        t == "text" || t.starts_with("character varying") || t.starts_with("varchar")
    },
    create_suffix: "",
    count_as_text: |table| format!("SELECT count(*)::text FROM {table}"),
    // Serves the next-id lookup and listing in id order.
    extra_indexes: |table| {
        vec![ExtraIndex {
            name: format!("{table}_id_number_idx"),
            indexed: ID_NUMBER,
            on: "id as a number",
            serves: "numbering new tokens and listing in id order",
        }]
    },
    // A new table's indexes are made with it, each best effort behind a
    // savepoint (a long table name can make two index names collide once
    // PostgreSQL cuts them to 63 characters): never a failed write.
    indexes_after_load: false,
    // CONCURRENTLY: the application keeps reading and writing meanwhile.
    create_index: |table, name, indexed| {
        format!("CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} ({indexed})")
    },
};

/// The index expression of [`DIALECT`]'s numeric id order.
const ID_NUMBER: &str = "(CASE WHEN id ~ '^0*[0-9]{1,18}$' THEN id::bigint END)";

pub(crate) type PostgresStore = SqlStore<PostgresConn>;

/// Connects to the server a URI names. The password comes from the URI,
/// `TOKENSTORE_PG_PASSWORD`, `PGPASSWORD` or the password file.
pub(crate) fn connect(uri: &ServerUri) -> Result<PostgresStore> {
    let mut config = Config::new();
    config
        .host(&uri.host)
        .port(uri.port)
        .user(&uri.user)
        .dbname(&uri.database)
        .application_name("tokenstore")
        .connect_timeout(CONNECT_TIMEOUT)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30));
    if let Ok(ip) = uri.host.parse::<std::net::IpAddr>() {
        config.hostaddr(ip);
    }
    if let Some(password) = uri.password() {
        config.password(password.expose());
    }
    let what = || {
        format!(
            "cannot connect to PostgreSQL at {}:{} as {}",
            uri.host, uri.port, uri.user
        )
    };
    let mode = uri.tls_mode();
    let connected = match mode {
        TlsMode::Disabled => {
            config.ssl_mode(SslMode::Disable);
            config.connect(NoTls).map_err(backend_error)
        }
        _ => {
            // `preferred` falls back to plain TCP when the server offers no TLS.
            config.ssl_mode(if mode == TlsMode::Preferred {
                SslMode::Prefer
            } else {
                SslMode::Require
            });
            let tls = super::tls::client_config(mode, uri.ca_file.as_deref(), "sslrootcert")
                .with_context(what)?;
            config
                .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
                .map_err(backend_error)
        }
    };
    let mut client = connected.with_context(what)?;
    let schema_setting = match &uri.schema {
        // Unquoted, so folded to lower case as PostgreSQL folds it.
        Some(schema) => format!("SET search_path TO {schema}; "),
        None => String::new(),
    };
    client
        .batch_execute(&format!(
            "{schema_setting}SET lock_timeout = '{LOCK_WAIT_SECONDS}s'; \
             SET client_encoding = 'UTF8'"
        ))
        .map_err(backend_error)
        .with_context(what)?;
    Ok(SqlStore::with_conn(
        PostgresConn {
            client,
            database: uri.database.clone(),
            table: uri.table.to_ascii_lowercase(),
            host: uri.host.clone(),
            tls: uri.tls_mode(),
        },
        // PostgreSQL folds unquoted names to lower case.
        uri.table.to_ascii_lowercase(),
    ))
}

pub(crate) struct PostgresConn {
    client: Client,
    database: String,
    /// The table's name as the server knows it (for the writer lock).
    table: String,
    host: String,
    tls: TlsMode,
}

/// Every parameter is text; the server converts it to the column's type.
fn params<'a>(values: &'a [Option<&'a str>]) -> Vec<(&'a (dyn ToSql + Sync), Type)> {
    values
        .iter()
        .map(|v| (v as &(dyn ToSql + Sync), Type::TEXT))
        .collect()
}

fn token_from_row(row: &postgres::Row) -> Result<Token> {
    let mut fields: [Option<String>; 10] = Default::default();
    if row.len() < 10 {
        anyhow::bail!("the table has fewer columns than expected");
    }
    for (i, slot) in fields.iter_mut().enumerate() {
        *slot = row.try_get::<_, Option<String>>(i).map_err(|_| {
            StoreError::WrongSchema(format!(
                "column {} holds a value that is not text",
                Field::ALL[i].name()
            ))
        })?;
    }
    Ok(Token::from_sql_fields(fields))
}

/// The server's error in words that never carry a value: PostgreSQL puts
/// the offending values in an error's detail (`Key (refresh_token)=(…)
/// already exists`), which is never shown, and a few messages quote a
/// value, so any other quoted text is cut out.
pub(crate) fn backend_error(e: postgres::Error) -> anyhow::Error {
    let Some(db) = e.as_db_error() else {
        return connection_error(&e).into();
    };
    let code = db.code();
    let message = db.message();
    let error = if *code == SqlState::UNIQUE_VIOLATION {
        StoreError::Conflict(format!(
            "a value collides with another row on unique key `{}`",
            db.constraint().unwrap_or("?")
        ))
    } else if *code == SqlState::STRING_DATA_RIGHT_TRUNCATION {
        StoreError::Refused(format!(
            "a value is too long for its column ({})",
            redact_quoted(message)
        ))
    } else if *code == SqlState::CHARACTER_NOT_IN_REPERTOIRE
        || *code == SqlState::UNTRANSLATABLE_CHARACTER
    {
        StoreError::Refused(
            "a value has a character PostgreSQL text cannot hold (a NUL byte, or one the \
             database's encoding lacks)"
                .into(),
        )
    } else if *code == SqlState::INVALID_PASSWORD {
        StoreError::Backend(
            "access denied: check the user and password (TOKENSTORE_PG_PASSWORD, PGPASSWORD \
             or ~/.pgpass)"
                .into(),
        )
    } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
        if message.contains("no encryption") {
            StoreError::Backend(
                "the server refuses connections without TLS (its pg_hba.conf allows only \
                 hostssl); use sslmode=require or verify-full"
                    .into(),
            )
        } else {
            StoreError::Backend(
                "the server refuses this user from this host (pg_hba.conf); ask its \
                 administrator"
                    .into(),
            )
        }
    } else if *code == SqlState::INVALID_CATALOG_NAME {
        StoreError::Backend("the database does not exist".into())
    } else if *code == SqlState::INVALID_SCHEMA_NAME {
        StoreError::Backend(
            "the schema does not exist; create it (CREATE SCHEMA) or leave out ?schema=".into(),
        )
    } else if *code == SqlState::LOCK_NOT_AVAILABLE {
        StoreError::Busy(format!(
            "another writer held the table for {LOCK_WAIT_SECONDS} s; try again"
        ))
    } else if *code == SqlState::T_R_DEADLOCK_DETECTED
        || *code == SqlState::T_R_SERIALIZATION_FAILURE
    {
        StoreError::Busy("another transaction held the rows; try again".into())
    } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
        StoreError::Backend(format!(
            "permission denied ({}); grant the user access to the table",
            redact_quoted(message)
        ))
    } else if *code == SqlState::ADMIN_SHUTDOWN || *code == SqlState::CRASH_SHUTDOWN {
        StoreError::Backend("the server ended the connection (it is shutting down)".into())
    } else {
        StoreError::Backend(format!(
            "PostgreSQL error {}: {}",
            code.code(),
            redact_quoted(message)
        ))
    };
    error.into()
}

/// A failure that is not the server's answer: the network, TLS, a closed
/// connection. The message names no value.
fn connection_error(e: &postgres::Error) -> StoreError {
    use std::error::Error as _;
    if e.is_closed() {
        return StoreError::Backend("the connection to the server was closed".into());
    }
    let mut source = e.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return match io.kind() {
                ConnectionRefused | TimedOut | HostUnreachable | NetworkUnreachable => {
                    StoreError::Backend(
                        "the server does not answer there (nothing listens on that host and \
                         port, or a firewall drops the connection); check the host and port"
                            .into(),
                    )
                }
                _ => match super::tls::describe_tls_error(cause, "sslrootcert") {
                    Some(tls) => StoreError::Backend(tls),
                    None => {
                        StoreError::Backend(format!("the connection to the server failed: {io}"))
                    }
                },
            };
        }
        if let Some(tls) = super::tls::describe_tls_error(cause, "sslrootcert") {
            return StoreError::Backend(tls);
        }
        source = cause.source();
    }
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    if text.contains("timeout") || text.contains("timed out") {
        return StoreError::Backend(
            "the server did not answer in time (a firewall may drop the connection); check \
             the host and port"
                .into(),
        );
    }
    if text.contains("password missing") {
        return StoreError::Backend(
            "the server asks for a password: give it in the URI, TOKENSTORE_PG_PASSWORD, \
             PGPASSWORD or ~/.pgpass (mode 0600)"
                .into(),
        );
    }
    if text.contains("server does not support TLS") {
        return StoreError::Backend(
            "the server does not offer TLS; use sslmode=prefer or disable to connect \
             without it"
                .into(),
        );
    }
    StoreError::Backend(format!(
        "the connection to the server failed: {}",
        redact_quoted(&text)
    ))
}

/// Replaces every quoted part (`'…'` or `"…"`) of a message with `…`.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside: Option<char> = None;
    for c in message.chars() {
        match inside {
            None if c == '\'' || c == '"' => {
                out.push(c);
                out.push('…');
                out.push(c);
                inside = Some(c);
            }
            None => out.push(c),
            Some(q) if c == q => inside = None,
            Some(_) => {}
        }
    }
    out
}

impl PostgresConn {
    fn query_rows(
        &mut self,
        sql: &str,
        values: &[Option<&str>],
        visit: &mut dyn FnMut(&postgres::Row) -> Result<()>,
    ) -> Result<()> {
        let mut rows = self
            .client
            .query_typed_raw(sql, params(values))
            .map_err(backend_error)?;
        while let Some(row) = rows.next().map_err(backend_error)? {
            visit(&row)?;
        }
        Ok(())
    }

    fn rollback_quietly(&mut self) {
        let _ = self.client.batch_execute("ROLLBACK");
    }
}

impl SqlConn for PostgresConn {
    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }

    fn query_tokens(
        &mut self,
        sql: &str,
        values: &[Option<&str>],
        visit: &mut dyn FnMut(Token) -> Result<()>,
    ) -> Result<()> {
        self.query_rows(sql, values, &mut |row| visit(token_from_row(row)?))
    }

    fn query_column(&mut self, sql: &str, values: &[Option<&str>]) -> Result<Vec<Option<String>>> {
        let mut out = Vec::new();
        self.query_rows(sql, values, &mut |row| {
            out.push(row.try_get::<_, Option<String>>(0)?);
            Ok(())
        })?;
        Ok(out)
    }

    fn execute(&mut self, sql: &str, values: &[Option<&str>]) -> Result<u64> {
        self.client
            .execute_typed(sql, &params(values))
            .map_err(backend_error)
    }

    fn columns(&mut self, table: &str) -> Result<Vec<(String, String)>> {
        let mut found = Vec::new();
        self.query_rows(
            // The catalog, not information_schema (whose views cost about a
            // millisecond, and every write reads the layout again).
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
             JOIN pg_class c ON c.oid = a.attrelid \
             WHERE c.oid = to_regclass($1::text) \
             AND c.relkind IN ('r', 'p', 'v', 'f') AND a.attnum > 0 AND NOT a.attisdropped \
             ORDER BY a.attnum",
            &[Some(table)],
            &mut |row| {
                found.push((row.try_get(0)?, row.try_get(1)?));
                Ok(())
            },
        )
        .context("cannot read the table's columns")?;
        Ok(found)
    }

    fn begin(&mut self) -> Result<()> {
        self.client
            .batch_execute("BEGIN")
            .map_err(backend_error)
            .context("cannot start a transaction")?;
        // One lock per database, schema and table, for every tokenstore.
        let locked = self.client.execute_typed(
            "SELECT pg_advisory_xact_lock(hashtextextended('tokenstore.' || current_database() \
             || '.' || coalesce(current_schema(), '') || '.' || $1, 0))",
            &[(&self.table, Type::TEXT)],
        );
        if let Err(e) = locked {
            self.rollback_quietly();
            if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
                return Err(StoreError::Busy(format!(
                    "another tokenstore writer held the table for {LOCK_WAIT_SECONDS} s; try again"
                ))
                .into());
            }
            return Err(backend_error(e)).context("cannot take the writer lock");
        }
        Ok(())
    }

    fn create_table(&mut self, statements: &[String]) -> Result<()> {
        let (create, indexes) = statements.split_first().expect("a CREATE TABLE");
        self.client.batch_execute(create).map_err(backend_error)?;
        // Lookup indexes are best effort: a failed one (a name taken by
        // another table's index) rolls back to its savepoint, and lookups
        // scan (`info` says so).
        for index in indexes {
            let done = self
                .client
                .batch_execute(&format!("SAVEPOINT tokenstore_index; {index}"));
            let end = if done.is_ok() {
                "RELEASE SAVEPOINT tokenstore_index"
            } else {
                "ROLLBACK TO SAVEPOINT tokenstore_index"
            };
            self.client.batch_execute(end).map_err(backend_error)?;
        }
        Ok(())
    }

    fn commit(&mut self, _keep_store: bool) -> Result<()> {
        // A failed COMMIT has rolled back; the advisory lock goes with it.
        self.client.batch_execute("COMMIT").map_err(backend_error)
    }

    fn rollback(&mut self, _created_table: Option<&str>) -> Result<()> {
        // DDL is transactional: a table this write created goes too.
        self.client.batch_execute("ROLLBACK").map_err(backend_error)
    }

    fn describe(&mut self, table: &str, details: &mut Details) -> Result<()> {
        let version = self.query_column("SELECT version()", &[])?;
        let version = version.into_iter().flatten().next().unwrap_or_default();
        // "PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on x86_64-pc-linux-gnu, …"
        let short = version.split(" on ").next().unwrap_or(&version).to_string();
        details.facts.push(("server".into(), short));
        let schema = self.query_column("SELECT current_schema()::text", &[])?;
        let schema = schema.into_iter().flatten().next().unwrap_or_default();
        details.facts.push((
            "table".into(),
            format!("{}.{schema}.{table}", self.database),
        ));
        let ssl = self.query_column(
            "SELECT version::text FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl",
            &[],
        )?;
        let encrypted = ssl.into_iter().flatten().next();
        let mode = self.tls.name(crate::uri::Engine::Postgres);
        details.facts.push((
            "tls".into(),
            match &encrypted {
                Some(version) => format!("encrypted ({version}, sslmode={mode})"),
                None => format!("not encrypted (sslmode={mode})"),
            },
        ));
        details
            .warnings
            .extend(super::tls::plain_connection_warning(
                encrypted.is_some(),
                &self.host,
                "sslmode",
            ));
        Ok(())
    }

    fn indexes(&mut self, table: &str) -> Result<(Vec<String>, Vec<String>)> {
        let mut names = Vec::new();
        let mut leading = Vec::new();
        // Each index of the table, and its first column (NULL for an
        // expression).
        self.query_rows(
            "SELECT i.relname::text, a.attname::text FROM pg_index x \
             JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class t ON t.oid = x.indrelid \
             LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0] \
             WHERE t.oid = to_regclass($1::text) AND x.indisvalid",
            &[Some(table)],
            &mut |row| {
                names.push(row.try_get::<_, String>(0)?.to_ascii_lowercase());
                if let Some(column) = row.try_get::<_, Option<String>>(1)? {
                    leading.push(column.to_ascii_lowercase());
                }
                Ok(())
            },
        )
        .context("cannot read the table's indexes")?;
        Ok((names, leading))
    }

    fn identity(&mut self, table: &str) -> Result<String> {
        // The cluster (its start time and port: the same server reached as
        // 127.0.0.1 or localhost), then the database, schema and table.
        let found = self.query_column(
            "SELECT pg_postmaster_start_time()::text || ':' || \
             current_setting('port') || ':' || current_database() || '.' || current_schema()",
            &[],
        )?;
        let server = found.into_iter().flatten().next().unwrap_or_default();
        Ok(format!("postgres {server} table {table}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_never_reach_a_message() {
        assert_eq!(
            redact_quoted("invalid input syntax for type bigint: \"s3cret\""),
            "invalid input syntax for type bigint: \"…\""
        );
        assert_eq!(redact_quoted("value 'x' and \"y\""), "value '…' and \"…\"");
    }

    #[test]
    fn numeric_ids_sort_and_index_by_value() {
        assert_eq!(
            (DIALECT.id_order)("id"),
            "(CASE WHEN id ~ '^0*[0-9]{1,18}$' THEN id::bigint END), id"
        );
        assert_eq!((DIALECT.placeholder)(3), "$3");
        assert_eq!(
            (DIALECT.exact_eq)("id", 4),
            "id = $4 AND id COLLATE \"C\" = $5"
        );
    }
}
