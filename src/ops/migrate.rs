//! The migrate engine: copy every token, ids included, from one store to
//! another, all-or-nothing and verified before commit; then, if asked,
//! delete from the source exactly the tokens that are still as copied.
//!
//! It returns a [`Report`] and tells its caller how far it is through a
//! progress callback; it prints nothing.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::field::Field;
use crate::secret::looks_masked;
use crate::store::{in_transaction, StoreError, TokenStore, WriteTx};
use crate::token::Token;

/// What to do with a target token that has the same id but other content.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OnConflict {
    /// Abort before writing anything
    Fail,
    /// Keep the target's token
    Skip,
    /// Replace the target's token
    Overwrite,
}

#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub on_conflict: OnConflict,
    pub dry_run: bool,
    pub delete_source: bool,
}

/// The phases a migration goes through, for progress displays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Reading the target's tokens (dry run).
    ReadingTarget,
    /// Reading the source (a chunk at a time).
    Reading,
    /// Writing a chunk into the target's transaction.
    Writing,
    /// Reading the chunk back and comparing every field.
    Verifying,
    Committing,
    DeletingFromSource,
}

/// What the callback hears: a new phase, or one more token handled.
#[derive(Clone, Copy, Debug)]
pub enum Progress {
    Phase(Phase),
    Token,
}

#[derive(Serialize, Default, Debug)]
pub struct Report {
    pub dry_run: bool,
    /// Tokens new to the target.
    pub copied: usize,
    /// Tokens the target already held with the same content.
    pub identical: usize,
    /// Conflicting tokens replaced in the target.
    pub overwritten: usize,
    /// Conflicting tokens left as the target had them.
    pub skipped: usize,
    pub deleted_from_source: usize,
    /// Tokens left in the source because they changed after the copy.
    pub kept_in_source_changed: usize,
    /// Ids present in both stores with different content.
    pub conflicts: Vec<String>,
}

/// Source tokens are read, compared and written this many at a time.
const CHUNK: usize = 5_000;

/// A 128-bit digest of all ten fields: what the migration keeps of each
/// token to tell, at delete time, whether it is still exactly as copied.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Digest(u64, u64);

fn digest(token: &Token) -> Digest {
    let mut a = std::collections::hash_map::DefaultHasher::new();
    let mut b = std::collections::hash_map::DefaultHasher::new();
    "second".hash(&mut b);
    token.fields().hash(&mut a);
    token.fields().hash(&mut b);
    Digest(a.finish(), b.finish())
}

/// Lists ids for a message: the first twenty, then how many more.
pub fn id_list(ids: &[String]) -> String {
    let shown = ids.iter().take(20).cloned().collect::<Vec<_>>().join(", ");
    match ids.len() {
        n if n > 20 => format!("{shown} and {} more", n - 20),
        _ => shown,
    }
}

/// The id of a source token, refusing tokens that cannot be migrated: no
/// id, or a secret that is a mask (a `list --format csv` made without
/// `--reveal` is not a store: migrating it would replace real secrets).
fn source_id(token: &Token) -> Result<String> {
    let Some(id) = token.id.clone() else {
        return Err(StoreError::Corrupt(
            "the source holds a token without an id; it cannot be migrated".into(),
        )
        .into());
    };
    let fields = token.fields();
    for field in Field::ALL.into_iter().filter(|f| f.is_secret()) {
        if fields[field.index()].is_some_and(looks_masked) {
            return Err(StoreError::Corrupt(format!(
                "token {id} of the source holds a masked {} (output of `list` without \
                 --reveal), not a secret; export again with --reveal",
                field.name()
            ))
            .into());
        }
    }
    Ok(id)
}

