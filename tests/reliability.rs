//! Many processes writing at once, and writers killed mid-write: no token
//! whose save returned is ever lost, no id is given twice, and the store
//! always opens.

mod common;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::TestEnv;

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("tokenstore")
}

fn stores(env: &TestEnv) -> Vec<String> {
    let mut uris = vec![
        format!("file:{}", env.path("c.csv").display()),
        format!("sqlite:{}", env.path("c.db").display()),
    ];
    uris.extend(common::server_uris("conc"));
    uris
}

fn all_tokens(env: &TestEnv, store: &str) -> Vec<serde_json::Value> {
    let out = env
        .cmd()
        .args(["--store", store, "list", "--json"])
        .output()
        .unwrap();
    // Every writer may have been killed before the store was first made.
    if String::from_utf8_lossy(&out.stderr).contains("no store at") {
        return Vec::new();
    }
    assert!(
        out.status.success(),
        "{store}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn eight_processes_saving_two_hundred_each_lose_nothing() {
    let (writers, each) = (8, 200);
    let env = TestEnv::new();
    for store in stores(&env) {
        std::thread::scope(|scope| {
            for w in 0..writers {
                let store = &store;
                scope.spawn(move || {
                    // One process per writer, saving its tokens one at a time.
                    let lines: String = (0..each)
                        .map(|n| format!("{{\"user_name\":\"w{w}-{n}@example.com\",\"access_token\":\"at-{w}-{n}\"}}\n"))
                        .collect();
                    for line in lines.lines() {
                        let out = Command::new(bin())
                            .args(["--store", store, "save", "--input", "-", "--format", "jsonl"])
                            .stdin(Stdio::piped())
                            .stdout(Stdio::null())
                            .stderr(Stdio::piped())
                            .spawn()
                            .and_then(|mut child| {
                                use std::io::Write;
                                child.stdin.take().unwrap().write_all(line.as_bytes())?;
                                child.wait_with_output()
                            })
                            .unwrap();
                        assert!(out.status.success(), "{store}: {}", String::from_utf8_lossy(&out.stderr));
                    }
                });
            }
        });
        let tokens = all_tokens(&env, &store);
        assert_eq!(tokens.len(), writers * each, "{store}");
        let ids: HashSet<&str> = tokens.iter().map(|t| t["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), writers * each, "{store}: an id was given twice");
        let users: HashSet<&str> = tokens
            .iter()
            .map(|t| t["user_name"].as_str().unwrap())
            .collect();
        assert_eq!(users.len(), writers * each, "{store}: a token was lost");
    }
}

#[test]
fn writers_killed_at_random_moments_never_lose_a_returned_save() {
    let env = TestEnv::new();
    let mut stores = vec![
        format!("file:{}", env.path("k.csv").display()),
        format!("sqlite:{}", env.path("k.db").display()),
    ];
    stores.extend(common::server_uris("kill"));
    for store in &stores {
        let mut returned = Vec::new();
        for round in 0..40u64 {
            // A batch big enough that the kill often lands mid-write.
            let batch: String = (0..200)
                .map(|n| format!("{{\"user_name\":\"r{round}-{n}\",\"refresh_token\":\"rt\",\"client_id\":\"c\",\"client_secret\":\"s\"}}\n"))
                .collect();
            let mut child = Command::new(bin())
                .args([
                    "--store", store, "save", "--input", "-", "--format", "jsonl",
                ])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(batch.as_bytes())
                    .unwrap();
            }
            // A pseudo-random delay from 0 to 15 ms.
            std::thread::sleep(Duration::from_micros(round * 7919 % 15_000));
            let _ = child.kill(); // SIGKILL
            let status = child.wait().unwrap();
            if status.success() {
                returned.push(round);
            }
            // Whatever happened, the store opens and holds every returned batch.
            let tokens = all_tokens(&env, store);
            let users: HashSet<String> = tokens
                .iter()
                .map(|t| t["user_name"].as_str().unwrap().to_string())
                .collect();
            for r in &returned {
                assert!(
                    users.contains(&format!("r{r}-199")),
                    "{store}: batch {r} lost"
                );
            }
            // A batch is all or nothing.
            let of_round = users
                .iter()
                .filter(|u| u.starts_with(&format!("r{round}-")))
                .count();
            assert!(
                of_round == 0 || of_round == 200,
                "{store}: torn batch ({of_round})"
            );
        }
        eprintln!(
            "{store}: {} of 40 writers finished before the kill",
            returned.len()
        );
        // A control writer left alone: its save returns and all of it is
        // there, so a store that never saves cannot pass this test.
        let batch: String = (0..200)
            .map(|n| format!("{{\"user_name\":\"control-{n}\",\"access_token\":\"a\"}}\n"))
            .collect();
        env.cmd()
            .args([
                "--store", store, "save", "--input", "-", "--format", "jsonl",
            ])
            .write_stdin(batch)
            .assert()
            .success();
        let tokens = all_tokens(&env, store);
        let control = tokens
            .iter()
            .filter(|t| {
                t["user_name"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("control-"))
            })
            .count();
        assert_eq!(control, 200, "{store}");
    }
}
