//! Talking to Zoho's accounts server: `token`, `refresh`, `revoke`,
//! `check` and `delete --revoke`, through the binary, against a fake
//! accounts server on 127.0.0.1 written here (the two endpoints, with
//! Zoho's documented JSON and its error cases), on file, SQLite and MySQL
//! stores. No test reaches the internet. Every output is scanned for the
//! secrets the stores hold.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Run, TestEnv};

// ---------------------------------------------------------------------
// The fake accounts server.

/// One request the server got: its path and its parameters (query and
/// form body together).
#[derive(Clone, Debug)]
struct Request {
    path: String,
    params: HashMap<String, String>,
}

#[derive(Default)]
struct ServerState {
    requests: Vec<Request>,
    /// Refresh tokens revoked, and grant tokens used, so far.
    revoked: Vec<String>,
    used_grants: Vec<String>,
    minted: usize,
    /// Run once when the next token request arrives, before answering
    /// (an application writing the store while Zoho answers).
    on_token_request: Option<Box<dyn FnOnce() + Send>>,
}

/// Zoho's accounts server as its documentation describes it. What it
/// does depends on words in the token values: `revoked` (invalid_code),
/// `limited` (Access Denied, too many requests), `malformed` (not JSON),
/// `slow` (answers after 20 s), `delay` (answers after 0.7 s); a client
/// id `bad-client` gets invalid_client. Everything else works.
struct FakeZoho {
    url: String,
    state: Arc<Mutex<ServerState>>,
}

impl FakeZoho {
    fn start() -> FakeZoho {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(ServerState::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &state);
                });
            }
        });
        FakeZoho { url, state }
    }

    fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path == path).count()
    }
}

const TOKEN_PATH: &str = "/oauth/v2/token";
const REVOKE_PATH: &str = "/oauth/v2/token/revoke";

