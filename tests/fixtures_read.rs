//! The stores written by the real Zoho SDK and by CustomStoreSQLite read
//! back exactly as their own get_tokens() returned them, and what
//! tokenstore writes keeps the SDK layout.

mod common;

use common::{expected, fixture_path, token, TestEnv};
use tokenstore::store::file::read_csv;
use tokenstore::store::{self, TokenStore, TokenStoreExt};
use tokenstore::uri::StoreUri;

fn open(uri: &str) -> Box<dyn TokenStore> {
    store::open(&StoreUri::parse(uri).unwrap()).unwrap()
}

#[test]
fn python_sdk_filestore_reads_exactly() {
    let env = TestEnv::new();
    let path = env.fixture("python-sdk-filestore.csv");
    let (_, want) = expected("python-sdk-filestore.expected.json");
    let got = open(&format!("file:{}", path.display()))
        .get_tokens()
        .unwrap();
    assert_eq!(got.len(), 20);
    assert_eq!(got, want);
}

#[test]
fn customstore_sqlite_reads_exactly() {
    let env = TestEnv::new();
    let path = env.fixture("customstore-sqlite.db");
    let (_, want) = expected("customstore-sqlite.expected.json");
    let got = open(&format!("sqlite:{}", path.display()))
        .get_tokens()
        .unwrap();
    assert_eq!(got.len(), 18);
    assert_eq!(got, want);
}

#[test]
fn sdk_file_keeps_its_layout_when_written() {
    let env = TestEnv::new();
    let path = env.fixture("python-sdk-filestore.csv");
    let before = std::fs::read(&path).unwrap();
    let mut s = open(&format!("file:{}", path.display()));
    let saved = s
        .save_token(&token(&[
            ("user_name", "new@example.com"),
            ("refresh_token", "1000.rt.new"),
        ]))
        .unwrap();
    assert_eq!(saved.id.as_deref(), Some("21"));
    let after = std::fs::read(&path).unwrap();
    // Every old byte is still there; the new row follows in the same style.
    assert!(
        after.starts_with(&before),
        "existing rows were rewritten differently"
    );
    let added = String::from_utf8(after[before.len()..].to_vec()).unwrap();
    assert_eq!(added, "21,new@example.com,,,1000.rt.new,,,,,\r\n");
    // And it still reads back as the SDK would: 21 tokens, the header kept.
    let contents = read_csv(&after[..]).unwrap();
    assert_eq!(contents.tokens.len(), 21);
    assert_eq!(contents.layout.unwrap().labels[8], "redirect_uri");
}

#[test]
fn a_file_written_by_tokenstore_reads_back_identically() {
    let env = TestEnv::new();
    let (_, want) = expected("python-sdk-filestore.expected.json");
    let path = env.path("new.csv");
    let mut s = open(&format!("file:{}", path.display()));
    s.put_tokens(&want).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain")
    );
    assert!(!text.contains('\r'), "a new file uses LF line ends");
    // Quoting only where needed: the plain rows are unquoted.
    assert!(text.contains("\n2,bob@example.eu,1000.APPCLIENT"));
    assert!(text.contains("\n7,\"Smith, John <john@example.ca>\","));
    assert_eq!(
        open(&format!("file:{}", path.display()))
            .get_tokens()
            .unwrap(),
        want
    );
    // Byte for byte what the SDK wrote, but for its CRLF line ends.
    let sdk = std::fs::read_to_string(fixture_path("python-sdk-filestore.csv")).unwrap();
    assert_eq!(text, sdk.replace("\r\n", "\n"));
}

