//! The transforms a rule applies, in order, to the value it read. Each is written in the
//! mapping file as a word (`"trim"`) or a one-key table (`{ lookup = { … } }`); the
//! examples below are what an engineer types.
//!
//! A transform is compiled once with its mapping ([`Compiled`]): regexes, date formats and
//! lookup tables are checked and built when the mapping loads, never per record.

use super::kind_of;
use crate::formats::hgnc::GeneTable;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::{borrow::Cow, collections::BTreeMap};

/// One transform, as written in a mapping file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Transform {
    /// `"to_string"`: numbers and booleans become text.
    ToString,
    /// `"to_number"`: `" 12.50 "` → `12.5` (an integer when it has no fraction).
    ToNumber,
    /// `"upper"`: `"22f52tlt3"` → `"22F52TLT3"`.
    Upper,
    /// `"lower"`: `"Likely_pathogenic"` → `"likely_pathogenic"`.
    Lower,
    /// `"trim"`: removes leading and trailing white space.
    Trim,
    /// `{ lookup = { table = "clinvar-significance", otherwise = "omit" } }`: the value is
    /// a key of the mapping's `[tables.clinvar-significance]`; `pathogenic` → `LA6668-3`.
    /// `otherwise` is required: `"omit"`, `"keep"`, `"reject"` or `{ value = "…" }`.
    Lookup {
        table: String,
        otherwise: Option<Otherwise>,
    },
    /// `{ regex = { pattern = "^(?:[^:]*:)?(.+)$" } }`: the capture group (1 unless
    /// `group` says) replaces the value; `ENSP0001:p.Arg12Cys` → `p.Arg12Cys`. No match:
    /// the value is missing.
    Regex {
        pattern: String,
        #[serde(default = "one", skip_serializing_if = "is_one")]
        group: usize,
    },
    /// `{ replace = { find = " ", with = "_" } }`: every occurrence.
    Replace { find: String, with: String },
    /// `{ round = { decimals = 3 } }`: `0.47619` → `"0.476"`, always that many decimals.
    /// `mode = "half_even"` (default) rounds the exact binary value to nearest, ties to
    /// even, as printf does; `"half_up"` rounds ties away from zero.
    Round {
        decimals: u8,
        #[serde(default, skip_serializing_if = "Rounding::is_default")]
        mode: Rounding,
    },
    /// `{ unit = { from = "ng/uL", to = "ng/mL" } }`: `2.5` → `2500`. Known: mass
    /// concentration (pg/uL, ng/uL, ng/mL, ug/mL, mg/L), molarity (pM, nM, uM), length (bp,
    /// kb, Mb).
    Unit { from: String, to: String },
    /// `{ date = { from = "[year][month][day]", to = "[year]-[month]-[day]" } }`:
    /// `20231108` → `2023-11-08` (the `time` crate's format descriptions).
    Date { from: String, to: String },
    /// `{ concat = { parts = [["ann[].feature_id", "csq[].Feature"], "$"], separator = ":" } }`:
    /// joins the parts that have a value. A part is `"$"` (the value so far), a source
    /// path, a list of paths (the first with a value), or `{ text = "…" }`.
    /// `c.5465T>A` → `ENST00000457016.1:c.5465T>A`.
    Concat {
        parts: Vec<Part>,
        #[serde(default)]
        separator: String,
    },
    /// `{ split = { separator = ",", index = 0 } }`: `"0.48,0.02"` → `"0.48"`; a negative
    /// index counts from the end (`{ separator = ":", index = -1 }`:
    /// `ENSP0001:p.Arg12Cys` → `p.Arg12Cys`, and `p.Arg12Cys` stays). Without `index`, a
    /// list (LIMS documents only).
    Split {
        separator: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index: Option<i64>,
    },
    /// `{ if = { matches = "^chr", then = "prefixed", otherwise = "keep" } }`: a predicate
    /// (`equals` or `matches`) on the value; `then` (default: keep the value) when it
    /// holds, `otherwise` (default `"keep"`) when it does not.
    If {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        equals: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        matches: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        then: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        otherwise: Option<Otherwise>,
    },
    /// `"zygosity"`: a GT (`0/1`, `1|1`, `1`) → the allelic state's LA code for this
    /// variant's ALT allele (heterozygous LA6706-1, homozygous LA6705-3, hemizygous
    /// LA6707-9). VCF reports only.
    Zygosity,
    /// `"allele_frequency"`: this ALT allele's fraction, from FORMAT AF, else AD / DP (or /
    /// the sum of AD). The value read is ignored. VCF reports only.
    AlleleFrequency,
    /// `"hgnc_id"`: `HGNC:583` or `583` stay an HGNC id (`HGNC:583`); a symbol (`APC`) is
    /// looked up in the gene table (`[selection] hgnc_table`); not found: missing.
    HgncId,
    /// `"refseq_accession"`: a chromosome (`5`, `chrX`) → its RefSeq accession in the
    /// report's assembly (`NC_000005.9` on GRCh37). VCF reports only.
    RefseqAccession,
}

