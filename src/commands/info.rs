//! `info`: which store, where, how many tokens, and what to worry about.

use std::collections::HashSet;

use anyhow::{Context, Result};

use super::StoreArg;
use crate::cli::InfoArgs;
use crate::output;
use crate::token::now_ms;
use crate::Exit;

/// Prints what it can learn about the store. A store whose tokens cannot
/// be read is reported with the reason among the warnings, and exit 1.
pub fn run(store: StoreArg<'_>, args: InfoArgs) -> Result<Exit> {
    let (uri, mut store) = store.open()?;
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
    if uri.backend() == "mysql" {
        warnings.extend(sdk_next_id_warning(&ids));
    }
    let readable = counted.is_ok();
    let info = output::Info {
        store: uri.to_string(),
        backend: uri.backend(),
        tokens: readable.then_some(tokens),
        expired: readable.then_some(expired),
        without_expiry: readable.then_some(without_expiry),
        facts: details.facts,
        warnings,
    };
    output::write_info(&mut super::stdout(), &info, args.json)?;
    Ok(if readable {
        Exit::Success
    } else {
        Exit::Failure
    })
}

/// The SDK DBStore picks its next id as `MAX(id)` over a text column — a
/// string maximum: with ids 1..10 it takes "9" and its next insert of id
/// 10 fails with a duplicate key. tokenstore uses the numeric maximum, but
/// the application's own next save will fail; say so.
fn sdk_next_id_warning(ids: &HashSet<String>) -> Option<String> {
    let string_max = ids.iter().max()?;
    let next = string_max.parse::<u128>().ok()?.checked_add(1)?.to_string();
    ids.contains(&next).then(|| {
        format!(
            "the SDK's DBStore takes the next id as MAX(id) over text, which is `{string_max}` \
             here: its next new token gets id {next}, which exists, and that save will fail \
             with a duplicate key (tokenstore itself uses the numeric maximum)"
        )
    })
}
