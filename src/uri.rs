//! Store URIs: pure parsing, and a `Display` that hides passwords.

use std::fmt;
use std::path::PathBuf;

use percent_encoding::percent_decode_str;

use crate::secret::Secret;

pub const DEFAULT_TABLE: &str = "oauthtoken";
pub const DEFAULT_MYSQL_DATABASE: &str = "zohooauth";
pub const DEFAULT_MYSQL_PORT: u16 = 3306;

/// The forms a store URI may take, for error messages.
pub const ACCEPTED_FORMS: &str = "memory:, file:PATH, sqlite:PATH[?table=NAME] or \
     mysql://USER[:PASS]@HOST[:PORT]/DB[?table=NAME]";

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
    Mysql(ServerUri),
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
}

impl Engine {
    /// The scheme a URI of this engine is printed with.
    pub fn scheme(self) -> &'static str {
        match self {
            Engine::Mysql => "mysql",
        }
    }

    /// The environment variable that may hold the password.
    pub fn password_variable(self) -> &'static str {
        match self {
            Engine::Mysql => "TOKENSTORE_MYSQL_PASSWORD",
        }
    }
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
}

impl ServerUri {
    /// The password: from the URI, or (when the URI has none, or an empty
    /// one) from the engine's environment variable.
    pub fn password(&self) -> Option<Secret> {
        self.password
            .clone()
            .filter(|p| !p.expose().is_empty())
            .or_else(|| {
                std::env::var(self.engine.password_variable())
                    .ok()
                    .map(Secret::new)
            })
    }
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

/// Splits `?table=NAME` off the end of a URI body; no other option exists.
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
            "mysql" | "mariadb" => parse_mysql(uri, body).map(StoreUri::Mysql),
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
            StoreUri::Mysql(_) => "mysql",
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
    let known = ["memory", "file", "sqlite", "mysql", "mariadb"];
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

fn parse_mysql(uri: &str, body: &str) -> Result<ServerUri, UriError> {
    let Some(rest) = body.strip_prefix("//") else {
        return Err(UriError::new(uri, "mysql: must be followed by //"));
    };
    let (rest, table) = split_table(uri, rest)?;
    let (authority, database) = rest.split_once('/').unwrap_or((rest, ""));
    let Some((credentials, host_port)) = authority.rsplit_once('@') else {
        return Err(UriError::new(uri, "mysql: needs USER@HOST"));
    };
    let (user, password) = match credentials.split_once(':') {
        Some((user, pass)) => (user, Some(pass)),
        None => (credentials, None),
    };
    let user = decode(uri, user, "user")?;
    if user.is_empty() {
        return Err(UriError::new(uri, "mysql: needs a user name"));
    }
    let password = password
        .map(|p| decode(uri, p, "password"))
        .transpose()?
        .map(Secret::new);
    let (host, port) = split_host_port(uri, host_port)?;
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
        engine: Engine::Mysql,
        user,
        password,
        host,
        port,
        database,
        table,
    })
}

fn split_host_port(uri: &str, host_port: &str) -> Result<(String, u16), UriError> {
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
        return Err(UriError::new(uri, "mysql: needs a host"));
    }
    let port = match port {
        None => DEFAULT_MYSQL_PORT,
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
            StoreUri::Mysql(m) => {
                let password = if m.password.is_some() { ":***" } else { "" };
                let host = if m.host.contains(':') {
                    format!("[{}]", m.host)
                } else {
                    m.host.clone()
                };
                write!(
                    f,
                    "{}://{}{password}@{host}:{}/{}{}",
                    m.engine.scheme(),
                    m.user,
                    m.port,
                    m.database,
                    table_suffix(&m.table)
                )
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
        StoreUri::Mysql(ServerUri {
            engine: Engine::Mysql,
            user: user.into(),
            password: pass.map(Secret::new),
            host: host.into(),
            port,
            database: db.into(),
            table: table.into(),
        })
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
        ];
        for (text, want) in cases {
            assert_eq!(StoreUri::parse(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn rejects_malformed_uris_with_a_reason() {
        let cases = [
            ("tokens.csv", "no scheme"),
            ("postgres://u@h/db", "unknown scheme `postgres:`"),
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
    fn passwords_never_show() {
        let uri = StoreUri::parse("mysql://u:hunter2@h/db").unwrap();
        assert_eq!(uri.to_string(), "mysql://u:***@h:3306/db");
        assert!(!format!("{uri:?}").contains("hunter2"));
        let err = StoreUri::parse("mysql://u:hunter2@h:bad/db").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}
