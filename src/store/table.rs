//! An in-memory table of tokens: the memory store, and the file store
//! between reading and writing its file.
//!
//! Rows are stored compactly (one allocation a row, not ten): a file store
//! reads and rewrites every row on each save, and most rows are only
//! carried through. A few lookups scan the rows; hashing every row costs
//! more than that for the one lookup of a single `save`. Past a few
//! lookups (a bulk save) the table builds hash indexes, so bulk saves stay
//! linear.

use std::collections::{HashMap, HashSet};

use anyhow::{bail, Result};

use super::Rows;
use crate::token::{compare_ids, id_after, numeric_id, BestMatch, MatchKey, Token};

/// Lookups answered by scanning before the table builds its indexes.
const SCANS_BEFORE_INDEXING: u32 = 4;

/// The fields a `MatchKey` looks up, by position in `FIELD_NAMES`.
const LOOKUP_FIELDS: [usize; 5] = [0, 1, 4, 5, 6];

/// A token's ten fields in one buffer; an empty field is absent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    text: Box<str>,
    /// Where each field ends in `text`; field `i` starts where `i - 1` ends.
    ends: [u32; 10],
}

impl Row {
    /// A row from up to ten field values in store order (absent as empty).
    pub fn new(fields: &[&str]) -> Row {
        let mut text = String::with_capacity(fields.iter().map(|f| f.len()).sum());
        let mut ends = [0u32; 10];
        let mut given = 0;
        for (end, field) in ends.iter_mut().zip(fields) {
            text.push_str(field);
            *end = u32::try_from(text.len()).expect("a token under 4 GiB");
            given += 1;
        }
        // Fields not given (a 9-column file has no api_domain) are empty.
        let last = text.len() as u32;
        ends[given..].fill(last);
        Row {
            text: text.into_boxed_str(),
            ends,
        }
    }

    pub fn from_token(token: &Token) -> Row {
        Row::new(&token.fields_or_empty())
    }

