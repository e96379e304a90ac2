//! The JSON schema of a token, both ways: the ten SDK field names (absent
//! as `null`) plus the derived `expired`, `expires_at` and `state` on
//! output, which input ignores.

use std::io::BufRead;

use anyhow::{Context, Result};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use crate::field::Field;
use crate::output::Selection;
use crate::secret::looks_masked;
use crate::token::Token;
use crate::UsageError;

/// A token as JSON: the ten fields by their names in store order (from
/// [`Field::ALL`]; secrets masked unless revealed, absent as `null`), then
/// the derived `expired`, `expires_at` and `state`.
pub struct TokenJson<'a> {
    token: &'a Token,
    reveal: bool,
    now_ms: i64,
    selection: Selection,
}

impl<'a> TokenJson<'a> {
    pub fn new(token: &'a Token, reveal: bool, now_ms: i64) -> Self {
        TokenJson {
            token,
            reveal,
            now_ms,
            selection: Selection::ALL,
        }
    }

    /// Only the values `--fields` selected.
    pub fn only(mut self, selection: Selection) -> Self {
        self.selection = selection;
        self
    }
}

impl Serialize for TokenJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let token = self.token;
        let keep = self.selection;
        let mut map = serializer.serialize_map(None)?;
        for field in Field::ALL.into_iter().filter(|f| keep.field(*f)) {
            map.serialize_entry(field.name(), &token.shown(field, self.reveal))?;
        }
        if keep.derived("expired") {
            map.serialize_entry("expired", &token.is_expired_at(self.now_ms))?;
        }
        if keep.derived("expires_at") {
            map.serialize_entry("expires_at", &token.expiry_ms().and_then(rfc3339))?;
        }
        if keep.derived("state") {
            map.serialize_entry("state", &token.state_at(self.now_ms))?;
        }
        map.end()
    }
}

/// Milliseconds since the epoch as RFC 3339 (UTC, whole seconds); `None`
/// outside years 1970–9999, which RFC 3339 (and humantime) cannot write.
pub fn rfc3339(ms: i64) -> Option<String> {
    const YEAR_10000: u64 = 253_402_300_800;
    let secs = u64::try_from(ms.div_euclid(1000))
        .ok()
        .filter(|&s| s < YEAR_10000)?;
    let time = std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(secs))?;
    Some(humantime::format_rfc3339_seconds(time).to_string())
}

