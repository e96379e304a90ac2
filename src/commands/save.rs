//! `save`: upsert one token from flags, or many from JSON (one transaction).

use std::io::BufRead;

use anyhow::{Context, Result};

use super::{style, token_from_flags, StoreArg};
use crate::cli::SaveArgs;
use crate::output::{thousands, write_one, TokenWriter};
use crate::store::{Change, TokenStoreExt};
use crate::token::{now_ms, present, Token};
use crate::{json, Exit, UsageError};

pub fn run(store: StoreArg<'_>, args: SaveArgs) -> Result<Exit> {
    match &args.input {
        Some(source) => save_input(store, &args, source),
        None => save_one(store, &args),
    }
}

fn save_one(store: StoreArg<'_>, args: &SaveArgs) -> Result<Exit> {
    let token = token_from_args(args)?;
    let (uri, mut store) = store.open()?;
    let saved = store
        .save_tokens_with_changes(std::slice::from_ref(&token))
        .with_context(|| format!("cannot save to {uri}"))?;
    report(&saved, &uri);
    write_one(&mut super::stdout(), &saved[0].0, style(&args.output))?;
    Ok(Exit::Success)
}

/// `save --input`: tokens streamed from the input through one transaction,
/// each printed as it is saved.
fn save_input(store: StoreArg<'_>, args: &SaveArgs, source: &str) -> Result<Exit> {
    let reading = || format!("cannot read tokens from {source}");
    let mut input = json::read_tokens(open_input(source)?).with_context(reading)?;
    // The first chunk before the store is opened: an empty or broken
    // input creates nothing.
    let first: Vec<Token> = input
        .by_ref()
        .take(crate::ops::save::CHUNK)
        .collect::<Result<_>>()
        .with_context(reading)?;
    if first.is_empty() {
        return Err(UsageError(format!("{source} holds no tokens")).into());
    }
    let (uri, mut store) = store.open()?;
    let mut out = super::stdout();
    let mut writer = TokenWriter::new(&mut out, style(&args.output))?;
    let mut rest = input.map(|t| t.with_context(reading));
    let summary = crate::ops::save::save_stream(
        store.as_mut(),
        first,
        &mut rest,
        args.on_conflict,
        &mut |token, _| writer.write(token),
    )
    .with_context(|| format!("cannot save to {uri}"))?;
    writer.finish()?;
    if !summary.skipped.is_empty() {
        crate::output::notice(&format!(
            "skipped {} tokens whose id {uri} holds with other content (ids {})",
            thousands(summary.skipped.len()),
            crate::ops::migrate::id_list(&summary.skipped)
        ));
    }
    crate::output::notice(&format!(
        "saved {} tokens in {uri}: {} created, {} updated, {} unchanged",
        thousands(summary.total()),
        thousands(summary.created),
        thousands(summary.updated),
        thousands(summary.unchanged)
    ));
    Ok(Exit::Success)
}

/// Says on stderr what the save did: `created token 14`.
fn report(saved: &[(Token, Change)], uri: &crate::uri::StoreUri) {
    for (token, change) in saved {
        let id = token.id.as_deref().unwrap_or_default();
        crate::output::notice(&format!("{} token {id} in {uri}", change.verb()));
    }
}

fn token_from_args(args: &SaveArgs) -> Result<Token> {
    let mut token = token_from_flags(args.fields.clone())?;
    token.expiry_time = match (args.expiry_time, args.expires_in) {
        (Some(ms), _) => Some(ms.to_string()),
        (None, Some(secs)) => {
            let ms = secs
                .checked_mul(1000)
                .and_then(|ms| ms.checked_add(now_ms()))
                .ok_or_else(|| UsageError(format!("--expires-in {secs} is out of range")))?;
            Some(ms.to_string())
        }
        (None, None) => None,
    };
    token.redirect_url = present(args.redirect_url.clone());
    token.api_domain = present(args.api_domain.clone());
    // Whether it can be saved depends on the store: a token that names an
    // existing one (by id or user) only needs the fields it changes.
    Ok(token)
}

/// The input, buffered: standard input for `-`, else the file.
fn open_input(source: &str) -> Result<Box<dyn BufRead>> {
    if source == "-" {
        return Ok(Box::new(std::io::stdin().lock()));
    }
    let file = std::fs::File::open(source).with_context(|| format!("cannot read {source}"))?;
    Ok(Box::new(std::io::BufReader::with_capacity(1 << 16, file)))
}
