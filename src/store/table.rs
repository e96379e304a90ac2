//! An indexed in-memory table of tokens: the memory store, and the file
//! store between reading and writing its file. Lookups are hashed so that
//! bulk saves stay linear.

use std::collections::{HashMap, HashSet};

use anyhow::Result;

use super::Rows;
use crate::secret::exposed;
use crate::token::{compare_ids, numeric_id, MatchKey, Token};

/// The fields `MatchKey` looks up, besides the id.
#[derive(Clone, Copy)]
enum Field {
    UserName = 0,
    Access = 1,
    Grant = 2,
    Refresh = 3,
}

const FIELDS: [Field; 4] = [Field::UserName, Field::Access, Field::Grant, Field::Refresh];

fn value(token: &Token, field: Field) -> Option<&str> {
    let expose = exposed;
    match field {
        Field::UserName => token.user_name.as_deref(),
        Field::Access => expose(&token.access_token),
        Field::Grant => expose(&token.grant_token),
        Field::Refresh => expose(&token.refresh_token),
    }
}

#[derive(Default)]
pub(crate) struct TokenTable {
    /// In the order they were read or inserted (a file keeps its row order).
    rows: Vec<Token>,
    by_id: HashMap<String, usize>,
    by_field: [HashMap<String, Vec<usize>>; 4],
    max_numeric_id: u128,
}

impl TokenTable {
    pub fn from_rows(rows: Vec<Token>) -> TokenTable {
        let mut table = TokenTable {
            rows,
            ..Default::default()
        };
        for i in 0..table.rows.len() {
            table.index(i);
        }
        table
    }

    fn index(&mut self, i: usize) {
        let token = &self.rows[i];
        if let Some(id) = &token.id {
            self.by_id.entry(id.clone()).or_insert(i);
            if let Some(n) = numeric_id(id) {
                self.max_numeric_id = self.max_numeric_id.max(n);
            }
        }
        for field in FIELDS {
            if let Some(v) = value(token, field) {
                self.by_field[field as usize]
                    .entry(v.to_string())
                    .or_default()
                    .push(i);
            }
        }
    }

    fn unindex(&mut self, i: usize) {
        let token = &self.rows[i];
        for field in FIELDS {
            if let Some(v) = value(token, field) {
                if let Some(list) = self.by_field[field as usize].get_mut(v) {
                    list.retain(|&j| j != i);
                }
            }
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

    pub fn get(&self, id: &str) -> Option<&Token> {
        self.by_id.get(id).map(|&i| &self.rows[i])
    }

    fn first_by(&self, field: Field, wanted: Option<&str>) -> Option<&Token> {
        self.by_field[field as usize]
            .get(wanted?)?
            .iter()
            .map(|&i| &self.rows[i])
            .min_by(|a, b| compare_ids(a.id.as_deref(), b.id.as_deref()))
    }

    /// Removes the tokens with these ids; returns the ids that were there.
    pub fn remove(&mut self, ids: &[String]) -> Vec<String> {
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let mut removed = Vec::new();
        self.rows.retain(|t| match t.id.as_deref() {
            Some(id) if wanted.contains(id) => {
                removed.push(id.to_string());
                false
            }
            _ => true,
        });
        if !removed.is_empty() {
            *self = TokenTable::from_rows(std::mem::take(&mut self.rows));
        }
        removed
    }

    /// Removes the tokens `select` picks; returns them.
    pub fn remove_where(&mut self, select: &dyn Fn(&Token) -> bool) -> Vec<Token> {
        let (gone, kept): (Vec<Token>, Vec<Token>) = std::mem::take(&mut self.rows)
            .into_iter()
            .partition(|t| select(t));
        *self = TokenTable::from_rows(kept);
        gone
    }

    /// Writes tokens exactly as given, replacing any token with the same id.
    pub fn put(&mut self, tokens: &[Token]) -> Result<()> {
        for token in tokens {
            let Some(id) = token.id.as_deref() else {
                anyhow::bail!("cannot write a token without an id");
            };
            match self.get(id) {
                Some(_) => self.update(token)?,
                None => self.insert(token)?,
            }
        }
        Ok(())
    }

    /// Removes every token; returns how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.rows.len();
        *self = TokenTable::default();
        n
    }
}

impl Rows for TokenTable {
    fn find(&mut self, key: &MatchKey<'_>) -> Result<Option<Token>> {
        let found = match *key {
            MatchKey::Id(id) => self.get(id),
            MatchKey::UserName(user) => self.first_by(Field::UserName, Some(user)),
            MatchKey::AccessToken(access) => self.first_by(Field::Access, Some(access)),
            MatchKey::GrantOrRefresh { grant, refresh } => self
                .first_by(Field::Grant, grant)
                .or_else(|| self.first_by(Field::Refresh, refresh)),
        };
        Ok(found.cloned())
    }

    fn update(&mut self, token: &Token) -> Result<()> {
        let id = token.id.as_deref().unwrap_or_default();
        let i = *self
            .by_id
            .get(id)
            .ok_or_else(|| anyhow::anyhow!("no token with id {id} to update"))?;
        self.unindex(i);
        self.rows[i] = token.clone();
        self.index(i);
        Ok(())
    }

    fn insert(&mut self, token: &Token) -> Result<()> {
        self.rows.push(token.clone());
        self.index(self.rows.len() - 1);
        Ok(())
    }

    fn next_id(&mut self) -> Result<String> {
        Ok((self.max_numeric_id + 1).to_string())
    }
}
