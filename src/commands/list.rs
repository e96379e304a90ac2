//! `list`: every token in id order, filtered (all filters must hold).

use anyhow::{Context, Result};

use super::{style, StoreArg};
use crate::cli::ListArgs;
use crate::ops::select::Filter;
use crate::output::TokenWriter;
use crate::Exit;

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
    let (uri, mut store) = store.open_existing(true)?;
    let mut out = super::stdout();
    let mut writer = TokenWriter::new(&mut out, style)?;
    store
        .scan_in_id_order(&mut |token| {
            if filter.keeps(&token, now) {
                writer.write(&token)?;
            }
            Ok(())
        })
        .with_context(|| format!("cannot list {uri}"))?;
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
