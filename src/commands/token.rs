//! `token`: print a working access token (and nothing else) for a user or
//! id, refreshing it first when it expires within `--min-valid`.

use anyhow::{Context, Result};

use super::StoreArg;
use crate::cli::TokenArgs;
use crate::ops::access::{make_fresh, Outcome, Settings};
use crate::token::{now_ms, MatchKey};
use crate::zoho::Accounts;
use crate::{Exit, UsageError};

pub fn run(store: StoreArg<'_>, args: TokenArgs) -> Result<Exit> {
    let override_url = super::accounts_override(&args.zoho)?;
    let (uri, mut store) = store.open_existing(false)?;
    let key = match (&args.id, &args.user) {
        (Some(id), _) => MatchKey::Id(id),
        (None, Some(user)) => MatchKey::UserName(user),
        (None, None) => return Err(UsageError("token needs an id or --user".into()).into()),
    };
    let wanted = match key {
        MatchKey::Id(id) => format!("no token with id {id}"),
        _ => format!(
            "no token of user {}",
            args.user.as_deref().unwrap_or_default()
        ),
    };
    let Some(listed) = store
        .find(&key)
        .with_context(|| format!("cannot read {uri}"))?
    else {
        crate::output::notice(&format!("{wanted} in {uri}"));
        return Ok(Exit::NotFound);
    };
    let id = listed.id.clone().unwrap_or_default();
    let accounts = Accounts::new();
    let settings = Settings {
        accounts: &accounts,
        accounts_url: override_url.as_deref(),
        margin_ms: i64::try_from(args.min_valid.as_millis()).unwrap_or(i64::MAX),
    };
    let fresh = make_fresh(store.as_mut(), listed, &settings, false)
        .with_context(|| format!("cannot refresh token {id} in {uri}"))?;
    let Some((token, outcome)) = fresh else {
        crate::output::notice(&format!("{wanted} in {uri}"));
        return Ok(Exit::NotFound);
    };
    if let Outcome::Failed(problem) = outcome {
        return Err(anyhow::Error::new(problem).context(format!(
            "cannot get an access token for token {id} in {uri}"
        )));
    }
    if matches!(outcome, Outcome::Refreshed | Outcome::Exchanged) {
        let left = token.expiry_ms().map_or(i64::MAX, |e| e - now_ms());
        if left <= settings.margin_ms {
            crate::output::notice(&format!(
                "the new access token of token {id} lives {}, not more than --min-valid: \
                 every call will refresh it (Zoho allows 10 refreshes in 10 minutes)",
                crate::output::rough_duration(left)
            ));
        }
    }
    let access = token
        .access_token
        .as_ref()
        .map(|a| a.expose().to_string())
        .unwrap_or_default();
    // The one place an access token is printed on purpose: the value only.
    let mut out = super::stdout();
    std::io::Write::write_all(&mut out, format!("{access}\n").as_bytes())?;
    std::io::Write::flush(&mut out)?;
    Ok(Exit::Success)
}
