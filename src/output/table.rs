//! The table for people. On a terminal: one line per token, fitted to the
//! terminal's width, long values cut in the middle with `…`; the columns
//! that matter by default (id, user, client id, expiry and state, API
//! domain), every column with `-o wide`, the secrets (masked unless
//! revealed) with `-o wide` or `--reveal`. Piped: tab-separated, one header
//! line (or none with `--no-headers`), nothing cut, like gh. Rows stream:
//! nothing is held, so the first line comes at once on any store.

use std::io::Write;

use anyhow::Result;

use super::{describe_expiry, safe, Style};
use crate::field::Field;
use crate::token::Token;

/// The width assumed when the terminal's cannot be read.
const FALLBACK_WIDTH: usize = 80;
/// Space between columns.
const GAP: &str = "  ";

/// A column of the table: a field, or the expiry split in two for reading
/// at a glance (when, and what state that leaves the token in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Field(Field),
    Expires,
    State,
}

impl Column {
    fn heading(self) -> &'static str {
        match self {
            Column::Field(f) => f.heading(),
            Column::Expires => "EXPIRES",
            Column::State => "STATE",
        }
    }
}

/// Rows a terminal table looks at to size its id and expiry columns
/// before it prints the first line.
const SAMPLE_ROWS: usize = 64;

pub(super) struct TableSink<'w> {
    out: &'w mut dyn Write,
    columns: Vec<Column>,
    /// Column widths on a terminal once sized; `None` when piped
    /// (tab-separated) or not sized yet.
    widths: Option<Vec<usize>>,
    /// The first rows on a terminal, held until the columns are sized:
    /// (cells, whether the expiry shows red).
    pending: Vec<(Vec<String>, bool)>,
    style: Style,
    header_written: bool,
}

impl<'w> TableSink<'w> {
    pub fn new(out: &'w mut dyn Write, style: Style) -> TableSink<'w> {
        TableSink {
            out,
            columns: columns(style),
            widths: None,
            pending: Vec::new(),
            style,
            header_written: !style.headers,
        }
    }

    pub fn row(&mut self, token: &Token) -> Result<()> {
        let cells: Vec<String> = self
            .columns
            .iter()
            .map(|&field| cell(token, field, self.style))
            .collect();
        let red = token.is_expired_at(self.style.now_ms) && self.style.color;
        if self.style.terminal && self.widths.is_none() {
            self.pending.push((cells, red));
            if self.pending.len() == SAMPLE_ROWS {
                self.flush_pending()?;
            }
            return Ok(());
        }
        if !self.header_written {
            self.header()?;
        }
        self.line(&cells, red)
    }

    /// Sizes the columns from the rows seen so far and prints them.
    fn flush_pending(&mut self) -> Result<()> {
        if !self.style.terminal || self.widths.is_some() {
            return Ok(());
        }
        let longest = |column: Column, cap: usize| {
            let i = self.columns.iter().position(|&c| c == column);
            i.map_or(0, |i| {
                self.pending
                    .iter()
                    .map(|(cells, _)| display_width(&cells[i]))
                    .max()
                    .unwrap_or(0)
                    .min(cap)
            })
        };
        let sizes = Sampled {
            id: longest(Column::Field(Field::Id), 40).max(2),
            expires: longest(Column::Expires, 16).max(7),
        };
        self.widths = Some(widths(
            &self.columns,
            self.style.width.unwrap_or(FALLBACK_WIDTH),
            self.style.reveal,
            sizes,
        ));
        // An empty table on a terminal is just "(no tokens)", no header.
        if !self.header_written && !self.pending.is_empty() {
            self.header()?;
        }
        for (cells, red) in std::mem::take(&mut self.pending) {
            self.line(&cells, red)?;
        }
        Ok(())
    }

    /// Ends the table; an empty one says so.
    pub fn finish(mut self, count: usize) -> Result<()> {
        self.flush_pending()?;
        // Piped, an empty table is empty: a script reading it gets no rows.
        if count == 0 && self.style.terminal {
            writeln!(self.out, "(no tokens)")?;
        }
        self.out.flush()?;
        Ok(())
    }

    fn header(&mut self) -> Result<()> {
        self.header_written = true;
        let headings: Vec<String> = self
            .columns
            .iter()
            .map(|c| c.heading().to_string())
            .collect();
        self.line(&headings, false)?;
        if let Some(widths) = &self.widths {
            // A rule under the header, on a terminal only.
            let total = widths.iter().sum::<usize>() + GAP.len() * (widths.len() - 1);
            writeln!(self.out, "{}", "─".repeat(total))?;
        }
        Ok(())
    }

    /// One line: tab-separated when piped; on a terminal, cells padded to
    /// their column and cut in the middle, except ids and revealed secrets,
    /// which are never cut (they are copied whole).
    fn line(&mut self, cells: &[String], red: bool) -> Result<()> {
        let mut text = String::new();
        match &self.widths {
            None => text = cells.join("\t"),
            Some(widths) => {
                for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
                    let column = self.columns[i];
                    let whole = column == Column::Field(Field::Id)
                        || matches!(column, Column::Field(f) if f.is_secret() && self.style.reveal);
                    let fitted = if whole {
                        cell.clone()
                    } else {
                        fit(cell, *width)
                    };
                    if red && column == Column::Expires {
                        text.push_str(&format!("\u{1b}[31m{fitted}\u{1b}[0m"));
                    } else {
                        text.push_str(&fitted);
                    }
                    if i + 1 < cells.len() {
                        let used = display_width(&fitted);
                        text.push_str(&" ".repeat(width.saturating_sub(used)));
                        text.push_str(GAP);
                    }
                }
                text.truncate(text.trim_end().len());
            }
        }
        writeln!(self.out, "{text}")?;
        Ok(())
    }
}

