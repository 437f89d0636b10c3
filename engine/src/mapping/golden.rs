//! Golden samples compared by meaning, not by text: an ORU's OBX by its OBX-4 group and
//! OBX-3 LOINC code, a Bundle by resource and FHIR path (Observation components by their
//! code), a LIMS document by its key and JSON path. What the standards say does not
//! matter (trailing empty fields and components, JSON key order) is ignored.

use super::sample::Outputs;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One difference between expected and actual output.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OutputDiff {
    /// `LRI OBX 2/48018-6`, `FHIR Observation[69548-6 #1].component[48018-6].valueCodeableConcept.coding[0].code`,
    /// `LIMS doc[run/ACC1/1].sample.lane`.
    pub key: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
}

/// Every difference, in key order; empty when the outputs mean the same.
pub fn compare(expected: &Outputs, actual: &Outputs) -> Vec<OutputDiff> {
    let mut a = BTreeMap::new();
    let mut b = BTreeMap::new();
    flatten_outputs(expected, &mut a);
    flatten_outputs(actual, &mut b);
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| OutputDiff {
            key: k.clone(),
            expected: a.get(k).cloned(),
            actual: b.get(k).cloned(),
        })
        .collect()
}

/// How many output fields a golden comparison looks at.
pub fn field_count(o: &Outputs) -> usize {
    let mut m = BTreeMap::new();
    flatten_outputs(o, &mut m);
    m.len()
}

fn flatten_outputs(o: &Outputs, out: &mut BTreeMap<String, String>) {
    if let Some(lri) = &o.lri {
        flatten_oru(lri, out);
    }
    if let Some(fhir) = &o.fhir {
        if let Ok(v) = serde_json::from_str::<Value>(fhir) {
            flatten_bundle(&v, out);
        }
    }
    for d in &o.lims {
        let key = d["key"].as_str().unwrap_or_default();
        flatten_json(&format!("LIMS doc[{key}]"), &d["body"], out);
    }
}

/// Drops trailing empty fields or components: `A^B^^` means `A^B`.
fn trim_trailing<'a>(parts: &[&'a str]) -> Vec<&'a str> {
    let mut v = parts.to_vec();
    while v.last().is_some_and(|s| s.is_empty()) {
        v.pop();
    }
    v
}

fn flatten_oru(text: &str, out: &mut BTreeMap<String, String>) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for seg in text.split(['\r', '\n']).filter(|s| !s.is_empty()) {
        let fields: Vec<&str> = seg.split('|').collect();
        let name = fields[0];
        if name == "OBX" {
            let code = fields
                .get(3)
                .and_then(|f| f.split('^').next())
                .unwrap_or("");
            let group = fields.get(4).copied().unwrap_or("");
            let base = format!("LRI OBX {group}/{code}");
            let n = counts.entry(base.clone()).or_default();
            *n += 1;
            let key = if *n == 1 {
                base
            } else {
                format!("{base} #{n}")
            };
            // OBX-2 (type), OBX-5 (value), OBX-6 (units), OBX-11 (status).
            for (i, label) in [(2, "type"), (5, "value"), (6, "units"), (11, "status")] {
                if let Some(f) = fields.get(i) {
                    let comps: Vec<&str> = f.split('^').collect();
                    let v = trim_trailing(&comps).join("^");
                    if !v.is_empty() {
                        out.insert(format!("{key} {label}"), v);
                    }
                }
            }
        } else {
            let n = counts.entry(name.to_string()).or_default();
            *n += 1;
            let trimmed = trim_trailing(&fields);
            for (i, f) in trimmed.iter().enumerate().skip(1) {
                // MSH-7 (time) and MSH-10 (control id) differ per message by design.
                if name == "MSH" && (i == 6 || i == 9) {
                    continue;
                }
                let comps: Vec<&str> = f.split('^').collect();
                let v = trim_trailing(&comps).join("^");
                if !v.is_empty() {
                    let field = if name == "MSH" { i + 1 } else { i };
                    out.insert(format!("LRI {name}[{n}]-{field}"), v);
                }
            }
        }
    }
}

/// The code of a resource or component, for keys that survive reordering.
fn code_of(v: &Value) -> Option<&str> {
    v["code"]["coding"][0]["code"].as_str()
}

fn flatten_bundle(bundle: &Value, out: &mut BTreeMap<String, String>) {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for e in bundle["entry"].as_array().into_iter().flatten() {
        let r = &e["resource"];
        let rt = r["resourceType"].as_str().unwrap_or("?");
        let base = match code_of(r) {
            Some(c) => format!("{rt}[{c}"),
            None => format!("{rt}["),
        };
        let n = counts.entry(base.clone()).or_default();
        *n += 1;
        let key = format!("FHIR {base} #{n}]");
        let mut copy = r.clone();
        if let Some(obj) = copy.as_object_mut() {
            // Ids and references are stable UUIDs of stable keys; they say nothing the
            // rest does not.
            for k in [
                "id",
                "result",
                "subject",
                "specimen",
                "derivedFrom",
                "basedOn",
            ] {
                obj.remove(k);
            }
            if let Some(comps) = obj.remove("component") {
                for (i, c) in comps.as_array().into_iter().flatten().enumerate() {
                    let ck = code_of(c)
                        .map(str::to_string)
                        .unwrap_or_else(|| i.to_string());
                    let mut c = c.clone();
                    if let Some(o) = c.as_object_mut() {
                        o.remove("code");
                    }
                    flatten_json(&format!("{key}.component[{ck}]"), &c, out);
                }
            }
        }
        flatten_json(&key, &copy, out);
    }
}

fn flatten_json(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                flatten_json(&format!("{prefix}.{k}"), x, out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                flatten_json(&format!("{prefix}[{i}]"), x, out);
            }
        }
        Value::Null => {}
        Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_empties_do_not_count_and_changes_are_keyed_by_code() {
        let a = Outputs {
            lri: Some("MSH|^~\\&|A\rOBX|1|CWE|48018-6^Gene^LN|2|^APC^|||||F".into()),
            ..Outputs::default()
        };
        let b = Outputs {
            lri: Some(
                "MSH|^~\\&|A||\rOBX|1|CWE|48018-6^Gene^LN|2|HGNC:583^APC^HGNC|||||F|||".into(),
            ),
            ..Outputs::default()
        };
        let d = compare(&a, &b);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].key, "LRI OBX 2/48018-6 value");
        assert_eq!(d[0].expected.as_deref(), Some("^APC"));
        assert_eq!(d[0].actual.as_deref(), Some("HGNC:583^APC^HGNC"));
        assert!(compare(&a, &a).is_empty());
    }
}
