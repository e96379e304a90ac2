//! End to end: the real binary, in temp dirs, on every backend.

mod common;

use tokenstore::store::TokenStoreExt;

use std::os::unix::fs::PermissionsExt;

use common::{expected, Run, TestEnv};
use serde_json::Value;

const SECRETS: [&str; 4] = [
    "cs-SECRET-0123456789",
    "rt-SECRET-0123456789",
    "at-SECRET-0123456789",
    "gt-SECRET-0123456789",
];

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// `list --json` of a store, parsed.
fn list_json(env: &TestEnv, store: &str) -> Value {
    json(&env.run(&["--store", store, "list", "--json"]).ok())
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// The store URIs of the persistent backends in this env.
fn store_uris(env: &TestEnv) -> Vec<String> {
    let mut uris = vec![
        format!("file:{}", env.path("tokens.csv").display()),
        format!("sqlite:{}", env.path("tokens.db").display()),
    ];
    uris.extend(common::server_uris("cli"));
    uris
}

fn save_alice(env: &TestEnv, store: &str) -> Run {
    env.run_with_stdin(
        &[
            "--store",
            store,
            "save",
            "--user-name",
            "alice@example.com",
            "--client-id",
            "1000.CLIENT",
            "--client-secret",
            "-",
            "--refresh-token",
            "-",
            "--access-token",
            "-",
            "--expires-in",
            "3600",
            "--api-domain",
            "https://www.zohoapis.com",
            "--json",
        ],
        &format!("{}\n{}\n{}\n", SECRETS[0], SECRETS[1], SECRETS[2]),
    )
}

#[test]
fn every_subcommand_on_every_backend() {
    let env = TestEnv::new();
    for store in store_uris(&env) {
        let out = save_alice(&env, &store);
        assert_eq!(out.code, Some(0), "{store}: {}", out.stderr);
        let saved = json(&out.stdout);
        assert_eq!(saved["id"], "1", "{store}");
        assert_eq!(saved["expired"], false);
        // Secrets read from stdin were stored; output masks them.
        assert_eq!(saved["refresh_token"], "rt-S…6789");

        let out = env.run(&[
            "--store",
            &store,
            "save",
            "--user-name",
            "bob@example.com",
            "--access-token",
            "at-bob",
            "--expiry-time",
            "1000",
            "--json",
        ]);
        assert_eq!(json(&out.stdout)["id"], "2", "{store}: {}", out.stderr);

        let out = env.run(&[
            "--store",
            &store,
            "find",
            "--user-name",
            "alice@example.com",
            "--json",
            "--reveal",
        ]);
        let found = json(&out.stdout);
        assert_eq!(found["refresh_token"], SECRETS[1], "{store}");
        assert_eq!(found["client_secret"], SECRETS[0]);

        let out = env.run(&[
            "--store",
            &store,
            "find",
            "--refresh-token",
            SECRETS[1],
            "--client-id",
            "1000.CLIENT",
            "--client-secret",
            SECRETS[0],
            "--format",
            "jsonl",
        ]);
        assert_eq!(json(&out.stdout)["id"], "1", "{store}");

        let out = env.run(&["--store", &store, "find-by-id", "2", "--json"]);
        assert_eq!(json(&out.stdout)["user_name"], "bob@example.com", "{store}");
        assert_eq!(json(&out.stdout)["expired"], true);

        let list = list_json(&env, &store);
        assert_eq!(list.as_array().unwrap().len(), 2, "{store}");
        let out = env.run(&["--store", &store, "list", "--expired", "--format", "jsonl"]);
        let ids: Vec<Value> = out
            .stdout
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].clone())
            .collect();
        assert_eq!(ids, ["2"], "{store}");
        let out = env.run(&[
            "--store",
            &store,
            "list",
            "--valid",
            "--user",
            "alice@example.com",
            "--json",
        ]);
        assert_eq!(json(&out.stdout).as_array().unwrap().len(), 1, "{store}");

        let table = env.run(&["--store", &store, "list"]).stdout;
        assert!(
            table.contains("alice@example.com") && table.contains(" ago\tdead"),
            "{table}"
        );
        assert!(
            table.contains("in 59m") || table.contains("in 1h"),
            "{table}"
        );

        let out = env.run(&["--store", &store, "delete", "2", "7"]);
        assert_eq!(out.code, Some(0));
        assert_eq!(out.stdout, "deleted token 2\n");
        assert!(out.stderr.contains("no token with id 7"), "{}", out.stderr);

        assert_eq!(
            env.run(&["--store", &store, "purge"]).code,
            Some(2),
            "{store}: purge without --yes off a terminal"
        );
        let out = env.run(&["--store", &store, "purge", "--yes"]).ok();
        assert!(out.contains("deleted 1 tokens"), "{out}");
        assert_eq!(list_json(&env, &store), serde_json::json!([]));
    }
}

