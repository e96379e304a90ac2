//! `migrate` between every pair of backends: lossless, verified,
//! all-or-nothing, and the source changed only when asked.

mod common;

use common::{expected, token, Run, TestEnv};
use serde_json::Value;
use tokenstore::store::{self, TokenStore, TokenStoreExt};
use tokenstore::token::Token;
use tokenstore::uri::StoreUri;

fn open(uri: &str) -> Box<dyn TokenStore> {
    store::open(&StoreUri::parse(uri).unwrap()).unwrap()
}

/// Puts one token (id, user name, access token) into a store.
fn put_one(uri: &str, id: &str, user: &str, access: &str) {
    open(uri)
        .put_tokens(&[token(&[
            ("id", id),
            ("user_name", user),
            ("access_token", access),
        ])])
        .unwrap();
}

fn migrate(env: &TestEnv, from: &str, to: &str, extra: &[&str]) -> Run {
    env.run(&[&["migrate", "--from", from, "--to", to][..], extra].concat())
}

/// The fixture's tokens plus the awkward values the fixture lacks.
fn awkward_tokens() -> Vec<Token> {
    let (_, mut tokens) = expected("python-sdk-filestore.expected.json");
    tokens.push(token(&[
        ("id", "21"),
        ("user_name", "line one\nline two, \"quoted\""),
        ("refresh_token", "x'); DROP TABLE oauthtoken; --"),
        ("redirect_url", "https://cb?a=1,b=\"2\"\n"),
    ]));
    tokens
}

#[test]
fn round_trip_through_every_backend_is_lossless() {
    let env = TestEnv::new();
    let start = format!("file:{}", env.path("start.csv").display());
    open(&start).put_tokens(&awkward_tokens()).unwrap();
    let mut chain = vec![
        start.clone(),
        format!("sqlite:{}", env.path("a.db").display()),
        format!("file:{}", env.path("b.csv").display()),
    ];
    // file -> mysql -> sqlite -> mysql -> postgres -> sqlite -> postgres -> file:
    // each server as a source and as a target, and server to server.
    let servers = common::server_uris("mig")
        .into_iter()
        .zip(common::server_uris("mig"));
    for (n, (first, second)) in servers.enumerate() {
        chain.push(first);
        chain.push(format!(
            "sqlite:{}",
            env.path(&format!("c{n}.db")).display()
        ));
        chain.push(second);
    }
    chain.push(format!("file:{}", env.path("end.csv").display()));
    for pair in chain.windows(2) {
        let out = migrate(&env, &pair[0], &pair[1], &[]);
        assert_eq!(
            out.code,
            Some(0),
            "{} -> {}: {}",
            pair[0],
            pair[1],
            out.stderr
        );
        assert!(out.stdout.contains("copied 21 tokens"));
    }
    let mut want = awkward_tokens();
    want.sort_by(|a, b| tokenstore::token::compare_ids(a.id.as_deref(), b.id.as_deref()));
    assert_eq!(open(chain.last().unwrap()).get_tokens().unwrap(), want);
    // memory: as a target validates a source without writing anywhere.
    let out = migrate(&env, chain.last().unwrap(), "memory:", &["--json"]);
    let summary: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(summary["copied"], 21);
    assert_eq!(
        std::fs::read(env.path("start.csv")).unwrap(),
        std::fs::read(env.path("end.csv")).unwrap(),
        "the file at the end is byte-identical to the one at the start"
    );
}

#[test]
fn legacy_files_migrate() {
    let env = TestEnv::new();
    let legacy = env.path("legacy.csv");
    std::fs::write(&legacy, "id,user_mail,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_url\n7,a@b.c,c,s,r,,,5,https://cb\n").unwrap();
    let to = format!("sqlite:{}", env.path("t.db").display());
    migrate(&env, &format!("file:{}", legacy.display()), &to, &[]).ok();
    let got = open(&to).get_tokens().unwrap();
    assert_eq!(
        got,
        vec![token(&[
            ("id", "7"),
            ("user_name", "a@b.c"),
            ("client_id", "c"),
            ("client_secret", "s"),
            ("refresh_token", "r"),
            ("expiry_time", "5"),
            ("redirect_url", "https://cb")
        ])]
    );
}

fn conflict_setup(env: &TestEnv) -> (String, String) {
    let from = format!("file:{}", env.path("from.csv").display());
    let to = format!("sqlite:{}", env.path("to.db").display());
    open(&from)
        .put_tokens(&[
            token(&[("id", "1"), ("user_name", "same"), ("access_token", "a")]),
            token(&[
                ("id", "2"),
                ("user_name", "source-version"),
                ("access_token", "b"),
            ]),
            token(&[("id", "3"), ("user_name", "new"), ("access_token", "c")]),
        ])
        .unwrap();
    open(&to)
        .put_tokens(&[
            token(&[("id", "1"), ("user_name", "same"), ("access_token", "a")]),
            token(&[
                ("id", "2"),
                ("user_name", "target-version"),
                ("access_token", "b"),
            ]),
        ])
        .unwrap();
    (from, to)
}

