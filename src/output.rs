//! Rendering tokens as a table, JSON, JSON lines or CSV, with secrets
//! masked unless revealed. Every format but the table streams.

use std::borrow::Cow;
use std::io::Write;

use anyhow::Result;

use crate::field::Field;
use crate::json::TokenJson;
use crate::ops::migrate::{id_list, Report};
use crate::token::Token;
use crate::uri::StoreUri;

mod table;

/// How tokens are printed.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people: fitted to the terminal; tab-separated when piped
    Table,
    /// The table with every column
    Wide,
    Json,
    Jsonl,
    /// The FileStore layout
    Csv,
}

/// How to show tokens.
#[derive(Clone, Copy)]
pub struct Style {
    pub format: Format,
    pub reveal: bool,
    pub now_ms: i64,
    /// Colour on a terminal, never with NO_COLOR.
    pub color: bool,
    /// CSV for spreadsheets: a value a spreadsheet would run as a formula
    /// gets a leading `'`.
    pub safe_spreadsheet: bool,
    /// Whether standard output is a terminal (a fitted table) or not (a
    /// tab-separated one).
    pub terminal: bool,
    /// The terminal's width, when known.
    pub width: Option<usize>,
    /// Every column (`-o wide`).
    pub wide: bool,
    /// A header line over tables.
    pub headers: bool,
    /// `--fields`: only these values, in store order.
    pub selection: Selection,
}

/// The values output may show: the ten fields, then the derived ones.
pub const DERIVED: [&str; 3] = ["expired", "expires_at", "state"];

/// Which values `--fields` keeps (one bit each: the ten fields, then
/// [`DERIVED`]); all of them without `--fields`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selection(u16);

impl Selection {
    pub const ALL: Selection = Selection(u16::MAX);

    /// `id,user_name,state`: names from [`Field::ALL`] and [`DERIVED`].
    pub fn parse(list: &str) -> Result<Selection, String> {
        let mut bits = 0u16;
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let bit = Field::ALL
                .iter()
                .position(|f| f.name() == name)
                .or_else(|| DERIVED.iter().position(|d| *d == name).map(|i| 10 + i))
                .ok_or_else(|| {
                    format!(
                        "no field `{name}`; fields are {}, {}",
                        crate::field::FIELD_NAMES.join(", "),
                        DERIVED.join(", ")
                    )
                })?;
            bits |= 1 << bit;
        }
        if bits == 0 {
            return Err("--fields needs at least one field name".into());
        }
        Ok(Selection(bits))
    }

    pub fn field(self, field: Field) -> bool {
        self.0 & (1 << field.index()) != 0
    }

    /// Whether the derived value `name` (one of [`DERIVED`]) is kept.
    pub fn derived(self, name: &str) -> bool {
        DERIVED
            .iter()
            .position(|d| *d == name)
            .is_some_and(|i| self.0 & (1 << (10 + i)) != 0)
    }

    pub fn is_all(self) -> bool {
        self == Selection::ALL
    }
}

impl Style {
    #[cfg(test)]
    fn for_tests() -> Style {
        Style {
            format: Format::Table,
            reveal: false,
            now_ms: 0,
            color: false,
            safe_spreadsheet: false,
            terminal: true,
            width: Some(80),
            wide: false,
            headers: true,
            selection: Selection::ALL,
        }
    }
}

/// The selected derived values as text, in [`DERIVED`] order.
fn derived_values(token: &Token, style: Style) -> [Option<Cow<'static, str>>; 3] {
    let keep = |name| style.selection.derived(name);
    [
        keep("expired").then(|| Cow::Owned(token.is_expired_at(style.now_ms).to_string())),
        keep("expires_at").then(|| {
            Cow::Owned(
                token
                    .expiry_ms()
                    .and_then(crate::json::rfc3339)
                    .unwrap_or_default(),
            )
        }),
        keep("state").then(|| Cow::Borrowed(token.state_at(style.now_ms).name())),
    ]
}

/// A value starting with `=`, `+`, `-`, `@`, tab or CR is a formula to a
/// spreadsheet (CSV injection): prefix it with `'`.
fn spreadsheet_safe(value: Cow<'_, str>) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        value
    }
}