/// Which columns a table shows.
fn columns(style: Style) -> Vec<Column> {
    let mut columns = Vec::new();
    if !style.selection.is_all() {
        let keep = style.selection;
        for f in Field::ALL.into_iter().filter(|f| keep.field(*f)) {
            columns.push(if f == Field::ExpiryTime {
                Column::Expires
            } else {
                Column::Field(f)
            });
        }
        if keep.derived("expires_at") && !keep.field(Field::ExpiryTime) {
            columns.push(Column::Expires);
        }
        if keep.derived("state") {
            columns.push(Column::State);
        }
        return columns;
    }
    for f in Field::ALL {
        if f == Field::ExpiryTime {
            columns.extend([Column::Expires, Column::State]);
        } else if style.wide
            || (f.is_secret() && style.reveal)
            || matches!(
                f,
                Field::Id | Field::UserName | Field::ClientId | Field::ApiDomain
            )
        {
            columns.push(Column::Field(f));
        }
    }
    columns
}

/// What the first rows showed of the columns sized by their content.
#[derive(Clone, Copy)]
struct Sampled {
    id: usize,
    expires: usize,
}

/// Column widths that fill `total`: ids and expiry as wide as the first
/// rows need, state and masked secrets what they need; user, client id,
/// URLs and revealed secrets share the rest (never narrower than 12).
fn widths(columns: &[Column], total: usize, reveal: bool, sampled: Sampled) -> Vec<usize> {
    let fixed = |c: Column| match c {
        Column::Field(Field::Id) => Some(sampled.id),
        Column::Expires => Some(sampled.expires),
        Column::State => Some(11),
        Column::Field(f) if f.is_secret() && !reveal => Some(13),
        _ => None,
    };
    let weight = |c: Column| match c {
        Column::Field(Field::UserName) => 4,
        _ => 3,
    };
    let gaps = GAP.len() * columns.len().saturating_sub(1);
    let fixed_total: usize = columns.iter().filter_map(|&c| fixed(c)).sum();
    let weights: usize = columns
        .iter()
        .filter(|&&c| fixed(c).is_none())
        .map(|&c| weight(c))
        .sum();
    let left = total.saturating_sub(gaps + fixed_total);
    columns
        .iter()
        .map(|&c| match fixed(c) {
            Some(width) => width,
            None => (left * weight(c) / weights.max(1)).max(c.heading().len().max(12)),
        })
        .collect()
}