fn one() -> usize {
    1
}
fn is_one(n: &usize) -> bool {
    *n == 1
}

/// What a lookup or an `if` gives when its key is not found or its test fails.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Otherwise {
    /// The value is missing (the rule's `default`, `required` or `optional` decide).
    Omit,
    /// The value passes through unchanged.
    Keep,
    /// The record is rejected, naming the rule and the reason.
    Reject,
    /// This value instead.
    Value(String),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    #[default]
    HalfEven,
    HalfUp,
}

impl Rounding {
    fn is_default(&self) -> bool {
        *self == Rounding::HalfEven
    }
}

/// A part of a `concat`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Part {
    /// `"$"` for the value so far, else a source path.
    One(String),
    /// The first of these paths with a value.
    FirstOf(Vec<String>),
    Text {
        text: String,
    },
}

impl Transform {
    /// The source paths this transform reads besides the rule's own.
    pub fn paths(&self) -> Vec<&str> {
        match self {
            Transform::Concat { parts, .. } => parts
                .iter()
                .flat_map(|p| match p {
                    Part::One(s) if s != "$" => vec![s.as_str()],
                    Part::FirstOf(list) => list.iter().map(String::as_str).collect(),
                    _ => Vec::new(),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Transform::ToString => "to_string",
            Transform::ToNumber => "to_number",
            Transform::Upper => "upper",
            Transform::Lower => "lower",
            Transform::Trim => "trim",
            Transform::Lookup { .. } => "lookup",
            Transform::Regex { .. } => "regex",
            Transform::Replace { .. } => "replace",
            Transform::Round { .. } => "round",
            Transform::Unit { .. } => "unit",
            Transform::Date { .. } => "date",
            Transform::Concat { .. } => "concat",
            Transform::Split { .. } => "split",
            Transform::If { .. } => "if",
            Transform::Zygosity => "zygosity",
            Transform::AlleleFrequency => "allele_frequency",
            Transform::HgncId => "hgnc_id",
            Transform::RefseqAccession => "refseq_accession",
        }
    }
}

/// What a transform may ask of the record it runs on, beyond the value.
pub trait Context {
    /// The value of the `i`th extra path ([`Transform::paths`], numbered across the rule).
    fn path(&self, i: usize) -> Option<Cow<'_, str>>;
    fn genes(&self) -> Option<&GeneTable> {
        None
    }
    /// This variant's ALT allele's index (1-based) and the fraction `allele_frequency` gives.
    fn alt_index(&self) -> Option<usize> {
        None
    }
    fn allele_frequency(&self) -> Option<f64> {
        None
    }
    fn refseq_accession(&self, _chromosome: &str) -> Option<&'static str> {
        None
    }
}

/// A part, with its paths numbered.
#[derive(Clone, Debug)]
pub enum CPart {
    Current,
    Paths(Vec<usize>),
    Text(String),
}

/// A transform ready to run: patterns compiled, the table resolved.
#[derive(Clone, Debug)]
pub enum Compiled {
    Simple(Transform),
    Lookup {
        table: BTreeMap<String, String>,
        otherwise: Otherwise,
    },
    Regex(regex::Regex, usize),
    Round(u8, Rounding),
    Unit(f64),
    Date(
        time::format_description::OwnedFormatItem,
        time::format_description::OwnedFormatItem,
    ),
    Concat(Vec<CPart>, String),
    If {
        test: Test,
        then: Option<String>,
        otherwise: Otherwise,
    },
}

#[derive(Clone, Debug)]
pub enum Test {
    Equals(String),
    Matches(regex::Regex),
}

/// The outcome of one step: a value, nothing, or a rejection with its reason.
pub enum Step<'a> {
    Value(Cow<'a, str>),
    Missing,
}

impl Compiled {
    /// Compiles `t`; `tables` are the mapping's lookup tables, `next_path` numbers the
    /// extra paths.
    pub fn new(
        t: &Transform,
        tables: &BTreeMap<String, BTreeMap<String, String>>,
        next_path: &mut usize,
    ) -> Result<Compiled, String> {
        Ok(match t {
            Transform::Lookup { table, otherwise } => {
                let Some(entries) = tables.get(table) else {
                    return Err(format!("lookup: no table {table:?} in [tables]"));
                };
                let Some(otherwise) = otherwise.clone() else {
                    return Err(format!(
                        "lookup in {table:?} needs `otherwise` (\"omit\", \"keep\", \"reject\" or {{ value = … }}): what a value not in the table gives"
                    ));
                };
                Compiled::Lookup {
                    table: entries.clone(),
                    otherwise,
                }
            }
            Transform::Regex { pattern, group } => {
                let re = regex::Regex::new(pattern).map_err(|e| format!("regex: {e}"))?;
                if *group > re.captures_len() - 1 {
                    return Err(format!(
                        "regex: group {group}, but the pattern has {} groups",
                        re.captures_len() - 1
                    ));
                }
                Compiled::Regex(re, *group)
            }
            Transform::Round { decimals, mode } => {
                if *decimals > 12 {
                    return Err("round: at most 12 decimals".into());
                }
                Compiled::Round(*decimals, *mode)
            }
            Transform::Unit { from, to } => Compiled::Unit(unit_factor(from, to)?),
            Transform::Date { from, to } => {
                let parse = |f: &str| {
                    time::format_description::parse_owned::<2>(f)
                        .map_err(|e| format!("date format {f:?}: {e}"))
                };
                Compiled::Date(parse(from)?, parse(to)?)
            }
            Transform::Concat { parts, separator } => {
                let mut out = Vec::new();
                for p in parts {
                    out.push(match p {
                        Part::One(s) if s == "$" => CPart::Current,
                        Part::One(_) => {
                            *next_path += 1;
                            CPart::Paths(vec![*next_path - 1])
                        }
                        Part::FirstOf(list) => CPart::Paths(
                            list.iter()
                                .map(|_| {
                                    *next_path += 1;
                                    *next_path - 1
                                })
                                .collect(),
                        ),
                        Part::Text { text } => CPart::Text(text.clone()),
                    });
                }
                Compiled::Concat(out, separator.clone())
            }
            Transform::If {
                equals,
                matches,
                then,
                otherwise,
            } => {
                let test = match (equals, matches) {
                    (Some(e), None) => Test::Equals(e.clone()),
                    (None, Some(m)) => {
                        Test::Matches(regex::Regex::new(m).map_err(|e| format!("if: {e}"))?)
                    }
                    _ => return Err("if: give exactly one of `equals` and `matches`".into()),
                };
                Compiled::If {
                    test,
                    then: then.clone(),
                    otherwise: otherwise.clone().unwrap_or(Otherwise::Keep),
                }
            }
            Transform::Split { index: None, .. } => Compiled::Simple(t.clone()),
            other => Compiled::Simple(other.clone()),
        })
    }

