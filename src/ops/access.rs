//! Working access tokens from Zoho, as a library: refresh a token (or
//! exchange its grant token once) and save the result, check whether Zoho
//! still accepts a token, and revoke one.
//!
//! A refresh runs inside the store's write transaction (the file lock,
//! SQLite `BEGIN IMMEDIATE`, MySQL `GET_LOCK`): the token is read again
//! once the lock is held and refreshed only if it still needs it, so two
//! callers at once refresh once. Zoho's answer is kept outside the
//! transaction's closure: when the store changed under the write and the
//! closure runs again, the token already fetched is saved, and Zoho is not
//! asked twice.

use anyhow::Result;

use crate::store::{in_transaction, verify_written, TokenStore, TokenStoreExt};
use crate::token::{now_ms, Token};
use crate::zoho::{accounts_url, Accounts, Client, Granted, ZohoError};

/// Where to reach Zoho and how much life an access token must have left.
pub struct Settings<'a> {
    pub accounts: &'a Accounts,
    /// `--accounts-url` / TOKENSTORE_ACCOUNTS_URL, already checked.
    pub accounts_url: Option<&'a str>,
    /// A token expiring within this many milliseconds is refreshed.
    pub margin_ms: i64,
}

/// What getting a token to a working state did.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The access token lives beyond the margin; Zoho was not asked.
    StillValid,
    /// A new access token was fetched with the refresh token and saved.
    Refreshed,
    /// The grant token was exchanged for a refresh and access token, saved.
    Exchanged,
    /// `--dry-run`: what a real run would ask Zoho for.
    Would(Need),
    /// Nothing was changed.
    Failed(Problem),
}

/// Why a token could not be made to work.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Problem {
    #[error(transparent)]
    Zoho(#[from] ZohoError),
    /// The token lacks what a call needs (a refresh token, a client, a
    /// data centre); the text says what.
    #[error("{0}")]
    Unusable(String),
}

impl Problem {
    /// A short word for JSON reports and tables.
    pub fn code(&self) -> &str {
        match self {
            Problem::Zoho(e) => e.code(),
            Problem::Unusable(_) => "unusable",
        }
    }
}

/// What a token needs to have a working access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Nothing,
    Refresh,
    ExchangeGrant,
    /// No live access token and nothing to get one with (a dead token).
    Impossible,
}

impl Need {
    pub fn of(token: &Token, now_ms: i64, margin_ms: i64) -> Need {
        // No expiry time: valid, as in `list`; one that is not a number of
        // milliseconds cannot tell, so the token is refreshed (and gets one).
        let lives = match token.expiry_time {
            None => true,
            Some(_) => token
                .expiry_ms()
                .is_some_and(|expiry| expiry > now_ms.saturating_add(margin_ms)),
        };
        if token.access_token.is_some() && lives {
            Need::Nothing
        } else if token.refresh_token.is_some() {
            Need::Refresh
        } else if token.grant_token.is_some() {
            Need::ExchangeGrant
        } else {
            Need::Impossible
        }
    }

    pub fn verb(self) -> &'static str {
        match self {
            Need::Nothing => "leave it",
            Need::Refresh => "refresh it",
            Need::ExchangeGrant => "exchange its grant token",
            Need::Impossible => "fail: nothing to refresh with",
        }
    }
}

const DEAD: &str = "it has no refresh or grant token to get a new access token with \
                    (a dead token: the user must authorise the application again)";

/// The client fields a call needs, or what is missing.
fn client_of(token: &Token) -> Result<Client<'_>, Problem> {
    match (token.client_id.as_deref(), token.client_secret.as_ref()) {
        (Some(client_id), Some(secret)) => Ok(Client {
            client_id,
            client_secret: secret.expose(),
            redirect_url: token.redirect_url.as_deref(),
        }),
        _ => Err(Problem::Unusable(
            "it has no client id and client secret to call Zoho with".into(),
        )),
    }
}

fn accounts_of(token: &Token, settings: &Settings<'_>) -> Result<String, Problem> {
    accounts_url(token.api_domain.as_deref(), settings.accounts_url).map_err(Problem::Unusable)
}

