//! SampleSheet.csv: v2 (`FileFormatVersion,2`; `[Header]`, `[Reads]`, and per application
//! `[<App>_Settings]` / `[<App>_Data]`, samples in `[BCLConvert_Data]`), v1 (IEM:
//! `[Header]`, `[Reads]`, `[Settings]`, `[Data]`), and the bcl2fastq/CASAVA sheet (only
//! `[Data]` with `FCID,Lane,SampleID,…`).
//!
//! Samples come from `[BCLConvert_Data]`, else `[Data]`. Per the v2 specification a
//! Sample_ID may repeat only across lanes, so a repeat within a lane (or in a sheet
//! without lanes) is an error naming the line.

use crate::formats::{record, text, FormatError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::{collections::HashSet, path::Path};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SampleEntry {
    pub sample_id: String,
    pub lane: Option<u32>,
    pub index1: Option<String>,
    pub index2: Option<String>,
}

/// Everything in a sheet: the samples, and every section for the record tree.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleSheet {
    /// 2 for `FileFormatVersion,2`; 1 for IEM and bcl2fastq sheets.
    pub version: u32,
    /// The section the samples came from: `BCLConvert_Data` or `Data`.
    pub samples_section: String,
    pub samples: Vec<SampleEntry>,
    /// Each sample's other columns (snake-cased), parallel to `samples`.
    pub sample_columns: Vec<Map<String, Value>>,
    /// Section name → object (key/value sections) or array of row objects (data sections);
    /// the record tree leaves out the samples' section, which is `samples[]`.
    pub sections: Map<String, Value>,
}

impl SampleSheet {
    /// `sample_sheet.*` and `samples[]` of the record tree.
    pub fn tree(&self) -> (Value, Value) {
        let samples = self
            .samples
            .iter()
            .zip(&self.sample_columns)
            .map(|(s, extra)| {
                let mut m = extra.clone();
                m.insert("sample_id".into(), json!(s.sample_id));
                m.insert("lane".into(), json!(s.lane));
                m.insert("index".into(), json!(s.index1));
                m.insert("index2".into(), json!(s.index2));
                Value::Object(m)
            })
            .collect();
        // The samples' own section is `samples[]`; the others stay as written.
        let mut sections = self.sections.clone();
        sections.remove(&self.samples_section);
        let sheet = json!({
            "version": self.version,
            "samples_section": self.samples_section,
            "sections": sections,
        });
        (sheet, Value::Array(samples))
    }
}

pub fn read_sample_sheet(path: &Path) -> Result<Vec<SampleEntry>, FormatError> {
    Ok(read_sheet(path)?.samples)
}

pub fn read_sheet(path: &Path) -> Result<SampleSheet, FormatError> {
    let bytes = text::read_bytes(path)?;
    parse_sheet_bytes(path, &bytes)
}

pub fn parse_sheet_bytes(path: &Path, bytes: &[u8]) -> Result<SampleSheet, FormatError> {
    let t = text::decode(path, bytes)?;
    parse_sheet(path, &t)
}

pub fn parse_sample_sheet(path: &Path, text: &str) -> Result<Vec<SampleEntry>, FormatError> {
    Ok(parse_sheet(path, text)?.samples)
}

/// A data row: its 1-based file line and its fields by snake-cased header.
type Row = (usize, Map<String, Value>);

/// A section: its name and the 0-based index of its `[Name]` line.
struct Span<'a> {
    name: &'a str,
    start: usize,
    end: usize,
}

fn is_data(name: &str) -> bool {
    name.eq_ignore_ascii_case("Data") || name.to_ascii_lowercase().ends_with("_data")
}

