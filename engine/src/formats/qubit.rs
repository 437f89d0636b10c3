//! Thermo Fisher Qubit 4 / Qubit Flex CSV export: one row per reading.
//!
//! Record tree, `samples[]` with one element per row: `run_id`, `assay_name`,
//! `test_name` (the name typed on the instrument), `sample_name` (same as `test_name`
//! where the export has no Sample Name column), `test_date`, `tube_concentration` and
//! `tube_concentration_units`, `sample_concentration` and `sample_concentration_units`
//! (the original sample, after the dilution), `sample_volume_ul`, `dilution_factor`,
//! `std_1_rfu`…`std_3_rfu`, `excitation`, `emission`, `green_rfu`, `far_red_rfu`; any
//! other column snake-cased. A `Units` column belongs to the column before it.
//! A concentration that is not a number (e.g. `Too Low`) is null, with a warning.

use super::{
    connector::{Connector, Parsed},
    record::{cell, snake},
    table, text, FormatError,
};
use serde_json::{json, Map, Value};
use std::path::Path;

pub struct Qubit;

impl Connector for Qubit {
    fn name(&self) -> &str {
        "qubit"
    }

    fn sniff(&self, path: &Path) -> bool {
        text::lower_name(path).ends_with(".csv") && {
            let head = text::head_text(path);
            let first = head.lines().next().unwrap_or_default();
            first.contains("Qubit") || (first.contains("Assay Name") && first.contains("conc."))
        }
    }

    fn parse(&self, path: &Path) -> Result<Parsed, FormatError> {
        parse_bytes(path, &text::read_bytes(path)?)
    }
}

/// Column keys: `Units` takes the key of the column before it; the two concentrations get
/// plain names.
fn keys(headers: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for h in headers {
        let k = match snake(h).as_str() {
            "units" => format!("{}_units", out.last().cloned().unwrap_or_default()),
            "qubit_tube_conc" | "tube_conc" => "tube_concentration".into(),
            "original_sample_conc" => "sample_concentration".into(),
            other => other.to_string(),
        };
        out.push(k);
    }
    out
}

pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = text::decode(path, bytes)?;
    let t = table::read(path, &text, b',', 0)?;
    let keys = keys(&t.headers);
    let conc = keys
        .iter()
        .position(|k| k == "tube_concentration")
        .ok_or_else(|| {
            FormatError::new(
                path,
                Some("line 1".into()),
                "no tube concentration column (`Qubit® tube conc.`): not a Qubit export",
            )
        })?;
    if t.rows.is_empty() {
        return Err(FormatError::new(
            path,
            None,
            "no readings (header row only)",
        ));
    }
    let mut warnings = Vec::new();
    let mut samples = Vec::new();
    for (line, f) in &t.rows {
        let mut m = Map::new();
        for (k, raw) in keys.iter().zip(f) {
            let v = if k.ends_with("_units")
                || k.ends_with("name")
                || k.ends_with("_date")
                || k == "run_id"
                || k == "excitation"
                || k == "emission"
            {
                if raw.is_empty() {
                    Value::Null
                } else {
                    json!(raw)
                }
            } else {
                cell(raw)
            };
            m.entry(k.clone()).or_insert(v);
        }
        for k in ["tube_concentration", "sample_concentration"] {
            if let Some(Value::String(s)) = m.get(k) {
                warnings.push(format!(
                    "{}: line {line}: {k} {s:?} is not a number",
                    path.display()
                ));
                m.insert(k.into(), Value::Null);
            }
        }
        if f.get(conc).is_none_or(|c| c.is_empty()) {
            warnings.push(format!(
                "{}: line {line}: no tube concentration",
                path.display()
            ));
        }
        if !m.contains_key("sample_name") {
            let name = m.get("test_name").cloned().unwrap_or(Value::Null);
            m.insert("sample_name".into(), name);
        }
        samples.push(Value::Object(m));
    }
    Ok(Parsed {
        tree: json!({ "samples": samples }),
        warnings,
    })
}