/// Where tokens go, per format.
enum Sink<'w> {
    Table(Box<table::TableSink<'w>>),
    /// `line` holds one token's JSON: one write per token, not dozens.
    Json {
        out: &'w mut dyn Write,
        line: Vec<u8>,
    },
    Jsonl {
        out: &'w mut dyn Write,
        line: Vec<u8>,
    },
    /// The FileStore layout: a header, then ten fields a row.
    Csv {
        csv: Box<csv::Writer<&'w mut dyn Write>>,
    },
}

/// Writes tokens one at a time in the chosen format; `finish` closes it.
pub struct TokenWriter<'w> {
    sink: Sink<'w>,
    style: Style,
    count: usize,
}

impl<'w> TokenWriter<'w> {
    pub fn new(out: &'w mut dyn Write, style: Style) -> Result<Self> {
        let sink = match style.format {
            Format::Table | Format::Wide => {
                Sink::Table(Box::new(table::TableSink::new(out, style)))
            }
            Format::Json => {
                out.write_all(b"[")?;
                Sink::Json {
                    out,
                    line: Vec::new(),
                }
            }
            Format::Jsonl => Sink::Jsonl {
                out,
                line: Vec::new(),
            },
            Format::Csv => {
                let mut csv = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::Any(b'\n'))
                    .from_writer(out);
                if style.selection.is_all() {
                    csv.write_record(Field::ALL.map(Field::new_file_label))?;
                } else {
                    let names = Field::ALL
                        .into_iter()
                        .filter(|f| style.selection.field(*f))
                        .map(Field::name)
                        .chain(DERIVED.into_iter().filter(|d| style.selection.derived(d)));
                    csv.write_record(names)?;
                }
                Sink::Csv { csv: Box::new(csv) }
            }
        };
        Ok(TokenWriter {
            sink,
            style,
            count: 0,
        })
    }

    pub fn write(&mut self, token: &Token) -> Result<()> {
        let style = self.style;
        match &mut self.sink {
            Sink::Table(table) => table.row(token)?,
            Sink::Json { out, line } => {
                line.clear();
                let sep = if self.count == 0 { "\n  " } else { ",\n  " };
                line.extend_from_slice(sep.as_bytes());
                serde_json::to_writer(
                    &mut *line,
                    &TokenJson::new(token, style.reveal, style.now_ms).only(style.selection),
                )?;
                out.write_all(line)?;
            }
            Sink::Jsonl { out, line } => {
                line.clear();
                serde_json::to_writer(
                    &mut *line,
                    &TokenJson::new(token, style.reveal, style.now_ms).only(style.selection),
                )?;
                line.push(b'\n');
                out.write_all(line)?;
            }
            Sink::Csv { csv } => {
                let mut fields: Vec<Cow<'_, str>> = Field::ALL
                    .into_iter()
                    .filter(|f| style.selection.field(*f))
                    .map(|f| token.shown(f, style.reveal).unwrap_or_default())
                    .collect();
                if !style.selection.is_all() {
                    fields.extend(derived_values(token, style).into_iter().flatten());
                }
                if style.safe_spreadsheet {
                    fields = fields.into_iter().map(spreadsheet_safe).collect();
                }
                csv.write_record(fields.iter().map(|f| f.as_bytes()))?;
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Closes the output; a table with no rows prints a note instead.
    pub fn finish(self) -> Result<usize> {
        match self.sink {
            Sink::Table(table) => table.finish(self.count)?,
            Sink::Json { out, .. } => {
                let end: &[u8] = if self.count == 0 { b"]\n" } else { b"\n]\n" };
                out.write_all(end)?;
                out.flush()?;
            }
            Sink::Jsonl { out, .. } => out.flush()?,
            Sink::Csv { mut csv } => csv.flush()?,
        }
        Ok(self.count)
    }
}

/// Text for a screen: control characters (C0, DEL, C1, so also ESC,
/// OSC and CSI sequences) and bidirectional overrides are shown escaped
/// (`\x1b`, `\u{202e}`), so a value or path can neither drive the
/// terminal nor start a new line. JSON, JSON lines and CSV stay exact.
pub fn safe(text: &str) -> Cow<'_, str> {
    let harmful =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(harmful) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            c if (c as u32) < 0x100 && harmful(c) => {
                shown.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if harmful(c) => shown.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => shown.push(c),
        }
    }
    Cow::Owned(shown)
}

