//! Store URIs: pure parsing, and a `Display` that hides passwords.

use std::fmt;
use std::path::PathBuf;

use percent_encoding::percent_decode_str;

use crate::secret::Secret;

pub const DEFAULT_TABLE: &str = "oauthtoken";
pub const DEFAULT_MYSQL_DATABASE: &str = "zohooauth";
pub const DEFAULT_MYSQL_PORT: u16 = 3306;
pub const DEFAULT_POSTGRES_PORT: u16 = 5432;

/// The forms a store URI may take, for error messages.
pub const ACCEPTED_FORMS: &str = "memory:, file:PATH, sqlite:PATH[?table=NAME], \
     mysql://USER[:PASS]@HOST[:PORT]/DB[?table=NAME&ssl-mode=MODE&ssl-ca=PATH] or \
     postgres://USER[:PASS]@HOST[:PORT]/DB[?table=NAME&schema=NAME&sslmode=MODE&sslrootcert=PATH]";

/// A parsed `--store` URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreUri {
    Memory,
    /// A file store; `flavor` is the layout a new file gets.
    File {
        path: PathBuf,
        flavor: Option<Flavor>,
    },
    Sqlite {
        path: PathBuf,
        table: String,
    },
    /// A table on a database server (MySQL/MariaDB or PostgreSQL).
    Server(ServerUri),
}

/// The layouts of the SDK FileStore families, for a new file
/// (`file:PATH?flavor=NAME`); an existing file keeps its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Python SDK 5.x-8.x: minimal quoting, `redirect_uri`, 10 columns.
    Python,
    /// Python SDK 2.x: 9 columns, `user_mail`, CRLF.
    Python2,
    /// Node.js/TypeScript SDK 7-8: no quoting, no final newline.
    Node,
    /// Node.js/TypeScript SDK 2.x: as Node, 9 columns, `user_mail`.
    Node2,
}

impl Flavor {
    pub const NAMES: &'static str = "python, python2, node or node2";

    pub fn parse(name: &str) -> Option<Flavor> {
        Some(match name {
            "python" => Flavor::Python,
            "python2" => Flavor::Python2,
            "node" => Flavor::Node,
            "node2" => Flavor::Node2,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Flavor::Python => "python",
            Flavor::Python2 => "python2",
            Flavor::Node => "node",
            Flavor::Node2 => "node2",
        }
    }
}

/// The database servers tokenstore speaks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Mysql,
    Postgres,
}

impl Engine {
    /// The scheme a URI of this engine is printed with (also the backend's
    /// name in messages and `version`).
    pub fn scheme(self) -> &'static str {
        match self {
            Engine::Mysql => "mysql",
            Engine::Postgres => "postgres",
        }
    }

    /// The environment variables that may hold the password, first first.
    pub fn password_variables(self) -> &'static [&'static str] {
        match self {
            Engine::Mysql => &["TOKENSTORE_MYSQL_PASSWORD"],
            Engine::Postgres => &["TOKENSTORE_PG_PASSWORD", "PGPASSWORD"],
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Engine::Mysql => DEFAULT_MYSQL_PORT,
            Engine::Postgres => DEFAULT_POSTGRES_PORT,
        }
    }

    /// The URI options naming the TLS mode and the CA file.
    fn tls_options(self) -> (&'static str, &'static str) {
        match self {
            Engine::Mysql => ("ssl-mode", "ssl-ca"),
            Engine::Postgres => ("sslmode", "sslrootcert"),
        }
    }
}

/// Whether (and how strictly) a server connection uses TLS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain TCP.
    Disabled,
    /// TLS when the server offers it, without checking its certificate;
    /// plain TCP otherwise.
    Preferred,
    /// TLS or no connection; the certificate is not checked.
    Required,
    /// TLS with a certificate signed by a trusted CA (any host name).
    VerifyCa,
    /// TLS with a trusted certificate for the host name connected to.
    VerifyFull,
}

impl TlsMode {
    pub const NAMES: &'static str = "disabled, preferred, required, verify-ca or verify-full";

