//! `migrate`: copy every token, ids included, to another store. The plan is
//! made before anything is written; the target is written all-or-nothing,
//! then read back and compared field by field; only then, and only if asked,
//! are the migrated tokens deleted from the source.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::IsTerminal;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::store_uri;
use crate::cli::{Format, MigrateArgs, OnConflict};
use crate::store::{self, absolute};
use crate::token::Token;
use crate::uri::StoreUri;
use crate::Exit;

#[derive(Serialize, Default)]
struct Summary {
    source: String,
    target: String,
    dry_run: bool,
    /// Tokens new to the target.
    copied: usize,
    /// Tokens the target already held with the same content.
    identical: usize,
    /// Conflicting tokens replaced in the target.
    overwritten: usize,
    /// Conflicting tokens left as the target had them.
    skipped: usize,
    deleted_from_source: usize,
    /// Ids present in both stores with different content.
    conflicts: Vec<String>,
}

/// Two URIs that name the same data (same file, or same server table).
fn same_store(a: &StoreUri, b: &StoreUri) -> bool {
    let path = |uri: &StoreUri| match uri {
        StoreUri::File(p) | StoreUri::Sqlite { path: p, .. } => {
            Some(std::fs::canonicalize(p).unwrap_or_else(|_| absolute(p)))
        }
        _ => None,
    };
    match (a, b) {
        (StoreUri::Mysql(x), StoreUri::Mysql(y)) => {
            x.host.eq_ignore_ascii_case(&y.host)
                && x.port == y.port
                && x.database == y.database
                && x.table == y.table
        }
        _ => path(a).is_some() && path(a) == path(b),
    }
}

fn progress(message: &'static str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}: {human_pos} tokens ({per_sec})")
            .expect("valid template"),
    );
    bar.set_message(message);
    bar
}

/// Lists ids for a message: the first twenty, then how many more.
fn id_list(ids: &[String]) -> String {
    let shown = ids.iter().take(20).cloned().collect::<Vec<_>>().join(", ");
    match ids.len() {
        n if n > 20 => format!("{shown} and {} more", n - 20),
        _ => shown,
    }
}

/// Source tokens are read, compared and written this many at a time.
const CHUNK: usize = 5_000;

/// A digest of every field of a token, to verify the target without
/// holding the source: (id -> digest) is all `migrate` keeps per token.
fn digest(token: &Token) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    token.fields().hash(&mut hasher);
    hasher.finish()
}

/// Where each source id stands.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Read from the source, not yet compared with the target.
    Pending,
    /// Written or already identical, with the digest of its fields.
    Migrated(u64),
    /// Migrated and read back intact: deleted with --delete-source.
    Verified,
    /// A conflict left as the target has it.
    Kept,
}

