//! The token model, the matching rules of save/find, ids and expiry.

use std::cmp::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::secret::{exposed, Secret};

use crate::field::Field;
pub use crate::field::FIELD_NAMES;

/// One stored OAuth token. Every field is optional; `None` is "absent",
/// which is the same as an empty string or SQL NULL in every store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Token {
    /// What reading the store noticed about this token: which absent
    /// fields a SQL store held as `''` rather than NULL (so a copy between
    /// SQL stores keeps them), and whether its row was shifted (a Node
    /// file row whose values held commas). Takes no part in matching or
    /// equality.
    pub marks: ReadMarks,
    pub id: Option<String>,
    pub user_name: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub refresh_token: Option<Secret>,
    pub access_token: Option<Secret>,
    pub grant_token: Option<Secret>,
    pub expiry_time: Option<String>,
    pub redirect_url: Option<String>,
    pub api_domain: Option<String>,
}

/// See [`Token::marks`]: one bit a field for `''`, and one for a shifted
/// row. Equal to any other: `''` and NULL are the same absent value.
#[derive(Clone, Copy, Debug, Default, Eq)]
pub struct ReadMarks(u16);

impl PartialEq for ReadMarks {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

const SHIFTED: u16 = 1 << 15;

impl ReadMarks {
    pub fn contains(self, field: Field) -> bool {
        self.0 & (1 << field.index()) != 0
    }

    fn insert(&mut self, field: Field) {
        self.0 |= 1 << field.index();
    }

    /// Whether the row held more fields than the file has columns, so its
    /// values may sit in the wrong fields (a secret in `expiry_time`).
    pub fn shifted(self) -> bool {
        self.0 & SHIFTED != 0
    }

    pub fn mark_shifted(&mut self) {
        self.0 |= SHIFTED;
    }
}

/// An empty value is an absent value.
pub fn present(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty())
}

fn secret(value: Option<String>) -> Option<Secret> {
    present(value).map(Secret::new)
}

/// Where a token stands. `expiry_time` is the access token's expiry (an
/// hour after it was issued); the SDKs get a new access token from the
/// refresh (or grant) token on the next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TokenState {
    /// It has an access token that has not expired (or has no expiry time).
    Valid,
    /// Its access token is expired or missing, but a refresh or grant
    /// token can get a new one.
    Refreshable,
    /// Nothing left to use: no live access token, nothing to refresh with.
    Dead,
}

impl TokenState {
    pub fn name(self) -> &'static str {
        match self {
            TokenState::Valid => "valid",
            TokenState::Refreshable => "refreshable",
            TokenState::Dead => "dead",
        }
    }
}

