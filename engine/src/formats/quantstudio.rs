//! Applied Biosystems QuantStudio / ViiA 7 qPCR results export (text): a `* key = value`
//! header, then tab-separated sections (`[Sample Setup]`, `[Amplification Data]`,
//! `[Results]`, …), each a header row and data rows.
//!
//! Record tree:
//! - `experiment.*`: every header key, snake-cased, as text (`experiment.experiment_name`,
//!   `experiment.instrument_type`, `experiment.instrument_serial_number`, …);
//! - `sections[]`: the section names found;
//! - `wells[]`: one element per `[Results]` row, every column snake-cased: `wells[].well`
//!   (integer), `wells[].well_position`, `wells[].sample_name`, `wells[].target_name`,
//!   `wells[].task`, `wells[].ct` (number, null when `Undetermined`),
//!   `wells[].ct_undetermined`, `wells[].ct_mean`, `wells[].quantity`, … (genotyping
//!   exports have `allele1_ct`, `allele2_ct`, `call` instead of `ct`);
//! - `wells_without_results[]`: wells set up in `[Sample Setup]` that have no `[Results]`
//!   row (`well`, `well_position`, `sample_name`), each also a warning.
//!
//! No `[Results]` section, or an empty one, is an error: there is nothing to record.

use super::{
    connector::{Connector, Parsed},
    record::{self, snake},
    text, FormatError,
};
use serde_json::{json, Map, Value};
use std::path::Path;

pub struct QuantStudio;

impl Connector for QuantStudio {
    fn name(&self) -> &str {
        "quantstudio"
    }

    fn sniff(&self, path: &Path) -> bool {
        let name = text::lower_name(path);
        if !(name.ends_with(".txt") || name.ends_with(".csv") || name.ends_with(".tsv")) {
            return false;
        }
        let head = text::head_text(path);
        let first = head
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        (first.starts_with("* ") && first.contains('='))
            || head.lines().any(|l| l.trim() == "[Results]")
    }

    fn parse(&self, path: &Path) -> Result<Parsed, FormatError> {
        parse_bytes(path, &text::read_bytes(path)?)
    }
}

/// Parses an export's bytes; `path` only names the file in errors.
pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = text::decode(path, bytes)?;
    parse_str(path, &text)
}

struct Section<'a> {
    name: &'a str,
    /// 1-based line of the column header row.
    header_line: usize,
    rows: Vec<(usize, &'a str)>,
}

