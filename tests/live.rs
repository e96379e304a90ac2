//! Safe on a live store: no operation loses, corrupts or resurrects a
//! token, and a failed write leaves every store exactly as it was and
//! creates nothing. Through the real binary where a user would notice.

mod common;

use std::path::Path;

use common::{token, TestEnv};
use serde_json::Value;
use tokenstore::store::{self, TokenStore, TokenStoreExt};
use tokenstore::uri::StoreUri;

fn open(uri: &str) -> Box<dyn TokenStore> {
    store::open(&StoreUri::parse(uri).unwrap()).unwrap()
}

fn ids(uri: &str) -> Vec<String> {
    open(uri)
        .get_tokens()
        .unwrap()
        .into_iter()
        .map(|t| t.id.unwrap())
        .collect()
}

/// Every entry of a folder, names only, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut all: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    all.sort();
    all
}

/// A token that cannot be saved (a user without any token), as JSON.
const UNSAVEABLE: &str = "{\"user_name\":\"u\"}\n";

#[test]
fn a_failed_first_write_creates_nothing() {
    let env = TestEnv::new();
    for store in [
        "sqlite:new.db",
        "file:new.csv",
        "sqlite:deep/er/new.db",
        "file:deep/er/new.csv",
    ] {
        let err = env
            .run_with_stdin(&["--store", store, "save", "--input", "-"], UNSAVEABLE)
            .fails(2);
        assert!(err.contains("refresh, grant or access token"), "{err}");
        assert_eq!(entries(env.dir.path()), Vec::<String>::new(), "{store}");
    }
    // A write that changes nothing (deleting from a store that is not
    // there) creates nothing either.
    for store in ["sqlite:new.db", "file:new.csv"] {
        let _ = env.run(&["--store", store, "delete", "1"]);
        assert_eq!(entries(env.dir.path()), Vec::<String>::new(), "{store}");
    }
    // Paths that can never be a store are refused before anything is made.
    for store in ["file:/", "file:..", "file:."] {
        let err = env
            .run(&[
                "--store",
                store,
                "save",
                "--user-name",
                "u",
                "--access-token",
                "a",
            ])
            .fails(1);
        assert!(err.contains("a folder"), "{err}");
    }
    assert_eq!(entries(env.dir.path()), Vec::<String>::new());
}

#[cfg(feature = "mysql")]
#[test]
fn a_failed_first_write_into_mysql_creates_no_table() {
    use mysql::prelude::Queryable;
    let Some(base) = common::mysql_base_uri() else {
        return;
    };
    let env = TestEnv::new();
    let table = common::unique_table("nocreate");
    let uri = common::with_option(&base, &format!("table={table}"));
    env.run_with_stdin(&["--store", &uri, "save", "--input", "-"], UNSAVEABLE)
        .fails(2);
    // A value too long for the SDK's varchar(255): refused by the server
    // after the table was created; the table goes again.
    let long = format!(
        "{{\"user_name\":\"{}\",\"access_token\":\"a\"}}",
        "u".repeat(300)
    );
    let err = env
        .run_with_stdin(&["--store", &uri, "save", "--input", "-"], &long)
        .fails(1);
    assert!(err.contains("too long for column `user_name`"), "{err}");
    assert!(!err.contains("uuuuuuuu"), "the value leaked: {err}");
    let mut conn = common::mysql_conn(&base);
    let tables: Vec<String> = conn
        .exec(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_NAME = ?",
            (&table,),
        )
        .unwrap();
    assert!(tables.is_empty(), "table {table} was left behind");
}

/// A trigger that changes every inserted row: what is written no longer
/// reads back the same, so migrate must abort before commit and leave the
/// target exactly as it was.
#[test]
fn a_failed_verification_leaves_the_target_as_it_was() {
    let env = TestEnv::new();
    let from = format!("file:{}", env.path("from.csv").display());
    open(&from)
        .put_tokens(&[
            token(&[("id", "1"), ("user_name", "a"), ("access_token", "x")]),
            token(&[("id", "2"), ("user_name", "b"), ("access_token", "y")]),
        ])
        .unwrap();
    let db = env.path("to.db");
    let to = format!("sqlite:{}", db.display());
    open(&to)
        .put_tokens(&[token(&[
            ("id", "9"),
            ("user_name", "kept"),
            ("access_token", "k"),
        ])])
        .unwrap();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER mangle AFTER INSERT ON oauthtoken BEGIN \
             UPDATE oauthtoken SET user_name = 'mangled' WHERE id = NEW.id; END;",
        )
        .unwrap();
    let before = std::fs::read(&db).unwrap();
    let err = env.run(&["migrate", "--from", &from, "--to", &to]).fails(1);
    assert!(err.contains("verification failed"), "{err}");
    assert!(err.contains("different user_name"), "{err}");
    assert!(err.contains("left as it was"), "{err}");
    assert_eq!(std::fs::read(&db).unwrap(), before, "the target changed");
    assert_eq!(ids(&to), ["9"]);
    assert_eq!(ids(&from), ["1", "2"]);
}

