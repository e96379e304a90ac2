//! `mysql://` — the Zoho SDK DBStore table on MySQL or MariaDB: a thin
//! adapter over the shared SQL engine.
//!
//! Every session runs in strict SQL mode (a value that does not fit is
//! refused, never truncated). Writes run in one transaction under a named
//! lock (`GET_LOCK`) per table, taken before anything is read, and rows
//! read inside a write are locked (`FOR UPDATE`). Ids and lookup keys
//! compare byte for byte (`BINARY`), whatever the table's collation.

use std::time::Duration;

use anyhow::{Context, Result};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, Params, SslOpts, Value};

use super::sql::{Dialect, SqlConn, SqlStore};
use super::{Details, StoreError};
use crate::field::Field;
use crate::token::Token;
use crate::uri::{Engine, ServerUri, TlsMode};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Seconds a writer waits for another tokenstore writer of the same table.
const LOCK_WAIT_SECONDS: u32 = 30;

pub(crate) static DIALECT: Dialect = Dialect {
    placeholder: |_| "?".to_string(),
    // The first comparison can use an index (by the column's collation);
    // the BINARY one makes it exact: `ABC` is not `abc`, `7 ` is not `7`.
    exact_eq_params: 2,
    exact_eq: |column, _| format!("{column} = ? AND BINARY {column} = ?"),
    lock_rows: " FOR UPDATE",
    rows_per_insert: 200,
    fast_max_id: None,
    count_as_text: |table| format!("SELECT CAST(COUNT(*) AS CHAR) FROM {table}"),
    exact_max_id: |table, id| {
        format!(
            "SELECT {id} FROM {table} WHERE {id} REGEXP '^[0-9]+$' \
             ORDER BY LENGTH(TRIM(LEADING '0' FROM {id})) DESC, \
             TRIM(LEADING '0' FROM {id}) DESC LIMIT 1"
        )
    },
    id_order: |id| format!("CAST({id} AS UNSIGNED), {id}"),
    is_text_type: |declared| {
        let t = declared.to_ascii_lowercase();
        t.contains("char") || t.contains("text")
    },
    create_suffix: " DEFAULT CHARSET=utf8mb4",
    extra_indexes: |_| Vec::new(),
    // Online DDL: the application keeps reading and writing meanwhile.
    // DDL commits the transaction: a new table's indexes are made with it.
    indexes_after_load: false,
    create_index: |table, name, indexed| {
        format!("CREATE INDEX {name} ON {table} ({indexed}) ALGORITHM=INPLACE LOCK=NONE")
    },
};

pub(crate) type MysqlStore = SqlStore<MysqlConn>;

/// Connects to the server a URI names; a password left empty in the URI
/// comes from `TOKENSTORE_MYSQL_PASSWORD`.
pub(crate) fn connect(uri: &ServerUri) -> Result<MysqlStore> {
    let password = uri.password().map(|p| p.expose().to_string());
    let mode = uri.tls_mode();
    let opts = OptsBuilder::new()
        .ip_or_hostname(Some(uri.host.clone()))
        .tcp_port(uri.port)
        .user(Some(uri.user.clone()))
        .pass(password)
        .db_name(Some(uri.database.clone()))
        .prefer_socket(false)
        .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
        .read_timeout(Some(IO_TIMEOUT))
        .write_timeout(Some(IO_TIMEOUT))
        .init(vec![
            "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'",
            "SET NAMES utf8mb4",
        ]);
    if let Some(ca) = &uri.ca_file {
        std::fs::File::open(ca)
            .with_context(|| format!("cannot read the CA file {} (ssl-ca)", ca.display()))?;
    }
    let ssl = match mode {
        TlsMode::Disabled => None,
        _ => Some(
            SslOpts::default()
                .with_root_cert_path(uri.ca_file.clone())
                .with_danger_accept_invalid_certs(matches!(
                    mode,
                    TlsMode::Preferred | TlsMode::Required
                ))
                .with_danger_skip_domain_validation(mode == TlsMode::VerifyCa),
        ),
    };
    let connected = match Conn::new(opts.clone().ssl_opts(ssl)) {
        // `preferred`: plain TCP when the server offers no TLS.
        Err(mysql::Error::DriverError(mysql::DriverError::TlsNotSupported))
            if mode == TlsMode::Preferred =>
        {
            Conn::new(opts.ssl_opts(None::<SslOpts>))
        }
        other => other,
    };
    let conn = connected.map_err(|e| {
        let plain = mode == TlsMode::Disabled || mode == TlsMode::Preferred;
        match &e {
            // MariaDB answers a plain connection to a server that requires
            // TLS (require_secure_transport) as if the password were wrong.
            mysql::Error::MySqlError(server) if server.code == 1045 && plain => {
                StoreError::Backend(
                    "access denied: check the user and password (TOKENSTORE_MYSQL_PASSWORD); \
                     the connection was not encrypted, and a server that requires TLS \
                     refuses it this way too: try ssl-mode=required or verify-full"
                        .into(),
                )
                .into()
            }
            _ => backend_error(e),
        }
    });
    let conn = conn.with_context(|| {
        format!(
            "cannot connect to MySQL at {}:{} as {}",
            uri.host, uri.port, uri.user
        )
    })?;
    let lock_name = lock_name(&uri.database, &uri.table);
    Ok(SqlStore::with_conn(
        MysqlConn {
            conn,
            database: uri.database.clone(),
            lock_name,
            locked: false,
            tls: mode,
            host: uri.host.clone(),
        },
        uri.table.clone(),
    ))
}