    /// Applies the transform to a text value.
    pub fn apply<'a>(&'a self, v: Cow<'a, str>, cx: &dyn Context) -> Result<Step<'a>, String> {
        use Step::{Missing, Value as V};
        let otherwise = |o: &'a Otherwise, v: Cow<'a, str>, why: String| match o {
            Otherwise::Omit => Ok(Missing),
            Otherwise::Keep => Ok(V(v)),
            Otherwise::Reject => Err(why),
            Otherwise::Value(x) => Ok(V(Cow::Borrowed(x.as_str()))),
        };
        Ok(match self {
            Compiled::Simple(t) => match t {
                Transform::ToString | Transform::ToNumber => V(v),
                Transform::Upper if !v.chars().any(char::is_lowercase) => V(v),
                Transform::Lower if !v.chars().any(char::is_uppercase) => V(v),
                Transform::Upper => V(Cow::Owned(v.to_uppercase())),
                Transform::Lower => V(Cow::Owned(v.to_lowercase())),
                Transform::Trim => match v {
                    Cow::Borrowed(s) => V(Cow::Borrowed(s.trim())),
                    Cow::Owned(s) => V(Cow::Owned(s.trim().to_string())),
                },
                Transform::Replace { find, .. } if !v.contains(find.as_str()) => V(v),
                Transform::Replace { find, with } => V(Cow::Owned(v.replace(find, with))),
                Transform::Split { separator, index } => {
                    let i = index.unwrap_or(0);
                    let part = if i >= 0 {
                        v.split(separator.as_str()).nth(i as usize)
                    } else {
                        v.rsplit(separator.as_str()).nth((-i - 1) as usize)
                    };
                    match part {
                        Some(part) => V(slice_of(&v, part)),
                        None => Missing,
                    }
                }
                Transform::Zygosity => {
                    let alt = cx.alt_index().ok_or("zygosity needs a VCF variant")?;
                    match zygosity(&v, alt) {
                        Some(code) => V(Cow::Borrowed(code)),
                        None => Missing,
                    }
                }
                Transform::AlleleFrequency => match cx.allele_frequency() {
                    Some(f) => V(Cow::Owned(f.to_string())),
                    None => Missing,
                },
                Transform::HgncId => hgnc_id(v, cx),
                Transform::RefseqAccession => {
                    let c = v.strip_prefix("chr").unwrap_or(&v);
                    let c = if c == "M" { "MT" } else { c };
                    match cx.refseq_accession(c) {
                        Some(nc) => V(Cow::Borrowed(nc)),
                        None => Missing,
                    }
                }
                other => return Err(format!("{} is not a text transform", other.name())),
            },
            Compiled::Lookup {
                table,
                otherwise: o,
            } => match table.get(v.as_ref()) {
                Some(found) => V(Cow::Borrowed(found.as_str())),
                None => {
                    let why = format!(
                        "lookup: the value ({} characters) is not in the table",
                        v.chars().count()
                    );
                    otherwise(o, v, why)?
                }
            },
            Compiled::Regex(re, group) => match re.captures(&v).and_then(|c| c.get(*group)) {
                Some(m) if m.as_str().len() == v.len() => V(v),
                Some(m) => V(slice_of(&v, m.as_str())),
                None => Missing,
            },
            Compiled::Round(decimals, mode) => {
                let x = number(&v, "round")?;
                V(Cow::Owned(round(x, *decimals, *mode)))
            }
            Compiled::Unit(factor) => {
                let x = number(&v, "unit")? * factor;
                V(Cow::Owned(format_number(x)))
            }
            Compiled::Date(from, to) => {
                let d = time::Date::parse(v.trim(), from).map_err(|e| {
                    format!(
                        "date: the text ({} characters) does not match the format: {e}",
                        v.chars().count()
                    )
                })?;
                V(Cow::Owned(d.format(to).map_err(|e| format!("date: {e}"))?))
            }
            Compiled::Concat(parts, sep) => {
                let mut out = String::new();
                let mut first = true;
                for p in parts {
                    let piece: Option<Cow<str>> = match p {
                        CPart::Current => Some(Cow::Borrowed(v.as_ref())),
                        CPart::Text(t) => Some(Cow::Borrowed(t.as_str())),
                        CPart::Paths(idx) => idx.iter().find_map(|i| cx.path(*i)),
                    };
                    if let Some(piece) = piece {
                        if !first {
                            out.push_str(sep);
                        }
                        out.push_str(&piece);
                        first = false;
                    }
                }
                V(Cow::Owned(out))
            }
            Compiled::If {
                test,
                then,
                otherwise: o,
            } => {
                let holds = match test {
                    Test::Equals(e) => v.as_ref() == e,
                    Test::Matches(re) => re.is_match(&v),
                };
                match (holds, then) {
                    (true, Some(t)) => V(Cow::Borrowed(t.as_str())),
                    (true, None) => V(v),
                    (false, _) => otherwise(o, v, "if: the test failed".into())?,
                }
            }
        })
    }