/// A UNIQUE index on another column: a colliding token is a conflict
/// reported without its value, never a REPLACE that deletes another row.
#[test]
fn a_unique_key_collision_deletes_nothing_and_shows_no_value() {
    let env = TestEnv::new();
    let secret = "1000.rt.collides-with-another-row-0001";
    let db = env.path("t.db");
    let to = format!("sqlite:{}", db.display());
    open(&to)
        .put_tokens(&[token(&[
            ("id", "1"),
            ("user_name", "a"),
            ("refresh_token", secret),
        ])])
        .unwrap();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE UNIQUE INDEX rt_unique ON oauthtoken (refresh_token)")
        .unwrap();
    let from = format!("file:{}", env.path("from.csv").display());
    open(&from)
        .put_tokens(&[token(&[
            ("id", "2"),
            ("user_name", "b"),
            ("refresh_token", secret),
        ])])
        .unwrap();
    let before = std::fs::read(&db).unwrap();
    let err = env
        .run(&[
            "migrate",
            "--from",
            &from,
            "--to",
            &to,
            "--on-conflict",
            "overwrite",
        ])
        .fails(1);
    assert!(err.contains("refresh_token"), "{err}");
    assert!(!err.contains("collides-with"), "the secret leaked: {err}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(ids(&to), ["1"]);
    #[cfg(feature = "mysql")]
    if let Some(uri) = common::mysql_uri("uq") {
        use mysql::prelude::Queryable;
        open(&uri)
            .put_tokens(&[token(&[
                ("id", "1"),
                ("user_name", "a"),
                ("refresh_token", secret),
            ])])
            .unwrap();
        let table = uri.rsplit('=').next().unwrap();
        let base = common::mysql_base_uri().unwrap();
        let mut conn = common::mysql_conn(&base);
        conn.query_drop(format!(
            "CREATE UNIQUE INDEX rt_unique ON {table} (refresh_token)"
        ))
        .unwrap();
        let err = env
            .run(&[
                "migrate",
                "--from",
                &from,
                "--to",
                &uri,
                "--on-conflict",
                "overwrite",
            ])
            .fails(1);
        assert!(err.contains("unique key `rt_unique`"), "{err}");
        assert!(!err.contains("collides-with"), "the secret leaked: {err}");
        assert_eq!(ids(&uri), ["1"]);
    }
    // PostgreSQL puts the value in the error's detail, never shown.
    #[cfg(feature = "postgres")]
    if let Some(uri) = common::pg_uri("uq") {
        open(&uri)
            .put_tokens(&[token(&[
                ("id", "1"),
                ("user_name", "a"),
                ("refresh_token", secret),
            ])])
            .unwrap();
        let table = uri.rsplit('=').next().unwrap();
        let mut conn = common::pg_conn(&uri);
        conn.batch_execute(&format!(
            "CREATE UNIQUE INDEX {table}_rt_unique ON {table} (refresh_token)"
        ))
        .unwrap();
        let err = env
            .run(&[
                "migrate",
                "--from",
                &from,
                "--to",
                &uri,
                "--on-conflict",
                "overwrite",
            ])
            .fails(1);
        assert!(
            err.contains(&format!("unique key `{table}_rt_unique`")),
            "{err}"
        );
        assert!(!err.contains("collides-with"), "the secret leaked: {err}");
        assert_eq!(ids(&uri), ["1"]);
    }
}

#[test]
fn mysql_compares_ids_and_keys_exactly_and_refuses_truncation() {
    let Some(uri) = common::mysql_uri("exact") else {
        return;
    };
    let env = TestEnv::new();
    open(&uri)
        .put_tokens(&[
            token(&[("id", "3"), ("user_name", "abc"), ("access_token", "x")]),
            token(&[("id", "4"), ("user_name", "ABC"), ("access_token", "y")]),
        ])
        .unwrap();
    // `3 ` and `03` are not `3`; `Abc` is nobody.
    for id in ["3 ", "03"] {
        let out = env.run(&["--store", &uri, "delete", id, "--strict"]);
        assert_eq!(out.code, Some(3), "{id}: {out:?}");
    }
    assert_eq!(ids(&uri), ["3", "4"]);
    let out = env.run(&["--store", &uri, "find", "--user-name", "Abc"]);
    assert_eq!(out.code, Some(3));
    let found: Value = serde_json::from_str(
        &env.run(&["--store", &uri, "find", "--user-name", "ABC", "--json"])
            .ok(),
    )
    .unwrap();
    assert_eq!(found["id"], "4");
    // A migrated id `3 ` must not replace `3`: the server's PAD SPACE
    // collation calls them one key, so it is a refused conflict.
    let from = format!("file:{}", env.path("from.csv").display());
    open(&from)
        .put_tokens(&[token(&[
            ("id", "3 "),
            ("user_name", "space"),
            ("access_token", "z"),
        ])])
        .unwrap();
    let out = env.run(&[
        "migrate",
        "--from",
        &from,
        "--to",
        &uri,
        "--on-conflict",
        "overwrite",
    ]);
    assert_eq!(out.code, Some(1), "{out:?}");
    let users: Vec<String> = open(&uri)
        .get_tokens()
        .unwrap()
        .into_iter()
        .map(|t| t.user_name.unwrap())
        .collect();
    assert_eq!(users, ["abc", "ABC"]);
}

#[test]
fn a_numeric_id_column_is_refused() {
    let env = TestEnv::new();
    let db = env.path("int.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE TABLE oauthtoken (id INTEGER NOT NULL, user_name varchar(255), \
             client_id varchar(255), client_secret varchar(255), refresh_token varchar(255), \
             access_token varchar(255), grant_token varchar(255), expiry_time varchar(20), \
             redirect_url varchar(255), api_domain varchar(255), primary key (id)); \
             INSERT INTO oauthtoken (id, user_name, access_token) VALUES (1, 'u', 'a');",
        )
        .unwrap();
    let before = std::fs::read(&db).unwrap();
    let store = format!("sqlite:{}", db.display());
    for args in [
        vec!["--store", &store, "list"],
        vec!["--store", &store, "delete", "01"],
    ] {
        let err = env.run(&args).fails(1);
        assert!(err.contains("id column of type INTEGER"), "{err}");
    }
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn next_ids_never_fall_back_to_one() {
    let env = TestEnv::new();
    let huge = "123456789012345678901234567890123456789012345";
    for store in [
        format!("file:{}", env.path("t.csv").display()),
        format!("sqlite:{}", env.path("t.db").display()),
    ] {
        open(&store)
            .put_tokens(&[
                token(&[("id", "1"), ("user_name", "a"), ("access_token", "x")]),
                token(&[("id", huge), ("user_name", "b"), ("access_token", "y")]),
                token(&[
                    ("id", "python_c_us_prd_0001"),
                    ("user_name", "c"),
                    ("access_token", "z"),
                ]),
            ])
            .unwrap();
        let saved: Value = serde_json::from_str(
            &env.run(&[
                "--store",
                &store,
                "save",
                "--user-name",
                "d",
                "--access-token",
                "w",
                "--json",
            ])
            .ok(),
        )
        .unwrap();
        assert_eq!(
            saved["id"], "123456789012345678901234567890123456789012346",
            "{store}"
        );
    }
}

#[test]
fn delete_source_needs_a_target_that_outlives_the_command() {
    let env = TestEnv::new();
    let from = format!("file:{}", env.path("from.csv").display());
    open(&from)
        .put_tokens(&[token(&[
            ("id", "1"),
            ("user_name", "a"),
            ("access_token", "x"),
        ])])
        .unwrap();
    let before = std::fs::read(env.path("from.csv")).unwrap();
    for to in ["memory:", "sqlite::memory:"] {
        let err = env
            .run(&["migrate", "--from", &from, "--to", to, "--delete-source"])
            .fails(2);
        assert!(err.contains("lives only as long as this command"), "{err}");
    }
    // Without --delete-source an in-memory SQLite target validates the
    // source, and no file named `:memory:` appears.
    env.run(&["migrate", "--from", &from, "--to", "sqlite::memory:"])
        .ok();
    assert_eq!(std::fs::read(env.path("from.csv")).unwrap(), before);
    assert!(!env.path(":memory:").exists());
}

#[test]
fn the_same_store_by_another_name_is_refused() {
    let env = TestEnv::new();
    let csv = env.path("t.csv");
    let store = format!("file:{}", csv.display());
    open(&store)
        .put_tokens(&[token(&[
            ("id", "1"),
            ("user_name", "a"),
            ("access_token", "x"),
        ])])
        .unwrap();
    std::os::unix::fs::symlink(&csv, env.path("link.csv")).unwrap();
    std::fs::hard_link(&csv, env.path("hard.csv")).unwrap();
    let before = std::fs::read(&csv).unwrap();
    for other in ["link.csv", "hard.csv", "./t.csv"] {
        let to = format!("file:{}", env.path(other).display());
        let err = env
            .run(&["migrate", "--from", &store, "--to", &to, "--delete-source"])
            .fails(1);
        assert!(err.contains("the same store"), "{other}: {err}");
        assert_eq!(std::fs::read(&csv).unwrap(), before);
    }
    std::fs::remove_file(env.path("hard.csv")).unwrap();
    // Two tables in one SQLite file are two stores.
    let db = env.path("two.db");
    let a = format!("sqlite:{}?table=first", db.display());
    let b = format!("sqlite:{}?table=second", db.display());
    open(&a)
        .put_tokens(&[token(&[
            ("id", "5"),
            ("user_name", "a"),
            ("access_token", "x"),
        ])])
        .unwrap();
    env.run(&["migrate", "--from", &a, "--to", &b, "--delete-source"])
        .ok();
    assert_eq!(ids(&b), ["5"]);
    assert_eq!(ids(&a), Vec::<String>::new());
    // One MySQL or PostgreSQL table through two host spellings.
    for uri in common::server_uris("same") {
        open(&uri)
            .put_tokens(&[token(&[
                ("id", "1"),
                ("user_name", "a"),
                ("access_token", "x"),
            ])])
            .unwrap();
        let other = uri.replace("127.0.0.1", "localhost");
        assert_ne!(other, uri);
        let err = env
            .run(&["migrate", "--from", &uri, "--to", &other, "--delete-source"])
            .fails(1);
        assert!(err.contains("the same store"), "{uri}: {err}");
        assert_eq!(ids(&uri), ["1"]);
    }
}

/// A token the application changes after migrate copied it stays in the
/// source: deletion compares all ten fields inside the source's write.
#[test]
fn delete_source_keeps_tokens_changed_after_the_copy() {
    use tokenstore::ops::migrate::{migrate, OnConflict, Options, Phase, Progress};
    let env = TestEnv::new();
    for kind in ["file:from.csv", "sqlite:from.db"] {
        let (scheme, name) = kind.split_once(':').unwrap();
        let from = format!("{scheme}:{}", env.path(name).display());
        let to = format!("sqlite:{}", env.path(&format!("to-{name}.db")).display());
        open(&from)
            .put_tokens(&[
                token(&[("id", "1"), ("user_name", "a"), ("access_token", "x")]),
                token(&[("id", "2"), ("user_name", "b"), ("access_token", "y")]),
            ])
            .unwrap();
        let options = Options {
            on_conflict: OnConflict::Fail,
            dry_run: false,
            delete_source: true,
        };
        let (mut source, mut target) = (open(&from), open(&to));
        let app = from.clone();
        let report = migrate(source.as_mut(), target.as_mut(), options, &mut |p| {
            if let Progress::Phase(Phase::DeletingFromSource) = p {
                // The application refreshes user b's access token now.
                open(&app)
                    .save_token(&token(&[("user_name", "b"), ("access_token", "fresh")]))
                    .unwrap();
            }
        })
        .unwrap();
        assert_eq!(report.deleted_from_source, 1, "{kind}");
        assert_eq!(report.kept_in_source_changed, 1, "{kind}");
        let left = open(&from).get_tokens().unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].access_token.as_ref().unwrap().expose(), "fresh");
    }
}