fn serve(stream: TcpStream, state: &Mutex<ServerState>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0usize;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let target = request_line.split(' ').nth(1).unwrap_or("/").to_string();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut params = decode_form(query);
    params.extend(decode_form(&String::from_utf8_lossy(&body)));
    let request = Request {
        path: path.to_string(),
        params: params.clone(),
    };
    state.lock().unwrap().requests.push(request);

    let param = |k: &str| params.get(k).cloned().unwrap_or_default();
    let (status, answer) = if path == TOKEN_PATH && request_line.starts_with("POST ") {
        let key = match param("grant_type").as_str() {
            "authorization_code" => param("code"),
            _ => param("refresh_token"),
        };
        if key.contains("slow") {
            std::thread::sleep(Duration::from_secs(20));
        }
        if key.contains("delay") {
            std::thread::sleep(Duration::from_millis(700));
        }
        let hook = state.lock().unwrap().on_token_request.take();
        if let Some(hook) = hook {
            hook();
        }
        let mut s = state.lock().unwrap();
        if param("client_id") == "bad-client" {
            (200, r#"{"error":"invalid_client"}"#.to_string())
        } else if key.contains("limited") {
            (
                400,
                r#"{"error_description":"You have made too many requests continuously. Please try again after some time.","error":"Access Denied","status":"failure"}"#
                    .to_string(),
            )
        } else if key.contains("malformed") {
            (200, format!("<html>upstream error for {key}</html>"))
        } else if key.contains("ctrlchars") {
            // A hostile server: a terminal escape and a line break.
            (
                200,
                r#"{"access_token":"AT-minted-\u001b]0;pwned\u0007\nsecond","expires_in":3600}"#
                    .to_string(),
            )
        } else if key.contains("hugelimit") {
            (
                429,
                format!("<html>{}</html>", "Too Many Requests ".repeat(5000)),
            )
        } else if key.contains("hugebody") {
            let padding = " ".repeat(100_000);
            (
                200,
                format!(r#"{{"access_token":"AT-x","expires_in":3600}}{padding}"#),
            )
        } else if key.contains("notutf8") {
            (200, "{\"error\":\"\u{fffd}\"}".to_string())
        } else if key.contains("emptyat") {
            (200, r#"{"access_token":"","expires_in":3600}"#.to_string())
        } else if key.contains("revoked")
            || s.revoked.contains(&key)
            || s.used_grants.contains(&key)
        {
            (200, r#"{"error":"invalid_code"}"#.to_string())
        } else {
            s.minted += 1;
            let access = format!("AT-minted-{}-5e4d3c2b1a09", s.minted);
            if param("grant_type") == "authorization_code" {
                s.used_grants.push(key);
                (
                    200,
                    format!(
                        r#"{{"access_token":"{access}","refresh_token":"RT-from-grant-77aa66bb55cc","api_domain":"https://www.zohoapis.com","token_type":"Bearer","expires_in":3600}}"#
                    ),
                )
            } else {
                (
                    200,
                    format!(
                        r#"{{"access_token":"{access}","api_domain":"https://www.zohoapis.com","token_type":"Bearer","expires_in":3600}}"#
                    ),
                )
            }
        }
    } else if path == REVOKE_PATH && request_line.starts_with("POST ") {
        let token = param("token");
        let mut s = state.lock().unwrap();
        if token.contains("limited") {
            (429, "<html>Too Many Requests</html>".to_string())
        } else if token.contains("revoked") || s.revoked.contains(&token) || token.is_empty() {
            (
                400,
                r#"{"status":"failure","error":"invalid_token"}"#.to_string(),
            )
        } else {
            s.revoked.push(token);
            (200, r#"{"status":"success"}"#.to_string())
        }
    } else {
        (404, r#"{"error":"not_found"}"#.to_string())
    };
    // U+FFFD in an answer stands for a byte that is not UTF-8.
    let answer: Vec<u8> = answer
        .replace('\u{fffd}', "\u{1}")
        .bytes()
        .map(|b| if b == 1 { 0xff } else { b })
        .collect();
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        answer.len()
    )?;
    stream.write_all(&answer)?;
    stream.flush()
}

fn decode_form(text: &str) -> HashMap<String, String> {
    let decode = |s: &str| {
        let bytes = s.replace('+', " ").into_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                if let Ok(b) = u8::from_str_radix(hex, 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

// ---------------------------------------------------------------------
// Stores and tokens.

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Every secret any test token holds (and every access token Zoho mints
/// starts with AT-minted-): none may appear in an output but `token`'s.
const CLIENT_SECRET: &str = "CS-shh-0f1e2d3c4b5a";

/// A token as `save --input` takes it. `name` picks its behaviour at the
/// fake Zoho (see FakeZoho) and makes its secrets unique.
fn token_json(id: &str, user: &str, name: &str, expiry_ms: Option<i64>) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "user_name": user,
        "client_id": if name.contains("badclient") { "bad-client" } else { "1000.CLIENTID" },
        "client_secret": CLIENT_SECRET,
        "refresh_token": format!("RT-{name}-9f8e7d6c5b4a"),
        "access_token": format!("AT-{name}-1a2b3c4d5e6f"),
        "grant_token": null,
        "expiry_time": expiry_ms.map(|e| e.to_string()),
        "redirect_url": "https://app.example.com/cb",
        "api_domain": "https://www.zohoapis.com",
    })
}

fn secrets_of(tokens: &[serde_json::Value]) -> Vec<String> {
    let mut all = vec![CLIENT_SECRET.to_string(), "AT-minted-".to_string()];
    for t in tokens {
        for field in ["refresh_token", "access_token", "grant_token"] {
            if let Some(v) = t[field].as_str() {
                all.push(v.to_string());
            }
        }
    }
    all.push("RT-from-grant".into());
    all
}

/// The stores every test runs on: a file, a SQLite database and (from
/// `scripts/test.sh`) a MySQL and a PostgreSQL table.
fn stores(env: &TestEnv) -> Vec<String> {
    let mut uris = vec![
        format!("file:{}", env.path("tokens.csv").display()),
        format!("sqlite:{}", env.path("tokens.db").display()),
    ];
    uris.extend(common::server_uris("zoho"));
    uris
}

/// A test's world: a temp dir, a store, the fake Zoho, and the secrets to
/// scan every output for.
struct World {
    env: TestEnv,
    store: String,
    zoho: FakeZoho,
    secrets: Vec<String>,
}

impl World {
    fn new(env_store: impl FnOnce(&TestEnv) -> String, tokens: &[serde_json::Value]) -> World {
        let env = TestEnv::new();
        let store = env_store(&env);
        let input: String = tokens.iter().map(|t| format!("{t}\n")).collect();
        env.run_with_stdin(&["--store", &store, "save", "--input", "-", "-q"], &input)
            .ok();
        World {
            env,
            store,
            zoho: FakeZoho::start(),
            secrets: secrets_of(tokens),
        }
    }

    /// Runs tokenstore on the store against the fake Zoho; checks that no
    /// output holds a secret.
    fn run(&self, args: &[&str]) -> Run {
        let run = self.run_unscanned(args);
        self.assert_no_secret(&run.stdout, args);
        self.assert_no_secret(&run.stderr, args);
        run
    }

    fn run_unscanned(&self, args: &[&str]) -> Run {
        let mut full = vec!["--store", self.store.as_str()];
        full.extend_from_slice(args);
        let out = self
            .env
            .cmd()
            .env("TOKENSTORE_ACCOUNTS_URL", &self.zoho.url)
            .args(&full)
            .output()
            .unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn assert_no_secret(&self, text: &str, args: &[&str]) {
        for secret in &self.secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{args:?} printed a secret ({secret}): {text}"
            );
        }
    }

    /// Every token in the store, revealed, by id.
    fn tokens(&self) -> HashMap<String, serde_json::Value> {
        let out = self
            .run_unscanned(&["list", "--format", "json", "--reveal"])
            .ok();
        let all: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
        all.into_iter()
            .map(|t| (t["id"].as_str().unwrap().to_string(), t))
            .collect()
    }

    fn token(&self, id: &str) -> serde_json::Value {
        self.tokens()
            .remove(id)
            .unwrap_or_else(|| panic!("no token {id}"))
    }
}

fn each_store(test: impl Fn(&dyn Fn(&TestEnv) -> String)) {
    let probe = TestEnv::new();
    for n in 0..stores(&probe).len() {
        test(&move |env: &TestEnv| stores(env)[n].clone());
    }
}

// ---------------------------------------------------------------------
// token

#[test]
fn token_prints_a_valid_access_token_and_nothing_else_without_asking_zoho() {
    each_store(|store| {
        let alice = token_json(
            "1",
            "alice@example.com",
            "alice",
            Some(now_ms() + 3_600_000),
        );
        let w = World::new(store, &[alice]);
        let run = w.run_unscanned(&["token", "--user", "alice@example.com"]);
        assert_eq!(run.ok(), "AT-alice-1a2b3c4d5e6f\n");
        let by_id = w.run_unscanned(&["token", "1"]);
        assert_eq!(by_id.stderr, "");
        assert_eq!(by_id.ok(), "AT-alice-1a2b3c4d5e6f\n");
        assert_eq!(
            w.zoho.requests().len(),
            0,
            "Zoho was asked for a valid token"
        );
    });
}

#[test]
fn token_refreshes_an_expiring_token_once_and_saves_it_as_the_sdks_do() {
    each_store(|store| {
        // Expires in 2 minutes: inside the default 5-minute margin.
        let alice = token_json("1", "alice@example.com", "alice", Some(now_ms() + 120_000));
        let w = World::new(store, &[alice]);
        let before = now_ms();
        let printed = w
            .run_unscanned(&["token", "--user", "alice@example.com"])
            .ok();
        assert_eq!(printed, "AT-minted-1-5e4d3c2b1a09\n");

        let requests = w.zoho.requests();
        assert_eq!(requests.len(), 1);
        let r = &requests[0];
        assert_eq!(r.path, TOKEN_PATH);
        assert_eq!(r.params["grant_type"], "refresh_token");
        assert_eq!(r.params["refresh_token"], "RT-alice-9f8e7d6c5b4a");
        assert_eq!(r.params["client_id"], "1000.CLIENTID");
        assert_eq!(r.params["client_secret"], CLIENT_SECRET);
        assert_eq!(r.params["redirect_uri"], "https://app.example.com/cb");

        // Saved: the new access token, the expiry in ms (now + 3600 s).
        let saved = w.token("1");
        assert_eq!(saved["access_token"], "AT-minted-1-5e4d3c2b1a09");
        assert_eq!(saved["refresh_token"], "RT-alice-9f8e7d6c5b4a");
        let expiry: i64 = saved["expiry_time"].as_str().unwrap().parse().unwrap();
        assert!(expiry >= before + 3_600_000 && expiry <= now_ms() + 3_600_000);

        // The next call finds it valid and asks Zoho nothing.
        let again = w.run_unscanned(&["token", "1"]).ok();
        assert_eq!(again, "AT-minted-1-5e4d3c2b1a09\n");
        assert_eq!(w.zoho.requests().len(), 1);

        // --min-valid beyond the hour left refreshes it again.
        let longer = w.run_unscanned(&["token", "1", "--min-valid", "2h"]).ok();
        assert_eq!(longer, "AT-minted-2-5e4d3c2b1a09\n");
    });
}

/// Zoho's access tokens live an hour: a `--min-valid` of an hour or more
/// can never be met, so every call would refresh (and run into Zoho's 10
/// refreshes in 10 minutes). The token is printed, and stderr says why
/// it will be refreshed again on the next call.
#[test]
fn a_min_valid_longer_than_zohos_tokens_live_is_explained() {
    let alice = token_json("1", "alice@example.com", "alice", Some(now_ms() - 1000));
    let w = World::new(|env| stores(env)[0].clone(), &[alice]);
    let run = w.run_unscanned(&["token", "1", "--min-valid", "1h"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(run.stdout, "AT-minted-1-5e4d3c2b1a09\n");
    assert!(run.stderr.contains("--min-valid"), "{}", run.stderr);
    w.assert_no_secret(&run.stderr, &["token"]);
}

#[test]
fn two_token_calls_at_once_refresh_once() {
    each_store(|store| {
        // Zoho answers this one after 0.7 s, so the two calls overlap.
        let alice = token_json("1", "alice@example.com", "delay", Some(now_ms() - 1000));
        let w = World::new(store, &[alice]);
        let spawn = || {
            let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokenstore"));
            cmd.env_clear()
                .env("HOME", w.env.dir.path())
                .env("TOKENSTORE_ACCOUNTS_URL", &w.zoho.url)
                .args(["--store", &w.store, "token", "--user", "alice@example.com"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
        assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
        assert_eq!(a.stdout, b"AT-minted-1-5e4d3c2b1a09\n");
        assert_eq!(b.stdout, a.stdout, "both print the one new token");
        assert_eq!(w.zoho.count(TOKEN_PATH), 1, "refreshed more than once");
    });
}

#[test]
fn token_failures_are_one_line_with_zohos_code_and_change_nothing() {
    each_store(|store| {
        let old = Some(now_ms() - 1000);
        let tokens = [
            token_json("1", "revoked@example.com", "revoked", old),
            token_json("2", "client@example.com", "badclient", old),
            token_json("3", "limited@example.com", "limited", old),
            token_json("4", "malformed@example.com", "malformed", old),
        ];
        let w = World::new(store, &tokens);
        let before = w.tokens();
        let err = w.run(&["token", "1"]).fails(1);
        assert!(
            err.contains("`invalid_code`") && err.contains("authorise"),
            "{err}"
        );
        let err = w.run(&["token", "2"]).fails(1);
        assert!(err.contains("`invalid_client`"), "{err}");
        let err = w.run(&["token", "3"]).fails(1);
        assert!(err.contains("10 access tokens in 10 minutes"), "{err}");
        let err = w.run(&["token", "4"]).fails(1);
        assert!(
            err.contains("cannot read") && err.contains("not JSON"),
            "{err}"
        );
        assert!(!err.contains("html"), "Zoho's body repeated: {err}");
        assert_eq!(w.tokens(), before, "a failed refresh changed the store");
        // Nobody: exit 3, as find.
        let none = w.run(&["token", "--user", "nobody@example.com"]);
        assert_eq!(none.code, Some(3), "{}", none.stderr);
        assert!(none.stdout.is_empty());
    });
}

/// A hostile or broken accounts server's access token (a terminal escape,
/// a line break, an empty value) is neither printed nor saved.
#[test]
fn an_access_token_that_is_not_a_plain_token_is_refused() {
    each_store(|store| {
        let old = Some(now_ms() - 1000);
        let tokens = [
            token_json("1", "ctrl@example.com", "ctrlchars", old),
            token_json("2", "empty@example.com", "emptyat", old),
        ];
        let w = World::new(store, &tokens);
        let before = w.tokens();
        for id in ["1", "2"] {
            let run = w.run(&["token", id]);
            assert_eq!(run.code, Some(1), "{id}: {run:?}");
            assert!(run.stdout.is_empty(), "{id}: {:?}", run.stdout);
            assert!(!run.stderr.contains('\u{1b}'), "{id}: {:?}", run.stderr);
            assert!(run.stderr.contains("cannot read"), "{id}: {}", run.stderr);
            let run = w.run(&["refresh", id]);
            assert_eq!(run.code, Some(1), "{id}: {run:?}");
            assert!(!run.stdout.contains('\u{1b}'), "{id}: {:?}", run.stdout);
        }
        assert_eq!(w.tokens(), before, "a refused answer changed the store");
    });
}

/// An answer too long or not UTF-8 came from a server that answered: it
/// is reported as an answer tokenstore cannot read, not as a server it
/// cannot reach.
#[test]
fn an_oversized_or_binary_answer_is_an_unreadable_answer() {
    let old = Some(now_ms() - 1000);
    let tokens = [
        token_json("1", "huge@example.com", "hugebody", old),
        token_json("2", "binary@example.com", "notutf8", old),
        token_json("3", "limit@example.com", "hugelimit", old),
    ];
    let w = World::new(|env| stores(env)[0].clone(), &tokens);
    let before = std::fs::read(w.env.path("tokens.csv")).unwrap();
    let err = w.run(&["token", "1"]).fails(1);
    assert!(
        err.contains("cannot read") && err.contains("64 KiB"),
        "{err}"
    );
    let err = w.run(&["token", "2"]).fails(1);
    assert!(
        err.contains("cannot read") && err.contains("UTF-8"),
        "{err}"
    );
    // HTTP 429 is the back-off message whatever its body.
    let err = w.run(&["token", "3"]).fails(1);
    assert!(err.contains("10 access tokens in 10 minutes"), "{err}");
    assert_eq!(std::fs::read(w.env.path("tokens.csv")).unwrap(), before);
}

/// `--dry-run` says a token would fail when the real run would fail
/// without asking Zoho (no client secret, no data centre).
#[test]
fn a_dry_run_says_a_token_that_cannot_be_refreshed_would_fail() {
    let mut alice = token_json("1", "alice@example.com", "alice", Some(now_ms() - 1000));
    alice["client_secret"] = serde_json::Value::Null;
    let w = World::new(|env| stores(env)[0].clone(), &[alice]);
    let dry = w.run(&["refresh", "1", "--dry-run"]);
    let real = w.run(&["refresh", "1"]);
    assert_eq!(real.code, Some(1), "{real:?}");
    assert_eq!(dry.code, Some(1), "{dry:?}");
    assert!(dry.stdout.contains("client secret"), "{}", dry.stdout);
    assert_eq!(w.zoho.requests().len(), 0);
}

#[test]
fn an_unreachable_or_slow_accounts_server_is_reported_plainly() {
    let env_store = |env: &TestEnv| format!("sqlite:{}", env.path("t.db").display());
    let old = Some(now_ms() - 1000);
    let w = World::new(
        env_store,
        &[
            token_json("1", "a@example.com", "alice", old),
            token_json("2", "s@example.com", "slow", old),
        ],
    );
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let err = w.run(&["token", "1", "--accounts-url", &closed]).fails(1);
    assert!(
        err.contains(&format!("cannot reach the accounts server at {closed}"))
            && err.contains("refused"),
        "{err}"
    );
    // A check that cannot reach Zoho says so and is not "alive".
    let check = w.run(&["check", "1", "--accounts-url", &closed]);
    assert_eq!(check.code, Some(1), "{}", check.stderr);
    assert!(
        check
            .stdout
            .starts_with("token 1 (a@example.com): could not check: cannot reach"),
        "{}",
        check.stdout
    );
    let started = std::time::Instant::now();
    let err = w.run(&["token", "2"]).fails(1);
    assert!(err.contains("no answer within 15 s"), "{err}");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(19), "took {took:?}");
    assert_eq!(w.token("2")["access_token"], "AT-slow-1a2b3c4d5e6f");
}

#[test]
fn the_accounts_server_comes_from_the_api_domain_or_a_safe_override() {
    let env = TestEnv::new();
    let store = format!("file:{}", env.path("t.csv").display());
    let mut t = token_json("1", "a@example.com", "alice", Some(now_ms() - 1000));
    t["api_domain"] = serde_json::Value::Null;
    env.run_with_stdin(
        &["--store", &store, "save", "--input", "-", "-q"],
        &format!("{t}\n"),
    )
    .ok();
    let err = env.run(&["--store", &store, "token", "1"]).fails(1);
    assert!(
        err.contains("no api_domain") && err.contains("--accounts-url"),
        "{err}"
    );
    // Secrets never go over plain http to another machine.
    let err = env
        .run(&[
            "--store",
            &store,
            "token",
            "1",
            "--accounts-url",
            "http://accounts.zoho.com",
        ])
        .fails(2);
    assert!(err.contains("https"), "{err}");
}

// ---------------------------------------------------------------------
// refresh

#[test]
fn refresh_reports_each_token_saves_the_refreshed_and_exits_1_on_failures() {
    each_store(|store| {
        let now = now_ms();
        let tokens = [
            token_json("1", "alice@example.com", "alice", Some(now - 1000)),
            token_json("2", "bob@example.com", "bob", Some(now + 3_600_000)),
            token_json("3", "carol@example.com", "revoked", Some(now - 1000)),
            token_json("4", "dave@example.com", "limited", Some(now + 60_000)),
        ];
        let w = World::new(store, &tokens);
        let before = w.tokens();

        let dry = w.run(&["refresh", "--all", "--dry-run"]);
        assert_eq!(dry.code, Some(0), "{}", dry.stderr);
        assert!(dry
            .stdout
            .contains("token 1 (alice@example.com): would refresh it"));
        assert!(dry
            .stdout
            .contains("token 2 (bob@example.com): still valid"));
        assert_eq!(w.zoho.requests().len(), 0, "a dry run asked Zoho");
        assert_eq!(w.tokens(), before);

        let run = w.run(&["refresh", "--all"]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines.len(), 4, "{}", run.stdout);
        assert!(lines[0].starts_with("token 1 (alice@example.com): refreshed, valid for 59m"));
        assert!(lines[1].starts_with("token 2 (bob@example.com): still valid"));
        assert!(lines[2].contains("failed: Zoho refused it with `invalid_code`"));
        assert!(lines[3].contains("failed: Zoho is limiting requests"));
        assert!(run.stderr.contains("2 of 4 tokens could not be refreshed"));
        // Only the still-valid one was not asked for; only alice changed.
        assert_eq!(w.zoho.count(TOKEN_PATH), 3);
        let after = w.tokens();
        assert_eq!(after["1"]["access_token"], "AT-minted-1-5e4d3c2b1a09");
        for id in ["2", "3", "4"] {
            assert_eq!(after[id], before[id], "token {id} changed");
        }

        // JSON for scripts; a refresh by user.
        let json = w
            .run(&["refresh", "--user", "alice@example.com", "--json"])
            .ok();
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(report[0]["id"], "1");
        assert_eq!(report[0]["result"], "still_valid");
        let err = w.run(&["refresh"]).fails(2);
        assert!(err.contains("--all"), "{err}");
    });
}

/// The grant token was exchanged at Zoho, then the store could not be
/// written (here: the file replaced by a folder meanwhile): the grant is
/// used up and the refresh token lost, and the error says what that means.
#[test]
fn an_exchange_that_cannot_be_saved_says_the_grant_is_used_up() {
    let mut t = token_json("1", "new@example.com", "unused", None);
    t["refresh_token"] = serde_json::Value::Null;
    t["access_token"] = serde_json::Value::Null;
    t["grant_token"] = "GT-grant-aa11bb22cc33".into();
    let w = World::new(|env| stores(env)[0].clone(), &[t]);
    let path = w.env.path("tokens.csv");
    w.zoho.state.lock().unwrap().on_token_request = Some(Box::new(move || {
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
    }));
    let run = w.run(&["refresh", "1"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.stderr.contains("used up") && run.stderr.contains("authorise"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_grant_only_token_is_exchanged_once_and_saved() {
    each_store(|store| {
        let mut t = token_json("1", "new@example.com", "unused", None);
        t["refresh_token"] = serde_json::Value::Null;
        t["access_token"] = serde_json::Value::Null;
        t["grant_token"] = "GT-grant-aa11bb22cc33".into();
        let w = World::new(store, &[t]);
        let run = w.run(&["refresh", "1"]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert!(
            run.stdout.contains("grant token exchanged"),
            "{}",
            run.stdout
        );
        let r = &w.zoho.requests()[0];
        assert_eq!(r.params["grant_type"], "authorization_code");
        assert_eq!(r.params["code"], "GT-grant-aa11bb22cc33");
        assert_eq!(r.params["redirect_uri"], "https://app.example.com/cb");
        let saved = w.token("1");
        assert_eq!(saved["refresh_token"], "RT-from-grant-77aa66bb55cc");
        assert_eq!(saved["access_token"], "AT-minted-1-5e4d3c2b1a09");
        assert_eq!(saved["state"], "valid");
        // Exchanged once: the token is now used through its refresh token.
        let printed = w.run_unscanned(&["token", "1", "--min-valid", "2h"]).ok();
        assert_eq!(printed, "AT-minted-2-5e4d3c2b1a09\n");
        let last = w.zoho.requests().pop().unwrap();
        assert_eq!(last.params["grant_type"], "refresh_token");
        assert_eq!(w.zoho.requests().len(), 2);
    });
}

// ---------------------------------------------------------------------
// revoke, delete --revoke

#[test]
fn revoke_deletes_only_what_zoho_revoked_unless_forced() {
    each_store(|store| {
        let exp = Some(now_ms() + 3_600_000);
        let tokens = [
            token_json("1", "alice@example.com", "alice", exp),
            token_json("2", "bob@example.com", "revoked", exp),
            token_json("3", "carol@example.com", "carol", exp),
            token_json("4", "dave@example.com", "dave", exp),
            token_json("5", "erin@example.com", "limited", exp),
            token_json("6", "frank@example.com", "revoked-frank", exp),
        ];
        let w = World::new(store, &tokens);

        let run = w.run(&["revoke", "--user", "alice@example.com"]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert_eq!(
            run.stdout,
            "token 1 (alice@example.com): revoked at Zoho and deleted\n"
        );
        let r = &w.zoho.requests()[0];
        assert_eq!(r.path, REVOKE_PATH);
        assert_eq!(r.params["token"], "RT-alice-9f8e7d6c5b4a");
        assert!(!w.tokens().contains_key("1"));

        // Zoho says no (HTTP 400): the token stays, exit 1.
        let run = w.run(&["revoke", "2"]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(run.stdout.contains("not revoked") && run.stdout.contains("kept"));
        assert!(w.tokens().contains_key("2"));
        // --force deletes it all the same (and still says it failed).
        let run = w.run(&["revoke", "2", "--force"]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(run.stdout.contains("deleted"), "{}", run.stdout);
        assert!(!w.tokens().contains_key("2"));

        let run = w.run(&["delete", "--revoke", "5"]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(
            run.stdout.contains("kept (`--force` deletes it anyway)"),
            "{}",
            run.stdout
        );
        assert!(w.tokens().contains_key("5"));
        // delete --revoke is the same from the delete side.
        let run = w.run(&["delete", "--revoke", "3"]);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert!(run.stdout.contains("revoked at Zoho and deleted"));
        assert!(!w.tokens().contains_key("3"));
        assert_eq!(w.zoho.count(REVOKE_PATH), 5);
        // delete --revoke --force, as revoke --force: deleted, and exit 1
        // because Zoho did not revoke it; --force alone is a usage error.
        let err = w.run(&["delete", "--force", "6"]);
        assert_eq!(err.code, Some(2), "{}", err.stderr);
        assert!(w.tokens().contains_key("6"));
        let run = w.run(&["delete", "--revoke", "--force", "6"]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(run.stdout.contains("deleted"), "{}", run.stdout);
        assert!(!w.tokens().contains_key("6"));

        // Zoho unreachable: nothing deleted.
        let run = w.run(&["revoke", "4", "--accounts-url", "http://127.0.0.1:9"]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(run.stdout.contains("cannot reach the accounts server"));
        assert!(w.tokens().contains_key("4"));
        // Too many requests, answered as HTTP 429 with an HTML page: the
        // back-off message, nothing deleted.
        let run = w.run(&["revoke", "5"]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(
            run.stdout.contains("10 access tokens in 10 minutes"),
            "{}",
            run.stdout
        );
        assert!(w.tokens().contains_key("5"));
        let missing = w.run(&["revoke", "99"]);
        assert_eq!(missing.code, Some(3), "{}", missing.stderr);
    });
}

/// Two rows with one refresh token (a copied row, an application that
/// saved the user twice): it is revoked once, and both rows go.
#[test]
fn a_refresh_token_held_by_two_rows_is_revoked_once() {
    let exp = Some(now_ms() + 3_600_000);
    let tokens = [
        token_json("1", "alice@example.com", "alice", exp),
        token_json("2", "alice@example.com", "alice", exp),
    ];
    let w = World::new(|env| stores(env)[0].clone(), &tokens);
    let run = w.run(&["revoke", "--user", "alice@example.com"]);
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(w.zoho.count(REVOKE_PATH), 1);
    assert!(w.tokens().is_empty(), "{}", run.stdout);
}

// ---------------------------------------------------------------------
// check

#[test]
fn check_finds_revoked_tokens_without_changing_the_store_and_purges_on_request() {
    each_store(|store| {
        let now = now_ms();
        let mut dead = token_json("4", "dave@example.com", "dave", Some(now - 1000));
        dead["refresh_token"] = serde_json::Value::Null;
        let tokens = [
            token_json("1", "alice@example.com", "alice", Some(now - 1000)),
            token_json("2", "bob@example.com", "revoked", Some(now - 1000)),
            token_json("3", "carol@example.com", "badclient", Some(now + 3_600_000)),
            dead,
        ];
        let w = World::new(store, &tokens);
        let before = w.tokens();

        // Without --all: only the tokens due for a refresh (1, 2, 4).
        let run = w.run(&["check"]);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        let lines: Vec<&str> = run.stdout.lines().collect();
        assert_eq!(lines.len(), 3, "{}", run.stdout);
        assert!(lines[0].starts_with("token 1 (alice@example.com): alive"));
        assert!(lines[1].starts_with("token 2 (bob@example.com): revoked"));
        assert!(lines[2].starts_with("token 4 (dave@example.com): dead"));
        assert!(run.stderr.contains("check --purge"), "{}", run.stderr);
        assert_eq!(w.tokens(), before, "check changed the store");

        let json = w.run(&["check", "--all", "--json"]);
        assert_eq!(json.code, Some(1));
        let report: Vec<serde_json::Value> = serde_json::from_str(&json.stdout).unwrap();
        let states: Vec<(&str, &str)> = report
            .iter()
            .map(|r| (r["id"].as_str().unwrap(), r["state"].as_str().unwrap()))
            .collect();
        assert_eq!(
            states,
            [
                ("1", "alive"),
                ("2", "revoked"),
                ("3", "revoked"),
                ("4", "dead")
            ]
        );
        assert_eq!(report[2]["error"], "invalid_client");
        assert_eq!(w.tokens(), before);

        let run = w.run(&["check", "--all", "--purge"]);
        assert_eq!(run.code, Some(1));
        assert!(run
            .stdout
            .contains("revoked (Zoho refused it with `invalid_code`"));
        let left: Vec<String> = {
            let mut ids: Vec<String> = w.tokens().into_keys().collect();
            ids.sort();
            ids
        };
        // Token 3's invalid_client came from the --accounts-url server, not
        // the one its api_domain names: perhaps the wrong data centre (where
        // Zoho knows no such client), so it is kept.
        assert!(
            run.stdout.contains(
                "token 3 (carol@example.com): revoked (Zoho refused it with `invalid_client`"
            ),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("kept"), "{}", run.stdout);
        assert_eq!(left, ["1", "3", "4"], "purge kept or took the wrong tokens");
        let ok = w.run(&["check", "1"]);
        assert_eq!(ok.code, Some(0), "{}", ok.stderr);
    });
}

// ---------------------------------------------------------------------
// In the library: a write run again does not ask Zoho again.

/// An application rewrites the file while Zoho answers: the write is
/// refused as changed and runs again on the application's file, with the
/// access token already fetched; Zoho is asked once, and both the
/// application's token and the refreshed one are in the file.
#[test]
fn a_refresh_run_again_after_the_file_changed_asks_zoho_once() {
    use tokenstore::ops::access::{make_fresh, Outcome, Settings};
    use tokenstore::store::TokenStoreExt;

    let env = TestEnv::new();
    let path = env.path("t.csv");
    let uri = format!("file:{}", path.display());
    let alice = token_json("1", "alice@example.com", "alice", Some(now_ms() - 1000));
    env.run_with_stdin(
        &["--store", &uri, "save", "--input", "-", "-q"],
        &format!("{alice}\n"),
    )
    .ok();
    let zoho = FakeZoho::start();
    // The "SDK": truncate and write its own view of the store, one more user.
    let app = format!(
        "{}{}\n",
        std::fs::read_to_string(&path).unwrap(),
        "2,app@example.com,,,,AT-app-0a0b0c0d0e0f,,,,"
    );
    let (write_to, written) = (path.clone(), app.clone());
    zoho.state.lock().unwrap().on_token_request = Some(Box::new(move || {
        std::fs::write(&write_to, written).unwrap();
    }));

    let mut store =
        tokenstore::store::open(&tokenstore::uri::StoreUri::parse(&uri).unwrap()).unwrap();
    let accounts = tokenstore::zoho::Accounts::new();
    let settings = Settings {
        accounts: &accounts,
        accounts_url: Some(&zoho.url),
        margin_ms: 300_000,
    };
    let listed = store.find_token_by_id("1").unwrap().unwrap();
    let (token, outcome) = make_fresh(store.as_mut(), listed, &settings, false)
        .unwrap()
        .unwrap();
    assert!(matches!(outcome, Outcome::Refreshed), "{outcome:?}");
    assert_eq!(
        token.access_token.unwrap().expose(),
        "AT-minted-1-5e4d3c2b1a09"
    );
    assert_eq!(
        zoho.count(TOKEN_PATH),
        1,
        "Zoho was asked again on the re-run"
    );
    let users: Vec<(String, String)> = store
        .get_tokens()
        .unwrap()
        .into_iter()
        .map(|t| {
            (
                t.user_name.unwrap(),
                t.access_token.unwrap().expose().to_string(),
            )
        })
        .collect();
    assert_eq!(
        users,
        [
            (
                "alice@example.com".into(),
                "AT-minted-1-5e4d3c2b1a09".into()
            ),
            ("app@example.com".into(), "AT-app-0a0b0c0d0e0f".into())
        ]
    );
}

/// The application authorises the user again (a new refresh token and a
/// fresh access token) while Zoho answers tokenstore's refresh of the old
/// one: the write runs again on the application's file and must not put
/// the access token of the old session over the application's new one.
#[test]
fn a_refresh_run_again_keeps_a_token_the_application_replaced_meanwhile() {
    use tokenstore::ops::access::{make_fresh, Outcome, Settings};
    use tokenstore::store::TokenStoreExt;

    let env = TestEnv::new();
    let path = env.path("t.csv");
    let uri = format!("file:{}", path.display());
    let alice = token_json("1", "alice@example.com", "alice", Some(now_ms() - 1000));
    env.run_with_stdin(
        &["--store", &uri, "save", "--input", "-", "-q"],
        &format!("{alice}\n"),
    )
    .ok();
    let zoho = FakeZoho::start();
    let header = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_string();
    let app = format!(
        "{header}\n1,alice@example.com,1000.CLIENTID,{CLIENT_SECRET},RT-reauth-0a0b0c0d0e0f,\
         AT-reauth-0a0b0c0d0e0f,,{},https://app.example.com/cb,https://www.zohoapis.com\n",
        now_ms() + 3_600_000
    );
    let (write_to, written) = (path.clone(), app.clone());
    zoho.state.lock().unwrap().on_token_request = Some(Box::new(move || {
        std::fs::write(&write_to, written).unwrap();
    }));

    let mut store =
        tokenstore::store::open(&tokenstore::uri::StoreUri::parse(&uri).unwrap()).unwrap();
    let accounts = tokenstore::zoho::Accounts::new();
    let settings = Settings {
        accounts: &accounts,
        accounts_url: Some(&zoho.url),
        margin_ms: 300_000,
    };
    let listed = store.find_token_by_id("1").unwrap().unwrap();
    let (token, outcome) = make_fresh(store.as_mut(), listed, &settings, false)
        .unwrap()
        .unwrap();
    assert!(matches!(outcome, Outcome::StillValid), "{outcome:?}");
    assert_eq!(
        token.access_token.unwrap().expose(),
        "AT-reauth-0a0b0c0d0e0f"
    );
    assert_eq!(zoho.count(TOKEN_PATH), 1);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        app,
        "the application's token was overwritten"
    );
}

// ---------------------------------------------------------------------
// Files the SDKs wrote keep their layout.

/// A refresh in files written by the Python 2.x SDK (9 columns, CRLF,
/// string ids, no api_domain) and the Node 8 SDK (no final newline):
/// only the access token and expiry of the refreshed rows change; every
/// other byte of the file stays as the SDK wrote it.
#[test]
fn a_refresh_keeps_the_layout_of_files_the_sdks_wrote() {
    for (fixture, ids) in [
        (
            "python-sdk2-filestore.csv",
            ["python_alice_us_prd_0001", "python_bob_us_prd_0002"],
        ),
        ("nodejs-sdk8-filestore.csv", ["1", "2"]),
    ] {
        let env = TestEnv::new();
        let path = env.fixture(fixture);
        let store = format!("file:{}", path.display());
        let zoho = FakeZoho::start();
        let before = std::fs::read_to_string(&path).unwrap();
        let mut args = vec!["--store", store.as_str(), "refresh"];
        args.extend(ids);
        let out = env
            .cmd()
            .env("TOKENSTORE_ACCOUNTS_URL", &zoho.url)
            .args(&args)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{fixture}: {stdout}");
        for secret in ["1000.rt.", "1000.at.", "a1b2c3d4e5f6", "AT-minted"] {
            assert!(!stdout.contains(secret), "{fixture}: {stdout}");
        }
        assert_eq!(zoho.count(TOKEN_PATH), 2, "{fixture}");
        let after = std::fs::read_to_string(&path).unwrap();
        assert_eq!(after.ends_with('\n'), before.ends_with('\n'), "{fixture}");
        let (old, new): (Vec<&str>, Vec<&str>) =
            (before.split('\n').collect(), after.split('\n').collect());
        assert_eq!(old.len(), new.len(), "{fixture}");
        for (was, now) in old.iter().zip(&new) {
            let id = was.split(',').next().unwrap_or_default();
            if !ids.contains(&id) {
                assert_eq!(was, now, "{fixture}: a row that was not refreshed changed");
                continue;
            }
            let (was, now): (Vec<&str>, Vec<&str>) =
                (was.split(',').collect(), now.split(',').collect());
            assert_eq!(was.len(), now.len(), "{fixture}: the row's width changed");
            for i in 0..was.len() {
                match i {
                    5 => assert!(now[5].starts_with("AT-minted-"), "{fixture}: {now:?}"),
                    7 => assert!(now[7].parse::<i64>().unwrap() > now_ms()),
                    _ => assert_eq!(was[i], now[i], "{fixture}: field {i} changed"),
                }
            }
        }
    }
}

/// `refresh --all | head -1`: a reader that stops early neither stops the
/// refresh (every token is still asked for and saved) nor hides a failure
/// (exit 1 and the notice stand).
#[test]
fn a_refresh_whose_reader_stops_early_refreshes_every_token_and_reports_failures() {
    let now = now_ms();
    let tokens = [
        token_json("1", "alice@example.com", "alice", Some(now - 1000)),
        token_json("2", "carol@example.com", "revoked", Some(now - 1000)),
        token_json("3", "erin@example.com", "erin", Some(now - 1000)),
    ];
    let w = World::new(
        |env| format!("sqlite:{}", env.path("t.db").display()),
        &tokens,
    );
    let mut cmd = w.env.std_cmd();
    cmd.env("TOKENSTORE_ACCOUNTS_URL", &w.zoho.url).args([
        "--store",
        w.store.as_str(),
        "refresh",
        "--all",
    ]);
    let out = common::run_to(cmd, common::BadStdout::Closed, "");
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("1 of 3 tokens could not be refreshed"),
        "{}",
        out.stderr
    );
    w.assert_no_secret(&out.stderr, &["refresh"]);
    let after = w.tokens();
    for id in ["1", "3"] {
        let access = after[id]["access_token"].as_str().unwrap();
        assert!(access.starts_with("AT-minted-"), "token {id}: {access}");
    }
}
