//! One suite of TokenStore behaviour, run against every backend: memory,
//! file, sqlite, mysql and postgres (the MariaDB and PostgreSQL servers of
//! `scripts/test.sh`).

mod common;

use common::token;
use tokenstore::store::{self, TokenStore, TokenStoreExt};
use tokenstore::token::Token;
use tokenstore::uri::StoreUri;

/// A new, empty store of one backend.
struct Fresh {
    uri: StoreUri,
    _dir: Option<tempfile::TempDir>,
}

impl Fresh {
    fn new(uri: &str, dir: Option<tempfile::TempDir>) -> Option<Fresh> {
        Some(Fresh {
            uri: StoreUri::parse(uri).expect("test URI"),
            _dir: dir,
        })
    }

    fn open(&self) -> Box<dyn TokenStore> {
        store::open(&self.uri).expect("open store")
    }

    /// The same store opened anew (memory lives only in its instance).
    fn reopen(&self, current: Box<dyn TokenStore>) -> Box<dyn TokenStore> {
        if self.uri == StoreUri::Memory {
            return current;
        }
        drop(current);
        self.open()
    }

    fn persistent(&self) -> bool {
        self.uri != StoreUri::Memory
    }

    /// Whether the store has not been created: no file, lock file, folder
    /// entry or table (memory: no tokens).
    fn not_created(&self, s: &mut dyn TokenStore) -> bool {
        if !self.persistent() {
            return s.get_tokens().unwrap().is_empty();
        }
        if let Some(dir) = &self._dir {
            if std::fs::read_dir(dir.path()).unwrap().count() > 0 {
                return false;
            }
        }
        let details = s.describe().unwrap();
        details
            .facts
            .iter()
            .any(|(label, value)| label == "layout" && value.starts_with("no "))
    }
}

fn in_temp_dir(scheme: &str, name: &str) -> Option<Fresh> {
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("{scheme}:{}", dir.path().join(name).display());
    Fresh::new(&uri, Some(dir))
}

fn ids(store: &mut dyn TokenStore) -> Vec<String> {
    store
        .get_tokens()
        .unwrap()
        .into_iter()
        .map(|t| t.id.unwrap())
        .collect()
}

fn user(n: usize) -> Token {
    token(&[
        ("user_name", &format!("user{n}@example.com")),
        ("refresh_token", &format!("1000.rt.{n}")),
        ("client_id", "1000.CLIENT"),
        ("client_secret", "s3cret"),
    ])
}

// ---- the behaviours -------------------------------------------------------

fn ids_are_numeric_maximum_plus_one(f: &Fresh) {
    let mut s = f.open();
    for n in 1..=12 {
        let saved = s.save_token(&user(n)).unwrap();
        assert_eq!(saved.id.as_deref(), Some(n.to_string().as_str()));
    }
    let mut s = f.reopen(s);
    assert_eq!(
        ids(s.as_mut()),
        (1..=12).map(|n| n.to_string()).collect::<Vec<_>>()
    );
    // A non-numeric id does not make new ids non-numeric.
    s.put_tokens(&[token(&[
        ("id", "abc"),
        ("user_name", "x"),
        ("access_token", "a"),
    ])])
    .unwrap();
    assert_eq!(s.save_token(&user(13)).unwrap().id.as_deref(), Some("13"));
    assert_eq!(ids(s.as_mut()).last().map(String::as_str), Some("abc"));
}

fn list_is_in_numeric_id_order(f: &Fresh) {
    let mut s = f.open();
    let put: Vec<Token> = ["10", "9", "100", "2"]
        .iter()
        .map(|id| token(&[("id", id), ("user_name", id), ("access_token", "a")]))
        .collect();
    s.put_tokens(&put).unwrap();
    let mut s = f.reopen(s);
    assert_eq!(ids(s.as_mut()), ["2", "9", "10", "100"]);
    assert_eq!(s.save_token(&user(1)).unwrap().id.as_deref(), Some("101"));
}