#[test]
fn nothing_found_exits_3() {
    let env = TestEnv::new();
    let store = format!("sqlite:{}", env.path("t.db").display());
    let _ = save_alice(&env, &store);
    let out = env.run(&["--store", &store, "find", "--user-name", "ghost"]);
    assert_eq!(out.code, Some(3));
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("no matching token"));
    assert_eq!(
        env.run(&["--store", &store, "find-by-id", "99"]).code,
        Some(3)
    );
    assert_eq!(
        env.run(&["--store", &store, "delete", "99", "--strict"])
            .code,
        Some(3)
    );
    assert_eq!(
        env.run(&["--store", &store, "delete", "--user", "ghost", "--strict"])
            .code,
        Some(3)
    );
    // An injection payload is an id like any other: nothing matches it.
    assert_eq!(
        env.run(&["--store", &store, "delete", "0 OR 1=1", "--strict"])
            .code,
        Some(3)
    );
    let out = env.run(&["--store", &store, "delete", "--user", "alice@example.com"]);
    assert_eq!(out.stdout, "deleted token 1\n");
}

#[test]
fn usage_errors_exit_2() {
    let env = TestEnv::new();
    for args in [
        vec!["frobnicate"],
        vec!["list", "--expired", "--valid"],
        vec!["find"],
        vec!["find", "--refresh-token", "r"],
        vec!["save", "--user-name", "u"],
        vec![
            "save",
            "--expiry-time",
            "1",
            "--expires-in",
            "5",
            "--access-token",
            "a",
        ],
    ] {
        let out = env.run(&[vec!["--store", "memory:"], args.clone()].concat());
        assert_eq!(out.code, Some(2), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.is_empty());
    }
    assert!(env.run(&["--version"]).ok().starts_with("tokenstore "));
}

