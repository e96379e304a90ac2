//! `refresh`: new access tokens from Zoho for the selected tokens that
//! expire within `--expiring-within`, saved; one report line per token;
//! exit 1 when any failed.

use anyhow::{Context, Result};

use super::{token_label, StoreArg};
use crate::cli::RefreshArgs;
use crate::ops::access::{make_fresh, Outcome, Settings};
use crate::token::now_ms;
use crate::zoho::Accounts;
use crate::{Exit, UsageError};

pub fn run(store: StoreArg<'_>, args: RefreshArgs) -> Result<Exit> {
    if !args.all && args.selection.ids.is_empty() && args.selection.user.is_none() {
        return Err(UsageError(
            "refresh needs ids (`refresh ID…`), a user (`--user U`) or `--all`".into(),
        )
        .into());
    }
    let override_url = super::accounts_override(&args.zoho)?;
    let (uri, mut store) = store.open_existing(false)?;
    let (tokens, missing) = super::selected_tokens(store.as_mut(), &args.selection)
        .with_context(|| format!("cannot read {uri}"))?;
    let accounts = Accounts::new();
    let settings = Settings {
        accounts: &accounts,
        accounts_url: override_url.as_deref(),
        margin_ms: i64::try_from(args.expiring_within.as_millis()).unwrap_or(i64::MAX),
    };
    let mut out = super::stdout();
    let mut report = Vec::new();
    let mut failed = 0usize;
    for listed in &tokens {
        let id = listed.id.clone().unwrap_or_default();
        let fresh = make_fresh(store.as_mut(), listed.clone(), &settings, args.dry_run)
            .with_context(|| format!("cannot refresh token {id} in {uri}"))?;
        let Some((token, outcome)) = fresh else {
            // Deleted since it was listed: nothing to refresh.
            continue;
        };
        let now = now_ms();
        let left = || {
            token.expiry_ms().map_or("no expiry time".to_string(), |e| {
                format!("valid for {}", crate::output::rough_duration(e - now))
            })
        };
        let (result, text, code) = match &outcome {
            Outcome::StillValid => ("still_valid", format!("still valid ({})", left()), None),
            Outcome::Refreshed => ("refreshed", format!("refreshed, {}", left()), None),
            Outcome::Exchanged => (
                "exchanged",
                format!("grant token exchanged for a refresh token, {}", left()),
                None,
            ),
            Outcome::Would(need) => ("would_refresh", format!("would {}", need.verb()), None),
            Outcome::Failed(problem) => {
                failed += 1;
                ("failed", format!("failed: {problem}"), Some(problem.code()))
            }
        };
        if args.json {
            report.push(serde_json::json!({
                "id": id,
                "user_name": token.user_name,
                "result": result,
                "error": code,
                "expiry_time": token.expiry_time,
            }));
        } else {
            crate::output::line(&mut out, &format!("{}: {text}", token_label(&token)))?;
        }
    }
    if args.json {
        super::write_json(&mut out, &report)?;
    }
    if failed > 0 {
        crate::output::notice(&format!(
            "{failed} of {} tokens could not be refreshed; nothing was changed for them",
            tokens.len()
        ));
    }
    for message in &missing {
        crate::output::notice(&format!("{message} in {uri}"));
    }
    if tokens.is_empty() && missing.is_empty() {
        crate::output::notice(&format!("no tokens in {uri}"));
    }
    Ok(super::zoho_exit(failed > 0, !missing.is_empty()))
}
