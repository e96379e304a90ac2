//! One file per subcommand, each a `run` over the parsed arguments.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result};

use crate::cli::{Cli, Command, OutputArgs, TokenFields};
use crate::output::Style;
use crate::store::{self, StoreError, TokenStore};
use crate::token::{now_ms, Token};
use crate::uri::StoreUri;
use crate::{Exit, UsageError};

mod check;
mod delete;
mod find;
mod index;
mod info;
mod list;
mod migrate;
mod purge;
mod refresh;
mod revoke;
mod save;
mod token;

pub fn run(cli: Cli) -> Result<Exit> {
    crate::output::set_quiet(cli.quiet);
    let store = StoreArg {
        text: cli.store.as_deref(),
        from_env: cli.store_from_env,
    };
    match cli.command {
        Command::Save(args) => save::run(store, args),
        Command::Find(args) => find::run(store, args),
        Command::FindById(args) => find::run_by_id(store, args),
        Command::List(args) => list::run(store, args),
        Command::Delete(args) => delete::run(store, args),
        Command::Purge(args) => purge::run(store, args),
        Command::Migrate(args) => migrate::run(store, args),
        Command::Info(args) => info::run(store, args),
        Command::Index(args) => index::run(store, args),
        Command::Token(args) => token::run(store, args),
        Command::Refresh(args) => refresh::run(store, args),
        Command::Revoke(args) => revoke::run(store, args),
        Command::Check(args) => check::run(store, args),
        Command::Version(args) => {
            let mut out = stdout();
            if args.json {
                let value = serde_json::json!({
                    "version": env!("CARGO_PKG_VERSION"),
                    "backends": crate::cli::BACKENDS,
                });
                crate::output::line(&mut out, &value.to_string())?;
            } else {
                crate::output::line(&mut out, &format!("tokenstore {}", crate::cli::VERSION))?;
            }
            Ok(Exit::Success)
        }
        Command::Completion(args) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut out = stdout();
            clap_complete::generate(args.shell, &mut command, "tokenstore", &mut out);
            std::io::Write::flush(&mut out)?;
            Ok(Exit::Success)
        }
    }
}

/// The store the command line names: `--store`, TOKENSTORE_URI, or none
/// (the default store).
#[derive(Clone, Copy)]
pub struct StoreArg<'a> {
    pub text: Option<&'a str>,
    pub from_env: bool,
}

impl StoreArg<'_> {
    /// The URI; a malformed one is a usage error that says where it came from.
    pub(crate) fn uri(&self) -> Result<StoreUri> {
        match self.text {
            Some(text) => StoreUri::parse(text).map_err(|e| {
                let e = anyhow::Error::new(e);
                if self.from_env {
                    e.context("the store URI in TOKENSTORE_URI is not valid")
                } else {
                    e
                }
            }),
            None => store::default_uri(),
        }
    }

    /// Parses and opens the store; errors name it (password hidden).
    pub(crate) fn open(&self) -> Result<(StoreUri, Box<dyn TokenStore>)> {
        let uri = self.uri()?;
        let opened = store::open(&uri).with_context(|| format!("cannot open {uri}"))?;
        Ok((uri, opened))
    }

    /// Opens a store that must exist: commands that act on existing tokens
    /// never succeed silently on a mistyped name. `first_run_ok`: a read of
    /// the default store (no --store, no TOKENSTORE_URI) may find none yet.
    pub(crate) fn open_existing(
        &self,
        first_run_ok: bool,
    ) -> Result<(StoreUri, Box<dyn TokenStore>)> {
        let (uri, mut opened) = self.open()?;
        let first_run = first_run_ok && self.text.is_none();
        if !first_run && !opened.exists()? {
            let hint = near_name(&uri)
                .map(|near| format!("; did you mean {near}?"))
                .unwrap_or_default();
            return Err(StoreError::Missing(format!(
                "no store at {uri} (nothing was changed){hint}"
            ))
            .into());
        }
        Ok((uri, opened))
    }
}

/// The exit of a command that asked Zoho about several tokens: 1 if any
/// failed, else 3 if an id or user had no token, else 0.
pub(crate) fn zoho_exit(any_failed: bool, any_missing: bool) -> Exit {
    if any_failed {
        Exit::Failure
    } else if any_missing {
        Exit::NotFound
    } else {
        Exit::Success
    }
}

/// A file beside a missing store's path whose name is close to it.
fn near_name(uri: &StoreUri) -> Option<String> {
    let (path, scheme) = match uri {
        StoreUri::File { path, .. } => (path, "file"),
        StoreUri::Sqlite { path, .. } => (path, "sqlite"),
        _ => return None,
    };
    let name = path.file_name()?.to_string_lossy().into_owned();
    let folder = crate::store::fsutil::folder_of(path);
    let mut best: Option<(usize, String)> = None;
    for entry in std::fs::read_dir(&folder).ok()?.flatten() {
        let other = entry.file_name().to_string_lossy().into_owned();
        if other.starts_with('.') || other.ends_with(".lock") || other == name {
            continue;
        }
        let distance = crate::uri::edit_distance(&name, &other);
        if distance <= 3 && best.as_ref().is_none_or(|(d, _)| distance < *d) {
            best = Some((distance, other));
        }
    }
    let (_, other) = best?;
    let shown = path.with_file_name(other);
    Some(format!("{scheme}:{}", shown.display()))
}

/// Standard output, block-buffered: token output comes in many small
/// writes, and the buffer is flushed when the writer finishes.
pub(crate) fn stdout() -> std::io::BufWriter<crate::output::ReportOut> {
    std::io::BufWriter::with_capacity(1 << 16, crate::output::ReportOut)
}

