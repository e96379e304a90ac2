//! The one SQL engine behind every database backend. A backend is a thin
//! [`SqlConn`] adapter (run a statement, begin/commit/roll back under its
//! writer lock, describe itself) plus a [`Dialect`] (placeholders, exact
//! comparison, row locks, the numeric maximum id, types and DDL). The
//! TokenStore and WriteTx logic — lookups, the SDK's two table layouts,
//! lazy table creation, exact comparison — lives here once.
//!
//! Every value is a bound parameter; only the validated table name (and
//! the column names found in the table) are spliced into SQL.

use std::collections::HashSet;

use anyhow::{Context, Result};

use super::{Details, IndexPlan, StoreError, TokenStore, WriteTx};
use crate::field::{Field, FIELD_NAMES};
use crate::token::{
    compare_ids, next_id_after, numeric_digits, BestMatch, MatchKey, NumericMax, Token,
};

/// What differs between SQL engines.
pub(crate) struct Dialect {
    /// The `n`-th (1-based) parameter marker.
    pub placeholder: fn(usize) -> String,
    /// How many times [`Dialect::exact_eq`] uses the value.
    pub exact_eq_params: usize,
    /// A condition: `column` equals the parameters that follow `first`
    /// exactly (case and trailing spaces count), whatever the collation.
    pub exact_eq: fn(column: &str, first: usize) -> String,
    /// Appended to reads inside a write, so rows read stay as read.
    pub lock_rows: &'static str,
    /// Rows per multi-row INSERT.
    pub rows_per_insert: usize,
    /// A query for the largest all-digit id that can use an index, exact
    /// up to 18 digits; `None` when the engine has no such index.
    pub fast_max_id: Option<fn(table: &str, id: &str) -> String>,
    /// A query for the largest all-digit id of any length.
    pub exact_max_id: fn(table: &str, id: &str) -> String,
    /// An ORDER BY clause that sorts ids of up to 18 digits by value
    /// (cheaply, through an index where there is one); the engine puts
    /// longer and non-numeric ids in place itself.
    pub id_order: fn(id: &str) -> String,
    /// Whether a declared column type keeps text as text (so `01` stays
    /// `01` and never equals `1`).
    pub is_text_type: fn(&str) -> bool,
    /// Appended to CREATE TABLE.
    pub create_suffix: &'static str,
    /// Extra indexes tokenstore wants beyond the lookup columns.
    pub extra_indexes: fn(table: &str) -> Vec<ExtraIndex>,
    /// Whether a table a write creates gets its indexes after its rows, in
    /// the same transaction (one build over the loaded rows); DDL must be
    /// transactional, and an index that fails fails the write.
    pub indexes_after_load: bool,
    /// The statement that builds an index on an existing table, online
    /// (without blocking the application's writes) where the engine can.
    pub create_index: fn(table: &str, name: &str, indexed: &str) -> String,
    /// A query for the number of rows, as text.
    pub count_as_text: fn(table: &str) -> String,
}

/// An index a dialect wants besides those on the lookup columns.
pub(crate) struct ExtraIndex {
    pub name: String,
    /// What it indexes (an expression), and that in words.
    pub indexed: &'static str,
    pub on: &'static str,
    pub serves: &'static str,
}

