//! The quantstudio parser from raw bytes (encoding detection included), then the record schema.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let p = Path::new("fuzz.input");
    if let Err(e) = engine::formats::quantstudio::parse_bytes(p, data).map(|r| engine::formats::record::schema(&r.tree).len()) {
        let _ = e.to_string();
    }
});
