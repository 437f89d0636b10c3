//! Mappings: versioned, approved data that says which source field feeds which target.
//!
//! One model serves every target:
//! - **LIMS documents** (`kind = "lims"`): rules write JSON paths of a document built from
//!   a connector's record tree ([`lims`]);
//! - **reports** (`kind = "report"`): rules write coded observation components named by
//!   their LOINC code ([`catalogue`]), read from the per-variant tree of a VCF
//!   (`formats::vcf::tree`). One rule feeds both the LRI OBX and the FHIR component; the
//!   writers in `messages/` know only syntax. A report mapping is compiled once into a
//!   [`report::Plan`] and then run per variant.
//!
//! A mapping is a TOML file ([`file`]): `[[lims.mappings]]` in the configuration takes the
//! same shape (`fields` is accepted for `rules`). The shipped defaults are in
//! `mapping/defaults/`. Versions, approvals and activation live in the store.

pub mod catalogue;
mod diff;
pub mod file;
pub mod golden;
mod lims;
pub mod replay;
pub mod report;
pub mod sample;
mod target;
#[cfg(test)]
mod tests;
pub mod transform;
mod validate;
pub mod versions;

pub use crate::formats::record::{SourcePath, Step};
pub use diff::{diff, Change, ChangeKind};
pub use lims::Document;
pub use transform::{Otherwise, Part, Rounding, Transform};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What a mapping builds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// JSON documents for the LIMS, from an instrument's record tree.
    #[default]
    Lims,
    /// The coded observations of a clinical report (LRI ORU^R01 and FHIR Bundle), from a
    /// VCF's per-variant tree.
    Report,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Lims => "lims",
            Kind::Report => "report",
        }
    }
}

/// One mapping: a mapping file, or `[[lims.mappings]]` in the configuration.
///
/// ```toml
/// name = "sample-registration"
/// kind = "lims"
/// source = "illumina-run-folder"
/// per = "samples[]"
/// sample_id = "samples[].sample_id"
/// key_extra = ["samples[].lane"]
/// rules = [
///   { to = "sample.external_id", from = "samples[].sample_id" },
///   { to = "run.flowcell", from = "run.flowcell_id", transform = ["upper"] },
///   { to = "source", value = "genobridge" },
/// ]
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Names the mapping in idempotency keys, the audit log and the UI. Renaming a LIMS
    /// mapping gives every document a new key, so delivered documents would be sent again.
    pub name: String,
    /// `lims` (default) or `report`.
    #[serde(default)]
    pub kind: Kind,
    /// The connector whose record tree it reads: `illumina-run-folder`, `quantstudio`,
    /// `vcf`, … (`genobridge parse --schema` lists each one's paths).
    pub source: String,
    /// What the mapping is for, in a sentence or two, for the reviewer.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// LIMS: an array path ending in `[]` (e.g. `samples[]`): one document per element,
    /// and source paths under it (`samples[].sample_id`) read from that element. Without
    /// it, one document per record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per: Option<String>,
    /// LIMS: source path of the run identifier, read from the record's root. Part of the
    /// idempotency key.
    #[serde(default = "default_run_id", skip_serializing_if = "is_default_run_id")]
    pub run_id: String,
    /// LIMS: source path of the sample identifier (e.g. `samples[].sample_id`). Part of the
    /// key, stored with the delivery and shown in the UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_id: Option<String>,
    /// LIMS: more source paths that tell documents of one record apart, when the sample id
    /// does not: a sample sequenced in eight lanes appears eight times, so add
    /// `samples[].lane`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub key_extra: Vec<String>,
    /// Reports: which annotation entry is the variant's transcript (see
    /// [`TranscriptChoice`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<TranscriptChoice>,
    /// Lookup tables, by name: `[tables.clinvar-significance]`, key = value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tables: BTreeMap<String, BTreeMap<String, String>>,
    /// The rules, in output order.
    #[serde(alias = "fields")]
    pub rules: Vec<Rule>,
}

fn default_run_id() -> String {
    "run.run_id".into()
}

fn is_default_run_id(s: &String) -> bool {
    *s == default_run_id()
}

