//! Operator experience: a tool that says what it did, and speaks like gh
//! and kubectl.

mod common;

use common::TestEnv;
use serde_json::Value;

#[test]
fn save_says_what_it_did_and_merges_one_field_by_id() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    let run = env.run(&[
        "--store",
        &store,
        "save",
        "--user",
        "alice",
        "--access-token",
        "a",
    ]);
    assert!(run.stderr.contains("created token 1 in"), "{}", run.stderr);
    run.ok();
    // One field of an existing token, by id: no token flag needed.
    let run = env.run(&[
        "--store",
        &store,
        "save",
        "--id",
        "1",
        "--api-domain",
        "https://www.zohoapis.eu",
        "--json",
    ]);
    assert!(run.stderr.contains("updated token 1"), "{}", run.stderr);
    let saved: Value = serde_json::from_str(&run.ok()).unwrap();
    assert_eq!(saved["user_name"], "alice");
    assert_eq!(saved["api_domain"], "https://www.zohoapis.eu");
    let before = std::fs::read(env.path("t.csv")).unwrap();
    let run = env.run(&[
        "--store",
        &store,
        "save",
        "--id",
        "1",
        "--api-domain",
        "https://www.zohoapis.eu",
    ]);
    assert!(run.stderr.contains("unchanged token 1"), "{}", run.stderr);
    run.ok();
    assert_eq!(std::fs::read(env.path("t.csv")).unwrap(), before);
    // An id that matches nothing still needs a token.
    let err = env
        .run(&["--store", &store, "save", "--id", "9", "--api-domain", "x"])
        .fails(2);
    assert!(err.contains("refresh, grant or access token"), "{err}");
    // Many at once: a count of each.
    let input = "{\"user_name\":\"alice\",\"access_token\":\"a\"}\n{\"user_name\":\"bob\",\"access_token\":\"b\"}";
    let run = env.run_with_stdin(
        &[
            "--store",
            &store,
            "save",
            "--input",
            "-",
            "--on-conflict",
            "overwrite",
        ],
        input,
    );
    assert!(
        run.stderr.contains("saved 2 tokens in")
            && run.stderr.contains("1 created, 0 updated, 1 unchanged"),
        "{}",
        run.stderr
    );
    run.ok();
}

#[test]
fn expiry_times_take_rfc3339_and_say_what_they_want() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    let saved: Value = serde_json::from_str(
        &env.run(&[
            "--store",
            &store,
            "save",
            "--user",
            "u",
            "--access-token",
            "a",
            "--expiry-time",
            "2026-12-01T00:00:00Z",
            "--json",
        ])
        .ok(),
    )
    .unwrap();
    assert_eq!(saved["expiry_time"], "1796083200000");
    let run = env.run(&[
        "--store",
        &store,
        "save",
        "--user",
        "u",
        "--access-token",
        "a",
        "--expiry-time",
        "tomorrow",
    ]);
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("2026-12-01T00:00:00Z"),
        "{}",
        run.stderr
    );
}