    /// MySQL's names and libpq's (`disable`, `prefer`, `require`) alike.
    pub fn parse(name: &str) -> Option<TlsMode> {
        Some(match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "disabled" | "disable" => TlsMode::Disabled,
            "preferred" | "prefer" => TlsMode::Preferred,
            "required" | "require" => TlsMode::Required,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" | "verify-identity" => TlsMode::VerifyFull,
            _ => return None,
        })
    }

    /// The name in the engine's own spelling.
    pub fn name(self, engine: Engine) -> &'static str {
        match (self, engine) {
            (TlsMode::Disabled, Engine::Mysql) => "disabled",
            (TlsMode::Disabled, Engine::Postgres) => "disable",
            (TlsMode::Preferred, Engine::Mysql) => "preferred",
            (TlsMode::Preferred, Engine::Postgres) => "prefer",
            (TlsMode::Required, Engine::Mysql) => "required",
            (TlsMode::Required, Engine::Postgres) => "require",
            (TlsMode::VerifyCa, _) => "verify-ca",
            (TlsMode::VerifyFull, _) => "verify-full",
        }
    }

    /// The mode of a URI that names none: `preferred` for a server on
    /// another machine, plain TCP for one on this machine (loopback
    /// traffic never leaves it).
    pub fn default_for(host: &str) -> TlsMode {
        if is_loopback(host) {
            TlsMode::Disabled
        } else {
            TlsMode::Preferred
        }
    }
}

/// `localhost`, `127.0.0.0/8` and `::1`.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A table on a database server: one shape for every server URI, so
/// password hiding and store identity are written once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerUri {
    pub engine: Engine,
    pub user: String,
    pub password: Option<Secret>,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub table: String,
    /// PostgreSQL's schema (`?schema=NAME`); `None`: the server's default
    /// (the first schema of the user's `search_path`, usually `public`).
    pub schema: Option<String>,
    /// `?ssl-mode=` / `?sslmode=`; `None`: [`TlsMode::default_for`] the host.
    pub tls: Option<TlsMode>,
    /// `?ssl-ca=` / `?sslrootcert=`: the CA certificates (PEM) to trust
    /// instead of the system's.
    pub ca_file: Option<PathBuf>,
}

impl ServerUri {
    /// The password: from the URI, or (when the URI has none, or an empty
    /// one) from the engine's environment variables, and for PostgreSQL
    /// from the password file (`PGPASSFILE`, `~/.pgpass`).
    pub fn password(&self) -> Option<Secret> {
        self.password
            .clone()
            .filter(|p| !p.expose().is_empty())
            .or_else(|| {
                self.engine
                    .password_variables()
                    .iter()
                    .find_map(|v| std::env::var(v).ok().filter(|p| !p.is_empty()))
                    .map(Secret::new)
            })
            .or_else(|| match self.engine {
                Engine::Postgres => self.pgpass_password(),
                Engine::Mysql => None,
            })
    }

    /// The TLS mode in force: the URI's, or the default for its host. As
    /// in libpq, a CA file given with no mode, `preferred` or `required`
    /// means the certificate is checked against it (`verify-ca`): a CA is
    /// never given only to be ignored.
    pub fn tls_mode(&self) -> TlsMode {
        match (self.tls, self.ca_file.is_some()) {
            (None | Some(TlsMode::Preferred | TlsMode::Required), true) => TlsMode::VerifyCa,
            (Some(mode), _) => mode,
            (None, false) => TlsMode::default_for(&self.host),
        }
    }

    /// The password of the first matching line of libpq's password file
    /// (`host:port:database:user:password`, `*` matches anything, `\`
    /// escapes `:` and `\\`). Like libpq, a file that group or others can
    /// read is ignored.
    fn pgpass_password(&self) -> Option<Secret> {
        let path = match std::env::var_os("PGPASSFILE") {
            Some(p) => PathBuf::from(p),
            None => dirs::home_dir()?.join(".pgpass"),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(&path).ok()?;
            if !meta.is_file() || meta.permissions().mode() & 0o077 != 0 {
                return None;
            }
        }
        let text = std::fs::read_to_string(&path).ok()?;
        pgpass_lookup(
            &text,
            [
                self.host.as_str(),
                &self.port.to_string(),
                &self.database,
                &self.user,
            ],
        )
        .map(Secret::new)
    }
}