#[test]
fn a_symlinked_store_updates_its_target_and_keeps_the_link() {
    let env = TestEnv::new();
    std::fs::create_dir(env.path("real")).unwrap();
    let target = env.path("real/tokens.csv");
    let link = env.path("tokens.csv");
    std::os::unix::fs::symlink("real/tokens.csv", &link).unwrap();
    env.save_user(&format!("file:{}", link.display()), "a", "x");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&target).unwrap().contains("\n1,a,"));
    env.save_user(&format!("file:{}", link.display()), "b", "y");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(ids(&format!("file:{}", target.display())), ["1", "2"]);
}

#[test]
fn paths_that_are_not_files_are_refused() {
    let env = TestEnv::new();
    let fifo = env.path("fifo.csv");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for (store, what) in [
        (format!("file:{}", fifo.display()), "a FIFO"),
        ("file:/dev/null".to_string(), "a device"),
        (format!("file:{}", env.dir.path().display()), "a folder"),
    ] {
        for args in [
            vec!["--store", &store, "list"],
            vec![
                "--store",
                &store,
                "save",
                "--user-name",
                "u",
                "--access-token",
                "a",
            ],
        ] {
            let err = env.run(&args).fails(1);
            assert!(err.contains(what), "{store}: {err}");
        }
    }
    // A FIFO where the lock file goes would block every writer.
    let store = format!("file:{}", env.path("t.csv").display());
    env.save_user(&store, "a", "x");
    std::fs::remove_file(env.path("t.csv.lock")).unwrap();
    assert!(std::process::Command::new("mkfifo")
        .arg(env.path("t.csv.lock"))
        .status()
        .unwrap()
        .success());
    let err = env
        .run(&[
            "--store",
            &store,
            "save",
            "--user-name",
            "b",
            "--access-token",
            "y",
        ])
        .fails(1);
    assert!(err.contains("not a lock file"), "{err}");
}

