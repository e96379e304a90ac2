//! The committed shell completions (`completions/`) and man pages (`man/`)
//! match the CLI. Regenerate them with:
//!     UPDATE_GENERATED=1 cargo test --test generated

use std::path::Path;

use clap::CommandFactory;
use clap_complete::{Generator, Shell};
use tokenstore::cli::Cli;

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
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out).unwrap();
    check("man/tokenstore.1", &out, &mut stale);
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("tokenstore-{}", sub.get_name());
        let mut out = Vec::new();
        clap_mangen::Man::new(sub.clone().name(name.clone().leak() as &str))
            .render(&mut out)
            .unwrap();
        check(&format!("man/{name}.1"), &out, &mut stale);
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
