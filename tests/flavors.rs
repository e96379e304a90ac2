//! Every SDK family's file store, read as its SDK reads it and written as
//! its SDK writes it, and the 2.x DBStore table layout.

mod common;

use common::{fixture_path, token, TestEnv};
use tokenstore::field::FIELD_NAMES;
use tokenstore::store::{self, TokenStore, TokenStoreExt};
use tokenstore::token::Token;
use tokenstore::uri::StoreUri;

fn open(uri: &str) -> Box<dyn TokenStore> {
    store::open(&StoreUri::parse(uri).unwrap()).unwrap()
}

/// What the SDK's own reader returned (`""` is absent for tokenstore).
fn sdk_reads(name: &str) -> Vec<Token> {
    let text = std::fs::read_to_string(fixture_path(name)).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|t| Token::from_fields(FIELD_NAMES.map(|f| t[f].as_str().map(str::to_owned))))
        .collect()
}

const FIXTURES: [(&str, &str); 3] = [
    ("nodejs-sdk8-filestore.csv", "node (Node.js"),
    ("nodejs-sdk2-filestore.csv", "node2 (Node.js"),
    ("python-sdk2-filestore.csv", "python2 (Python"),
];

#[test]
fn each_sdk_file_reads_as_its_sdk_reads_it() {
    let env = TestEnv::new();
    for (name, flavor) in FIXTURES {
        let path = env.fixture(name);
        let uri = format!("file:{}", path.display());
        let mut got = Vec::new();
        open(&uri)
            .scan(&mut |t| {
                got.push(t);
                Ok(())
            })
            .unwrap();
        let want = sdk_reads(&name.replace(".csv", ".sdk-reads.json"));
        assert_eq!(got, want, "{name}");
        let info = env.run(&["--store", &uri, "info"]).ok();
        assert!(info.contains(flavor), "{name}: {info}");
    }
    // The Node 8 file's row 7 held commas: read as the SDK reads it, and
    // both info and list say so with the line number.
    let uri = format!("file:{}", env.path("nodejs-sdk8-filestore.csv").display());
    let listed = env.run(&["--store", &uri, "list", "--json"]);
    assert!(
        listed.stderr.contains("line 7 has 12 fields"),
        "{}",
        listed.stderr
    );
    listed.ok();
}

#[test]
fn a_write_keeps_each_files_layout_byte_for_byte() {
    let env = TestEnv::new();
    for (name, _) in FIXTURES {
        let path = env.fixture(name);
        let original = std::fs::read(&path).unwrap();
        let uri = format!("file:{}", path.display());
        let first = open(&uri).get_tokens().unwrap()[0].clone();
        // Saving a token unchanged rewrites the file to the same bytes
        // (no quoting added, no final newline added, no column added).
        let mut s = open(&uri);
        s.put_tokens(std::slice::from_ref(&first)).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), original, "{name}");
        // A new token is added in the file's own layout.
        let saved = s
            .save_token(&token(&[
                ("user_name", "new@example.com"),
                ("refresh_token", "r.new"),
            ]))
            .unwrap();
        let text = String::from_utf8(std::fs::read(&path).unwrap()).unwrap();
        let id = saved.id.unwrap();
        let crlf = name.starts_with("python");
        let width = if name.contains("sdk2") { 9 } else { 10 };
        let row = format!(
            "{id},new@example.com,,,r.new,,,,{}",
            if width == 10 { "," } else { "" }
        );
        if crlf {
            assert!(text.ends_with(&format!("{row}\r\n")), "{name}: {text}");
        } else {
            assert!(
                text.ends_with(&row),
                "{name}: no final newline expected: {text:?}"
            );
        }
        assert_eq!(
            text.lines().next().unwrap().split(',').count(),
            width,
            "{name}"
        );
    }
}