/// The database operations a backend provides; the engine does the rest.
pub(crate) trait SqlConn: Send {
    fn dialect(&self) -> &'static Dialect;
    /// Runs a query whose rows are ten text columns, in field order.
    fn query_tokens(
        &mut self,
        sql: &str,
        params: &[Option<&str>],
        visit: &mut dyn FnMut(Token) -> Result<()>,
    ) -> Result<()>;
    /// Runs a query of one text column.
    fn query_column(&mut self, sql: &str, params: &[Option<&str>]) -> Result<Vec<Option<String>>>;
    /// Runs a statement; returns the rows it affected.
    fn execute(&mut self, sql: &str, params: &[Option<&str>]) -> Result<u64>;
    /// The table's (column name, declared type), in order; empty when the
    /// table (or the database file) does not exist.
    fn columns(&mut self, table: &str) -> Result<Vec<(String, String)>>;
    /// Starts a write transaction holding the writer lock.
    fn begin(&mut self) -> Result<()>;
    /// Creates the table (and its indexes) inside the write.
    fn create_table(&mut self, statements: &[String]) -> Result<()>;
    /// Commits and releases the writer lock. `keep_store`: false when the
    /// write left no table behind (a database file it created goes again).
    fn commit(&mut self, keep_store: bool) -> Result<()>;
    /// Rolls back and releases the writer lock; drops `created_table`
    /// where DDL is not transactional, and removes what the write created.
    fn rollback(&mut self, created_table: Option<&str>) -> Result<()>;
    /// Backend facts for `info` (file, server, warnings).
    fn describe(&mut self, table: &str, details: &mut Details) -> Result<()>;
    /// The names of the table's indexes and the columns they start with
    /// (lower case): an index the application made under its own name
    /// serves lookups too.
    fn indexes(&mut self, table: &str) -> Result<(Vec<String>, Vec<String>)>;
    /// The table's identity: the database's (file inode, server) and the
    /// table's name as the engine compares it (SQLite, and MySQL with
    /// `lower_case_table_names`, ignore the case of table names).
    fn identity(&mut self, table: &str) -> Result<String>;
}

/// The two table layouts the SDKs use: 5.x–8.x (ten columns, `user_name`)
/// and 2.x (nine columns, `user_mail`, no `api_domain`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Schema {
    table: String,
    /// The column of each field, `None` where the layout has none.
    columns: [Option<String>; 10],
}

impl Schema {
    /// The layout tokenstore creates (the SDK's 5.x–8.x DDL).
    fn standard(table: &str) -> Schema {
        Schema {
            table: table.to_string(),
            columns: FIELD_NAMES.map(|n| Some(n.to_string())),
        }
    }

    /// Recognises one of the SDK layouts in a table's columns.
    fn recognise(
        table: &str,
        found: &[(String, String)],
        dialect: &Dialect,
    ) -> Result<Schema, StoreError> {
        let names: Vec<String> = found.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
        let legacy: Vec<&str> = {
            let mut l = FIELD_NAMES[..9].to_vec();
            l[1] = "user_mail";
            l
        };
        let mut columns: [Option<String>; 10] = Default::default();
        if names == FIELD_NAMES || names == legacy {
            for (slot, (name, _)) in columns.iter_mut().zip(found) {
                *slot = Some(name.clone());
            }
        } else {
            return Err(StoreError::WrongSchema(format!(
                "table `{table}` has columns ({}), expected the SDK's ({}) or the 2.x SDK's ({})",
                names.join(", "),
                FIELD_NAMES.join(", "),
                legacy.join(", ")
            )));
        }
        let id_type = &found[0].1;
        if !(dialect.is_text_type)(id_type) {
            return Err(StoreError::WrongSchema(format!(
                "table `{table}` has an id column of type {id_type}; the SDKs keep ids as text \
                 (varchar), and a numeric column would make `01` the same id as `1`"
            )));
        }
        Ok(Schema {
            table: table.to_string(),
            columns,
        })
    }

    fn column(&self, field: Field) -> Option<&str> {
        self.columns[field.index()].as_deref()
    }

    fn id(&self) -> &str {
        self.column(Field::Id).expect("every layout has an id")
    }

    /// A label for `info`.
    fn layout_name(&self) -> &'static str {
        if self.column(Field::ApiDomain).is_some() {
            "SDK 5.x-8.x (10 columns, user_name)"
        } else {
            "SDK 2.x (9 columns, user_mail, no api_domain)"
        }
    }

    /// The ten values read, in field order (NULL where the layout lacks one).
    fn select_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.as_deref().unwrap_or("NULL"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn select(&self) -> String {
        format!("SELECT {} FROM {}", self.select_list(), self.table)
    }

    /// The fields this layout stores, with their columns.
    fn stored(&self) -> impl Iterator<Item = (Field, &str)> {
        Field::ALL
            .into_iter()
            .filter_map(|f| Some((f, self.column(f)?)))
    }

    /// Refuses a token with a value this layout has no column for.
    fn check_fits(&self, token: &Token) -> Result<()> {
        if self.column(Field::ApiDomain).is_none() && token.api_domain.is_some() {
            return Err(StoreError::Refused(format!(
                "token {} has an api_domain, which the 2.x SDK table `{}` has no column for; \
                 nothing was written",
                token.id.as_deref().unwrap_or_default(),
                self.table
            ))
            .into());
        }
        Ok(())
    }
}

