//! A wrapper that keeps secret values out of logs and error messages.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A secret string (client secret, refresh/access/grant token).
///
/// `Debug` and `Display` print `REDACTED`; the only way to the value is
/// [`Secret::expose`], so every place a secret leaves the program is marked.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Enough of the value to tell two secrets apart, never the whole of it:
    /// the first and last four characters of a long value, nothing of a short one.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

/// What [`Secret::masked`] shows of `value`.
pub fn mask(value: &str) -> String {
    if value.chars().nth(15).is_none() {
        return "****".to_string();
    }
    let head_end = value.char_indices().nth(4).map_or(0, |(i, _)| i);
    let tail_start = value.char_indices().nth_back(3).map_or(0, |(i, _)| i);
    let mut shown = String::with_capacity(head_end + 3 + value.len() - tail_start);
    shown.push_str(&value[..head_end]);
    shown.push('…');
    shown.push_str(&value[tail_start..]);
    shown
}

/// Whether a value is this tool's masked output (`****`, or the ends of a
/// value around `…`) rather than a secret: saving it would overwrite a real
/// secret with its mask.
pub fn looks_masked(value: &str) -> bool {
    value == "****" || value.contains('…')
}

/// The value of an optional secret, for code that writes stores.
pub fn exposed(secret: &Option<Secret>) -> Option<&str> {
    secret.as_ref().map(Secret::expose)
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(REDACTED)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("REDACTED")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new("1000.rt.very-secret-value");
        assert!(!format!("{s:?}").contains("secret-value"));
        assert!(!format!("{s}").contains("secret-value"));
    }

    #[test]
    fn masking_shows_ends_of_long_values_only() {
        assert_eq!(Secret::new("1000.rt.alice.0001").masked(), "1000…0001");
        assert_eq!(Secret::new("short-secret").masked(), "****");
        assert_eq!(Secret::new("ünïcødé-0123456789").masked(), "ünïc…6789");
    }
}
