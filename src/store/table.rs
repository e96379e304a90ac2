//! An in-memory table of tokens, and the one write transaction that the
//! memory and file stores share: changes go to a working copy of the
//! table, and `commit` hands the copy to the store (swapped in, or written
//! to the file atomically); `abort` drops it.
//!
//! Rows are stored compactly (one allocation a row, not ten): a file store
//! reads and rewrites every row on each save, and most rows are only
//! carried through. A few lookups scan the rows; hashing every row costs
//! more than that for the one lookup of a single `save`. Past a few
//! lookups (a bulk save) the table builds hash indexes, so bulk saves stay
//! linear.

use std::sync::Arc;

use anyhow::Result;

use super::{StoreError, WriteTx};
use crate::field::Field;
use crate::token::{compare_ids, next_id_after, BestMatch, MatchKey, NumericMax, Token};

/// Lookups answered by scanning before the table builds its indexes.
const SCANS_BEFORE_INDEXING: u32 = 4;

/// A token's ten fields in one buffer, a separator byte apart (so a line
/// of a plain file is a row as it is); an empty field is absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    text: RowText,
    /// Where each field ends in `text`; field `i` starts one byte after
    /// field `i - 1` ends (or where it ends, for fields a row lacks).
    ends: [u32; 10],
    /// Where the row's line lies in the file it was read from (offset,
    /// length), when a plain reader read it: an unchanged row is written
    /// back as those bytes. `None` for a row made or changed here.
    source: Option<(u64, u32)>,
}

/// A row's text: its own, or a line of the file it was read from, which
/// the file's rows share (a file save reads every row and changes few).
#[derive(Clone, Debug)]
enum RowText {
    Own(Box<str>),
    InFile {
        file: Arc<String>,
        start: usize,
        len: u32,
    },
}

impl RowText {
    fn as_str(&self) -> &str {
        match self {
            RowText::Own(text) => text,
            RowText::InFile { file, start, len } => &file[*start..*start + *len as usize],
        }
    }
}

impl PartialEq for RowText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RowText {}

/// Where each field ends when fields of these lengths are joined by one
/// separator byte, and where the last given one ends.
fn field_ends(lengths: impl Iterator<Item = usize>) -> Option<([u32; 10], usize)> {
    let mut ends = [0u32; 10];
    let mut end = 0usize;
    let mut given = 0;
    for (slot, len) in ends.iter_mut().zip(lengths) {
        end += usize::from(given > 0) + len;
        *slot = u32::try_from(end).ok()?;
        given += 1;
    }
    // Fields not given (a 9-column file has no api_domain) are empty.
    ends[given..].fill(u32::try_from(end).ok()?);
    Some((ends, end))
}

impl Row {
    /// A row from up to ten field values in store order (absent as empty).
    pub fn new(fields: &[&str]) -> Row {
        Row::with_extra(fields, "")
    }

    /// A row read from a Node.js/TypeScript file that had more fields
    /// than columns: `extra` (from the comma after the last column on) is
    /// kept, so the line is written back as it was unless the token changes.
    pub fn with_extra(fields: &[&str], extra: &str) -> Row {
        let (ends, _) = field_ends(fields.iter().map(|f| f.len())).expect("a token under 4 GiB");
        let mut text = fields.join(",");
        text.push_str(extra);
        Row {
            text: RowText::Own(text.into_boxed_str()),
            ends,
            source: None,
        }
    }

    /// A row that is line `start..start + len` of `file`, when that line is
    /// exactly `fields` joined by commas, then `extra`.
    pub fn in_file(
        file: &Arc<String>,
        (start, len): (u64, u32),
        fields: &[&str],
        extra: &str,
    ) -> Option<Row> {
        let start = usize::try_from(start).ok()?;
        let (ends, end) = field_ends(fields.iter().map(|f| f.len()))?;
        let line = file.get(start..start + len as usize)?;
        if end + extra.len() != line.len() {
            return None; // the reader changed a value (Scala's `null`)
        }
        debug_assert_eq!(line, format!("{}{extra}", fields.join(",")));
        Some(Row {
            text: RowText::InFile {
                file: Arc::clone(file),
                start,
                len,
            },
            ends,
            source: Some((start as u64, len)),
        })
    }

    /// See [`Row::source`].
    pub fn source(&self) -> Option<(u64, u32)> {
        self.source
    }

