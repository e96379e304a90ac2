//! An in-memory table of tokens: the memory store, and the file store
//! between reading and writing its file.
//!
//! A few lookups scan the rows; hashing every row costs more than that
//! for the one lookup of a single `save`. Past a few lookups (a bulk save)
//! the table builds hash indexes, so bulk saves stay linear.

use std::collections::{HashMap, HashSet};

use anyhow::{bail, Result};

use super::Rows;
use crate::token::{compare_ids, numeric_id, BestMatch, MatchKey, Token};

/// Lookups answered by scanning before the table builds its indexes.
const SCANS_BEFORE_INDEXING: u32 = 4;

/// The fields a `MatchKey` looks up, by position in `FIELD_NAMES`.
const LOOKUP_FIELDS: [usize; 5] = [0, 1, 4, 5, 6];

#[derive(Default)]
struct Index {
    /// For each of `LOOKUP_FIELDS`: value -> rows holding it.
    by_field: [HashMap<String, Vec<usize>>; 5],
}

impl Index {
    fn add(&mut self, i: usize, token: &Token) {
        let fields = token.fields();
        for (slot, field) in LOOKUP_FIELDS.iter().enumerate() {
            if let Some(v) = fields[*field] {
                self.by_field[slot]
                    .entry(v.to_string())
                    .or_default()
                    .push(i);
            }
        }
    }

    fn remove(&mut self, i: usize, token: &Token) {
        let fields = token.fields();
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
    rows: Vec<Token>,
    index: Option<Index>,
    scans: u32,
    max_numeric_id: u128,
}

impl TokenTable {
    pub fn from_rows(rows: Vec<Token>) -> TokenTable {
        let max_numeric_id = rows
            .iter()
            .filter_map(|t| t.id.as_deref().and_then(numeric_id))
            .max()
            .unwrap_or(0);
        TokenTable {
            rows,
            index: None,
            scans: 0,
            max_numeric_id,
        }
    }

    /// Rows in file order.
    pub fn rows(&self) -> &[Token] {
        &self.rows
    }

    /// Tokens in id order.
    pub fn sorted(&self) -> Vec<Token> {
        let mut all = self.rows.clone();
        all.sort_by(|a, b| compare_ids(a.id.as_deref(), b.id.as_deref()));
        all
    }

    /// The row `key` selects, by the rules of [`BestMatch`].
    fn position(&mut self, key: &MatchKey<'_>) -> Option<usize> {
        let mut best = BestMatch::new(key);
        if self.index.is_none() && self.scans < SCANS_BEFORE_INDEXING {
            self.scans += 1;
            for (i, token) in self.rows.iter().enumerate() {
                best.offer(i, token);
            }
        } else {
            let index = self.index.get_or_insert_with(|| {
                let mut index = Index::default();
                for (i, token) in self.rows.iter().enumerate() {
                    index.add(i, token);
                }
                index
            });
            for (field, value) in key.lookups() {
                for &i in index.rows_with(field, value) {
                    best.offer(i, &self.rows[i]);
                }
            }
        }
        best.finish().map(|(i, _)| i)
    }

    /// Removes the tokens with these ids; returns the ids that were there.
    pub fn remove(&mut self, ids: &[String]) -> Vec<String> {
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let gone = self.remove_where(&|t| t.id.as_deref().is_some_and(|id| wanted.contains(id)));
        gone.into_iter().filter_map(|t| t.id).collect()
    }

    /// Removes the tokens `select` picks; returns them.
    pub fn remove_where(&mut self, select: &dyn Fn(&Token) -> bool) -> Vec<Token> {
        let (gone, kept): (Vec<Token>, Vec<Token>) = std::mem::take(&mut self.rows)
            .into_iter()
            .partition(|t| select(t));
        if !gone.is_empty() {
            *self = TokenTable::from_rows(kept);
        } else {
            self.rows = kept;
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
                Some(i) => self.replace(i, token),
                None => self.insert(token)?,
            }
        }
        Ok(())
    }

    /// Sorts the rows from `start` on into id order (rows added by a bulk
    /// write, so a new file comes out in id order whatever the source's).
    pub fn sort_from(&mut self, start: usize) {
        if start < self.rows.len() {
            self.rows[start..].sort_by(|a, b| compare_ids(a.id.as_deref(), b.id.as_deref()));
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

    fn replace(&mut self, i: usize, token: &Token) {
        if let Some(index) = &mut self.index {
            index.remove(i, &self.rows[i]);
            index.add(i, token);
        }
        self.rows[i] = token.clone();
    }
}

impl Rows for TokenTable {
    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        Ok(self.position(key).map(|i| self.rows[i].clone()))
    }

    fn update(&mut self, token: &Token) -> Result<()> {
        let id = token.id.as_deref().unwrap_or_default();
        let Some(i) = self.position(&MatchKey::Id(id)) else {
            bail!("no token with id {id} to update");
        };
        self.replace(i, token);
        Ok(())
    }

    fn insert(&mut self, token: &Token) -> Result<()> {
        if let Some(n) = token.id.as_deref().and_then(numeric_id) {
            self.max_numeric_id = self.max_numeric_id.max(n);
        }
        self.rows.push(token.clone());
        let i = self.rows.len() - 1;
        if let Some(index) = &mut self.index {
            index.add(i, &self.rows[i]);
        }
        Ok(())
    }

    fn next_id(&mut self) -> Result<String> {
        Ok((self.max_numeric_id + 1).to_string())
    }
}
