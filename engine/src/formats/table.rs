//! Reading a delimited table (CSV, TSV) whose first row is the header, with line numbers
//! for every row; shared by the Qubit, Fragment Analyzer and generic connectors.

use super::FormatError;
use std::path::Path;

pub struct Table {
    pub headers: Vec<String>,
    /// (1-based file line, fields).
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name.trim()))
    }
}

/// Parses `text` after skipping `skip_lines` lines. Blank rows are dropped.
pub fn read(
    path: &Path,
    text: &str,
    delimiter: u8,
    skip_lines: usize,
) -> Result<Table, FormatError> {
    let mut offset = 0;
    for _ in 0..skip_lines {
        match text[offset..].find('\n') {
            Some(i) => offset += i + 1,
            None => offset = text.len(),
        }
    }
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(&text.as_bytes()[offset..]);
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e
                .position()
                .map(|p| p.line() as usize + skip_lines)
                .unwrap_or(0);
            FormatError::new(
                path,
                Some(format!("line {line}")),
                format!("unreadable row: {e}"),
            )
        })?;
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0) + skip_lines;
        let fields: Vec<String> = rec.iter().map(|f| f.trim().to_string()).collect();
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        match headers {
            None => headers = Some(fields),
            Some(_) => rows.push((line, fields)),
        }
    }
    let headers = headers.ok_or_else(|| FormatError::new(path, None, "no header row"))?;
    Ok(Table { headers, rows })
}
