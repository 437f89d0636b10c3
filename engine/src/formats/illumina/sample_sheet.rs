//! SampleSheet.csv, v1 (`[Data]`) and v2 (`[BCLConvert_Data]`): sample ids, lanes, indexes.

use crate::formats::FormatError;
use serde::{Deserialize, Serialize};
use std::{collections::HashSet, path::Path};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SampleEntry {
    pub sample_id: String,
    pub lane: Option<u32>,
    pub index1: Option<String>,
    pub index2: Option<String>,
}

pub fn read_sample_sheet(path: &Path) -> Result<Vec<SampleEntry>, FormatError> {
    let text = crate::formats::read_text(path)?;
    parse_sample_sheet(path, &text)
}

/// Finds the data section (v2's `[BCLConvert_Data]` first, then v1's `[Data]`) and reads
/// it as CSV with a header row. Line numbers in errors count from the top of the file.
pub fn parse_sample_sheet(path: &Path, text: &str) -> Result<Vec<SampleEntry>, FormatError> {
    if text.trim().is_empty() {
        return Err(FormatError::new(path, None, "empty file"));
    }
    let lines: Vec<&str> = text.lines().collect();
    let section_start = ["[BCLConvert_Data]", "[Data]"].iter().find_map(|name| {
        lines
            .iter()
            .position(|l| l.trim_end_matches(',').trim().eq_ignore_ascii_case(name))
    });
    let Some(start) = section_start else {
        return Err(FormatError::new(
            path,
            None,
            "no [BCLConvert_Data] or [Data] section",
        ));
    };
    let body_lines: Vec<&str> = lines[start + 1..]
        .iter()
        .take_while(|l| !l.trim_start().starts_with('['))
        .copied()
        .collect();
    let body = body_lines.join("\n");
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body.as_bytes());
    let header_line = start + 2;
    let headers = rdr
        .headers()
        .map_err(|e| FormatError::new(path, Some(format!("line {header_line}")), e.to_string()))?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let sample_col = col("Sample_ID").ok_or_else(|| {
        FormatError::new(
            path,
            Some(format!("line {header_line}")),
            "the data section has no Sample_ID column",
        )
    })?;
    let (lane_col, i1, i2) = (
        col("Lane"),
        col("Index").or_else(|| col("index")),
        col("Index2").or_else(|| col("index2")),
    );
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (n, rec) in rdr.records().enumerate() {
        let line = header_line + 1 + n;
        let rec =
            rec.map_err(|e| FormatError::new(path, Some(format!("line {line}")), e.to_string()))?;
        if rec.iter().all(|f| f.is_empty()) {
            continue;
        }
        let get = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let sample_id = get(Some(sample_col)).ok_or_else(|| {
            FormatError::new(
                path,
                Some(format!("line {line}, field Sample_ID")),
                "empty Sample_ID",
            )
        })?;
        let lane = match get(lane_col) {
            Some(l) => Some(l.parse::<u32>().map_err(|_| {
                FormatError::new(
                    path,
                    Some(format!("line {line}, field Lane")),
                    format!("lane {l:?} is not a number"),
                )
            })?),
            None => None,
        };
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
        out.push(SampleEntry {
            sample_id,
            lane,
            index1: get(i1),
            index2: get(i2),
        });
    }
    Ok(out)
}
