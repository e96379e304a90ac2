//! Shared test helpers: temp dirs, the real binary, fixtures, and the MySQL
//! and PostgreSQL servers that `scripts/test.sh` starts.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use assert_cmd::Command;
use tokenstore::token::{Token, FIELD_NAMES};

/// A temp dir and a clean environment for running the binary.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `tokenstore` with no inherited store, colour or data dir.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("tokenstore").expect("binary built");
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(self.dir.path());
        cmd
    }

    /// The same as a `std::process::Command`, for tests that wire its
    /// standard streams themselves.
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("tokenstore"));
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("XDG_DATA_HOME", self.dir.path().join("data"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(self.dir.path());
        cmd
    }

    /// Runs the binary with these arguments and no standard input; the
    /// result must be looked at (`Run` is `#[must_use]`, as jj's runner).
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let out = self.cmd().args(args).write_stdin(stdin).output().unwrap();
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `save --user-name USER --access-token ACCESS` into `store`, which
    /// must succeed.
    pub fn save_user(&self, store: &str, user: &str, access: &str) {
        self.cmd()
            .args([
                "--store",
                store,
                "save",
                "--user-name",
                user,
                "--access-token",
                access,
            ])
            .assert()
            .success();
    }

    /// Copies a fixture into the temp dir; returns its path.
    pub fn fixture(&self, name: &str) -> PathBuf {
        let to = self.path(name);
        std::fs::copy(fixture_path(name), &to).expect("copy fixture");
        to
    }
}

/// Where a run's standard output goes when it cannot be written.
#[derive(Clone, Copy, Debug)]
pub enum BadStdout {
    /// `/dev/full`: every write fails with "No space left on device".
    Full,
    /// A pipe whose reader has gone: every write fails with EPIPE.
    Closed,
}

/// Runs `cmd` with `stdin` and its standard output going to `stdout`.
pub fn run_to(mut cmd: std::process::Command, stdout: BadStdout, stdin: &str) -> Run {
    use std::io::Write;
    let sink: std::process::Stdio = match stdout {
        BadStdout::Full => std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
            .into(),
        BadStdout::Closed => {
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            writer.into()
        }
    };
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(sink)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code(),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// What a run of the binary gave.
#[must_use]
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns stdout.
    pub fn ok(self) -> String {
        assert_eq!(self.code, Some(0), "failed: {}", self.stderr);
        self.stdout
    }

    /// Asserts this exit code and one stderr line; returns that line.
    pub fn fails(self, code: i32) -> String {
        assert_eq!(
            self.code,
            Some(code),
            "stdout: {} stderr: {}",
            self.stdout,
            self.stderr
        );
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "not one line: {}",
            self.stderr
        );
        self.stderr
    }
}

pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The tokens and clock of a fixture's `.expected.json`.
pub fn expected(name: &str) -> (i64, Vec<Token>) {
    let text = std::fs::read_to_string(fixture_path(name)).expect("expected json");
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    let now = value["now_ms"].as_i64().expect("now_ms");
    let tokens = value["tokens"]
        .as_array()
        .expect("tokens")
        .iter()
        .map(|t| {
            let fields = FIELD_NAMES.map(|f| t[f].as_str().map(str::to_owned));
            Token::from_fields(fields)
        })
        .collect();
    (now, tokens)
}

/// A token from (field, value) pairs.
pub fn token(pairs: &[(&str, &str)]) -> Token {
    let mut fields: [Option<String>; 10] = Default::default();
    for (name, value) in pairs {
        let i = FIELD_NAMES
            .iter()
            .position(|f| f == name)
            .unwrap_or_else(|| panic!("no field {name}"));
        fields[i] = Some(value.to_string());
    }
    Token::from_fields(fields)
}

/// A test that cannot run on this system: fails in CI (where it must run),
/// says so and skips elsewhere.
pub fn cannot_run_here(why: &str) {
    assert!(std::env::var_os("CI").is_none(), "cannot run in CI: {why}");
    eprintln!("SKIPPED: {why}");
}

/// The MySQL server of `scripts/test.sh`. Its tests fail, never skip, when
/// it is missing, unless TOKENSTORE_SKIP_MYSQL=1 is set outside CI.
pub fn mysql_base_uri() -> Option<String> {
    if !cfg!(feature = "mysql") {
        return None; // a build without the backend has no MySQL to test
    }
    if let Ok(uri) = std::env::var("TOKENSTORE_TEST_MYSQL_URI") {
        return Some(uri);
    }
    let in_ci = std::env::var_os("CI").is_some();
    if !in_ci && std::env::var("TOKENSTORE_SKIP_MYSQL").as_deref() == Ok("1") {
        eprintln!("MySQL tests SKIPPED: TOKENSTORE_SKIP_MYSQL=1");
        return None;
    }
    panic!(
        "TOKENSTORE_TEST_MYSQL_URI is not set: run the suite with `bash scripts/test.sh`, \
         which starts MariaDB (or set TOKENSTORE_SKIP_MYSQL=1 locally)"
    );
}