/// MySQL lock names are at most 64 characters.
fn lock_name(database: &str, table: &str) -> String {
    // Lower case: a server may ignore the case of table names, and a lock
    // shared by two tables that differ only in case costs nothing.
    let name = format!("tokenstore.{database}.{table}").to_ascii_lowercase();
    if name.len() <= 64 {
        return name;
    }
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    name.hash(&mut hasher);
    format!("tokenstore.{:016x}", hasher.finish())
}

pub(crate) struct MysqlConn {
    conn: Conn,
    database: String,
    lock_name: String,
    /// Whether this session holds the writer lock.
    locked: bool,
    tls: TlsMode,
    host: String,
}

fn params(values: &[Option<&str>]) -> Params {
    if values.is_empty() {
        return Params::Empty;
    }
    Params::Positional(
        values
            .iter()
            .map(|v| v.map_or(Value::NULL, Value::from))
            .collect(),
    )
}

fn token_from_row(mut row: mysql::Row) -> Result<Token> {
    let mut fields: [Option<String>; 10] = Default::default();
    for (i, slot) in fields.iter_mut().enumerate() {
        *slot = row
            .take_opt::<Option<String>, _>(i)
            .context("the table has fewer columns than expected")?
            .map_err(|_| {
                StoreError::WrongSchema(format!(
                    "column {} holds a value that is not text",
                    Field::ALL[i].name()
                ))
            })?;
    }
    Ok(Token::from_sql_fields(fields))
}

/// The server's error in words that never carry a value: MySQL quotes the
/// offending value in its messages (`Duplicate entry '<token>'`), so known
/// errors are named by their column or key, and any other quoted text is
/// cut out.
fn backend_error(e: mysql::Error) -> anyhow::Error {
    use mysql::DriverError;
    // The driver's errors name no `source()`: look inside each kind.
    let inner: Option<&(dyn std::error::Error + 'static)> = match &e {
        mysql::Error::IoError(io) => Some(io),
        mysql::Error::CodecError(codec) => Some(codec),
        mysql::Error::TlsError(tls) => Some(tls),
        _ => None,
    };
    if let Some(tls) = inner.and_then(|inner| super::tls::describe_tls_error(inner, "ssl-ca")) {
        return StoreError::Backend(tls).into();
    }
    let server = match &e {
        mysql::Error::MySqlError(server) => server,
        mysql::Error::DriverError(
            DriverError::CouldNotConnect(_) | DriverError::ConnectTimeout,
        ) => {
            return StoreError::Backend(
                "the server does not answer there (nothing listens on that host and port, or a \
                 firewall drops the connection); check the host and port"
                    .into(),
            )
            .into()
        }
        mysql::Error::DriverError(DriverError::Timeout) => {
            return StoreError::Busy("the server did not answer in time".into()).into()
        }
        mysql::Error::IoError(io) => {
            return StoreError::Backend(format!("the connection to the server failed: {io}")).into()
        }
        mysql::Error::TlsError(tls) => {
            return StoreError::Backend(format!("the TLS set-up failed: {tls}")).into()
        }
        mysql::Error::DriverError(DriverError::TlsNotSupported) => {
            return StoreError::Backend(
                "the server does not offer TLS; use ssl-mode=preferred or disabled to connect \
                 without it"
                    .into(),
            )
            .into()
        }
        mysql::Error::CodecError(_) => {
            return StoreError::Backend(
                "the connection to the server failed (it closed the connection or sent \
                 something that is not MySQL)"
                    .into(),
            )
            .into()
        }
        _ => return StoreError::Backend(redact_quoted(&e.to_string())).into(),
    };
    let message = &server.message;
    let column = || name_after(message, "column ").unwrap_or_else(|| "?".into());
    let error = match server.code {
        1062 => StoreError::Conflict(format!(
            "a value collides with another row on unique key `{}`",
            name_after(message, "for key ").unwrap_or_else(|| "?".into())
        )),
        1406 => StoreError::Refused(format!("a value is too long for column `{}`", column())),
        1366 | 1300 => StoreError::Refused(format!(
            "a value has characters that column `{}` cannot hold (its character set); use a \
             utf8mb4 table",
            column()
        )),
        // A value compared with a column whose character set cannot hold it.
        1267 | 1271 => StoreError::Refused(
            "a value has characters that the table's character set cannot hold; use a utf8mb4 \
             table"
                .into(),
        ),
        1045 => StoreError::Backend(
            "access denied: check the user and password (TOKENSTORE_MYSQL_PASSWORD)".into(),
        ),
        1049 => StoreError::Backend("the database does not exist".into()),
        // ER_SECURE_TRANSPORT_REQUIRED (MySQL 3159, MariaDB 4188).
        3159 | 4188 => StoreError::Backend(
            "the server refuses connections without TLS (require_secure_transport); use \
             ssl-mode=required or verify-full"
                .into(),
        ),
        1205 | 1213 => StoreError::Busy("another transaction held the rows too long".into()),
        code => StoreError::Backend(format!("MySQL error {code}: {}", redact_quoted(message))),
    };
    error.into()
}

