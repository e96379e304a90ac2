//! `migrate`: copy every token, ids included, to another store. The plan is
//! made before anything is written; the target is written all-or-nothing,
//! then read back and compared field by field; only then, and only if asked,
//! are the migrated tokens deleted from the source.

use std::collections::HashMap;
use std::io::IsTerminal;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::store_uri;
use crate::cli::{Format, MigrateArgs, OnConflict};
use crate::store::{self, absolute};
use crate::token::{Token, FIELD_NAMES};
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

fn read_all(store: &mut dyn store::TokenStore, message: &'static str) -> Result<Vec<Token>> {
    let bar = progress(message);
    let mut all = Vec::new();
    store.for_each_token(&mut |t| {
        bar.inc(1);
        all.push(t);
        Ok(())
    })?;
    bar.finish_and_clear();
    Ok(all)
}

/// Lists ids for a message: the first twenty, then how many more.
fn id_list(ids: &[String]) -> String {
    let shown = ids.iter().take(20).cloned().collect::<Vec<_>>().join(", ");
    match ids.len() {
        n if n > 20 => format!("{shown} and {} more", n - 20),
        _ => shown,
    }
}

pub fn run(store: Option<&str>, args: MigrateArgs) -> Result<Exit> {
    let from = store_uri(args.from.as_deref().or(store))?;
    let to = StoreUri::parse(&args.to)?;
    if same_store(&from, &to) {
        bail!("the source and the target are the same store ({from})");
    }
    let mut source = store::open(&from).with_context(|| format!("cannot open {from}"))?;
    let mut target = store::open(&to).with_context(|| format!("cannot open {to}"))?;

    let tokens = read_all(source.as_mut(), "reading source")
        .with_context(|| format!("cannot read {from}"))?;
    let mut seen = HashMap::with_capacity(tokens.len());
    for token in &tokens {
        let Some(id) = token.id.as_deref() else {
            bail!("{from} holds a token without an id; it cannot be migrated");
        };
        if seen.insert(id, ()).is_some() {
            bail!("{from} holds two tokens with id {id}; fix the source first");
        }
    }
    let existing: HashMap<String, Token> = read_all(target.as_mut(), "reading target")
        .with_context(|| format!("cannot read {to}"))?
        .into_iter()
        .filter_map(|t| Some((t.id.clone()?, t)))
        .collect();

    let mut summary = Summary {
        source: from.to_string(),
        target: to.to_string(),
        dry_run: args.dry_run,
        ..Summary::default()
    };
    let mut to_write = Vec::new();
    let mut migrated_ids = Vec::new();
    for token in &tokens {
        let id = token.id.clone().expect("checked above");
        match existing.get(&id) {
            None => {
                summary.copied += 1;
                to_write.push(token.clone());
                migrated_ids.push(id);
            }
            Some(there) if there == token => {
                summary.identical += 1;
                migrated_ids.push(id);
            }
            Some(_) => {
                summary.conflicts.push(id.clone());
                match args.on_conflict {
                    OnConflict::Fail => {}
                    OnConflict::Skip => summary.skipped += 1,
                    OnConflict::Overwrite => {
                        summary.overwritten += 1;
                        to_write.push(token.clone());
                        migrated_ids.push(id);
                    }
                }
            }
        }
    }
    if args.on_conflict == OnConflict::Fail && !summary.conflicts.is_empty() && !args.dry_run {
        bail!(
            "{} tokens in {to} have the same id but other content than in {from} (ids {}); \
             nothing was written; choose --on-conflict skip or overwrite",
            summary.conflicts.len(),
            id_list(&summary.conflicts)
        );
    }

    if !args.dry_run {
        target
            .put_tokens(&to_write)
            .with_context(|| format!("cannot write {to}; it was left as it was"))?;
        verify(target.as_mut(), &tokens, &migrated_ids)
            .with_context(|| format!("verification of {to} failed; {from} was not changed"))?;
        if args.delete_source {
            let deleted = source.delete_ids(&migrated_ids).with_context(|| {
                format!("the target is verified, but deleting from {from} failed")
            })?;
            summary.deleted_from_source = deleted.len();
        }
    }
    report(&summary, args.json || args.format == Format::Json)?;
    Ok(Exit::Success)
}

/// Reads the target back and checks every migrated token field by field.
fn verify(target: &mut dyn store::TokenStore, tokens: &[Token], ids: &[String]) -> Result<()> {
    let wanted: HashMap<&str, &Token> = tokens
        .iter()
        .filter_map(|t| Some((t.id.as_deref()?, t)))
        .collect();
    let mut unseen: HashMap<&str, ()> = ids.iter().map(|id| (id.as_str(), ())).collect();
    let bar = progress("verifying target");
    target.for_each_token(&mut |found| {
        bar.inc(1);
        let Some(id) = found.id.as_deref() else {
            return Ok(());
        };
        if unseen.remove(id).is_some() {
            let want = wanted[id].fields();
            let have = found.fields();
            if let Some(i) = (0..FIELD_NAMES.len()).find(|&i| want[i] != have[i]) {
                bail!("token {id} reads back with a different {}", FIELD_NAMES[i]);
            }
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    if !unseen.is_empty() {
        let mut missing: Vec<String> = unseen.keys().map(|s| s.to_string()).collect();
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