#[test]
fn a_hard_linked_store_is_refused_for_writes() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    env.save_user(&store, "a", "x");
    std::fs::hard_link(env.path("t.csv"), env.path("other-name.csv")).unwrap();
    let before = std::fs::read(env.path("t.csv")).unwrap();
    let err = env
        .run(&[
            "--store",
            &store,
            "save",
            "--user-name",
            "b",
            "--access-token",
            "y",
        ])
        .fails(1);
    assert!(err.contains("hard links"), "{err}");
    assert_eq!(std::fs::read(env.path("t.csv")).unwrap(), before);
    // Reading it is fine.
    assert_eq!(ids(&store), ["1"]);
}

#[test]
fn dry_runs_create_nothing() {
    let env = TestEnv::new();
    let from = format!("file:{}", env.path("from.csv").display());
    env.save_user(&from, "a", "x");
    let before = entries(env.dir.path());
    for to in ["sqlite:sub/new.db", "file:sub/new.csv"] {
        env.run(&["migrate", "--from", &from, "--to", to, "--dry-run"])
            .ok();
        assert_eq!(entries(env.dir.path()), before, "{to}");
    }
    let err = env
        .run(&["--store", "file:gone/t.csv", "purge", "--dry-run"])
        .fails(1);
    assert!(err.contains("no store at"), "{err}");
    assert_eq!(entries(env.dir.path()), before);
}

/// An SDK rewrites its file in place: truncate, then write. A write that
/// catches the file empty or half-written must wait for it, not take it
/// for the truth (which would drop every token in it).
#[test]
fn a_file_caught_mid_rewrite_is_not_taken_for_the_truth() {
    let env = TestEnv::new();
    let path = env.path("t.csv");
    let store = format!("file:{}", path.display());
    open(&store)
        .put_tokens(
            &(1..=50)
                .map(|n| {
                    token(&[
                        ("id", &n.to_string()),
                        ("user_name", &format!("user{n}")),
                        ("access_token", "x"),
                    ])
                })
                .collect::<Vec<_>>(),
        )
        .unwrap();
    let whole = std::fs::read(&path).unwrap();
    for cut in [0, 40, whole.len() / 2] {
        // The "SDK": the file cut at `cut` bytes, whole again 60 ms later.
        std::fs::write(&path, &whole[..cut]).unwrap();
        let writer = {
            let (path, whole) = (path.clone(), whole.clone());
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(60));
                std::fs::write(&path, whole).unwrap();
            })
        };
        env.save_user(&store, &format!("new{cut}"), "y");
        writer.join().unwrap();
        let after = ids(&store);
        assert_eq!(after.len(), 51, "cut at {cut}: {after:?}");
        // Start the next round from the 50 tokens again.
        std::fs::write(&path, &whole).unwrap();
    }
}

#[test]
fn purge_expired_removes_only_dead_tokens() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    let past = "1000";
    open(&store)
        .put_tokens(&[
            token(&[
                ("id", "1"),
                ("user_name", "idle"),
                ("access_token", "a"),
                ("refresh_token", "r"),
                ("expiry_time", past),
            ]),
            token(&[
                ("id", "2"),
                ("user_name", "dead"),
                ("access_token", "a"),
                ("expiry_time", past),
            ]),
            token(&[
                ("id", "3"),
                ("user_name", "fresh"),
                ("access_token", "a"),
                ("expiry_time", "99999999999999"),
            ]),
        ])
        .unwrap();
    let listed: Value =
        serde_json::from_str(&env.run(&["--store", &store, "list", "--json"]).ok()).unwrap();
    let states: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["refreshable", "dead", "valid"]);
    env.run(&["--store", &store, "purge", "--expired", "--yes"])
        .ok();
    assert_eq!(ids(&store), ["1", "3"]);
    env.run(&["--store", &store, "purge", "--access-expired", "--yes"])
        .ok();
    assert_eq!(ids(&store), ["3"]);
}

#[test]
fn json_ids_and_expiry_times_must_be_whole_numbers() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    for (input, says) in [
        (
            "{\"id\":1e3,\"user_name\":\"u\",\"access_token\":\"a\"}",
            "id is 1000.0",
        ),
        (
            "{\"user_name\":\"u\",\"access_token\":\"a\",\"expiry_time\":1767225600000.5}",
            "expiry_time is 1767225600000.5",
        ),
        (
            "{\"user_name\":\"u\",\"access_token\":\"a\",\"expiry_time\":\"tomorrow\"}",
            "not milliseconds",
        ),
    ] {
        let err = env
            .run_with_stdin(&["--store", &store, "save", "--input", "-"], input)
            .fails(2);
        assert!(err.contains("token 1 of the input"), "{err}");
        assert!(err.contains(says), "{err}");
    }
    assert!(!env.path("t.csv").exists());
}

#[test]
fn a_masked_export_is_not_a_store() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    open(&store)
        .put_tokens(&[token(&[
            ("id", "1"),
            ("user_name", "a"),
            ("refresh_token", "1000.rt.the-real-secret-0001"),
        ])])
        .unwrap();
    let run = env.run(&["--store", &store, "list", "--format", "csv"]);
    assert!(run.stderr.contains("masked secrets"), "{}", run.stderr);
    std::fs::write(env.path("masked.csv"), run.ok()).unwrap();
    let target = format!("sqlite:{}", env.path("t.db").display());
    let err = env
        .run(&[
            "migrate",
            "--from",
            &format!("file:{}", env.path("masked.csv").display()),
            "--to",
            &target,
        ])
        .fails(1);
    assert!(err.contains("masked refresh_token"), "{err}");
    assert!(!env.path("t.db").exists());
    // With --reveal the export is a store.
    let full = env.run(&["--store", &store, "list", "--format", "csv", "--reveal"]);
    assert!(full.stderr.is_empty(), "{}", full.stderr);
}