/// The SDK's DDL, column for column (other programs `select *` by
/// position), and the lookup indexes for a table tokenstore creates.
fn create_statements(table: &str, dialect: &Dialect) -> Vec<String> {
    let mut statements = vec![format!(
        "CREATE TABLE {table} (id varchar(10) NOT NULL, user_name varchar(255), \
         client_id varchar(255), client_secret varchar(255), refresh_token varchar(255), \
         access_token varchar(255), grant_token varchar(255), expiry_time varchar(20), \
         redirect_url varchar(255), api_domain varchar(255), primary key (id)){}",
        dialect.create_suffix
    )];
    for index in wanted_indexes(&Schema::standard(table), dialect) {
        statements.push(format!(
            "CREATE INDEX {} ON {table} ({})",
            index.name, index.indexed
        ));
    }
    statements
}

/// The indexes tokenstore's lookups use on a table of this layout.
fn wanted_indexes(schema: &Schema, dialect: &Dialect) -> Vec<IndexPlan> {
    let table = &schema.table;
    let mut wanted: Vec<IndexPlan> = schema
        .stored()
        .filter(|(f, _)| f.is_lookup_key() && *f != Field::Id)
        .map(|(field, column)| IndexPlan {
            name: index_name(table, column),
            indexed: column.to_string(),
            on: column.to_string(),
            serves: format!("finding and saving by {}", field.name()),
            statement: (dialect.create_index)(table, &index_name(table, column), column),
        })
        .collect();
    for extra in (dialect.extra_indexes)(table) {
        wanted.push(IndexPlan {
            statement: (dialect.create_index)(table, &extra.name, extra.indexed),
            name: extra.name,
            indexed: extra.indexed.to_string(),
            on: extra.on.to_string(),
            serves: extra.serves.to_string(),
        });
    }
    wanted
}

pub(crate) fn index_name(table: &str, column: &str) -> String {
    format!("{table}_{column}_idx")
}

/// Builds a statement's parameter list alongside its text.
struct Params<'a> {
    dialect: &'static Dialect,
    values: Vec<Option<&'a str>>,
}

impl<'a> Params<'a> {
    fn new(dialect: &'static Dialect) -> Self {
        Params {
            dialect,
            values: Vec::new(),
        }
    }

    fn bind(&mut self, value: Option<&'a str>) -> String {
        self.values.push(value);
        (self.dialect.placeholder)(self.values.len())
    }

    fn exact_eq(&mut self, column: &str, value: &'a str) -> String {
        let first = self.values.len() + 1;
        for _ in 0..self.dialect.exact_eq_params {
            self.values.push(Some(value));
        }
        (self.dialect.exact_eq)(column, first)
    }
}