#[test]
fn bad_uris_get_one_clear_line() {
    let env = TestEnv::new();
    for uri in [
        "tokens.csv",
        "postgres://u:hunter2@h/db?sslmode=never",
        "sqlite:x.db?table=x;drop table y",
        "mysql://u:hunter2@h:notaport/db",
    ] {
        let out = env.run(&["--store", uri, "list"]);
        // A malformed URI is a usage error.
        assert_eq!(out.code, Some(2), "{uri}");
        let err = out.stderr;
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("expected memory:, file:PATH"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}

#[test]
fn malformed_csv_is_reported_by_line_and_left_alone() {
    let env = TestEnv::new();
    let path = env.path("bad.csv");
    let text = "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n1,a,,,r,,,,,\n2,b,c\n";
    std::fs::write(&path, text).unwrap();
    let store = format!("file:{}", path.display());
    for args in [
        vec!["list"],
        vec!["save", "--user-name", "x", "--access-token", "y"],
        vec!["purge", "--yes"],
    ] {
        let out = env.run(&[vec!["--store", &store], args.clone()].concat());
        assert_eq!(out.code, Some(1), "{args:?}");
        let err = out.stderr;
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}

#[test]
fn secrets_never_show_without_reveal() {
    let env = TestEnv::new();
    let mut stores = vec![
        format!("file:{}", env.path("s.csv").display()),
        format!("sqlite:{}", env.path("s.db").display()),
    ];
    stores.extend(common::server_uris("secrets"));
    for store in stores {
        secrets_never_show_in(&env, &store);
    }
}

/// Every command, and the error paths a user can provoke, print no secret
/// of a store without --reveal.
fn secrets_never_show_in(env: &TestEnv, store: &str) {
    let store = store.to_string();
    let out = env.run(&[
        "--store",
        &store,
        "save",
        "--user-name",
        "u",
        "--client-id",
        "c",
        "--client-secret",
        SECRETS[0],
        "--refresh-token",
        SECRETS[1],
        "--access-token",
        SECRETS[2],
        "--grant-token",
        SECRETS[3],
    ]);
    let mut seen = out.stdout + &out.stderr;
    let revealed = env
        .run(&["--store", &store, "list", "--format", "csv", "--reveal"])
        .stdout;
    assert!(
        SECRETS.iter().all(|s| revealed.contains(s)),
        "--reveal shows all"
    );
    let runs: Vec<Vec<&str>> = vec![
        vec!["list"],
        vec!["list", "--json"],
        vec!["list", "--format", "jsonl"],
        vec!["list", "--format", "csv"],
        vec!["find", "--user-name", "u"],
        vec!["find-by-id", "1", "--json"],
        vec!["purge", "--dry-run"],
        vec!["info"],
        vec!["save", "--user-name", "x"],
        vec!["migrate", "--to", "memory:"],
    ];
    for args in runs {
        let out = env.run(&[vec!["--store", &store], args].concat());
        seen += &(out.stdout + &out.stderr);
    }
    // Saving from JSON, in every format, and deleting print no secret either.
    let input = format!(
        "{{\"user_name\":\"w\",\"client_id\":\"c\",\"client_secret\":\"{}\",\"refresh_token\":\"{}\",\"access_token\":\"{}\",\"grant_token\":\"{}\"}}",
        SECRETS[0], SECRETS[1], SECRETS[2], SECRETS[3]
    );
    for format in ["table", "json", "jsonl", "csv"] {
        let out = env.run_with_stdin(
            &[
                "--store", &store, "save", "--input", "-", "--format", format,
            ],
            &input,
        );
        assert_eq!(out.code, Some(0), "{}", out.stderr);
        seen += &(out.stdout + &out.stderr);
    }
    // Error paths: a conflicting save --input, a value the store refuses,
    // a migrate refused by its target.
    let conflicting = input.replace(
        "\"user_name\":\"w\"",
        "\"id\":\"1\",\"user_name\":\"other\"",
    );
    let too_long = input.replace(SECRETS[1], &format!("{}{}", SECRETS[1], "x".repeat(300)));
    let node = format!("file:{}?flavor=node", env.path("node.csv").display());
    for (args, stdin) in [
        (
            vec!["--store", &store, "save", "--input", "-"],
            conflicting.as_str(),
        ),
        (
            vec!["--store", &store, "save", "--input", "-"],
            too_long.as_str(),
        ),
        (
            vec!["--store", &node, "save", "--input", "-"],
            &input.replace("\"w\"", "\"w,x\""),
        ),
        (
            vec![
                "migrate",
                "--from",
                &store,
                "--to",
                "sqlite::memory:?table=x-y",
            ],
            "",
        ),
    ] {
        let out = env.run_with_stdin(&args, stdin);
        seen += &(out.stdout + &out.stderr);
    }
    // A broken file holding the secrets: every command's error about it.
    let broken = env.path("broken.csv");
    std::fs::write(
        &broken,
        format!(
            "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n\
             1,u,c,{},{},{},{},,,\n2,\"unclosed,{}\n",
            SECRETS[0], SECRETS[1], SECRETS[2], SECRETS[3], SECRETS[1]
        ),
    )
    .unwrap();
    let broken = format!("file:{}", broken.display());
    for args in [
        vec!["--store", broken.as_str(), "list"],
        vec!["--store", broken.as_str(), "info"],
        vec!["--store", broken.as_str(), "delete", "1"],
        vec![
            "--store",
            broken.as_str(),
            "save",
            "--user-name",
            "z",
            "--access-token",
            "a",
        ],
        vec!["migrate", "--from", broken.as_str(), "--to", "memory:"],
    ] {
        let out = env.run(&args);
        assert_ne!(out.code, Some(0), "{args:?}");
        seen += &(out.stdout + &out.stderr);
    }
    for args in [
        vec!["delete", "2", "99"],
        vec!["delete", "--user", "u"],
        vec!["purge", "--yes"],
    ] {
        let out = env.run(&[vec!["--store", &store], args].concat());
        seen += &(out.stdout + &out.stderr);
    }
    for secret in SECRETS {
        assert!(!seen.contains(secret), "{store}: {secret} leaked:\n{seen}");
        assert!(
            !seen.contains(&secret[..12]),
            "{store}: part of {secret} leaked"
        );
    }
}

#[test]
fn new_stores_are_private() {
    let env = TestEnv::new();
    // The default store: <data dir>/tokenstore/tokens.db, 0600 in a 0700 folder.
    env.run(&["save", "--user-name", "u", "--access-token", "a"])
        .ok();
    let db = env.path("data/tokenstore/tokens.db");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(db.parent().unwrap()), 0o700);
    let out = env.run(&["list", "--json"]);
    assert_eq!(json(&out.stdout)[0]["user_name"], "u");

    let csv = env.path("new/tokens.csv");
    let store = format!("file:{}", csv.display());
    env.save_user(&store, "u", "a");
    assert_eq!(mode(&csv), 0o600);
    // An existing file keeps its mode.
    std::fs::set_permissions(&csv, std::fs::Permissions::from_mode(0o640)).unwrap();
    env.save_user(&store, "v", "b");
    assert_eq!(mode(&csv), 0o640);
}

#[test]
fn reading_a_missing_store_creates_nothing() {
    let env = TestEnv::new();
    // A named store that is not there is an error (never an empty list
    // that hides a typo), and nothing is created.
    for store in ["file:missing.csv", "sqlite:missing.db"] {
        for args in [
            vec!["--store", store, "list"],
            vec!["--store", store, "find-by-id", "1"],
            vec!["--store", store, "delete", "1"],
            vec!["--store", store, "purge", "--yes"],
            vec!["migrate", "--from", store, "--to", "memory:"],
        ] {
            let err = env.run(&args).fails(1);
            assert!(
                err.contains(&format!("no store at {store} (nothing was changed)")),
                "{err}"
            );
        }
    }
    assert_eq!(std::fs::read_dir(env.dir.path()).unwrap().count(), 0);
    // A near name in the folder is suggested.
    env.save_user("file:zoho_tokens.csv", "u", "a");
    let err = env
        .run(&["--store", "file:zoho_token.csv", "delete", "1"])
        .fails(1);
    assert!(err.contains("did you mean file:zoho_tokens.csv?"), "{err}");
    // info still describes a store that is not there.
    assert!(env
        .run(&["--store", "file:other.csv", "info"])
        .ok()
        .contains("no file yet"));
}

#[test]
fn export_import_pipeline_preserves_every_token() {
    let env = TestEnv::new();
    let source = env.fixture("python-sdk-filestore.csv");
    let exported = env.run(&[
        "--store",
        &format!("file:{}", source.display()),
        "list",
        "--format",
        "jsonl",
        "--reveal",
    ]);
    let target = format!("sqlite:{}", env.path("imported.db").display());
    env.run_with_stdin(
        &[
            "--store", &target, "save", "--input", "-", "--format", "jsonl",
        ],
        &exported.stdout,
    )
    .ok();
    let (_, want) = expected("python-sdk-filestore.expected.json");
    let got = tokenstore::store::open(&tokenstore::uri::StoreUri::parse(&target).unwrap())
        .unwrap()
        .get_tokens()
        .unwrap();
    assert_eq!(got, want);
    // Masked output cannot be imported by mistake.
    let masked = env.run(&[
        "--store",
        &format!("file:{}", source.display()),
        "list",
        "--format",
        "jsonl",
    ]);
    let out = env.run_with_stdin(
        &["--store", &target, "save", "--input", "-"],
        &masked.stdout,
    );
    assert_eq!(out.code, Some(2), "bad input is a usage error");
    assert!(out.stderr.contains("masked"), "{}", out.stderr);
}

#[test]
fn csv_output_is_a_file_store() {
    let env = TestEnv::new();
    let source = env.fixture("python-sdk-filestore.csv");
    let out = env.run(&[
        "--store",
        &format!("file:{}", source.display()),
        "list",
        "--format",
        "csv",
        "--reveal",
    ]);
    let sdk = std::fs::read_to_string(&source).unwrap();
    assert_eq!(out.stdout, sdk.replace("\r\n", "\n"));
}

#[test]
fn broken_pipe_is_not_an_error() {
    let env = TestEnv::new();
    // Far more output than a pipe buffer holds, so the writer meets the closed pipe.
    let path = env.path("big.csv");
    let tokens: Vec<_> = (1..=3000)
        .map(|n| {
            common::token(&[
                ("id", &n.to_string()),
                ("user_name", &format!("user{n}@example.com")),
                ("access_token", "a"),
            ])
        })
        .collect();
    tokenstore::store::open(&tokenstore::uri::StoreUri::File {
        path: path.clone(),
        flavor: None,
    })
    .unwrap()
    .put_tokens(&tokens)
    .unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} --store file:{} list --format jsonl | head -n 1; exit ${{PIPESTATUS[0]}}",
            assert_cmd::cargo::cargo_bin("tokenstore").display(),
            path.display()
        ))
        .output()
        .unwrap();
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out).lines().count(), 1);
}