pub fn parse_sheet(path: &Path, text: &str) -> Result<SampleSheet, FormatError> {
    if text.trim().is_empty() {
        return Err(FormatError::new(path, None, "empty file"));
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut spans: Vec<Span> = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim().trim_end_matches(',').trim();
        if t.starts_with('[') && t.ends_with(']') && t.len() > 2 {
            if let Some(last) = spans.last_mut() {
                last.end = i;
            }
            spans.push(Span {
                name: &t[1..t.len() - 1],
                start: i,
                end: lines.len(),
            });
        }
    }
    let mut sections = Map::new();
    for s in &spans {
        let body = &lines[s.start + 1..s.end];
        let v = if is_data(s.name) {
            Value::Array(
                data_rows(path, body, s.start)?
                    .into_iter()
                    .map(|(_, m)| Value::Object(m))
                    .collect(),
            )
        } else {
            key_values(s.name, body)
        };
        sections.entry(record::key(s.name)).or_insert(v);
    }
    let span = ["BCLConvert_Data", "Data"]
        .iter()
        .find_map(|n| spans.iter().find(|s| s.name.eq_ignore_ascii_case(n)))
        .ok_or_else(|| FormatError::new(path, None, "no [BCLConvert_Data] or [Data] section"))?;
    let version = sections
        .get("Header")
        .and_then(|h| h.get("FileFormatVersion"))
        .and_then(Value::as_str)
        .and_then(|v| v.parse().ok())
        .unwrap_or(if span.name.eq_ignore_ascii_case("BCLConvert_Data") {
            2
        } else {
            1
        });
    let rows = data_rows(path, &lines[span.start + 1..span.end], span.start)?;
    let header_line = span.start + 2;
    let Some((_, first)) = rows.first() else {
        return Ok(SampleSheet {
            version,
            samples_section: span.name.into(),
            samples: vec![],
            sample_columns: vec![],
            sections,
        });
    };
    let id_col = ["sample_id", "sampleid"]
        .into_iter()
        .find(|c| first.contains_key(*c))
        .ok_or_else(|| {
            FormatError::new(
                path,
                Some(format!("line {header_line}")),
                format!("the [{}] section has no Sample_ID column", span.name),
            )
        })?;
    let mut seen = HashSet::new();
    let mut samples = Vec::new();
    let mut extras = Vec::new();
    for (line, mut row) in rows {
        let mut take = |k: &str| {
            row.remove(k)
                .and_then(|v| v.as_str().map(str::to_string))
                .filter(|v| !v.is_empty())
        };
        let sample_id = take(id_col).ok_or_else(|| {
            FormatError::new(
                path,
                Some(format!("line {line}, field Sample_ID")),
                "empty Sample_ID",
            )
        })?;
        let lane = match take("lane") {
            Some(l) => Some(l.parse::<u32>().map_err(|_| {
                FormatError::new(
                    path,
                    Some(format!("line {line}, field Lane")),
                    format!("lane {l:?} is not a number"),
                )
            })?),
            None => None,
        };
        let index1 = take("index");
        let index2 = take("index2");
        if !seen.insert((sample_id.clone(), lane)) {
            return Err(FormatError::new(
                path,
                Some(format!("line {line}, field Sample_ID")),
                format!(
                    "duplicate Sample_ID {sample_id:?}{}",
                    lane.map(|l| format!(" in lane {l}")).unwrap_or_default()
                ),
            ));
        }
        samples.push(SampleEntry {
            sample_id,
            lane,
            index1,
            index2,
        });
        extras.push(row);
    }
    Ok(SampleSheet {
        version,
        samples_section: span.name.into(),
        samples,
        sample_columns: extras,
        sections,
    })
}

/// `Key,Value` lines; v1 `[Reads]` lines are bare cycle counts (`151`).
fn key_values(section: &str, body: &[&str]) -> Value {
    let mut m = Map::new();
    let mut read = 0;
    for l in body {
        let l = l.trim().trim_end_matches(',');
        if l.is_empty() {
            continue;
        }
        let (k, v) = l.split_once(',').unwrap_or((l, ""));
        let (k, v) = (k.trim(), v.trim().trim_end_matches(',').trim());
        if section.eq_ignore_ascii_case("Reads") && v.is_empty() && k.parse::<u32>().is_ok() {
            read += 1;
            m.insert(format!("Read{read}Cycles"), json!(k));
        } else if !k.is_empty() {
            m.entry(record::key(k)).or_insert_with(|| json!(v));
        }
    }
    Value::Object(m)
}

/// A data section's rows as objects keyed by snake-cased header, each with its 1-based
/// file line. `start` is the 0-based index of the `[Section]` line.
fn data_rows(path: &Path, body: &[&str], start: usize) -> Result<Vec<Row>, FormatError> {
    let joined = body.join("\n");
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .has_headers(false)
        .from_reader(joined.as_bytes());
    let mut headers: Option<Vec<String>> = None;
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e
                .position()
                .map(|p| start + 1 + p.line() as usize)
                .unwrap_or(start + 1);
            FormatError::new(path, Some(format!("line {line}")), e.to_string())
        })?;
        let line = start + 1 + rec.position().map(|p| p.line() as usize).unwrap_or(1);
        if rec.iter().all(str::is_empty) {
            continue;
        }
        let Some(h) = &headers else {
            headers = Some(rec.iter().map(record::snake).collect());
            continue;
        };
        let mut m = Map::new();
        for (k, v) in h.iter().zip(rec.iter()) {
            if !k.is_empty() {
                m.entry(k.clone()).or_insert_with(|| json!(v));
            }
        }
        out.push((line, m));
    }
    Ok(out)
}