    /// Applies the transform to a JSON value (LIMS documents): lists element by element;
    /// the five original transforms keep their exact behaviour on numbers and booleans.
    pub fn apply_json(&self, value: Value, cx: &dyn Context) -> Result<Option<Value>, String> {
        if let Value::Array(items) = value {
            let mut out = Vec::with_capacity(items.len());
            for v in items {
                if let Some(v) = self.apply_json(v, cx)? {
                    out.push(v);
                }
            }
            return Ok(Some(Value::Array(out)));
        }
        if let Compiled::Simple(t) = self {
            match (t, &value) {
                (Transform::ToString, Value::Number(_) | Value::Bool(_)) => {
                    return Ok(Some(Value::String(value.to_string())))
                }
                (Transform::ToNumber, Value::Number(_)) => return Ok(Some(value)),
                (Transform::ToNumber, Value::String(s)) => return to_number(s).map(Some),
                (
                    Transform::Split {
                        index: None,
                        separator,
                    },
                    Value::String(s),
                ) => {
                    return Ok(Some(Value::Array(
                        s.split(separator.as_str())
                            .map(|p| Value::String(p.to_string()))
                            .collect(),
                    )))
                }
                (Transform::Upper | Transform::Lower | Transform::Trim, v) if !v.is_string() => {
                    return Err(format!(
                        "{} (needs text; add to_string first) cannot take {}",
                        t.name(),
                        kind_of(v)
                    ))
                }
                (Transform::ToString | Transform::ToNumber, v) if !v.is_string() => {
                    return Err(format!("{} cannot take {}", t.name(), kind_of(v)))
                }
                _ => {}
            }
        }
        let was_number = value.is_number();
        let text = match &value {
            Value::String(s) => Cow::Borrowed(s.as_str()),
            Value::Number(_) | Value::Bool(_) => Cow::Owned(value.to_string()),
            other => return Err(format!("{} cannot take {}", self.name(), kind_of(other))),
        };
        Ok(match self.apply(text, cx)? {
            Step::Missing => None,
            Step::Value(v) => {
                let numeric = matches!(self, Compiled::Unit(_));
                if numeric || (was_number && matches!(self, Compiled::Simple(Transform::Trim))) {
                    Some(to_number(&v)?)
                } else {
                    Some(Value::String(v.into_owned()))
                }
            }
        })
    }

