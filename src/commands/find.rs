//! `find` (the first token a save would update) and `find-by-id`.

use anyhow::{Context, Result};

use super::{style, token_from_flags, StoreArg};
use crate::cli::{FindArgs, FindByIdArgs, OutputArgs};
use crate::output::write_one;
use crate::store::TokenStoreExt;
use crate::token::Token;
use crate::uri::StoreUri;
use crate::{Exit, UsageError};

pub fn run(store: StoreArg<'_>, args: FindArgs) -> Result<Exit> {
    let query = token_from_flags(args.fields)?;
    if query.match_key().is_none() {
        return Err(UsageError(
            "find needs --id, --user-name, --access-token (without client credentials), or \
             --grant-token/--refresh-token with --client-id and --client-secret"
                .into(),
        )
        .into());
    }
    let (uri, mut store) = store.open_existing(true)?;
    let found = store
        .find_token(&query)
        .with_context(|| format!("cannot search {uri}"))?;
    show(found, &uri, "no matching token", &args.output)
}

pub fn run_by_id(store: StoreArg<'_>, args: FindByIdArgs) -> Result<Exit> {
    let (uri, mut store) = store.open_existing(true)?;
    let found = store
        .find_token_by_id(&args.id)
        .with_context(|| format!("cannot search {uri}"))?;
    show(
        found,
        &uri,
        &format!("no token with id {}", args.id),
        &args.output,
    )
}

fn show(found: Option<Token>, uri: &StoreUri, missing: &str, output: &OutputArgs) -> Result<Exit> {
    match found {
        Some(token) => {
            write_one(&mut super::stdout(), &token, style(output))?;
            Ok(Exit::Success)
        }
        None => {
            crate::output::notice(&format!("{missing} in {uri}"));
            Ok(Exit::NotFound)
        }
    }
}