/// Copies every token of `source` into `target`. The caller has checked
/// that they are different stores.
pub fn migrate(
    source: &mut dyn TokenStore,
    target: &mut dyn TokenStore,
    options: Options,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report> {
    let mut report = Report {
        dry_run: options.dry_run,
        ..Report::default()
    };
    // id -> digest of what the target now holds for it (None: kept as the
    // target had it, so never deleted from the source).
    let mut migrated: HashMap<String, Option<Digest>> = HashMap::new();
    if options.dry_run {
        plan(source, target, options, &mut report, progress)?;
        return Ok(report);
    }

    let mut tx = target
        .begin_write()
        .context("cannot start writing the target")?;
    let copied = copy(
        source,
        tx.as_mut(),
        options,
        &mut report,
        &mut migrated,
        progress,
    );
    let copied = copied.and_then(|()| {
        if options.on_conflict == OnConflict::Fail && !report.conflicts.is_empty() {
            return Err(StoreError::Conflict(format!(
                "{} tokens in the target have the same id but other content (ids {}); \
                 choose --on-conflict skip or overwrite",
                report.conflicts.len(),
                id_list(&report.conflicts)
            ))
            .into());
        }
        Ok(())
    });
    if let Err(e) = copied {
        let undone = tx.abort();
        let e = e.context("nothing was written to the target; it was left as it was");
        return Err(match undone {
            Ok(()) => e,
            Err(abort) => e.context(format!("and undoing the write failed: {abort:#}")),
        });
    }
    progress(Progress::Phase(Phase::Committing));
    tx.commit()
        .context("cannot commit the target; it was left as it was")?;

    if options.delete_source {
        progress(Progress::Phase(Phase::DeletingFromSource));
        delete_copied(source, &migrated, &mut report)
            .context("the target is written and verified, but deleting from the source failed")?;
    }
    Ok(report)
}

/// Streams the source through the target's transaction in chunks: each
/// chunk is compared with the target, written, and read back through the
/// same transaction (all ten fields compared exactly) before the next.
fn copy(
    source: &mut dyn TokenStore,
    tx: &mut dyn WriteTx,
    options: Options,
    report: &mut Report,
    migrated: &mut HashMap<String, Option<Digest>>,
    progress: &mut dyn FnMut(Progress),
) -> Result<()> {
    let mut write_chunk = |chunk: &mut Vec<Token>,
                           report: &mut Report,
                           migrated: &mut HashMap<String, Option<Digest>>,
                           progress: &mut dyn FnMut(Progress)|
     -> Result<()> {
        progress(Progress::Phase(Phase::Writing));
        // A store this migration created holds only tokens it copied, and
        // source ids are unique: nothing there to compare with.
        let existing: HashMap<String, Token> = if tx.began_empty() {
            HashMap::new()
        } else {
            let ids: Vec<String> = chunk.iter().filter_map(|t| t.id.clone()).collect();
            tx.get(&ids)
                .context("cannot read the target")?
                .into_iter()
                .filter_map(|t| Some((t.id.clone()?, t)))
                .collect()
        };
        // What --delete-source needs to know of each token (nothing else
        // does: the digests are kept only then).
        let remember =
            |migrated: &mut HashMap<String, Option<Digest>>, id: String, copied: Option<&Token>| {
                if options.delete_source {
                    migrated.insert(id, copied.map(digest));
                }
            };
        let (mut inserts, mut updates) = (Vec::new(), Vec::new());
        for token in chunk.drain(..) {
            let id = token.id.clone().expect("checked when read");
            match existing.get(&id) {
                None => {
                    report.copied += 1;
                    remember(migrated, id, Some(&token));
                    inserts.push(token);
                }
                Some(there) if *there == token => {
                    report.identical += 1;
                    remember(migrated, id, Some(&token));
                }
                Some(_) => {
                    report.conflicts.push(id.clone());
                    if options.on_conflict == OnConflict::Overwrite {
                        report.overwritten += 1;
                        remember(migrated, id, Some(&token));
                        updates.push(token);
                    } else {
                        report.skipped += usize::from(options.on_conflict == OnConflict::Skip);
                        remember(migrated, id, None);
                    }
                }
            }
        }
        if options.on_conflict == OnConflict::Fail && !report.conflicts.is_empty() {
            return Ok(()); // nothing more is written; the caller aborts
        }
        tx.insert(&inserts).context("cannot write the target")?;
        for token in &updates {
            tx.update(token).context("cannot write the target")?;
        }
        inserts.append(&mut updates);
        progress(Progress::Phase(Phase::Verifying));
        crate::store::verify_written(tx, &inserts)?;
        progress(Progress::Phase(Phase::Reading));
        Ok(())
    };
    // The source is read (and parsed) on a second thread, a few chunks
    // ahead of the writer: reading and writing overlap.
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Vec<Token>>(2);
        let reader = scope.spawn(move || -> Result<()> {
            let mut seen = rustc_hash::FxHashSet::default();
            let mut chunk = Vec::with_capacity(CHUNK);
            read_source(source, &mut seen, &mut |_| {}, &mut |_, token| {
                chunk.push(token);
                if chunk.len() == CHUNK {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    send.send(full).map_err(|_| WriterStopped)?;
                }
                Ok(())
            })?;
            send.send(chunk).map_err(|_| WriterStopped)?;
            Ok(())
        });
        let mut written = Ok(());
        loop {
            progress(Progress::Phase(Phase::Reading));
            let Ok(mut chunk) = receive.recv() else {
                break; // the reader is done, or failed
            };
            (0..chunk.len()).for_each(|_| progress(Progress::Token));
            written = write_chunk(&mut chunk, report, migrated, progress);
            if written.is_err() {
                break;
            }
        }
        drop(receive); // a reader still sending stops
        let read = reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        match read {
            Err(e) if e.chain().all(|c| !c.is::<WriterStopped>()) => Err(e),
            _ => written,
        }
    })
}