#[test]
fn usage_mistakes_say_what_to_do() {
    let env = TestEnv::new();
    let err = env.run(&["--store", "file:t.csv", "delete"]).fails(2);
    assert!(
        err.contains("delete ID") && err.contains("--user U") && err.contains("purge"),
        "{err}"
    );
    let err = env.run(&["--store", "sqlit:t.db", "list"]).fails(2);
    assert!(err.contains("did you mean sqlite:?"), "{err}");
    let err = env.run(&["--store", "tokens.csv", "list"]).fails(2);
    assert!(err.contains("did you mean file:tokens.csv?"), "{err}");
    // -o is --format; --user-name and --user are one flag.
    env.save_user("file:t.csv", "alice", "a");
    let listed: Value = serde_json::from_str(
        &env.run(&[
            "--store",
            "file:t.csv",
            "list",
            "-o",
            "json",
            "--user-name",
            "alice",
        ])
        .ok(),
    )
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[test]
fn home_is_expanded_never_a_folder_named_tilde() {
    let env = TestEnv::new();
    env.save_user("file:~/tokens.csv", "alice", "a");
    assert!(env.path("tokens.csv").exists());
    assert!(!env.path("~").exists());
}

#[test]
fn the_empty_first_run_says_where_it_looked_and_what_to_do() {
    let env = TestEnv::new();
    let run = env.run(&["list"]);
    assert!(
        run.stderr.contains("no tokens in sqlite:"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("tokenstore save"), "{}", run.stderr);
    // Piped, the table itself is empty; the notice is on stderr.
    assert_eq!(run.ok(), "");
}

/// `list` on a terminal `cols` wide, through a real pseudo-terminal.
fn list_on_terminal(env: &TestEnv, store: &str, cols: usize, extra: &str) -> String {
    let command = format!(
        "stty cols {cols} rows 50; {} --store {store} list {extra}",
        assert_cmd::cargo::cargo_bin("tokenstore").display()
    );
    let out = std::process::Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .current_dir(env.dir.path())
        .env("TERM", "dumb")
        .env("NO_COLOR", "1")
        .output()
        .expect("script(1) from util-linux");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n")
}

fn many_long_tokens(env: &TestEnv) -> String {
    let store = format!("file:{}", env.path("t.csv").display());
    let input: String = (1..=5)
        .map(|n| {
            serde_json::json!({
                "user_name": format!("a.rather.long.user.name.number.{n}@example-company.example.com"),
                "client_id": "1000.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123",
                "client_secret": "cs-0123456789abcdefghij",
                "refresh_token": format!("1000.rt.{n}.0123456789abcdefghijklmnopqrstuvwxyz"),
                "access_token": "1000.at.0123456789abcdefghij",
                "expiry_time": "1000",
                "redirect_url": "https://app.example.com/oauth/callback?x=1",
                "api_domain": "https://www.zohoapis.com.au",
            })
            .to_string()
                + "\n"
        })
        .collect();
    env.run_with_stdin(&["--store", &store, "save", "--input", "-"], &input)
        .ok();
    store
}

#[test]
fn the_table_fits_the_terminal_one_line_per_token() {
    let env = TestEnv::new();
    let store = many_long_tokens(&env);
    for cols in [80, 200] {
        let screen = list_on_terminal(&env, &store, cols, "");
        let lines: Vec<&str> = screen.lines().filter(|l| !l.is_empty()).collect();
        // A header, its rule, one line per token.
        assert_eq!(lines.len(), 2 + 5, "{cols}: {screen}");
        for line in &lines {
            assert!(line.chars().count() <= cols, "{cols}: {line:?}");
        }
        assert!(
            lines[0].starts_with("ID")
                && lines[0].contains("USER")
                && lines[0].contains("API DOMAIN")
        );
        // Secrets only with -o wide or --reveal.
        assert!(!screen.contains("REFRESH TOKEN"), "{screen}");
        assert!(
            screen.contains(" ago") && screen.contains("refreshable"),
            "{screen}"
        );
    }
    let narrow = list_on_terminal(&env, &store, 80, "");
    assert!(
        narrow.contains('…'),
        "long values are cut in the middle: {narrow}"
    );
    let wide = list_on_terminal(&env, &store, 200, "-o wide");
    assert!(
        wide.contains("REFRESH TOKEN") && wide.contains("REDIRECT URL"),
        "{wide}"
    );
    assert!(
        wide.contains("1000…wxyz"),
        "secrets stay masked in wide: {wide}"
    );
}

#[test]
fn a_piped_table_is_tab_separated_and_whole() {
    let env = TestEnv::new();
    let store = many_long_tokens(&env);
    let out = env.run(&["--store", &store, "list"]).ok();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0], "ID\tUSER\tCLIENT ID\tEXPIRES\tSTATE\tAPI DOMAIN");
    assert!(
        lines[1].starts_with("1\ta.rather.long.user.name.number.1@example-company.example.com\t")
    );
    assert!(!out.contains('…') && !out.contains('─'));
    let bare = env.run(&["--store", &store, "list", "--no-headers"]).ok();
    assert_eq!(bare.lines().count(), 5);
}

#[test]
fn one_token_is_shown_as_key_value_lines() {
    let env = TestEnv::new();
    let store = many_long_tokens(&env);
    let out = env
        .run(&["--store", &store, "find-by-id", "2", "--reveal"])
        .ok();
    assert!(
        out.contains(
            "user_name:     a.rather.long.user.name.number.2@example-company.example.com\n"
        ),
        "{out}"
    );
    assert!(
        out.contains("refresh_token: 1000.rt.2.0123456789abcdefghijklmnopqrstuvwxyz\n"),
        "{out}"
    );
    assert!(out.contains("state:         refreshable\n"), "{out}");
    let masked = env.run(&["--store", &store, "find-by-id", "2"]).ok();
    assert!(masked.contains("refresh_token: 1000…wxyz\n"), "{masked}");
}

