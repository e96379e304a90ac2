//! The command line (clap derive only).

use clap::{Args, Parser, Subcommand};

/// The version, with the store backends this build has.
#[cfg(all(feature = "mysql", feature = "postgres"))]
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (backends: memory, file, sqlite, mysql, postgres)"
);
#[cfg(all(feature = "mysql", not(feature = "postgres")))]
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (backends: memory, file, sqlite, mysql)"
);
#[cfg(all(not(feature = "mysql"), feature = "postgres"))]
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (backends: memory, file, sqlite, postgres)"
);
#[cfg(not(any(feature = "mysql", feature = "postgres")))]
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (backends: memory, file, sqlite)"
);

/// The backends this build has.
pub const BACKENDS: &[&str] = &[
    "memory",
    "file",
    "sqlite",
    #[cfg(feature = "mysql")]
    "mysql",
    #[cfg(feature = "postgres")]
    "postgres",
];

/// The database server URIs this build accepts, for messages.
pub const SERVER_FORMS: &[&str] = &[
    #[cfg(feature = "mysql")]
    "mysql://USER[:PASS]@HOST[:PORT]/DB[?table=NAME&ssl-mode=MODE&ssl-ca=PATH]",
    #[cfg(feature = "postgres")]
    "postgres://USER[:PASS]@HOST[:PORT]/DB[?table=NAME&schema=NAME&sslmode=MODE&sslrootcert=PATH]",
];

/// The URI forms shell completion offers for `--store`, `--from` and
/// `--to` (what follows the scheme is the user's).
pub const URI_SCHEMES: &[&str] = &[
    "memory:",
    "file:",
    "sqlite:",
    #[cfg(feature = "mysql")]
    "mysql://",
    #[cfg(feature = "postgres")]
    "postgres://",
];

/// Accepts any text as a store URI (it is parsed later, with errors that
/// say what is wrong) and offers [`URI_SCHEMES`] to shell completion.
#[derive(Clone)]
pub struct StoreUriParser;

