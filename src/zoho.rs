//! The client for Zoho's accounts server: which server a token belongs to
//! (its data centre), and the three calls tokenstore makes there — refresh
//! an access token, exchange a grant token once, revoke a refresh token.
//!
//! Secrets travel only in the request body (token endpoint) or the query
//! Zoho requires (revoke); no error of this module holds a secret, a URL
//! with a query, or any text of Zoho's answer beyond its short error code.

use std::time::Duration;

use serde::Deserialize;

use crate::secret::Secret;

/// How long connecting may take, and the whole request.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The environment variable that overrides the accounts server.
pub const ACCOUNTS_URL_ENV: &str = "TOKENSTORE_ACCOUNTS_URL";

/// The data centres of the Zoho CRM SDKs' `DataCenter` classes: the
/// domain after `zohoapis` in an API domain (`www.`, `sandbox.`,
/// `developer.`, `content.` hosts alike), and its accounts server.
const DATA_CENTRES: &[(&str, &str)] = &[
    ("zohoapis.com", "https://accounts.zoho.com"),
    ("zohoapis.eu", "https://accounts.zoho.eu"),
    ("zohoapis.in", "https://accounts.zoho.in"),
    ("zohoapis.com.au", "https://accounts.zoho.com.au"),
    ("zohoapis.jp", "https://accounts.zoho.jp"),
    ("zohoapis.ca", "https://accounts.zohocloud.ca"),
    ("zohoapis.com.cn", "https://accounts.zoho.com.cn"),
    ("zohoapis.sa", "https://accounts.zoho.sa"),
];

/// A call to the accounts server that did not give what was asked.
/// Messages say what happened and what to do, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZohoError {
    /// Zoho answered with an OAuth error code (`invalid_code`,
    /// `invalid_client`, …).
    #[error("{}", rejected_message(.0))]
    Rejected(String),
    /// Zoho refuses more requests for now (a refresh token may mint at
    /// most 10 access tokens in 10 minutes).
    #[error(
        "Zoho is limiting requests for this token (at most 10 access tokens in 10 minutes); \
         wait a few minutes before trying again"
    )]
    RateLimited,
    /// The answer was not what Zoho documents (not JSON, no access token).
    #[error(
        "the accounts server gave an answer tokenstore cannot read ({0}); nothing was changed"
    )]
    BadAnswer(String),
    /// No answer: refused, timed out, name not found, TLS failure.
    #[error("cannot reach the accounts server at {url}: {why}")]
    Unreachable { url: String, why: String },
}

impl ZohoError {
    /// Whether Zoho said the token (or its client) is no longer accepted:
    /// the user must authorise the application again.
    pub fn is_revoked(&self) -> bool {
        matches!(self, ZohoError::Rejected(code)
            if matches!(code.as_str(), "invalid_code" | "invalid_client" | "invalid_token"))
    }

    /// A short word for reports: Zoho's error code, or the kind.
    pub fn code(&self) -> &str {
        match self {
            ZohoError::Rejected(code) => code,
            ZohoError::RateLimited => "rate_limited",
            ZohoError::BadAnswer(_) => "bad_answer",
            ZohoError::Unreachable { .. } => "unreachable",
        }
    }
}

fn rejected_message(code: &str) -> String {
    let advice = match code {
        "invalid_code" => {
            "the refresh or grant token is revoked, expired or wrong; the user must authorise \
             the application again"
        }
        "invalid_client" | "invalid_client_secret" => {
            "the client id or secret is wrong, or the client was deleted in Zoho's API console"
        }
        "invalid_redirect_uri" => "the redirect URL does not match the client's",
        "invalid_token" => "Zoho does not know this refresh token (already revoked, or wrong)",
        _ => "see Zoho's OAuth documentation for this code",
    };
    format!("Zoho refused it with `{code}`: {advice}")
}

/// What the token endpoint gave.
#[derive(Debug, Clone)]
pub struct Granted {
    pub access_token: Secret,
    /// Seconds the access token lives.
    pub expires_in_secs: i64,
    /// Only when exchanging a grant token.
    pub refresh_token: Option<Secret>,
}

impl Granted {
    /// The expiry as the SDKs store it: milliseconds since the epoch.
    pub fn expiry_ms(&self, now_ms: i64) -> i64 {
        now_ms.saturating_add(self.expires_in_secs.saturating_mul(1000))
    }
}

/// The OAuth client fields of a stored token, for a call.
pub struct Client<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub redirect_url: Option<&'a str>,
}