#[test]
fn ids_and_revealed_secrets_are_never_cut_and_empty_pipes_are_empty() {
    let env = TestEnv::new();
    let path = env.fixture("python-sdk2-filestore.csv");
    let store = format!("file:{}", path.display());
    let screen = list_on_terminal(&env, &store, 80, "");
    assert!(
        screen.contains("manual_accessonly") && screen.contains("manual_grantonly"),
        "{screen}"
    );
    assert!(screen.contains("python_alice_us_prd_0001"), "{screen}");
    let revealed = list_on_terminal(&env, &store, 80, "--reveal");
    assert!(
        revealed.contains("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678ab"),
        "{revealed}"
    );
    // Piped, an empty table is empty (a script reading ids gets none).
    let empty = format!("file:{}", env.path("empty.csv").display());
    std::fs::write(
        env.path("empty.csv"),
        "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n",
    )
    .unwrap();
    let out = env.run(&["--store", &empty, "list", "--no-headers"]).ok();
    assert_eq!(out, "");
    // On a terminal, an empty table says so, with no header over nothing.
    let screen = list_on_terminal(&env, &empty, 80, "");
    assert!(screen.contains("(no tokens)"), "{screen}");
    assert!(
        !screen.contains("USER") && !screen.contains('─'),
        "{screen}"
    );
}

/// Only reads may find the default store not there yet; a migrate, purge
/// or delete of it is an error, as for any named store.
#[test]
fn only_reads_of_the_default_store_may_find_nothing() {
    let env = TestEnv::new();
    env.run(&["list"]).ok();
    for args in [
        vec!["delete", "1"],
        vec!["purge", "--yes"],
        vec!["migrate", "--to", "memory:"],
    ] {
        let err = env.run(&args).fails(1);
        assert!(err.contains("no store at sqlite:"), "{args:?}: {err}");
    }
    // A dangling name is never suggested as itself.
    std::os::unix::fs::symlink("nowhere.csv", env.path("link.csv")).unwrap();
    let err = env
        .run(&["--store", "file:link.csv", "delete", "1"])
        .fails(1);
    assert!(!err.contains("did you mean file:link.csv"), "{err}");
}

#[test]
fn version_names_the_backends_and_quiet_silences_notices() {
    let env = TestEnv::new();
    let version = env.run(&["--version"]).ok();
    assert!(
        version.starts_with("tokenstore ") && version.contains("backends: memory, file, sqlite"),
        "{version}"
    );
    let json: Value = serde_json::from_str(&env.run(&["version", "--json"]).ok()).unwrap();
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    let backends = json["backends"].as_array().unwrap();
    assert!(backends.iter().any(|b| b == "sqlite"));
    assert_eq!(
        backends.iter().any(|b| b == "mysql"),
        cfg!(feature = "mysql")
    );
    assert_eq!(
        backends.iter().any(|b| b == "postgres"),
        cfg!(feature = "postgres")
    );
    let store = format!("file:{}", env.path("t.csv").display());
    let run = env.run(&[
        "--store",
        &store,
        "-q",
        "save",
        "--user",
        "u",
        "--access-token",
        "a",
    ]);
    assert_eq!(run.stderr, "");
    run.ok();
}

