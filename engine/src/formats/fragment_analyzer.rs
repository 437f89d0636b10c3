//! Agilent (formerly AATI) Fragment Analyzer, ProSize CSV exports: the Peak Table
//! (`<run> Peak Table.csv`) and the Smear Analysis Result (`<run> Smear Analysis
//! Result.csv`), in ProSize's "alternate" layout: one row per peak or region.
//!
//! Columns as documented by ProSize and read by bioanalyzeR's `read.prosize.peaks` /
//! `read.prosize.regions`: peaks `Well, Sample ID, Peak ID, Size (bp), % (Conc.) (ng/uL),
//! nmole/L, ng/uL, RFU, From (bp), To (bp)`; smear `Well, Sample ID, Range, ng/uL,
//! % Total, nmole/L, Avg. Size, %CV`. Size units are `bp` (DNA) or `nt` (RNA);
//! concentration `ng/uL` or `pg/uL`, molarity `nmole/L` or `pmole/L`.
//!
//! Record tree (both): `units.size`, `units.concentration`, `units.molarity`, and
//! `samples[]` grouped by well: `well`, `sample_id`, then
//! - peaks: `samples[].peaks[]` with `peak_id`, `size`, `percent_concentration`,
//!   `concentration`, `molarity`, `rfu`, `from`, `to`, `is_marker` (no % concentration:
//!   the lower/upper marker);
//! - smear: `samples[].regions[]` with `range`, `from`, `to`, `concentration`,
//!   `percent_total`, `molarity`, `average_size`, `cv_percent`.
//!
//! No public example of these exports was available; the tests use small files written
//! from these documented columns (engine/tests/fixtures/fragment_analyzer/).

use super::{
    connector::{Connector, Parsed},
    record::cell,
    table::{self, Table},
    text, FormatError,
};
use serde_json::{json, Map, Value};
use std::path::Path;

pub struct FragmentPeaks;
pub struct FragmentSmear;