/// The password for (host, port, database, user) in a `.pgpass` text.
pub(crate) fn pgpass_lookup(text: &str, wanted: [&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => field.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut field)),
                c => field.push(c),
            }
        }
        if fields.len() != 4 {
            continue;
        }
        let matches = fields
            .iter()
            .zip(wanted)
            .all(|(pattern, value)| pattern == "*" || pattern == value);
        if matches {
            return Some(field);
        }
    }
    None
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid store URI `{shown}`: {reason}; expected {ACCEPTED_FORMS}")]
pub struct UriError {
    /// The URI as given, with anything that could be a password removed.
    shown: String,
    reason: String,
}

impl UriError {
    fn new(uri: &str, reason: impl Into<String>) -> Self {
        let mut reason = reason.into();
        let (shown, password) = hide_password(uri);
        if let Some(password) = password.filter(|p| !p.is_empty()) {
            reason = hide_quoted_fragments(&reason, password);
        }
        UriError { shown, reason }
    }
}

/// `mysql://user:secret/db` (the `@host` forgotten): what follows
/// `user:` up to the next `/` may be a password. File paths are left be.
fn hide_password_without_host(uri: &str) -> (String, Option<&str>) {
    let Some((scheme, rest)) = uri.split_once("://") else {
        return (uri.to_string(), None);
    };
    if matches!(scheme, "file" | "sqlite" | "memory") {
        return (uri.to_string(), None);
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(colon) = rest[..authority_end].find(':') else {
        return (uri.to_string(), None);
    };
    let start = scheme.len() + 3 + colon + 1;
    let end = scheme.len() + 3 + authority_end;
    (
        format!("{}***{}", &uri[..start], &uri[end..]),
        Some(&uri[start..end]),
    )
}

/// Replaces every `quoted` part of a reason that shares four characters
/// with the password (a reason may quote an option or a port that was cut
/// out of an unencoded password).
fn hide_quoted_fragments(reason: &str, password: &str) -> String {
    let chars: Vec<char> = password.chars().collect();
    let shares = |part: &str| {
        part.contains(password)
            || chars
                .windows(4)
                .any(|w| part.contains(&w.iter().collect::<String>()))
    };
    let mut out = String::with_capacity(reason.len());
    for (i, part) in reason.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        // Odd parts are inside backticks.
        if i % 2 == 1 && shares(part) {
            out.push('…');
        } else {
            out.push_str(part);
        }
    }
    out
}

/// Hides whatever could be the password of a URI that may not parse:
/// between the first `:` after the scheme and the last `@` (a password
/// may hold `@`, `/`, `?` or `#` unencoded), whatever the slashes after
/// the scheme. Returns the shown URI and the hidden part.
fn hide_password(uri: &str) -> (String, Option<&str>) {
    let Some(at) = uri.rfind('@') else {
        return hide_password_without_host(uri);
    };
    let head = &uri[..at];
    let after_scheme = head
        .split_once(':')
        .filter(|(scheme, _)| scheme.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map_or(0, |(scheme, _)| scheme.len() + 1);
    let credentials_start = after_scheme + head[after_scheme..].len()
        - head[after_scheme..].trim_start_matches('/').len();
    let Some(colon) = head[credentials_start..].find(':') else {
        return (uri.to_string(), None);
    };
    let colon = credentials_start + colon;
    let password = &uri[colon + 1..at];
    (
        format!("{}:***{}", &uri[..colon], &uri[at..]),
        Some(password),
    )
}

fn valid_table(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Splits `?table=NAME` off the end of a `sqlite:` body; no other option
/// exists.
fn split_table<'a>(uri: &str, body: &'a str) -> Result<(&'a str, String), UriError> {
    let Some((before, query)) = body.rsplit_once('?') else {
        return Ok((body, DEFAULT_TABLE.to_string()));
    };
    let mut table = DEFAULT_TABLE.to_string();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("table", name)) if valid_table(name) => table = name.to_string(),
            Some(("table", _)) => {
                return Err(UriError::new(
                    uri,
                    "a table name may hold only letters, digits and `_` (at most 64)",
                ))
            }
            _ => return Err(UriError::new(uri, format!("unknown option `{pair}`"))),
        }
    }
    Ok((before, table))
}

fn decode(uri: &str, part: &str, what: &str) -> Result<String, UriError> {
    percent_decode_str(part)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| UriError::new(uri, format!("the {what} is not valid UTF-8 once decoded")))
}

