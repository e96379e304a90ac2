//! Hostile and broken input: every case gets its documented exit code and
//! one clear line on stderr, and leaves every store byte-identical.

mod common;

use std::path::Path;

use common::TestEnv;

const HEADER: &str = "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n";

struct Case {
    name: &'static str,
    /// Files to create in the temp dir before running.
    files: Vec<(&'static str, Vec<u8>)>,
    args: Vec<&'static str>,
    code: i32,
    /// A part of the one stderr line.
    message: &'static str,
}

fn case(
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: &[&'static str],
    code: i32,
    message: &'static str,
) -> Case {
    Case {
        name,
        files,
        args: args.to_vec(),
        code,
        message,
    }
}

fn csv(body: &str) -> Vec<(&'static str, Vec<u8>)> {
    vec![("t.csv", format!("{HEADER}{body}").into_bytes())]
}

fn bytes(b: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    vec![("t.csv", b.to_vec())]
}

fn sqlite_with(sql: &str) -> Vec<(&'static str, Vec<u8>)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
    vec![("t.db", std::fs::read(&path).unwrap())]
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        // The lock file beside a file store is not part of the store.
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "lock"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn broken_input_is_refused_clearly_and_changes_nothing() {
    // Each case: (name, files before, arguments, exit code, part of the message).
    let list = ["--store", "file:t.csv", "list"];
    let save = [
        "--store",
        "file:t.csv",
        "save",
        "--user-name",
        "u",
        "--access-token",
        "a",
    ];
    let purge = ["--store", "file:t.csv", "purge", "--yes"];
    let cases = vec![
        case("unbalanced quote", csv("1,\"alice,,,,,,,,\n2,b,,,,,,,,\n"), &list, 1, "line 2"),
        case("too few columns", csv("1,alice,c\n"), &list, 1, "line 2: 3 fields, expected 10"),
        case("too many columns", csv("1,a,,,,,,,,,,extra\n"), &save, 1, "line 2: 12 fields"),
        case("short header", bytes(b"id,user_name,client_id\n1,a,b\n"), &list, 1, "header has 3 columns"),
        case("no header", bytes(b"1,a,,,r,,,,,\n"), &list, 1, "line 1: expected a header"),
        case("invalid UTF-8", csv("1,\u{0}x,,,,,,,,\n").into_iter().map(|(n, mut b)| { let at = b.len() - 11; b[at] = 0xff; (n, b) }).collect(), &list, 1, "not valid UTF-8"),
        case("NUL byte", csv("1,a\u{0}b,,,,,,,,\n"), &save, 1, "NUL byte"),
        case("binary file", bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), &list, 1, "line 1"),
        case("delete on a broken file", csv("1,a\n"), &["--store", "file:t.csv", "delete", "1"], 1, "line 2"),
        case("purge on a broken file", csv("x\n"), &purge, 1, "line 2"),
        case("migrate from a broken file", csv("1\n"), &["migrate", "--from", "file:t.csv", "--to", "sqlite:out.db"], 1, "line 2"),
        case("a folder, not a file", vec![], &["--store", "file:.", "list"], 1, "is a folder"),
        case("not a SQLite database", vec![("t.db", b"just some text, not sqlite at all........................................................................................".to_vec())], &["--store", "sqlite:t.db", "list"], 1, "not a database"),
        case("SQLite table with other columns", sqlite_with("CREATE TABLE oauthtoken (id TEXT, name TEXT)"), &["--store", "sqlite:t.db", "list"], 1, "has columns (id, name)"),
        case("SQLite table reordered", sqlite_with("CREATE TABLE oauthtoken (user_name, id, client_id, client_secret, refresh_token, access_token, grant_token, expiry_time, redirect_url, api_domain)"), &["--store", "sqlite:t.db", "save", "--user-name", "u", "--access-token", "a"], 1, "expected the SDK's"),
        case("unknown scheme", vec![], &["--store", "postgress://u@h/db", "list"], 2, "did you mean postgres:?"),
        case("postgres without user", vec![], &["--store", "postgres://localhost/db", "list"], 2, "USER@HOST"),
        case("postgres unknown sslmode", vec![], &["--store", "postgres://u@h/db?sslmode=sometimes", "list"], 2, "unknown sslmode `sometimes`"),
        case("postgres table name injection", vec![], &["--store", "postgres://u@h/db?table=t;drop", "list"], 2, "letters, digits"),
        case("no scheme", vec![], &["--store", "t.csv", "list"], 2, "no scheme"),
        case("table name injection", vec![], &["--store", "sqlite:t.db?table=x; drop table y", "list"], 2, "letters, digits"),
        case("unknown URI option", vec![], &["--store", "sqlite:t.db?mode=rw", "list"], 2, "unknown option"),
        case("mysql without user", vec![], &["--store", "mysql://localhost/db", "list"], 2, "USER@HOST"),
        case("mysql bad port", vec![], &["--store", "mysql://u@h:70000/db", "list"], 2, "not a port"),
        case("empty file path", vec![], &["--store", "file:", "list"], 2, "needs a path"),
        case("memory with a path", vec![], &["--store", "memory:x", "list"], 2, "takes no path"),
        case("store under a file", csv(""), &["--store", "file:t.csv/inner.csv", "save", "--user-name", "u", "--access-token", "a"], 1, "t.csv"),
        case("unwritable folder", vec![], &["--store", "file:/proc/tokenstore-test.csv", "save", "--user-name", "u", "--access-token", "a"], 1, "cannot"),
        case("a system file", vec![], &["--store", "file:/proc/version", "list"], 1, "line 1"),
        case("invalid JSON input", vec![("in.json", b"{\"user_name\": \"a\",\n \"access_token\": }".to_vec())], &["--store", "file:t.csv", "save", "--input", "in.json"], 2, "line 2"),
        case("unknown JSON field", vec![("in.json", b"{\"user_name\":\"a\",\"refresh_tokn\":\"r\"}".to_vec())], &["--store", "file:t.csv", "save", "--input", "in.json"], 2, "unknown key `refresh_tokn`"),
        case("masked JSON secret", vec![("in.json", b"{\"user_name\":\"a\",\"refresh_token\":\"****\"}".to_vec())], &["--store", "file:t.csv", "save", "--input", "in.json"], 2, "masked refresh_token"),
        case("NUL in a value for a file store", vec![("in.json", b"{\"user_name\":\"a\\u0000b\",\"access_token\":\"x\"}".to_vec()), ("t.csv", format!("{HEADER}1,a,,,r,,,,,\n").into_bytes())], &["--store", "file:t.csv", "save", "--input", "in.json"], 1, "NUL character"),
        case("empty JSON input", vec![("in.json", b"\n".to_vec())], &["--store", "file:t.csv", "save", "--input", "in.json"], 2, "holds no tokens"),
        case("expiry out of range", csv(""), &["--store", "file:t.csv", "save", "--access-token", "a", "--expires-in", "9223372036854775807"], 2, "out of range"),
        case("user without token", csv(""), &["--store", "file:t.csv", "save", "--user-name", "u", "--client-id", "c"], 2, "refresh, grant or access token"),
        case("stdin ran out", csv(""), &["--store", "file:t.csv", "save", "--user-name", "u", "--refresh-token", "-"], 2, "no line left"),
    ];
    assert!(cases.len() >= 30);
    for c in cases {
        let env = TestEnv::new();
        for (name, content) in &c.files {
            std::fs::write(env.path(name), content).unwrap();
        }
        let before = snapshot(env.dir.path());
        let out = env.run(&c.args);
        let err = out.stderr;
        assert_eq!(out.code, Some(c.code), "{}: {err}", c.name);
        assert_eq!(err.lines().count(), 1, "{}: not one line: {err}", c.name);
        assert!(err.contains(c.message), "{}: {err}", c.name);
        assert!(!err.contains("panicked"), "{}: {err}", c.name);
        assert_eq!(
            snapshot(env.dir.path()),
            before,
            "{}: a store changed",
            c.name
        );
    }
}

#[test]
fn a_one_megabyte_value_is_kept_or_refused_whole() {
    let env = TestEnv::new();
    let big = "v".repeat(1 << 20);
    for store in ["file:t.csv", "sqlite:t.db"] {
        let out = env.run_with_stdin(
            &[
                "--store",
                store,
                "save",
                "--user-name",
                "big",
                "--access-token",
                "-",
            ],
            &format!("{big}\n"),
        );
        assert_eq!(out.code, Some(0), "{store}");
        let out = env.run(&["--store", store, "find-by-id", "1", "--json", "--reveal"]);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(
            v["access_token"].as_str().map(str::len),
            Some(1 << 20),
            "{store}"
        );
    }
    for mysql in common::server_uris("big") {
        env.save_user(&mysql, "small", "a");
        let out = env.run_with_stdin(
            &[
                "--store",
                &mysql,
                "save",
                "--user-name",
                "big",
                "--access-token",
                "-",
            ],
            &format!("{big}\n"),
        );
        assert_eq!(out.code, Some(1), "{mysql}");
        let err = out.stderr;
        assert!(err.contains("too long") && err.len() < 500, "{err}");
        let out = env.run(&["--store", &mysql, "list", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 1);
    }
}

#[cfg(feature = "mysql")]
#[test]
fn mysql_failures_are_one_clear_line_without_the_password() {
    let Some(base) = common::mysql_base_uri() else {
        return;
    };
    let env = TestEnv::new();
    // A wrong password: the message names the user, never the password.
    let wrong = {
        // mysql://tokenstore:<real>@host -> mysql://tokenstore:WRONG...@host
        let (head, tail) = base.split_once('@').unwrap();
        let user = head.rsplit_once(':').unwrap().0;
        format!("{user}:WRONG-pass-1234@{tail}")
    };
    let err = env.run(&["--store", &wrong, "list"]).fails(1);
    assert!(
        err.contains("access denied: check the user and password"),
        "{err}"
    );
    assert!(!err.contains("WRONG-pass-1234"), "{err}");
    // The password from the environment instead of the URI.
    let (head, tail) = base.split_once('@').unwrap();
    let (user, password) = head.rsplit_once(':').unwrap();
    let out = env
        .cmd()
        .env("TOKENSTORE_MYSQL_PASSWORD", password)
        .args(["--store", &format!("{user}@{tail}"), "info", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Nobody listening: a bounded wait, then one line.
    let started = std::time::Instant::now();
    let out = env.run(&["--store", "mysql://u:pw@127.0.0.1:1/db", "list"]);
    assert_eq!(out.code, Some(1));
    assert!(started.elapsed().as_secs() < 10);
    assert!(out
        .stderr
        .contains("cannot connect to MySQL at 127.0.0.1:1"));
    // A table with other columns.
    let table = common::unique_table("other");
    let mut conn = common::mysql_conn(&base);
    mysql::prelude::Queryable::query_drop(
        &mut conn,
        format!("CREATE TABLE {table} (id varchar(10), name text)"),
    )
    .unwrap();
    let out = env.run(&[
        "--store",
        &common::with_option(&base, &format!("table={table}")),
        "save",
        "--user-name",
        "u",
        "--access-token",
        "a",
    ]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("has columns (id, name)"));
}

#[cfg(feature = "postgres")]
#[test]
fn postgres_failures_are_one_clear_line_without_the_password() {
    let Some(base) = common::pg_base_uri() else {
        return;
    };
    let env = TestEnv::new();
    // postgres://tokenstore:<real>@host:port/db?options
    let (head, tail) = base.split_once('@').unwrap();
    let (user, password) = head.rsplit_once(':').unwrap();
    let user_name = user.rsplit_once('/').unwrap().1;
    // A wrong password: the message names the user, never the password.
    let err = env
        .run(&["--store", &format!("{user}:WRONG-pass-1234@{tail}"), "list"])
        .fails(1);
    assert!(
        err.contains("access denied: check the user and password"),
        "{err}"
    );
    assert!(!err.contains("WRONG-pass-1234"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // The password from either environment variable instead of the URI.
    let without = format!("{user}@{tail}");
    for variable in ["TOKENSTORE_PG_PASSWORD", "PGPASSWORD"] {
        let out = env
            .cmd()
            .env(variable, password)
            .args(["--store", &without, "info", "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{variable}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // ... or from ~/.pgpass, which libpq ignores (and so does tokenstore)
    // when others can read it.
    let host_port = tail.split('/').next().unwrap();
    let (host, port) = host_port.rsplit_once(':').unwrap();
    let pgpass = env.dir.path().join(".pgpass");
    std::fs::write(
        &pgpass,
        format!("# tokenstore test\n{host}:{port}:*:{user_name}:{password}\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = env.run(&["--store", &without, "list"]).fails(1);
    assert!(err.contains("password"), "{err}");
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    env.run(&["--store", &without, "info"]).ok();
    // Nobody listening: a bounded wait, then one line.
    let started = std::time::Instant::now();
    let out = env.run(&["--store", "postgres://u:pw@127.0.0.1:1/db", "list"]);
    assert_eq!(out.code, Some(1));
    assert!(started.elapsed().as_secs() < 10);
    assert!(
        out.stderr
            .contains("cannot connect to PostgreSQL at 127.0.0.1:1"),
        "{}",
        out.stderr
    );
    // A database that is not there.
    let missing = base.replacen("/zohooauth", "/no_such_db", 1);
    let err = env.run(&["--store", &missing, "list"]).fails(1);
    assert!(err.contains("the database does not exist"), "{err}");
    // A table with other columns.
    let table = common::unique_table("other");
    let mut conn = common::pg_conn(&base);
    conn.batch_execute(&format!("CREATE TABLE {table} (id varchar(10), name text)"))
        .unwrap();
    let out = env.run(&[
        "--store",
        &common::with_option(&base, &format!("table={table}")),
        "save",
        "--user-name",
        "u",
        "--access-token",
        "a",
    ]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("has columns (id, name)"),
        "{}",
        out.stderr
    );
}