/// How `save` and `find` look for an existing token (the SDK's precedence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchKey<'a> {
    Id(&'a str),
    UserName(&'a str),
    /// Only when client id and client secret are both absent.
    AccessToken(&'a str),
    /// Only when client id and secret are both present: grant token first,
    /// then refresh token.
    GrantOrRefresh {
        grant: Option<&'a str>,
        refresh: Option<&'a str>,
    },
}

impl Token {
    /// Builds a token from its ten fields in store order; empty means absent.
    pub fn from_fields(fields: [Option<String>; 10]) -> Token {
        let [id, user_name, client_id, client_secret, refresh_token, access_token, grant_token, expiry_time, redirect_url, api_domain] =
            fields;
        Token {
            marks: ReadMarks::default(),
            id: present(id),
            user_name: present(user_name),
            client_id: present(client_id),
            client_secret: secret(client_secret),
            refresh_token: secret(refresh_token),
            access_token: secret(access_token),
            grant_token: secret(grant_token),
            expiry_time: present(expiry_time),
            redirect_url: present(redirect_url),
            api_domain: present(api_domain),
        }
    }

    /// A token from the ten columns of a SQL row: `''` and NULL are both
    /// absent, and which absent fields were `''` is remembered.
    pub fn from_sql_fields(fields: [Option<String>; 10]) -> Token {
        let mut marks = ReadMarks::default();
        for (field, value) in Field::ALL.into_iter().zip(&fields) {
            if value.as_deref() == Some("") {
                marks.insert(field);
            }
        }
        Token {
            marks,
            ..Token::from_fields(fields)
        }
    }

    /// The ten values as a SQL store should hold them: `''` where the
    /// field was read as `''`, NULL for other absent fields.
    pub fn sql_fields(&self) -> [Option<&str>; 10] {
        let mut fields = self.fields();
        for field in Field::ALL {
            if fields[field.index()].is_none() && self.marks.contains(field) {
                fields[field.index()] = Some("");
            }
        }
        fields
    }

    /// The ten fields in store order. Secrets are exposed: callers write stores.
    pub fn fields(&self) -> [Option<&str>; 10] {
        let s = exposed;
        [
            self.id.as_deref(),
            self.user_name.as_deref(),
            self.client_id.as_deref(),
            s(&self.client_secret),
            s(&self.refresh_token),
            s(&self.access_token),
            s(&self.grant_token),
            self.expiry_time.as_deref(),
            self.redirect_url.as_deref(),
            self.api_domain.as_deref(),
        ]
    }

    /// A field's value as output shows it: secrets masked unless revealed;
    /// in a shifted row (a Node row whose values held commas) every field
    /// but the id is masked too, since a secret may sit in any of them.
    pub fn shown(&self, field: Field, reveal: bool) -> Option<std::borrow::Cow<'_, str>> {
        let value = self.fields()[field.index()]?;
        let hide = !reveal && (field.is_secret() || (self.marks.shifted() && field != Field::Id));
        Some(if hide {
            std::borrow::Cow::Owned(crate::secret::mask(value))
        } else {
            std::borrow::Cow::Borrowed(value)
        })
    }

    /// The fields as owned strings, absent as the empty string.
    pub fn fields_or_empty(&self) -> [&str; 10] {
        self.fields().map(|f| f.unwrap_or(""))
    }

    /// Drops empty values, so a token built field by field follows the
    /// "empty is absent" rule.
    pub fn normalized(self) -> Token {
        Token::from_fields(self.fields().map(|f| f.map(str::to_owned)))
    }

    /// The rule `save` and `find` use to look for an existing token, or
    /// `None` when the token names nothing to match on.
    pub fn match_key(&self) -> Option<MatchKey<'_>> {
        let expose = exposed;
        if let Some(id) = self.id.as_deref() {
            return Some(MatchKey::Id(id));
        }
        if let Some(user) = self.user_name.as_deref() {
            return Some(MatchKey::UserName(user));
        }
        let has_client = self.client_id.is_some() && self.client_secret.is_some();
        let no_client = self.client_id.is_none() && self.client_secret.is_none();
        if let (Some(access), true) = (expose(&self.access_token), no_client) {
            return Some(MatchKey::AccessToken(access));
        }
        let (grant, refresh) = (expose(&self.grant_token), expose(&self.refresh_token));
        if has_client && (grant.is_some() || refresh.is_some()) {
            return Some(MatchKey::GrantOrRefresh { grant, refresh });
        }
        None
    }

    /// The SDK refuses a token that names a user or id but carries no token.
    pub fn check_saveable(&self) -> Result<(), String> {
        let no_token = self.refresh_token.is_none()
            && self.grant_token.is_none()
            && self.access_token.is_none();
        if (self.id.is_some() || self.user_name.is_some()) && no_token {
            return Err(
                "a token with an id or user name needs a refresh, grant or access token".into(),
            );
        }
        if self.fields().iter().all(Option::is_none) {
            return Err("the token has no fields".into());
        }
        Ok(())
    }

    /// Merges `given` into this stored token: given fields win, stored
    /// fields fill the gaps; the stored id is kept.
    pub fn merged_with(&self, given: &Token) -> Token {
        fn pick<T: Clone>(given: &Option<T>, stored: &Option<T>) -> Option<T> {
            given.clone().or_else(|| stored.clone())
        }
        // An absent field keeps how the store held it (`''` or NULL).
        let mut marks = ReadMarks::default();
        for field in Field::ALL {
            let source = if given.fields()[field.index()].is_some() {
                None
            } else if field != Field::Id && given.marks.contains(field) {
                Some(given.marks)
            } else {
                Some(self.marks)
            };
            if source.is_some_and(|e| e.contains(field)) {
                marks.insert(field);
            }
        }
        Token {
            marks,
            id: pick(&self.id, &given.id),
            user_name: pick(&given.user_name, &self.user_name),
            client_id: pick(&given.client_id, &self.client_id),
            client_secret: pick(&given.client_secret, &self.client_secret),
            refresh_token: pick(&given.refresh_token, &self.refresh_token),
            access_token: pick(&given.access_token, &self.access_token),
            grant_token: pick(&given.grant_token, &self.grant_token),
            expiry_time: pick(&given.expiry_time, &self.expiry_time),
            redirect_url: pick(&given.redirect_url, &self.redirect_url),
            api_domain: pick(&given.api_domain, &self.api_domain),
        }
    }

    /// Expiry in milliseconds since the epoch, when present and numeric.
    pub fn expiry_ms(&self) -> Option<i64> {
        self.expiry_time.as_deref()?.trim().parse().ok()
    }

    /// Where the token stands at `now_ms`; see [`TokenState`].
    pub fn state_at(&self, now_ms: i64) -> TokenState {
        if self.access_token.is_some() && !self.is_expired_at(now_ms) {
            TokenState::Valid
        } else if self.refresh_token.is_some() || self.grant_token.is_some() {
            TokenState::Refreshable
        } else {
            TokenState::Dead
        }
    }

    /// A token is expired when its expiry time is at or before `now_ms`.
    /// A token without a (numeric) expiry time is not expired.
    pub fn is_expired_at(&self, now_ms: i64) -> bool {
        self.expiry_ms().is_some_and(|expiry| expiry <= now_ms)
    }
}