    pub fn fields_or_empty(&self) -> [&str; 10] {
        let mut start = 0;
        self.ends.map(|end| {
            let field = &self.text[start as usize..end as usize];
            start = end;
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
        Token::from_fields(self.fields_or_empty().map(|f| Some(f.to_string())))
    }
}

#[derive(Default)]
struct Index {
    /// For each of `LOOKUP_FIELDS`: value -> rows holding it.
    by_field: [HashMap<String, Vec<usize>>; 5],
}

impl Index {
    fn add(&mut self, i: usize, row: &Row) {
        let fields = row.fields();
        for (slot, field) in LOOKUP_FIELDS.iter().enumerate() {
            if let Some(v) = fields[*field] {
                self.by_field[slot]
                    .entry(v.to_string())
                    .or_default()
                    .push(i);
            }
        }
    }

    fn remove(&mut self, i: usize, row: &Row) {
        let fields = row.fields();
        for (slot, field) in LOOKUP_FIELDS.iter().enumerate() {
            if let Some(list) = fields[*field].and_then(|v| self.by_field[slot].get_mut(v)) {
                list.retain(|&j| j != i);
            }
        }
    }

    fn rows_with(&self, field: usize, value: &str) -> &[usize] {
        let slot = LOOKUP_FIELDS.iter().position(|f| *f == field);
        slot.and_then(|s| self.by_field[s].get(value))
            .map_or(&[], Vec::as_slice)
    }
}

#[derive(Default)]
pub(crate) struct TokenTable {
    /// In the order they were read or inserted (a file keeps its row order).
    rows: Vec<Row>,
    index: Option<Index>,
    scans: u32,
    max_numeric_id: u128,
    /// The row the last lookup found (rows only move when some are removed).
    last_found: Option<usize>,
}

impl TokenTable {
    pub fn from_rows(rows: Vec<Row>) -> TokenTable {
        let max_numeric_id = rows
            .iter()
            .filter_map(|r| r.id().and_then(numeric_id))
            .max()
            .unwrap_or(0);
        TokenTable {
            rows,
            index: None,
            scans: 0,
            max_numeric_id,
            last_found: None,
        }
    }

    /// Rows in file order.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Tokens in id order.
    pub fn sorted(&self) -> Vec<Token> {
        let mut all: Vec<Token> = self.rows.iter().map(Row::to_token).collect();
        all.sort_by(|a, b| compare_ids(a.id.as_deref(), b.id.as_deref()));
        all
    }

    /// The row `key` selects, by the rules of [`BestMatch`].
    fn position(&mut self, key: &MatchKey<'_>) -> Option<usize> {
        let mut best = BestMatch::new(key);
        if self.index.is_none() && self.scans < SCANS_BEFORE_INDEXING {
            self.scans += 1;
            for (i, row) in self.rows.iter().enumerate() {
                best.offer(row.fields(), || i);
            }
        } else {
            let index = self.index.get_or_insert_with(|| {
                let mut index = Index::default();
                for (i, row) in self.rows.iter().enumerate() {
                    index.add(i, row);
                }
                index
            });
            for (field, value) in key.lookups() {
                for &i in index.rows_with(field, value) {
                    best.offer(self.rows[i].fields(), || i);
                }
            }
        }
        self.last_found = best.finish();
        self.last_found
    }

    /// Removes the tokens with these ids; returns the ids that were there.
    pub fn remove(&mut self, ids: &[String]) -> Vec<String> {
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let gone = self.remove_rows(|row| row.id().is_some_and(|id| wanted.contains(id)));
        gone.iter()
            .filter_map(|r| r.id().map(str::to_owned))
            .collect()
    }

    /// Removes the tokens `select` picks; returns them.
    pub fn remove_where(&mut self, select: &dyn Fn(&Token) -> bool) -> Vec<Token> {
        let gone = self.remove_rows(|row| select(&row.to_token()));
        gone.iter().map(Row::to_token).collect()
    }

    fn remove_rows(&mut self, select: impl Fn(&Row) -> bool) -> Vec<Row> {
        let (gone, kept): (Vec<Row>, Vec<Row>) =
            std::mem::take(&mut self.rows).into_iter().partition(select);
        if gone.is_empty() {
            self.rows = kept;
        } else {
            *self = TokenTable::from_rows(kept);
        }
        gone
    }

    /// Writes tokens exactly as given, replacing any token with the same id.
    pub fn put(&mut self, tokens: &[Token]) -> Result<()> {
        for token in tokens {
            let Some(id) = token.id.as_deref() else {
                bail!("cannot write a token without an id");
            };
            match self.position(&MatchKey::Id(id)) {
                Some(i) => self.replace(i, Row::from_token(token)),
                None => self.insert(token)?,
            }
        }
        Ok(())
    }

    /// Sorts the rows from `start` on into id order (rows added by a bulk
    /// write, so a new file comes out in id order whatever the source's).
    pub fn sort_from(&mut self, start: usize) {
        if start < self.rows.len() {
            self.rows[start..].sort_by(|a, b| compare_ids(a.id(), b.id()));
            self.index = None;
            self.scans = 0;
        }
    }

    /// Removes every token; returns how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.rows.len();
        *self = TokenTable::default();
        n
    }

    fn replace(&mut self, i: usize, row: Row) {
        if let Some(index) = &mut self.index {
            index.remove(i, &self.rows[i]);
            index.add(i, &row);
        }
        self.rows[i] = row;
    }
}

impl Rows for TokenTable {
    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        Ok(self.position(key).map(|i| self.rows[i].to_token()))
    }

    fn update(&mut self, token: &Token) -> Result<()> {
        let id = token.id.as_deref().unwrap_or_default();
        // An upsert updates the row it has just found: no second search.
        let found = self
            .last_found
            .filter(|&i| self.rows.get(i).and_then(Row::id) == Some(id))
            .or_else(|| self.position(&MatchKey::Id(id)));
        let Some(i) = found else {
            bail!("no token with id {id} to update");
        };
        self.replace(i, Row::from_token(token));
        Ok(())
    }

    fn insert(&mut self, token: &Token) -> Result<()> {
        if let Some(n) = token.id.as_deref().and_then(numeric_id) {
            self.max_numeric_id = self.max_numeric_id.max(n);
        }
        self.rows.push(Row::from_token(token));
        let i = self.rows.len() - 1;
        if let Some(index) = &mut self.index {
            index.add(i, &self.rows[i]);
        }
        Ok(())
    }

    fn next_id(&mut self) -> Result<String> {
        id_after(self.max_numeric_id)
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
}
