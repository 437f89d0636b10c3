//! LIMS documents: a mapping of `kind = "lims"` applied to a connector's record tree.
//!
//! The mapping also names what identifies each document (run id, sample id, extra paths):
//! those values make the idempotency key, so the same document always gets the same key.

use super::{
    kind_of,
    target::{set, target_keys},
    transform::{Compiled, Context},
    Mapping, MappingError, Rule, SourcePath,
};
use serde_json::{Map, Value};
use std::{borrow::Cow, collections::HashSet};

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

/// Extra paths a rule's transforms read (concat parts), resolved in the document's scope.
struct TreeContext<'a> {
    values: Vec<Option<String>>,
    genes: Option<&'a crate::formats::hgnc::GeneTable>,
}

impl Context for TreeContext<'_> {
    fn path(&self, i: usize) -> Option<Cow<'_, str>> {
        self.values.get(i)?.as_deref().map(Cow::Borrowed)
    }
    fn genes(&self) -> Option<&crate::formats::hgnc::GeneTable> {
        self.genes
    }
}

impl Mapping {
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
        for f in &self.rules {
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
        f: &Rule,
        tree: &Value,
        scope: Option<&Scope>,
    ) -> Result<Option<Value>, MappingError> {
        if let Some(v) = &f.value {
            return Ok(Some(v.clone()));
        }
        let first = f.from.iter().next().unwrap_or_default().to_string();
        let shown = |p: &str| scope.map(|s| s.indexed(p)).unwrap_or_else(|| p.to_string());
        // First-non-empty: the first source with a value.
        let mut found = None;
        for from in f.from.iter() {
            if let Some(v) = self
                .read(&f.to, from, tree, scope)?
                .filter(|v| !v.is_null())
            {
                found = Some((from, v));
                break;
            }
        }
        let Some((from, value)) = found else {
            return match (&f.default, f.optional) {
                (Some(d), _) => Ok(Some(d.clone())),
                (None, true) => Ok(None),
                (None, false) => Err(self.error(
                    Some(&f.to),
                    Some(shown(&first)),
                    "required value is missing",
                )),
            };
        };
        let mut extra = Vec::new();
        for t in &f.transform {
            for p in t.paths() {
                let v = self.read(&f.to, p, tree, scope)?;
                extra.push(v.and_then(|v| match v {
                    Value::String(s) => Some(s),
                    Value::Null => None,
                    other => Some(other.to_string()),
                }));
            }
        }
        let cx = TreeContext {
            values: extra,
            genes: None,
        };
        let mut next = 0;
        let mut value = Some(value);
        for t in &f.transform {
            let c = Compiled::new(t, &self.tables, &mut next)
                .map_err(|r| self.error(Some(&f.to), None, r))?;
            let Some(v) = value else { break };
            value = c
                .apply_json(v, &cx)
                .map_err(|r| self.error(Some(&f.to), Some(shown(from)), r))?;
        }
        match value {
            Some(v) => Ok(Some(v)),
            None => match (&f.default, f.optional) {
                (Some(d), _) => Ok(Some(d.clone())),
                (None, true) => Ok(None),
                (None, false) => Err(self.error(
                    Some(&f.to),
                    Some(shown(from)),
                    "required value is missing after its transforms",
                )),
            },
        }
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