#[test]
fn values_a_flavour_cannot_hold_are_refused_before_writing() {
    let env = TestEnv::new();
    for (name, value, field) in [
        ("nodejs-sdk8-filestore.csv", "Smith, John", "user_name"),
        ("nodejs-sdk2-filestore.csv", "a,b", "user_name"),
        ("nodejs-sdk8-filestore.csv", "line\nbreak", "user_name"),
        // The Python SDKs read with universal newlines: `\r` comes back `\n`.
        ("python-sdk-filestore.csv", "a\rb", "refresh_token"),
        ("python-sdk2-filestore.csv", "a\r\nb", "user_name"),
    ] {
        let path = env.fixture(name);
        let before = std::fs::read(&path).unwrap();
        let uri = format!("file:{}", path.display());
        let err = env
            .run_with_stdin(
                &["--store", &uri, "save", "--input", "-"],
                &serde_json::json!({ field: value, "access_token": "a" }).to_string(),
            )
            .fails(1);
        assert!(err.contains(&format!("the {field} of token")), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before, "{name}");
    }
    let path = env.fixture("nodejs-sdk2-filestore.csv");
    let before = std::fs::read(&path).unwrap();
    let uri = format!("file:{}", path.display());
    let err = env
        .run(&[
            "--store",
            &uri,
            "save",
            "--user-name",
            "u",
            "--access-token",
            "a",
            "--api-domain",
            "https://www.zohoapis.eu",
        ])
        .fails(1);
    assert!(err.contains("9-column"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_new_file_gets_the_flavour_asked_for() {
    let env = TestEnv::new();
    for (flavor, header, ends_with) in [
        ("node", "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain\n", "1,u,,,,a,,,,"),
        ("node2", "id,user_mail,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url\n", "1,u,,,,a,,,"),
        ("python2", "id,user_mail,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri\r\n", "1,u,,,,a,,,\r\n"),
        ("python", "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n", "1,u,,,,a,,,,\n"),
    ] {
        let path = env.path(&format!("{flavor}.csv"));
        let uri = format!("file:{}?flavor={flavor}", path.display());
        env.save_user(&uri, "u", "a");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(header), "{flavor}: {text:?}");
        assert!(text.ends_with(ends_with), "{flavor}: {text:?}");
    }
    let err = env
        .run(&["--store", "file:x.csv?flavor=java", "list"])
        .fails(2);
    assert!(err.contains("unknown flavor `java`"), "{err}");
}

#[test]
fn round_trip_through_sqlite_gives_the_sdks_bytes() {
    let env = TestEnv::new();
    for (name, flavor) in [
        ("nodejs-sdk2-filestore.csv", "node2"),
        ("python-sdk2-filestore.csv", "python2"),
    ] {
        let from = format!("file:{}", env.fixture(name).display());
        let db = format!("sqlite:{}", env.path(&format!("{flavor}.db")).display());
        let back_path = env.path(&format!("back-{name}"));
        let back = format!("file:{}?flavor={flavor}", back_path.display());
        // A 9-column file needs a table without api_domain values: they are
        // absent in these files, so the SDK's 10-column table holds them.
        env.run(&["migrate", "--from", &from, "--to", &db]).ok();
        env.run(&["migrate", "--from", &db, "--to", &back]).ok();
        let original = std::fs::read(fixture_path(name)).unwrap();
        let mut ours = std::fs::read(&back_path).unwrap();
        // The SDK's file is in its own row order; tokenstore writes a new
        // file in id order: compare the header, and the rows as sets. A
        // row whose value held a comma is copied as the SDK reads it (cut),
        // so it is compared by its first nine fields.
        let lines = |b: &[u8]| {
            let text = String::from_utf8(b.to_vec()).unwrap();
            let mut l: Vec<String> = text
                .lines()
                .map(|line| line.split(',').take(9).collect::<Vec<_>>().join(","))
                .collect();
            let header = l.remove(0);
            l.sort();
            (header, l)
        };
        assert_eq!(lines(&ours), lines(&original), "{name}");
        assert_eq!(ours.ends_with(b"\n"), original.ends_with(b"\n"), "{name}");
        assert_eq!(
            ours.windows(2).any(|w| w == b"\r\n"),
            original.windows(2).any(|w| w == b"\r\n"),
            "{name}"
        );
        ours.clear();
    }
}

#[cfg(feature = "mysql")]
#[test]
fn the_2x_dbstore_table_is_read_and_written_as_it_is() {
    use mysql::prelude::Queryable;
    let Some(base) = common::mysql_base_uri() else {
        return;
    };
    let table = common::unique_table("legacy");
    let ddl = std::fs::read_to_string(fixture_path("legacy-dbstore-ddl.sql")).unwrap();
    let create = ddl
        .lines()
        .find(|l| l.starts_with("CREATE TABLE"))
        .unwrap()
        .replace("oauthtoken", &table);
    let mut conn = common::mysql_conn(&base);
    conn.query_drop(create).unwrap();
    conn.exec_drop(
        format!("INSERT INTO {table} (id, user_mail, refresh_token) VALUES (?, ?, ?)"),
        ("nodejs_alice_us_prd_0001", "alice@example.com", "1000.rt.a"),
    )
    .unwrap();
    let uri = common::with_option(&base, &format!("table={table}"));
    let env = TestEnv::new();
    let got = open(&uri).get_tokens().unwrap();
    assert_eq!(got[0].user_name.as_deref(), Some("alice@example.com"));
    env.save_user(&uri, "bob@example.com", "a");
    let users: Vec<String> = conn
        .query(format!("SELECT user_mail FROM {table} ORDER BY user_mail"))
        .unwrap();
    assert_eq!(users, ["alice@example.com", "bob@example.com"]);
    let err = env
        .run(&[
            "--store",
            &uri,
            "save",
            "--user-name",
            "c",
            "--access-token",
            "a",
            "--api-domain",
            "https://x",
        ])
        .fails(1);
    assert!(err.contains("2.x SDK table"), "{err}");
    let info = env.run(&["--store", &uri, "info"]).ok();
    assert!(info.contains("SDK 2.x (9 columns, user_mail"), "{info}");
}

/// A JavaScript SDK writes a store without tokens as its bare header, with
/// no line break (at creation, after deleteTokens): that is a whole file.
#[test]
fn a_node_store_without_tokens_is_whole_and_writable() {
    let env = TestEnv::new();
    for (flavor, header) in [
        ("node", "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain"),
        ("node2", "id,user_mail,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url"),
    ] {
        let path = env.path(&format!("{flavor}.csv"));
        std::fs::write(&path, header).unwrap();
        let uri = format!("file:{}", path.display());
        let started = std::time::Instant::now();
        assert!(open(&uri).get_tokens().unwrap().is_empty());
        env.save_user(&uri, "u", "a");
        assert!(started.elapsed() < std::time::Duration::from_millis(500), "waited for a whole file");
        env.run(&["--store", &uri, "delete", "1"]).ok();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), header, "{flavor}");
        env.save_user(&uri, "v", "b");
    }
    // A Node file converted to CRLF line ends (and no final newline) is
    // still written, keeping its line ends.
    let path = env.path("crlf.csv");
    std::fs::write(
        &path,
        "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain\r\n1,u,,,r,,,,,",
    )
    .unwrap();
    let uri = format!("file:{}", path.display());
    env.run(&[
        "--store",
        &uri,
        "save",
        "--id",
        "1",
        "--api-domain",
        "https://x",
    ])
    .ok();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with("\r\n1,u,,,r,,,,,https://x"), "{text:?}");
}