/// The identifier after `marker`, without quotes or a `db`.`table`. prefix.
fn name_after(message: &str, marker: &str) -> Option<String> {
    let rest = &message[message.find(marker)? + marker.len()..];
    let word = rest.split(" at row").next()?.trim();
    let last = word.rsplit('.').next()?;
    Some(last.trim_matches(['\'', '`', '"']).to_string())
}

/// Replaces every single-quoted part of a message with `'…'`.
fn redact_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut inside = false;
    for c in message.chars() {
        if c == '\'' {
            if !inside {
                out.push_str("'…'");
            }
            inside = !inside;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

impl MysqlConn {
    fn release_lock(&mut self) {
        if self.locked {
            let _ = self
                .conn
                .exec_drop("SELECT RELEASE_LOCK(?)", (&self.lock_name,));
            self.locked = false;
        }
    }
}

impl SqlConn for MysqlConn {
    fn dialect(&self) -> &'static Dialect {
        &DIALECT
    }

    fn query_tokens(
        &mut self,
        sql: &str,
        values: &[Option<&str>],
        visit: &mut dyn FnMut(Token) -> Result<()>,
    ) -> Result<()> {
        let rows = self
            .conn
            .exec_iter(sql, params(values))
            .map_err(backend_error)?;
        for row in rows {
            visit(token_from_row(row.map_err(backend_error)?)?)?;
        }
        Ok(())
    }

    fn query_column(&mut self, sql: &str, values: &[Option<&str>]) -> Result<Vec<Option<String>>> {
        self.conn.exec(sql, params(values)).map_err(backend_error)
    }

    fn execute(&mut self, sql: &str, values: &[Option<&str>]) -> Result<u64> {
        self.conn
            .exec_drop(sql, params(values))
            .map_err(backend_error)?;
        Ok(self.conn.affected_rows())
    }

    fn columns(&mut self, table: &str) -> Result<Vec<(String, String)>> {
        self.conn
            .exec(
                "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
                (&self.database, table),
            )
            .map_err(backend_error)
            .context("cannot read the table's columns")
    }

    fn begin(&mut self) -> Result<()> {
        let got: Option<Option<i64>> = self
            .conn
            .exec_first(
                "SELECT GET_LOCK(?, ?)",
                (&self.lock_name, LOCK_WAIT_SECONDS),
            )
            .map_err(backend_error)
            .context("cannot take the writer lock")?;
        if got.flatten() != Some(1) {
            return Err(StoreError::Busy(format!(
                "another tokenstore writer held the table for {LOCK_WAIT_SECONDS} s; try again"
            ))
            .into());
        }
        self.locked = true;
        if let Err(e) = self.conn.query_drop("START TRANSACTION") {
            self.release_lock();
            return Err(backend_error(e)).context("cannot start a transaction");
        }
        Ok(())
    }

    fn create_table(&mut self, statements: &[String]) -> Result<()> {
        // DDL commits the (still empty) transaction; start it again after.
        let (create, indexes) = statements.split_first().expect("a CREATE TABLE");
        self.conn.query_drop(create).map_err(backend_error)?;
        // Lookup indexes are best effort: an account without the INDEX
        // privilege still reads and writes (lookups scan; `info` says so).
        for index in indexes {
            let _ = self.conn.query_drop(index);
        }
        self.conn
            .query_drop("START TRANSACTION")
            .map_err(backend_error)
    }

    fn commit(&mut self, _keep_store: bool) -> Result<()> {
        let result = self.conn.query_drop("COMMIT").map_err(backend_error);
        if result.is_err() {
            let _ = self.conn.query_drop("ROLLBACK");
        }
        self.release_lock();
        result
    }

    fn rollback(&mut self, created_table: Option<&str>) -> Result<()> {
        let result = self.conn.query_drop("ROLLBACK").map_err(backend_error);
        if let Some(table) = created_table {
            // MySQL cannot roll DDL back. Drop the table this write made,
            // unless an application has written into it meanwhile: the
            // table lock waits for any transaction still writing it, so
            // the check sees every committed row.
            if self
                .conn
                .query_drop(format!("LOCK TABLES {table} WRITE"))
                .is_ok()
            {
                let any: Result<Option<i64>, _> = self
                    .conn
                    .query_first(format!("SELECT 1 FROM {table} LIMIT 1"));
                if matches!(any, Ok(None)) {
                    let _ = self.conn.query_drop(format!("DROP TABLE {table}"));
                }
                let _ = self.conn.query_drop("UNLOCK TABLES");
            }
        }
        self.release_lock();
        result
    }

    fn describe(&mut self, table: &str, details: &mut Details) -> Result<()> {
        let version: Option<String> = self
            .conn
            .query_first("SELECT VERSION()")
            .map_err(backend_error)?;
        details
            .facts
            .push(("server".into(), version.unwrap_or_default()));
        details
            .facts
            .push(("table".into(), format!("{}.{table}", self.database)));
        let cipher: Option<(String, String)> = self
            .conn
            .query_first("SHOW SESSION STATUS LIKE 'Ssl_version'")
            .map_err(backend_error)?;
        let version = cipher.map(|(_, v)| v).filter(|v| !v.is_empty());
        let mode = self.tls.name(Engine::Mysql);
        details.facts.push((
            "tls".into(),
            match &version {
                Some(version) => format!("encrypted ({version}, ssl-mode={mode})"),
                None => format!("not encrypted (ssl-mode={mode})"),
            },
        ));
        details
            .warnings
            .extend(super::tls::plain_connection_warning(
                version.is_some(),
                &self.host,
                "ssl-mode",
            ));
        Ok(())
    }

    fn indexes(&mut self, table: &str) -> Result<(Vec<String>, Vec<String>)> {
        let found: Vec<(String, String, i64)> = self
            .conn
            .exec(
                "SELECT INDEX_NAME, COLUMN_NAME, SEQ_IN_INDEX FROM information_schema.STATISTICS \
                 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                (&self.database, table),
            )
            .map_err(backend_error)
            .context("cannot read the table's indexes")?;
        let names = found
            .iter()
            .map(|(n, _, _)| n.to_ascii_lowercase())
            .collect();
        let leading = found
            .iter()
            .filter(|(_, _, seq)| *seq == 1)
            .map(|(_, c, _)| c.to_ascii_lowercase())
            .collect();
        Ok((names, leading))
    }

    fn identity(&mut self, table: &str) -> Result<String> {
        let found: Option<(String, i64)> = self
            .conn
            .query_first(
                "SELECT CONCAT(@@hostname, ':', @@port, ':', DATABASE()), \
                 @@lower_case_table_names",
            )
            .map_err(backend_error)?;
        let (server, lower_case) = found.unwrap_or_default();
        let (server, table) = if lower_case != 0 {
            (server.to_ascii_lowercase(), table.to_ascii_lowercase())
        } else {
            (server, table.to_string())
        };
        Ok(format!("mysql {server} table {table}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_messages_lose_their_values() {
        assert_eq!(
            name_after(
                "Duplicate entry '1000.rt.x' for key 'rt_unique'",
                "for key "
            ),
            Some("rt_unique".into())
        );
        assert_eq!(
            name_after(
                "Incorrect string value: '\\xF0\\x9F' for column `zohooauth`.`t`.`user_name` at row 1",
                "column "
            ),
            Some("user_name".into())
        );
        assert_eq!(
            redact_quoted("Duplicate entry 'secret-value' for key 'k'"),
            "Duplicate entry '…' for key '…'"
        );
    }
}