pub fn run(store: Option<&str>, args: MigrateArgs) -> Result<Exit> {
    let from = store_uri(args.from.as_deref().or(store))?;
    let to = StoreUri::parse(&args.to)?;
    if same_store(&from, &to) {
        bail!("the source and the target are the same store ({from})");
    }
    let mut source = store::open(&from).with_context(|| format!("cannot open {from}"))?;
    let mut target = store::open(&to).with_context(|| format!("cannot open {to}"))?;
    let mut summary = Summary {
        source: from.to_string(),
        target: to.to_string(),
        dry_run: args.dry_run,
        ..Summary::default()
    };

    // Plan and write in one pass over the source, inside one bulk write
    // that is committed only if the whole plan holds.
    let mut fates: HashMap<String, Fate> = HashMap::new();
    {
        let mut bulk = target
            .bulk()
            .with_context(|| format!("cannot start writing {to}"))?;
        let bar = progress("migrating");
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut plan = |chunk: &mut Vec<Token>, fates: &mut HashMap<String, Fate>| -> Result<()> {
            let ids: Vec<String> = chunk.iter().filter_map(|t| t.id.clone()).collect();
            let existing: HashMap<String, Token> = bulk
                .existing(&ids)
                .with_context(|| format!("cannot read {to}"))?
                .into_iter()
                .filter_map(|t| Some((t.id.clone()?, t)))
                .collect();
            let mut write = Vec::new();
            for token in chunk.drain(..) {
                let id = token.id.clone().expect("checked when read");
                let fate = match existing.get(&id) {
                    None => {
                        summary.copied += 1;
                        Fate::Migrated(digest(&token))
                    }
                    Some(there) if *there == token => {
                        summary.identical += 1;
                        fates.insert(id, Fate::Migrated(digest(&token)));
                        continue;
                    }
                    Some(_) => {
                        summary.conflicts.push(id.clone());
                        match args.on_conflict {
                            OnConflict::Fail | OnConflict::Skip => {
                                summary.skipped +=
                                    usize::from(args.on_conflict == OnConflict::Skip);
                                fates.insert(id, Fate::Kept);
                                continue;
                            }
                            OnConflict::Overwrite => {
                                summary.overwritten += 1;
                                Fate::Migrated(digest(&token))
                            }
                        }
                    }
                };
                fates.insert(id, fate);
                write.push(token);
            }
            if !args.dry_run {
                bulk.put(&write)
                    .with_context(|| format!("cannot write {to}; it was left as it was"))?;
            }
            Ok(())
        };
        source
            .for_each_unordered(&mut |token| {
                bar.inc(1);
                let Some(id) = token.id.clone() else {
                    bail!("{from} holds a token without an id; it cannot be migrated");
                };
                if fates.insert(id.clone(), Fate::Pending).is_some() {
                    bail!("{from} holds two tokens with id {id}; fix the source first");
                }
                chunk.push(token);
                if chunk.len() == CHUNK {
                    plan(&mut chunk, &mut fates)?;
                }
                Ok(())
            })
            .with_context(|| format!("cannot migrate from {from}"))?;
        plan(&mut chunk, &mut fates)?;
        bar.finish_and_clear();
        if args.on_conflict == OnConflict::Fail && !summary.conflicts.is_empty() && !args.dry_run {
            bail!(
                "{} tokens in {to} have the same id but other content than in {from} (ids {}); \
                 nothing was written; choose --on-conflict skip or overwrite",
                summary.conflicts.len(),
                id_list(&summary.conflicts)
            );
        }
        if args.dry_run {
            // Dropping the bulk write discards it; nothing was put anyway.
            report(&summary, args.json || args.format == Format::Json)?;
            return Ok(Exit::Success);
        }
        bulk.commit()
            .with_context(|| format!("cannot write {to}; it was left as it was"))?;
    }

    verify(target.as_mut(), &mut fates)
        .with_context(|| format!("verification of {to} failed; {from} was not changed"))?;
    if args.delete_source {
        let ids: Vec<String> = fates
            .iter()
            .filter(|(_, fate)| **fate == Fate::Verified)
            .map(|(id, _)| id.clone())
            .collect();
        let deleted = source
            .delete_ids(&ids)
            .with_context(|| format!("the target is verified, but deleting from {from} failed"))?;
        summary.deleted_from_source = deleted.len();
    }
    report(&summary, args.json || args.format == Format::Json)?;
    Ok(Exit::Success)
}

/// Reads the target back and checks every migrated token against the
/// digest of its fields taken from the source; marks each one verified.
fn verify(target: &mut dyn store::TokenStore, fates: &mut HashMap<String, Fate>) -> Result<()> {
    let bar = progress("verifying target");
    target.for_each_unordered(&mut |found| {
        bar.inc(1);
        let Some(fate) = found.id.as_deref().and_then(|id| fates.get_mut(id)) else {
            return Ok(());
        };
        if let Fate::Migrated(want) = *fate {
            if digest(&found) != want {
                bail!(
                    "token {} reads back with different fields",
                    found.id.as_deref().unwrap_or_default()
                );
            }
            *fate = Fate::Verified;
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    let mut missing: Vec<String> = fates
        .iter()
        .filter(|(_, fate)| matches!(fate, Fate::Migrated(_)))
        .map(|(id, _)| id.clone())
        .collect();
    if !missing.is_empty() {
        missing.sort();
        bail!("tokens missing after writing: {}", id_list(&missing));
    }
    Ok(())
}

fn report(summary: &Summary, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(summary)?);
        return Ok(());
    }
    let verb = if summary.dry_run {
        "would copy"
    } else {
        "copied"
    };
    let mut line = format!(
        "{verb} {} tokens from {} to {}: {} identical already",
        summary.copied + summary.overwritten,
        summary.source,
        summary.target,
        summary.identical
    );
    if summary.overwritten > 0 {
        line += &format!(", {} overwritten", summary.overwritten);
    }
    if summary.skipped > 0 {
        line += &format!(", {} conflicting skipped", summary.skipped);
    }
    if summary.dry_run && !summary.conflicts.is_empty() {
        line += &format!(
            ", {} conflicting (ids {})",
            summary.conflicts.len(),
            id_list(&summary.conflicts)
        );
    }
    if summary.deleted_from_source > 0 {
        line += &format!(", {} deleted from source", summary.deleted_from_source);
    }
    if !summary.dry_run {
        line += "; verified";
    }
    println!("{line}");
    Ok(())
}
