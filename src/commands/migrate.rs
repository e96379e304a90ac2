//! `migrate`: parse the two stores, check they are different and that a
//! `--delete-source` target outlives the command, run the migrate engine
//! with a progress display, render its report.

use std::io::IsTerminal;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::StoreArg;
use crate::cli::{Format, MigrateArgs, OnConflict};
use crate::ops::migrate::{self, Options, Phase, Progress};
use crate::output;
use crate::store::{self, StoreError};
use crate::uri::StoreUri;
use crate::{Exit, UsageError};

pub fn run(store: StoreArg<'_>, args: MigrateArgs) -> Result<Exit> {
    let source_arg = match &args.from {
        Some(text) => StoreArg {
            text: Some(text),
            from_env: false,
        },
        None => store,
    };
    let from = source_arg.uri()?;
    let to = StoreUri::parse(&args.to)?;
    if args.delete_source && to.lives_in_this_process() {
        return Err(UsageError(format!(
            "--delete-source would delete the tokens from {from} while {to} lives only as long \
             as this command; migrate to a file or database"
        ))
        .into());
    }
    let (from, mut source) = source_arg.open_existing(false)?;
    let mut target = store::open(&to).with_context(|| format!("cannot open {to}"))?;
    let same = match (source.identity()?, target.identity()?) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(StoreError::Conflict(format!(
            "{from} and {to} are the same store (one file or table reached by two names); \
             nothing was changed"
        ))
        .into());
    }

    let options = Options {
        on_conflict: args.on_conflict,
        dry_run: args.dry_run,
        delete_source: args.delete_source,
    };
    let bar = progress_bar(source.as_mut());
    let report = migrate::migrate(
        source.as_mut(),
        target.as_mut(),
        options,
        &mut |p| match p {
            Progress::Token => bar.inc(1),
            Progress::Phase(phase) => bar.set_message(phase_name(phase)),
        },
    );
    bar.finish_and_clear();
    let report = report.with_context(|| format!("cannot migrate from {from} to {to}"))?;
    let json = args.json || args.format == Format::Json;
    output::write_migrate_report(&mut super::stdout(), &report, &from, &to, json)?;
    // A dry run exits as the real run would: conflicts fail it.
    if args.dry_run && args.on_conflict == OnConflict::Fail && !report.conflicts.is_empty() {
        crate::output::notice(&format!(
            "the real run would fail: {} conflicting tokens; choose --on-conflict skip or \
             overwrite",
            report.conflicts.len()
        ));
        return Ok(Exit::Failure);
    }
    Ok(Exit::Success)
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::ReadingTarget => "reading the target",
        Phase::Reading => "reading",
        Phase::Writing => "writing",
        Phase::Verifying => "verifying",
        Phase::Committing => "committing",
        Phase::DeletingFromSource => "deleting from the source",
    }
}

/// On stderr, only when it is a terminal: a bar with the phase, tokens
/// done of the total, percent, a whole-number rate and the time left when
/// the source can tell its size cheaply; otherwise a spinner with a count.
fn progress_bar(source: &mut dyn store::TokenStore) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let total = source.size_hint().ok().flatten();
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let template = if total.is_some() {
        "{spinner} {msg:9} [{bar:20}] {done}/{total} {percent:>3}% {rate} ETA {eta}"
    } else {
        "{spinner} {msg:9} {done} tokens {rate}"
    };
    let style = ProgressStyle::with_template(template)
        .expect("valid template")
        .progress_chars("=> ")
        .with_key("done", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{}", output::thousands(s.pos() as usize));
        })
        .with_key("total", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{}", output::thousands(s.len().unwrap_or(0) as usize));
        })
        .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{}/s", output::thousands(s.per_sec() as usize));
        });
    bar.set_style(style);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}