/// The token `key` selects among rows read through `conn`. Rows are
/// re-checked exactly by [`BestMatch`] whatever the database compared.
fn find_in(
    conn: &mut dyn SqlConn,
    schema: &Schema,
    key: &MatchKey<'_>,
    lock: bool,
) -> Result<Option<Token>> {
    let dialect = conn.dialect();
    for (field, value) in key.lookups() {
        let Some(column) = schema.column(field) else {
            continue;
        };
        let mut params = Params::new(dialect);
        let condition = params.exact_eq(column, value);
        let sql = format!(
            "{} WHERE {condition}{}",
            schema.select(),
            if lock { dialect.lock_rows } else { "" }
        );
        let mut best = BestMatch::new(key);
        conn.query_tokens(&sql, &params.values, &mut |t| {
            best.offer(t.fields(), || t.clone());
            Ok(())
        })?;
        if let Some(found) = best.finish() {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// A store kept in one table of a SQL database.
pub(crate) struct SqlStore<C: SqlConn> {
    conn: C,
    table: String,
    /// The table's layout once seen; reads of a missing table are empty.
    schema: Option<Schema>,
}

impl<C: SqlConn> SqlStore<C> {
    pub fn with_conn(conn: C, table: String) -> Self {
        SqlStore {
            conn,
            table,
            schema: None,
        }
    }

    /// The table's layout, or `None` when there is no table to read.
    fn schema(&mut self) -> Result<Option<Schema>> {
        if self.schema.is_none() {
            let found = self.conn.columns(&self.table)?;
            if !found.is_empty() {
                self.schema = Some(Schema::recognise(&self.table, &found, self.conn.dialect())?);
            }
        }
        Ok(self.schema.clone())
    }
}

impl<C: SqlConn> SqlStore<C> {
    /// The wanted indexes the table lacks (none while there is no table:
    /// tokenstore creates them with it).
    fn lacking_indexes(&mut self) -> Result<Vec<IndexPlan>> {
        let Some(schema) = self.schema()? else {
            return Ok(Vec::new());
        };
        let (names, leading) = self.conn.indexes(&schema.table)?;
        Ok(wanted_indexes(&schema, self.conn.dialect())
            .into_iter()
            .filter(|index| {
                !names.iter().any(|n| n.eq_ignore_ascii_case(&index.name))
                    && !leading
                        .iter()
                        .any(|c| c.eq_ignore_ascii_case(&index.indexed))
            })
            .collect())
    }
}

impl<C: SqlConn> TokenStore for SqlStore<C> {
    fn scan(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        let Some(schema) = self.schema()? else {
            return Ok(());
        };
        self.conn.query_tokens(&schema.select(), &[], visit)
    }

    fn scan_in_id_order(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        let Some(schema) = self.schema()? else {
            return Ok(());
        };
        let order = (self.conn.dialect().id_order)(schema.id());
        let sql = format!("{} ORDER BY {order}", schema.select());
        // Ids the database cannot order by value (non-numeric, or past 18
        // digits) sort after all the others: hold them back, sort, append.
        let mut held = Vec::new();
        self.conn.query_tokens(&sql, &[], &mut |t| {
            let small_number =
                t.id.as_deref()
                    .and_then(numeric_digits)
                    .is_some_and(|d| d.len() <= 18);
            if small_number {
                visit(t)
            } else {
                held.push(t);
                Ok(())
            }
        })?;
        held.sort_by(|a, b| compare_ids(a.id.as_deref(), b.id.as_deref()));
        held.into_iter().try_for_each(visit)
    }

    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        let Some(schema) = self.schema()? else {
            return Ok(None);
        };
        find_in(&mut self.conn, &schema, key, false)
    }

    fn begin_write(&mut self) -> Result<Box<dyn WriteTx + '_>> {
        self.conn.begin()?;
        // The layout is read again under the lock: another writer may have
        // created the table meanwhile.
        self.schema = None;
        let schema = match self.schema() {
            Ok(schema) => schema,
            Err(e) => {
                let _ = self.conn.rollback(None);
                return Err(e);
            }
        };
        Ok(Box::new(SqlTx {
            conn: &mut self.conn,
            table: self.table.clone(),
            schema,
            created: false,
            pending_indexes: Vec::new(),
            ended: false,
        }))
    }

    fn exists(&mut self) -> Result<bool> {
        Ok(self.schema()?.is_some())
    }

    fn size_hint(&mut self) -> Result<Option<u64>> {
        let Some(schema) = self.schema()? else {
            return Ok(Some(0));
        };
        let sql = (self.conn.dialect().count_as_text)(&schema.table);
        let count = self.conn.query_column(&sql, &[])?;
        Ok(count
            .first()
            .cloned()
            .flatten()
            .and_then(|n| n.parse().ok()))
    }

    fn describe(&mut self) -> Result<Details> {
        let mut details = Details::default();
        self.conn.describe(&self.table, &mut details)?;
        let found = self.conn.columns(&self.table)?;
        if found.is_empty() {
            details.facts.push((
                "layout".into(),
                "no table yet (created on the first save)".into(),
            ));
        } else if let Ok(schema) = Schema::recognise(&self.table, &found, self.conn.dialect()) {
            details
                .facts
                .push(("layout".into(), schema.layout_name().into()));
            let lacking = self.lacking_indexes()?;
            if !lacking.is_empty() {
                // "finding and saving by a", "… by b" -> "… by a, b".
                let by = "finding and saving by ";
                let fields: Vec<&str> = lacking
                    .iter()
                    .filter_map(|i| i.serves.strip_prefix(by))
                    .collect();
                let mut what: Vec<String> = Vec::new();
                if !fields.is_empty() {
                    what.push(format!("{by}{}", fields.join(", ")));
                }
                what.extend(
                    lacking
                        .iter()
                        .filter(|i| !i.serves.starts_with(by))
                        .map(|i| i.serves.clone()),
                );
                details.warnings.push(format!(
                    "no index for {}: each reads the whole table; `tokenstore index` builds the \
                     indexes (tokenstore adds them only to tables it creates)",
                    what.join("; ")
                ));
            }
        }
        Ok(details)
    }

    fn missing_indexes(&mut self) -> Result<Option<Vec<IndexPlan>>> {
        self.lacking_indexes().map(Some)
    }

    fn build_index(&mut self, index: &IndexPlan) -> Result<()> {
        self.conn.execute(&index.statement, &[])?;
        Ok(())
    }

    fn identity(&mut self) -> Result<Option<String>> {
        Ok(Some(self.conn.identity(&self.table)?))
    }
}

/// One write transaction on a SQL table, under the backend's writer lock.
struct SqlTx<'c> {
    conn: &'c mut dyn SqlConn,
    table: String,
    /// `None` until the table exists (it is created at the first insert).
    schema: Option<Schema>,
    /// Whether this transaction created the table.
    created: bool,
    /// The indexes of a table this transaction created, where DDL is
    /// transactional: built when a lookup first needs them, or at commit
    /// (one build over the loaded rows costs less than keeping them up
    /// while loading).
    pending_indexes: Vec<String>,
    ended: bool,
}