/// The accounts server of a token: `override_url` (from `--accounts-url`
/// or TOKENSTORE_ACCOUNTS_URL) when given, else derived from its
/// api_domain. The error says what to pass when neither works.
pub fn accounts_url(
    api_domain: Option<&str>,
    override_url: Option<&str>,
) -> Result<String, String> {
    if let Some(url) = override_url {
        return checked_url(url);
    }
    let Some(domain) = api_domain else {
        return Err(
            "it has no api_domain to tell its data centre; pass --accounts-url \
                    (e.g. https://accounts.zoho.eu)"
                .into(),
        );
    };
    let host = domain
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split(['/', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    DATA_CENTRES
        .iter()
        .find(|(suffix, _)| host == *suffix || host.ends_with(&format!(".{suffix}")))
        .map(|(_, url)| url.to_string())
        .ok_or_else(|| {
            format!(
                "its api_domain {} is not a Zoho data centre tokenstore knows; pass \
                 --accounts-url (e.g. https://accounts.zoho.com)",
                crate::output::safe(domain)
            )
        })
}

/// An accounts URL given by hand: https, or http to this machine only
/// (tests, a local proxy), with no query, user or fragment, no trailing `/`.
/// The host checked is the one the request goes to (the URL as parsed).
pub fn checked_url(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    // Shown without a query, fragment or user part, which may hold a secret.
    let bare = url.split(['?', '#']).next().unwrap_or_default();
    let shown = match bare.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://…@{host}"),
            None => bare.to_string(),
        },
        None => bare.to_string(),
    };
    let shown = crate::output::safe(&shown);
    let plain = || {
        format!(
            "the accounts URL {shown} must be a plain server URL such as \
             https://accounts.zoho.com"
        )
    };
    let https = url.starts_with("https://");
    if !https && !url.starts_with("http://") {
        return Err(format!(
            "the accounts URL {shown} is not an https:// URL (e.g. https://accounts.zoho.com)"
        ));
    }
    if !url.bytes().all(|b| b.is_ascii_graphic()) || url.contains(['?', '#', '@', '\\']) {
        return Err(plain());
    }
    let uri: ureq::http::Uri = url.parse().map_err(|_| plain())?;
    let Some(authority) = uri.authority() else {
        return Err(plain());
    };
    let host = authority.host();
    let port_ok = match authority.as_str().strip_prefix(host) {
        Some("") => true,
        Some(port) => port.starts_with(':') && authority.port_u16().is_some(),
        None => false,
    };
    if host.is_empty() || !port_ok {
        return Err(plain());
    }
    if !https && !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        return Err(format!(
            "the accounts URL {shown} is plain http; secrets go only over https \
             (http is accepted for 127.0.0.1 and localhost)"
        ));
    }
    Ok(url.to_string())
}

/// The most of an answer that is read (Zoho's are a few hundred bytes).
const BODY_LIMIT: u64 = 64 * 1024;

/// A blocking HTTPS client for the accounts server (rustls; connect 5 s,
/// whole request 15 s; no redirects, so a secret is never sent elsewhere).
pub struct Accounts {
    agent: ureq::Agent,
}

impl Default for Accounts {
    fn default() -> Self {
        Accounts::new()
    }
}