fn users(uri: &str) -> Vec<String> {
    open(uri)
        .get_tokens()
        .unwrap()
        .into_iter()
        .map(|t| t.user_name.unwrap())
        .collect()
}

#[test]
fn conflicts_fail_by_default_and_touch_nothing() {
    let env = TestEnv::new();
    let (from, to) = conflict_setup(&env);
    let before = std::fs::read(env.path("to.db")).unwrap();
    let out = migrate(&env, &from, &to, &[]);
    assert_eq!(out.code, Some(1));
    let err = out.stderr;
    assert!(
        err.contains("(ids 2)") && err.contains("nothing was written"),
        "{err}"
    );
    assert_eq!(std::fs::read(env.path("to.db")).unwrap(), before);
}

#[test]
fn conflicts_skip_or_overwrite() {
    let env = TestEnv::new();
    let (from, to) = conflict_setup(&env);
    let out = migrate(&env, &from, &to, &["--on-conflict", "skip", "--json"]);
    let summary: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        (
            summary["copied"].as_u64(),
            summary["identical"].as_u64(),
            summary["skipped"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(users(&to), ["same", "target-version", "new"]);

    let out = migrate(&env, &from, &to, &["--on-conflict", "overwrite", "--json"]);
    let summary: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(summary["overwritten"], 1);
    assert_eq!(users(&to), ["same", "source-version", "new"]);
}

#[test]
fn dry_run_changes_nothing_anywhere() {
    let env = TestEnv::new();
    let (from, to) = conflict_setup(&env);
    let (src, dst) = (
        std::fs::read(env.path("from.csv")).unwrap(),
        std::fs::read(env.path("to.db")).unwrap(),
    );
    let run = migrate(
        &env,
        &from,
        &to,
        &["--dry-run", "--delete-source", "--json"],
    );
    // The plan is printed, and the dry run exits as the real run would:
    // the conflict fails it.
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("the real run would fail"),
        "{}",
        run.stderr
    );
    let plan: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(plan["copied"], 1);
    assert_eq!(plan["conflicts"], serde_json::json!(["2"]));
    assert_eq!(std::fs::read(env.path("from.csv")).unwrap(), src);
    assert_eq!(std::fs::read(env.path("to.db")).unwrap(), dst);
}

#[test]
fn delete_source_only_after_success() {
    let env = TestEnv::new();
    let (from, to) = conflict_setup(&env);
    // A failed migration leaves the source alone.
    let out = migrate(&env, &from, &to, &["--delete-source"]);
    assert_eq!(out.code, Some(1));
    assert_eq!(users(&from).len(), 3);
    // With skip, the skipped conflict stays in the source; the rest go.
    let out = migrate(
        &env,
        &from,
        &to,
        &["--delete-source", "--on-conflict", "skip"],
    )
    .ok();
    assert!(out.contains("2 deleted from source"));
    assert_eq!(users(&from), ["source-version"]);
}

#[test]
fn a_failed_write_leaves_the_target_as_it_was() {
    let env = TestEnv::new();
    let from = format!("file:{}", env.path("from.csv").display());
    put_one(&from, "1", "u", "a");
    // The target path is a folder: it cannot be written.
    std::fs::create_dir(env.path("target.csv")).unwrap();
    migrate(
        &env,
        &from,
        &format!("file:{}", env.path("target.csv").display()),
        &["--delete-source"],
    )
    .fails(1);
    assert_eq!(users(&from), ["u"]);

    // A value too long for the server's column fails the whole transaction.
    open(&from)
        .put_tokens(&[token(&[
            ("id", "2"),
            ("user_name", &"x".repeat(300)),
            ("access_token", "b"),
        ])])
        .unwrap();
    for server in common::server_uris("migfail") {
        put_one(&server, "9", "kept", "k");
        let out = migrate(&env, &from, &server, &["--delete-source"]);
        assert_eq!(out.code, Some(1), "{server}");
        assert!(out.stderr.contains("too long"), "{server}: {}", out.stderr);
        assert_eq!(users(&server), ["kept"]);
        assert_eq!(users(&from).len(), 2);
    }
}

#[test]
fn same_store_is_refused() {
    let env = TestEnv::new();
    let path = env.path("t.csv");
    env.save_user("file:t.csv", "u", "a");
    let out = migrate(&env, &format!("file:{}", path.display()), "file:t.csv", &[]);
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("same store"), "{}", out.stderr);
}

