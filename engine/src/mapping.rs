//! Declarative mappings from a parsed record tree to the JSON documents a LIMS takes.
//!
//! A record tree is what a parser yields (`serde_json::Value`); its fields are named by
//! source paths such as `flowcell` or `samples[].sample_id` (see [`path`]). A [`Mapping`]
//! (configured in TOML, under `[[lims.mappings]]`) says which fields go where in the
//! document, with constants, defaults and a few transforms, and optionally makes one
//! document per element of an array (`per = "samples[]"`).
//!
//! The mapping also names what identifies each document (run id, sample id, extra paths):
//! those values make the idempotency key, so the same document always gets the same key.

mod target;
#[cfg(test)]
mod tests;
mod transform;

pub use crate::formats::record::{SourcePath, Step};
use target::{set, target_keys};
pub use transform::Transform;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// One mapping: `[[lims.mappings]]` in the configuration.
///
/// ```toml
/// [[lims.mappings]]
/// name = "sample-registration"
/// source = "illumina-run-folder"
/// per = "samples[]"
/// sample_id = "samples[].sample_id"
/// key_extra = ["samples[].lane"]
/// fields = [
///   { to = "sample.external_id", from = "samples[].sample_id" },
///   { to = "sample.lane", from = "samples[].lane" },
///   { to = "run.flowcell", from = "flowcell", transform = ["upper"] },
///   { to = "run.index2", from = "samples[].index2", optional = true },
///   { to = "source", value = "genobridge" },
/// ]
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Names the mapping in idempotency keys, the audit log and the UI. Renaming it gives
    /// every document a new key, so documents already delivered would be sent again.
    pub name: String,
    /// The kind of record this mapping applies to, as the parser names it:
    /// `illumina-run-folder` today.
    pub source: String,
    /// An array path ending in `[]` (e.g. `samples[]`): one document per element, and
    /// source paths under it (`samples[].sample_id`) read from that element. Without it,
    /// one document per record.
    #[serde(default)]
    pub per: Option<String>,
    /// Source path of the run identifier, read from the record's root. Part of the key.
    #[serde(default = "default_run_id")]
    pub run_id: String,
    /// Source path of the sample identifier (e.g. `samples[].sample_id`). Part of the key,
    /// stored with the delivery and shown in the UI. Required in every document when set.
    #[serde(default)]
    pub sample_id: Option<String>,
    /// More source paths that tell documents of one record apart, when the sample id does
    /// not: a sample sequenced in eight lanes appears eight times, so add `samples[].lane`.
    /// Two documents of one record with the same key are refused as an error.
    #[serde(default)]
    pub key_extra: Vec<String>,
    /// The document's fields, in order.
    pub fields: Vec<FieldRule>,
}

fn default_run_id() -> String {
    "run.run_id".into()
}

/// One field of the document.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FieldRule {
    /// Where the value goes: a dotted path (`sample.external_id`) or a JSON Pointer
    /// (`/sample/external_id`, for keys that contain dots). Objects on the way are created.
    pub to: String,
    /// The source path to read. A path through an array that is not `per` (e.g.
    /// `reads[].cycles`) gives the list of every match. Exactly one of `from` and `value`.
    #[serde(default)]
    pub from: Option<String>,
    /// A constant, written as is.
    #[serde(default)]
    pub value: Option<Value>,
    /// Applied in order to the value read (element by element for a list).
    #[serde(default)]
    pub transform: Vec<Transform>,
    /// Used, as is and untransformed, when the source is absent or null.
    #[serde(default)]
    pub default: Option<Value>,
    /// When true, an absent source without a default leaves the field out. When false
    /// (the default), it is an error that names this field and the source path.
    #[serde(default)]
    pub optional: bool,
}

/// A mapping failure, naming the mapping, the document field and the source path.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("mapping {mapping:?}{}{}: {reason}",
    field.as_ref().map(|f| format!(", field {f:?}")).unwrap_or_default(),
    path.as_ref().map(|p| format!(" (source {p})")).unwrap_or_default())]
pub struct MappingError {
    pub mapping: String,
    /// The document field (`to`), or the setting (`per`, `run_id`, …) that failed.
    pub field: Option<String>,
    /// The source path, with the element's index when `per` is set: `samples[3].lane`.
    pub path: Option<String>,
    pub reason: String,
}