static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `--quiet`: notices are not printed (errors still are).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, std::sync::atomic::Ordering::Relaxed);
}

/// A notice for people on standard error, `tokenstore: …`, made safe for
/// a terminal. A closed or broken stderr is not an error worth failing a
/// finished command for.
/// Standard output for what a command prints. A write that fails (a
/// reader that stopped reading, a full disk) is recorded, and it and every
/// later write are dropped: a command never stops halfway, or undoes its
/// work, or loses its exit code, because its report could not be printed.
/// `main` says so once the command has ended ([`stdout_error`]).
pub struct ReportOut;

static STDOUT_ERROR: std::sync::Mutex<Option<std::io::Error>> = std::sync::Mutex::new(None);

impl Write for ReportOut {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !stdout_failed() {
            if let Err(e) = std::io::stdout().lock().write_all(buf) {
                record_stdout_error(e);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !stdout_failed() {
            if let Err(e) = std::io::stdout().lock().flush() {
                record_stdout_error(e);
            }
        }
        Ok(())
    }
}

fn record_stdout_error(e: std::io::Error) {
    let mut slot = STDOUT_ERROR.lock().unwrap_or_else(|p| p.into_inner());
    slot.get_or_insert(e);
}

/// Whether standard output has failed: commands that only print (`list`)
/// stop reading then.
pub fn stdout_failed() -> bool {
    STDOUT_ERROR
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_some()
}

/// The first error writing standard output, if any.
pub fn stdout_error() -> Option<std::io::Error> {
    STDOUT_ERROR
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
}

pub fn notice(message: &str) {
    if QUIET.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let _ = writeln!(std::io::stderr().lock(), "tokenstore: {}", safe(message));
}

/// A count for people: 1,000,000.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One line of a command's result on standard output, made safe for a
/// terminal; a reader that went away is reported as a broken pipe, which
/// `main` treats as success.
pub fn line(out: &mut dyn Write, text: &str) -> Result<()> {
    writeln!(out, "{}", safe(text))?;
    out.flush()?;
    Ok(())
}

/// Writes one token: a JSON object (not an array) for `json`.
pub fn write_one(out: &mut dyn Write, token: &Token, style: Style) -> Result<()> {
    if matches!(style.format, Format::Table | Format::Wide) {
        return table::write_details(out, token, style);
    }
    if style.format == Format::Json {
        serde_json::to_writer_pretty(
            &mut *out,
            &TokenJson::new(token, style.reveal, style.now_ms).only(style.selection),
        )?;
        writeln!(out)?;
        out.flush()?;
        return Ok(());
    }
    let mut writer = TokenWriter::new(out, style)?;
    writer.write(token)?;
    writer.finish()?;
    Ok(())
}

/// Expiry as people read it, with the state past expiry: "in 42m",
/// "expired 3h ago (refreshable)", "expired 2d ago (dead)".
pub fn describe_expiry(token: &Token, now_ms: i64) -> String {
    match (token.expiry_time.as_deref(), token.expiry_ms()) {
        (None, _) => "-".to_string(),
        (Some(_), None) => "? (not milliseconds)".to_string(),
        (Some(_), Some(ms)) if ms <= now_ms => format!(
            "expired {} ago ({})",
            rough_duration(now_ms.saturating_sub(ms)),
            token.state_at(now_ms).name()
        ),
        (Some(_), Some(ms)) => format!("in {}", rough_duration(ms - now_ms)),
    }
}

/// What `info` found about a store.
#[derive(serde::Serialize)]
pub struct Info {
    pub store: String,
    pub backend: &'static str,
    /// `None` when the tokens cannot be read (the reason is a warning).
    pub tokens: Option<usize>,
    pub expired: Option<usize>,
    pub without_expiry: Option<usize>,
    /// Named facts (file, header, table, layout, server …), in order.
    #[serde(serialize_with = "facts_as_object")]
    pub facts: Vec<(String, String)>,
    pub warnings: Vec<String>,
}

fn facts_as_object<S: serde::Serializer>(
    facts: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(facts.len()))?;
    for (label, value) in facts {
        map.serialize_entry(label, value)?;
    }
    map.end()
}