impl clap::builder::TypedValueParser for StoreUriParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            URI_SCHEMES
                .iter()
                .map(|scheme| clap::builder::PossibleValue::new(*scheme)),
        ))
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "tokenstore",
    version = VERSION,
    about = "Inspect, clean up and migrate the OAuth token stores of the Zoho CRM SDKs",
    long_about = "Inspect, clean up and migrate the OAuth token stores of the Zoho CRM SDKs.\n\n\
        Store URIs: memory:, file:PATH (the SDK FileStore CSV), sqlite:PATH[?table=NAME] \
        (the CustomStoreSQLite schema), mysql://USER[:PASS]@HOST[:PORT]/DB[?OPTIONS] \
        (the SDK DBStore table) and postgres://USER[:PASS]@HOST[:PORT]/DB[?OPTIONS] (the same \
        table on PostgreSQL). Server options: table=NAME, schema=NAME (PostgreSQL), \
        ssl-mode=MODE and ssl-ca=PATH (MySQL), sslmode=MODE and sslrootcert=PATH (PostgreSQL); \
        MODE is disabled, preferred, required, verify-ca or verify-full. The default store is a \
        SQLite file in the user's data folder.",
    after_help = "Examples:\n  tokenstore --store file:tokens.csv list\n  \
        tokenstore --store sqlite:zohooauth.db find --user-name alice@example.com --json\n  \
        tokenstore migrate --from file:tokens.csv --to sqlite:zohooauth.db\n\n\
        Exit codes: 0 success, 1 failure, 2 usage error, 3 nothing found."
)]
pub struct Cli {
    /// The store to use [default: sqlite:<data dir>/tokenstore/tokens.db]
    // hide_env_values: a URI in the environment may hold a password.
    #[arg(
        long,
        global = true,
        env = "TOKENSTORE_URI",
        hide_env_values = true,
        value_name = "URI",
        value_parser = StoreUriParser,
        hide_possible_values = true
    )]
    pub store: Option<String>,

    /// Print no notices on stderr (what was saved or deleted, hints);
    /// errors are still printed
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,

    /// Whether `store` came from TOKENSTORE_URI (set after parsing).
    #[arg(skip)]
    pub store_from_env: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Save a token: update the matching one (by id, user name, or token) or add it
    #[command(after_help = "Examples:\n  \
        tokenstore save --user-name alice@example.com --client-id 1000.X --client-secret - \\\n    \
        --refresh-token - --expires-in 3600   # secrets read from stdin, one per line\n  \
        tokenstore --store sqlite:new.db save --input tokens.jsonl")]
    Save(SaveArgs),
    /// Find the token a save would update (first match wins); exit 3 if none
    #[command(after_help = "Examples:\n  \
        tokenstore find --user-name alice@example.com\n  \
        tokenstore find --refresh-token - --client-id 1000.X --client-secret -")]
    Find(FindArgs),
    /// Show the token with this id; exit 3 if none
    #[command(after_help = "Example:\n  tokenstore find-by-id 12 --json --reveal")]
    FindById(FindByIdArgs),
    /// List tokens in id order, optionally filtered
    #[command(after_help = "Examples:\n  \
        tokenstore list --expired\n  \
        tokenstore list --user alice@example.com --format jsonl --reveal > backup.jsonl\n  \
        tokenstore list --expiring-within 1h")]
    List(ListArgs),
    /// Delete tokens by id, or all tokens of a user (log out)
    #[command(after_help = "Examples:\n  \
        tokenstore delete 3 7 11\n  \
        tokenstore delete --user alice@example.com   # log alice out\n  \
        tokenstore delete 42 --strict || echo 'no token 42'")]
    Delete(DeleteArgs),
    /// Delete all tokens, or only the expired ones
    #[command(after_help = "Examples:\n  \
        tokenstore purge --expired --dry-run\n  \
        tokenstore purge --expired --yes   # in a script")]
    Purge(PurgeArgs),
    /// Copy every token, ids included, to another store; verified, all-or-nothing
    #[command(after_help = "Examples:\n  \
        tokenstore migrate --from file:tokens.csv --to sqlite:zohooauth.db --dry-run\n  \
        tokenstore migrate --from sqlite:zohooauth.db --to mysql://app@db/zohooauth --delete-source")]
    Migrate(MigrateArgs),
    /// Print a working access token for a user or id, refreshing it first if needed
    #[command(after_help = "Examples:\n  \
        tokenstore token --user alice@example.com\n  \
        tokenstore token 12 --min-valid 10m\n  \
        curl -H \"Authorization: Zoho-oauthtoken $(tokenstore token 12)\" \\\n    \
        https://www.zohoapis.com/crm/v8/org")]
    Token(TokenArgs),
    /// Get new access tokens from Zoho for tokens that expire soon, and save them
    #[command(after_help = "Examples:\n  \
        tokenstore refresh --all            # from cron, every 10 minutes\n  \
        tokenstore refresh --user alice@example.com\n  \
        tokenstore refresh --all --expiring-within 30m --dry-run")]
    Refresh(RefreshArgs),
    /// Revoke tokens at Zoho, then delete them from the store (log out)
    #[command(after_help = "Examples:\n  \
        tokenstore revoke --user alice@example.com   # log alice out\n  \
        tokenstore revoke 3 7\n  \
        tokenstore revoke 3 --force   # delete even if Zoho cannot be told")]
    Revoke(RevokeArgs),
    /// Ask Zoho which tokens it still accepts; change nothing unless --purge
    #[command(after_help = "Examples:\n  \
        tokenstore check                   # tokens due for a refresh\n  \
        tokenstore check --all --json\n  \
        tokenstore check --all --purge     # delete the ones Zoho refuses")]
    Check(CheckArgs),
    /// Describe a store: backend, location, counts, layout and warnings
    #[command(after_help = "Example:\n  tokenstore --store file:tokens.csv info")]
    Info(InfoArgs),
    /// Build the lookup indexes an existing SQL table lacks (online on MySQL)
    #[command(after_help = "Examples:\n  \
        tokenstore --store sqlite:zohooauth.db index --dry-run\n  \
        tokenstore --store mysql://app@db/zohooauth index")]
    Index(IndexArgs),
    /// Print the shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(after_help = "Examples:\n  \
        tokenstore completion bash > ~/.local/share/bash-completion/completions/tokenstore\n  \
        tokenstore completion zsh > \"${fpath[1]}/_tokenstore\"\n  \
        tokenstore completion fish > ~/.config/fish/completions/tokenstore.fish")]
    Completion(CompletionArgs),
    /// Print the version and the store backends this build has
    #[command(after_help = "Example:\n  tokenstore version --json")]
    Version(VersionArgs),
}

#[derive(Args, Debug)]
pub struct VersionArgs {
    /// Print it as JSON: {"version": …, "backends": […]}
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct CompletionArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub use crate::ops::migrate::OnConflict;
pub use crate::ops::select::SortBy;
pub use crate::output::Format;
use crate::token::TokenState;

#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format
    #[arg(long, short = 'o', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Short for --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Show secrets in full instead of masked
    #[arg(long)]
    pub reveal: bool,
    /// No header line over tables (for scripts reading the tab-separated table)
    #[arg(long)]
    pub no_headers: bool,
    /// Only these values, comma-separated, in store order: the ten field names
    /// (id, user_name, …) and expired, expires_at, state
    #[arg(long, value_name = "LIST", value_parser = parse_fields)]
    pub fields: Option<crate::output::Selection>,
    /// With --format csv: prefix values that start with = + - @ (formulas to a
    /// spreadsheet) with '; the output is then no longer a store file
    #[arg(long)]
    pub safe_spreadsheet: bool,
}