impl<'a> MatchKey<'a> {
    /// The lookups this key makes, in order of precedence: (field, wanted
    /// value). A match in an earlier lookup wins over any match in a later
    /// one; within one lookup the lowest id wins.
    pub fn lookups(&self) -> Vec<(Field, &'a str)> {
        match *self {
            MatchKey::Id(id) => vec![(Field::Id, id)],
            MatchKey::UserName(user) => vec![(Field::UserName, user)],
            MatchKey::AccessToken(access) => vec![(Field::AccessToken, access)],
            MatchKey::GrantOrRefresh { grant, refresh } => grant
                .map(|g| (Field::GrantToken, g))
                .into_iter()
                .chain(refresh.map(|r| (Field::RefreshToken, r)))
                .collect(),
        }
    }
}

/// Picks what a [`MatchKey`] selects from candidates offered one at a time,
/// in any order: the precedence rules of save/find in one place. Each
/// candidate comes with its ten fields and a tag (a row number, or the
/// token itself) that comes back with the winner.
pub struct BestMatch<'k, T> {
    lookups: Vec<(Field, &'k str)>,
    /// Per lookup, the lowest-id match so far, with its id.
    best: Vec<Option<(T, Option<String>)>>,
}

impl<'k, T> BestMatch<'k, T> {
    pub fn new(key: &MatchKey<'k>) -> Self {
        let lookups = key.lookups();
        let best = lookups.iter().map(|_| None).collect();
        BestMatch { lookups, best }
    }

    /// Considers a candidate with these fields (in [`FIELD_NAMES`] order);
    /// `tag` is called only when the candidate is the best so far.
    pub fn offer(&mut self, fields: [Option<&str>; 10], tag: impl FnOnce() -> T) {
        for (stage, (field, wanted)) in self.lookups.iter().enumerate() {
            if fields[field.index()] != Some(*wanted) {
                continue;
            }
            let better = match &self.best[stage] {
                None => true,
                Some((_, held)) => compare_ids(fields[0], held.as_deref()) == Ordering::Less,
            };
            if better {
                self.best[stage] = Some((tag(), fields[0].map(str::to_owned)));
            }
            return;
        }
    }

