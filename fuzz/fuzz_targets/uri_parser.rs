//! Any text given as a store URI: an error or a URI, never a panic; a
//! parsed URI prints without its password and parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokenstore::uri::StoreUri;

fuzz_target!(|text: &str| {
    let Ok(uri) = StoreUri::parse(text) else { return };
    let shown = uri.to_string();
    if let StoreUri::Server(m) = &uri {
        if let Some(password) = m.password.as_ref().map(|p| p.expose()) {
            if password != "***" {
                assert!(!shown.contains(&format!(":{password}@")), "{shown}");
            }
        }
        return; // the password is hidden, so it cannot parse back the same
    }
    assert_eq!(StoreUri::parse(&shown).as_ref(), Ok(&uri), "{shown}");
});