#[test]
fn purge_asks_on_a_terminal() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("p.csv").display());
    for n in 0..3 {
        env.save_user(&store, &format!("u{n}"), "a");
    }
    let (code, screen) = common::on_terminal(&env, &format!("--store {store} purge"), "n\n");
    assert!(screen.contains("Delete 3 tokens from"), "{screen}");
    // A declined confirmation is "cancelled", exit 2, as gh reports it.
    assert_eq!(code, Some(2), "{screen}");
    assert!(
        screen.contains("cancelled; nothing was deleted"),
        "{screen}"
    );
    assert_eq!(
        list_json(&env, &store).as_array().unwrap().len(),
        3,
        "declining kept every token"
    );

    let (code, screen) = common::on_terminal(&env, &format!("--store {store} purge"), "y\n");
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("deleted 3 tokens"), "{screen}");
    assert_eq!(list_json(&env, &store), serde_json::json!([]));
}

#[test]
fn list_filters_combine() {
    let env = TestEnv::new();
    let store = format!("sqlite:{}", env.path("f.db").display());
    let now = tokenstore::token::now_ms();
    let rows = [
        ("a", "c1", "https://www.zohoapis.com", now + 10 * 60_000),
        ("b", "c1", "https://www.zohoapis.eu", now + 5 * 3_600_000),
        ("c", "c2", "https://www.zohoapis.com", now - 60_000),
    ];
    for (user, client, domain, expiry) in rows {
        env.cmd()
            .args([
                "--store",
                &store,
                "save",
                "--user-name",
                user,
                "--access-token",
                "a",
            ])
            .args([
                "--client-id",
                client,
                "--api-domain",
                domain,
                "--expiry-time",
                &expiry.to_string(),
            ])
            .assert()
            .success();
    }
    let users = |args: &[&str]| -> Vec<String> {
        json(
            &env.run(&[&["--store", store.as_str(), "list", "--json"][..], args].concat())
                .ok(),
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["user_name"].as_str().unwrap().to_string())
        .collect()
    };
    assert_eq!(users(&["--client-id", "c1"]), ["a", "b"]);
    assert_eq!(
        users(&["--api-domain", "https://www.zohoapis.com"]),
        ["a", "c"]
    );
    assert_eq!(
        users(&["--api-domain", "https://www.zohoapis.com", "--valid"]),
        ["a"]
    );
    assert_eq!(users(&["--expiring-within", "1h"]), ["a"]);
    assert_eq!(
        users(&["--expiring-within", "1d", "--client-id", "c1"]),
        ["a", "b"]
    );
    assert_eq!(users(&["--expired"]), ["c"]);
    let expires_at = list_json(&env, &store)[2]["expires_at"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        expires_at.ends_with('Z') && expires_at.contains('T'),
        "{expires_at}"
    );
}