fn save_merges_into_the_user_match(f: &Fresh) {
    let mut s = f.open();
    let first = s
        .save_token(&token(&[
            ("user_name", "alice@example.com"),
            ("refresh_token", "rt-1"),
            ("access_token", "at-1"),
            ("expiry_time", "1000"),
            ("api_domain", "https://www.zohoapis.com"),
        ]))
        .unwrap();
    let second = s
        .save_token(&token(&[
            ("user_name", "alice@example.com"),
            ("access_token", "at-2"),
            ("expiry_time", "2000"),
        ]))
        .unwrap();
    assert_eq!(first.id, second.id);
    let mut s = f.reopen(s);
    let all = s.get_tokens().unwrap();
    assert_eq!(all.len(), 1);
    let t = &all[0];
    assert_eq!(t.access_token.as_ref().unwrap().expose(), "at-2");
    assert_eq!(t.refresh_token.as_ref().unwrap().expose(), "rt-1");
    assert_eq!(t.expiry_time.as_deref(), Some("2000"));
    assert_eq!(t.api_domain.as_deref(), Some("https://www.zohoapis.com"));
}

fn save_by_id_updates_that_token(f: &Fresh) {
    let mut s = f.open();
    s.save_token(&user(1)).unwrap();
    s.save_token(&user(2)).unwrap();
    let updated = s
        .save_token(&token(&[("id", "2"), ("access_token", "new-at")]))
        .unwrap();
    assert_eq!(updated.user_name.as_deref(), Some("user2@example.com"));
    let mut s = f.reopen(s);
    let t = s.find_token_by_id("2").unwrap().unwrap();
    assert_eq!(t.access_token.unwrap().expose(), "new-at");
    assert_eq!(s.get_tokens().unwrap().len(), 2);
}

fn access_token_matches_only_without_client_credentials(f: &Fresh) {
    let mut s = f.open();
    let stored = s
        .save_token(&token(&[
            ("access_token", "self-client-at"),
            ("api_domain", "d"),
        ]))
        .unwrap();
    let query = token(&[("access_token", "self-client-at")]);
    assert_eq!(s.find_token(&query).unwrap().unwrap().id, stored.id);
    // With client credentials the access token is not a key: no match.
    let query = token(&[
        ("access_token", "self-client-at"),
        ("client_id", "c"),
        ("client_secret", "s"),
    ]);
    assert_eq!(s.find_token(&query).unwrap(), None);
    // Saving it again merges rather than duplicating.
    s.save_token(&token(&[
        ("access_token", "self-client-at"),
        ("expiry_time", "5"),
    ]))
    .unwrap();
    assert_eq!(s.get_tokens().unwrap().len(), 1);
}

fn grant_then_refresh_with_client_credentials(f: &Fresh) {
    let mut s = f.open();
    let a = s
        .save_token(&token(&[
            ("refresh_token", "rt-a"),
            ("client_id", "c"),
            ("client_secret", "s"),
        ]))
        .unwrap();
    let b = s
        .save_token(&token(&[
            ("grant_token", "gt-b"),
            ("client_id", "c"),
            ("client_secret", "s"),
        ]))
        .unwrap();
    assert_ne!(a.id, b.id);
    let by_both = token(&[
        ("grant_token", "gt-b"),
        ("refresh_token", "rt-a"),
        ("client_id", "c"),
        ("client_secret", "s"),
    ]);
    assert_eq!(s.find_token(&by_both).unwrap().unwrap().id, b.id);
    let by_refresh = token(&[
        ("refresh_token", "rt-a"),
        ("client_id", "c"),
        ("client_secret", "s"),
    ]);
    assert_eq!(s.find_token(&by_refresh).unwrap().unwrap().id, a.id);
    // Without the client secret neither token is a key.
    let no_secret = token(&[("refresh_token", "rt-a"), ("client_id", "c")]);
    assert_eq!(s.find_token(&no_secret).unwrap(), None);
    let unknown = token(&[
        ("refresh_token", "rt-x"),
        ("client_id", "c"),
        ("client_secret", "s"),
    ]);
    assert_eq!(s.find_token(&unknown).unwrap(), None);
}

fn find_is_exact(f: &Fresh) {
    let mut s = f.open();
    s.save_token(&token(&[
        ("user_name", "Alice@Example.com"),
        ("access_token", "a"),
    ]))
    .unwrap();
    s.save_token(&token(&[("user_name", "bob "), ("access_token", "b")]))
        .unwrap();
    let find = |s: &mut Box<dyn TokenStore>, u: &str| {
        s.find_token(&token(&[("user_name", u)]))
            .unwrap()
            .map(|t| t.user_name.unwrap())
    };
    assert_eq!(
        find(&mut s, "Alice@Example.com").as_deref(),
        Some("Alice@Example.com")
    );
    assert_eq!(find(&mut s, "alice@example.com"), None);
    assert_eq!(find(&mut s, "bob"), None);
    assert_eq!(find(&mut s, "bob ").as_deref(), Some("bob "));
}

