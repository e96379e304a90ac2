//! SQL shared by the SQLite and MySQL backends: the SDK's table, and the
//! statements the upsert rules run. Every value is a bound parameter; only
//! the table name, checked to be `[A-Za-z0-9_]`, is spliced in.

use anyhow::{bail, Result};

use crate::token::{compare_ids, numeric_id, BestMatch, MatchKey, Token, FIELD_NAMES};

pub const COLUMNS: &str = "id, user_name, client_id, client_secret, refresh_token, \
     access_token, grant_token, expiry_time, redirect_url, api_domain";

/// The SDK's DDL, column for column (other programs `select *` by position).
pub fn create_table(table: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {table} (id varchar(10) NOT NULL, user_name varchar(255), \
         client_id varchar(255), client_secret varchar(255), refresh_token varchar(255), \
         access_token varchar(255), grant_token varchar(255), expiry_time varchar(20), \
         redirect_url varchar(255), api_domain varchar(255), primary key (id))"
    )
}

/// The columns `MatchKey` looks up; indexed so lookups do not scan.
pub const INDEXED_COLUMNS: [&str; 4] =
    ["user_name", "access_token", "refresh_token", "grant_token"];

pub fn index_name(table: &str, column: &str) -> String {
    format!("{table}_{column}_idx")
}

pub fn select_all(table: &str) -> String {
    format!("SELECT {COLUMNS} FROM {table}")
}

/// Rows per multi-row statement in bulk reads and writes.
pub const BATCH_ROWS: usize = 500;

/// Parameters: `count` ids.
pub fn select_ids(table: &str, count: usize) -> String {
    let marks = vec!["?"; count].join(", ");
    format!("SELECT {COLUMNS} FROM {table} WHERE id IN ({marks})")
}

pub fn select_where(table: &str, column: &str) -> String {
    format!("SELECT {COLUMNS} FROM {table} WHERE {column} = ?")
}

pub fn insert(table: &str) -> String {
    format!("INSERT INTO {table} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
}

/// Parameters: the nine fields after the id, then the id.
pub fn update(table: &str) -> String {
    let sets: Vec<String> = FIELD_NAMES[1..]
        .iter()
        .map(|c| format!("{c} = ?"))
        .collect();
    format!("UPDATE {table} SET {} WHERE id = ?", sets.join(", "))
}

pub fn delete_by_id(table: &str) -> String {
    format!("DELETE FROM {table} WHERE id = ?")
}

/// The parameters of [`update`]: fields 1..10, then the id.
pub fn update_params(token: &Token) -> Vec<Option<&str>> {
    let fields = token.fields();
    let mut params = fields[1..].to_vec();
    params.push(fields[0]);
    params
}

/// The first token (by the rules of [`BestMatch`]) of the rows that `key`'s
/// lookups returned. Rows are re-checked exactly: MySQL's default
/// collations compare case- and trailing-space-insensitively; the SDK
/// stores and this tool do not.
fn best_of(key: &MatchKey<'_>, mut rows: Vec<Token>) -> Option<Token> {
    let mut best = BestMatch::new(key);
    for (i, row) in rows.iter().enumerate() {
        best.offer(row.fields(), || i);
    }
    best.finish().map(|i| rows.swap_remove(i))
}

/// Runs `key`'s lookups in order through `select` (the rows whose column
/// holds a value) and returns the best match of the first lookup with one.
pub fn find_by_lookups(
    key: &MatchKey<'_>,
    mut select: impl FnMut(&str, &str) -> Result<Vec<Token>>,
) -> Result<Option<Token>> {
    for (field, value) in key.lookups() {
        let rows = select(FIELD_NAMES[field], value)?;
        if let Some(found) = best_of(key, rows) {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// Checks that a table's columns are the SDK's ten, in order.
pub fn check_columns(table: &str, columns: &[String]) -> Result<()> {
    let matches = columns.len() == FIELD_NAMES.len()
        && columns
            .iter()
            .zip(FIELD_NAMES)
            .all(|(have, want)| have.eq_ignore_ascii_case(want));
    if !matches {
        bail!(
            "table `{table}` has columns ({}), expected the SDK's ({})",
            columns.join(", "),
            FIELD_NAMES.join(", ")
        );
    }
    Ok(())
}

/// Streams rows that arrive ordered by their numeric id value, putting any
/// non-numeric ids last in string order, so the result is in id order.
pub struct IdOrder<'v> {
    visit: &'v mut dyn FnMut(Token) -> Result<()>,
    others: Vec<Token>,
}

impl<'v> IdOrder<'v> {
    pub fn new(visit: &'v mut dyn FnMut(Token) -> Result<()>) -> Self {
        IdOrder {
            visit,
            others: Vec::new(),
        }
    }

    pub fn push(&mut self, token: Token) -> Result<()> {
        if token.id.as_deref().and_then(numeric_id).is_some() {
            (self.visit)(token)
        } else {
            self.others.push(token);
            Ok(())
        }
    }

    pub fn finish(mut self) -> Result<()> {
        self.others
            .sort_by(|a, b| compare_ids(a.id.as_deref(), b.id.as_deref()));
        self.others.into_iter().try_for_each(self.visit)
    }
}
