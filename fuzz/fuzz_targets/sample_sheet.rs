//! The sample_sheet parser from raw bytes (encoding detection included), then the record schema.
#![no_main]
use engine::formats::illumina;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let p = Path::new("fuzz.input");
    if let Err(e) = illumina::parse_sheet_bytes(p, data).map(|s| s.tree().0.to_string().len()) {
        let _ = e.to_string();
    }
});