/// A text field that may also be written as a JSON number (ids, expiry).
enum Text {
    String(String),
    Whole(String),
    Fraction(f64),
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl serde::de::Visitor<'_> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string or a whole number")
            }
            fn visit_str<E>(self, v: &str) -> Result<Text, E> {
                Ok(Text::String(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Text, E> {
                Ok(Text::String(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Text, E> {
                Ok(Text::Whole(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Text, E> {
                Ok(Text::Whole(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Text, E> {
                Ok(Text::Fraction(v))
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

impl Text {
    /// The value as text; a number must be a whole number (the SDKs call
    /// `int()` on ids and expiry times and break on `1e3` or `1.5`).
    fn into_string(self, field: &str) -> Result<String, String> {
        match self {
            Text::String(s) | Text::Whole(s) => Ok(s),
            Text::Fraction(n) => Err(format!(
                "{field} is {}, not a whole number",
                serde_json::Number::from_f64(n).map_or_else(|| n.to_string(), |n| n.to_string())
            )),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenInput {
    id: Option<Text>,
    user_name: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    refresh_token: Option<String>,
    access_token: Option<String>,
    grant_token: Option<String>,
    expiry_time: Option<Text>,
    redirect_url: Option<String>,
    api_domain: Option<String>,
    // Derived on output; ignored on input.
    #[serde(rename = "expired")]
    _expired: Option<IgnoredAny>,
    #[serde(rename = "expires_at")]
    _expires_at: Option<IgnoredAny>,
    #[serde(rename = "state")]
    _state: Option<IgnoredAny>,
}

impl TokenInput {
    fn into_token(self) -> Result<Token, String> {
        let id = self.id.map(|v| v.into_string("id")).transpose()?;
        let expiry = self
            .expiry_time
            .map(|v| v.into_string("expiry_time"))
            .transpose()?;
        if let Some(e) = expiry.as_deref().filter(|e| !e.is_empty()) {
            if e.parse::<i64>().is_err() {
                return Err(
                    "expiry_time is not milliseconds since the epoch (e.g. 1767225600000)"
                        .to_string(),
                );
            }
        }
        Ok(Token::from_fields([
            id,
            self.user_name,
            self.client_id,
            self.client_secret,
            self.refresh_token,
            self.access_token,
            self.grant_token,
            expiry,
            self.redirect_url,
            self.api_domain,
        ]))
    }
}

/// Parses one JSON object, an array of them, or JSON lines. A secret that
/// is masked output (`list` without `--reveal`) is refused: saving it would
/// overwrite a real secret with its mask.
pub fn parse_tokens(text: &str) -> Result<Vec<Token>> {
    read_tokens(Box::new(text.as_bytes()))?.collect()
}

/// Reads tokens as [`parse_tokens`] does, one at a time: JSON lines (or
/// objects one after another) are streamed, so a big input is never held
/// whole; an array is read whole first.
pub fn read_tokens<'r>(
    mut input: Box<dyn BufRead + 'r>,
) -> Result<Box<dyn Iterator<Item = Result<Token>> + 'r>> {
    let first = loop {
        let buf = input.fill_buf().context("cannot read")?;
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(at) => break Some(buf[at]),
            None if buf.is_empty() => break None,
            None => {
                let n = buf.len();
                input.consume(n);
            }
        }
    };
    let inputs: Box<dyn Iterator<Item = Result<TokenInput>> + 'r> = if first == Some(b'[') {
        let all: Vec<TokenInput> =
            serde_json::from_reader(input).map_err(|e| without_values(e, Position::START))?;
        Box::new(all.into_iter().map(Ok))
    } else {
        Box::new(ObjectStream::new(input))
    };
    Ok(Box::new(
        inputs.enumerate().map(|(n, input)| checked(n + 1, input?)),
    ))
}

/// JSON values one after another, parsed from blocks of the input:
/// serde_json reads a byte slice several times faster than a reader.
struct ObjectStream<R> {
    input: R,
    buf: Vec<u8>,
    /// Where the next value starts in `buf`.
    pos: usize,
    /// Where `buf[0]` sits in the input, for error positions.
    start: Position,
    ended: bool,
    failed: bool,
}

/// A place in the input: lines counted from 1, columns from 1 (as serde_json).
#[derive(Clone, Copy)]
struct Position {
    line: usize,
    column: usize,
}

impl Position {
    const START: Position = Position { line: 1, column: 1 };

    /// Where serde_json's `line`/`column`, counted within a slice that
    /// starts here, fall in the whole input.
    fn plus(self, line: usize, column: usize) -> Position {
        if line <= 1 {
            Position {
                line: self.line,
                column: self.column - 1 + column,
            }
        } else {
            Position {
                line: self.line + line - 1,
                column,
            }
        }
    }

    /// The position after `bytes`.
    fn after(self, bytes: &[u8]) -> Position {
        let lines = memchr::memchr_iter(b'\n', bytes).count();
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => Position {
                line: self.line + lines,
                column: bytes.len() - last,
            },
            None => Position {
                line: self.line,
                column: self.column + bytes.len(),
            },
        }
    }
}

/// How much input an [`ObjectStream`] reads at a time.
const BLOCK: usize = 1 << 20;

impl<R: BufRead> ObjectStream<R> {
    fn new(input: R) -> Self {
        ObjectStream {
            input,
            buf: Vec::new(),
            pos: 0,
            start: Position::START,
            ended: false,
            failed: false,
        }
    }

    /// Drops what was parsed and reads one more block; false at the end.
    fn refill(&mut self) -> std::io::Result<bool> {
        if self.ended {
            return Ok(false);
        }
        self.start = self.start.after(&self.buf[..self.pos]);
        self.buf.drain(..self.pos);
        self.pos = 0;
        let want = self.buf.len() + BLOCK;
        while self.buf.len() < want {
            let got = self.input.fill_buf()?;
            if got.is_empty() {
                self.ended = true;
                break;
            }
            let n = got.len().min(want - self.buf.len());
            self.buf.extend_from_slice(&got[..n]);
            self.input.consume(n);
        }
        Ok(true)
    }

    fn next_value(&mut self) -> Option<Result<TokenInput>> {
        loop {
            let rest = &self.buf[self.pos..];
            let blank = rest
                .iter()
                .all(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'));
            if !blank {
                let mut values = serde_json::Deserializer::from_slice(rest).into_iter();
                match values.next() {
                    Some(Ok(value)) => {
                        self.pos += values.byte_offset();
                        return Some(Ok(value));
                    }
                    // A value cut at the end of the block: read on.
                    Some(Err(e)) if e.is_eof() && !self.ended => {}
                    Some(Err(e)) => {
                        let at = self.start.after(&self.buf[..self.pos]);
                        return Some(Err(without_values(e, at)));
                    }
                    None => {}
                }
            }
            match self.refill() {
                Ok(true) => {}
                Ok(false) => return None,
                Err(e) => return Some(Err(anyhow::Error::new(e).context("cannot read"))),
            }
        }
    }
}

impl<R: BufRead> Iterator for ObjectStream<R> {
    type Item = Result<TokenInput>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let next = self.next_value();
        self.failed = matches!(next, Some(Err(_)));
        next
    }
}

/// The token of the `n`th input object, refused if a secret is masked.
fn checked(n: usize, input: TokenInput) -> Result<Token> {
    let token = input
        .into_token()
        .map_err(|reason| UsageError(format!("token {n} of the input: {reason}")))?;
    let fields = token.fields();
    for field in Field::ALL.into_iter().filter(|f| f.is_secret()) {
        if fields[field.index()].is_some_and(looks_masked) {
            return Err(UsageError(format!(
                "token {n} of the input has a masked {}; export with --reveal",
                field.name()
            ))
            .into());
        }
    }
    Ok(token)
}

/// serde's messages for wrong data quote the value or the key (either may
/// be a secret): keep the position and what was expected, never the text.
fn without_values(e: serde_json::Error, start: Position) -> anyhow::Error {
    let place = start.plus(e.line(), e.column());
    let at = format!("at line {} column {}", place.line, place.column);
    let message = e.to_string();
    let message = if e.classify() != serde_json::error::Category::Data {
        // Syntax and end-of-input messages quote nothing.
        let what = message
            .rsplit_once(" at line ")
            .map_or(&*message, |(m, _)| m);
        format!("{what} {at}")
    } else if let Some((_, rest)) = message.split_once("invalid type: ") {
        let kind = rest.split([' ', ',']).next().unwrap_or("value");
        let expected = rest.split_once("expected ").map_or("", |(_, e)| e);
        let expected = expected.split(" at line").next().unwrap_or(expected);
        format!("a {kind} where {expected} belongs {at}")
    } else if let Some(rest) = message.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or_default();
        let names = crate::field::Field::ALL.map(|f| f.name());
        // Only a key that looks like a field name is repeated: a key in
        // broken input may be a secret.
        let named = key.len() <= 32 && key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let near = names
            .iter()
            .find(|name| crate::uri::edit_distance(key, name) <= 2);
        match (named, near) {
            (true, Some(near)) => format!("unknown key `{key}` {at}; did you mean `{near}`?"),
            (true, None) => format!(
                "unknown key `{key}` {at}; the keys are {}",
                names.join(", ")
            ),
            (false, _) => format!("an unknown key {at}; the keys are {}", names.join(", ")),
        }
    } else {
        format!("a value tokenstore cannot read {at}")
    };
    UsageError(format!("invalid JSON input: {message}")).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_objects_arrays_and_lines_and_ignores_derived_fields() {
        let one = r#"{"id": 7, "user_name": "a", "refresh_token": "r", "expired": true, "expires_at": null}"#;
        assert_eq!(parse_tokens(one).unwrap()[0].id.as_deref(), Some("7"));
        let lines = "{\"user_name\":\"a\",\"refresh_token\":\"r\"}\n{\"user_name\":\"b\",\"refresh_token\":\"s\"}\n";
        assert_eq!(parse_tokens(lines).unwrap().len(), 2);
        let array = r#"[{"user_name":"a","access_token":"x","expiry_time":1767225600000}]"#;
        let t = &parse_tokens(array).unwrap()[0];
        assert_eq!(t.expiry_time.as_deref(), Some("1767225600000"));
    }

    #[test]
    fn refuses_unknown_fields_and_masked_secrets() {
        let err = parse_tokens(r#"{"user_name":"a","refresh_tokn":"r"}"#).unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown key `refresh_tokn` at line 1 column")
                && format!("{err:#}").contains("; did you mean `refresh_token`?"),
            "{err:#}"
        );
        // A key that may be a secret (input broken in a way that made a
        // value a key) is not repeated.
        let err = parse_tokens(r#"{"user_name":"a","1000.f00d.beef":"r"}"#).unwrap_err();
        assert!(!format!("{err:#}").contains("f00d"), "{err:#}");
        assert!(
            format!("{err:#}").contains("an unknown key at line 1"),
            "{err:#}"
        );
        let err = parse_tokens(r#"{"user_name":"a","refresh_token":"1000…0001"}"#).unwrap_err();
        assert!(err.to_string().contains("masked refresh_token"), "{err}");
    }

    #[test]
    fn a_secret_of_the_wrong_type_is_not_repeated() {
        let err = parse_tokens(r#"{"user_name":"a","refresh_token":1000123456789}"#).unwrap_err();
        let text = format!("{err:#}");
        assert!(!text.contains("1000123456789"), "{text}");
        assert!(text.contains("a string"), "{text}");
    }

    #[test]
    fn objects_cut_by_a_block_boundary_are_read_whole_and_errors_name_their_line() {
        // Pretty-printed objects, so that some start in one block of the
        // reader and end in the next.
        let object = |n: usize| {
            format!("{{\n  \"id\": \"{n}\",\n  \"user_name\": \"user{n}\",\n  \"refresh_token\": \"1000.{}\"\n}}\n", "r".repeat(n % 97))
        };
        let mut text = String::new();
        let mut n = 0;
        while text.len() < 3 * BLOCK {
            n += 1;
            text.push_str(&object(n));
        }
        let tokens = parse_tokens(&text).unwrap();
        assert_eq!(tokens.len(), n);
        assert_eq!(
            tokens[n - 1].user_name.as_deref(),
            Some(&*format!("user{n}"))
        );
        assert_eq!(
            tokens[n - 1].refresh_token.as_ref().unwrap().expose(),
            format!("1000.{}", "r".repeat(n % 97))
        );

        // A broken value just past the first block, on its own line.
        let lines_before = text[..BLOCK].matches('\n').count();
        let cut = BLOCK + text[BLOCK..].find('\n').unwrap() + 1;
        let mut broken = text[..cut].to_string();
        broken.push_str("   @\n");
        broken.push_str(&text[cut..]);
        let err = format!("{:#}", parse_tokens(&broken).unwrap_err());
        let line = lines_before + 2;
        assert!(
            err.contains(&format!("at line {line} column 4")),
            "{err} (wanted line {line})"
        );
        // An unknown key far into the input is placed too.
        let far = format!("{text}{{\"user_name\": \"z\", \"refresh_tokn\": \"r\"}}\n");
        let err = format!("{:#}", parse_tokens(&far).unwrap_err());
        let line = text.matches('\n').count() + 1;
        assert!(
            err.contains(&format!("at line {line} column 33")),
            "{err} (wanted line {line})"
        );
    }

    #[test]
    fn expiry_renders_as_rfc3339() {
        assert_eq!(
            rfc3339(1767225600000).as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
    }
}
