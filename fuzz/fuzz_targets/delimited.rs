//! The configured delimited connector, with every column type; the first byte picks the
//! delimiter and the preamble length.
#![no_main]
use engine::formats::delimited::{parse_bytes, ColumnConfig, ColumnType, DelimitedConfig};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let col = |header: &str, key: &str, ty| ColumnConfig {
        header: header.into(),
        key: key.into(),
        ty,
    };
    let cfg = DelimitedConfig {
        name: "fuzz".into(),
        file_glob: "*".into(),
        delimiter: [",", "\t", ";", "|"][(pick & 3) as usize].into(),
        skip_lines: ((pick >> 2) & 3) as usize,
        records: "rows".into(),
        columns: vec![
            col("Sample ID", "sample_id", ColumnType::String),
            col("Conc", "qc.concentration", ColumnType::Number),
            col("Well", "well", ColumnType::Integer),
            col("Pass", "pass", ColumnType::Boolean),
        ],
        required_columns: vec!["Sample ID".into()],
    };
    match parse_bytes(&cfg, Path::new("fuzz.csv"), bytes) {
        Ok(r) => {
            let _ = engine::formats::record::schema(&r.tree);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
