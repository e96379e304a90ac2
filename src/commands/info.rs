//! `info`: which store, where, how many tokens, and what to worry about.

use std::collections::HashSet;

use std::io::Write;

use anyhow::{Context, Result};
use serde::Serialize;

use super::open_store;
use crate::cli::InfoArgs;
use crate::token::now_ms;
use crate::Exit;

#[derive(Serialize)]
struct Info {
    store: String,
    backend: &'static str,
    /// `None` when the tokens cannot be read (the reason is a warning).
    tokens: Option<usize>,
    expired: Option<usize>,
    without_expiry: Option<usize>,
    facts: Vec<(String, String)>,
    warnings: Vec<String>,
}

/// Prints what it can learn about the store. A store whose tokens cannot
/// be read is reported with the reason among the warnings, and exit 1.
pub fn run(store: Option<&str>, args: InfoArgs) -> Result<Exit> {
    let (uri, mut store) = open_store(store)?;
    let now = now_ms();
    let (mut tokens, mut expired, mut without_expiry) = (0, 0, 0);
    let mut ids = HashSet::new();
    let mut duplicates = Vec::new();
    let counted = store.scan(&mut |t| {
        tokens += 1;
        expired += usize::from(t.is_expired_at(now));
        without_expiry += usize::from(t.expiry_ms().is_none());
        if let Some(id) = t.id {
            if !ids.insert(id.clone()) {
                duplicates.push(id);
            }
        }
        Ok(())
    });
    let details = store
        .describe()
        .with_context(|| format!("cannot inspect {uri}"))?;
    let mut warnings = details.warnings;
    if let Err(e) = &counted {
        warnings.push(format!("cannot read the tokens: {e:#}"));
    }
    if !duplicates.is_empty() {
        warnings.push(format!(
            "duplicate ids ({}): the SDKs find only the first of each",
            duplicates.join(", ")
        ));
    }
    let readable = counted.is_ok();
    let info = Info {
        store: uri.to_string(),
        backend: uri.backend(),
        tokens: readable.then_some(tokens),
        expired: readable.then_some(expired),
        without_expiry: readable.then_some(without_expiry),
        facts: details.facts,
        warnings,
    };
    let mut out = super::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &info)?;
        writeln!(out)?;
    } else {
        writeln!(out, "store:    {}", info.store)?;
        writeln!(out, "backend:  {}", info.backend)?;
        match (info.tokens, info.expired, info.without_expiry) {
            (Some(n), Some(expired), Some(none)) => writeln!(
                out,
                "tokens:   {n} ({expired} expired, {none} without an expiry time)"
            )?,
            _ => writeln!(out, "tokens:   unreadable")?,
        }
        for (label, value) in &info.facts {
            writeln!(out, "{:<9} {value}", format!("{label}:"))?;
        }
        for warning in &info.warnings {
            writeln!(out, "warning:  {warning}")?;
        }
    }
    out.flush()?;
    Ok(if readable {
        Exit::Success
    } else {
        Exit::Failure
    })
}
