//! RunInfo.xml, RunParameters.xml and RunCompletionStatus.xml; the first byte picks one.
#![no_main]
use engine::formats::illumina;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let p = Path::new("fuzz.xml");
    let out = match pick % 3 {
        0 => illumina::parse_run_info_bytes(p, bytes).map(|r| r.run_id.len()),
        1 => illumina::parse_run_parameters_bytes(p, bytes).map(|v| engine::formats::record::schema(&v).len()),
        _ => illumina::parse_completion_status_bytes(p, bytes).map(|v| v.to_string().len()),
    };
    if let Err(e) = out {
        let _ = e.to_string();
    }
});