/// Node 2.x appends "\n" + row and throws on a blank line: tokenstore never
/// leaves a Node 2 file ending in a line break, even one that had it.
#[test]
fn a_node2_file_never_ends_in_a_line_break() {
    let env = TestEnv::new();
    let path = env.fixture("nodejs-sdk2-filestore.csv");
    let mut text = std::fs::read(&path).unwrap();
    text.push(b'\n');
    std::fs::write(&path, &text).unwrap();
    env.save_user(&format!("file:{}", path.display()), "new@example.com", "a");
    assert!(!std::fs::read(&path).unwrap().ends_with(b"\n"));
}

/// A Node row whose values held commas is read shifted, as the SDK reads
/// it, so a secret may sit in any field: all of them are masked.
#[test]
fn a_shifted_row_shows_no_secret_in_any_field() {
    let env = TestEnv::new();
    let path = env.path("n.csv");
    std::fs::write(
        &path,
        "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url,api_domain\n\
         1,Doe, Jane, Dr,c,s,1000.rt.REFRESHSECRET0001,1000.at.ACCESSSECRET00001,,,x",
    )
    .unwrap();
    let uri = format!("file:{}", path.display());
    for args in [
        vec!["--store", &uri, "list", "-o", "json"],
        vec!["--store", &uri, "list", "-o", "wide"],
        vec!["--store", &uri, "list", "-o", "csv"],
        vec!["--store", &uri, "find-by-id", "1"],
    ] {
        let run = env.run(&args);
        let seen = format!("{}{}", run.stdout, run.stderr);
        assert!(
            !seen.contains("ACCESSSECRET") && !seen.contains("REFRESHSECRET"),
            "{args:?}: {seen}"
        );
        run.ok();
    }
    let revealed = env
        .run(&["--store", &uri, "list", "-o", "json", "--reveal"])
        .ok();
    assert!(revealed.contains("1000.at.ACCESSSECRET00001"), "{revealed}");
}