/// One rule: where a value comes from, how it is transformed, where it goes.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The target. LIMS: a dotted path (`sample.external_id`) or a JSON Pointer
    /// (`/sample/external_id`). Reports: a LOINC code from the catalogue (`48018-6`).
    pub to: String,
    /// The source path, or a list of them: the first that has a value is used
    /// (first-non-empty). Exactly one of `from` and `value`.
    #[serde(default, skip_serializing_if = "Sources::is_empty")]
    pub from: Sources,
    /// A constant, written as is (a report answer target takes its LA code:
    /// `value = "LA9633-4"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// Reports, code targets: the text shown with the code (the gene symbol with its HGNC
    /// id). Without a code, the text alone is sent.
    #[serde(default, skip_serializing_if = "Sources::is_empty")]
    pub text: Sources,
    /// Reports, range targets: the end position (`from` is the start).
    #[serde(default, skip_serializing_if = "Sources::is_empty")]
    pub end: Sources,
    /// Applied in order to the value read (element by element for a list).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transform: Vec<Transform>,
    /// Used, as is and untransformed, when the source is absent or null.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// Reports: a missing value rejects the record, naming this rule. (Without it, the
    /// observation is left out.)
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    /// LIMS: an absent source without a default leaves the field out. (Without it, that is
    /// an error naming this field and the source path.)
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
    /// Why the rule is as it is, for the reviewer.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The old name of [`Rule`], from when mappings built LIMS documents only.
pub type FieldRule = Rule;

fn is_false(b: &bool) -> bool {
    !*b
}

/// One source path or several, written `from = "a"` or `from = ["a", "b"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources(pub Vec<String>);

impl Sources {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl From<&str> for Sources {
    fn from(s: &str) -> Self {
        Sources(vec![s.to_string()])
    }
}

impl Serialize for Sources {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.as_slice() {
            [one] => s.serialize_str(one),
            many => many.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Sources {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(String),
            Many(Vec<String>),
        }
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(s) => Sources(vec![s]),
            OneOrMany::Many(v) => Sources(v),
        })
    }
}

/// Reports: which annotation entry of a variant is its transcript, so that every `ann[]`
/// and `csq[]` field of one variant comes from one entry and never mixes transcripts.
///
/// ```toml
/// [transcript]
/// sources = ["ann", "csq"]   # the first with an entry for this ALT allele is used; the
///                            # other reads as absent for that variant
/// ann = "first"              # SnpEff sorts by impact: first = most severe
/// csq = "mane_select"        # MANE Select, else CANONICAL=YES, else the first
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TranscriptChoice {
    pub sources: Vec<AnnotationSource>,
    #[serde(default)]
    pub ann: AnnPick,
    #[serde(default)]
    pub csq: CsqPick,
}

impl Default for TranscriptChoice {
    fn default() -> Self {
        TranscriptChoice {
            sources: vec![AnnotationSource::Ann, AnnotationSource::Csq],
            ann: AnnPick::First,
            csq: CsqPick::ManeSelect,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnotationSource {
    /// SnpEff `ANN`.
    Ann,
    /// VEP `CSQ`.
    Csq,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnnPick {
    /// The first entry for the allele (SnpEff writes the most severe first).
    #[default]
    First,
    /// The entry with the highest `Annotation_Impact` (HIGH > MODERATE > LOW > MODIFIER).
    HighestImpact,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CsqPick {
    /// MANE_SELECT set, else CANONICAL=YES, else the first.
    #[default]
    ManeSelect,
    /// CANONICAL=YES, else the first.
    Canonical,
    First,
    /// The highest IMPACT, ties to the first.
    HighestImpact,
}

/// A mapping failure, naming the mapping, the rule's target and the source path.
#[derive(Clone, Debug, PartialEq, thiserror::Error, Serialize)]
#[error("mapping {mapping:?}{}{}: {reason}",
    field.as_ref().map(|f| format!(", field {f:?}")).unwrap_or_default(),
    path.as_ref().map(|p| format!(" (source {p})")).unwrap_or_default())]
pub struct MappingError {
    pub mapping: String,
    /// The rule's target (`to`), or the setting (`per`, `run_id`, …) that failed.
    pub field: Option<String>,
    /// The source path, with the element's index when `per` is set: `samples[3].lane`.
    pub path: Option<String>,
    pub reason: String,
}

impl Mapping {
    pub(crate) fn error(
        &self,
        field: Option<&str>,
        path: Option<String>,
        reason: impl Into<String>,
    ) -> MappingError {
        MappingError {
            mapping: self.name.clone(),
            field: field.map(str::to_string),
            path,
            reason: reason.into(),
        }
    }

    /// Every source path the rules read, for coverage.
    pub fn source_paths(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for r in &self.rules {
            out.extend(r.from.iter());
            out.extend(r.text.iter());
            out.extend(r.end.iter());
            for t in &r.transform {
                out.extend(t.paths());
            }
        }
        out
    }
}

/// "a number", "a list"…, for error messages.
pub(crate) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
