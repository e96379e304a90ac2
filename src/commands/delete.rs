//! `delete`: by id (idempotent unless `--strict`), or every token of a user.

use anyhow::{Context, Result};

use super::StoreArg;
use crate::cli::DeleteArgs;
use crate::store::TokenStoreExt;
use crate::{Exit, UsageError};

pub fn run(store: StoreArg<'_>, args: DeleteArgs) -> Result<Exit> {
    if args.ids.is_empty() && args.user.is_none() {
        return Err(UsageError(
            "delete needs ids (`delete ID…`) or a user (`delete --user U`); `purge` deletes \
             every token"
                .into(),
        )
        .into());
    }
    if args.revoke {
        let selection = crate::cli::TokenSelection {
            ids: args.ids.clone(),
            user: args.user.clone(),
        };
        let exit = super::revoke::revoke_and_delete(store, &selection, &args.zoho, args.force)?;
        // As delete: a missing id or user is exit 3 only with --strict.
        return Ok(if exit == Exit::NotFound && !args.strict {
            Exit::Success
        } else {
            exit
        });
    }
    let (uri, mut store) = store.open_existing(false)?;
    let (deleted, missing): (Vec<String>, Vec<String>) = match &args.user {
        Some(user) => {
            let gone = store
                .delete_matching(&|t| t.user_name.as_ref() == Some(user))
                .with_context(|| format!("cannot delete from {uri}"))?;
            let ids = gone.into_iter().filter_map(|t| t.id).collect::<Vec<_>>();
            let missing = if ids.is_empty() {
                vec![format!("no token of user {user}")]
            } else {
                vec![]
            };
            (ids, missing)
        }
        None => {
            let deleted = store
                .delete_ids(&args.ids)
                .with_context(|| format!("cannot delete from {uri}"))?;
            let missing = args
                .ids
                .iter()
                .filter(|id| !deleted.contains(id))
                .map(|id| format!("no token with id {id}"))
                .collect();
            (deleted, missing)
        }
    };
    let mut out = super::stdout();
    for id in &deleted {
        crate::output::line(&mut out, &format!("deleted token {id}"))?;
    }
    for message in &missing {
        crate::output::notice(&format!("{message} in {uri}"));
    }
    Ok(if args.strict && !missing.is_empty() {
        Exit::NotFound
    } else {
        Exit::Success
    })
}