fn save_refuses_a_user_without_tokens(f: &Fresh) {
    let mut s = f.open();
    s.save_token(&user(1)).unwrap();
    let err = s
        .save_token(&token(&[("user_name", "nobody"), ("client_id", "c")]))
        .unwrap_err();
    assert!(
        err.to_string().contains("refresh, grant or access token"),
        "{err}"
    );
    // A token that matches one only needs the fields it changes: it is
    // merged, and the match keeps its refresh token.
    let merged = s
        .save_token(&token(&[("id", "1"), ("api_domain", "d")]))
        .unwrap();
    assert_eq!(merged.api_domain.as_deref(), Some("d"));
    assert!(merged.refresh_token.is_some());
    let err = s
        .save_token(&token(&[("id", "2"), ("api_domain", "d")]))
        .unwrap_err();
    assert!(
        err.to_string().contains("refresh, grant or access token"),
        "{err}"
    );
    assert_eq!(ids(s.as_mut()), ["1"]);
}

fn bulk_saves_are_all_or_nothing(f: &Fresh) {
    let mut s = f.open();
    s.save_token(&user(1)).unwrap();
    let batch = [user(2), token(&[("user_name", "broken")]), user(3)];
    assert!(s.save_tokens(&batch).is_err());
    let mut s = f.reopen(s);
    assert_eq!(ids(s.as_mut()), ["1"]);
    let put = [
        token(&[("id", "7"), ("access_token", "a")]),
        token(&[("access_token", "no id")]),
    ];
    assert!(s.put_tokens(&put).is_err());
    assert_eq!(ids(s.as_mut()), ["1"]);
    let saved = s.save_tokens(&[user(2), user(3), user(2)]).unwrap();
    assert_eq!(
        saved
            .iter()
            .map(|t| t.id.clone().unwrap())
            .collect::<Vec<_>>(),
        ["2", "3", "2"]
    );
}

fn awkward_values_round_trip(f: &Fresh) {
    let long = "x".repeat(255);
    let values = [
        "zoë.ünïcødé+日本語@example.jp",
        "Smith, John <john@example.ca>",
        "say \"hello\", then 'bye'",
        "line one\nline two\r\nline three",
        "nobody' OR '1'='1",
        "x'); DROP TABLE oauthtoken; --",
        "  leading and trailing  ",
        "null",
        long.as_str(),
    ];
    let mut s = f.open();
    let mut saved = Vec::new();
    for (n, v) in values.iter().enumerate() {
        // Every field but the id holds the awkward value.
        let mut t = token(&[
            ("user_name", &format!("{n}:{v}")),
            ("client_id", v),
            ("client_secret", v),
            ("refresh_token", &format!("{n}{v}")),
            ("access_token", v),
            ("grant_token", v),
            ("redirect_url", v),
            ("api_domain", v),
        ]);
        if n == 8 {
            t.user_name = Some(format!("8{}", &long[1..]));
            t.refresh_token = Some(tokenstore::secret::Secret::new(long.clone()));
        }
        t.expiry_time = Some(format!("{}", 1767225600000u64 + n as u64));
        if matches!(f.uri, StoreUri::File { .. }) && v.contains('\r') {
            // Every SDK reads a carriage return in its file back as a line
            // break: refused, the store left as it was.
            let err = s.save_token(&t).unwrap_err();
            assert!(format!("{err:#}").contains("carriage return"), "{err:#}");
            let plain = v.replace('\r', "");
            t = token(&[
                ("user_name", &format!("{n}:{plain}")),
                ("refresh_token", &format!("{n}{plain}")),
            ]);
            t.expiry_time = Some(format!("{}", 1767225600000u64 + n as u64));
        }
        saved.push(s.save_token(&t).unwrap());
    }
    let mut s = f.reopen(s);
    let mut read = s.get_tokens().unwrap();
    // The literal `null` is absent in the file store (Scala writes it so).
    if matches!(f.uri, StoreUri::File { .. }) {
        let t = &mut saved[7];
        t.client_id = None;
        t.client_secret = None;
        t.access_token = None;
        t.grant_token = None;
        t.redirect_url = None;
        t.api_domain = None;
    }
    read.sort_by_key(|t| t.id.clone().unwrap().parse::<u32>().unwrap());
    assert_eq!(read, saved);
    let found = s
        .find_token(&token(&[("user_name", "4:nobody' OR '1'='1")]))
        .unwrap()
        .unwrap();
    assert_eq!(found.id.as_deref(), Some("5"));
    assert_eq!(
        s.find_token(&token(&[("user_name", "nobody")])).unwrap(),
        None
    );
}

