//! `save --input`: many tokens in one transaction. A token that names an
//! id the store already holds with other content is a conflict, as in
//! migrate, rather than a silent merge into another user's token.
//!
//! Input is taken a chunk at a time. An input of one chunk is saved in one
//! go, and saved again from the start if an application rewrote the file
//! meanwhile; a bigger one streams through the transaction, chunk by chunk,
//! so memory stays bounded whatever its size.

use std::collections::{HashMap, HashSet};

use anyhow::{Context, Result};

use crate::ops::migrate::{id_list, OnConflict};
use crate::store::{
    in_transaction, upsert_known, verify_written, Change, StoreError, TokenStore, WriteTx,
};
use crate::token::Token;

/// Tokens saved, compared and read back this many at a time.
pub const CHUNK: usize = 5_000;

/// What a bulk save did, beyond the tokens it reported as it went.
#[derive(Debug, Default)]
pub struct Saved {
    /// How many saves created, updated or left unchanged a token.
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Ids left as the store had them (`--on-conflict skip`).
    pub skipped: Vec<String>,
}

impl Saved {
    pub fn total(&self) -> usize {
        self.created + self.updated + self.unchanged
    }
}

/// Takes up to [`CHUNK`] tokens from `input`.
fn next_chunk(input: &mut dyn Iterator<Item = Result<Token>>) -> Result<Vec<Token>> {
    input.take(CHUNK).collect()
}

/// Saves every token of `input` by the upsert rules in one transaction,
/// each chunk read back before the next; `first` is the input's first
/// chunk (already taken, to tell an empty input before opening a store).
/// `saved` hears each token as saved, in input order; if the transaction
/// then fails, nothing was kept, and the error says so.
pub fn save_stream(
    store: &mut dyn TokenStore,
    first: Vec<Token>,
    input: &mut dyn Iterator<Item = Result<Token>>,
    on_conflict: OnConflict,
    saved: &mut dyn FnMut(&Token, Change) -> Result<()>,
) -> Result<Saved> {
    let second = next_chunk(input)?;
    if second.is_empty() {
        // One chunk: held whole, so the write can be run again.
        let mut results = Vec::new();
        let summary = in_transaction(store, |tx| {
            results.clear();
            let mut summary = Saved::default();
            save_chunk(
                tx,
                first.clone(),
                on_conflict,
                &mut HashSet::new(),
                &mut summary,
                &mut |t, c| {
                    results.push((t.clone(), c));
                    Ok(())
                },
            )?;
            Ok(summary)
        })?;
        for (token, change) in &results {
            saved(token, *change)?;
        }
        return Ok(summary);
    }
    let mut tx = store.begin_write()?;
    let mut summary = Saved::default();
    let mut written = HashSet::new();
    let streamed = (|| -> Result<()> {
        let mut chunk = first;
        let mut next = second;
        while !chunk.is_empty() {
            let this = std::mem::take(&mut chunk);
            save_chunk(
                tx.as_mut(),
                this,
                on_conflict,
                &mut written,
                &mut summary,
                saved,
            )?;
            chunk = std::mem::take(&mut next);
            if chunk.is_empty() {
                chunk = next_chunk(input)?;
            }
        }
        Ok(())
    })();
    match streamed {
        Ok(()) => tx
            .commit()
            .context("cannot commit; nothing was saved (the tokens listed were not kept)")?,
        Err(e) => {
            let _ = tx.abort();
            return Err(e.context("nothing was saved (any tokens listed were not kept)"));
        }
    }
    Ok(summary)
}

/// Saves one chunk: conflicts judged against what the store held before
/// this save (`written`: ids this save wrote), then each token upserted,
/// then the chunk read back.
fn save_chunk(
    tx: &mut dyn WriteTx,
    tokens: Vec<Token>,
    on_conflict: OnConflict,
    written: &mut HashSet<String>,
    summary: &mut Saved,
    saved: &mut dyn FnMut(&Token, Change) -> Result<()>,
) -> Result<()> {
    // A store that began empty holds only what this save wrote.
    let stored: HashMap<String, Token> = if tx.began_empty() {
        HashMap::new()
    } else {
        let ids: Vec<String> = tokens
            .iter()
            .filter_map(|t| t.id.clone())
            .filter(|id| !written.contains(id))
            .collect();
        tx.get(&ids)?
            .into_iter()
            .filter_map(|t| Some((t.id.clone()?, t)))
            .collect()
    };
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
    let began_empty = tx.began_empty();
    let mut results = Vec::with_capacity(tokens.len());
    for token in tokens {
        match conflicting(&token) {
            Some(id) if on_conflict == OnConflict::Skip => summary.skipped.push(id),
            _ => {
                // A token with an id matches by id alone: in a store that
                // began empty, an id this save has not written is new.
                let surely_new =
                    began_empty && token.id.as_ref().is_some_and(|id| !written.contains(id));
                let (saved, change) = upsert_known(tx, token, surely_new)?;
                written.extend(saved.id.clone());
                results.push((saved, change));
            }
        }
    }
    verify_written(tx, results.iter().map(|(t, _)| t))?;
    for (token, change) in &results {
        match change {
            Change::Created => summary.created += 1,
            Change::Updated => summary.updated += 1,
            Change::Unchanged => summary.unchanged += 1,
        }
        saved(token, *change)?;
    }
    Ok(())
}