fn first_line(path: &Path) -> String {
    if !text::lower_name(path).ends_with(".csv") {
        return String::new();
    }
    text::head_text(path)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

impl Connector for FragmentPeaks {
    fn name(&self) -> &str {
        "fragment-analyzer-peaks"
    }
    fn sniff(&self, path: &Path) -> bool {
        let h = first_line(path);
        h.contains("Peak ID") && h.contains("Size (")
    }
    fn parse(&self, path: &Path) -> Result<Parsed, FormatError> {
        parse_peaks(path, &text::read_bytes(path)?)
    }
}

impl Connector for FragmentSmear {
    fn name(&self) -> &str {
        "fragment-analyzer-smear"
    }
    fn sniff(&self, path: &Path) -> bool {
        let h = first_line(path);
        h.contains("Range")
            && h.contains("Sample ID")
            && (h.contains("% Total") || h.contains("Avg. Size"))
    }
    fn parse(&self, path: &Path) -> Result<Parsed, FormatError> {
        parse_smear(path, &text::read_bytes(path)?)
    }
}

const CONC: [&str; 4] = ["ng/ul", "pg/ul", "ng/µl", "pg/µl"];
const MOLARITY: [&str; 2] = ["nmole/l", "pmole/l"];

/// The column whose header matches `pred`, or an error naming the missing column.
fn col(
    path: &Path,
    t: &Table,
    what: &str,
    pred: impl Fn(&str) -> bool,
) -> Result<usize, FormatError> {
    t.headers
        .iter()
        .position(|h| pred(&h.trim().to_lowercase()))
        .ok_or_else(|| FormatError::new(path, Some("line 1".into()), format!("no {what} column")))
}

fn unit_in_parens(h: &str) -> Option<String> {
    let open = h.rfind('(')?;
    Some(h[open + 1..].trim_end_matches(')').trim().to_string())
}

struct Common {
    well: usize,
    sample: usize,
    conc: usize,
    molarity: usize,
}

fn common(path: &Path, t: &Table) -> Result<Common, FormatError> {
    Ok(Common {
        well: col(path, t, "Well", |h| h == "well")?,
        sample: col(path, t, "Sample ID", |h| h == "sample id")?,
        conc: col(path, t, "concentration (ng/uL)", |h| CONC.contains(&h))?,
        molarity: col(path, t, "molarity (nmole/L)", |h| MOLARITY.contains(&h))?,
    })
}

fn get(f: &[String], i: usize) -> &str {
    f.get(i).map(String::as_str).unwrap_or_default()
}

/// Rows grouped by well, in first-seen order: (well, sample id, items).
fn group(rows: Vec<(String, String, Value)>) -> Vec<Value> {
    let mut out: Vec<(String, String, Vec<Value>)> = Vec::new();
    for (well, sample, item) in rows {
        match out.iter_mut().find(|(w, _, _)| *w == well) {
            Some((_, _, items)) => items.push(item),
            None => out.push((well, sample, vec![item])),
        }
    }
    out.into_iter()
        .map(|(w, s, items)| json!({ "well": w, "sample_id": s, "items": items }))
        .collect()
}

fn rename_items(samples: Vec<Value>, key: &str) -> Vec<Value> {
    samples
        .into_iter()
        .map(|mut s| {
            if let Some(m) = s.as_object_mut() {
                let items = m.remove("items").unwrap_or(Value::Null);
                m.insert(key.into(), items);
            }
            s
        })
        .collect()
}

fn well_of(raw: &str) -> String {
    // ProSize writes `A1:` when the sample name is empty.
    raw.trim_end_matches(':').trim().to_string()
}

pub fn parse_peaks(path: &Path, bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = text::decode(path, bytes)?;
    let t = table::read(path, &text, b',', 0)?;
    let c = common(path, &t)?;
    let peak_id = col(path, &t, "Peak ID", |h| h == "peak id")?;
    let size = col(path, &t, "Size (bp)", |h| h.starts_with("size ("))?;
    let pct = t.headers.iter().position(|h| h.starts_with("% (Conc.)"));
    let rfu = t.column("RFU");
    let from = t.headers.iter().position(|h| h.starts_with("From ("));
    let to = t.headers.iter().position(|h| h.starts_with("To ("));
    let mut rows = Vec::new();
    for (line, f) in &t.rows {
        let well = well_of(get(f, c.well));
        if well.is_empty() {
            return Err(FormatError::new(
                path,
                Some(format!("line {line}, column Well")),
                "empty well",
            ));
        }
        let percent = pct.map(|i| cell(get(f, i))).unwrap_or(Value::Null);
        let mut m = Map::new();
        m.insert("peak_id".into(), cell(get(f, peak_id)));
        m.insert("size".into(), cell(get(f, size)));
        m.insert("is_marker".into(), Value::Bool(percent.is_null()));
        m.insert("percent_concentration".into(), percent);
        m.insert("concentration".into(), cell(get(f, c.conc)));
        m.insert("molarity".into(), cell(get(f, c.molarity)));
        m.insert(
            "rfu".into(),
            rfu.map(|i| cell(get(f, i))).unwrap_or(Value::Null),
        );
        m.insert(
            "from".into(),
            from.map(|i| cell(get(f, i))).unwrap_or(Value::Null),
        );
        m.insert(
            "to".into(),
            to.map(|i| cell(get(f, i))).unwrap_or(Value::Null),
        );
        rows.push((well, get(f, c.sample).to_string(), Value::Object(m)));
    }
    if rows.is_empty() {
        return Err(FormatError::new(path, None, "no peaks (header row only)"));
    }
    let tree = json!({
        "units": units(&t, size, &c),
        "samples": rename_items(group(rows), "peaks"),
    });
    Ok(Parsed {
        tree,
        warnings: Vec::new(),
    })
}

fn units(t: &Table, size: usize, c: &Common) -> Value {
    json!({
        "size": unit_in_parens(&t.headers[size]),
        "concentration": t.headers[c.conc],
        "molarity": t.headers[c.molarity],
    })
}

/// `100 bp to 1000 bp` → (100, 1000, "bp").
fn range(raw: &str) -> Option<(Value, Value, String)> {
    let (a, b) = raw.split_once(" to ")?;
    let mut a = a.split_whitespace();
    let mut b = b.split_whitespace();
    let from = cell(a.next()?);
    let to = cell(b.next()?);
    let unit = b.next().unwrap_or_default().to_string();
    (from.is_number() && to.is_number()).then_some((from, to, unit))
}

pub fn parse_smear(path: &Path, bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = text::decode(path, bytes)?;
    let t = table::read(path, &text, b',', 0)?;
    let c = common(path, &t)?;
    let range_col = col(path, &t, "Range", |h| h == "range")?;
    let pct = t.column("% Total");
    let avg = t.column("Avg. Size");
    let cv = t.column("%CV");
    let mut rows = Vec::new();
    let mut size_unit = None;
    for (line, f) in &t.rows {
        let raw_range = get(f, range_col);
        if raw_range.is_empty() {
            continue; // ProSize writes a half-empty row for the ladder well.
        }
        let (from, to, unit) = range(raw_range).ok_or_else(|| {
            FormatError::new(
                path,
                Some(format!("line {line}, column Range")),
                format!("{raw_range:?} is not `<from> bp to <to> bp`"),
            )
        })?;
        size_unit.get_or_insert(unit);
        let item = json!({
            "range": raw_range,
            "from": from,
            "to": to,
            "concentration": cell(get(f, c.conc)),
            "percent_total": pct.map(|i| cell(get(f, i))).unwrap_or(Value::Null),
            "molarity": cell(get(f, c.molarity)),
            "average_size": avg.map(|i| cell(get(f, i))).unwrap_or(Value::Null),
            "cv_percent": cv.map(|i| cell(get(f, i))).unwrap_or(Value::Null),
        });
        rows.push((well_of(get(f, c.well)), get(f, c.sample).to_string(), item));
    }
    if rows.is_empty() {
        return Err(FormatError::new(
            path,
            None,
            "no smear regions (header row only)",
        ));
    }
    let tree = json!({
        "units": { "size": size_unit, "concentration": t.headers[c.conc], "molarity": t.headers[c.molarity] },
        "samples": rename_items(group(rows), "regions"),
    });
    Ok(Parsed {
        tree,
        warnings: Vec::new(),
    })
}