    /// What [`Row::with_extra`] kept beyond the last column.
    pub fn extra(&self) -> &str {
        &self.text.as_str()[self.ends[9] as usize..]
    }

    pub fn from_token(token: &Token) -> Row {
        Row::new(&token.fields_or_empty())
    }

    pub fn fields_or_empty(&self) -> [&str; 10] {
        let text = self.text.as_str();
        let mut start = 0;
        self.ends.map(|end| {
            let field = &text[start.min(end) as usize..end as usize];
            start = end + 1;
            field
        })
    }

    pub fn fields(&self) -> [Option<&str>; 10] {
        self.fields_or_empty().map(|f| (!f.is_empty()).then_some(f))
    }

    pub fn id(&self) -> Option<&str> {
        self.fields()[0]
    }

    pub fn to_token(&self) -> Token {
        RowRef {
            fields: &self.fields_or_empty(),
            extra: self.extra(),
            source: None,
        }
        .to_token()
    }
}

/// A row as a reader sees it, borrowed from its buffer: up to ten fields
/// (fewer in a 9-column file) and what a JavaScript-family line held past
/// its last column. Readers that keep rows turn it into a [`Row`].
#[derive(Clone, Copy)]
pub(crate) struct RowRef<'a> {
    pub fields: &'a [&'a str],
    pub extra: &'a str,
    /// See [`Row::source`].
    pub source: Option<(u64, u32)>,
}

impl<'a> RowRef<'a> {
    pub fn to_row(self) -> Row {
        Row {
            source: self.source,
            ..Row::with_extra(self.fields, self.extra)
        }
    }

    /// The row, sharing its text with `file` (the file it was read from)
    /// where its line holds the fields as they are.
    pub fn to_row_in(self, file: &Arc<String>) -> Row {
        self.source
            .and_then(|source| Row::in_file(file, source, self.fields, self.extra))
            .unwrap_or_else(|| self.to_row())
    }

    /// The fields in store order; empty and missing ones absent.
    pub fn fields(self) -> [Option<&'a str>; 10] {
        let mut out = [None; 10];
        for (slot, field) in out.iter_mut().zip(self.fields) {
            *slot = (!field.is_empty()).then_some(*field);
        }
        out
    }

    pub fn to_token(self) -> Token {
        let mut fields: [Option<String>; 10] = Default::default();
        for (slot, value) in fields.iter_mut().zip(
            self.fields
                .iter()
                .copied()
                .chain(std::iter::repeat(""))
                .take(10),
        ) {
            *slot = Some(value.to_string());
        }
        let mut token = Token::from_fields(fields);
        if !self.extra.is_empty() {
            token.marks.mark_shifted();
        }
        token
    }
}

/// For each lookup field: value -> rows holding it. Keyed by a hash of the
/// field and value, so building it copies no values: every caller
/// compares the rows it gets back with what it looks for. A field is
/// indexed when a lookup first uses it (a bulk save by id needs only ids).
#[derive(Default)]
struct Index {
    by_field: rustc_hash::FxHashMap<u64, Slots>,
    /// Which fields are indexed, one bit each.
    indexed: u16,
}

/// The rows under one key: nearly always one, so without a Vec.
enum Slots {
    One(usize),
    Many(Vec<usize>),
}

fn index_key(field: Field, value: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = rustc_hash::FxHasher::default();
    (field as u8).hash(&mut hasher);
    value.hash(&mut hasher);
    hasher.finish()
}

impl Index {
    fn is_indexed(&self, field: Field) -> bool {
        self.indexed & (1 << field.index()) != 0
    }

    /// Indexes `field` over every row, unless it already is.
    fn cover(&mut self, field: Field, rows: &[Option<Row>]) {
        if self.is_indexed(field) {
            return;
        }
        for (i, row) in rows.iter().enumerate() {
            if let Some(value) = row.as_ref().and_then(|r| r.fields()[field.index()]) {
                self.add_value(i, field, value);
            }
        }
        self.indexed |= 1 << field.index();
    }

    /// Adds row `i` under each field already indexed.
    fn add(&mut self, i: usize, row: &Row) {
        let fields = row.fields();
        for field in Field::ALL {
            if let Some(v) = fields[field.index()].filter(|_| self.is_indexed(field)) {
                self.add_value(i, field, v);
            }
        }
    }

