//! Field-level differences between two versions of a mapping: rules added, removed and
//! changed (keyed by target), settings and lookup-table entries, each with its old and new
//! value. What a director reads before signing.

use super::Mapping;
use serde::Serialize;
use serde_json::{Map, Value};

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Added,
    Removed,
    Changed,
}

/// One difference. `key` names it: `rules[48018-6].from`, `tables.sig.pathogenic`,
/// `description`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
}

/// The changes from `old` to `new`; empty when they are the same.
pub fn diff(old: &Mapping, new: &Mapping) -> Vec<Change> {
    let (a, b) = (as_object(old), as_object(new));
    let mut out = Vec::new();
    // Settings: every top-level key but the rules and the tables.
    let keys = |m: &Map<String, Value>| -> Vec<String> {
        m.keys()
            .filter(|k| *k != "rules" && *k != "tables")
            .cloned()
            .collect()
    };
    let mut settings = keys(&a);
    for k in keys(&b) {
        if !settings.contains(&k) {
            settings.push(k);
        }
    }
    for k in settings {
        compare(&mut out, k.clone(), a.get(&k), b.get(&k));
    }
    // Tables, entry by entry.
    let empty = Map::new();
    let ta = a.get("tables").and_then(Value::as_object).unwrap_or(&empty);
    let tb = b.get("tables").and_then(Value::as_object).unwrap_or(&empty);
    let mut names: Vec<&String> = ta.keys().chain(tb.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let ea = ta.get(name).and_then(Value::as_object).unwrap_or(&empty);
        let eb = tb.get(name).and_then(Value::as_object).unwrap_or(&empty);
        let mut entries: Vec<&String> = ea.keys().chain(eb.keys()).collect();
        entries.sort();
        entries.dedup();
        for e in entries {
            compare(&mut out, format!("tables.{name}.{e}"), ea.get(e), eb.get(e));
        }
    }
    // Rules, by target, field by field.
    let rules = |m: &Mapping| -> Vec<(String, Map<String, Value>)> {
        m.rules
            .iter()
            .map(|r| {
                let v = serde_json::to_value(r).unwrap_or_default();
                (r.to.clone(), v.as_object().cloned().unwrap_or_default())
            })
            .collect()
    };
    let (ra, rb) = (rules(old), rules(new));
    for (to, fa) in &ra {
        match rb.iter().find(|(t, _)| t == to) {
            None => out.push(Change {
                kind: ChangeKind::Removed,
                key: format!("rules[{to}]"),
                old: Some(Value::Object(fa.clone())),
                new: None,
            }),
            Some((_, fb)) => {
                let mut fields: Vec<&String> = fa.keys().chain(fb.keys()).collect();
                fields.dedup();
                let mut seen = Vec::new();
                for f in fields {
                    if seen.contains(&f) {
                        continue;
                    }
                    seen.push(f);
                    compare(&mut out, format!("rules[{to}].{f}"), fa.get(f), fb.get(f));
                }
            }
        }
    }
    for (to, fb) in &rb {
        if !ra.iter().any(|(t, _)| t == to) {
            out.push(Change {
                kind: ChangeKind::Added,
                key: format!("rules[{to}]"),
                old: None,
                new: Some(Value::Object(fb.clone())),
            });
        }
    }
    let order = |m: &Mapping| m.rules.iter().map(|r| r.to.clone()).collect::<Vec<_>>();
    let (oa, ob) = (order(old), order(new));
    let common_a: Vec<&String> = oa.iter().filter(|t| ob.contains(t)).collect();
    let common_b: Vec<&String> = ob.iter().filter(|t| oa.contains(t)).collect();
    if common_a != common_b {
        out.push(Change {
            kind: ChangeKind::Changed,
            key: "rules (order)".into(),
            old: Some(Value::from(oa)),
            new: Some(Value::from(ob)),
        });
    }
    out
}

fn as_object(m: &Mapping) -> Map<String, Value> {
    serde_json::to_value(m)
        .ok()
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default()
}

fn compare(out: &mut Vec<Change>, key: String, a: Option<&Value>, b: Option<&Value>) {
    let kind = match (a, b) {
        (None, None) => return,
        (Some(x), Some(y)) if x == y => return,
        (None, Some(_)) => ChangeKind::Added,
        (Some(_), None) => ChangeKind::Removed,
        _ => ChangeKind::Changed,
    };
    out.push(Change {
        kind,
        key,
        old: a.cloned(),
        new: b.cloned(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_source_is_one_field_level_change() {
        let old = Mapping::default_report();
        let mut new = old.clone();
        let gene = new.rules.iter_mut().find(|r| r.to == "48018-6").unwrap();
        gene.from = "csq[].SYMBOL".into();
        new.tables
            .entry("extra".into())
            .or_default()
            .insert("k".into(), "v".into());
        let changes = diff(&old, &new);
        let keys: Vec<_> = changes.iter().map(|c| (c.kind, c.key.as_str())).collect();
        assert_eq!(
            keys,
            [
                (ChangeKind::Added, "tables.extra.k"),
                (ChangeKind::Changed, "rules[48018-6].from"),
            ]
        );
        assert_eq!(changes[1].new, Some(Value::from("csq[].SYMBOL")));
        assert!(diff(&old, &old).is_empty());
    }
}