fn empty_is_absent(f: &Fresh) {
    let mut s = f.open();
    let t = token(&[
        ("user_name", ""),
        ("access_token", "at"),
        ("api_domain", ""),
    ]);
    let saved = s.save_token(&t).unwrap();
    assert_eq!(saved.user_name, None);
    let mut s = f.reopen(s);
    let read = s
        .find_token_by_id(saved.id.as_deref().unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(read.user_name, None);
    assert_eq!(read.api_domain, None);
    assert_eq!(read.grant_token, None);
    // An empty string never matches an absent field.
    assert_eq!(s.find_token(&token(&[("user_name", "")])).unwrap(), None);
}

fn not_found_is_not_an_error(f: &Fresh) {
    let mut s = f.open();
    assert_eq!(s.find_token_by_id("1").unwrap(), None);
    assert_eq!(
        s.find_token(&token(&[("user_name", "ghost")])).unwrap(),
        None
    );
    assert!(!s.delete_token("1").unwrap());
    assert_eq!(s.delete_tokens().unwrap(), 0);
    assert!(s.get_tokens().unwrap().is_empty());
}

fn delete_by_id_is_literal(f: &Fresh) {
    let mut s = f.open();
    for n in 1..=3 {
        s.save_token(&user(n)).unwrap();
    }
    assert!(!s.delete_token("0 OR 1=1").unwrap());
    assert!(!s.delete_token("1' OR '1'='1").unwrap());
    assert!(s.delete_token("2").unwrap());
    assert!(!s.delete_token("2").unwrap());
    let mut s = f.reopen(s);
    assert_eq!(ids(s.as_mut()), ["1", "3"]);
    assert_eq!(s.delete_ids(&["3".into(), "9".into()]).unwrap(), ["3"]);
    assert_eq!(s.save_token(&user(4)).unwrap().id.as_deref(), Some("2"));
}

fn delete_all_and_by_predicate(f: &Fresh) {
    let mut s = f.open();
    for n in 1..=4 {
        let mut t = user(n);
        t.expiry_time = Some(if n % 2 == 0 { "1000" } else { "99999999999999" }.into());
        s.save_token(&t).unwrap();
    }
    let gone = s.delete_matching(&|t| t.is_expired_at(5000)).unwrap();
    let mut gone_ids: Vec<_> = gone.into_iter().map(|t| t.id.unwrap()).collect();
    gone_ids.sort();
    assert_eq!(gone_ids, ["2", "4"]);
    let mut s = f.reopen(s);
    assert_eq!(ids(s.as_mut()), ["1", "3"]);
    assert_eq!(s.delete_tokens().unwrap(), 2);
    let mut s = f.reopen(s);
    assert!(s.get_tokens().unwrap().is_empty());
}

fn put_tokens_writes_exactly(f: &Fresh) {
    let mut s = f.open();
    s.save_token(&user(1)).unwrap();
    let exact = [
        token(&[("id", "1"), ("access_token", "replaced")]),
        token(&[("id", "42"), ("user_name", "u42"), ("refresh_token", "r")]),
    ];
    s.put_tokens(&exact).unwrap();
    let mut s = f.reopen(s);
    assert_eq!(s.get_tokens().unwrap(), exact);
}

fn with_id(n: usize) -> Token {
    let mut t = user(n);
    t.id = Some(n.to_string());
    t
}

/// The write-transaction contract every backend keeps: reads inside a
/// write see its own writes; abort, and dropping without commit, undo
/// everything, creating the store included; an insert never replaces.
fn write_transactions_commit_or_leave_no_trace(f: &Fresh) {
    let mut s = f.open();
    assert!(f.not_created(s.as_mut()));
    {
        let mut tx = s.begin_write().unwrap();
        tx.insert(&[with_id(1), with_id(2)]).unwrap();
        assert_eq!(tx.get(&["2".into(), "7".into()]).unwrap(), [with_id(2)]);
        assert_eq!(tx.next_id().unwrap(), "3");
        tx.abort().unwrap();
    }
    assert!(f.not_created(s.as_mut()), "abort left the store created");
    {
        let mut tx = s.begin_write().unwrap();
        tx.insert(&[with_id(1)]).unwrap();
        drop(tx); // the fallback: no commit, no abort
    }
    assert!(f.not_created(s.as_mut()), "drop left the store created");
    // A committed token survives an aborted update and removal.
    s.put_tokens(&[with_id(1)]).unwrap();
    {
        let mut tx = s.begin_write().unwrap();
        tx.update(&token(&[
            ("id", "1"),
            ("user_name", "changed"),
            ("access_token", "x"),
        ]))
        .unwrap();
        assert!(tx.remove("1").unwrap());
        assert!(tx.get(&["1".into()]).unwrap().is_empty());
        tx.abort().unwrap();
    }
    let mut s = f.reopen(s);
    assert_eq!(s.get_tokens().unwrap(), [with_id(1)]);
    // Inserting an id that is there is refused, not a replace.
    {
        let mut tx = s.begin_write().unwrap();
        assert!(tx.insert(&[with_id(1)]).is_err());
        tx.abort().unwrap();
    }
    assert_eq!(s.get_tokens().unwrap(), [with_id(1)]);
}

/// The unordered scan and the ordered one see the same tokens; describe
/// answers for a store with tokens.
fn scans_agree_and_describe_answers(f: &Fresh) {
    let mut s = f.open();
    let all: Vec<Token> = [12, 3, 100, 7].into_iter().map(with_id).collect();
    s.put_tokens(&all).unwrap();
    let mut unordered = Vec::new();
    s.scan(&mut |t| {
        unordered.push(t);
        Ok(())
    })
    .unwrap();
    unordered.sort_by(|a, b| tokenstore::token::compare_ids(a.id.as_deref(), b.id.as_deref()));
    assert_eq!(unordered, s.get_tokens().unwrap());
    assert_eq!(ids(s.as_mut()), ["3", "7", "12", "100"]);
    let details = s.describe().unwrap();
    if f.persistent() {
        assert!(!details.facts.is_empty());
    }
}

fn concurrent_writers_lose_nothing(f: &Fresh) {
    if !f.persistent() {
        return; // one memory store cannot be shared between writers
    }
    let (writers, each) = (4, 25);
    std::thread::scope(|scope| {
        for w in 0..writers {
            scope.spawn(move || {
                let mut s = f.open();
                for n in 0..each {
                    s.save_token(&user(w * 1000 + n)).unwrap();
                }
            });
        }
    });
    let mut s = f.open();
    let mut all = ids(s.as_mut());
    assert_eq!(all.len(), writers * each);
    all.dedup();
    assert_eq!(all.len(), writers * each, "an id was given twice");
}

macro_rules! conformance {
    ($backend:ident, $fresh:expr) => {
        mod $backend {
            use super::*;

            fn fresh() -> Option<Fresh> {
                $fresh
            }

            conformance!(@tests
                ids_are_numeric_maximum_plus_one,
                list_is_in_numeric_id_order,
                save_merges_into_the_user_match,
                save_by_id_updates_that_token,
                access_token_matches_only_without_client_credentials,
                grant_then_refresh_with_client_credentials,
                find_is_exact,
                save_refuses_a_user_without_tokens,
                bulk_saves_are_all_or_nothing,
                awkward_values_round_trip,
                empty_is_absent,
                not_found_is_not_an_error,
                delete_by_id_is_literal,
                delete_all_and_by_predicate,
                put_tokens_writes_exactly,
                write_transactions_commit_or_leave_no_trace,
                scans_agree_and_describe_answers,
                concurrent_writers_lose_nothing
            );
        }
    };
    (@tests $($name:ident),*) => {
        $(
            #[test]
            fn $name() {
                if let Some(f) = fresh() {
                    super::$name(&f);
                }
            }
        )*
    };
}

conformance!(memory, Fresh::new("memory:", None));
conformance!(file, in_temp_dir("file", "tokens.csv"));
conformance!(sqlite, in_temp_dir("sqlite", "zohooauth.db"));
#[cfg(feature = "mysql")]
conformance!(
    mysql,
    common::mysql_uri("conf").and_then(|uri| Fresh::new(&uri, None))
);
#[cfg(feature = "postgres")]
conformance!(
    postgres,
    common::pg_uri("conf").and_then(|uri| Fresh::new(&uri, None))
);