#[test]
fn list_limits_sorts_and_purge_says_which_it_deleted() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    for (user, expiry) in [("carol", "3000"), ("alice", "1000"), ("bob", "2000")] {
        env.run(&[
            "--store",
            &store,
            "save",
            "--user",
            user,
            "--access-token",
            "a",
            "--expiry-time",
            expiry,
        ])
        .ok();
    }
    let users = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["--store", store.as_str(), "list", "-o", "json"];
        all.extend(args);
        let out: Value = serde_json::from_str(&env.run(&all).ok()).unwrap();
        out.as_array()
            .unwrap()
            .iter()
            .map(|t| t["user_name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(users(&[]), ["carol", "alice", "bob"]);
    assert_eq!(users(&["--limit", "2"]), ["carol", "alice"]);
    assert_eq!(users(&["--sort", "user"]), ["alice", "bob", "carol"]);
    assert_eq!(users(&["--sort", "expiry", "--limit", "1"]), ["alice"]);
    // A file in another order than its ids: `stored` is the file's order.
    let path = env.path("t.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(1, 3);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    assert_eq!(users(&[]), ["carol", "alice", "bob"]);
    assert_eq!(users(&["--sort", "stored"]), ["bob", "alice", "carol"]);
    assert_eq!(users(&["--sort", "stored", "--limit", "1"]), ["bob"]);
    let out = env.run(&["--store", &store, "purge", "--yes", "-v"]).ok();
    assert_eq!(
        out,
        format!(
            "deleted token 1\ndeleted token 2\ndeleted token 3\ndeleted 3 tokens from {store}\n"
        )
    );
}

/// Server errors in plain words, never Rust debug text.
#[cfg(feature = "mysql")]
#[test]
fn mysql_connection_errors_are_plain_words() {
    let env = TestEnv::new();
    let err = env
        .run(&["--store", "mysql://u:pw@127.0.0.1:1/db", "list"])
        .fails(1);
    assert!(err.contains("does not answer there"), "{err}");
    assert!(
        !err.contains("Error {") && !err.contains("DriverError"),
        "{err}"
    );
}

/// Waiting for a locked SQLite store is not a silent hang on a terminal.
#[test]
fn a_locked_sqlite_store_says_it_waits() {
    let env = TestEnv::new();
    let db = env.path("t.db");
    let store = format!("sqlite:{}", db.display());
    env.save_user(&store, "a", "x");
    let holder = rusqlite::Connection::open(&db).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(1500));
        holder.execute_batch("COMMIT").unwrap();
    });
    let (code, screen) = common::on_terminal(
        &env,
        &format!("--store {store} save --user-name b --access-token y"),
        "",
    );
    release.join().unwrap();
    assert_eq!(code, Some(0), "{screen}");
    assert!(
        screen.contains("locked by another process; waiting"),
        "{screen}"
    );
    assert!(screen.contains("created token 2"), "{screen}");
}

#[test]
fn fields_select_what_scripts_need() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    env.run(&[
        "--store",
        &store,
        "save",
        "--user",
        "alice",
        "--refresh-token",
        "1000.rt.secret-value-0001",
        "--expiry-time",
        "1000",
    ])
    .ok();
    let json: Value = serde_json::from_str(
        &env.run(&[
            "--store",
            &store,
            "list",
            "-o",
            "json",
            "--fields",
            "id,user_name,state",
        ])
        .ok(),
    )
    .unwrap();
    assert_eq!(
        json,
        serde_json::json!([{"id": "1", "user_name": "alice", "state": "refreshable"}])
    );
    let csv = env
        .run(&[
            "--store",
            &store,
            "list",
            "-o",
            "csv",
            "--fields",
            "user_name,refresh_token,expired",
        ])
        .ok();
    assert_eq!(
        csv,
        "user_name,refresh_token,expired\nalice,1000…0001,true\n"
    );
    let tsv = env
        .run(&["--store", &store, "list", "--fields", "id,state"])
        .ok();
    assert_eq!(tsv, "ID\tSTATE\n1\trefreshable\n");
    let run = env.run(&["--store", &store, "list", "--fields", "id,nope"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("no field `nope`"), "{}", run.stderr);
}

/// `migrate` on a terminal `cols` wide: what the terminal showed.
fn migrate_on_terminal(env: &TestEnv, cols: usize, args: &str) -> String {
    let command = format!(
        "stty cols {cols} rows 50; {} migrate {args}",
        assert_cmd::cargo::cargo_bin("tokenstore").display()
    );
    let out = std::process::Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .current_dir(env.dir.path())
        .env("TERM", "xterm")
        .output()
        .expect("script(1) from util-linux");
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{screen}");
    screen
}