/// Asks Zoho for what `need` says; no store is touched.
fn fetch(token: &Token, need: Need, settings: &Settings<'_>) -> Result<Granted, Problem> {
    let accounts = accounts_of(token, settings)?;
    let client = client_of(token)?;
    let expose = crate::secret::exposed;
    Ok(match need {
        Need::Refresh => {
            let refresh = expose(&token.refresh_token).unwrap_or_default();
            settings.accounts.refresh(&accounts, &client, refresh)?
        }
        Need::ExchangeGrant => {
            let grant = expose(&token.grant_token).unwrap_or_default();
            settings
                .accounts
                .exchange_grant(&accounts, &client, grant)?
        }
        Need::Nothing | Need::Impossible => {
            return Err(Problem::Unusable(DEAD.into()));
        }
    })
}

/// Makes a token hold an access token that lives beyond the margin,
/// refreshing (or exchanging) and saving it when needed; see the module's
/// notes on locking. `listed` is the token as read without the lock: one
/// that needs nothing is returned as it is, so scripts asking for tokens
/// take no write lock and do not queue behind the application. `None` when
/// the token is gone by the time the lock is held. A failure to get a token
/// from Zoho is an `Outcome::Failed` (nothing written); an `Err` is a
/// failure of the store.
pub fn make_fresh(
    store: &mut dyn TokenStore,
    listed: Token,
    settings: &Settings<'_>,
    dry_run: bool,
) -> Result<Option<(Token, Outcome)>> {
    match Need::of(&listed, now_ms(), settings.margin_ms) {
        Need::Nothing => return Ok(Some((listed, Outcome::StillValid))),
        Need::Impossible => {
            return Ok(Some((
                listed,
                Outcome::Failed(Problem::Unusable(DEAD.into())),
            )))
        }
        need if dry_run => {
            // What a real run would fail on before asking Zoho.
            let usable =
                accounts_of(&listed, settings).and_then(|_| client_of(&listed).map(|_| ()));
            let outcome = match usable {
                Ok(()) => Outcome::Would(need),
                Err(problem) => Outcome::Failed(problem),
            };
            return Ok(Some((listed, outcome)));
        }
        _ => {}
    }
    let id = listed.id.clone().unwrap_or_default();
    // Zoho's answer and when it came, kept across a re-run of the closure.
    let mut fetched: Option<(Need, Result<Granted, Problem>, i64)> = None;
    // The refresh or grant token Zoho was asked with.
    let mut asked_with: Option<String> = None;
    let written = in_transaction(store, |tx| {
        let Some(token) = tx.get(std::slice::from_ref(&id))?.into_iter().next() else {
            return Ok(None);
        };
        if let Some((need, _, _)) = &fetched {
            // Run again: the application wrote the store while Zoho answered.
            if Need::of(&token, now_ms(), settings.margin_ms) == Need::Nothing {
                // It has a live access token of its own now: keep it.
                return Ok(Some((token, Outcome::StillValid)));
            }
            if credential(&token, *need) != asked_with.as_deref() {
                // Authorised again meanwhile: the answer is for the old
                // session; ask with the new token instead.
                fetched = None;
            }
        }
        if fetched.is_none() {
            let need = Need::of(&token, now_ms(), settings.margin_ms);
            if need == Need::Nothing {
                // Another caller refreshed it while this one waited.
                return Ok(Some((token, Outcome::StillValid)));
            }
            asked_with = credential(&token, need).map(str::to_owned);
            fetched = Some((need, fetch(&token, need, settings), now_ms()));
        }
        let (need, result, at_ms) = fetched.clone().expect("fetched above");
        let granted = match result {
            Ok(granted) => granted,
            Err(problem) => return Ok(Some((token, Outcome::Failed(problem)))),
        };
        let mut updated = token;
        updated.access_token = Some(granted.access_token.clone());
        updated.expiry_time = Some(granted.expiry_ms(at_ms).to_string());
        if let Some(refresh) = granted.refresh_token {
            updated.refresh_token = Some(refresh);
        }
        tx.update(&updated)?;
        verify_written(tx, std::slice::from_ref(&updated))?;
        let outcome = match need {
            Need::ExchangeGrant => Outcome::Exchanged,
            _ => Outcome::Refreshed,
        };
        Ok(Some((updated, outcome)))
    });
    match written {
        // A grant token works once: what Zoho gave for it is lost now.
        Err(e) if matches!(fetched, Some((Need::ExchangeGrant, Ok(_), _))) => Err(e.context(
            "the grant token was exchanged at Zoho, but the refresh token it gave could not \
             be saved: the grant is used up, and the user must authorise the application again",
        )),
        other => other,
    }
}