#[test]
fn info_reports_layout_counts_and_warnings() {
    let env = TestEnv::new();
    let path = env.fixture("python-sdk-filestore.csv");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.run(&[
        "--store",
        &format!("file:{}", path.display()),
        "info",
        "--json",
    ]);
    let info = json(&out.stdout);
    assert_eq!(info["backend"], "file");
    assert_eq!(info["tokens"], 20);
    assert_eq!(
        info["expired"],
        info["tokens"].as_u64().unwrap() - info["without_expiry"].as_u64().unwrap() - 1
    );
    let facts = info["facts"].to_string();
    assert!(
        facts.contains("redirect_uri") && facts.contains("CRLF"),
        "{facts}"
    );
    let warnings = info["warnings"].to_string();
    assert!(warnings.contains("mode 0644"), "{warnings}");
    assert!(warnings.contains("CRLF line ends"), "{warnings}");
    let out = env.run(&["--store", "mysql://u:hunter2@127.0.0.1:1/db", "info"]);
    assert!(!out.stderr.contains("hunter2"));
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("c.csv").display());
    env.cmd()
        .args([
            "--store",
            &store,
            "save",
            "--user-name",
            "old",
            "--access-token",
            "a",
            "--expiry-time",
            "1000",
        ])
        .assert()
        .success();
    let out = env.run(&["--store", &store, "list"]);
    assert!(
        !out.stdout.contains('\u{1b}'),
        "no escape codes into a pipe"
    );
    let (_, screen) = common::on_terminal(&env, &format!("--store {store} list"), "");
    assert!(
        screen.contains('\u{1b}'),
        "expired tokens are coloured on a terminal: {screen}"
    );
    let command = format!(
        "NO_COLOR=1 {} --store {store} list",
        assert_cmd::cargo::cargo_bin("tokenstore").display()
    );
    let out = std::process::Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .output()
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains('\u{1b}'),
        "NO_COLOR is honoured"
    );
}

