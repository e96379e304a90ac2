//! Rendering tokens as a table, JSON, JSON lines or CSV, with secrets
//! masked unless revealed. Every format but the table streams.

use std::borrow::Cow;
use std::io::Write;

use anyhow::Result;
use comfy_table::{presets, Cell, Color, ContentArrangement, Table};

use crate::cli::Format;
use crate::json::{show_secret, TokenJson};
use crate::secret::Secret;
use crate::store::file::NEW_FILE_HEADER;
use crate::token::Token;

/// How to show tokens.
#[derive(Clone, Copy)]
pub struct Style {
    pub format: Format,
    pub reveal: bool,
    pub now_ms: i64,
    /// Colour on a terminal, never with NO_COLOR.
    pub color: bool,
}

/// Where tokens go, per format.
enum Sink<'w> {
    Table {
        out: &'w mut dyn Write,
        table: Table,
    },
    Json {
        out: &'w mut dyn Write,
    },
    Jsonl {
        out: &'w mut dyn Write,
    },
    /// The FileStore layout: a header, then ten fields a row.
    Csv {
        csv: csv::Writer<&'w mut dyn Write>,
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
            Format::Table => Sink::Table {
                out,
                table: new_table(),
            },
            Format::Json => {
                out.write_all(b"[")?;
                Sink::Json { out }
            }
            Format::Jsonl => Sink::Jsonl { out },
            Format::Csv => {
                let mut csv = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::Any(b'\n'))
                    .from_writer(out);
                csv.write_record(NEW_FILE_HEADER)?;
                Sink::Csv { csv }
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
            Sink::Table { table, .. } => {
                table.add_row(table_row(token, style));
            }
            Sink::Json { out } => {
                let sep = if self.count == 0 { "\n  " } else { ",\n  " };
                out.write_all(sep.as_bytes())?;
                serde_json::to_writer(
                    &mut **out,
                    &TokenJson::new(token, style.reveal, style.now_ms),
                )?;
            }
            Sink::Jsonl { out } => {
                serde_json::to_writer(
                    &mut **out,
                    &TokenJson::new(token, style.reveal, style.now_ms),
                )?;
                out.write_all(b"\n")?;
            }
            Sink::Csv { csv } => {
                fn text(v: &Option<String>) -> Cow<'_, str> {
                    Cow::Borrowed(v.as_deref().unwrap_or_default())
                }
                let secret = |v| show_secret(v, style.reveal).unwrap_or_default();
                let fields: [Cow<'_, str>; 10] = [
                    text(&token.id),
                    text(&token.user_name),
                    text(&token.client_id),
                    secret(&token.client_secret),
                    secret(&token.refresh_token),
                    secret(&token.access_token),
                    secret(&token.grant_token),
                    text(&token.expiry_time),
                    text(&token.redirect_url),
                    text(&token.api_domain),
                ];
                csv.write_record(fields.iter().map(|f| f.as_bytes()))?;
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Closes the output; a table with no rows prints a note instead.
    pub fn finish(self) -> Result<usize> {
        match self.sink {
            Sink::Table { out, table } => {
                if self.count == 0 {
                    writeln!(out, "(no tokens)")?;
                } else {
                    writeln!(out, "{table}")?;
                }
                out.flush()?;
            }
            Sink::Json { out } => {
                let end: &[u8] = if self.count == 0 { b"]\n" } else { b"\n]\n" };
                out.write_all(end)?;
                out.flush()?;
            }
            Sink::Jsonl { out } => out.flush()?,
            Sink::Csv { mut csv } => csv.flush()?,
        }
        Ok(self.count)
    }
}

/// Writes one token: a JSON object (not an array) for `json`.
pub fn write_one(out: &mut dyn Write, token: &Token, style: Style) -> Result<()> {
    if style.format == Format::Json {
        serde_json::to_writer_pretty(
            &mut *out,
            &TokenJson::new(token, style.reveal, style.now_ms),
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

fn new_table() -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header([
            "ID",
            "USER",
            "CLIENT ID",
            "CLIENT SECRET",
            "REFRESH TOKEN",
            "ACCESS TOKEN",
            "GRANT TOKEN",
            "EXPIRES",
            "API DOMAIN",
        ]);
    table
}

fn table_row(token: &Token, style: Style) -> Vec<Cell> {
    let text = |v: Option<&str>| Cell::new(shorten(v.unwrap_or("-")));
    let secret =
        |s: &Option<Secret>| Cell::new(show_secret(s, style.reveal).as_deref().unwrap_or("-"));
    let expires = Cell::new(describe_expiry(token, style.now_ms));
    let expires = if style.color && token.is_expired_at(style.now_ms) {
        expires.fg(Color::Red)
    } else {
        expires
    };
    vec![
        text(token.id.as_deref()),
        text(token.user_name.as_deref()),
        text(token.client_id.as_deref()),
        secret(&token.client_secret),
        secret(&token.refresh_token),
        secret(&token.access_token),
        secret(&token.grant_token),
        expires,
        text(token.api_domain.as_deref()),
    ]
}

/// Long values (255-character user names) are cut for the table only.
fn shorten(value: &str) -> String {
    const MAX: usize = 48;
    if value.chars().count() <= MAX {
        return value.to_string();
    }
    let head: String = value.chars().take(MAX - 1).collect();
    format!("{head}…")
}

/// Expiry as people read it: "in 42m", "expired 3h ago", "never".
pub fn describe_expiry(token: &Token, now_ms: i64) -> String {
    match (token.expiry_time.as_deref(), token.expiry_ms()) {
        (None, _) => "-".to_string(),
        (Some(raw), None) => format!("? ({raw})"),
        (Some(_), Some(ms)) if ms <= now_ms => {
            format!("expired {} ago", rough_duration(now_ms.saturating_sub(ms)))
        }
        (Some(_), Some(ms)) => format!("in {}", rough_duration(ms - now_ms)),
    }
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
    fn durations_read_like_people_say_them() {
        assert_eq!(rough_duration(42 * 60_000), "42m");
        assert_eq!(rough_duration(3 * 3_600_000 + 5 * 60_000 + 7_000), "3h 5m");
        assert_eq!(rough_duration(2 * 86_400_000 + 4 * 3_600_000), "2d 4h");
        assert_eq!(rough_duration(12_000), "12s");
        assert_eq!(rough_duration(800 * 86_400_000), "2y");
    }
}