    fn name(&self) -> &'static str {
        match self {
            Compiled::Simple(t) => t.name(),
            Compiled::Lookup { .. } => "lookup",
            Compiled::Regex(..) => "regex",
            Compiled::Round(..) => "round",
            Compiled::Unit(_) => "unit",
            Compiled::Date(..) => "date",
            Compiled::Concat(..) => "concat",
            Compiled::If { .. } => "if",
        }
    }
}

/// `part`, a slice of `v`, borrowed from the record when `v` is: no copy for the common
/// case of a value read straight from the VCF line.
fn slice_of<'a>(v: &Cow<'a, str>, part: &str) -> Cow<'a, str> {
    match v {
        Cow::Borrowed(s) => {
            let start = part.as_ptr() as usize - s.as_ptr() as usize;
            Cow::Borrowed(&s[start..start + part.len()])
        }
        Cow::Owned(_) => Cow::Owned(part.to_string()),
    }
}

fn hgnc_id<'a>(v: Cow<'a, str>, cx: &dyn Context) -> Step<'a> {
    let s = v.trim();
    if let Some(n) = s.strip_prefix("HGNC:") {
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
            return Step::Value(v);
        }
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return Step::Value(Cow::Owned(format!("HGNC:{s}")));
    }
    match cx.genes().and_then(|g| g.id(s)) {
        Some(id) => Step::Value(Cow::Owned(id.to_string())),
        None => Step::Missing,
    }
}