/// One document built by a mapping, with what identifies it.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    pub mapping: String,
    pub run_id: String,
    pub sample_id: Option<String>,
    /// The `key_extra` values, as text, in the configured order.
    pub key_extra: Vec<String>,
    pub body: Value,
}

impl Mapping {
    fn error(
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

    /// Checks the configuration without a record: path syntax, `from` xor `value`,
    /// `per` ending in `[]`, targets that do not collide. Called when the config loads.
    pub fn validate(&self) -> Result<(), MappingError> {
        if self.name.trim().is_empty() {
            return Err(self.error(Some("name"), None, "must not be empty"));
        }
        let parse = |setting: &str, p: &str| {
            SourcePath::parse(p).map_err(|r| self.error(Some(setting), Some(p.into()), r))
        };
        if let Some(per) = &self.per {
            let parsed = parse("per", per)?;
            let eaches = parsed.steps.iter().filter(|s| **s == Step::Each).count();
            if parsed.steps.last() != Some(&Step::Each) || eaches != 1 {
                return Err(self.error(
                    Some("per"),
                    Some(per.clone()),
                    "must be one list ending with [] (e.g. samples[])",
                ));
            }
        }
        parse("run_id", &self.run_id)?;
        if let Some(s) = &self.sample_id {
            parse("sample_id", s)?;
        }
        for k in &self.key_extra {
            parse("key_extra", k)?;
        }
        if self.fields.is_empty() {
            return Err(self.error(Some("fields"), None, "a mapping needs at least one field"));
        }
        let mut targets: Vec<Vec<String>> = Vec::new();
        for f in &self.fields {
            match (&f.from, &f.value) {
                (Some(from), None) => {
                    parse(&f.to, from)?;
                }
                (None, Some(_)) => {}
                _ => {
                    return Err(self.error(
                        Some(&f.to),
                        None,
                        "give exactly one of `from` and `value`",
                    ))
                }
            }
            let target = target_keys(&f.to).map_err(|r| self.error(Some(&f.to), None, r))?;
            for t in &targets {
                let n = t.len().min(target.len());
                if t[..n] == target[..n] {
                    return Err(self.error(
                        Some(&f.to),
                        None,
                        format!("collides with target {:?}", t.join(".")),
                    ));
                }
            }
            targets.push(target);
        }
        Ok(())
    }

    /// Builds this mapping's documents from `tree`.
    pub fn apply(&self, tree: &Value) -> Result<Vec<Document>, MappingError> {
        self.validate()?;
        let run_id = self.identifier("run_id", &self.run_id, tree, None)?;
        let mut docs = Vec::new();
        let mut seen = HashSet::new();
        let Some(per) = &self.per else {
            docs.push(self.document(tree, None, &run_id)?);
            return Ok(docs);
        };
        let per_path =
            SourcePath::parse(per).map_err(|r| self.error(Some("per"), Some(per.clone()), r))?;
        let array_path = SourcePath {
            steps: per_path.steps[..per_path.steps.len() - 1].to_vec(),
        };
        let elements = match array_path.resolve(tree) {
            Some(Value::Array(items)) => items,
            Some(other) => {
                return Err(self.error(
                    Some("per"),
                    Some(per.clone()),
                    format!("is {}, not a list", kind_of(&other)),
                ))
            }
            None => {
                return Err(self.error(
                    Some("per"),
                    Some(per.clone()),
                    "the record has no such list",
                ))
            }
        };
        for (index, element) in elements.iter().enumerate() {
            let scope = Scope {
                per: &per_path,
                element,
                index,
            };
            let doc = self.document(tree, Some(&scope), &run_id)?;
            let key = (doc.sample_id.clone(), doc.key_extra.clone());
            if !seen.insert(key) {
                let ids = std::iter::once(doc.sample_id.clone().unwrap_or_default())
                    .chain(doc.key_extra.iter().cloned())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(self.error(
                    Some("key_extra"),
                    Some(scope.indexed(per)),
                    format!("two documents have the same key ({ids}): add a source path that tells them apart to key_extra"),
                ));
            }
            docs.push(doc);
        }
        Ok(docs)
    }

    fn document(
        &self,
        tree: &Value,
        scope: Option<&Scope>,
        run_id: &str,
    ) -> Result<Document, MappingError> {
        let sample_id = match &self.sample_id {
            Some(p) => Some(self.identifier("sample_id", p, tree, scope)?),
            None => None,
        };
        let key_extra = self
            .key_extra
            .iter()
            .map(|p| self.identifier("key_extra", p, tree, scope))
            .collect::<Result<Vec<_>, _>>()?;
        let mut body = Value::Object(Map::new());
        for f in &self.fields {
            let Some(value) = self.field_value(f, tree, scope)? else {
                continue;
            };
            let keys = target_keys(&f.to).map_err(|r| self.error(Some(&f.to), None, r))?;
            set(&mut body, &keys, value).map_err(|r| self.error(Some(&f.to), None, r))?;
        }
        Ok(Document {
            mapping: self.name.clone(),
            run_id: run_id.to_string(),
            sample_id,
            key_extra,
            body,
        })
    }

    fn field_value(
        &self,
        f: &FieldRule,
        tree: &Value,
        scope: Option<&Scope>,
    ) -> Result<Option<Value>, MappingError> {
        let from = match (&f.from, &f.value) {
            (_, Some(v)) => return Ok(Some(v.clone())),
            (Some(from), None) => from,
            (None, None) => {
                return Err(self.error(Some(&f.to), None, "give exactly one of `from` and `value`"))
            }
        };
        let shown = || {
            scope
                .map(|s| s.indexed(from))
                .unwrap_or_else(|| from.clone())
        };
        let found = self.read(&f.to, from, tree, scope)?;
        let Some(value) = found.filter(|v| !v.is_null()) else {
            return match (&f.default, f.optional) {
                (Some(d), _) => Ok(Some(d.clone())),
                (None, true) => Ok(None),
                (None, false) => {
                    Err(self.error(Some(&f.to), Some(shown()), "required value is missing"))
                }
            };
        };
        let mut value = value;
        for t in &f.transform {
            value = t
                .apply(value)
                .map_err(|r| self.error(Some(&f.to), Some(shown()), r))?;
        }
        Ok(Some(value))
    }

    /// Reads `path`: relative to the current element when it lies under `per`.
    fn read(
        &self,
        setting: &str,
        path: &str,
        tree: &Value,
        scope: Option<&Scope>,
    ) -> Result<Option<Value>, MappingError> {
        let parsed =
            SourcePath::parse(path).map_err(|r| self.error(Some(setting), Some(path.into()), r))?;
        Ok(
            match scope.and_then(|s| parsed.strip_prefix(s.per).map(|rest| (s, rest))) {
                Some((s, rest)) => rest.resolve(s.element),
                None => parsed.resolve(tree),
            },
        )
    }

    /// An identifier (run id, sample id, key part): required, and a single text or number.
    fn identifier(
        &self,
        setting: &str,
        path: &str,
        tree: &Value,
        scope: Option<&Scope>,
    ) -> Result<String, MappingError> {
        let shown = || {
            scope
                .map(|s| s.indexed(path))
                .unwrap_or_else(|| path.to_string())
        };
        match self.read(setting, path, tree, scope)? {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => Ok(v.to_string()),
            Some(Value::Null) | None => Err(self.error(
                Some(setting),
                Some(shown()),
                "required identifier is missing",
            )),
            Some(Value::String(_)) => {
                Err(self.error(Some(setting), Some(shown()), "required identifier is empty"))
            }
            Some(other) => Err(self.error(
                Some(setting),
                Some(shown()),
                format!("is {}, not a single value", kind_of(&other)),
            )),
        }
    }
}

/// The element a document is built from, when `per` is set.
struct Scope<'a> {
    per: &'a SourcePath,
    element: &'a Value,
    index: usize,
}

impl Scope<'_> {
    /// `samples[].lane` → `samples[3].lane`, so an error points at the element.
    fn indexed(&self, path: &str) -> String {
        match SourcePath::parse(path) {
            Ok(p) if p.strip_prefix(self.per).is_some() => {
                path.replacen("[]", &format!("[{}]", self.index), 1)
            }
            _ => path.to_string(),
        }
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