#[test]
fn save_input_does_not_merge_into_another_users_token() {
    let env = TestEnv::new();
    for store in [
        format!("file:{}", env.path("t.csv").display()),
        format!("sqlite:{}", env.path("t.db").display()),
    ] {
        open(&store)
            .put_tokens(&[token(&[
                ("id", "1"),
                ("user_name", "alice"),
                ("access_token", "a"),
            ])])
            .unwrap();
        let other = "{\"id\":\"1\",\"user_name\":\"bob\",\"access_token\":\"b\"}\n{\"user_name\":\"carol\",\"access_token\":\"c\"}";
        let err = env
            .run_with_stdin(&["--store", &store, "save", "--input", "-"], other)
            .fails(1);
        assert!(err.contains("ids 1"), "{err}");
        assert_eq!(ids(&store), ["1"]);
        let skipped = env.run_with_stdin(
            &[
                "--store",
                &store,
                "save",
                "--input",
                "-",
                "--on-conflict",
                "skip",
                "--json",
            ],
            other,
        );
        assert!(skipped.stderr.contains("skipped 1"), "{}", skipped.stderr);
        skipped.ok();
        let users: Vec<String> = open(&store)
            .get_tokens()
            .unwrap()
            .into_iter()
            .map(|t| t.user_name.unwrap())
            .collect();
        assert_eq!(users, ["alice", "carol"], "{store}");
        // The same token again is no conflict.
        let same = "{\"id\":\"1\",\"user_name\":\"alice\",\"access_token\":\"a\"}";
        env.run_with_stdin(&["--store", &store, "save", "--input", "-"], same)
            .ok();
    }
}

#[test]
fn a_duplicated_id_deletes_the_row_find_by_id_shows() {
    let env = TestEnv::new();
    let path = env.path("t.csv");
    std::fs::write(
        &path,
        "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n\
         7,first,,,r1,,,,,\n7,second,,,r2,,,,,\n",
    )
    .unwrap();
    let store = format!("file:{}", path.display());
    let shown: Value = serde_json::from_str(
        &env.run(&["--store", &store, "find-by-id", "7", "--json"])
            .ok(),
    )
    .unwrap();
    assert_eq!(shown["user_name"], "first");
    assert!(env
        .run(&["--store", &store, "info"])
        .ok()
        .contains("duplicate ids (7)"));
    env.run(&["--store", &store, "delete", "7"]).ok();
    let left = open(&store).get_tokens().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].user_name.as_deref(), Some("second"));
}

#[test]
fn a_lock_file_made_by_root_belongs_to_the_stores_owner() {
    use std::os::unix::fs::MetadataExt;
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    env.save_user(&store, "a", "x");
    std::fs::remove_file(env.path("t.csv.lock")).unwrap();
    std::os::unix::fs::chown(env.path("t.csv"), Some(4321), Some(4321)).unwrap();
    env.save_user(&store, "b", "y");
    let meta = std::fs::metadata(env.path("t.csv.lock")).unwrap();
    if std::fs::metadata("/proc/self").unwrap().uid() == 0 {
        assert_eq!((meta.uid(), meta.gid()), (4321, 4321));
        let store_meta = std::fs::metadata(env.path("t.csv")).unwrap();
        assert_eq!(store_meta.uid(), 4321, "the store changed owner");
    }
}

/// SQLite table names ignore case: `OAuthToken` is the same table, and a
/// `--delete-source` into it would empty the store.
#[test]
fn the_same_table_in_other_letters_is_the_same_store() {
    let env = TestEnv::new();
    let db = env.path("s.db");
    let store = format!("sqlite:{}", db.display());
    env.save_user(&store, "alice", "a");
    env.save_user(&store, "bob", "b");
    let err = env
        .run(&[
            "migrate",
            "--from",
            &store,
            "--to",
            &format!("{store}?table=OAuthToken"),
            "--delete-source",
        ])
        .fails(1);
    assert!(err.contains("the same store"), "{err}");
    assert_eq!(ids(&store), ["1", "2"]);
}

/// A first write builds the new database beside the store and links it
/// into place at commit: a writer that loses the race changes nothing and
/// never removes the database the winner made.
#[test]
fn a_new_sqlite_store_is_never_removed_from_under_another_writer() {
    let env = TestEnv::new();
    let uri = format!("sqlite:{}", env.path("race.db").display());
    let mut first = open(&uri);
    let mut tx = first.begin_write().unwrap();
    tx.insert(&[token(&[
        ("id", "1"),
        ("user_name", "first"),
        ("access_token", "a"),
    ])])
    .unwrap();
    // Meanwhile another writer creates the store and commits.
    open(&uri)
        .save_token(&token(&[("user_name", "winner"), ("access_token", "w")]))
        .unwrap();
    let err = tx.commit().unwrap_err();
    assert!(
        format!("{err:#}").contains("created by another writer"),
        "{err:#}"
    );
    drop(first);
    let users: Vec<String> = open(&uri)
        .get_tokens()
        .unwrap()
        .into_iter()
        .map(|t| t.user_name.unwrap())
        .collect();
    assert_eq!(users, ["winner"]);
    // An aborted first write leaves the winner's store alone too, and no
    // temporary database is left behind.
    let mut late = open(&format!("sqlite:{}", env.path("other.db").display()));
    let tx = late.begin_write().unwrap();
    tx.abort().unwrap();
    assert_eq!(entries(env.dir.path()), ["race.db"]);
}