impl SqlTx<'_> {
    fn dialect(&self) -> &'static Dialect {
        self.conn.dialect()
    }

    fn create_table(&mut self) -> Result<Schema> {
        if let Some(schema) = &self.schema {
            return Ok(schema.clone());
        }
        let mut statements = create_statements(&self.table, self.dialect());
        if self.dialect().indexes_after_load {
            self.pending_indexes = statements.split_off(1);
        }
        // Set first: a failure half-way must still undo what was made.
        self.created = true;
        self.conn
            .create_table(&statements)
            .context("cannot create the table")?;
        let schema = Schema::standard(&self.table);
        self.schema = Some(schema.clone());
        Ok(schema)
    }

    fn build_pending_indexes(&mut self) -> Result<()> {
        for statement in std::mem::take(&mut self.pending_indexes) {
            self.conn
                .execute(&statement, &[])
                .context("cannot index the new table")?;
        }
        Ok(())
    }

    fn end(&mut self) {
        self.ended = true;
    }
}

impl WriteTx for SqlTx<'_> {
    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        let Some(schema) = self.schema.clone() else {
            return Ok(None);
        };
        if !matches!(key, MatchKey::Id(_)) {
            self.build_pending_indexes()?;
        }
        find_in(self.conn, &schema, key, true)
    }

    fn began_empty(&self) -> bool {
        self.created
    }

    fn get(&mut self, ids: &[String]) -> Result<Vec<Token>> {
        let Some(schema) = self.schema.clone() else {
            return Ok(Vec::new());
        };
        let dialect = self.dialect();
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let mut found = Vec::new();
        for batch in ids.chunks(500) {
            let mut params = Params::new(dialect);
            let marks: Vec<String> = batch.iter().map(|id| params.bind(Some(id))).collect();
            let sql = format!(
                "{} WHERE {} IN ({}){}",
                schema.select(),
                schema.id(),
                marks.join(", "),
                dialect.lock_rows
            );
            // IN compares by the column's collation; keep exact matches only.
            self.conn.query_tokens(&sql, &params.values, &mut |t| {
                if t.id.as_deref().is_some_and(|id| wanted.contains(id)) {
                    found.push(t);
                }
                Ok(())
            })?;
        }
        Ok(found)
    }

    fn scan(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        let Some(schema) = self.schema.clone() else {
            return Ok(());
        };
        let sql = format!("{}{}", schema.select(), self.dialect().lock_rows);
        self.conn.query_tokens(&sql, &[], visit)
    }

    fn insert(&mut self, tokens: &[Token]) -> Result<()> {
        if tokens.is_empty() {
            return Ok(());
        }
        let schema = self.create_table()?;
        let dialect = self.dialect();
        let columns: Vec<(Field, &str)> = schema.stored().collect();
        let column_list = columns
            .iter()
            .map(|(_, c)| *c)
            .collect::<Vec<_>>()
            .join(", ");
        for batch in tokens.chunks(dialect.rows_per_insert) {
            let mut params = Params::new(dialect);
            let mut rows = Vec::with_capacity(batch.len());
            for token in batch {
                schema.check_fits(token)?;
                let fields = token.sql_fields();
                let marks: Vec<String> = columns
                    .iter()
                    .map(|(f, _)| params.bind(fields[f.index()]))
                    .collect();
                rows.push(format!("({})", marks.join(", ")));
            }
            let sql = format!(
                "INSERT INTO {} ({column_list}) VALUES {}",
                schema.table,
                rows.join(", ")
            );
            self.conn.execute(&sql, &params.values).with_context(|| {
                let ids: Vec<&str> = batch.iter().filter_map(|t| t.id.as_deref()).collect();
                match ids.as_slice() {
                    [one] => format!("cannot add token {one}"),
                    _ => format!("cannot add tokens {} to {}", ids[0], ids[ids.len() - 1]),
                }
            })?;
        }
        Ok(())
    }

    fn update(&mut self, token: &Token) -> Result<()> {
        let Some(schema) = self.schema.clone() else {
            return Err(StoreError::Conflict("no table to update".into()).into());
        };
        schema.check_fits(token)?;
        let id = token.id.as_deref().unwrap_or_default();
        let fields = token.sql_fields();
        let mut params = Params::new(self.dialect());
        let sets: Vec<String> = schema
            .stored()
            .filter(|(f, _)| *f != Field::Id)
            .map(|(f, column)| format!("{column} = {}", params.bind(fields[f.index()])))
            .collect();
        let condition = params.exact_eq(schema.id(), id);
        let sql = format!(
            "UPDATE {} SET {} WHERE {condition}",
            schema.table,
            sets.join(", ")
        );
        self.conn
            .execute(&sql, &params.values)
            .with_context(|| format!("cannot update token {id}"))?;
        Ok(())
    }

    fn remove(&mut self, id: &str) -> Result<bool> {
        let Some(schema) = self.schema.clone() else {
            return Ok(false);
        };
        let mut params = Params::new(self.dialect());
        let condition = params.exact_eq(schema.id(), id);
        let sql = format!("DELETE FROM {} WHERE {condition}", schema.table);
        let n = self
            .conn
            .execute(&sql, &params.values)
            .with_context(|| format!("cannot delete token {id}"))?;
        Ok(n > 0)
    }

    fn remove_all(&mut self) -> Result<usize> {
        let Some(schema) = self.schema.clone() else {
            return Ok(0);
        };
        let n = self
            .conn
            .execute(&format!("DELETE FROM {}", schema.table), &[])?;
        Ok(n as usize)
    }

    fn next_id(&mut self) -> Result<String> {
        let Some(schema) = self.schema.clone() else {
            return next_id_after(&NumericMax::default());
        };
        self.build_pending_indexes()?;
        let dialect = self.dialect();
        let mut max = NumericMax::default();
        if let Some(fast) = dialect.fast_max_id {
            let top = self
                .conn
                .query_column(&fast(&schema.table, schema.id()), &[])?;
            let top = top.into_iter().flatten().next();
            // Exact while the id fits the engine's 64-bit integers.
            if top
                .as_deref()
                .is_none_or(|id| id.trim_start_matches('0').len() <= 18)
            {
                max.offer(top.as_deref());
                return next_id_after(&max);
            }
        }
        let top = self
            .conn
            .query_column(&(dialect.exact_max_id)(&schema.table, schema.id()), &[])?;
        max.offer(top.into_iter().flatten().next().as_deref());
        next_id_after(&max)
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        if let Err(e) = self.build_pending_indexes() {
            self.end();
            let _ = self.conn.rollback(Some(&self.table));
            return Err(e);
        }
        self.end();
        let keep = self.schema.is_some();
        self.conn.commit(keep).context("cannot commit")
    }

    fn abort(mut self: Box<Self>) -> Result<()> {
        self.end();
        let created = self.created.then(|| self.table.clone());
        self.conn.rollback(created.as_deref())
    }
}

impl Drop for SqlTx<'_> {
    fn drop(&mut self) {
        if !self.ended {
            let created = self.created.then(|| self.table.clone());
            let _ = self.conn.rollback(created.as_deref());
        }
    }
}
