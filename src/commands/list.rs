//! `list`: every token in id order, filtered (all filters must hold).

use anyhow::{Context, Result};

use super::{open_store, style};
use crate::cli::ListArgs;
use crate::output::TokenWriter;
use crate::token::Token;
use crate::Exit;

pub fn run(store: Option<&str>, args: ListArgs) -> Result<Exit> {
    let style = style(&args.output);
    let now = style.now_ms;
    let within_ms = args
        .expiring_within
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let keep = |t: &Token| {
        args.user
            .as_ref()
            .is_none_or(|u| t.user_name.as_ref() == Some(u))
            && args
                .client_id
                .as_ref()
                .is_none_or(|c| t.client_id.as_ref() == Some(c))
            && args
                .api_domain
                .as_ref()
                .is_none_or(|d| t.api_domain.as_ref() == Some(d))
            && (!args.expired || t.is_expired_at(now))
            && (!args.valid || !t.is_expired_at(now))
            && within_ms.is_none_or(|w| {
                t.expiry_ms()
                    .is_some_and(|e| e > now && e <= now.saturating_add(w))
            })
    };
    let (uri, mut store) = open_store(store)?;
    let mut out = super::stdout();
    let mut writer = TokenWriter::new(&mut out, style)?;
    store
        .for_each_token(&mut |token| {
            if keep(&token) {
                writer.write(&token)?;
            }
            Ok(())
        })
        .with_context(|| format!("cannot list {uri}"))?;
    writer.finish()?;
    Ok(Exit::Success)
}