/// `info` as aligned `label: value` lines, or one JSON object.
pub fn write_info(out: &mut dyn Write, info: &Info, json: bool) -> Result<()> {
    if json {
        serde_json::to_writer_pretty(&mut *out, info)?;
        writeln!(out)?;
    } else {
        writeln!(out, "store:    {}", safe(&info.store))?;
        writeln!(out, "backend:  {}", info.backend)?;
        match (info.tokens, info.expired, info.without_expiry) {
            (Some(n), Some(expired), Some(none)) => writeln!(
                out,
                "tokens:   {n} ({expired} expired, {none} without an expiry time)"
            )?,
            _ => writeln!(out, "tokens:   unreadable")?,
        }
        for (label, value) in &info.facts {
            writeln!(out, "{:<9} {}", format!("{label}:"), safe(value))?;
        }
        for warning in &info.warnings {
            writeln!(out, "warning:  {}", safe(warning))?;
        }
    }
    out.flush()?;
    Ok(())
}

/// The summary of a migration: one line of text, or a JSON object.
pub fn write_migrate_report(
    out: &mut dyn Write,
    report: &Report,
    from: &StoreUri,
    to: &StoreUri,
    json: bool,
) -> Result<()> {
    if json {
        let mut value = serde_json::to_value(report)?;
        value["source"] = from.to_string().into();
        value["target"] = to.to_string().into();
        serde_json::to_writer_pretty(&mut *out, &value)?;
        writeln!(out)?;
        out.flush()?;
        return Ok(());
    }
    let verb = if report.dry_run {
        "would copy"
    } else {
        "copied"
    };
    let mut line = format!(
        "{verb} {} tokens from {from} to {to}: {} identical already",
        thousands(report.copied + report.overwritten),
        thousands(report.identical)
    );
    if report.overwritten > 0 {
        line += &format!(", {} overwritten", thousands(report.overwritten));
    }
    if report.skipped > 0 {
        line += &format!(", {} conflicting skipped", thousands(report.skipped));
    }
    if report.dry_run && !report.conflicts.is_empty() {
        line += &format!(
            ", {} conflicting (ids {})",
            report.conflicts.len(),
            id_list(&report.conflicts)
        );
    }
    if report.deleted_from_source > 0 {
        line += &format!(
            ", {} deleted from source",
            thousands(report.deleted_from_source)
        );
    }
    if report.kept_in_source_changed > 0 {
        line += &format!(
            ", {} kept in the source because the application changed them after the copy",
            report.kept_in_source_changed
        );
    }
    if !report.dry_run {
        line += "; verified";
    }
    writeln!(out, "{}", safe(&line))?;
    out.flush()?;
    Ok(())
}

/// A duration in its largest one or two units: "42m", "3h 5m", "2d 4h".
pub fn rough_duration(ms: i64) -> String {
    let secs = ms / 1000;
    let (days, hours, minutes) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match () {
        _ if days >= 365 => format!("{}y", days / 365),
        _ if days > 0 && hours > 0 => format!("{days}d {hours}h"),
        _ if days > 0 => format!("{days}d"),
        _ if hours > 0 && minutes > 0 => format!("{hours}h {minutes}m"),
        _ if hours > 0 => format!("{hours}h"),
        _ if minutes > 0 => format!("{minutes}m"),
        _ => format!("{secs}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_overrides_are_escaped() {
        assert_eq!(safe("plain ünïcødé"), "plain ünïcødé");
        assert_eq!(safe("a\x1b]0;owned\x07b"), "a\\x1b]0;owned\\x07b");
        assert_eq!(safe("line\nnext\r"), "line\\nnext\\r");
        assert_eq!(safe("\u{202e}gpj.exe"), "\\u{202e}gpj.exe");
        assert_eq!(safe("\u{9b}31m"), "\\x9b31m");
        assert_eq!(safe("del\x7f"), "del\\x7f");
    }

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn durations_read_like_people_say_them() {
        assert_eq!(rough_duration(42 * 60_000), "42m");
        assert_eq!(rough_duration(3 * 3_600_000 + 5 * 60_000 + 7_000), "3h 5m");
        assert_eq!(rough_duration(2 * 86_400_000 + 4 * 3_600_000), "2d 4h");
        assert_eq!(rough_duration(12_000), "12s");
        assert_eq!(rough_duration(800 * 86_400_000), "2y");
    }
}
