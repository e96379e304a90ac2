//! `index`: build the lookup indexes an existing SQL table lacks, one at a
//! time, outside any write transaction (online where the engine can).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::StoreArg;
use crate::cli::IndexArgs;
use crate::{output, Exit, UsageError};

pub fn run(store: StoreArg<'_>, args: IndexArgs) -> Result<Exit> {
    let (uri, mut store) = store.open_existing(false)?;
    let Some(missing) = store
        .missing_indexes()
        .with_context(|| format!("cannot read the indexes of {uri}"))?
    else {
        return Err(UsageError(format!(
            "{uri} has no indexes to build: only SQL stores (sqlite:, mysql://) have them"
        ))
        .into());
    };
    let mut out = super::stdout();
    if missing.is_empty() {
        output::notice(&format!("{uri} has every lookup index; nothing to build"));
        return Ok(Exit::Success);
    }
    for index in &missing {
        if args.dry_run {
            output::line(
                &mut out,
                &format!(
                    "would build {} on {} ({})",
                    index.name, index.on, index.serves
                ),
            )?;
            continue;
        }
        let spinner = spinner(&format!("building {} on {}", index.name, index.on));
        let started = Instant::now();
        let built = store.build_index(index);
        spinner.finish_and_clear();
        built.with_context(|| format!("cannot build index {} in {uri}", index.name))?;
        output::line(
            &mut out,
            &format!(
                "built {} on {} in {:.1} s",
                index.name,
                index.on,
                started.elapsed().as_secs_f64()
            ),
        )?;
    }
    Ok(Exit::Success)
}

/// A spinner with the elapsed time, on stderr only when it is a terminal.
fn spinner(message: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"),
    );
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