impl StoreUri {
    pub fn parse(uri: &str) -> Result<StoreUri, UriError> {
        let Some((scheme, body)) = uri.split_once(':') else {
            let kind = if [".db", ".sqlite", ".sqlite3"]
                .iter()
                .any(|e| uri.ends_with(e))
            {
                "sqlite"
            } else {
                "file"
            };
            return Err(UriError::new(
                uri,
                format!("no scheme (did you mean {kind}:{uri}?)"),
            ));
        };
        match scheme {
            "memory" if body.is_empty() || body == "//" => Ok(StoreUri::Memory),
            "memory" => Err(UriError::new(uri, "memory: takes no path")),
            "file" if body.is_empty() => Err(UriError::new(uri, "file: needs a path")),
            "file" => {
                let body = expand_home(body);
                let body = body.as_str();
                // Only a known flavour at the very end is an option: a
                // path may hold `?`.
                let (path, flavor) = match body.rsplit_once("?flavor=") {
                    Some((path, name)) if !path.is_empty() => match Flavor::parse(name) {
                        Some(flavor) => (path, Some(flavor)),
                        None => {
                            return Err(UriError::new(
                                uri,
                                format!("unknown flavor `{name}`; use {}", Flavor::NAMES),
                            ))
                        }
                    },
                    _ => (body, None),
                };
                Ok(StoreUri::File {
                    path: PathBuf::from(path),
                    flavor,
                })
            }
            "sqlite" => {
                let body = expand_home(body);
                let body = body.as_str();
                let (path, table) = split_table(uri, body)?;
                if path.is_empty() {
                    return Err(UriError::new(uri, "sqlite: needs a path"));
                }
                Ok(StoreUri::Sqlite {
                    path: PathBuf::from(path),
                    table,
                })
            }
            "mysql" | "mariadb" => parse_server(uri, body, Engine::Mysql).map(StoreUri::Server),
            "postgres" | "postgresql" => {
                parse_server(uri, body, Engine::Postgres).map(StoreUri::Server)
            }
            _ => Err(UriError::new(uri, unknown_scheme(scheme))),
        }
    }

    /// Whether the store lives only as long as this process (`memory:`,
    /// an in-memory SQLite database).
    pub fn lives_in_this_process(&self) -> bool {
        match self {
            StoreUri::Memory => true,
            StoreUri::Sqlite { path, .. } => crate::store::sqlite::is_memory_name(path),
            _ => false,
        }
    }

    /// The backend's name, for messages.
    pub fn backend(&self) -> &'static str {
        match self {
            StoreUri::Memory => "memory",
            StoreUri::File { .. } => "file",
            StoreUri::Sqlite { .. } => "sqlite",
            StoreUri::Server(s) => s.engine.scheme(),
        }
    }
}

/// `~` or `~/…` at the start of a path is the home folder, as in a shell
/// (never a folder named `~`).
fn expand_home(body: &str) -> String {
    let rest = match body.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
        _ => return body.to_string(),
    };
    match dirs::home_dir() {
        Some(home) => format!("{}{rest}", home.display()),
        None => body.to_string(),
    }
}

/// An unknown scheme, with the accepted one it was probably meant to be.
fn unknown_scheme(scheme: &str) -> String {
    let known = [
        "memory",
        "file",
        "sqlite",
        "mysql",
        "mariadb",
        "postgres",
        "postgresql",
    ];
    let close = known
        .iter()
        .find(|k| edit_distance(&scheme.to_ascii_lowercase(), k) <= 2);
    match close {
        Some(k) => format!("unknown scheme `{scheme}:` (did you mean {k}:?)"),
        None => format!("unknown scheme `{scheme}:`"),
    }
}

/// Levenshtein distance, for short words.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// The options after `?` of a server URI.
struct ServerOptions {
    table: String,
    schema: Option<String>,
    tls: Option<TlsMode>,
    ca_file: Option<PathBuf>,
}