/// The token a refresh (or exchange) sends to Zoho.
fn credential(token: &Token, need: Need) -> Option<&str> {
    let secret = match need {
        Need::ExchangeGrant => &token.grant_token,
        _ => &token.refresh_token,
    };
    crate::secret::exposed(secret)
}

/// What a check found about one token.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Zoho gave an access token for its refresh token (not saved).
    Alive,
    /// Zoho refused it (`invalid_code`, `invalid_client`): revoked.
    Revoked(ZohoError),
    /// Nothing to check with: no refresh or grant token.
    Dead,
    /// Only a grant token: checking would use it up (`refresh` exchanges it).
    GrantOnly,
    /// The check itself failed (unreachable, rate limited, no client…).
    Unknown(Problem),
}

impl Verdict {
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Alive => "alive",
            Verdict::Revoked(_) => "revoked",
            Verdict::Dead => "dead",
            Verdict::GrantOnly => "grant-only",
            Verdict::Unknown(_) => "unknown",
        }
    }
}

/// Asks Zoho whether it still accepts the token's refresh token, by
/// refreshing it; the access token Zoho gives is not saved, so the store
/// is not changed (it counts against Zoho's 10-in-10-minutes limit).
pub fn check(token: &Token, settings: &Settings<'_>) -> Verdict {
    if token.refresh_token.is_none() {
        return if token.grant_token.is_some() {
            Verdict::GrantOnly
        } else {
            Verdict::Dead
        };
    }
    match fetch(token, Need::Refresh, settings) {
        Ok(_) => Verdict::Alive,
        Err(Problem::Zoho(e)) if e.is_revoked() => Verdict::Revoked(e),
        Err(problem) => Verdict::Unknown(problem),
    }
}

/// Revokes the token's refresh token at Zoho.
pub fn revoke(token: &Token, settings: &Settings<'_>) -> Result<(), Problem> {
    let Some(refresh) = token.refresh_token.as_ref() else {
        return Err(Problem::Unusable(
            "it has no refresh token to revoke at Zoho".into(),
        ));
    };
    let accounts = accounts_of(token, settings)?;
    settings.accounts.revoke(&accounts, refresh.expose())?;
    Ok(())
}

/// Deletes, in one transaction, the tokens given that still hold the same
/// refresh and grant token as when they were judged (a user who authorised
/// again meanwhile keeps the new token); returns the ids deleted.
pub fn delete_unchanged(store: &mut dyn TokenStore, judged: &[Token]) -> Result<Vec<String>> {
    if judged.is_empty() {
        return Ok(Vec::new());
    }
    let same = |t: &Token| {
        judged.iter().any(|j| {
            j.id == t.id && j.refresh_token == t.refresh_token && j.grant_token == t.grant_token
        })
    };
    let gone = store.delete_matching(&same)?;
    Ok(gone.into_iter().filter_map(|t| t.id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(access: bool, refresh: bool, grant: bool, expiry: Option<i64>) -> Token {
        let mut fields: [Option<String>; 10] = Default::default();
        fields[0] = Some("1".into());
        fields[4] = refresh.then(|| "r".into());
        fields[5] = access.then(|| "a".into());
        fields[6] = grant.then(|| "g".into());
        fields[7] = expiry.map(|e| e.to_string());
        Token::from_fields(fields)
    }

    #[test]
    fn a_token_is_refreshed_only_within_the_margin() {
        let (now, margin) = (1_000_000, 300_000);
        let need = |t: Token| Need::of(&t, now, margin);
        assert_eq!(
            need(token(true, true, false, Some(now + margin + 1))),
            Need::Nothing
        );
        assert_eq!(
            need(token(true, true, false, Some(now + margin))),
            Need::Refresh
        );
        assert_eq!(need(token(true, true, false, Some(now - 1))), Need::Refresh);
        assert_eq!(need(token(true, true, false, None)), Need::Nothing);
        assert_eq!(need(token(false, true, true, None)), Need::Refresh);
        assert_eq!(need(token(false, false, true, None)), Need::ExchangeGrant);
        assert_eq!(
            need(token(true, false, false, Some(now - 1))),
            Need::Impossible
        );
        // An expiry time that is not milliseconds says nothing: refresh.
        for odd in ["soon", "1.7e12", "1767232800000.5"] {
            let mut t = token(true, true, false, None);
            t.expiry_time = Some(odd.into());
            assert_eq!(need(t), Need::Refresh, "{odd}");
        }
    }
}