impl OutputArgs {
    pub fn format(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format
        }
    }
}

/// Token fields as flags. Secret flags take `-` to read the value from stdin.
#[derive(Args, Debug, Clone, Default)]
pub struct TokenFields {
    /// Token id
    #[arg(long)]
    pub id: Option<String>,
    /// User name (e-mail, or email:org_id in 8.0 stores)
    #[arg(long, visible_alias = "user", value_name = "USER")]
    pub user_name: Option<String>,
    /// OAuth client id
    #[arg(long)]
    pub client_id: Option<String>,
    /// Client secret (`-` reads it from stdin)
    #[arg(long, value_name = "SECRET|-")]
    pub client_secret: Option<String>,
    /// Refresh token (`-` reads it from stdin)
    #[arg(long, value_name = "TOKEN|-")]
    pub refresh_token: Option<String>,
    /// Access token (`-` reads it from stdin)
    #[arg(long, value_name = "TOKEN|-")]
    pub access_token: Option<String>,
    /// Grant token (`-` reads it from stdin)
    #[arg(long, value_name = "TOKEN|-")]
    pub grant_token: Option<String>,
}

#[derive(Args, Debug)]
pub struct SaveArgs {
    #[command(flatten)]
    pub fields: TokenFields,
    /// Absolute expiry of the access token: milliseconds since the Unix epoch
    /// (1767225600000) or RFC 3339 (2026-12-01T00:00:00Z)
    #[arg(long, value_name = "MS|TIME", conflicts_with = "expires_in", value_parser = parse_expiry)]
    pub expiry_time: Option<i64>,
    /// Expiry of the access token relative to now, in seconds
    #[arg(long, value_name = "SECONDS")]
    pub expires_in: Option<i64>,
    /// OAuth redirect URL
    #[arg(long, value_name = "URL")]
    pub redirect_url: Option<String>,
    /// API domain (e.g. https://www.zohoapis.com)
    #[arg(long, value_name = "URL")]
    pub api_domain: Option<String>,
    /// Save tokens from a JSON object, array or JSON lines (the schema `list` prints);
    /// all are saved in one transaction
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ["id", "user_name", "client_id",
        "client_secret", "refresh_token", "access_token", "grant_token", "expiry_time",
        "expires_in", "redirect_url", "api_domain"])]
    pub input: Option<String>,
    /// With --input: what to do with a token whose id the store holds with other
    /// content (overwrite merges it, given fields winning, as save does)
    #[arg(long, value_enum, default_value_t = OnConflict::Fail, requires = "input")]
    pub on_conflict: OnConflict,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug)]
pub struct FindArgs {
    #[command(flatten)]
    pub fields: TokenFields,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug)]
pub struct FindByIdArgs {
    pub id: String,
    #[command(flatten)]
    pub output: OutputArgs,
}

fn parse_fields(text: &str) -> Result<crate::output::Selection, String> {
    crate::output::Selection::parse(text)
}

/// An expiry time as milliseconds since the epoch, or RFC 3339.
fn parse_expiry(text: &str) -> Result<i64, String> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    let time = humantime::parse_rfc3339_weak(text).map_err(|_| {
        format!(
            "`{text}` is neither milliseconds since the epoch nor an RFC 3339 time \
             (e.g. 1767225600000 or 2026-12-01T00:00:00Z)"
        )
    })?;
    let ms = time
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| format!("`{text}` is before 1970"))?
        .as_millis();
    i64::try_from(ms).map_err(|_| format!("`{text}` is too far in the future"))
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only tokens of this user name
    #[arg(long, visible_alias = "user-name", value_name = "USER")]
    pub user: Option<String>,
    /// Only tokens of this client id
    #[arg(long)]
    pub client_id: Option<String>,
    /// Only tokens of this API domain
    #[arg(long, value_name = "URL")]
    pub api_domain: Option<String>,
    /// Only tokens whose access token expired (expiry time at or before now)
    #[arg(long, conflicts_with = "valid")]
    pub expired: bool,
    /// Only tokens whose access token has not expired (or has no expiry time)
    #[arg(long)]
    pub valid: bool,
    /// Only tokens in this state: valid, refreshable (access token expired,
    /// a refresh or grant token left) or dead (nothing to refresh with)
    #[arg(long, value_enum)]
    pub state: Option<TokenState>,
    /// Only tokens not yet expired that expire within this time (e.g. 30m, 2h, 1d)
    #[arg(long, value_name = "DURATION")]
    pub expiring_within: Option<humantime::Duration>,
    /// Print at most this many tokens
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Order: id or stored (streamed), expiry or user (sorted in memory)
    #[arg(long, value_enum, default_value_t = SortBy::Id)]
    pub sort: SortBy,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// Ids of the tokens to delete
    pub ids: Vec<String>,
    /// Delete every token of this user name (log the user out)
    #[arg(
        long,
        visible_alias = "user-name",
        value_name = "USER",
        conflicts_with = "ids"
    )]
    pub user: Option<String>,
    /// Exit 3 when any id (or the user) has no token
    #[arg(long)]
    pub strict: bool,
    /// Revoke each token at Zoho first; delete only those Zoho revoked
    #[arg(long)]
    pub revoke: bool,
    /// With --revoke: delete the tokens even when Zoho did not confirm
    #[arg(long, requires = "revoke")]
    pub force: bool,
    #[command(flatten)]
    pub zoho: ZohoArgs,
}