#[test]
fn duplicate_ids_never_delete_the_wrong_users_token() {
    let env = TestEnv::new();
    let path = env.path("t.csv");
    let header = "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n";
    let store = format!("file:{}", path.display());
    std::fs::write(
        &path,
        format!("{header}7,alice,,,ra,,,,,\n7,bob,,,rb,,,,,\n"),
    )
    .unwrap();
    env.run(&["--store", &store, "delete", "--user", "bob"])
        .ok();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{header}7,alice,,,ra,,,,,\n")
    );
    // purge --expired takes the dead row, not the first row with its id.
    std::fs::write(
        &path,
        format!("{header}7,alice,,,,a,,99999999999999,,\n7,bob,,,,b,,1000,,\n"),
    )
    .unwrap();
    env.run(&["--store", &store, "purge", "--expired", "--yes"])
        .ok();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{header}7,alice,,,,a,,99999999999999,,\n")
    );
    // Saving into the second row of a duplicated id works and is verified.
    std::fs::write(
        &path,
        format!("{header}7,alice,,,ra,,,,,\n7,bob,,,rb,,,,,\n"),
    )
    .unwrap();
    env.run(&[
        "--store",
        &store,
        "save",
        "--user-name",
        "bob",
        "--access-token",
        "new",
    ])
    .ok();
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("7,bob,,,rb,new,,,,"));
}

#[test]
fn masked_values_from_flags_are_refused() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    open(&store)
        .put_tokens(&[token(&[
            ("id", "1"),
            ("user_name", "u"),
            ("refresh_token", "1000.rt.real-secret-0001"),
        ])])
        .unwrap();
    let before = std::fs::read(env.path("t.csv")).unwrap();
    for value in ["****", "1000…0001"] {
        let err = env
            .run(&[
                "--store",
                &store,
                "save",
                "--user-name",
                "u",
                "--refresh-token",
                value,
            ])
            .fails(2);
        assert!(err.contains("--refresh-token is a masked value"), "{err}");
    }
    assert_eq!(std::fs::read(env.path("t.csv")).unwrap(), before);
}

#[test]
fn a_file_still_half_written_after_the_wait_is_refused() {
    let env = TestEnv::new();
    let path = env.path("t.csv");
    let store = format!("file:{}", path.display());
    let cut = "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\r\n\
               1,a,,,r,,,,,https://www.zohoapis.com\r\n2,b,,,r,,,,,https://www.zo";
    for (bytes, says) in [
        (cut, "ends in the middle of line 3"),
        ("", "is empty (0 bytes)"),
    ] {
        std::fs::write(&path, bytes).unwrap();
        let err = env
            .run(&[
                "--store",
                &store,
                "save",
                "--user-name",
                "new",
                "--access-token",
                "a",
            ])
            .fails(1);
        assert!(err.contains(says), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), bytes);
    }
    // Read: an empty file is not an empty store either.
    let err = env.run(&["--store", &store, "list"]).fails(1);
    assert!(err.contains("is empty (0 bytes)"), "{err}");
}

/// MySQL tables as an application may have made them: a latin1 table gets
/// a clear refusal for characters it cannot hold (never a `?` stored in
/// their place), and an INT id column is refused like any other schema.
#[cfg(feature = "mysql")]
#[test]
fn mysql_tables_that_cannot_hold_tokens_exactly_are_refused() {
    use mysql::prelude::Queryable;
    let Some(base) = common::mysql_base_uri() else {
        return;
    };
    let env = TestEnv::new();
    let mut conn = common::mysql_conn(&base);
    let columns = "user_name varchar(255), client_id varchar(255), client_secret varchar(255), \
        refresh_token varchar(255), access_token varchar(255), grant_token varchar(255), \
        expiry_time varchar(20), redirect_url varchar(255), api_domain varchar(255)";
    let latin1 = common::unique_table("latin1");
    conn.query_drop(format!(
        "CREATE TABLE {latin1} (id varchar(10) NOT NULL, {columns}, primary key (id)) \
         DEFAULT CHARSET=latin1"
    ))
    .unwrap();
    let uri = common::with_option(&base, &format!("table={latin1}"));
    let err = env
        .run(&[
            "--store",
            &uri,
            "save",
            "--user-name",
            "zoë😀@example.com",
            "--access-token",
            "a",
        ])
        .fails(1);
    assert!(err.contains("cannot hold"), "{err}");
    assert!(err.contains("character set"), "{err}");
    assert!(ids(&uri).is_empty());
    // Plain latin1 text is fine.
    env.save_user(&uri, "zoe@example.com", "a");
    assert_eq!(ids(&uri), ["1"]);

    let int_id = common::unique_table("intid");
    conn.query_drop(format!(
        "CREATE TABLE {int_id} (id int NOT NULL, {columns}, primary key (id))"
    ))
    .unwrap();
    conn.query_drop(format!(
        "INSERT INTO {int_id} (id, user_name, access_token) VALUES (1, 'u', 'a')"
    ))
    .unwrap();
    let uri = common::with_option(&base, &format!("table={int_id}"));
    for args in [
        vec!["--store", &uri, "list"],
        vec!["--store", &uri, "delete", "01"],
    ] {
        let err = env.run(&args).fails(1);
        assert!(err.contains("id column of type int"), "{err}");
    }
    let count: Option<i64> = conn
        .query_first(format!("SELECT COUNT(*) FROM {int_id}"))
        .unwrap();
    assert_eq!(count, Some(1));
}

/// A writer waits for another tokenstore writer at most 30 s, then says so
/// in one line and changes nothing.
#[test]
fn a_held_lock_is_waited_for_thirty_seconds_at_most() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    env.save_user(&store, "a", "x");
    let before = std::fs::read(env.path("t.csv")).unwrap();
    let lock = std::fs::File::options()
        .write(true)
        .open(env.path("t.csv.lock"))
        .unwrap();
    lock.lock().unwrap();
    let started = std::time::Instant::now();
    let err = env
        .run(&[
            "--store",
            &store,
            "save",
            "--user-name",
            "b",
            "--access-token",
            "y",
        ])
        .fails(1);
    let waited = started.elapsed();
    assert!(err.contains("for 30 s"), "{err}");
    assert!(waited >= std::time::Duration::from_secs(30), "{waited:?}");
    assert!(waited < std::time::Duration::from_secs(45), "{waited:?}");
    assert_eq!(std::fs::read(env.path("t.csv")).unwrap(), before);
}

