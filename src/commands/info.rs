//! `info`: which store, where, how many tokens, and what to worry about.

use std::collections::HashSet;

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
    tokens: usize,
    expired: usize,
    without_expiry: usize,
    facts: Vec<(String, String)>,
    warnings: Vec<String>,
}

pub fn run(store: Option<&str>, args: InfoArgs) -> Result<Exit> {
    let (uri, mut store) = open_store(store)?;
    let now = now_ms();
    let (mut tokens, mut expired, mut without_expiry) = (0, 0, 0);
    let mut ids = HashSet::new();
    let mut duplicates = Vec::new();
    store
        .for_each_unordered(&mut |t| {
            tokens += 1;
            expired += usize::from(t.is_expired_at(now));
            without_expiry += usize::from(t.expiry_ms().is_none());
            if let Some(id) = t.id {
                if !ids.insert(id.clone()) {
                    duplicates.push(id);
                }
            }
            Ok(())
        })
        .with_context(|| format!("cannot read {uri}"))?;
    let details = store
        .details()
        .with_context(|| format!("cannot inspect {uri}"))?;
    let mut warnings = details.warnings;
    if !duplicates.is_empty() {
        warnings.push(format!(
            "duplicate ids ({}): the SDKs find only the first of each",
            duplicates.join(", ")
        ));
    }
    let info = Info {
        store: uri.to_string(),
        backend: uri.backend(),
        tokens,
        expired,
        without_expiry,
        facts: details.facts,
        warnings,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&info)?);
        return Ok(Exit::Success);
    }
    println!("store:    {}", info.store);
    println!("backend:  {}", info.backend);
    println!(
        "tokens:   {} ({} expired, {} without an expiry time)",
        info.tokens, info.expired, info.without_expiry
    );
    for (label, value) in &info.facts {
        println!("{:<9} {value}", format!("{label}:"));
    }
    for warning in &info.warnings {
        println!("warning:  {warning}");
    }
    Ok(Exit::Success)
}