pub(crate) fn style(output: &OutputArgs) -> Style {
    let terminal = std::io::stdout().is_terminal();
    Style {
        format: output.format(),
        reveal: output.reveal,
        now_ms: now_ms(),
        color: terminal && std::env::var_os("NO_COLOR").is_none(),
        safe_spreadsheet: output.safe_spreadsheet,
        terminal,
        width: terminal
            .then(|| comfy_table::Table::new().width())
            .flatten()
            .map(usize::from),
        wide: output.format() == crate::output::Format::Wide,
        headers: !output.no_headers,
        selection: output.fields.unwrap_or(crate::output::Selection::ALL),
    }
}

/// Reads the values of flags given as `-` from standard input, one line
/// each, in the order the flags are resolved (client secret, refresh,
/// access, grant token), without line endings. On a terminal each is
/// asked for by name and read without echo.
struct StdinValues<R: BufRead> {
    input: R,
    terminal: bool,
}

impl<R: BufRead> StdinValues<R> {
    fn resolve(&mut self, flag: &str, value: Option<String>) -> Result<Option<String>> {
        if value.as_deref() != Some("-") {
            return Ok(value);
        }
        if self.terminal {
            let label = flag.replace('-', " ");
            let mut label = label.chars();
            let first = label.next().map(|c| c.to_ascii_uppercase());
            let prompt = format!("{}{}: ", first.unwrap_or_default(), label.as_str());
            let mut stderr = std::io::stderr().lock();
            let _ = std::io::Write::write_all(&mut stderr, prompt.as_bytes());
            let _ = std::io::Write::flush(&mut stderr);
            let secret = rpassword::read_password()
                .with_context(|| format!("cannot read --{flag} from the terminal"))?;
            return Ok(Some(secret));
        }
        let mut line = String::new();
        let read = self
            .input
            .read_line(&mut line)
            .with_context(|| format!("cannot read --{flag} from standard input"))?;
        if read == 0 {
            return Err(UsageError(format!(
                "--{flag} is `-` but standard input has no line left for it"
            ))
            .into());
        }
        Ok(Some(line.trim_end_matches(['\r', '\n']).to_string()))
    }
}

/// The token the flags describe, with `-` values read from stdin.
pub(crate) fn token_from_flags(fields: TokenFields) -> Result<Token> {
    let mut stdin = StdinValues {
        input: std::io::stdin().lock(),
        terminal: std::io::stdin().is_terminal(),
    };
    let token = Token::from_fields([
        fields.id,
        fields.user_name,
        fields.client_id,
        stdin.resolve("client-secret", fields.client_secret)?,
        stdin.resolve("refresh-token", fields.refresh_token)?,
        stdin.resolve("access-token", fields.access_token)?,
        stdin.resolve("grant-token", fields.grant_token)?,
        None,
        None,
        None,
    ]);
    // A mask is what `list` shows, not a secret: saving it would replace
    // the real one.
    let fields = token.fields();
    for field in crate::field::Field::ALL
        .into_iter()
        .filter(|f| f.is_secret())
    {
        if fields[field.index()].is_some_and(crate::secret::looks_masked) {
            return Err(UsageError(format!(
                "--{} is a masked value as `list` prints it, not a secret; pass the real \
                 value (list --reveal shows it)",
                field.name().replace('_', "-")
            ))
            .into());
        }
    }
    Ok(token)
}

/// `--accounts-url` (or TOKENSTORE_ACCOUNTS_URL), checked: https, or http
/// to this machine only. A bad one is a usage error.
pub(crate) fn accounts_override(zoho: &crate::cli::ZohoArgs) -> Result<Option<String>> {
    zoho.accounts_url
        .as_deref()
        .map(|url| crate::zoho::checked_url(url).map_err(|e| UsageError(e).into()))
        .transpose()
}

/// The tokens a command that talks to Zoho acts on: the ids given (those
/// not in the store are returned apart), every token of a user, or every
/// token the store holds (`all`, or no ids and no user), in id order.
pub(crate) fn selected_tokens(
    store: &mut dyn TokenStore,
    selection: &crate::cli::TokenSelection,
) -> Result<(Vec<Token>, Vec<String>)> {
    use crate::store::TokenStoreExt;
    if !selection.ids.is_empty() {
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for id in &selection.ids {
            match store.find_token_by_id(id)? {
                Some(token) => found.push(token),
                None => missing.push(format!("no token with id {id}")),
            }
        }
        return Ok((found, missing));
    }
    let mut found = Vec::new();
    store.scan_in_id_order(&mut |t| {
        if selection
            .user
            .as_ref()
            .is_none_or(|u| t.user_name.as_ref() == Some(u))
        {
            found.push(t);
        }
        Ok(())
    })?;
    let missing = match (&selection.user, found.is_empty()) {
        (Some(user), true) => vec![format!("no token of user {user}")],
        _ => Vec::new(),
    };
    Ok((found, missing))
}

/// How a token is named in reports: its id and, when it has one, its user.
pub(crate) fn token_label(token: &Token) -> String {
    let id = token.id.as_deref().unwrap_or_default();
    match token.user_name.as_deref() {
        Some(user) => format!("token {id} ({user})"),
        None => format!("token {id}"),
    }
}

/// A JSON report on standard output (exact, not escaped for a terminal).
pub(crate) fn write_json(
    out: &mut dyn std::io::Write,
    value: &impl serde::Serialize,
) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