#[derive(Args, Debug)]
pub struct PurgeArgs {
    /// Delete only dead tokens: access token expired and no refresh or grant token
    /// to get a new one (refreshable tokens are kept)
    #[arg(long, visible_alias = "dead", conflicts_with = "access_expired")]
    pub expired: bool,
    /// Delete every token whose access token expired, refreshable ones included
    /// (their users must authorise the application again)
    #[arg(long)]
    pub access_expired: bool,
    /// List what would be deleted, delete nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the id of each token deleted
    #[arg(long, short = 'v')]
    pub verbose: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    /// The store to copy from [default: --store]
    #[arg(long, value_name = "URI", value_parser = StoreUriParser, hide_possible_values = true)]
    pub from: Option<String>,
    /// The store to copy to
    #[arg(long, value_name = "URI", value_parser = StoreUriParser, hide_possible_values = true)]
    pub to: String,
    /// What to do with a target token of the same id but other content
    #[arg(long, value_enum, default_value_t = OnConflict::Fail)]
    pub on_conflict: OnConflict,
    /// Print the plan, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// After the target is verified, delete the migrated tokens from the source
    #[arg(long)]
    pub delete_source: bool,
    /// Summary format: table (a line of text) or json
    #[arg(long, short = 'o', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Short for --format json
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct InfoArgs {
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct IndexArgs {
    /// Say which indexes would be built, and build none
    #[arg(long)]
    pub dry_run: bool,
}

/// Where Zoho's accounts server is.
#[derive(Args, Debug, Clone)]
pub struct ZohoArgs {
    /// Zoho's accounts server [default: from each token's api_domain]
    #[arg(
        long,
        env = "TOKENSTORE_ACCOUNTS_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub accounts_url: Option<String>,
}

/// Which tokens a command that talks to Zoho acts on.
#[derive(Args, Debug, Clone)]
pub struct TokenSelection {
    /// Ids of the tokens
    pub ids: Vec<String>,
    /// Every token of this user name
    #[arg(
        long,
        visible_alias = "user-name",
        value_name = "USER",
        conflicts_with = "ids"
    )]
    pub user: Option<String>,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// Id of the token
    #[arg(required_unless_present = "user", conflicts_with = "user")]
    pub id: Option<String>,
    /// The user's token (the first match, as the SDK's find_token)
    #[arg(long, visible_alias = "user-name", value_name = "USER")]
    pub user: Option<String>,
    /// Refresh first when the access token expires within this time
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub min_valid: humantime::Duration,
    #[command(flatten)]
    pub zoho: ZohoArgs,
}

#[derive(Args, Debug)]
pub struct RefreshArgs {
    #[command(flatten)]
    pub selection: TokenSelection,
    /// Every token in the store
    #[arg(long, conflicts_with_all = ["ids", "user"])]
    pub all: bool,
    /// Refresh tokens whose access token expires within this time
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub expiring_within: humantime::Duration,
    /// Say what would be refreshed; ask Zoho nothing, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub zoho: ZohoArgs,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub selection: TokenSelection,
    /// Delete the tokens even when Zoho did not confirm the revoke
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub zoho: ZohoArgs,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub selection: TokenSelection,
    /// Check every token, also those whose access token is still valid
    /// (each check uses one of Zoho's 10 refreshes per 10 minutes)
    #[arg(long, conflicts_with_all = ["ids", "user"])]
    pub all: bool,
    /// Delete the tokens Zoho refuses (revoked or of a deleted client)
    #[arg(long)]
    pub purge: bool,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub zoho: ZohoArgs,
}