#[test]
fn migrate_shows_a_bar_with_total_percent_rate_and_time_left() {
    let env = TestEnv::new();
    let mut csv = String::from(
        "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,\
         expiry_time,redirect_uri,api_domain\n",
    );
    for n in 1..=60_000 {
        csv +=
            &format!("{n},u{n}@example.com,1000.C,cs,1000.rt.{n},1000.at.{n},,1767225600000,,\n");
    }
    std::fs::write(env.path("big.csv"), csv).unwrap();
    let screen = migrate_on_terminal(&env, 80, "--from file:big.csv --to sqlite:big.db");
    // Each redraw, without its escape sequences.
    let frames: Vec<String> = screen
        .split(['\r', '\n'])
        .map(|f| {
            let mut plain = String::new();
            let mut chars = f.chars();
            while let Some(c) = chars.next() {
                if c == '\u{1b}' {
                    // CSI: up to and including the final letter.
                    for c in chars.by_ref() {
                        if c.is_ascii_alphabetic() {
                            break;
                        }
                    }
                } else {
                    plain.push(c);
                }
            }
            plain.trim_end().to_string()
        })
        .filter(|f| !f.is_empty())
        .collect();
    let bars: Vec<&String> = frames.iter().filter(|f| f.contains("/60,000")).collect();
    assert!(!bars.is_empty(), "{frames:#?}");
    for bar in &bars {
        assert!(
            bar.chars().count() <= 80,
            "wider than the terminal: {bar:?}"
        );
        assert!(
            bar.contains('%') && bar.contains("/s") && bar.contains("ETA"),
            "{bar:?}"
        );
        // The rate is a whole number.
        let rate = bar.split_whitespace().find(|w| w.ends_with("/s")).unwrap();
        assert!(!rate.contains('.'), "{bar:?}");
    }
    assert!(
        bars.iter().any(|b| ["reading", "writing", "verifying"]
            .iter()
            .any(|p| b.contains(p))),
        "no phase named: {bars:#?}"
    );
    let summary = frames.last().unwrap();
    assert!(summary.contains("copied 60,000 tokens"), "{summary}");
}

#[test]
fn list_of_a_file_out_of_id_order_comes_out_in_id_order_over_several_passes() {
    let env = TestEnv::new();
    let mut csv = String::from(
        "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,\
         expiry_time,redirect_uri,api_domain\n",
    );
    // More rows than one pass of the ordered listing holds, in an order
    // that is not id order: descending, with a string id and a 20-digit one.
    let n = 70_000;
    for id in (1..=n).rev() {
        csv += &format!("{id},u{id},c,,r{id},,,,,\n");
    }
    csv += "abc,ua,c,,ra,,,,,\n12345678901234567890,ub,c,,rb,,,,,\n";
    std::fs::write(env.path("t.csv"), csv).unwrap();
    let out = env
        .run(&[
            "--store",
            "file:t.csv",
            "list",
            "-o",
            "csv",
            "--fields",
            "id",
        ])
        .ok();
    let ids: Vec<&str> = out.lines().skip(1).collect();
    let mut want: Vec<String> = (1..=n).map(|id| id.to_string()).collect();
    want.push("12345678901234567890".into());
    want.push("abc".into());
    assert_eq!(ids.len(), want.len());
    assert!(
        ids.iter().zip(&want).all(|(a, b)| a == b),
        "{:?}",
        &ids[..5]
    );
}

/// An SDK table without tokenstore's lookup indexes, holding one token.
const SDK_DDL: &str = "CREATE TABLE oauthtoken (id varchar(10) NOT NULL, \
    user_name varchar(255), client_id varchar(255), client_secret varchar(255), \
    refresh_token varchar(255), access_token varchar(255), grant_token varchar(255), \
    expiry_time varchar(20), redirect_url varchar(255), api_domain varchar(255), \
    primary key (id))";

/// `info` names the indexes an existing table lacks; `index` builds them
/// (an index the application made itself counts), once.
fn index_builds_what_info_says_is_missing(env: &TestEnv, store: &str) {
    let info = env.run(&["--store", store, "info"]).ok();
    assert!(
        info.contains(
            "no index for finding and saving by refresh_token, access_token, grant_token"
        ),
        "{info}"
    );
    assert!(info.contains("`tokenstore index` builds"), "{info}");
    let plan = env.run(&["--store", store, "index", "--dry-run"]).ok();
    assert!(
        plan.contains("would build oauthtoken_refresh_token_idx on refresh_token"),
        "{plan}"
    );
    assert!(
        !plan.contains("user_name"),
        "the application's own index counts: {plan}"
    );
    let info_again = env.run(&["--store", store, "info"]).ok();
    assert_eq!(info_again, info, "a dry run builds nothing");
    let built = env.run(&["--store", store, "index"]).ok();
    assert!(
        built.contains("built oauthtoken_refresh_token_idx on refresh_token in"),
        "{built}"
    );
    let info = env.run(&["--store", store, "info"]).ok();
    assert!(!info.contains("no index"), "{info}");
    let run = env.run(&["--store", store, "index"]);
    assert!(
        run.stderr.contains("has every lookup index"),
        "{}",
        run.stderr
    );
    assert_eq!(run.ok(), "");
    // The token is still there, and found.
    let found = env
        .run(&["--store", store, "find", "--user-name", "u1", "-o", "json"])
        .ok();
    assert!(found.contains("\"user_name\": \"u1\""), "{found}");
}