    fn add_value(&mut self, i: usize, field: Field, v: &str) {
        use std::collections::hash_map::Entry;
        match self.by_field.entry(index_key(field, v)) {
            Entry::Vacant(e) => {
                e.insert(Slots::One(i));
            }
            Entry::Occupied(mut e) => {
                let slots = e.get_mut();
                match slots {
                    Slots::One(first) => *slots = Slots::Many(vec![*first, i]),
                    Slots::Many(all) => all.push(i),
                }
            }
        }
    }

    /// Rows that may hold `value` in `field` (a hash match: check them).
    fn rows_with(&self, field: Field, value: &str) -> &[usize] {
        match self.by_field.get(&index_key(field, value)) {
            Some(Slots::One(i)) => std::slice::from_ref(i),
            Some(Slots::Many(all)) => all,
            None => &[],
        }
    }
}

/// Rows in the order they were read or inserted (a file keeps its row
/// order); a removed row leaves a hole until the table is written.
#[derive(Default)]
pub(crate) struct TokenTable {
    rows: Vec<Option<Row>>,
    index: Option<Index>,
    scans: u32,
    max_numeric_id: NumericMax,
    /// The row the last lookup found (rows never move inside a write).
    last_found: Option<usize>,
}

impl TokenTable {
    pub fn from_rows(rows: Vec<Row>) -> TokenTable {
        let mut max_numeric_id = NumericMax::default();
        for row in &rows {
            max_numeric_id.offer(row.id());
        }
        TokenTable {
            rows: rows.into_iter().map(Some).collect(),
            index: None,
            scans: 0,
            max_numeric_id,
            last_found: None,
        }
    }

    /// The live rows in table order.
    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.rows.iter().flatten()
    }

    pub fn into_rows(self) -> Vec<Row> {
        self.rows.into_iter().flatten().collect()
    }

    /// How many slots the table has (live rows and holes).
    pub fn slots(&self) -> usize {
        self.rows.len()
    }

    /// Sorts the rows from slot `start` on into id order (rows added by a
    /// write, so a new file comes out in id order whatever the source's).
    pub fn sort_from(&mut self, start: usize) {
        if start < self.rows.len() {
            self.rows[start..].sort_by(|a, b| {
                compare_ids(a.as_ref().and_then(Row::id), b.as_ref().and_then(Row::id))
            });
            self.index = None;
            self.scans = 0;
            self.last_found = None;
        }
    }

    /// The row `key` selects, by the rules of [`BestMatch`]; among rows
    /// with equal ids the first in table order (as the SDKs read them).
    fn position(&mut self, key: &MatchKey<'_>) -> Option<usize> {
        let mut best = BestMatch::new(key);
        if self.index.is_none() && self.scans < SCANS_BEFORE_INDEXING {
            self.scans += 1;
            for (i, row) in self.rows.iter().enumerate() {
                if let Some(row) = row {
                    best.offer(row.fields(), || i);
                }
            }
        } else {
            let index = self.index.get_or_insert_with(Index::default);
            for (field, value) in key.lookups() {
                index.cover(field, &self.rows);
                for &i in index.rows_with(field, value) {
                    if let Some(row) = &self.rows[i] {
                        best.offer(row.fields(), || i);
                    }
                }
            }
        }
        self.last_found = best.finish();
        self.last_found
    }

    /// Every row with exactly this id (a hand-edited file may hold two).
    fn rows_with_id(&mut self, id: &str) -> Vec<usize> {
        if self.index.is_none() && self.scans < SCANS_BEFORE_INDEXING {
            self.scans += 1;
            return (0..self.rows.len())
                .filter(|&i| self.rows[i].as_ref().and_then(Row::id) == Some(id))
                .collect();
        }
        let index = self.index.get_or_insert_with(Index::default);
        index.cover(Field::Id, &self.rows);
        index
            .rows_with(Field::Id, id)
            .iter()
            .copied()
            .filter(|&i| self.rows[i].as_ref().and_then(Row::id) == Some(id))
            .collect()
    }

    pub fn find(&mut self, key: &MatchKey<'_>) -> Option<Token> {
        let i = self.position(key)?;
        self.rows[i].as_ref().map(Row::to_token)
    }

    fn insert(&mut self, token: &Token) -> Result<()> {
        let id = token.id.as_deref().unwrap_or_default();
        if self.position(&MatchKey::Id(id)).is_some() {
            return Err(
                StoreError::Conflict(format!("a token with id {id} is already there")).into(),
            );
        }
        self.max_numeric_id.offer(Some(id));
        let row = Row::from_token(token);
        let i = self.rows.len();
        if let Some(index) = &mut self.index {
            index.add(i, &row);
        }
        self.rows.push(Some(row));
        Ok(())
    }

    fn update(&mut self, token: &Token) -> Result<()> {
        let id = token.id.as_deref().unwrap_or_default();
        // An upsert updates the row it has just found: no second search.
        let found = self
            .last_found
            .filter(|&i| self.rows[i].as_ref().and_then(Row::id) == Some(id))
            .or_else(|| self.position(&MatchKey::Id(id)));
        let Some(i) = found else {
            return Err(StoreError::Conflict(format!("no token with id {id} to update")).into());
        };
        let row = Row::from_token(token);
        if let Some(index) = &mut self.index {
            // Stale entries for the old values are re-checked on lookup.
            index.add(i, &row);
        }
        self.rows[i] = Some(row);
        Ok(())
    }

    /// Removes the first row with exactly this id.
    fn remove(&mut self, id: &str) -> bool {
        match self.position(&MatchKey::Id(id)) {
            Some(i) => {
                self.rows[i] = None;
                self.last_found = None;
                true
            }
            None => false,
        }
    }

    /// Removes the first row holding exactly this token.
    fn remove_exact(&mut self, token: &Token) -> bool {
        let id = token.id.as_deref().unwrap_or_default();
        let found = self.rows_with_id(id).into_iter().find(|&i| {
            self.rows[i]
                .as_ref()
                .is_some_and(|r| r.to_token() == *token)
        });
        match found {
            Some(i) => {
                self.rows[i] = None;
                self.last_found = None;
                true
            }
            None => false,
        }
    }

    fn remove_all(&mut self) -> usize {
        let n = self.rows().count();
        *self = TokenTable::default();
        n
    }
}

