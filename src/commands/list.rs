//! `list`: every token in id order, filtered (all filters must hold).

use anyhow::{Context, Result};

use super::{style, StoreArg};
use crate::cli::ListArgs;
use crate::ops::select::{Filter, SortBy};
use crate::output::TokenWriter;
use crate::Exit;

/// Stops a scan once `--limit` tokens are out.
#[derive(Debug, thiserror::Error)]
#[error("enough tokens")]
struct Enough;

pub fn run(store: StoreArg<'_>, args: ListArgs) -> Result<Exit> {
    let style = style(&args.output);
    let now = style.now_ms;
    let filter = Filter {
        user: args.user,
        client_id: args.client_id,
        api_domain: args.api_domain,
        expired: args.expired,
        not_expired: args.valid,
        state: args.state,
        expiring_within_ms: args
            .expiring_within
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
    };
    let limit = args.limit.unwrap_or(usize::MAX);
    let (uri, mut store) = store.open_existing(true)?;
    let mut out = super::stdout();
    let mut writer = TokenWriter::new(&mut out, style)?;
    if matches!(args.sort, SortBy::Id | SortBy::Stored) {
        // Streamed: stop reading once --limit tokens are out.
        let mut shown = 0;
        let mut show = |token: crate::token::Token| {
            if shown == limit {
                return Err(Enough.into());
            }
            if filter.keeps(&token, now) {
                writer.write(&token)?;
                shown += 1;
            }
            // Nothing more can be shown once standard output has failed.
            if crate::output::stdout_failed() {
                return Err(Enough.into());
            }
            Ok(())
        };
        let scanned = match args.sort {
            SortBy::Stored => store.scan(&mut show),
            _ => store.scan_in_id_order(&mut show),
        };
        match scanned {
            Err(e) if e.downcast_ref::<Enough>().is_some() => {}
            other => other.with_context(|| format!("cannot list {uri}"))?,
        }
    } else {
        // Other orders hold the matching tokens to sort them.
        let mut kept = Vec::new();
        store
            .scan(&mut |token| {
                if filter.keeps(&token, now) {
                    kept.push(token);
                }
                Ok(())
            })
            .with_context(|| format!("cannot list {uri}"))?;
        args.sort.sort(&mut kept);
        for token in kept.iter().take(limit) {
            writer.write(token)?;
        }
    }
    let shown = writer.finish()?;
    if shown == 0 && style.format == crate::output::Format::Table {
        crate::output::notice(&format!(
            "no tokens in {uri}; add one with `tokenstore save …`, or point --store (or \
             TOKENSTORE_URI) at an SDK store"
        ));
    }
    for note in store.notes() {
        crate::output::notice(&format!("{uri}: {note}"));
    }
    if shown > 0 && !style.reveal && style.format == crate::output::Format::Csv {
        crate::output::notice(
            "the CSV holds masked secrets, not the secrets: it is not a store to migrate or \
             save from (add --reveal for a full export)",
        );
    }
    Ok(Exit::Success)
}
