//! Any bytes given to the FileStore reader: an error or tokens, never a
//! panic; and whatever it reads, it writes back in a form it reads again
//! to the same tokens.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokenstore::store::file::{read_csv, write_csv};

fuzz_target!(|data: &[u8]| {
    let Ok(contents) = read_csv(data) else { return };
    let layout = contents.layout.unwrap_or_default();
    let mut written = Vec::new();
    write_csv(&mut written, &layout, &contents.tokens).expect("what was read can be written");
    let again = read_csv(&written[..]).expect("what was written can be read");
    assert_eq!(again.tokens, contents.tokens);
});