/// Where a [`TableTx`] sends its table when it ends.
pub(crate) trait TableSink {
    /// Makes the changed table the store's (only called when it changed).
    fn commit(self: Box<Self>, table: TokenTable) -> Result<()>;
    /// Releases what the transaction held, leaving the store as it was.
    fn abort(self: Box<Self>) -> Result<()>;
    /// Refuses a token this store cannot hold as its application would
    /// read it back (checked for every token inserted or updated).
    fn admit(&self, _token: &Token) -> Result<()> {
        Ok(())
    }
}

/// The write transaction of the table-backed stores (memory, file).
pub(crate) struct TableTx<'s> {
    table: TokenTable,
    began_empty: bool,
    changed: bool,
    sink: Option<Box<dyn TableSink + 's>>,
}

impl<'s> TableTx<'s> {
    pub fn new(table: TokenTable, sink: Box<dyn TableSink + 's>) -> TableTx<'s> {
        TableTx {
            began_empty: table.slots() == 0,
            table,
            changed: false,
            sink: Some(sink),
        }
    }

    fn admit(&self, token: &Token) -> Result<()> {
        self.sink.as_ref().map_or(Ok(()), |sink| sink.admit(token))
    }

    fn changed<T>(&mut self, result: Result<T>) -> Result<T> {
        if result.is_ok() {
            self.changed = true;
        }
        result
    }
}

impl WriteTx for TableTx<'_> {
    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        Ok(self.table.find(key))
    }

    fn get(&mut self, ids: &[String]) -> Result<Vec<Token>> {
        let mut found = Vec::new();
        for id in ids {
            for i in self.table.rows_with_id(id) {
                found.extend(self.table.rows[i].as_ref().map(Row::to_token));
            }
        }
        Ok(found)
    }

    fn get_fields(
        &mut self,
        ids: &[&str],
        visit: &mut dyn FnMut([Option<&str>; 10]),
    ) -> Result<()> {
        for id in ids {
            for i in self.table.rows_with_id(id) {
                if let Some(row) = &self.table.rows[i] {
                    visit(row.fields());
                }
            }
        }
        Ok(())
    }

    fn scan(&mut self, visit: &mut dyn FnMut(Token) -> Result<()>) -> Result<()> {
        self.table.rows().try_for_each(|row| visit(row.to_token()))
    }

    fn insert(&mut self, tokens: &[Token]) -> Result<()> {
        for token in tokens {
            self.admit(token)?;
            let inserted = self.table.insert(token);
            self.changed(inserted)?;
        }
        Ok(())
    }

    fn update(&mut self, token: &Token) -> Result<()> {
        self.admit(token)?;
        let updated = self.table.update(token);
        self.changed(updated)
    }

    fn remove(&mut self, id: &str) -> Result<bool> {
        let removed = self.table.remove(id);
        self.changed |= removed;
        Ok(removed)
    }

    fn remove_exact(&mut self, token: &Token) -> Result<bool> {
        let removed = self.table.remove_exact(token);
        self.changed |= removed;
        Ok(removed)
    }

    fn remove_all(&mut self) -> Result<usize> {
        let n = self.table.remove_all();
        self.changed |= n > 0;
        Ok(n)
    }

    fn next_id(&mut self) -> Result<String> {
        next_id_after(&self.table.max_numeric_id)
    }

    fn began_empty(&self) -> bool {
        self.began_empty
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        let sink = self.sink.take().expect("a transaction ends once");
        if self.changed {
            sink.commit(std::mem::take(&mut self.table))
        } else {
            sink.abort()
        }
    }

    fn abort(mut self: Box<Self>) -> Result<()> {
        let sink = self.sink.take().expect("a transaction ends once");
        sink.abort()
    }
}

