//! `purge`: delete every token, or only the expired ones; asks first on a
//! terminal and needs `--yes` without one.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result};

use super::{style, StoreArg};
use crate::cli::PurgeArgs;
use crate::ops::select::PurgeSelection;
use crate::output::TokenWriter;
use crate::store::TokenStoreExt;
use crate::token::{now_ms, Token};
use crate::{Exit, UsageError};

pub fn run(store: StoreArg<'_>, args: PurgeArgs) -> Result<Exit> {
    let now = now_ms();
    let selection = if args.expired {
        PurgeSelection::Dead
    } else if args.access_expired {
        PurgeSelection::AccessExpired
    } else {
        PurgeSelection::All
    };
    let select = move |t: &Token| selection.picks(t, now);
    let what = selection.noun();
    let (uri, mut store) = store.open_existing(false)?;

    if args.dry_run {
        let mut out = super::stdout();
        let mut writer = TokenWriter::new(&mut out, style(&args.output))?;
        store
            .scan_in_id_order(&mut |t| if select(&t) { writer.write(&t) } else { Ok(()) })
            .with_context(|| format!("cannot read {uri}"))?;
        let n = writer.finish()?;
        crate::output::notice(&format!("dry run: would delete {n} {what} from {uri}"));
        return Ok(Exit::Success);
    }

    if !args.yes {
        if !std::io::stdin().is_terminal() {
            return Err(UsageError(
                "purge deletes tokens; pass --yes to confirm when standard input is not a terminal"
                    .into(),
            )
            .into());
        }
        let mut count = 0usize;
        store
            .scan(&mut |t| {
                count += usize::from(select(&t));
                Ok(())
            })
            .with_context(|| format!("cannot read {uri}"))?;
        if count == 0 {
            crate::output::line(
                &mut super::stdout(),
                &format!("no {what} to delete in {uri}"),
            )?;
            return Ok(Exit::Success);
        }
        {
            let question = format!("Delete {count} {what} from {uri}? [y/N] ");
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "{}", crate::output::safe(&question));
            let _ = stderr.flush();
        }
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            // Cancelled, as gh reports it: exit 2.
            return Err(UsageError("cancelled; nothing was deleted".into()).into());
        }
    }

    let mut out = super::stdout();
    let deleted = if selection != PurgeSelection::All || args.verbose {
        let mut gone = store
            .delete_matching(&select)
            .with_context(|| format!("cannot delete from {uri}"))?;
        if args.verbose {
            gone.sort_by(|a, b| crate::token::compare_ids(a.id.as_deref(), b.id.as_deref()));
            for token in &gone {
                let id = token.id.as_deref().unwrap_or_default();
                crate::output::line(&mut out, &format!("deleted token {id}"))?;
            }
        }
        gone.len()
    } else {
        store
            .delete_tokens()
            .with_context(|| format!("cannot delete from {uri}"))?
    };
    crate::output::line(
        &mut out,
        &format!(
            "deleted {} {what} from {uri}",
            crate::output::thousands(deleted)
        ),
    )?;
    Ok(Exit::Success)
}
