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
        .args(["--store", &format!("{user}:@{tail}"), "list", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