impl Drop for TableTx<'_> {
    fn drop(&mut self) {
        // Ended without commit or abort (a panic, an early return): undo.
        if let Some(sink) = self.sink.take() {
            let _ = sink.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_keeps_every_field_in_place() {
        let nine = Row::new(&["1", "u", "", "", "r", "", "", "", "cb"]);
        assert_eq!(nine.fields()[9], None);
        assert_eq!(nine.fields()[8], Some("cb"));
        let cases: [[&str; 10]; 3] = [
            ["1", "u", "", "s", "", "", "g", "", "", ""],
            ["", "", "", "", "", "", "", "", "", ""],
            ["", "", "", "", "", "", "", "", "", "last"],
        ];
        for fields in cases {
            assert_eq!(Row::new(&fields).fields_or_empty(), fields);
        }
    }

    #[test]
    fn a_field_indexed_late_finds_rows_added_before_and_after() {
        let row = |n: usize| {
            let (id, user) = (n.to_string(), format!("u{n}"));
            Row::new(&[&id, &user, "", "", &format!("r{n}")])
        };
        let mut table = TokenTable::from_rows((1..=10).map(row).collect());
        // Enough lookups by id to build the index (of ids only).
        for n in 1..=10 {
            assert!(table.find(&MatchKey::Id(&n.to_string())).is_some());
        }
        assert!(table
            .index
            .as_ref()
            .is_some_and(|i| !i.is_indexed(Field::UserName)));
        table.insert(&row(11).to_token()).unwrap();
        // The first lookup by user indexes users, old rows and new.
        for n in [3, 11] {
            let found = table.find(&MatchKey::UserName(&format!("u{n}"))).unwrap();
            assert_eq!(found.id, Some(n.to_string()));
        }
        table.insert(&row(12).to_token()).unwrap();
        let found = table.find(&MatchKey::UserName("u12")).unwrap();
        assert_eq!(found.id.as_deref(), Some("12"));
        // An update is found under its new value, not its old one.
        let mut changed = row(5).to_token();
        changed.user_name = Some("renamed".into());
        table.find(&MatchKey::Id("5")).unwrap();
        table.update(&changed).unwrap();
        assert_eq!(
            table
                .find(&MatchKey::UserName("renamed"))
                .unwrap()
                .id
                .as_deref(),
            Some("5")
        );
        assert!(table.find(&MatchKey::UserName("u5")).is_none());
    }

    #[test]
    fn duplicate_ids_remove_the_first_row_only() {
        let a = Row::new(&["7", "first", "", "", "r"]);
        let b = Row::new(&["7", "second", "", "", "r"]);
        let mut table = TokenTable::from_rows(vec![a, b]);
        let found = table.find(&MatchKey::Id("7")).unwrap();
        assert_eq!(found.user_name.as_deref(), Some("first"));
        assert!(table.remove("7"));
        let left: Vec<_> = table.rows().map(|r| r.fields()[1]).collect();
        assert_eq!(left, [Some("second")]);
    }
}