    /// The winner's tag: the first lookup with a match.
    pub fn finish(self) -> Option<T> {
        self.best.into_iter().flatten().next().map(|(tag, _)| tag)
    }
}

/// Id order: numeric ids by value first (of any length), then any other
/// ids as strings.
pub fn compare_ids(a: Option<&str>, b: Option<&str>) -> Ordering {
    compare_id_bytes(a.unwrap_or("").as_bytes(), b.unwrap_or("").as_bytes())
}

/// [`compare_ids`] over the bytes of two ids (an absent id is empty).
pub fn compare_id_bytes(a: &[u8], b: &[u8]) -> Ordering {
    fn key(id: &[u8]) -> (bool, usize, &[u8], &[u8]) {
        match numeric_digit_bytes(id) {
            Some(digits) => (false, digits.len(), digits, id),
            None => (true, 0, id, id),
        }
    }
    key(a).cmp(&key(b))
}

/// The significant digits of an id made only of ASCII digits ("0" for
/// zeros), so that ids of any length compare by value as (length, digits).
pub fn numeric_digits(id: &str) -> Option<&str> {
    // ASCII digits only, so the slice is whole characters.
    numeric_digit_bytes(id.as_bytes()).map(|digits| &id[id.len() - digits.len()..])
}

fn numeric_digit_bytes(id: &[u8]) -> Option<&[u8]> {
    if id.is_empty() || !id.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let zeros = id.iter().take_while(|&&b| b == b'0').count();
    Some(if zeros == id.len() {
        b"0"
    } else {
        &id[zeros..]
    })
}

/// The value of an id made only of ASCII digits, when it fits 128 bits.
pub fn numeric_id(id: &str) -> Option<u128> {
    numeric_digits(id)?.parse().ok()
}

/// The largest numeric id seen so far, of any length.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NumericMax(Option<String>);

impl NumericMax {
    pub fn offer(&mut self, id: Option<&str>) {
        let Some(digits) = id.and_then(numeric_digits) else {
            return;
        };
        let bigger = match &self.0 {
            None => true,
            Some(held) => (digits.len(), digits) > (held.len(), held.as_str()),
        };
        if bigger {
            self.0 = Some(digits.to_string());
        }
    }
}

/// The id for a new token: one more than the largest numeric id (1 when
/// there is none). Non-numeric ids never count: after "9" comes "10" (a
/// string maximum would give "9" again), and an id of 40 digits is still a
/// number, so the next id never falls back to one that exists.
pub fn next_id_after(max: &NumericMax) -> anyhow::Result<String> {
    let Some(digits) = &max.0 else {
        return Ok("1".to_string());
    };
    // Decimal increment of a digit string of any length.
    let mut bytes = digits.clone().into_bytes();
    let mut i = bytes.len();
    loop {
        if i == 0 {
            bytes.insert(0, b'1');
            break;
        }
        i -= 1;
        if bytes[i] == b'9' {
            bytes[i] = b'0';
        } else {
            bytes[i] += 1;
            break;
        }
    }
    Ok(String::from_utf8(bytes).expect("ASCII digits"))
}

/// The id after a numeric maximum `max` (0 for none).
pub fn id_after(max: u128) -> anyhow::Result<String> {
    let mut held = NumericMax::default();
    if max > 0 {
        held.offer(Some(&max.to_string()));
    }
    next_id_after(&held)
}

pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(fields: &[(&str, &str)]) -> Token {
        let mut all: [Option<String>; 10] = Default::default();
        for (name, value) in fields {
            let i = FIELD_NAMES.iter().position(|n| n == name).unwrap();
            all[i] = Some(value.to_string());
        }
        Token::from_fields(all)
    }

    #[test]
    fn match_precedence_follows_the_sdk() {
        let t = token(&[("id", "4"), ("user_name", "u"), ("access_token", "a")]);
        assert_eq!(t.match_key(), Some(MatchKey::Id("4")));
        let t = token(&[("user_name", "u"), ("access_token", "a")]);
        assert_eq!(t.match_key(), Some(MatchKey::UserName("u")));
        let t = token(&[("access_token", "a"), ("refresh_token", "r")]);
        assert_eq!(t.match_key(), Some(MatchKey::AccessToken("a")));
        // With only one of the client credentials, neither rule applies.
        let t = token(&[("access_token", "a"), ("client_id", "c")]);
        assert_eq!(t.match_key(), None);
        let t = token(&[
            ("access_token", "a"),
            ("refresh_token", "r"),
            ("client_id", "c"),
            ("client_secret", "s"),
        ]);
        assert_eq!(
            t.match_key(),
            Some(MatchKey::GrantOrRefresh {
                grant: None,
                refresh: Some("r")
            })
        );
    }

    #[test]
    fn empty_values_are_absent() {
        let t = token(&[("user_name", ""), ("access_token", "a")]);
        assert_eq!(t.user_name, None);
        assert_eq!(t.match_key(), Some(MatchKey::AccessToken("a")));
    }

    #[test]
    fn ids_are_compared_and_generated_numerically() {
        let next = |ids: &[&str]| {
            let mut max = NumericMax::default();
            ids.iter().for_each(|id| max.offer(Some(id)));
            next_id_after(&max).unwrap()
        };
        assert_eq!(next(&["1", "9"]), "10");
        assert_eq!(next(&["9", "10", "x99", "0099"]), "100");
        assert_eq!(next(&[]), "1");
        assert_eq!(next(&["abc", "python_alice_us_prd_0001"]), "1");
        let huge = "9".repeat(45);
        assert_eq!(next(&["3", &huge]), format!("1{}", "0".repeat(45)));
        assert_eq!(
            next(&[&u128::MAX.to_string()]),
            "340282366920938463463374607431768211456"
        );
        let mut ids = vec![
            "10",
            "9",
            "b",
            "100",
            "a",
            "2",
            "123456789012345678901234567890123456789012",
        ];
        ids.sort_by(|a, b| compare_ids(Some(a), Some(b)));
        assert_eq!(
            ids,
            [
                "2",
                "9",
                "10",
                "100",
                "123456789012345678901234567890123456789012",
                "a",
                "b"
            ]
        );
    }

    #[test]
    fn merge_prefers_given_fields_and_keeps_stored_id() {
        let stored = token(&[("id", "3"), ("user_name", "u"), ("refresh_token", "old")]);
        let given = token(&[("user_name", "u"), ("access_token", "new")]);
        let merged = stored.merged_with(&given);
        assert_eq!(merged.id.as_deref(), Some("3"));
        assert_eq!(merged.refresh_token.unwrap().expose(), "old");
        assert_eq!(merged.access_token.unwrap().expose(), "new");
    }

    #[test]
    fn grant_match_anywhere_beats_refresh_match_and_low_ids_win() {
        let key = MatchKey::GrantOrRefresh {
            grant: Some("g"),
            refresh: Some("r"),
        };
        let mut best = BestMatch::new(&key);
        best.offer(token(&[("id", "1"), ("refresh_token", "r")]).fields(), || 1);
        best.offer(token(&[("id", "10"), ("grant_token", "g")]).fields(), || 3);
        best.offer(token(&[("id", "9"), ("grant_token", "g")]).fields(), || 2);
        assert_eq!(best.finish(), Some(2));
    }

    #[test]
    fn expiry_at_now_is_expired() {
        let t = token(&[("expiry_time", "1000")]);
        assert!(t.is_expired_at(1000));
        assert!(!t.is_expired_at(999));
        assert!(!token(&[("user_name", "u")]).is_expired_at(i64::MAX));
    }
}