/// The 2.x table on PostgreSQL (an application that kept the DBStore's
/// columns there) is used as it is.
#[cfg(feature = "postgres")]
#[test]
fn the_2x_table_on_postgres_is_read_and_written_as_it_is() {
    let Some(base) = common::pg_base_uri() else {
        return;
    };
    let table = common::unique_table("legacy");
    let ddl = std::fs::read_to_string(fixture_path("legacy-dbstore-ddl.sql")).unwrap();
    let create = ddl
        .lines()
        .find(|l| l.starts_with("CREATE TABLE"))
        .unwrap()
        .replace("oauthtoken", &table)
        .replace('`', "\"");
    let mut conn = common::pg_conn(&base);
    conn.batch_execute(&create).unwrap();
    conn.execute(
        &format!("INSERT INTO {table} (id, user_mail, refresh_token) VALUES ($1, $2, $3)"),
        &[
            &"nodejs_alice_us_prd_0001",
            &"alice@example.com",
            &"1000.rt.a",
        ],
    )
    .unwrap();
    let uri = common::with_option(&base, &format!("table={table}"));
    let env = TestEnv::new();
    let got = open(&uri).get_tokens().unwrap();
    assert_eq!(got[0].user_name.as_deref(), Some("alice@example.com"));
    env.save_user(&uri, "bob@example.com", "a");
    let users: Vec<String> = conn
        .query(
            &format!("SELECT user_mail FROM {table} ORDER BY user_mail"),
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(users, ["alice@example.com", "bob@example.com"]);
    let err = env
        .run(&[
            "--store",
            &uri,
            "save",
            "--user-name",
            "c",
            "--access-token",
            "a",
            "--api-domain",
            "https://x",
        ])
        .fails(1);
    assert!(err.contains("2.x SDK table"), "{err}");
    let info = env.run(&["--store", &uri, "info"]).ok();
    assert!(info.contains("SDK 2.x (9 columns, user_mail"), "{info}");
}

#[test]
fn rows_a_write_leaves_alone_keep_their_bytes() {
    let env = TestEnv::new();
    let path = env.path("scala.csv");
    // Scala's FileStore writes `null` for absent; a 2.x SDK appends rows of
    // nine fields to a ten-column file.
    let header = "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n";
    let scala = "2,b@example.com,null,null,r.b,null,null,null,null,null\n";
    let short = "3,c@example.com,,,r.c,,,,https://cb\n";
    let original = format!("{header}1,a@example.com,,,r.a,a.old,,,,\n{scala}{short}");
    std::fs::write(&path, &original).unwrap();
    let uri = format!("file:{}", path.display());
    let saved = open(&uri)
        .save_token(&token(&[("id", "1"), ("access_token", "a.new")]))
        .unwrap();
    assert_eq!(saved.access_token.as_ref().unwrap().expose(), "a.new");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        format!("{header}1,a@example.com,,,r.a,a.new,,,,\n{scala}{short}")
    );
    // The rows read as before: `null` absent, the short row's api_domain too.
    let tokens = open(&uri).get_tokens().unwrap();
    assert_eq!(tokens[1].client_id, None);
    assert_eq!(tokens[2].redirect_url.as_deref(), Some("https://cb"));
    assert_eq!(tokens[2].api_domain, None);
}