fn server_options(uri: &str, engine: Engine, query: &str) -> Result<ServerOptions, UriError> {
    let scheme = engine.scheme();
    let (mode_option, ca_option) = engine.tls_options();
    let mut options = ServerOptions {
        table: DEFAULT_TABLE.to_string(),
        schema: None,
        tls: None,
        ca_file: None,
    };
    // PostgreSQL cuts longer names to 63 bytes, so a longer one would
    // name another table than the one tokenstore looks for.
    let max = match engine {
        Engine::Mysql => 64,
        Engine::Postgres => 63,
    };
    let name = |value: &str, what: &str| -> Result<String, UriError> {
        if valid_table(value) && value.len() <= max {
            Ok(value.to_string())
        } else {
            Err(UriError::new(
                uri,
                format!("a {what} name may hold only letters, digits and `_` (at most {max})"),
            ))
        }
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "table" => options.table = name(value, "table")?,
            "schema" if engine == Engine::Postgres => options.schema = Some(name(value, "schema")?),
            k if k == mode_option => {
                options.tls = Some(TlsMode::parse(value).ok_or_else(|| {
                    UriError::new(
                        uri,
                        format!("unknown {mode_option} `{value}`; use {}", TlsMode::NAMES),
                    )
                })?)
            }
            k if k == ca_option && !value.is_empty() => {
                options.ca_file = Some(PathBuf::from(expand_home(&decode(uri, value, ca_option)?)))
            }
            "ssl-mode" | "sslmode" | "ssl-ca" | "sslrootcert" => {
                return Err(UriError::new(
                    uri,
                    format!("{scheme}: spells its TLS options `{mode_option}` and `{ca_option}`"),
                ))
            }
            _ => return Err(UriError::new(uri, format!("unknown option `{pair}`"))),
        }
    }
    Ok(options)
}

fn parse_server(uri: &str, body: &str, engine: Engine) -> Result<ServerUri, UriError> {
    let scheme = engine.scheme();
    let Some(rest) = body.strip_prefix("//") else {
        return Err(UriError::new(
            uri,
            format!("{scheme}: must be followed by //"),
        ));
    };
    let (rest, query) = rest.rsplit_once('?').unwrap_or((rest, ""));
    let options = server_options(uri, engine, query)?;
    let (authority, database) = rest.split_once('/').unwrap_or((rest, ""));
    let Some((credentials, host_port)) = authority.rsplit_once('@') else {
        return Err(UriError::new(uri, format!("{scheme}: needs USER@HOST")));
    };
    let (user, password) = match credentials.split_once(':') {
        Some((user, pass)) => (user, Some(pass)),
        None => (credentials, None),
    };
    let user = decode(uri, user, "user")?;
    if user.is_empty() {
        return Err(UriError::new(uri, format!("{scheme}: needs a user name")));
    }
    let password = password
        .map(|p| decode(uri, p, "password"))
        .transpose()?
        .map(Secret::new);
    let (host, port) = split_host_port(uri, host_port, engine)?;
    let database = match decode(uri, database, "database")? {
        db if db.is_empty() => DEFAULT_MYSQL_DATABASE.to_string(),
        db if valid_table(&db) => db,
        _ => {
            return Err(UriError::new(
                uri,
                "a database name may hold only letters, digits and `_`",
            ))
        }
    };
    Ok(ServerUri {
        engine,
        user,
        password,
        host,
        port,
        database,
        table: options.table,
        schema: options.schema,
        tls: options.tls,
        ca_file: options.ca_file,
    })
}

fn split_host_port(uri: &str, host_port: &str, engine: Engine) -> Result<(String, u16), UriError> {
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| UriError::new(uri, "unclosed `[` in host"))?;
        (host, after.strip_prefix(':'))
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err(UriError::new(
            uri,
            format!("{}: needs a host", engine.scheme()),
        ));
    }
    let port = match port {
        None => engine.default_port(),
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| UriError::new(uri, format!("`{p}` is not a port number")))?,
    };
    Ok((host.to_string(), port))
}