impl Accounts {
    pub fn new() -> Accounts {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(REQUEST_TIMEOUT))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("tokenstore/", env!("CARGO_PKG_VERSION")))
            .build();
        Accounts {
            agent: config.into(),
        }
    }

    /// A new access token from a refresh token (`grant_type=refresh_token`).
    pub fn refresh(
        &self,
        accounts: &str,
        client: &Client<'_>,
        refresh_token: &str,
    ) -> Result<Granted, ZohoError> {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("client_id", client.client_id),
            ("client_secret", client.client_secret),
            ("refresh_token", refresh_token),
        ];
        if let Some(redirect) = client.redirect_url {
            form.push(("redirect_uri", redirect));
        }
        let answer = self.token_call(accounts, &form)?;
        answer.into_granted(false)
    }

    /// A refresh and access token for a grant token, once
    /// (`grant_type=authorization_code`), as the SDKs do.
    pub fn exchange_grant(
        &self,
        accounts: &str,
        client: &Client<'_>,
        grant_token: &str,
    ) -> Result<Granted, ZohoError> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("client_id", client.client_id),
            ("client_secret", client.client_secret),
            ("code", grant_token),
        ];
        if let Some(redirect) = client.redirect_url {
            form.push(("redirect_uri", redirect));
        }
        let answer = self.token_call(accounts, &form)?;
        answer.into_granted(true)
    }

    /// Revokes a refresh token (`POST /oauth/v2/token/revoke?token=…`,
    /// where Zoho wants it). Ok only when Zoho says `success`.
    pub fn revoke(&self, accounts: &str, refresh_token: &str) -> Result<(), ZohoError> {
        let url = format!("{accounts}/oauth/v2/token/revoke");
        let response = self
            .agent
            .post(&url)
            .query("token", refresh_token)
            .send_empty()
            .map_err(|e| unreachable(accounts, &e))?;
        if response.status().as_u16() == 429 {
            // Whatever its body (an HTML page, a slow or long one).
            return Err(ZohoError::RateLimited);
        }
        let (status, body) = read_body(accounts, response)?;
        let answer: TokenAnswer = serde_json::from_str(&body).map_err(|_| not_json(status))?;
        if status == 200 && answer.status.as_deref() == Some("success") {
            return Ok(());
        }
        // Zoho answers an unknown token with HTTP 400 (its code, if any, wins).
        Err(answer.error_or(status, (status == 400).then_some("invalid_token")))
    }

    fn token_call(&self, accounts: &str, form: &[(&str, &str)]) -> Result<TokenAnswer, ZohoError> {
        let url = format!("{accounts}/oauth/v2/token");
        let response = self
            .agent
            .post(&url)
            .send_form(form.iter().copied())
            .map_err(|e| unreachable(accounts, &e))?;
        if response.status().as_u16() == 429 {
            // Whatever its body (an HTML page, a slow or long one).
            return Err(ZohoError::RateLimited);
        }
        let (status, body) = read_body(accounts, response)?;
        let answer: TokenAnswer = serde_json::from_str(&body).map_err(|_| not_json(status))?;
        if answer.error.is_some() || !(200..300).contains(&status) {
            return Err(answer.error_or(status, None));
        }
        Ok(answer)
    }
}

fn read_body(
    accounts: &str,
    response: ureq::http::Response<ureq::Body>,
) -> Result<(u16, String), ZohoError> {
    let status = response.status().as_u16();
    let bytes = response
        .into_body()
        .with_config()
        .limit(BODY_LIMIT)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => {
                ZohoError::BadAnswer(format!("HTTP {status}, a body over 64 KiB"))
            }
            ureq::Error::Timeout(_) | ureq::Error::Io(_) => unreachable(accounts, &e),
            _ => ZohoError::BadAnswer(format!("HTTP {status}, a body that cannot be read")),
        })?;
    let body = String::from_utf8(bytes)
        .map_err(|_| ZohoError::BadAnswer(format!("HTTP {status}, a body that is not UTF-8")))?;
    Ok((status, body))
}

fn not_json(status: u16) -> ZohoError {
    ZohoError::BadAnswer(format!("HTTP {status}, not JSON"))
}

/// A transport failure in plain words; ureq's own text is not used, as it
/// may hold the request URL (and so the revoke query).
fn unreachable(accounts: &str, error: &ureq::Error) -> ZohoError {
    use ureq::Error as E;
    let why = match error {
        E::Timeout(ureq::Timeout::Connect) => {
            format!("no connection within {} s", CONNECT_TIMEOUT.as_secs())
        }
        E::Timeout(_) => format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
        E::HostNotFound => "the host name was not found".to_string(),
        E::ConnectionFailed => "the connection was refused".to_string(),
        E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "the connection was refused".to_string()
        }
        E::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut => {
                format!("no answer within {} s", REQUEST_TIMEOUT.as_secs())
            }
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::UnexpectedEof => {
                "the connection was closed before an answer came".to_string()
            }
            _ => "the connection failed (no network, or a host name that does not resolve?)"
                .to_string(),
        },
        E::Tls(_) | E::Rustls(_) | E::Pem(_) | E::TlsRequired => {
            "the TLS handshake failed (is it really the accounts server?)".to_string()
        }
        E::TooManyRedirects | E::RedirectFailed => {
            "it answered with a redirect, which tokenstore does not follow with secrets".to_string()
        }
        E::ConnectProxyFailed(_) | E::InvalidProxyUrl => {
            "the proxy (HTTPS_PROXY/ALL_PROXY) failed".to_string()
        }
        _ => "the request failed".to_string(),
    };
    ZohoError::Unreachable {
        url: accounts.to_string(),
        why,
    }
}

