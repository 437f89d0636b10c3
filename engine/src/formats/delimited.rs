//! A delimited-text instrument export described entirely by configuration: which files,
//! which delimiter, which header columns become which record keys. This is how a lab adds
//! an instrument without code (see README, "Adding an instrument by configuration").
//!
//! Record tree: `<records>[]` (default `rows[]`), one element per data row, holding the
//! configured keys (a key may be a dotted path, e.g. `qc.a260_a280`), plus `line`, the
//! row's line in the file.

use super::{
    connector::{Connector, Parsed},
    record::{self, cell},
    table, text, FormatError,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::path::Path;

/// One instrument export format, e.g. `[[connectors.delimited]]` in genobridge.toml.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DelimitedConfig {
    /// The connector's name: `genobridge parse --format NAME`, and stored with each file.
    pub name: String,
    /// Which files in `watch.qc_dir` this connector takes, by file name: `*` and `?`
    /// wildcards, case-insensitive (e.g. `*_nanodrop.tsv`). Configured connectors are
    /// tried before the built-in ones.
    pub file_glob: String,
    /// One character: `,` (default), `;`, `|`, or `\t` for tab.
    #[serde(default = "comma")]
    pub delimiter: String,
    /// Lines before the header row (a preamble some instruments write).
    #[serde(default)]
    pub skip_lines: usize,
    /// The array in the record tree holding one element per row.
    #[serde(default = "rows")]
    pub records: String,
    /// Header name (as written in the file, case-insensitive) → record key and type.
    /// Columns not listed are not read.
    pub columns: Vec<ColumnConfig>,
    /// Headers that must be present; a file without one is rejected naming it.
    #[serde(default)]
    pub required_columns: Vec<String>,
}

/// One column of a configured export.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ColumnConfig {
    /// The header text in the file, e.g. `Nucleic Acid(ng/uL)`.
    pub header: String,
    /// The key in each record, e.g. `concentration` (dots nest: `qc.a260_a280`).
    pub key: String,
    /// `string` (default), `number`, `integer` or `boolean`. A cell that does not read as
    /// its type is an error naming the line and column; an empty cell is null.
    #[serde(default, rename = "type")]
    pub ty: ColumnType,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    #[default]
    String,
    Number,
    Integer,
    Boolean,
}

fn comma() -> String {
    ",".into()
}
fn rows() -> String {
    "rows".into()
}

impl DelimitedConfig {
    /// The delimiter byte, or why the setting is unusable.
    pub fn delimiter_byte(&self) -> Result<u8, String> {
        match self.delimiter.as_str() {
            "\\t" | "\t" | "tab" => Ok(b'\t'),
            d if d.len() == 1 && d.is_ascii() => Ok(d.as_bytes()[0]),
            d => Err(format!(
                "connector {:?}: delimiter {d:?} must be one ASCII character or \\t",
                self.name
            )),
        }
    }
}

pub struct DelimitedConnector {
    config: DelimitedConfig,
}

impl DelimitedConnector {
    pub fn new(config: DelimitedConfig) -> Self {
        DelimitedConnector { config }
    }
}

impl Connector for DelimitedConnector {
    fn name(&self) -> &str {
        &self.config.name
    }
    fn sniff(&self, path: &Path) -> bool {
        path.is_file() && text::glob_match(&self.config.file_glob, &text::lower_name(path))
    }
    fn parse(&self, path: &Path) -> Result<Parsed, FormatError> {
        parse_bytes(&self.config, path, &text::read_bytes(path)?)
    }
}

pub fn parse_bytes(
    cfg: &DelimitedConfig,
    path: &Path,
    bytes: &[u8],
) -> Result<Parsed, FormatError> {
    let delimiter = cfg
        .delimiter_byte()
        .map_err(|e| FormatError::new(path, None, e))?;
    let text = text::decode(path, bytes)?;
    let t = table::read(path, &text, delimiter, cfg.skip_lines)?;
    let header_line = format!("line {}", cfg.skip_lines + 1);
    for req in &cfg.required_columns {
        if t.column(req).is_none() {
            return Err(FormatError::new(
                path,
                Some(header_line.clone()),
                format!(
                    "required column {req:?} is missing (found: {})",
                    t.headers.join(", ")
                ),
            ));
        }
    }
    let cols: Vec<(usize, &ColumnConfig)> = cfg
        .columns
        .iter()
        .filter_map(|c| t.column(&c.header).map(|i| (i, c)))
        .collect();
    let mut records = Vec::new();
    for (line, f) in &t.rows {
        let mut m = Map::new();
        m.insert("line".into(), json!(line));
        for (i, c) in &cols {
            let raw = f.get(*i).map(String::as_str).unwrap_or_default().trim();
            let v = typed(raw, c.ty).ok_or_else(|| {
                FormatError::new(
                    path,
                    Some(format!("line {line}, column {:?}", c.header)),
                    format!("{raw:?} is not {}", ty_name(c.ty)),
                )
            })?;
            insert(&mut m, &c.key, v);
        }
        for req in &cfg.required_columns {
            let empty = t
                .column(req)
                .and_then(|i| f.get(i))
                .is_none_or(|v| v.trim().is_empty());
            if empty {
                return Err(FormatError::new(
                    path,
                    Some(format!("line {line}, column {req:?}")),
                    "required column is empty",
                ));
            }
        }
        records.push(Value::Object(m));
    }
    if records.is_empty() {
        return Err(FormatError::new(
            path,
            Some(header_line),
            "no data rows after the header",
        ));
    }
    let mut tree = Map::new();
    tree.insert(record::key(&cfg.records), Value::Array(records));
    Ok(Parsed {
        tree: Value::Object(tree),
        warnings: Vec::new(),
    })
}

fn ty_name(t: ColumnType) -> &'static str {
    match t {
        ColumnType::String => "text",
        ColumnType::Number => "a number",
        ColumnType::Integer => "an integer",
        ColumnType::Boolean => "true or false",
    }
}

fn typed(raw: &str, ty: ColumnType) -> Option<Value> {
    if raw.is_empty() {
        return Some(Value::Null);
    }
    match ty {
        ColumnType::String => Some(json!(raw)),
        ColumnType::Number => cell(raw).is_number().then(|| cell(raw)),
        ColumnType::Integer => cell(raw).as_i64().map(Value::from),
        ColumnType::Boolean => match raw.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "1" => Some(Value::Bool(true)),
            "false" | "no" | "n" | "0" => Some(Value::Bool(false)),
            _ => None,
        },
    }
}

/// Puts `v` at a dotted key, creating nested objects.
fn insert(m: &mut Map<String, Value>, key: &str, v: Value) {
    let mut parts = key.split('.').map(record::key).peekable();
    let mut cur = m;
    while let Some(p) = parts.next() {
        if parts.peek().is_none() {
            cur.insert(p, v);
            return;
        }
        let next = cur.entry(p).or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        let Value::Object(obj) = next else { return };
        cur = obj;
    }
}