/// The writer failed and stopped taking chunks; its error is the one told.
#[derive(Debug, thiserror::Error)]
#[error("the writer stopped")]
struct WriterStopped;

/// Streams the source's tokens with their ids to `visit`, refusing a
/// token that cannot be migrated and an id seen twice.
fn read_source(
    source: &mut dyn TokenStore,
    seen: &mut rustc_hash::FxHashSet<String>,
    progress: &mut dyn FnMut(Progress),
    visit: &mut dyn FnMut(String, Token) -> Result<()>,
) -> Result<()> {
    source
        .scan(&mut |token| {
            progress(Progress::Token);
            let id = source_id(&token)?;
            if !seen.insert(id.clone()) {
                return Err(StoreError::Corrupt(format!(
                    "the source holds two tokens with id {id}; fix the source first"
                ))
                .into());
            }
            visit(id, token)
        })
        .context("cannot read the source")
}

/// The dry run: the same classification against the target's tokens as
/// they are now, read without a write lock; nothing is opened for writing.
fn plan(
    source: &mut dyn TokenStore,
    target: &mut dyn TokenStore,
    options: Options,
    report: &mut Report,
    progress: &mut dyn FnMut(Progress),
) -> Result<()> {
    progress(Progress::Phase(Phase::ReadingTarget));
    let mut there: HashMap<String, Digest> = HashMap::new();
    target
        .scan(&mut |t| {
            if let Some(id) = t.id.clone() {
                there.entry(id).or_insert_with(|| digest(&t));
            }
            Ok(())
        })
        .context("cannot read the target")?;
    progress(Progress::Phase(Phase::Reading));
    let mut seen = rustc_hash::FxHashSet::default();
    read_source(source, &mut seen, progress, &mut |id, token| {
        match there.get(&id) {
            None => report.copied += 1,
            Some(d) if *d == digest(&token) => report.identical += 1,
            Some(_) => {
                report.conflicts.push(id);
                match options.on_conflict {
                    OnConflict::Overwrite => report.overwritten += 1,
                    OnConflict::Skip => report.skipped += 1,
                    OnConflict::Fail => {}
                }
            }
        }
        Ok(())
    })
}

/// Deletes from the source, in one transaction, the migrated tokens that
/// are still exactly as they were copied; a token the application changed
/// meanwhile stays, and is counted.
fn delete_copied(
    source: &mut dyn TokenStore,
    migrated: &HashMap<String, Option<Digest>>,
    report: &mut Report,
) -> Result<()> {
    let ids: Vec<String> = migrated
        .iter()
        .filter(|(_, d)| d.is_some())
        .map(|(id, _)| id.clone())
        .collect();
    let (deleted, kept) = in_transaction(source, |tx| {
        let (mut deleted, mut kept) = (0, 0);
        for batch in ids.chunks(CHUNK) {
            for token in tx.get(batch)? {
                let id = token.id.clone().unwrap_or_default();
                if migrated.get(&id) == Some(&Some(digest(&token))) {
                    deleted += usize::from(tx.remove(&id)?);
                } else {
                    kept += 1;
                }
            }
        }
        Ok((deleted, kept))
    })?;
    report.deleted_from_source = deleted;
    report.kept_in_source_changed = kept;
    Ok(())
}