/// What a cell shows: the value (secrets masked unless revealed), `-` for
/// absent, expiry as people read it; made safe for a terminal.
fn cell(token: &Token, column: Column, style: Style) -> String {
    let field = match column {
        Column::Expires => return safe(&expiry_short(token, style.now_ms)).into_owned(),
        Column::State => return token.state_at(style.now_ms).name().to_string(),
        Column::Field(field) => field,
    };
    match token.shown(field, style.reveal) {
        None => "-".to_string(),
        Some(v) => safe(&v).into_owned(),
    }
}

/// "in 42m", "3h ago", "-" (no expiry time), "?" (not a number).
fn expiry_short(token: &Token, now_ms: i64) -> String {
    match (token.expiry_time.as_deref(), token.expiry_ms()) {
        (None, _) => "-".to_string(),
        (Some(_), None) => "?".to_string(),
        (Some(_), Some(ms)) if ms <= now_ms => {
            format!("{} ago", super::rough_duration(now_ms.saturating_sub(ms)))
        }
        (Some(_), Some(ms)) => format!("in {}", super::rough_duration(ms - now_ms)),
    }
}

/// How many terminal columns text takes (wide characters take two).
fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// A cell cut to `width` terminal columns, with `…` in the middle so both
/// ends (a domain, an id suffix) stay readable.
fn fit(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    if display_width(text) <= width {
        return text.to_string();
    }
    if width <= 1 {
        return "…".to_string();
    }
    let take = |chars: &mut dyn Iterator<Item = char>, room: usize| {
        let mut used = 0;
        let mut kept = Vec::new();
        for c in chars {
            let w = c.width().unwrap_or(0);
            if used + w > room {
                break;
            }
            used += w;
            kept.push(c);
        }
        kept
    };
    let head_room = (width - 1).div_ceil(2);
    let head = take(&mut text.chars(), head_room);
    let mut tail = take(&mut text.chars().rev(), width - 1 - head_room);
    tail.reverse();
    head.into_iter()
        .chain(std::iter::once('…'))
        .chain(tail)
        .collect()
}

/// One token as `key: value` lines (like `kubectl describe`), so a revealed
/// token can be copied whole; nothing is cut.
pub(super) fn write_details(out: &mut dyn Write, token: &Token, style: Style) -> Result<()> {
    for field in Field::ALL {
        let shown = match token.shown(field, style.reveal) {
            None => "-".to_string(),
            Some(v) => safe(&v).into_owned(),
        };
        writeln!(out, "{:<15}{shown}", format!("{}:", field.name()))?;
    }
    writeln!(
        out,
        "{:<15}{}",
        "expires:",
        describe_expiry(token, style.now_ms)
    )?;
    writeln!(
        out,
        "{:<15}{}",
        "state:",
        token.state_at(style.now_ms).name()
    )?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_in_the_middle() {
        assert_eq!(fit("short", 10), "short");
        assert_eq!(
            fit("averyveryverylongname@example.com", 15),
            "averyve…ple.com"
        );
        assert_eq!(fit("abcdef", 5), "ab…ef");
        assert!(display_width(&fit("用户用户用户用户@例子.com", 12)) <= 12);
    }

    #[test]
    fn default_columns_fill_eighty() {
        let style = Style::for_tests();
        let columns = columns(style);
        let headings: Vec<&str> = columns.iter().map(|c| c.heading()).collect();
        assert_eq!(
            headings,
            ["ID", "USER", "CLIENT ID", "EXPIRES", "STATE", "API DOMAIN"]
        );
        let widths = widths(&columns, 80, false, Sampled { id: 6, expires: 11 });
        assert!(widths.iter().sum::<usize>() + 2 * 5 <= 80, "{widths:?}");
    }
}