pub fn parse_str(path: &Path, text: &str) -> Result<Parsed, FormatError> {
    let mut experiment = Map::new();
    let mut sections: Vec<Section> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let t = line.trim_end();
        if let Some(kv) = t.strip_prefix('*') {
            if sections.is_empty() {
                let (k, v) = kv.split_once('=').ok_or_else(|| {
                    FormatError::new(path, Some(format!("line {n}")), "header line without `=`")
                })?;
                experiment
                    .entry(snake(k))
                    .or_insert_with(|| Value::String(v.trim().to_string()));
                continue;
            }
        }
        if t.starts_with('[') && t.ends_with(']') && !t.contains('\t') {
            sections.push(Section {
                name: &t[1..t.len() - 1],
                header_line: 0,
                rows: Vec::new(),
            });
            continue;
        }
        if t.trim().is_empty() {
            continue;
        }
        match sections.last_mut() {
            Some(s) if s.header_line == 0 => s.header_line = n,
            Some(s) => s.rows.push((n, line)),
            None => return Err(FormatError::new(
                path,
                Some(format!("line {n}")),
                "neither a `* key = value` header line nor a [Section]: not a QuantStudio export",
            )),
        }
    }
    let lines: Vec<&str> = text.lines().collect();
    let results = sections
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case("Results"))
        .ok_or_else(|| {
            FormatError::new(
                path,
                None,
                "no [Results] section: the export carries no analysis results (analyse the run and export Results)",
            )
        })?;
    if results.rows.is_empty() {
        return Err(FormatError::new(
            path,
            Some(format!("line {}", results.header_line.max(1))),
            "the [Results] table has no rows",
        ));
    }
    let columns = header(lines.get(results.header_line.wrapping_sub(1)).copied());
    let mut wells = Vec::new();
    for (n, row) in &results.rows {
        wells.push(well(path, *n, &columns, row)?);
    }
    let mut warnings = Vec::new();
    let mut missing = Vec::new();
    if let Some(setup) = sections
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case("Sample Setup"))
    {
        let cols = header(lines.get(setup.header_line.wrapping_sub(1)).copied());
        for (n, row) in &setup.rows {
            let f = fields(row);
            let get = |name: &str| {
                cols.iter()
                    .position(|c| c == name)
                    .and_then(|i| f.get(i))
                    .map(|s| s.trim())
                    .filter(|s| !s.is_empty())
            };
            let used = get("sample_name").is_some()
                || get("target_name").is_some()
                || get("snp_assay_name").is_some();
            let Some(w) = get("well").and_then(|w| w.parse::<f64>().ok()) else {
                continue;
            };
            let has_result = wells
                .iter()
                .any(|r| r.get("well").and_then(Value::as_f64) == Some(w));
            if used && !has_result {
                let pos = get("well_position").unwrap_or_default();
                warnings.push(format!(
                    "{}: line {n}: well {w} ({pos}) is set up in [Sample Setup] but has no row in [Results]",
                    path.display()
                ));
                missing.push(json!({ "well": w as i64, "well_position": pos, "sample_name": get("sample_name") }));
            }
        }
    }
    let tree = json!({
        "experiment": experiment,
        "sections": sections.iter().map(|s| s.name).collect::<Vec<_>>(),
        "wells": wells,
        "wells_without_results": missing,
    });
    Ok(Parsed { tree, warnings })
}

fn fields(line: &str) -> Vec<&str> {
    line.split('\t')
        .map(|f| f.trim().trim_matches('"'))
        .collect()
}

fn header(line: Option<&str>) -> Vec<String> {
    fields(line.unwrap_or_default())
        .into_iter()
        .map(snake)
        .collect()
}

/// Columns that are names or labels, never numbers (sample names are often digits).
fn is_text(col: &str) -> bool {
    matches!(
        col,
        "well_position"
            | "sample_name"
            | "target_name"
            | "task"
            | "reporter"
            | "quencher"
            | "comments"
            | "snp_assay_name"
            | "call"
            | "method"
            | "biogroup_name"
    ) || col.ends_with("_color")
        || col.ends_with("_name")
}

fn well(path: &Path, n: usize, columns: &[String], row: &str) -> Result<Value, FormatError> {
    let f = fields(row);
    let mut m = Map::new();
    for (col, raw) in columns.iter().zip(f.iter()) {
        if col.is_empty() || m.contains_key(col) {
            continue;
        }
        let v = if is_text(col) {
            if raw.is_empty() {
                Value::Null
            } else {
                Value::String(raw.to_string())
            }
        } else if col == "omit" || col.contains("automatic_") {
            match raw.to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => record::cell(raw),
            }
        } else if raw.eq_ignore_ascii_case("Undetermined") {
            Value::Null
        } else {
            record::cell(raw)
        };
        if col == "ct" || (col.starts_with("allele") && col.ends_with("_ct")) {
            m.insert(
                format!("{col}_undetermined"),
                Value::Bool(raw.eq_ignore_ascii_case("Undetermined")),
            );
        }
        m.insert(col.clone(), v);
    }
    match m.get("well") {
        Some(Value::Number(_)) => {}
        other => {
            return Err(FormatError::new(
                path,
                Some(format!("line {n}, column Well")),
                format!(
                    "well {} is not a number",
                    other
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "(missing)".into())
                ),
            ))
        }
    }
    Ok(Value::Object(m))
}