/// The LA code of the allelic state of ALT allele `alt` in genotype `gt`.
fn zygosity(gt: &str, alt: usize) -> Option<&'static str> {
    use crate::messages::codes;
    let alleles: Vec<Option<usize>> = gt.split(['/', '|']).map(|a| a.parse().ok()).collect();
    let copies = alleles.iter().filter(|a| **a == Some(alt)).count();
    Some(match (copies, alleles.len()) {
        (0, _) => return None,
        (1, 1) => codes::HEMIZYGOUS.code,
        (c, n) if c == n => codes::HOMOZYGOUS.code,
        _ => codes::HETEROZYGOUS.code,
    })
}

fn number(s: &str, what: &str) -> Result<f64, String> {
    s.trim().parse::<f64>().map_err(|_| {
        format!(
            "{what}: the text ({} characters) is not a number",
            s.chars().count()
        )
    })
}

fn round(x: f64, decimals: u8, mode: Rounding) -> String {
    let d = usize::from(decimals);
    match mode {
        Rounding::HalfEven => format!("{x:.d$}"),
        Rounding::HalfUp => {
            let p = 10f64.powi(i32::from(decimals));
            format!("{:.d$}", (x * p).round() / p)
        }
    }
}

/// A number as text without a needless fraction: `2500` rather than `2500.0`.
fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn unit_factor(from: &str, to: &str) -> Result<f64, String> {
    // Each unit in a base of its dimension.
    const UNITS: &[(&str, &str, f64)] = &[
        ("pg/uL", "mass", 1e-3),
        ("ng/uL", "mass", 1.0),
        ("ng/mL", "mass", 1e-3),
        ("ug/mL", "mass", 1.0),
        ("mg/L", "mass", 1.0),
        ("pM", "molar", 1e-3),
        ("nM", "molar", 1.0),
        ("uM", "molar", 1e3),
        ("bp", "length", 1.0),
        ("kb", "length", 1e3),
        ("Mb", "length", 1e6),
    ];
    let find = |u: &str| UNITS.iter().find(|(n, _, _)| *n == u);
    match (find(from), find(to)) {
        (Some(a), Some(b)) if a.1 == b.1 => Ok(a.2 / b.2),
        (Some(a), Some(b)) => Err(format!(
            "unit: {from} ({}) cannot become {to} ({})",
            a.1, b.1
        )),
        (None, _) => Err(format!("unit: unknown unit {from:?}")),
        (_, None) => Err(format!("unit: unknown unit {to:?}")),
    }
}

