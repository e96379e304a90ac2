//! Secrets stay secret: passwords of URIs that do not parse, wherever the
//! URI came from, and the empty-password fallback to the environment.

mod common;

use common::TestEnv;

/// Every fragment of at least four characters of `secret`.
fn fragments(secret: &str) -> Vec<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars.windows(4).map(|w| w.iter().collect()).collect()
}

#[test]
fn unparsable_uris_never_print_their_password() {
    let env = TestEnv::new();
    let password = "Hunter2?/@#pw";
    let uris = [
        format!("mysql:/app:{password}@h/db"),
        format!("mysql:app:{password}@h/db"),
        format!("mysql//app:{password}@h/db"),
        format!("mysql://app:{password}@h/db"),
        format!("mysql://app:{password}@h:notaport/db"),
        format!("mysql://app:{password}@h/db?mode=x"),
    ];
    for uri in &uris {
        let runs = [
            env.run(&["--store", uri, "list"]),
            env.run(&["migrate", "--from", uri, "--to", "memory:"]),
            env.run(&["migrate", "--from", "memory:", "--to", uri]),
            env.cmd()
                .env("TOKENSTORE_URI", uri)
                .arg("list")
                .output()
                .map(|o| common::Run {
                    code: o.status.code(),
                    stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
                })
                .unwrap(),
        ];
        for run in runs {
            let seen = format!("{}{}", run.stdout, run.stderr);
            assert_ne!(run.code, Some(0), "{uri}: {seen}");
            for fragment in fragments(password) {
                assert!(!seen.contains(&fragment), "{uri}: `{fragment}` in {seen}");
            }
        }
    }
}

#[cfg(feature = "mysql")]
#[test]
fn an_empty_password_in_the_uri_comes_from_the_environment() {
    let Some(base) = common::mysql_base_uri() else {
        return;
    };
    let env = TestEnv::new();
    let (head, tail) = base.split_once('@').unwrap();
    let (user, password) = head.rsplit_once(':').unwrap();
    let out = env
        .cmd()
        .env("TOKENSTORE_MYSQL_PASSWORD", password)
        .args(["--store", &format!("{user}:@{tail}"), "info", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_secret_typed_on_a_terminal_is_asked_for_and_not_echoed() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    let secret = "1000.rt.typed-secret-4242";
    let (code, screen) = common::on_terminal(
        &env,
        &format!("--store {store} save --user-name u --refresh-token -"),
        &format!("{secret}\n"),
    );
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("Refresh token: "), "{screen}");
    // Not echoed: nothing of it shows but the masked form the saved token
    // is printed with (its first and last four characters).
    assert!(!screen.contains(secret), "{screen}");
    for fragment in ["typed", "ed-se", "t-424"] {
        assert!(!screen.contains(fragment), "`{fragment}` shown: {screen}");
    }
    let found = env
        .run(&[
            "--store",
            &store,
            "find",
            "--user-name",
            "u",
            "--json",
            "--reveal",
        ])
        .ok();
    assert!(found.contains(secret), "{found}");
}

/// Values and paths can neither drive the terminal nor start a new line in
/// human output; JSON stays exact.
#[test]
fn control_characters_are_shown_escaped() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    let nasty = "evil\u{1b}]0;owned\u{7}\u{202e}user\nnext";
    env.run_with_stdin(
        &["--store", &store, "save", "--input", "-"],
        &serde_json::json!({"user_name": nasty, "access_token": "a"}).to_string(),
    )
    .ok();
    for args in [vec!["list"], vec!["find-by-id", "1"], vec!["info"]] {
        let mut all = vec!["--store", store.as_str()];
        all.extend(args);
        let out = env.run(&all).ok();
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{202e}'),
            "{out:?}"
        );
    }
    let table = env.run(&["--store", &store, "list"]).ok();
    assert!(
        table.contains("\\x1b]0;owned\\x07\\u{202e}user\\nnext"),
        "{table}"
    );
    let json = env.run(&["--store", &store, "list", "--json"]).ok();
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed[0]["user_name"], nasty);
    // An error naming a path with control characters stays one safe line.
    let err = env.run(&[
        "--store",
        "file:t.csv/bad\u{1b}[31m\nname.csv",
        "save",
        "--user-name",
        "u",
        "--access-token",
        "a",
    ]);
    assert_eq!(err.code, Some(1));
    assert!(!err.stderr.contains('\u{1b}'), "{:?}", err.stderr);
    assert_eq!(err.stderr.lines().count(), 1, "{:?}", err.stderr);
}

