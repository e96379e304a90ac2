//! `save`: upsert one token from flags, or many from JSON (one transaction).

use std::io::Read;

use anyhow::{Context, Result};

use super::{style, token_from_flags, StoreArg};
use crate::cli::SaveArgs;
use crate::output::{write_one, TokenWriter};
use crate::store::{Change, TokenStoreExt};
use crate::token::{now_ms, present, Token};
use crate::{json, Exit, UsageError};

pub fn run(store: StoreArg<'_>, args: SaveArgs) -> Result<Exit> {
    let from_input = args.input.is_some();
    let tokens = match &args.input {
        Some(source) => {
            let tokens = json::parse_tokens(&read_input(source)?)
                .with_context(|| format!("cannot read tokens from {source}"))?;
            if tokens.is_empty() {
                return Err(UsageError(format!("{source} holds no tokens")).into());
            }
            tokens
        }
        None => vec![token_from_args(&args)?],
    };
    let (uri, mut store) = store.open()?;
    let saved = if from_input {
        let saved = crate::ops::save::save_all(store.as_mut(), &tokens, args.on_conflict)
            .with_context(|| format!("cannot save to {uri}"))?;
        if !saved.skipped.is_empty() {
            crate::output::notice(&format!(
                "skipped {} tokens whose id {uri} holds with other content (ids {})",
                saved.skipped.len(),
                crate::ops::migrate::id_list(&saved.skipped)
            ));
        }
        saved.tokens
    } else {
        store
            .save_tokens_with_changes(&tokens)
            .with_context(|| format!("cannot save to {uri}"))?
    };
    report(&saved, &uri);
    let style = style(&args.output);
    let mut out = super::stdout();
    if from_input {
        let mut writer = TokenWriter::new(&mut out, style)?;
        for (token, _) in &saved {
            writer.write(token)?;
        }
        writer.finish()?;
    } else {
        write_one(&mut out, &saved[0].0, style)?;
    }
    Ok(Exit::Success)
}

/// Says on stderr what the save did: `created token 14` for one token, a
/// count of each for many.
fn report(saved: &[(Token, Change)], uri: &crate::uri::StoreUri) {
    if let [(token, change)] = saved {
        let id = token.id.as_deref().unwrap_or_default();
        crate::output::notice(&format!("{} token {id} in {uri}", change.verb()));
        return;
    }
    let count = |c: Change| saved.iter().filter(|(_, change)| *change == c).count();
    crate::output::notice(&format!(
        "saved {} tokens in {uri}: {} created, {} updated, {} unchanged",
        saved.len(),
        count(Change::Created),
        count(Change::Updated),
        count(Change::Unchanged)
    ));
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

fn read_input(source: &str) -> Result<String> {
    let mut text = String::new();
    if source == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
    } else {
        text = std::fs::read_to_string(source).with_context(|| format!("cannot read {source}"))?;
    }
    Ok(text)
}