/// The error leaves the value out: it ends up in logs and the audit log, and a free-text
/// field (a sample name) might hold patient data. The field and element are named instead.
fn to_number(s: &str) -> Result<Value, String> {
    let t = s.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Ok(Value::from(i));
    }
    t.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| {
            format!(
                "to_number: the text ({} characters) is not a number",
                s.chars().count()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoCx;
    impl Context for NoCx {
        fn path(&self, _: usize) -> Option<Cow<'_, str>> {
            None
        }
    }

    fn run(t: Transform, v: &str) -> Result<Option<String>, String> {
        let mut tables = BTreeMap::new();
        tables.insert(
            "sig".to_string(),
            BTreeMap::from([("pathogenic".to_string(), "LA6668-3".to_string())]),
        );
        let c = Compiled::new(&t, &tables, &mut 0)?;
        Ok(match c.apply(Cow::Borrowed(v), &NoCx)? {
            Step::Value(v) => Some(v.into_owned()),
            Step::Missing => None,
        })
    }

    #[test]
    fn each_documented_example_holds() {
        let lookup = |o| Transform::Lookup {
            table: "sig".into(),
            otherwise: o,
        };
        assert_eq!(
            run(lookup(Some(Otherwise::Omit)), "pathogenic")
                .unwrap()
                .as_deref(),
            Some("LA6668-3")
        );
        assert_eq!(run(lookup(Some(Otherwise::Omit)), "benign").unwrap(), None);
        assert!(run(lookup(Some(Otherwise::Reject)), "benign").is_err());
        let err = run(lookup(None), "x").unwrap_err();
        assert!(err.contains("needs `otherwise`"), "{err}");
        let re = Transform::Regex {
            pattern: "^(?:[^:]*:)?(.+)$".into(),
            group: 1,
        };
        assert_eq!(
            run(re, "ENSP0001:p.Arg12Cys").unwrap().as_deref(),
            Some("p.Arg12Cys")
        );
        let round = |mode| Transform::Round { decimals: 3, mode };
        assert_eq!(
            run(round(Rounding::HalfEven), "0.47619")
                .unwrap()
                .as_deref(),
            Some("0.476")
        );
        assert_eq!(
            run(round(Rounding::HalfEven), "0.5").unwrap().as_deref(),
            Some("0.500")
        );
        assert_eq!(
            run(round(Rounding::HalfUp), "0.0625").unwrap().as_deref(),
            Some("0.063")
        );
        let unit = Transform::Unit {
            from: "ng/uL".into(),
            to: "ng/mL".into(),
        };
        assert_eq!(run(unit, "2.5").unwrap().as_deref(), Some("2500"));
        let bad_unit = Transform::Unit {
            from: "ng/uL".into(),
            to: "nM".into(),
        };
        assert!(run(bad_unit, "1").is_err());
        let date = Transform::Date {
            from: "[year][month][day]".into(),
            to: "[year]-[month]-[day]".into(),
        };
        assert_eq!(
            run(date, "20231108").unwrap().as_deref(),
            Some("2023-11-08")
        );
        let split = Transform::Split {
            separator: ",".into(),
            index: Some(1),
        };
        assert_eq!(run(split, "0.48,0.02").unwrap().as_deref(), Some("0.02"));
        let cond = Transform::If {
            equals: None,
            matches: Some("^chr".into()),
            then: Some("prefixed".into()),
            otherwise: Some(Otherwise::Value("bare".into())),
        };
        assert_eq!(
            run(cond.clone(), "chr5").unwrap().as_deref(),
            Some("prefixed")
        );
        assert_eq!(run(cond, "5").unwrap().as_deref(), Some("bare"));
        let concat = Transform::Concat {
            parts: vec![Part::Text { text: "T1".into() }, Part::One("$".into())],
            separator: ":".into(),
        };
        assert_eq!(run(concat, "c.1A>G").unwrap().as_deref(), Some("T1:c.1A>G"));
        assert_eq!(
            run(Transform::HgncId, "583").unwrap().as_deref(),
            Some("HGNC:583")
        );
        assert_eq!(run(Transform::HgncId, "APC").unwrap(), None);
    }

    #[test]
    fn zygosity_counts_copies_of_this_allele() {
        assert_eq!(zygosity("0/1", 1), Some("LA6706-1"));
        assert_eq!(zygosity("1|1", 1), Some("LA6705-3"));
        assert_eq!(zygosity("1", 1), Some("LA6707-9"));
        assert_eq!(zygosity("1/2", 2), Some("LA6706-1"));
        assert_eq!(zygosity("0/0", 1), None);
    }
}
