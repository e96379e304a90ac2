//! `revoke` (and `delete --revoke`): revoke each token's refresh token at
//! Zoho, then delete the tokens Zoho revoked (all of them with `--force`),
//! so a logout really ends the session at Zoho.

use anyhow::{Context, Result};

use super::{token_label, StoreArg};
use crate::cli::{RevokeArgs, TokenSelection, ZohoArgs};
use crate::ops::access::{delete_unchanged, revoke, Settings};
use crate::zoho::Accounts;
use crate::{Exit, UsageError};

pub fn run(store: StoreArg<'_>, args: RevokeArgs) -> Result<Exit> {
    revoke_and_delete(store, &args.selection, &args.zoho, args.force)
}

/// Revokes, then deletes. Exit 1 when any revoke failed (whether or not
/// `force` deleted the token), 3 when an id or user has no token.
pub(crate) fn revoke_and_delete(
    store: StoreArg<'_>,
    selection: &TokenSelection,
    zoho: &ZohoArgs,
    force: bool,
) -> Result<Exit> {
    if selection.ids.is_empty() && selection.user.is_none() {
        return Err(UsageError(
            "revoke needs ids (`revoke ID…`) or a user (`revoke --user U`)".into(),
        )
        .into());
    }
    let override_url = super::accounts_override(zoho)?;
    let (uri, mut store) = store.open_existing(false)?;
    let (tokens, missing) = super::selected_tokens(store.as_mut(), selection)
        .with_context(|| format!("cannot read {uri}"))?;
    let accounts = Accounts::new();
    let settings = Settings {
        accounts: &accounts,
        accounts_url: override_url.as_deref(),
        margin_ms: 0,
    };
    // Zoho first, for every token; then one delete for those to go.
    let mut to_delete = Vec::new();
    let mut results = Vec::new();
    // A refresh token two rows hold is revoked once (Zoho would refuse the
    // second call as an unknown token).
    let mut revoked: Vec<(&str, &str)> = Vec::new();
    for token in &tokens {
        let key = (
            token.refresh_token.as_ref().map_or("", |r| r.expose()),
            token.api_domain.as_deref().unwrap_or_default(),
        );
        let result = if !key.0.is_empty() && revoked.contains(&key) {
            Ok(())
        } else {
            revoke(token, &settings)
        };
        if result.is_ok() {
            revoked.push(key);
        }
        if result.is_ok() || force {
            to_delete.push(token.clone());
        }
        results.push((token, result));
    }
    let deleted = delete_unchanged(store.as_mut(), &to_delete)
        .with_context(|| format!("cannot delete from {uri}"))?;
    let mut out = super::stdout();
    let mut failed = 0usize;
    for (token, result) in results {
        let gone = token.id.as_ref().is_some_and(|id| deleted.contains(id));
        let fate = match (gone, force) {
            (true, _) => "deleted",
            (false, false) => "kept (`--force` deletes it anyway)",
            (false, true) => "kept: it changed in the store meanwhile",
        };
        let text = match result {
            Ok(()) if gone => "revoked at Zoho and deleted".to_string(),
            Ok(()) => "revoked at Zoho; kept: the user authorised again meanwhile".to_string(),
            Err(problem) => {
                failed += 1;
                format!("not revoked: {problem}; {fate}")
            }
        };
        crate::output::line(&mut out, &format!("{}: {text}", token_label(token)))?;
    }
    for message in &missing {
        crate::output::notice(&format!("{message} in {uri}"));
    }
    if failed > 0 {
        crate::output::notice(&format!(
            "{failed} of {} tokens could not be revoked at Zoho",
            tokens.len()
        ));
    }
    Ok(super::zoho_exit(failed > 0, !missing.is_empty()))
}