#[test]
fn index_builds_the_lookup_indexes_of_an_existing_sqlite_table() {
    let env = TestEnv::new();
    let path = env.path("sdk.db");
    let db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch(&format!(
        "{SDK_DDL}; CREATE INDEX app_user ON oauthtoken (user_name); \
         INSERT INTO oauthtoken (id, user_name, refresh_token) VALUES ('1', 'u1', 'r1');"
    ))
    .unwrap();
    drop(db);
    index_builds_what_info_says_is_missing(&env, &format!("sqlite:{}", path.display()));
    // A file store has no indexes: a usage error.
    std::fs::write(env.path("t.csv"), "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n").unwrap();
    let err = env.run(&["--store", "file:t.csv", "index"]).fails(2);
    assert!(err.contains("only SQL stores"), "{err}");
}

#[cfg(feature = "mysql")]
#[test]
fn index_builds_the_lookup_indexes_of_an_existing_mysql_table_online() {
    use mysql::prelude::Queryable;
    let Some(base) = common::mysql_base_uri() else {
        return;
    };
    let table = common::unique_table("idx");
    let mut conn = common::mysql_conn(&base);
    conn.query_drop(SDK_DDL.replace("oauthtoken", &table))
        .unwrap();
    conn.query_drop(format!("CREATE INDEX app_user ON {table} (user_name)"))
        .unwrap();
    conn.query_drop(format!(
        "INSERT INTO {table} (id, user_name, refresh_token) VALUES ('1', 'u1', 'r1')"
    ))
    .unwrap();
    let env = TestEnv::new();
    let store = common::with_option(&base, &format!("table={table}"));
    let info = env.run(&["--store", &store, "info"]).ok();
    assert!(
        info.contains("no index for finding and saving by refresh_token"),
        "{info}"
    );
    let built = env.run(&["--store", &store, "index"]).ok();
    assert!(
        built.contains(&format!("built {table}_refresh_token_idx on refresh_token")),
        "{built}"
    );
    let info = env.run(&["--store", &store, "info"]).ok();
    assert!(!info.contains("no index"), "{info}");
}

#[cfg(feature = "postgres")]
#[test]
fn index_builds_the_lookup_indexes_of_an_existing_postgres_table_concurrently() {
    let Some(base) = common::pg_base_uri() else {
        return;
    };
    let table = common::unique_table("idx");
    let mut conn = common::pg_conn(&base);
    conn.batch_execute(&format!(
        "{}; CREATE INDEX {table}_app_user ON {table} (user_name); \
         INSERT INTO {table} (id, user_name, refresh_token) VALUES ('1', 'u1', 'r1')",
        SDK_DDL.replace("oauthtoken", &table)
    ))
    .unwrap();
    let env = TestEnv::new();
    let store = common::with_option(&base, &format!("table={table}"));
    let info = env.run(&["--store", &store, "info"]).ok();
    assert!(
        info.contains(
            "no index for finding and saving by refresh_token, access_token, grant_token; \
             numbering new tokens and listing in id order"
        ),
        "{info}"
    );
    let built = env.run(&["--store", &store, "index"]).ok();
    assert!(
        built.contains(&format!("built {table}_refresh_token_idx on refresh_token"))
            && built.contains(&format!("built {table}_id_number_idx on id as a number")),
        "{built}"
    );
    let info = env.run(&["--store", &store, "info"]).ok();
    assert!(!info.contains("no index"), "{info}");
    let found = env
        .run(&["--store", &store, "find", "--user-name", "u1", "-o", "json"])
        .ok();
    assert!(found.contains("\"user_name\": \"u1\""), "{found}");
}