#[test]
fn every_subcommand_help_has_an_example() {
    let env = TestEnv::new();
    for sub in [
        "save",
        "find",
        "find-by-id",
        "list",
        "delete",
        "purge",
        "migrate",
        "info",
    ] {
        let help = env.run(&[sub, "--help"]).ok();
        assert!(
            help.contains("Example"),
            "{sub} --help has no example:\n{help}"
        );
        assert!(
            help.contains(&format!("tokenstore {sub}")) || help.contains("tokenstore --store"),
            "{sub}"
        );
    }
}

#[test]
fn info_warns_about_duplicate_ids() {
    let env = TestEnv::new();
    let path = env.path("dup.csv");
    std::fs::write(
        &path,
        "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n\
         1,a,,,r,,,,,\n1,b,,,s,,,,,\n",
    )
    .unwrap();
    let out = env.run(&[
        "--store",
        &format!("file:{}", path.display()),
        "info",
        "--json",
    ]);
    let info = json(&out.stdout);
    assert_eq!(info["tokens"], 2);
    assert!(
        info["warnings"].to_string().contains("duplicate ids (1)"),
        "{info}"
    );
}

#[test]
fn help_never_shows_a_password_from_the_environment() {
    let env = TestEnv::new();
    for args in [
        vec!["--help"],
        vec!["list", "--help"],
        vec!["migrate", "-h"],
    ] {
        let out = env
            .cmd()
            .env("TOKENSTORE_URI", "mysql://app:hunter2-secret@db/zohooauth")
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(!stdout(&out).contains("hunter2"), "{args:?}");
        assert!(
            stdout(&out).contains("TOKENSTORE_URI"),
            "the variable is still named"
        );
    }
}