#[test]
fn legacy_nine_column_file_keeps_its_width() {
    let env = TestEnv::new();
    let path = env.path("legacy.csv");
    let legacy = "\"id\",\"user_mail\",\"client_id\",\"client_secret\",\"refresh_token\",\"access_token\",\"grant_token\",\"expiry_time\",\"redirect_url\"\r\n\
                  \"1\",\"a@example.com\",\"cid\",\"sec\",\"rt\",\"at\",\"null\",\"1000\",\"https://cb\"\r\n";
    std::fs::write(&path, legacy).unwrap();
    let uri = format!("file:{}", path.display());
    let tokens = open(&uri).get_tokens().unwrap();
    assert_eq!(tokens[0].user_name.as_deref(), Some("a@example.com"));
    assert_eq!(tokens[0].grant_token, None);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        legacy,
        "reading changed the file"
    );
    open(&uri).delete_token("7").unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        legacy,
        "a no-op delete changed the file"
    );
    open(&uri)
        .save_token(&token(&[
            ("user_name", "b@example.com"),
            ("access_token", "x"),
        ]))
        .unwrap();
    // Every field stays quoted, as the (Java-style) file had them.
    let nine_columns = "\"id\",\"user_mail\",\"client_id\",\"client_secret\",\"refresh_token\",\"access_token\",\"grant_token\",\"expiry_time\",\"redirect_url\"\r\n\
         \"1\",\"a@example.com\",\"cid\",\"sec\",\"rt\",\"at\",\"\",\"1000\",\"https://cb\"\r\n\
         \"2\",\"b@example.com\",\"\",\"\",\"\",\"x\",\"\",\"\",\"\"\r\n";
    assert_eq!(std::fs::read_to_string(&path).unwrap(), nine_columns);
    // A 2.x SDK keeps appending 9-field rows: the file must stay 9 columns,
    // so a token with an api_domain is refused and nothing is written.
    let err = open(&uri)
        .save_token(&token(&[
            ("user_name", "c@example.com"),
            ("access_token", "y"),
            ("api_domain", "https://www.zohoapis.eu"),
        ]))
        .unwrap_err();
    assert!(format!("{err:#}").contains("9-column"), "{err:#}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), nine_columns);
}

#[test]
fn lf_mixed_blank_lines_and_no_final_newline_are_read() {
    let text = "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain\n\
                1,a,,,r1,,,,,\r\n\n\n2,b,,,r2,,,,,";
    let contents = read_csv(text.as_bytes()).unwrap();
    assert_eq!(contents.tokens.len(), 2);
    assert_eq!(contents.tokens[1].user_name.as_deref(), Some("b"));
    assert!(!contents.layout.unwrap().crlf);
}

#[cfg(feature = "mysql")]
mod mysql_dbstore {
    use super::*;
    use mysql::prelude::Queryable;
    use tokenstore::token::compare_ids;

    /// Loads the SDK DBStore dump into a table of its own; returns its URI.
    fn load_sdk_dump() -> Option<String> {
        let base = common::mysql_base_uri()?;
        let table = common::unique_table("sdk");
        let dump = std::fs::read_to_string(fixture_path("python-sdk-dbstore.sql")).unwrap();
        let dump = dump.replace("`oauthtoken`", &format!("`{table}`"));
        let mut conn = common::mysql_conn(&base);
        conn.query_drop(dump).unwrap();
        Some(common::with_option(&base, &format!("table={table}")))
    }

    #[test]
    fn sdk_dbstore_table_reads_exactly() {
        let Some(uri) = load_sdk_dump() else { return };
        let (_, mut want) = expected("python-sdk-dbstore.expected.json");
        // The SDK listed them in string id order (1, 10, 11, ..., 2, 20, 3);
        // tokenstore lists in numeric id order.
        assert_eq!(want[1].id.as_deref(), Some("10"));
        want.sort_by(|a, b| compare_ids(a.id.as_deref(), b.id.as_deref()));
        assert_eq!(open(&uri).get_tokens().unwrap(), want);
    }

    #[test]
    fn ids_continue_numerically_after_sdk_rows() {
        let Some(uri) = load_sdk_dump() else { return };
        let mut s = open(&uri);
        s.delete_ids(&(10..=20).map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
        // Ids 1..9 are present: the SDK's string MAX(id) would say "9" and
        // then collide at "10" after one save; tokenstore goes 10, 11, 12.
        for want in ["10", "11", "12"] {
            let saved = s
                .save_token(&token(&[
                    ("user_name", &format!("n{want}")),
                    ("access_token", "a"),
                ]))
                .unwrap();
            assert_eq!(saved.id.as_deref(), Some(want));
        }
        assert_eq!(open(&uri).get_tokens().unwrap().len(), 12);
    }

    /// With ids 1..20 the SDK's string MAX(id) is "9", and its next save
    /// would collide with id 10: `info` says so.
    #[test]
    fn info_warns_that_the_sdks_next_save_will_fail() {
        let Some(uri) = load_sdk_dump() else { return };
        let out = common::TestEnv::new()
            .run(&["--store", &uri, "info", "--json"])
            .ok();
        let info: serde_json::Value = serde_json::from_str(&out).unwrap();
        let warnings = info["warnings"].to_string();
        assert!(
            warnings.contains("MAX(id) over text, which is `9`"),
            "{warnings}"
        );
        assert!(warnings.contains("gets id 10"), "{warnings}");
        assert_eq!(
            info["facts"]["layout"],
            "SDK 5.x-8.x (10 columns, user_name)"
        );
    }
}
