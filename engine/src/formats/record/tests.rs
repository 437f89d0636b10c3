use super::*;
use serde_json::json;

#[test]
fn schema_merges_array_elements_and_types() {
    let tree = json!({
        "run": { "flowcell_id": "22F52TLT3", "lanes": 8 },
        "wells": [ { "ct": null, "well": 1 }, { "ct": 18.7, "well": 2, "note": "x" } ],
        "tags": ["a", "b"],
        "empty": []
    });
    let s = schema(&tree);
    let get = |p: &str| s.iter().find(|f| f.path == p).cloned();
    assert_eq!(get("run.flowcell_id").unwrap().ty, "string");
    assert_eq!(get("run.lanes").unwrap().ty, "integer");
    let ct = get("wells[].ct").unwrap();
    assert_eq!((ct.ty, ct.example), ("number", json!(18.7)));
    assert_eq!(get("wells[].note").unwrap().ty, "string");
    assert_eq!(get("tags[]").unwrap().example, json!("a"));
    assert_eq!(get("empty").unwrap().ty, "array");
    assert_eq!(s.len(), 7);
}

#[test]
fn lookup_fans_out_over_arrays() {
    let tree = json!({ "samples": [ { "sample_id": "S1" }, { "sample_id": "S2" }, {} ], "run": { "flowcell_id": "F" } });
    assert_eq!(
        lookup(&tree, "samples[].sample_id"),
        vec![&json!("S1"), &json!("S2")]
    );
    assert_eq!(lookup(&tree, "run.flowcell_id"), vec![&json!("F")]);
    assert!(lookup(&tree, "run.missing").is_empty());
    assert!(lookup(&tree, "run[].flowcell_id").is_empty());
}

#[test]
fn cells_and_keys() {
    assert_eq!(cell("100,000,000.000"), json!(100000000.0));
    assert_eq!(cell("846,041.750"), json!(846041.75));
    assert_eq!(cell("363"), json!(363));
    assert_eq!(cell("-"), Value::Null);
    assert_eq!(cell("1,2"), json!("1,2"));
    assert_eq!(cell("Undetermined"), json!("Undetermined"));
    assert_eq!(snake("Sample Volume (µL)"), "sample_volume_ul");
    assert_eq!(snake("Qubit® tube conc."), "qubit_tube_conc");
    assert_eq!(snake("CT"), "ct");
    assert_eq!(snake("% Total"), "pct_total");
    assert_eq!(snake("RINe"), "rine");
    assert_eq!(snake("SampleID"), "sample_id");
    assert_eq!(key("a.b[0]"), "a_b_0_");
}
