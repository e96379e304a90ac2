//! `check`: ask Zoho which tokens it still accepts (by refreshing each,
//! keeping nothing), report each as alive, revoked, dead, grant-only or
//! unknown; with `--purge`, delete the revoked ones. Exit 1 unless every
//! token checked is alive.

use anyhow::{Context, Result};

use super::{token_label, StoreArg};
use crate::cli::CheckArgs;
use crate::ops::access::{check, delete_unchanged, Need, Settings, Verdict};
use crate::token::now_ms;
use crate::token::Token;
use crate::zoho::{accounts_url, Accounts};
use crate::Exit;

/// Without ids, a user or --all, the tokens a refresh is due for anyway.
const DUE_MARGIN_MS: i64 = 5 * 60 * 1000;

pub fn run(store: StoreArg<'_>, args: CheckArgs) -> Result<Exit> {
    let override_url = super::accounts_override(&args.zoho)?;
    let (uri, mut store) = store.open_existing(false)?;
    let (mut tokens, missing) = super::selected_tokens(store.as_mut(), &args.selection)
        .with_context(|| format!("cannot read {uri}"))?;
    let chosen = args.all || !args.selection.ids.is_empty() || args.selection.user.is_some();
    if !chosen {
        let now = now_ms();
        tokens.retain(|t| Need::of(t, now, DUE_MARGIN_MS) != Need::Nothing);
    }
    let accounts = Accounts::new();
    let settings = Settings {
        accounts: &accounts,
        accounts_url: override_url.as_deref(),
        margin_ms: 0,
    };
    let verdicts: Vec<Verdict> = tokens.iter().map(|t| check(t, &settings)).collect();
    let revoked: Vec<_> = tokens
        .iter()
        .zip(&verdicts)
        .filter(|(_, v)| matches!(v, Verdict::Revoked(_)))
        .map(|(t, _)| t.clone())
        .collect();
    // Zoho answers `invalid_client` also when asked at another data
    // centre's server than the client's: from a server the token's own
    // api_domain does not name (--accounts-url), it does not purge.
    let doubtful = |token: &Token, verdict: &Verdict| {
        matches!(verdict, Verdict::Revoked(e) if e.code() != "invalid_code")
            && override_url.as_deref().is_some_and(|url| {
                accounts_url(token.api_domain.as_deref(), None).as_deref() != Ok(url)
            })
    };
    let to_purge: Vec<Token> = tokens
        .iter()
        .zip(&verdicts)
        .filter(|(t, v)| matches!(v, Verdict::Revoked(_)) && !doubtful(t, v))
        .map(|(t, _)| t.clone())
        .collect();
    let deleted = if args.purge {
        delete_unchanged(store.as_mut(), &to_purge)
            .with_context(|| format!("cannot delete from {uri}"))?
    } else {
        Vec::new()
    };

    let mut out = super::stdout();
    let mut report = Vec::new();
    for (token, verdict) in tokens.iter().zip(&verdicts) {
        let id = token.id.clone().unwrap_or_default();
        let gone = deleted.contains(&id);
        let text = match verdict {
            Verdict::Alive => "alive: Zoho accepts its refresh token".to_string(),
            Verdict::Revoked(e) if gone => format!("revoked ({e}); deleted"),
            Verdict::Revoked(e) if args.purge && doubtful(token, verdict) => format!(
                "revoked ({e}); kept: asked at --accounts-url, not at its own data centre, \
                 where the client may well exist"
            ),
            Verdict::Revoked(e) => format!("revoked ({e})"),
            Verdict::Dead => "dead: no refresh or grant token (purge --dead removes it)".into(),
            Verdict::GrantOnly => "not checked: only a grant token, which checking would use up \
                 (refresh exchanges it)"
                .into(),
            Verdict::Unknown(problem) => format!("could not check: {problem}"),
        };
        if args.json {
            let error = match verdict {
                Verdict::Revoked(e) => Some(e.code().to_string()),
                Verdict::Unknown(p) => Some(p.code().to_string()),
                _ => None,
            };
            report.push(serde_json::json!({
                "id": id,
                "user_name": token.user_name,
                "state": verdict.word(),
                "error": error,
                "deleted": gone,
            }));
        } else {
            crate::output::line(&mut out, &format!("{}: {text}", token_label(token)))?;
        }
    }
    if args.json {
        super::write_json(&mut out, &report)?;
    }
    for message in &missing {
        crate::output::notice(&format!("{message} in {uri}"));
    }
    if tokens.is_empty() && missing.is_empty() {
        crate::output::notice(&format!(
            "no tokens to check in {uri}{}",
            if chosen {
                ""
            } else {
                " (none is due for a refresh; --all checks every token)"
            }
        ));
    }
    let unwell = verdicts
        .iter()
        .filter(|v| !matches!(v, Verdict::Alive))
        .count();
    if !revoked.is_empty() && !args.purge {
        crate::output::notice(&format!(
            "{} tokens revoked; `check --purge` deletes them",
            revoked.len()
        ));
    }
    Ok(super::zoho_exit(unwell > 0, !missing.is_empty()))
}