/// A reader that goes away at once: every command still exits as it would
/// have (0, or 3 for nothing found), never a panic or 101.
#[test]
fn a_closed_pipe_is_not_a_failure_for_any_command() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    for n in 0..300 {
        env.save_user(&store, &format!("user{n}@example.com"), "a");
    }
    let other = format!("sqlite:{}", env.path("o.db").display());
    let commands: Vec<(Vec<&str>, i32)> = vec![
        (vec!["--store", &store, "list"], 0),
        (vec!["--store", &store, "list", "--json"], 0),
        (vec!["--store", &store, "list", "--format", "csv"], 0),
        (vec!["--store", &store, "find-by-id", "1"], 0),
        (vec!["--store", &store, "find", "--user-name", "nobody"], 3),
        (vec!["--store", &store, "info"], 0),
        (
            vec![
                "--store",
                &store,
                "save",
                "--user-name",
                "new",
                "--access-token",
                "a",
            ],
            0,
        ),
        (vec!["--store", &store, "delete", "2", "3", "4"], 0),
        (
            vec!["--store", &store, "purge", "--expired", "--dry-run"],
            0,
        ),
        (vec!["migrate", "--from", &store, "--to", &other], 0),
        (vec!["--store", &store, "purge", "--yes"], 0),
    ];
    for (args, code) in commands {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokenstore"))
            .args(&args)
            .env("HOME", env.dir.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // the reader closes before anything is written
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn interrupted_writes_leave_no_copy_of_the_secrets() {
    let env = TestEnv::new();
    let path = env.path("t.csv");
    let store = format!("file:{}", path.display());
    // A stale temporary file of a killed writer is removed by the next.
    let stale = env.path(".tokenstore-t.csv-killed.tmp");
    env.save_user(&store, "a", "x");
    std::fs::write(&stale, "1,a,,,1000.rt.leftover-secret,,,,,\n").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(old)
        .unwrap();
    env.save_user(&store, "b", "y");
    assert!(!stale.exists(), "the stale temporary file is still there");
    // SIGTERM while writing a big store: the temporary file goes too.
    let big: String = (0..200_000)
        .map(|n| {
            format!("{{\"user_name\":\"u{n}\",\"refresh_token\":\"1000.rt.secret.{n:08}\"}}\n")
        })
        .collect();
    std::fs::write(env.path("big.jsonl"), big).unwrap();
    let mut signalled = false;
    for _ in 0..20 {
        let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokenstore"))
            .args([
                "--store",
                &store,
                "save",
                "--input",
                "big.jsonl",
                "--on-conflict",
                "skip",
            ])
            .current_dir(env.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        let started = std::time::Instant::now();
        let temp_seen = loop {
            let temp = std::fs::read_dir(env.dir.path())
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"));
            if temp || started.elapsed() > std::time::Duration::from_secs(20) {
                break temp;
            }
        };
        if temp_seen {
            std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        let leftovers: Vec<String> = std::fs::read_dir(env.dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        if out.status.code() == Some(143) {
            signalled = true;
            break;
        }
        // Finished before the signal landed: start from two tokens again.
        std::fs::write(&path, "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n1,a,,,,x,,,,\n").unwrap();
    }
    assert!(
        signalled,
        "no write was ever caught with its temporary file"
    );
}

#[test]
fn extended_attributes_of_a_store_are_kept() {
    let env = TestEnv::new();
    let path = env.path("t.csv");
    let store = format!("file:{}", path.display());
    env.save_user(&store, "a", "x");
    if xattr::set(&path, "user.owner-note", b"app").is_err() {
        common::cannot_run_here("this file system keeps no extended attributes");
        return;
    }
    env.save_user(&store, "b", "y");
    assert_eq!(
        xattr::get(&path, "user.owner-note").unwrap().as_deref(),
        Some(&b"app"[..])
    );
}

#[test]
fn csv_for_spreadsheets_defuses_formulas_only_when_asked() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    env.run_with_stdin(
        &["--store", &store, "save", "--input", "-"],
        "{\"user_name\":\"=HYPERLINK(\\\"http://evil\\\")\",\"access_token\":\"a\",\"api_domain\":\"@SUM(1)\"}",
    )
    .ok();
    let plain = env
        .run(&["--store", &store, "list", "--format", "csv"])
        .ok();
    assert!(plain.contains("\"=HYPERLINK"), "{plain}");
    let safe = env
        .run(&[
            "--store",
            &store,
            "list",
            "--format",
            "csv",
            "--safe-spreadsheet",
        ])
        .ok();
    assert!(safe.contains("\"'=HYPERLINK"), "{safe}");
    assert!(safe.contains(",'@SUM(1)"), "{safe}");
    // The store file itself is never altered.
    assert!(std::fs::read_to_string(env.path("t.csv"))
        .unwrap()
        .contains("\"=HYPERLINK"));
}

/// Standard error closed too: notices and results are dropped, the work
/// is done, the exit code is what it would have been.
#[test]
fn a_closed_stderr_is_not_a_failure() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    env.save_user(&store, "a", "x");
    for (args, code) in [
        (vec!["--store", &store, "delete", "1", "99"], 0),
        (vec!["--store", &store, "find", "--user-name", "nobody"], 3),
        (vec!["--store", &store, "list", "--format", "csv"], 0),
    ] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokenstore"))
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        drop(child.stdout.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
    assert!(env
        .run(&["--store", &store, "list", "--json"])
        .ok()
        .contains("[]"));
}

/// A POSIX ACL that lets the application's user read the store survives
/// a rewrite.
#[test]
fn a_posix_acl_of_a_store_is_kept() {
    let env = TestEnv::new();
    let path = env.path("t.csv");
    let store = format!("file:{}", path.display());
    env.save_user(&store, "a", "x");
    // system.posix_acl_access: version 2, then (tag, perm, id) entries:
    // owner rw, user 4321 r, group r, mask r, other none.
    let mut acl = 2u32.to_le_bytes().to_vec();
    for (tag, perm, id) in [
        (1u16, 6u16, u32::MAX),
        (2, 4, 4321),
        (4, 4, u32::MAX),
        (0x10, 4, u32::MAX),
        (0x20, 0, u32::MAX),
    ] {
        acl.extend(tag.to_le_bytes());
        acl.extend(perm.to_le_bytes());
        acl.extend(id.to_le_bytes());
    }
    if xattr::set(&path, "system.posix_acl_access", &acl).is_err() {
        common::cannot_run_here("this file system keeps no POSIX ACLs");
        return;
    }
    env.save_user(&store, "b", "y");
    assert_eq!(
        xattr::get(&path, "system.posix_acl_access")
            .unwrap()
            .as_deref(),
        Some(&acl[..])
    );
}

/// A secret or expiry holding escape sequences is shown escaped in every
/// human view, masked or not.
#[test]
fn masked_values_and_expiry_times_are_escaped_too() {
    let env = TestEnv::new();
    let path = env.path("e.csv");
    std::fs::write(
        &path,
        "id,user_name,client_id,client_secret,refresh_token,access_token,grant_token,expiry_time,redirect_uri,api_domain\n\
         1,u,,\u{1b}[2Jabcdefghijklmnop\u{1b}[1m,r,a,,\u{1b}]0;pwned\u{7},,\n",
    )
    .unwrap();
    let store = format!("file:{}", path.display());
    for args in [
        vec!["--store", &store, "find-by-id", "1"],
        vec!["--store", &store, "list", "-o", "wide"],
        vec!["--store", &store, "list"],
    ] {
        let out = env.run(&args).ok();
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}'),
            "{args:?}: {out:?}"
        );
    }
}

#[test]
fn broken_json_input_never_repeats_a_key_or_value_that_may_be_a_secret() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    // A value written where a key belongs (a missing quote or colon).
    let secret = "1000.5f0c1a2b3c4d5e6f.77aa88bb99cc";
    let input = format!("{{\"user_name\":\"a\",\"{secret}\":\"x\"}}\n");
    let stderr = env
        .run_with_stdin(&["--store", &store, "save", "--input", "-"], &input)
        .fails(2);
    for fragment in fragments(secret) {
        assert!(!stderr.contains(&fragment), "{stderr}");
    }
    assert!(stderr.contains("unknown key at line 1"), "{stderr}");
    assert!(!env.path("t.csv").exists(), "nothing is created");
    // A typo in a field name is named, with the field it was meant to be.
    let stderr = env
        .run_with_stdin(
            &["--store", &store, "save", "--input", "-"],
            "{\"user_name\":\"a\",\"acess_token\":\"x\"}\n",
        )
        .fails(2);
    assert!(stderr.contains("did you mean `access_token`?"), "{stderr}");
}
