//! `save --input`: many tokens in one transaction. A token that names an
//! id the store already holds with other content is a conflict, as in
//! migrate, rather than a silent merge into another user's token.

use std::collections::HashMap;

use anyhow::Result;

use crate::ops::migrate::{id_list, OnConflict};
use crate::store::{in_transaction, upsert, verify_written, Change, StoreError, TokenStore};
use crate::token::Token;

/// What a bulk save did.
#[derive(Debug, Default)]
pub struct Saved {
    /// The tokens as saved, in input order, with what each save did.
    pub tokens: Vec<(Token, Change)>,
    /// Ids left as the store had them (`--on-conflict skip`).
    pub skipped: Vec<String>,
}

/// Saves every token by the upsert rules, in one transaction, all read
/// back before commit. Conflicts are judged inside the transaction.
pub fn save_all(
    store: &mut dyn TokenStore,
    tokens: &[Token],
    on_conflict: OnConflict,
) -> Result<Saved> {
    in_transaction(store, |tx| {
        let ids: Vec<String> = tokens.iter().filter_map(|t| t.id.clone()).collect();
        let stored: HashMap<String, Token> = tx
            .get(&ids)?
            .into_iter()
            .filter_map(|t| Some((t.id.clone()?, t)))
            .collect();
        let conflicting = |t: &Token| {
            let id = t.id.as_deref()?;
            let there = stored.get(id)?;
            (there.merged_with(t) != *there).then(|| id.to_string())
        };
        let conflicts: Vec<String> = tokens.iter().filter_map(conflicting).collect();
        if on_conflict == OnConflict::Fail && !conflicts.is_empty() {
            return Err(StoreError::Conflict(format!(
                "{} tokens of the input name ids the store holds with other content (ids {}); \
                 nothing was saved; choose --on-conflict skip or overwrite (merge)",
                conflicts.len(),
                id_list(&conflicts)
            ))
            .into());
        }
        let mut saved = Saved::default();
        for token in tokens {
            match conflicting(token) {
                Some(id) if on_conflict == OnConflict::Skip => saved.skipped.push(id),
                _ => saved.tokens.push(upsert(tx, token)?),
            }
        }
        let written: Vec<Token> = saved.tokens.iter().map(|(t, _)| t.clone()).collect();
        verify_written(tx, &written)?;
        Ok(saved)
    })
}