/// A reader that stops early (`tokenstore list | head -1`) ends the listing
/// quietly and successfully, in every format.
#[test]
fn a_reader_that_stops_early_is_not_an_error_in_any_format() {
    use std::io::{BufRead, BufReader};
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    // Far more output than a pipe holds, so the listing is still writing.
    let input: String = (0..20_000)
        .map(|n| {
            format!("{{\"user_name\":\"user{n}@example.com\",\"access_token\":\"{n:0>200}\"}}\n")
        })
        .collect();
    env.run_with_stdin(&["-q", "--store", &store, "save", "--input", "-"], &input)
        .ok();
    for format in ["table", "wide", "json", "jsonl", "csv"] {
        let mut child = env
            .std_cmd()
            .args(["--store", &store, "list", "--reveal", "-o", format])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(!first.is_empty(), "{format}: no first line");
        // The read end is closed here, with most of the listing unwritten.
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{format}: {stderr}");
        assert_eq!(stderr, "", "{format}");
    }
}

/// `save --input … | head -1`: the printed tokens are a report, so a
/// reader that stops early neither stops nor undoes the save.
#[test]
fn a_save_whose_reader_stops_early_still_saves_everything() {
    use std::io::{BufRead, BufReader};
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    // More than one chunk, so the save streams while it prints.
    let input: String = (0..12_000)
        .map(|n| {
            format!("{{\"user_name\":\"user{n}@example.com\",\"access_token\":\"{n:0>100}\"}}\n")
        })
        .collect();
    std::fs::write(env.path("in.jsonl"), input).unwrap();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokenstore"))
        .env_clear()
        .current_dir(env.dir.path())
        .args([
            "--store", &store, "save", "--input", "in.jsonl", "-o", "jsonl",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("saved 12,000 tokens"), "{stderr}");
    let listed = env.run(&["--store", &store, "list", "-o", "jsonl"]).ok();
    assert_eq!(listed.lines().count(), 12_000);
}

/// Output that cannot be written (a full disk, a reader that has gone)
/// never stops a command halfway, never changes its exit code but to say
/// a full disk (1), and never blames the store.
#[test]
fn output_that_cannot_be_written_never_stops_a_command_or_hides_its_outcome() {
    use common::BadStdout::{Closed, Full};
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    let run = |stdout, args: &[&str], stdin: &str| {
        let mut cmd = env.std_cmd();
        cmd.args(["--store", store.as_str()]).args(args);
        common::run_to(cmd, stdout, stdin)
    };
    let full_disk = "error: cannot write to standard output: No space left on device";
    let input = "{\"user_name\":\"a\",\"access_token\":\"x\"}\n{\"user_name\":\"b\",\"access_token\":\"y\"}\n";
    let out = run(Full, &["save", "--input", "-"], input);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains(&format!("saved 2 tokens in {store}")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(full_disk), "{}", out.stderr);
    assert!(out.stderr.contains("ran to its end"), "{}", out.stderr);
    let out = run(Full, &["save", "--user", "c", "--access-token", "z"], "");
    assert_eq!(out.code, Some(1));
    assert!(out.stderr.contains("created token 3"), "{}", out.stderr);
    for args in [vec!["list"], vec!["purge", "--dry-run", "-o", "jsonl"]] {
        let out = run(Full, &args, "");
        assert_eq!(out.code, Some(1), "{args:?}");
        assert!(out.stderr.contains(full_disk), "{args:?}: {}", out.stderr);
        assert!(
            !out.stderr.contains("cannot read"),
            "{args:?}: {}",
            out.stderr
        );
    }
    // A closed pipe keeps the exit code the command chose.
    let out = run(Closed, &["delete", "--strict", "1", "99"], "");
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    assert!(out.stderr.contains("no token with id 99"), "{}", out.stderr);
    let out = run(Full, &["delete", "2"], "");
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let listed = env.run(&["--store", &store, "list", "-o", "jsonl"]).ok();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.contains("\"id\":\"3\""), "{listed}");
    // A dry run whose real run would fail says so through a closed pipe.
    let other = format!("file:{}", env.path("other.csv").display());
    env.run(&[
        "--store",
        &other,
        "save",
        "--id",
        "3",
        "--user",
        "d",
        "--access-token",
        "w",
    ])
    .ok();
    let out = run(Closed, &["migrate", "--to", &other, "--dry-run"], "");
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("the real run would fail"),
        "{}",
        out.stderr
    );
    let out = run(Full, &["purge", "--yes"], "");
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert_eq!(
        env.run(&["--store", &store, "list", "-o", "jsonl"]).ok(),
        ""
    );
}
