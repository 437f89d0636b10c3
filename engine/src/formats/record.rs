//! The record tree every connector yields, and the field paths the mapping layer uses.
//!
//! A path is dot-separated keys; `[]` after a key means "each element of that array":
//! `run.flowcell_id`, `samples[].sample_id`, `wells[].ct`.

mod path;

pub use path::{SourcePath, Step};

use serde::Serialize;
use serde_json::{Map, Value};

/// One leaf field of a record tree, as the mapping editor lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SchemaField {
    pub path: String,
    /// `string`, `number`, `integer`, `boolean`, `null`, `object` (empty) or `array` (empty).
    pub ty: &'static str,
    /// The first non-null value seen at this path.
    pub example: Value,
}

/// Every leaf path of `tree` in first-seen order; arrays are merged over their elements.
pub fn schema(tree: &Value) -> Vec<SchemaField> {
    let mut out: Vec<SchemaField> = Vec::new();
    walk(tree, "", &mut out);
    out
}

fn walk(v: &Value, path: &str, out: &mut Vec<SchemaField>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(child, &p, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let p = format!("{path}[]");
            for item in items {
                walk(item, &p, out);
            }
        }
        leaf => add(out, path, leaf),
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn add(out: &mut Vec<SchemaField>, path: &str, v: &Value) {
    let ty = type_of(v);
    let Some(f) = out.iter_mut().find(|f| f.path == path) else {
        out.push(SchemaField {
            path: path.to_string(),
            ty,
            example: v.clone(),
        });
        return;
    };
    f.ty = match (f.ty, ty) {
        (a, b) if a == b => a,
        ("null", b) => b,
        (a, "null") => a,
        ("integer", "number") | ("number", "integer") => "number",
        // Mixed kinds: the mapping layer can always take it as text.
        _ => "string",
    };
    if f.example.is_null() && !v.is_null() {
        f.example = v.clone();
    }
}

/// Every value at `path`, nulls included; `[]` fans out over array elements. Missing keys,
/// and a path that does not parse, give nothing.
pub fn lookup<'a>(tree: &'a Value, path: &str) -> Vec<&'a Value> {
    SourcePath::parse(path)
        .map(|p| p.matches(tree))
        .unwrap_or_default()
}

/// A key safe to use in a path: no dots or brackets, which the path syntax reserves.
pub fn key(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| if matches!(c, '.' | '[' | ']') { '_' } else { c })
        .collect()
}

/// `Sample Volume (µL)` → `sample_volume_ul`: column headers as plain record keys.
pub fn snake(raw: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in raw.trim().chars() {
        let micro = matches!(c, 'µ' | 'μ');
        let c = match c {
            'µ' | 'μ' => 'u',
            'т' => 't', // QuantStudio writes "Cт" with a Cyrillic te.
            c => c,
        };
        let lower = c.is_ascii_lowercase() && !micro;
        if c.is_ascii_alphanumeric() {
            // camelCase splits (`SampleID` → `sample_id`), runs of capitals do not.
            if c.is_ascii_uppercase() && prev_lower {
                out.push('_');
            }
            prev_lower = lower;
            out.push(c.to_ascii_lowercase());
            continue;
        }
        prev_lower = false;
        if c == '%' {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            out.push_str("pct_");
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

/// A cell as JSON: integers and decimals (with `1,234.5` thousands separators) become
/// numbers, empty and `-` become null, anything else stays text.
pub fn cell(raw: &str) -> Value {
    let t = raw.trim();
    if t.is_empty() || t == "-" {
        return Value::Null;
    }
    number(t).unwrap_or_else(|| Value::String(t.to_string()))
}

/// A number from an instrument's text, or `None`.
pub fn number(t: &str) -> Option<Value> {
    let t = t.trim();
    let plain = if thousands(t) {
        t.replace(',', "")
    } else {
        t.to_string()
    };
    if plain.is_empty()
        || !plain
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
    {
        return None;
    }
    if let Ok(i) = plain.parse::<i64>() {
        return Some(Value::from(i));
    }
    let f = plain.parse::<f64>().ok()?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

/// `100,000,000.000`: groups of three digits after the first comma.
fn thousands(t: &str) -> bool {
    let body = t.strip_prefix('-').unwrap_or(t);
    let int = body.split('.').next().unwrap_or_default();
    let mut groups = int.split(',');
    let first = groups.next().unwrap_or_default();
    int.contains(',')
        && (1..=3).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_digit())
        && groups.all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit()))
}

/// A JSON object from key/value pairs, skipping keys that come again (first wins).
pub fn object<I: IntoIterator<Item = (String, Value)>>(pairs: I) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.entry(k).or_insert(v);
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests;
