//! Which tokens `list` shows and `purge` removes.

use crate::token::{Token, TokenState};

/// The filters of `list`; a token is kept when all of them hold.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub user: Option<String>,
    pub client_id: Option<String>,
    pub api_domain: Option<String>,
    /// Only tokens whose access token has expired (refreshable or dead).
    pub expired: bool,
    /// Only tokens whose access token has not expired.
    pub not_expired: bool,
    /// Only tokens in this state.
    pub state: Option<TokenState>,
    /// Only tokens not yet expired that expire within this many ms.
    pub expiring_within_ms: Option<i64>,
}

impl Filter {
    pub fn keeps(&self, t: &Token, now: i64) -> bool {
        let equal = |want: &Option<String>, have: &Option<String>| {
            want.as_ref().is_none_or(|w| have.as_ref() == Some(w))
        };
        equal(&self.user, &t.user_name)
            && equal(&self.client_id, &t.client_id)
            && equal(&self.api_domain, &t.api_domain)
            && (!self.expired || t.is_expired_at(now))
            && (!self.not_expired || !t.is_expired_at(now))
            && self.state.is_none_or(|s| t.state_at(now) == s)
            && self.expiring_within_ms.is_none_or(|w| {
                t.expiry_ms()
                    .is_some_and(|e| e > now && e <= now.saturating_add(w))
            })
    }
}

/// The order `list` prints in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SortBy {
    /// Numeric id order, streamed from the store
    Id,
    /// Soonest expiry first (no expiry time last)
    Expiry,
    /// User name, then id
    User,
    /// As the store holds them (file order; the database's own), streamed
    /// as read: the first token out soonest
    Stored,
}

impl SortBy {
    /// Orders tokens that had to be held to sort them.
    pub fn sort(self, tokens: &mut [crate::token::Token]) {
        use crate::token::compare_ids;
        match self {
            SortBy::Id => tokens.sort_by(|a, b| compare_ids(a.id.as_deref(), b.id.as_deref())),
            SortBy::Stored => {}
            SortBy::Expiry => tokens.sort_by_key(|t| (t.expiry_ms().is_none(), t.expiry_ms())),
            SortBy::User => tokens.sort_by(|a, b| {
                (&a.user_name, a.id.as_deref()).cmp(&(&b.user_name, b.id.as_deref()))
            }),
        }
    }
}

/// What `purge` removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PurgeSelection {
    All,
    /// Dead tokens only: nothing left to refresh with (`--expired`, `--dead`).
    Dead,
    /// Every token whose access token expired, refreshable ones included.
    AccessExpired,
}

impl PurgeSelection {
    pub fn picks(self, t: &Token, now: i64) -> bool {
        match self {
            PurgeSelection::All => true,
            PurgeSelection::Dead => t.state_at(now) == TokenState::Dead,
            PurgeSelection::AccessExpired => t.state_at(now) != TokenState::Valid,
        }
    }

    /// How the selected tokens are named in messages.
    pub fn noun(self) -> &'static str {
        match self {
            PurgeSelection::All => "tokens",
            PurgeSelection::Dead => "dead tokens",
            PurgeSelection::AccessExpired => "tokens with an expired access token",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(access: bool, refresh: bool, expiry: Option<i64>) -> Token {
        let mut fields: [Option<String>; 10] = Default::default();
        fields[0] = Some("1".into());
        fields[4] = refresh.then(|| "r".into());
        fields[5] = access.then(|| "a".into());
        fields[7] = expiry.map(|e| e.to_string());
        Token::from_fields(fields)
    }

    #[test]
    fn purge_expired_takes_only_dead_tokens() {
        let now = 10_000;
        let valid = token(true, true, Some(now + 1));
        let refreshable = token(true, true, Some(now - 1));
        let dead = token(true, false, Some(now - 1));
        assert_eq!(valid.state_at(now), TokenState::Valid);
        assert_eq!(refreshable.state_at(now), TokenState::Refreshable);
        assert_eq!(dead.state_at(now), TokenState::Dead);
        let picked = |s: PurgeSelection| {
            [&valid, &refreshable, &dead]
                .iter()
                .filter(|t| s.picks(t, now))
                .count()
        };
        assert_eq!(picked(PurgeSelection::Dead), 1);
        assert_eq!(picked(PurgeSelection::AccessExpired), 2);
        assert_eq!(picked(PurgeSelection::All), 3);
    }
}
