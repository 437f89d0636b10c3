//! Paths into a record tree: dot-separated keys, where `[]` after a key means "each
//! element" and `[N]` one element. `flowcell`, `samples[].sample_id`, `reads[0].cycles`.
//! Parsed once (a mapping checks its paths before any record arrives), then resolved.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Each,
    Index(usize),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcePath {
    pub steps: Vec<Step>,
}

impl SourcePath {
    /// Parses `a.b[].c[2]`; the error says what is wrong with the text.
    pub fn parse(text: &str) -> Result<SourcePath, String> {
        if text.trim().is_empty() {
            return Err("the path is empty".into());
        }
        let mut steps = Vec::new();
        for segment in text.split('.') {
            let (name, mut rest) = match segment.find('[') {
                Some(i) => segment.split_at(i),
                None => (segment, ""),
            };
            if name.is_empty() {
                return Err(format!("{text:?} has an empty key (check the dots)"));
            }
            steps.push(Step::Key(name.to_string()));
            while !rest.is_empty() {
                let Some(close) = rest.find(']').filter(|_| rest.starts_with('[')) else {
                    return Err(format!("{text:?}: expected [] or [N] after {name:?}"));
                };
                let inside = &rest[1..close];
                steps.push(if inside.is_empty() {
                    Step::Each
                } else {
                    Step::Index(
                        inside
                            .parse()
                            .map_err(|_| format!("{text:?}: [{inside}] is not [] or an index"))?,
                    )
                });
                rest = &rest[close + 1..];
            }
        }
        Ok(SourcePath { steps })
    }

    /// The value at this path. Through `[]`, the list of every match (`None` when nothing
    /// matched). A null counts as absent.
    pub fn resolve(&self, root: &Value) -> Option<Value> {
        let mut found = self.matches(root);
        found.retain(|v| !v.is_null());
        if !self.steps.contains(&Step::Each) {
            return found.first().map(|v| (*v).clone());
        }
        (!found.is_empty()).then(|| Value::Array(found.into_iter().cloned().collect()))
    }

    /// Every value at this path, nulls included (so lists stay aligned element by
    /// element), borrowed from the tree.
    pub fn matches<'a>(&self, root: &'a Value) -> Vec<&'a Value> {
        let mut out = Vec::new();
        collect(root, &self.steps, &mut out);
        out
    }

    /// The rest of this path when it starts with `prefix` (`samples[].lane` under
    /// `samples[]` is `lane`).
    pub fn strip_prefix(&self, prefix: &SourcePath) -> Option<SourcePath> {
        self.steps
            .strip_prefix(prefix.steps.as_slice())
            .map(|rest| SourcePath {
                steps: rest.to_vec(),
            })
    }
}

fn collect<'a>(v: &'a Value, steps: &[Step], out: &mut Vec<&'a Value>) {
    match steps.split_first() {
        None => out.push(v),
        Some((Step::Key(k), rest)) => {
            if let Some(child) = v.get(k) {
                collect(child, rest, out);
            }
        }
        Some((Step::Index(i), rest)) => {
            if let Some(child) = v.get(*i) {
                collect(child, rest, out);
            }
        }
        Some((Step::Each, rest)) => {
            if let Value::Array(items) = v {
                for item in items {
                    collect(item, rest, out);
                }
            }
        }
    }
}