/// What a write reads, it holds until commit: the application cannot
/// commit a token under the write's feet (it waits, or fails), so a
/// decision such as "id 5 is free" stays true until the write commits.
#[test]
fn rows_read_inside_a_write_stay_as_read_until_commit() {
    let env = TestEnv::new();
    let db = env.path("t.db");
    let uri = format!("sqlite:{}", db.display());
    env.save_user(&uri, "a", "x");
    let mut store = open(&uri);
    let mut tx = store.begin_write().unwrap();
    assert!(tx.get(&["5".into()]).unwrap().is_empty());
    let app = rusqlite::Connection::open(&db).unwrap();
    app.busy_timeout(std::time::Duration::from_millis(200))
        .unwrap();
    let insert = "INSERT INTO oauthtoken (id, user_name, access_token) VALUES ('5', 'app', 'z')";
    assert!(
        app.execute(insert, []).is_err(),
        "the application wrote under the write"
    );
    tx.insert(&[token(&[
        ("id", "5"),
        ("user_name", "ours"),
        ("access_token", "o"),
    ])])
    .unwrap();
    tx.commit().unwrap();
    #[cfg(feature = "mysql")]
    if let Some(uri) = common::mysql_uri("held") {
        use mysql::prelude::Queryable;
        env.save_user(&uri, "a", "x");
        let table = uri.rsplit('=').next().unwrap().to_string();
        let mut store = open(&uri);
        let mut tx = store.begin_write().unwrap();
        assert!(tx.get(&["5".into()]).unwrap().is_empty());
        let base = common::mysql_base_uri().unwrap();
        let mut app = common::mysql_conn(&base);
        app.query_drop("SET SESSION innodb_lock_wait_timeout = 1")
            .unwrap();
        let blocked = app.query_drop(format!(
            "INSERT INTO {table} (id, user_name, access_token) VALUES ('5', 'app', 'z')"
        ));
        assert!(blocked.is_err(), "the application wrote under the write");
        tx.insert(&[token(&[
            ("id", "5"),
            ("user_name", "ours"),
            ("access_token", "o"),
        ])])
        .unwrap();
        tx.commit().unwrap();
        assert_eq!(ids(&uri), ["1", "5"]);
    }
}

/// A symlink planted by another user in a shared sticky folder is not
/// followed: it could make tokenstore write the tokens elsewhere.
#[test]
fn a_symlink_planted_in_a_shared_folder_is_not_followed() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let shared = env.path("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let victim = env.path("victim.csv");
    let link = shared.join("tokens.csv");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    if std::os::unix::fs::lchown(&link, Some(4321), Some(4321)).is_err() {
        common::cannot_run_here("only root can make a link another user owns");
        return;
    }
    let err = env
        .run(&[
            "--store",
            &format!("file:{}", link.display()),
            "save",
            "--user-name",
            "u",
            "--access-token",
            "a",
        ])
        .fails(1);
    assert!(
        err.contains("owned by another user in a shared folder"),
        "{err}"
    );
    assert!(!victim.exists());
}

/// SQL stores keep `''` and NULL apart; a copy between SQL stores and an
/// update of another field keep whichever the store held.
#[test]
fn empty_strings_and_nulls_stay_as_the_sql_store_held_them() {
    let env = TestEnv::new();
    let db = env.path("e1.db");
    let from = format!("sqlite:{}", db.display());
    env.save_user(&from, "u", "a");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("UPDATE oauthtoken SET grant_token = '', client_id = NULL WHERE id = '1'")
        .unwrap();
    let nulls = |path: &std::path::Path| -> (i64, i64) {
        rusqlite::Connection::open(path)
            .unwrap()
            .query_row(
                "SELECT grant_token IS NULL, client_id IS NULL FROM oauthtoken WHERE id = '1'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap()
    };
    // An update of another field keeps '' as '' and NULL as NULL.
    env.run(&[
        "--store",
        &from,
        "save",
        "--id",
        "1",
        "--access-token",
        "new",
    ])
    .ok();
    assert_eq!(nulls(&db), (0, 1));
    let to_db = env.path("e2.db");
    let to = format!("sqlite:{}", to_db.display());
    env.run(&["migrate", "--from", &from, "--to", &to]).ok();
    assert_eq!(nulls(&to_db), (0, 1));
    #[cfg(feature = "mysql")]
    if let Some(uri) = common::mysql_uri("empty") {
        use mysql::prelude::Queryable;
        env.run(&["migrate", "--from", &from, "--to", &uri]).ok();
        let back = format!("sqlite:{}", env.path("e3.db").display());
        env.run(&["migrate", "--from", &uri, "--to", &back]).ok();
        assert_eq!(nulls(&env.path("e3.db")), (0, 1));
        let table = uri.rsplit('=').next().unwrap();
        let base = common::mysql_base_uri().unwrap();
        let mut conn = common::mysql_conn(&base);
        let row: Option<(i64, i64)> = conn
            .query_first(format!(
                "SELECT grant_token IS NULL, client_id IS NULL FROM {table} WHERE id = '1'"
            ))
            .unwrap();
        assert_eq!(row, Some((0, 1)));
    }
    // Both read as absent.
    let shown = env.run(&["--store", &to, "find-by-id", "1", "--json"]).ok();
    let shown: Value = serde_json::from_str(&shown).unwrap();
    assert!(shown["grant_token"].is_null() && shown["client_id"].is_null());
}

/// The same, through the binary: the application's change is made by a
/// trigger on the target (two tables of one SQLite file), so it lands
/// after the copy and before --delete-source; that token stays.
#[test]
fn delete_source_keeps_what_changed_meanwhile_through_the_binary() {
    let env = TestEnv::new();
    let db = env.path("both.db");
    let source = format!("sqlite:{}?table=src", db.display());
    let target = format!("sqlite:{}?table=dst", db.display());
    open(&source)
        .put_tokens(&[
            token(&[("id", "1"), ("user_name", "a"), ("access_token", "x")]),
            token(&[("id", "2"), ("user_name", "b"), ("access_token", "y")]),
        ])
        .unwrap();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE TABLE dst (id varchar(10) NOT NULL, user_name varchar(255), \
             client_id varchar(255), client_secret varchar(255), refresh_token varchar(255), \
             access_token varchar(255), grant_token varchar(255), expiry_time varchar(20), \
             redirect_url varchar(255), api_domain varchar(255), primary key (id)); \
             CREATE TRIGGER app_refreshes_b AFTER INSERT ON dst WHEN NEW.user_name = 'b' BEGIN \
             UPDATE src SET access_token = 'fresh' WHERE user_name = 'b'; END;",
        )
        .unwrap();
    let out = env
        .run(&[
            "migrate",
            "--from",
            &source,
            "--to",
            &target,
            "--delete-source",
        ])
        .ok();
    assert!(out.contains("1 deleted from source"), "{out}");
    assert!(
        out.contains("1 kept in the source because the application changed them"),
        "{out}"
    );
    let left = open(&source).get_tokens().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].access_token.as_ref().unwrap().expose(), "fresh");
    assert_eq!(ids(&target), ["1", "2"]);
}

