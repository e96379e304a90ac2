//! The committed shell completions (`completions/`) and man pages (`man/`)
//! match the CLI. Regenerate them with:
//!     UPDATE_GENERATED=1 cargo test --test generated

use std::path::Path;

use clap::CommandFactory;
use clap_complete::{Generator, Shell};
use tokenstore::cli::Cli;

/// Sections the top page adds to what clap_mangen renders, in roff.
const TOP_SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
0
Success (also when a reader such as head closes the pipe early).
.TP
1
Failure: I/O, backend, a corrupt store, a store that is not there, an unreachable server, a dry run whose real run would fail; for token, refresh, revoke and check: Zoho refused a token or could not be reached.
.TP
2
Usage error: bad flags, a malformed store URI, bad input, a declined confirmation.
.TP
3
Nothing found: find, find\-by\-id, delete \-\-strict, token; an id or user without a token in refresh, revoke and check.
.SH ENVIRONMENT
.TP
TOKENSTORE_URI
The store, when \-\-store is not given.
.TP
TOKENSTORE_MYSQL_PASSWORD
The MySQL password, when the URI has none (or an empty one).
.TP
TOKENSTORE_PG_PASSWORD, PGPASSWORD
The PostgreSQL password, when the URI has none (or an empty one); then ~/.pgpass (or PGPASSFILE), when only its owner can read it.
.TP
TOKENSTORE_ACCOUNTS_URL
Zoho's accounts server for token, refresh, revoke and check, instead of the one each token's api_domain names (https, or http to 127.0.0.1 and localhost).
.TP
NO_COLOR
When set, no colour on a terminal.
.SH FILES
.TP
~/.local/share/tokenstore/tokens.db
The default store (the data folder of the dirs crate), created on the first write, 0600 in a 0700 folder.
.TP
PATH.lock
Beside a file: store, the lock that serialises tokenstore writers.
"#;

/// Sections every subcommand page adds.
const SUB_SECTIONS: &str = r#".SH "EXIT STATUS"
0 success, 1 failure, 2 usage error, 3 nothing found; see tokenstore(1).
"#;

/// A man page: clap_mangen's sections, then EXAMPLES from the command's
/// after-help (unfilled, so neither justified nor hyphenated), `extra`,
/// SEE ALSO and VERSION.
fn man_page(cmd: &clap::Command, extra: &str, see_also: &str) -> Vec<u8> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    man.render_synopsis_section(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut out).unwrap();
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut out).unwrap();
    }
    if let Some(help) = cmd.get_after_help() {
        let text = help.to_string();
        let examples: Vec<&str> = text
            .lines()
            .skip_while(|l| !l.starts_with("Example"))
            .skip(1)
            .take_while(|l| !l.trim().is_empty())
            .collect();
        if !examples.is_empty() {
            out.extend(b".SH EXAMPLES\n.nf\n.nh\n");
            for line in examples {
                let line = line.trim_start().replace('\\', "\\e").replace('-', "\\-");
                out.extend(line.as_bytes());
                out.push(b'\n');
            }
            out.extend(b".hy\n.fi\n");
        }
    }
    out.extend(extra.as_bytes());
    out.extend(format!(".SH \"SEE ALSO\"\n{see_also}\n").as_bytes());
    man.render_version_section(&mut out).unwrap();
    out
}

/// Compares `content` with the committed file, or rewrites it when updating.
fn check(relative: &str, content: &[u8], stale: &mut Vec<String>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
    } else if std::fs::read(&path).ok().as_deref() != Some(content) {
        stale.push(relative.to_string());
    }
}

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let mut stale = Vec::new();
    let mut cmd = Cli::command();
    cmd.build();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::Elvish,
        Shell::PowerShell,
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd, "tokenstore", &mut out);
        check(
            &format!("completions/{}", shell.file_name("tokenstore")),
            &out,
            &mut stale,
        );
    }
    let pages: Vec<String> = cmd
        .get_subcommands()
        .filter(|s| s.get_name() != "help")
        .map(|s| format!("tokenstore-{}", s.get_name()))
        .collect();
    let see_also: Vec<String> = pages.iter().map(|p| format!("{p}(1)")).collect();
    let out = man_page(&cmd, TOP_SECTIONS, &see_also.join(", "));
    let text = String::from_utf8_lossy(&out);
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "EXAMPLES",
        "\"EXIT STATUS\"",
        "ENVIRONMENT",
        "FILES",
        "\"SEE ALSO\"",
        "VERSION",
    ] {
        assert!(
            text.contains(&format!(".SH {section}\n")),
            "tokenstore.1 lacks {section}"
        );
    }
    assert!(text.contains("TOKENSTORE_MYSQL_PASSWORD") && text.contains("NO_COLOR"));
    assert!(text.contains("TOKENSTORE_PG_PASSWORD"));
    assert!(text.contains("TOKENSTORE_ACCOUNTS_URL"));
    check("man/tokenstore.1", &out, &mut stale);
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("tokenstore-{}", sub.get_name());
        // A subcommand page shows the tool's version in its footer too.
        let page = sub
            .clone()
            .name(name.clone().leak() as &str)
            .version(tokenstore::cli::VERSION);
        let out = man_page(&page, SUB_SECTIONS, "tokenstore(1)");
        check(&format!("man/{name}.1"), &out, &mut stale);
    }
    // Every page SEE ALSO names exists.
    for page in &pages {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("man/{page}.1"));
        assert!(
            path.exists() || std::env::var_os("UPDATE_GENERATED").is_some(),
            "{page}"
        );
    }
    assert!(
        stale.is_empty(),
        "out of date: {stale:?}; run `UPDATE_GENERATED=1 cargo test --test generated`"
    );
}

/// `tokenstore completion SHELL` prints the same script as the committed one.
#[test]
fn the_completion_command_prints_the_committed_scripts() {
    for (shell, file) in [
        ("bash", "tokenstore.bash"),
        ("zsh", "_tokenstore"),
        ("fish", "tokenstore.fish"),
    ] {
        let out = assert_cmd::Command::cargo_bin("tokenstore")
            .unwrap()
            .args(["completion", shell])
            .output()
            .unwrap();
        assert!(out.status.success());
        let committed = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("completions")
                .join(file),
        )
        .unwrap();
        assert!(
            out.stdout == committed,
            "{shell}: differs from completions/{file}"
        );
    }
}

#[test]
fn bash_completes_the_uri_schemes_of_store_flags() {
    let script = assert_cmd::Command::cargo_bin("tokenstore")
        .unwrap()
        .args(["completion", "bash"])
        .output()
        .unwrap()
        .stdout;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokenstore.bash");
    std::fs::write(&path, script).unwrap();
    // What bash offers after `tokenstore list --store sq<TAB>` and
    // `tokenstore migrate --to <TAB>`.
    let complete = |words: &str| {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "source {}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
                 _tokenstore tokenstore \"${{COMP_WORDS[COMP_CWORD]}}\" \
                 \"${{COMP_WORDS[COMP_CWORD - 1]}}\"; echo \"${{COMPREPLY[*]}}\"",
                path.display()
            ))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    assert_eq!(complete("tokenstore list --store sq"), "sqlite:");
    let all = complete("tokenstore migrate --to ''");
    for scheme in ["memory:", "file:", "sqlite:"] {
        assert!(all.split(' ').any(|s| s == scheme), "{all}");
    }
}
