//! Property tests: whatever the values, a token saved comes back equal, a
//! file written reads back identically, and migration loses nothing.

mod common;

use proptest::prelude::*;
use tokenstore::store::file::{read_csv, write_csv, Layout};
use tokenstore::store::{self, TokenStore, TokenStoreExt};
use tokenstore::token::{compare_ids, Token};
use tokenstore::uri::StoreUri;

/// Any text a store can hold: non-empty (empty is absent), no NUL, and not
/// the literal `null` (which the FileStore format reads as absent).
fn value() -> impl Strategy<Value = Option<String>> {
    let text = prop_oneof![
        "[^\u{0}]{1,40}",
        "[ ,\"'\r\n;=a-z]{1,12}",
        Just("x".repeat(255)),
        Just("zoë.ünïcødé+日本語 😀".to_string()),
    ]
    .prop_filter("null is absent in CSV", |s| s != "null");
    proptest::option::of(text)
}

/// Tokens with distinct numeric ids and arbitrary other fields.
fn tokens() -> impl Strategy<Value = Vec<Token>> {
    proptest::collection::vec(proptest::array::uniform9(value()), 1..12).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, [a, b, c, d, e, f, g, h, j])| {
                Token::from_fields([Some((i + 1).to_string()), a, b, c, d, e, f, g, h, j])
            })
            .collect()
    })
}

/// The same, as a file store can hold them: every SDK reads a carriage
/// return in its file back as a line break, so file stores refuse one.
fn file_tokens() -> impl Strategy<Value = Vec<Token>> {
    tokens().prop_map(|tokens| {
        tokens
            .into_iter()
            .map(|t| Token::from_fields(t.fields().map(|f| f.map(|v| v.replace('\r', "\n")))))
            .collect()
    })
}

fn open(uri: &str) -> Box<dyn TokenStore> {
    store::open(&StoreUri::parse(uri).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_written_file_reads_back_identically(tokens in tokens(), crlf in any::<bool>()) {
        let layout = Layout { crlf, ..Layout::default() };
        let mut first = Vec::new();
        write_csv(&mut first, &layout, &tokens).unwrap();
        let read = read_csv(&first[..]).unwrap();
        prop_assert_eq!(&read.tokens, &tokens);
        let mut second = Vec::new();
        write_csv(&mut second, &read.layout.unwrap(), &read.tokens).unwrap();
        prop_assert_eq!(first, second);
    }

    #[test]
    fn tokens_put_into_any_store_come_back_equal(tokens in file_tokens()) {
        let dir = tempfile::tempdir().unwrap();
        for uri in [
            format!("file:{}", dir.path().join("p.csv").display()),
            format!("sqlite:{}", dir.path().join("p.db").display()),
        ] {
            open(&uri).put_tokens(&tokens).unwrap();
            prop_assert_eq!(&open(&uri).get_tokens().unwrap(), &tokens);
            open(&uri).delete_tokens().unwrap();
        }
    }
}

proptest! {
    // Each case runs the binary twice, so fewer cases.
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn migrate_round_trips_are_lossless(tokens in file_tokens()) {
        let env = common::TestEnv::new();
        let start = format!("file:{}", env.path("a.csv").display());
        let middle = format!("sqlite:{}", env.path("b.db").display());
        let end = format!("file:{}", env.path("c.csv").display());
        open(&start).put_tokens(&tokens).unwrap();
        for (from, to) in [(&start, &middle), (&middle, &end)] {
            let out = env.cmd().args(["migrate", "--from", from, "--to", to]).output().unwrap();
            prop_assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        let mut want = tokens.clone();
        want.sort_by(|a, b| compare_ids(a.id.as_deref(), b.id.as_deref()));
        prop_assert_eq!(open(&end).get_tokens().unwrap(), want);
        prop_assert_eq!(std::fs::read(env.path("a.csv")).unwrap(), std::fs::read(env.path("c.csv")).unwrap());
    }
}
