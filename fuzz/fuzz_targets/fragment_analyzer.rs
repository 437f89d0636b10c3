//! The Fragment Analyzer peak table and smear parsers; the first byte picks one.
#![no_main]
use engine::formats::{fragment_analyzer, record};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let p = Path::new("fuzz.csv");
    let out = if pick % 2 == 0 {
        fragment_analyzer::parse_peaks(p, bytes)
    } else {
        fragment_analyzer::parse_smear(p, bytes)
    };
    match out {
        Ok(r) => {
            let _ = record::schema(&r.tree);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