#[test]
fn a_source_failing_half_way_leaves_no_trace_in_the_target() {
    let env = TestEnv::new();
    // 7,000 good rows (more than one chunk is written), then a broken one.
    let mut text = String::from("id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n");
    for n in 1..=7000 {
        text += &format!("{n},user{n},,,,at{n},,,,\n");
    }
    text += "7001,broken\n";
    let from = env.path("half.csv");
    std::fs::write(&from, &text).unwrap();
    let from = format!("file:{}", from.display());

    let new_db = env.path("new.db");
    let mut targets = vec![
        format!("sqlite:{}", new_db.display()),
        format!("file:{}", env.path("new.csv").display()),
    ];
    let existing = format!("sqlite:{}", env.path("old.db").display());
    put_one(&existing, "1", "kept", "k");
    let existing_bytes = std::fs::read(env.path("old.db")).unwrap();
    targets.push(existing.clone());
    let servers = common::server_uris("half");
    targets.extend(servers.clone());
    for to in &targets {
        let out = migrate(&env, &from, to, &[]);
        assert_eq!(out.code, Some(1), "{to}");
        assert!(out.stderr.contains("line 7002"), "{to}: {}", out.stderr);
    }
    assert!(!new_db.exists(), "a new SQLite target was left behind");
    assert!(
        !env.path("new.csv").exists(),
        "a new file target was left behind"
    );
    assert_eq!(std::fs::read(env.path("old.db")).unwrap(), existing_bytes);
    #[cfg(feature = "mysql")]
    if let Some(mysql) = servers.iter().find(|s| s.starts_with("mysql:")) {
        // The table did not exist before, so it does not exist after.
        let (base, table) = (mysql.as_str(), common::table_of(mysql));
        let mut conn = common::mysql_conn(base);
        let found: Vec<String> = mysql::prelude::Queryable::exec(
            &mut conn,
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_NAME = ?",
            (table,),
        )
        .unwrap();
        assert!(found.is_empty(), "a new MySQL table was left behind");
    }
    for server in &servers {
        assert!(
            !open(server).exists().unwrap(),
            "a new table was left behind in {server}"
        );
    }
}

/// The migration's MySQL connection is killed while it writes: the target
/// is rolled back by the server and the source is untouched.
#[cfg(feature = "mysql")]
#[test]
fn a_lost_mysql_connection_leaves_the_target_as_it_was() {
    use mysql::prelude::Queryable;
    let Some(target) = common::mysql_uri("lost") else {
        return;
    };
    let (base, table) = (target.as_str(), common::table_of(&target));
    let mut admin = common::mysql_conn(base);
    let table = table.to_string();
    migrate_losing_its_connection(&target, move || {
        let busy: Vec<u64> = admin
            .exec(
                "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE ?",
                (format!("INSERT INTO {table} %"),),
            )
            .unwrap();
        busy.into_iter()
            .any(|id| admin.query_drop(format!("KILL CONNECTION {id}")).is_ok())
    });
}

/// The same on PostgreSQL: the server ends the migration's backend.
#[cfg(feature = "postgres")]
#[test]
fn a_lost_postgres_connection_leaves_the_target_as_it_was() {
    let Some(target) = common::pg_uri("lost") else {
        return;
    };
    let mut admin = common::pg_conn(&target);
    let table = target.rsplit_once("table=").unwrap().1.to_string();
    migrate_losing_its_connection(&target, move || {
        let killed = admin
            .query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE application_name = 'tokenstore' AND query LIKE $1",
                &[&format!("INSERT INTO {table} %")],
            )
            .unwrap();
        killed.iter().any(|row| row.get::<_, bool>(0))
    });
}