impl fmt::Display for StoreUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table_suffix = |table: &str| {
            if table == DEFAULT_TABLE {
                String::new()
            } else {
                format!("?table={table}")
            }
        };
        match self {
            StoreUri::Memory => write!(f, "memory:"),
            StoreUri::File { path, flavor } => {
                write!(f, "file:{}", path.display())?;
                match flavor {
                    Some(flavor) => write!(f, "?flavor={}", flavor.name()),
                    // A path that ends like an option needs one to parse back.
                    None if path.to_string_lossy().contains("?flavor=") => {
                        write!(f, "?flavor=python")
                    }
                    None => Ok(()),
                }
            }
            StoreUri::Sqlite { path, table } => {
                let path = path.display().to_string();
                // A `?` in the path needs the table spelled out to parse back.
                if path.contains('?') {
                    write!(f, "sqlite:{path}?table={table}")
                } else {
                    write!(f, "sqlite:{path}{}", table_suffix(table))
                }
            }
            StoreUri::Server(m) => {
                let password = if m.password.is_some() { ":***" } else { "" };
                let host = if m.host.contains(':') {
                    format!("[{}]", m.host)
                } else {
                    m.host.clone()
                };
                write!(
                    f,
                    "{}://{}{password}@{host}:{}/{}",
                    m.engine.scheme(),
                    m.user,
                    m.port,
                    m.database,
                )?;
                let (mode_option, ca_option) = m.engine.tls_options();
                let mut options = Vec::new();
                if m.table != DEFAULT_TABLE {
                    options.push(format!("table={}", m.table));
                }
                if let Some(schema) = &m.schema {
                    options.push(format!("schema={schema}"));
                }
                if let Some(mode) = m.tls {
                    options.push(format!("{mode_option}={}", mode.name(m.engine)));
                }
                if let Some(ca) = &m.ca_file {
                    const SPECIAL: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
                        .add(b'%')
                        .add(b'&')
                        .add(b'?')
                        .add(b'#');
                    let path = ca.to_string_lossy();
                    options.push(format!(
                        "{ca_option}={}",
                        percent_encoding::utf8_percent_encode(&path, SPECIAL)
                    ));
                }
                if !options.is_empty() {
                    write!(f, "?{}", options.join("&"))?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mysql(
        user: &str,
        pass: Option<&str>,
        host: &str,
        port: u16,
        db: &str,
        table: &str,
    ) -> StoreUri {
        server(Engine::Mysql, user, pass, host, port, db, table)
    }

    fn server(
        engine: Engine,
        user: &str,
        pass: Option<&str>,
        host: &str,
        port: u16,
        db: &str,
        table: &str,
    ) -> StoreUri {
        StoreUri::Server(ServerUri {
            engine,
            user: user.into(),
            password: pass.map(Secret::new),
            host: host.into(),
            port,
            database: db.into(),
            table: table.into(),
            schema: None,
            tls: None,
            ca_file: None,
        })
    }

    fn postgres(user: &str, pass: Option<&str>, host: &str, port: u16, db: &str) -> StoreUri {
        server(Engine::Postgres, user, pass, host, port, db, "oauthtoken")
    }

    fn with(uri: StoreUri, change: impl FnOnce(&mut ServerUri)) -> StoreUri {
        let StoreUri::Server(mut s) = uri else {
            panic!("a server URI")
        };
        change(&mut s);
        StoreUri::Server(s)
    }

    #[test]
    fn parses_every_accepted_form() {
        let cases = [
            ("memory:", StoreUri::Memory),
            (
                "file:tokens.csv",
                StoreUri::File {
                    path: "tokens.csv".into(),
                    flavor: None,
                },
            ),
            (
                "file:/var/lib/a b.csv",
                StoreUri::File {
                    path: "/var/lib/a b.csv".into(),
                    flavor: None,
                },
            ),
            (
                "file:a?b.csv?flavor=node2",
                StoreUri::File {
                    path: "a?b.csv".into(),
                    flavor: Some(Flavor::Node2),
                },
            ),
            (
                "sqlite:/tmp/z.db",
                StoreUri::Sqlite {
                    path: "/tmp/z.db".into(),
                    table: "oauthtoken".into(),
                },
            ),
            (
                "sqlite:z.db?table=tokens_2",
                StoreUri::Sqlite {
                    path: "z.db".into(),
                    table: "tokens_2".into(),
                },
            ),
            (
                "mysql://root@localhost/zohooauth",
                mysql("root", None, "localhost", 3306, "zohooauth", "oauthtoken"),
            ),
            (
                "mysql://u:p%40ss@127.0.0.1:3307/db?table=t",
                mysql("u", Some("p@ss"), "127.0.0.1", 3307, "db", "t"),
            ),
            (
                "mysql://u:a:b@h/db",
                mysql("u", Some("a:b"), "h", 3306, "db", "oauthtoken"),
            ),
            (
                "mysql://u@h",
                mysql("u", None, "h", 3306, "zohooauth", "oauthtoken"),
            ),
            (
                "mysql://u@[::1]:4000/db",
                mysql("u", None, "::1", 4000, "db", "oauthtoken"),
            ),
            (
                "mysql://u@h/db?ssl-mode=verify-full&ssl-ca=/etc/ca.pem",
                with(mysql("u", None, "h", 3306, "db", "oauthtoken"), |s| {
                    s.tls = Some(TlsMode::VerifyFull);
                    s.ca_file = Some("/etc/ca.pem".into());
                }),
            ),
            (
                "postgres://app:pw@db.internal/zohooauth",
                postgres("app", Some("pw"), "db.internal", 5432, "zohooauth"),
            ),
            (
                "postgresql://app@127.0.0.1:6543",
                postgres("app", None, "127.0.0.1", 6543, "zohooauth"),
            ),
            (
                "postgres://app@h/db?table=t&schema=crm&sslmode=require&sslrootcert=/ca.pem",
                with(postgres("app", None, "h", 5432, "db"), |s| {
                    s.table = "t".into();
                    s.schema = Some("crm".into());
                    s.tls = Some(TlsMode::Required);
                    s.ca_file = Some("/ca.pem".into());
                }),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(StoreUri::parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn rejects_malformed_uris_with_a_reason() {
        let cases = [
            ("tokens.csv", "no scheme"),
            ("postgress://u@h/db", "did you mean postgres:?"),
            ("postgres://u@h/db?sslmode=maybe", "unknown sslmode `maybe`"),
            (
                "postgres://u@h/db?ssl-mode=required",
                "spells its TLS options `sslmode`",
            ),
            (
                "mysql://u@h/db?sslmode=require",
                "spells its TLS options `ssl-mode`",
            ),
            ("mysql://u@h/db?schema=x", "unknown option"),
            ("postgres://u@h/db?schema=a-b", "schema name"),
            ("postgres:/u@h/db", "postgres: must be followed by //"),
            ("file:", "needs a path"),
            ("sqlite:", "needs a path"),
            ("sqlite:a.db?table=x; drop table y", "letters, digits"),
            ("sqlite:a.db?mode=ro", "unknown option"),
            ("mysql:u@h/db", "must be followed by //"),
            ("mysql://h/db", "USER@HOST"),
            ("mysql://u@h:99999/db", "not a port"),
            ("mysql://u@:3306/db", "needs a host"),
            ("mysql://u@h/d-b", "database name"),
            ("memory:x", "takes no path"),
        ];
        for (text, reason) in cases {
            let err = StoreUri::parse(text).unwrap_err().to_string();
            assert!(err.contains(reason), "{text}: {err}");
            assert!(err.contains("expected memory:"), "{text}: {err}");
        }
    }

    #[test]
    fn typos_get_a_suggestion_and_home_is_expanded() {
        let err = StoreUri::parse("sqlit:x.db").unwrap_err().to_string();
        assert!(err.contains("did you mean sqlite:?"), "{err}");
        let err = StoreUri::parse("tokens.csv").unwrap_err().to_string();
        assert!(err.contains("did you mean file:tokens.csv?"), "{err}");
        let err = StoreUri::parse("zohooauth.db").unwrap_err().to_string();
        assert!(err.contains("did you mean sqlite:zohooauth.db?"), "{err}");
        let home = dirs::home_dir().unwrap();
        assert_eq!(
            StoreUri::parse("sqlite:~/z.db").unwrap(),
            StoreUri::Sqlite {
                path: home.join("z.db"),
                table: DEFAULT_TABLE.into()
            }
        );
        assert!(matches!(
            StoreUri::parse("file:~user/x").unwrap(),
            StoreUri::File { path, .. } if path == std::path::Path::new("~user/x")
        ));
    }

    #[test]
    fn printed_uris_parse_back_to_themselves() {
        // Found by the fuzzer: a `?` in a SQLite path.
        for text in [
            "sqlite:a?b?",
            "sqlite:///]/*//////?/@////?",
            "sqlite:x.db?table=t",
            "file:a?b",
        ] {
            let uri = StoreUri::parse(text).unwrap();
            assert_eq!(StoreUri::parse(&uri.to_string()), Ok(uri), "{text}");
        }
    }

    #[test]
    fn passwords_of_uris_that_do_not_parse_never_show() {
        for text in [
            "mysql:/app:Pa55word@h/db",
            "mysql:app:Pa55word@h/db",
            "mysql//app:Pa55word@h/db",
            "mysql://app:Pa5?sword@h/db",
            "mysql://app:Pa5/sword@h/db",
            "mysql://app:Pa5@sw#ord@h:99999/db",
            "mysql://app:Pa55word@h:notaport/db",
            "mysql://app:Pa55word@h/d-b",
            "mysql://app:Pa55word/zohooauth",
        ] {
            let err = StoreUri::parse(text).unwrap_err().to_string();
            for fragment in ["Pa55", "Pa5?", "Pa5/", "Pa5@", "word", "sword"] {
                assert!(!err.contains(fragment), "{text}: {err}");
            }
        }
    }

    #[test]
    fn server_options_print_and_parse_back() {
        for text in [
            "mysql://u@h:3306/db?table=t&ssl-mode=verify-ca&ssl-ca=/a%26b/ca.pem",
            "postgres://u@h:5432/db?table=t&schema=s&sslmode=disable",
            "postgres://u@[::1]:5432/db?sslmode=verify-full&sslrootcert=/ca.pem",
        ] {
            let uri = StoreUri::parse(text).unwrap();
            assert_eq!(uri.to_string(), text);
            assert_eq!(StoreUri::parse(&uri.to_string()), Ok(uri), "{text}");
        }
    }

    #[test]
    fn tls_defaults_to_preferred_off_this_machine() {
        for host in [
            "db.internal",
            "10.0.0.5",
            "mydb.rds.amazonaws.com",
            "2001:db8::1",
        ] {
            assert_eq!(TlsMode::default_for(host), TlsMode::Preferred, "{host}");
        }
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1"] {
            assert_eq!(TlsMode::default_for(host), TlsMode::Disabled, "{host}");
        }
        let StoreUri::Server(s) = StoreUri::parse("postgres://u@db.example.com/db").unwrap() else {
            panic!()
        };
        assert_eq!(s.tls_mode(), TlsMode::Preferred);
        let StoreUri::Server(s) =
            StoreUri::parse("mysql://u@db.example.com/db?ssl-mode=disabled").unwrap()
        else {
            panic!()
        };
        assert_eq!(s.tls_mode(), TlsMode::Disabled);
        // A CA file is never ignored: with no mode, `preferred` or
        // `required`, the certificate is checked against it.
        for uri in [
            "postgres://u@db.example.com/db?sslrootcert=/ca.pem",
            "postgres://u@localhost/db?sslmode=prefer&sslrootcert=/ca.pem",
            "mysql://u@db.example.com/db?ssl-mode=required&ssl-ca=/ca.pem",
        ] {
            let StoreUri::Server(s) = StoreUri::parse(uri).unwrap() else {
                panic!()
            };
            assert_eq!(s.tls_mode(), TlsMode::VerifyCa, "{uri}");
        }
        let StoreUri::Server(s) =
            StoreUri::parse("postgres://u@h/db?sslmode=verify-full&sslrootcert=/ca.pem").unwrap()
        else {
            panic!()
        };
        assert_eq!(s.tls_mode(), TlsMode::VerifyFull);
    }

    #[test]
    fn pgpass_lines_match_as_libpq_matches_them() {
        let text = "# comment\n\
            other:5432:*:app:wrong\n\
            db.internal:5432:zohooauth:app:s3cr\\:et\n\
            *:*:*:*:fallback\n";
        let wanted = ["db.internal", "5432", "zohooauth", "app"];
        assert_eq!(pgpass_lookup(text, wanted).as_deref(), Some("s3cr:et"));
        let wanted = ["db.internal", "6432", "zohooauth", "app"];
        assert_eq!(pgpass_lookup(text, wanted).as_deref(), Some("fallback"));
        assert_eq!(pgpass_lookup("h:1:d:u\n", wanted), None);
    }

    #[test]
    fn passwords_never_show() {
        let uri = StoreUri::parse("postgres://u:hunter2@h/db").unwrap();
        assert_eq!(uri.to_string(), "postgres://u:***@h:5432/db");
        assert!(!format!("{uri:?}").contains("hunter2"));
        let uri = StoreUri::parse("mysql://u:hunter2@h/db").unwrap();
        assert_eq!(uri.to_string(), "mysql://u:***@h:3306/db");
        assert!(!format!("{uri:?}").contains("hunter2"));
        let err = StoreUri::parse("mysql://u:hunter2@h:bad/db").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