#[test]
fn info_reports_a_store_it_cannot_read_and_exits_1() {
    let env = TestEnv::new();
    let db = env.path("other.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE oauthtoken (id TEXT, name TEXT)")
        .unwrap();
    let csv = env.path("bad.csv");
    std::fs::write(&csv, "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n1,a\n").unwrap();
    for (store, reason) in [
        (format!("sqlite:{}", db.display()), "has columns (id, name)"),
        (format!("file:{}", csv.display()), "line 2"),
    ] {
        let out = env.run(&["--store", &store, "info", "--json"]);
        assert_eq!(out.code, Some(1), "{store}");
        let info = json(&out.stdout);
        assert_eq!(info["tokens"], Value::Null);
        assert!(info["warnings"].to_string().contains(reason), "{info}");
    }
}

#[cfg(not(feature = "mysql"))]
#[test]
fn a_build_without_mysql_says_so_and_names_what_it_accepts() {
    let env = TestEnv::new();
    let err = env
        .run(&["--store", "mysql://u:hunter2@h/db", "list"])
        .fails(1);
    assert!(err.contains("without the `mysql` feature"), "{err}");
    assert!(err.contains("sqlite:PATH"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

/// The id `save` gave each user of `extreme_expiry_times_never_crash_the_output`.
fn user_number(user: &str) -> usize {
    ["far", "max", "text"]
        .iter()
        .position(|u| *u == user)
        .unwrap()
        + 1
}

#[test]
fn extreme_expiry_times_never_crash_the_output() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("x.csv").display());
    for (user, expiry) in [
        ("far", "999999999999999"),
        ("max", "9223372036854775807"),
        ("text", "soon"),
    ] {
        env.run(&[
            "--store",
            &store,
            "save",
            "--user-name",
            user,
            "--access-token",
            "a",
            "--json",
        ])
        .ok();
        // Set the raw value in the store, as another SDK might have (JSON
        // input refuses an expiry that is not milliseconds).
        let mut stored =
            tokenstore::store::open(&tokenstore::uri::StoreUri::parse(&store).unwrap())
                .unwrap()
                .find_token_by_id(&(user_number(user)).to_string())
                .unwrap()
                .unwrap();
        stored.expiry_time = Some(expiry.to_string());
        tokenstore::store::open(&tokenstore::uri::StoreUri::parse(&store).unwrap())
            .unwrap()
            .put_tokens(&[stored])
            .unwrap();
    }
    for format in ["table", "json", "jsonl", "csv"] {
        let out = env.run(&["--store", &store, "list", "--format", format]);
        assert_eq!(out.code, Some(0), "{format}: {}", out.stderr);
    }
}

#[test]
fn a_big_input_streams_through_one_transaction_all_or_nothing() {
    let env = TestEnv::new();
    let store = format!("sqlite:{}", env.path("big.db").display());
    let line = |n: usize| format!("{{\"user_name\":\"u{n}\",\"refresh_token\":\"1000.rt.{n}\"}}\n");
    // Several chunks; a masked secret far into the input fails it whole,
    // after earlier chunks were written inside the transaction.
    let mut input: String = (1..=12_000).map(line).collect();
    input += "{\"user_name\":\"late\",\"refresh_token\":\"1000…0001\"}\n";
    let run = env.run_with_stdin(
        &["--store", &store, "save", "--input", "-", "-o", "jsonl"],
        &input,
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("token 12001 of the input has a masked"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing was saved"), "{}", run.stderr);
    // Streamed: the two whole chunks before the bad token were printed as
    // they were saved (a reader that held the input whole would have
    // refused it before saving any), and are not kept.
    assert_eq!(run.stdout.lines().count(), 10_000, "{}", run.stderr);
    assert!(!env.path("big.db").exists(), "nothing is created");
    // The same without the bad token: every one saved, once.
    let input: String = (1..=12_000).map(line).collect();
    let run = env.run_with_stdin(
        &["--store", &store, "save", "--input", "-", "-o", "jsonl"],
        &input,
    );
    assert!(run.stderr.contains("saved 12,000 tokens"), "{}", run.stderr);
    assert_eq!(run.ok().lines().count(), 12_000);
    let listed = env.run(&["--store", &store, "list", "-o", "jsonl"]).ok();
    assert_eq!(listed.lines().count(), 12_000);
    assert!(
        listed.lines().last().unwrap().contains("\"u12000\""),
        "{listed}"
    );
}

#[test]
fn save_input_into_a_new_store_merges_later_tokens_into_earlier_ones_by_id() {
    let env = TestEnv::new();
    let tail = concat!(
        "{\"user_name\":\"a\",\"refresh_token\":\"r1\"}\n",
        "{\"id\":\"1\",\"api_domain\":\"https://x\"}\n",
        "{\"id\":\"7\",\"user_name\":\"b\",\"refresh_token\":\"r2\"}\n",
        "{\"id\":\"7\",\"access_token\":\"at\"}\n",
        "{\"user_name\":\"c\",\"refresh_token\":\"r3\"}\n",
    );
    // One chunk, and streamed after more than a chunk of other tokens
    // (string ids, so the new ids stay 1 and 8).
    let padding: String = (0..6_000)
        .map(|n| format!("{{\"id\":\"x{n}\",\"refresh_token\":\"p{n}\"}}\n"))
        .collect();
    for (name, input) in [("one", tail.to_string()), ("streamed", padding + tail)] {
        for scheme in ["file", "sqlite"] {
            let store = format!(
                "{scheme}:{}",
                env.path(&format!("{name}.{scheme}")).display()
            );
            let run = env.run_with_stdin(&["--store", &store, "save", "--input", "-"], &input);
            assert_eq!(run.code, Some(0), "{name} {scheme}: {}", run.stderr);
            assert!(
                run.stderr.contains("3 created, 2 updated"),
                "{name} {scheme}: {}",
                run.stderr
            );
            let listed = env
                .run(&["--store", &store, "list", "-o", "jsonl", "--reveal"])
                .ok();
            let ours: Vec<serde_json::Value> = listed
                .lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
                .filter(|t| !t["id"].as_str().unwrap().starts_with('x'))
                .collect();
            let ids: Vec<&str> = ours.iter().map(|t| t["id"].as_str().unwrap()).collect();
            assert_eq!(ids, ["1", "7", "8"], "{name} {scheme}");
            assert_eq!(ours[0]["user_name"], "a");
            assert_eq!(ours[0]["api_domain"], "https://x");
            assert_eq!(ours[1]["access_token"], "at");
            assert_eq!(ours[1]["refresh_token"], "r2");
            assert_eq!(ours[2]["user_name"], "c");
        }
    }
}