/// The application rewrites the file after tokenstore read it and before
/// the rename: the write is refused (`Changed`, so a save runs again) and
/// the application's file is left exactly as it wrote it.
#[test]
fn a_file_changed_under_a_write_is_never_overwritten() {
    let env = TestEnv::new();
    let path = env.path("t.csv");
    let uri = format!("file:{}", path.display());
    env.save_user(&uri, "a", "x");
    let mut store = open(&uri);
    let mut tx = store.begin_write().unwrap();
    tx.insert(&[token(&[
        ("id", "9"),
        ("user_name", "ours"),
        ("access_token", "o"),
    ])])
    .unwrap();
    // The "SDK": truncate and write its own view of the store.
    let app = "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n\
               1,a,,,,x,,,,\n2,app,,,,y,,,,\n";
    std::fs::write(&path, app).unwrap();
    let err = tx.commit().unwrap_err();
    assert!(
        format!("{err:#}").contains("changed while tokenstore was writing it"),
        "{err:#}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), app);
    drop(store);
    // A save run now sees the application's token and keeps it.
    env.save_user(&uri, "b", "z");
    let users: Vec<String> = open(&uri)
        .get_tokens()
        .unwrap()
        .into_iter()
        .map(|t| t.user_name.unwrap())
        .collect();
    assert_eq!(users, ["a", "app", "b"]);
}

/// `save --input` of more than one chunk streams through one write that
/// cannot be run again: an application that rewrites the file meanwhile
/// keeps its file exactly, and nothing of the input is kept.
#[test]
fn a_streamed_bulk_save_never_overwrites_a_file_the_application_rewrote() {
    use tokenstore::ops::migrate::OnConflict;
    use tokenstore::ops::save::{save_stream, CHUNK};
    let env = TestEnv::new();
    let path = env.path("t.csv");
    let uri = format!("file:{}", path.display());
    env.save_user(&uri, "a", "x");
    let app = "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n\
               1,a,,,,x,,,,\n2,app,,,,y,,,,\n";
    let make = |n: usize| token(&[("user_name", &format!("u{n}")), ("access_token", "t")]);
    let first: Vec<_> = (0..CHUNK).map(make).collect();
    // The rest of the input; the "SDK" rewrites the file while tokenstore
    // is still reading it, after two chunks went into the write.
    let written = path.clone();
    let mut rest = (CHUNK..3 * CHUNK).map(move |n| {
        if n == 2 * CHUNK {
            std::fs::write(&written, app).unwrap();
        }
        Ok(make(n))
    });
    let mut printed = 0;
    let err = save_stream(
        open(&uri).as_mut(),
        first,
        &mut rest,
        OnConflict::Fail,
        &mut |_, _| {
            printed += 1;
            Ok(())
        },
    )
    .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("changed while tokenstore was writing it"),
        "{text}"
    );
    assert!(text.contains("nothing was saved"), "{text}");
    assert_eq!(printed, 3 * CHUNK, "each token was reported as it went");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), app);
}

/// A table a write creates gets its indexes at commit (SQLite): an index
/// that cannot be built fails the write, and the database is left exactly
/// as it was — no table, the other table and its index untouched.
#[test]
fn a_new_table_whose_index_cannot_be_built_leaves_the_database_as_it_was() {
    let env = TestEnv::new();
    let path = env.path("shared.db");
    let db = rusqlite::Connection::open(&path).unwrap();
    // Another table already holds an index by the name tokenstore uses.
    db.execute_batch(
        "CREATE TABLE other (user_name TEXT); INSERT INTO other VALUES ('kept'); \
         CREATE INDEX oauthtoken_user_name_idx ON other (user_name);",
    )
    .unwrap();
    drop(db);
    let before = std::fs::read(&path).unwrap();
    let uri = format!("sqlite:{}", path.display());
    let err = env
        .run(&[
            "--store",
            &uri,
            "save",
            "--user",
            "u",
            "--access-token",
            "a",
        ])
        .fails(1);
    assert!(err.contains("index"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the database is unchanged"
    );
}

/// MySQL commits DDL at once, so a table a write creates is visible to the
/// application before the write commits. (A bulk save's locking reads make
/// the application's inserts wait from its first read-back on; before that
/// they go straight in.) An application token written into it meanwhile
/// under an id the write also adds stops the write, and the abort keeps the
/// table with the application's token instead of dropping the table it
/// created.
#[cfg(feature = "mysql")]
#[test]
fn a_table_a_failed_write_created_keeps_what_the_application_wrote_into_it() {
    use mysql::prelude::Queryable;
    let Some(base) = common::mysql_base_uri() else {
        return;
    };
    let table = common::unique_table("appwrote");
    let uri = common::with_option(&base, &format!("table={table}"));
    let mut store = open(&uri);
    let mut tx = store.begin_write().unwrap();
    let ours = |id: &str| token(&[("id", id), ("user_name", "ours"), ("access_token", "t")]);
    tx.insert(&[ours("1")]).unwrap();
    let mut app = common::mysql_conn(&base);
    app.query_drop(format!(
        "INSERT INTO {table} (id, user_name, access_token) VALUES ('2', 'app', 'y')"
    ))
    .unwrap();
    let err = tx.insert(&[ours("2")]).unwrap_err();
    assert!(format!("{err:#}").contains("cannot add token 2"), "{err:#}");
    tx.abort().unwrap();
    let rows: Vec<(String, String)> = app
        .query(format!("SELECT id, user_name FROM {table}"))
        .unwrap();
    assert_eq!(rows, [("2".to_string(), "app".to_string())]);
}