/// Migrates 60,000 tokens into `target` (which holds one token) and calls
/// `kill` until it ends the migration's connection in mid-INSERT.
#[cfg(any(feature = "mysql", feature = "postgres"))]
fn migrate_losing_its_connection(target: &str, mut kill: impl FnMut() -> bool) {
    let env = TestEnv::new();
    let from = format!("sqlite:{}", env.path("many.db").display());
    let tokens: Vec<Token> = (1..=60_000)
        .map(|n| {
            token(&[
                ("id", &n.to_string()),
                ("user_name", &format!("u{n}")),
                ("access_token", "a"),
            ])
        })
        .collect();
    open(&from).put_tokens(&tokens).unwrap();
    put_one(target, "999999", "kept", "k");

    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokenstore"))
        .args([
            "migrate",
            "--from",
            &from,
            "--to",
            target,
            "--delete-source",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Kill the connection while one of its INSERT statements runs.
    let started = std::time::Instant::now();
    let mut killed = false;
    while !killed && started.elapsed() < std::time::Duration::from_secs(30) {
        killed = kill();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        killed,
        "the migration finished before its connection could be killed"
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(users(target), ["kept"]);
    assert_eq!(open(&from).get_tokens().unwrap().len(), 60_000);
}

/// A dry run into MySQL creates no table and adds no index: it changes
/// nothing anywhere; a real run adds indexes only to a table it creates.
#[cfg(feature = "mysql")]
#[test]
fn a_dry_run_into_mysql_changes_no_schema() {
    use mysql::prelude::Queryable;
    let Some(base) = common::mysql_base_uri() else {
        return;
    };
    let env = TestEnv::new();
    let from = format!("file:{}", env.path("from.csv").display());
    put_one(&from, "1", "u", "a");
    let mut conn = common::mysql_conn(&base);
    let schema = |conn: &mut mysql::Conn, table: &str| -> (usize, usize) {
        let tables: Vec<String> = conn
            .exec(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_NAME = ?",
                (table,),
            )
            .unwrap();
        let indexes: Vec<String> = conn
            .exec(
                "SELECT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_NAME = ?",
                (table,),
            )
            .unwrap();
        (tables.len(), indexes.len())
    };

    // A table like the SDK's own: no lookup indexes.
    let sdk_table = common::unique_table("sdkdry");
    conn.query_drop(tokenstore_sdk_ddl(&sdk_table)).unwrap();
    let missing_table = common::unique_table("nodry");
    for table in [&sdk_table, &missing_table] {
        let before = schema(&mut conn, table);
        migrate(
            &env,
            &from,
            &common::with_option(&base, &format!("table={table}")),
            &["--dry-run", "--json"],
        )
        .ok();
        assert_eq!(schema(&mut conn, table), before, "{table}");
    }
    // A real run never builds indexes inside an application's existing
    // table (that would hold its write lock for the whole build) ...
    let before = schema(&mut conn, &sdk_table);
    migrate(
        &env,
        &from,
        &common::with_option(&base, &format!("table={sdk_table}")),
        &[],
    )
    .ok();
    assert_eq!(schema(&mut conn, &sdk_table), before);
    // ... but a table tokenstore creates gets its lookup indexes.
    migrate(
        &env,
        &from,
        &common::with_option(&base, &format!("table={missing_table}")),
        &[],
    )
    .ok();
    assert!(schema(&mut conn, &missing_table).1 > 1);
}

#[cfg(feature = "mysql")]
fn tokenstore_sdk_ddl(table: &str) -> String {
    format!(
        "CREATE TABLE {table} (id varchar(10) NOT NULL, user_name varchar(255), client_id varchar(255), \
         client_secret varchar(255), refresh_token varchar(255), access_token varchar(255), \
         grant_token varchar(255), expiry_time varchar(20), redirect_url varchar(255), \
         api_domain varchar(255), primary key (id))"
    )
}

#[test]
fn a_carriage_return_a_file_store_cannot_keep_stops_the_migration_before_writing() {
    let env = TestEnv::new();
    let source = format!("sqlite:{}", env.path("s.db").display());
    let mut tokens = awkward_tokens();
    tokens.push(token(&[
        ("id", "22"),
        ("user_name", "u"),
        ("access_token", "a\rb"),
    ]));
    open(&source).put_tokens(&tokens).unwrap();
    let target = format!("file:{}", env.path("t.csv").display());
    let err = migrate(&env, &source, &target, &[]).fails(1);
    assert!(
        err.contains("access_token of token 22 holds a carriage return"),
        "{err}"
    );
    assert!(!env.path("t.csv").exists(), "nothing is created");
}

#[test]
fn a_table_a_migration_or_bulk_save_creates_has_every_lookup_index() {
    // The indexes of a new SQLite table are built once, after the load.
    let env = TestEnv::new();
    let source = format!("file:{}", env.path("s.csv").display());
    open(&source).put_tokens(&awkward_tokens()).unwrap();
    let migrated = format!("sqlite:{}", env.path("m.db").display());
    migrate(&env, &source, &migrated, &[]).ok();
    let saved = format!("sqlite:{}", env.path("s.db").display());
    let input: String = (1..=50)
        .map(|n| format!("{{\"user_name\":\"u{n}\",\"refresh_token\":\"r{n}\"}}\n"))
        .collect();
    env.run_with_stdin(&["--store", &saved, "save", "--input", "-"], &input)
        .ok();
    for store in [&migrated, &saved] {
        let run = env.run(&["--store", store, "index", "--dry-run"]);
        assert!(
            run.stderr.contains("has every lookup index"),
            "{}",
            run.stderr
        );
        assert_eq!(run.ok(), "");
    }
}