/// Whether a token from an answer looks like one: 1 to 4,096 visible
/// ASCII characters (Zoho's are `1000.` and hex).
fn plain_token(token: &Secret) -> bool {
    let text = token.expose();
    !text.is_empty() && text.len() <= 4096 && text.bytes().all(|b| b.is_ascii_graphic())
}

/// The JSON Zoho answers with, on success or error.
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<Secret>,
    refresh_token: Option<Secret>,
    expires_in: Option<serde_json::Value>,
    /// Older answers give seconds here and milliseconds in `expires_in`.
    expires_in_sec: Option<serde_json::Value>,
    error: Option<serde_json::Value>,
    status: Option<String>,
}

impl TokenAnswer {
    fn into_granted(self, with_refresh: bool) -> Result<Granted, ZohoError> {
        let Some(access_token) = self.access_token else {
            return Err(ZohoError::BadAnswer("no access_token in it".into()));
        };
        // What is printed and stored must be a token: no terminal escape,
        // line break or space from a hostile or broken server.
        if !plain_token(&access_token) || !self.refresh_token.as_ref().is_none_or(plain_token) {
            return Err(ZohoError::BadAnswer(
                "a token that is empty, too long or not plain text".into(),
            ));
        }
        if with_refresh && self.refresh_token.is_none() {
            return Err(ZohoError::BadAnswer(
                "no refresh_token for the grant token; was it issued with access_type=offline?"
                    .into(),
            ));
        }
        let seconds = |v: &Option<serde_json::Value>| -> Option<i64> {
            match v.as_ref()? {
                serde_json::Value::Number(n) => n.as_i64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }
        };
        let expires_in_secs = match (seconds(&self.expires_in_sec), seconds(&self.expires_in)) {
            (Some(secs), _) => secs,
            (None, Some(secs)) => secs,
            (None, None) => return Err(ZohoError::BadAnswer("no expires_in in it".into())),
        };
        if !(0..=10 * 365 * 86_400).contains(&expires_in_secs) {
            return Err(ZohoError::BadAnswer("an expires_in out of range".into()));
        }
        Ok(Granted {
            access_token,
            expires_in_secs,
            refresh_token: self.refresh_token,
        })
    }