/// The PostgreSQL server of `scripts/test.sh`. Its tests fail, never skip,
/// when it is missing, unless TOKENSTORE_SKIP_PG=1 is set outside CI.
pub fn pg_base_uri() -> Option<String> {
    if !cfg!(feature = "postgres") {
        return None; // a build without the backend has no PostgreSQL to test
    }
    if let Ok(uri) = std::env::var("TOKENSTORE_TEST_PG_URI") {
        return Some(uri);
    }
    let in_ci = std::env::var_os("CI").is_some();
    if !in_ci && std::env::var("TOKENSTORE_SKIP_PG").as_deref() == Ok("1") {
        eprintln!("PostgreSQL tests SKIPPED: TOKENSTORE_SKIP_PG=1");
        return None;
    }
    panic!(
        "TOKENSTORE_TEST_PG_URI is not set: run the suite with `bash scripts/test.sh`, \
         which starts PostgreSQL (or set TOKENSTORE_SKIP_PG=1 locally)"
    );
}

/// A PostgreSQL URI for a fresh table of its own.
pub fn pg_uri(prefix: &str) -> Option<String> {
    let base = pg_base_uri()?;
    Some(with_option(
        &base,
        &format!("table={}", unique_table(prefix)),
    ))
}

/// `uri` with one more `?` option.
pub fn with_option(uri: &str, option: &str) -> String {
    let separator = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{separator}{option}")
}

/// A URI on every database server of the test run (MySQL, PostgreSQL),
/// each for a fresh table of its own.
pub fn server_uris(prefix: &str) -> Vec<String> {
    let mut uris: Vec<String> = mysql_uri(prefix).into_iter().collect();
    uris.extend(pg_uri(prefix));
    uris
}

/// The test CA of `scripts/test.sh` (it signed both servers' certificates).
pub fn test_ca() -> Option<String> {
    std::env::var("TOKENSTORE_TEST_CA").ok()
}

/// A connection of its own to the PostgreSQL test server (over TLS,
/// checked against the test CA, when the server has it).
#[cfg(feature = "postgres")]
pub fn pg_conn(base: &str) -> postgres::Client {
    let (base, _) = base.split_once('?').unwrap_or((base, ""));
    let Some(ca) = test_ca() else {
        return postgres::Client::connect(base, postgres::NoTls).unwrap();
    };
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let url = format!("{base}?sslmode=require");
    postgres::Client::connect(&url, tokio_postgres_rustls::MakeRustlsConnect::new(config)).unwrap()
}

/// The table a server test URI names (its last option).
pub fn table_of(uri: &str) -> &str {
    uri.rsplit_once("table=").expect("a table option").1
}

/// A connection of its own to the test server, for setting up tables.
#[cfg(feature = "mysql")]
pub fn mysql_conn(base: &str) -> mysql::Conn {
    let (base, _) = base.split_once('?').unwrap_or((base, ""));
    let opts = mysql::OptsBuilder::from_opts(mysql::Opts::from_url(base).unwrap());
    let opts = match test_ca() {
        Some(ca) => opts.ssl_opts(
            mysql::SslOpts::default().with_root_cert_path(Some(std::path::PathBuf::from(ca))),
        ),
        None => opts,
    };
    mysql::Conn::new(opts).unwrap()
}

/// A table name no other test uses.
pub fn unique_table(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A MySQL URI for a fresh table of its own.
pub fn mysql_uri(prefix: &str) -> Option<String> {
    let base = mysql_base_uri()?;
    Some(with_option(
        &base,
        &format!("table={}", unique_table(prefix)),
    ))
}

/// Runs `tokenstore ARGS` on a real pseudo-terminal (util-linux `script`),
/// typing `answer` once the program is up; returns the exit code and what
/// the terminal showed.
pub fn on_terminal(env: &TestEnv, args: &str, answer: &str) -> (Option<i32>, String) {
    let command = format!(
        "{} {args}",
        assert_cmd::cargo::cargo_bin("tokenstore").display()
    );
    let out = std::process::Command::new("script")
        .args(["-qefc", &command, "/dev/null"])
        .current_dir(env.dir.path())
        .env("TERM", "dumb")
        .env("HOME", env.dir.path())
        .env("XDG_DATA_HOME", env.dir.path().join("data"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            // Type only once the prompt is up, as a person would.
            std::thread::sleep(std::time::Duration::from_millis(500));
            child.stdin.take().unwrap().write_all(answer.as_bytes())?;
            child.wait_with_output()
        })
        .expect("script(1) from util-linux");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}
