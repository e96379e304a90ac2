use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use tokenstore::{cli::Cli, commands, Exit};

/// Parses the command line; notes whether the store came from
/// TOKENSTORE_URI, so errors about it can say so.
fn parse() -> Result<Cli, clap::Error> {
    let matches = Cli::command().try_get_matches()?;
    let mut cli = Cli::from_arg_matches(&matches)?;
    cli.store_from_env =
        matches.value_source("store") == Some(clap::parser::ValueSource::EnvVariable);
    Ok(cli)
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                Exit::Usage
            } else {
                Exit::Success
            } as u8);
        }
    };
    let outcome = commands::run(cli);
    // What the command printed went through `output::ReportOut`: a failed
    // write to standard output never stopped it, so its exit code stands.
    let unprinted =
        tokenstore::output::stdout_error().filter(|e| e.kind() != std::io::ErrorKind::BrokenPipe);
    let code = match outcome {
        Ok(code) => match unprinted {
            Some(e) => {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "tokenstore: error: cannot write to standard output: {e}; the command \
                     itself ran to its end (its notices say what it did), only its output \
                     is incomplete"
                );
                if code == Exit::Success {
                    Exit::Failure
                } else {
                    code
                }
            }
            None => code,
        },
        Err(e) if is_broken_pipe(&e) => Exit::Success,
        Err(e) => {
            // One line, with the cause chain; store errors never hold secrets.
            let message = format!("{e:#}");
            let message = tokenstore::output::safe(&message);
            let _ = writeln!(std::io::stderr().lock(), "tokenstore: error: {message}");
            tokenstore::exit_code(&e)
        }
    };
    ExitCode::from(code as u8)
}

/// A reader that stopped reading (`tokenstore list | head`) is not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        // serde_json and csv hide the io::Error they met behind their own.
        let kind = if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            Some(io.kind())
        } else if let Some(json) = cause.downcast_ref::<serde_json::Error>() {
            json.io_error_kind()
        } else if let Some(csv) = cause.downcast_ref::<csv::Error>() {
            match csv.kind() {
                csv::ErrorKind::Io(io) => Some(io.kind()),
                _ => None,
            }
        } else {
            None
        };
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}