    /// Zoho's error code as a typed error (`otherwise` when the answer
    /// has none); only a short code of plain characters is repeated, never
    /// free text from the answer.
    fn error_or(self, status: u16, otherwise: Option<&str>) -> ZohoError {
        let code = match (self.error, otherwise) {
            (Some(serde_json::Value::String(code)), _) => code,
            (_, Some(code)) => code.to_string(),
            _ if status == 429 => return ZohoError::RateLimited,
            _ => return ZohoError::BadAnswer(format!("HTTP {status} without an error code")),
        };
        if status == 429 || code.eq_ignore_ascii_case("access denied") {
            return ZohoError::RateLimited;
        }
        let plain = !code.is_empty()
            && code.len() <= 48
            && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if plain {
            ZohoError::Rejected(code)
        } else {
            ZohoError::BadAnswer(format!(
                "HTTP {status}, an error code that is not plain text"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sdk_data_centre_has_its_accounts_server() {
        let cases = [
            ("https://www.zohoapis.com", "https://accounts.zoho.com"),
            ("https://sandbox.zohoapis.com", "https://accounts.zoho.com"),
            ("https://www.zohoapis.eu", "https://accounts.zoho.eu"),
            ("https://www.zohoapis.in", "https://accounts.zoho.in"),
            (
                "https://www.zohoapis.com.au",
                "https://accounts.zoho.com.au",
            ),
            ("https://www.zohoapis.jp", "https://accounts.zoho.jp"),
            ("https://www.zohoapis.ca", "https://accounts.zohocloud.ca"),
            (
                "https://developer.zohoapis.com.cn",
                "https://accounts.zoho.com.cn",
            ),
            ("https://www.zohoapis.sa", "https://accounts.zoho.sa"),
            ("www.zohoapis.eu/", "https://accounts.zoho.eu"),
        ];
        for (domain, accounts) in cases {
            assert_eq!(
                accounts_url(Some(domain), None).as_deref(),
                Ok(accounts),
                "{domain}"
            );
        }
        // A look-alike is not a data centre.
        assert!(accounts_url(Some("https://www.zohoapis.com.evil.example"), None).is_err());
        assert!(accounts_url(Some("https://notzohoapis.com"), None).is_err());
        assert!(accounts_url(None, None)
            .unwrap_err()
            .contains("--accounts-url"));
    }

    #[test]
    fn a_given_accounts_url_wins_and_must_be_https_or_loopback() {
        let eu = Some("https://www.zohoapis.eu");
        assert_eq!(
            accounts_url(eu, Some("https://accounts.zoho.com/")).as_deref(),
            Ok("https://accounts.zoho.com")
        );
        assert!(checked_url("http://127.0.0.1:8080").is_ok());
        assert!(checked_url("http://localhost").is_ok());
        assert!(checked_url("http://accounts.zoho.com").is_err());
        assert!(checked_url("accounts.zoho.com").is_err());
        assert!(checked_url("https://accounts.zoho.com?token=x").is_err());
        assert!(checked_url("https://user@accounts.zoho.com").is_err());
        // The host is the one a request goes to; no control characters.
        assert!(checked_url("http://127.0.0.1:8080.evil.example").is_err());
        assert!(checked_url("http://127.0.0.1:80\\evil.example").is_err());
        assert!(checked_url("http://[::1]:8080").is_ok());
        assert!(checked_url("https://accounts\u{1b}[31m.zoho.com").is_err());
        assert!(checked_url("https:///oauth").is_err());
        // A refused URL is named without what may be a secret.
        for (url, secret) in [
            ("https://accounts.zoho.com/?token=1000.SECRET", "SECRET"),
            ("https://u:PASSWORD@accounts.zoho.com", "PASSWORD"),
            ("http://proxy.example/#1000.SECRET", "SECRET"),
        ] {
            let error = checked_url(url).unwrap_err();
            assert!(!error.contains(secret), "{error}");
        }
    }

    #[test]
    fn answers_are_read_as_the_sdks_read_them() {
        let read = |json: &str| serde_json::from_str::<TokenAnswer>(json).unwrap();
        let g = read(
            r#"{"access_token":"a","expires_in":3600,"api_domain":"x","token_type":"Bearer"}"#,
        )
        .into_granted(false)
        .unwrap();
        assert_eq!(g.expires_in_secs, 3600);
        assert_eq!(g.expiry_ms(1_000), 3_601_000);
        // The old form: milliseconds in expires_in, seconds in expires_in_sec.
        let old = read(r#"{"access_token":"a","expires_in":3600000,"expires_in_sec":3600}"#);
        assert_eq!(old.into_granted(false).unwrap().expires_in_secs, 3600);
        let grant = read(r#"{"access_token":"a","expires_in":3600}"#).into_granted(true);
        assert!(matches!(grant, Err(ZohoError::BadAnswer(_))));
        // Tokens that are not plain text are refused, never printed or stored.
        for odd in [
            r#"{"access_token":"","expires_in":3600}"#,
            r#"{"access_token":"a\u001b]0;x\u0007","expires_in":3600}"#,
            r#"{"access_token":"a\nb","expires_in":3600}"#,
            r#"{"access_token":"a b","expires_in":3600}"#,
            r#"{"access_token":"a","refresh_token":"","expires_in":3600}"#,
            r#"{"access_token":"a","refresh_token":"r\r","expires_in":3600}"#,
        ] {
            assert!(
                matches!(read(odd).into_granted(false), Err(ZohoError::BadAnswer(_))),
                "{odd}"
            );
        }
    }

    #[test]
    fn errors_repeat_only_plain_codes() {
        let read = |json: &str| serde_json::from_str::<TokenAnswer>(json).unwrap();
        assert_eq!(
            read(r#"{"error":"invalid_code"}"#).error_or(200, None),
            ZohoError::Rejected("invalid_code".into())
        );
        assert_eq!(
            read(r#"{"error":"Access Denied","error_description":"too many"}"#).error_or(400, None),
            ZohoError::RateLimited
        );
        let odd = read(r#"{"error":"<script>1000.secret"}"#).error_or(400, None);
        assert!(!odd.to_string().contains("secret"), "{odd}");
        assert!(matches!(
            read(r#"{"status":"failure"}"#).error_or(502, None),
            ZohoError::BadAnswer(_)
        ));
        assert_eq!(
            read(r#"{"status":"failure"}"#).error_or(400, Some("invalid_token")),
            ZohoError::Rejected("invalid_token".into())
        );
        assert!(ZohoError::Rejected("invalid_client".into()).is_revoked());
        assert!(!ZohoError::RateLimited.is_revoked());
    }
}
