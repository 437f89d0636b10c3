//! Mappings applied to a real run folder: the NovaSeq X fixture 22F52TLT3 (24 samples, each
//! in all 8 lanes of its v2 sample sheet), as its connector's record tree.

use super::*;
use crate::formats::connector::Connector;
use serde_json::json;
use std::path::PathBuf;

/// The run folder's record tree, as the connector yields it (and `genobridge parse` prints).
fn fixture_tree() -> Value {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/illumina/20231108_LH00188_0028_B22F52TLT3");
    crate::formats::illumina::connector::IlluminaRunFolder::default()
        .parse(&dir)
        .expect("the fixture run parses")
        .tree
}

/// One transform on one JSON value, as a LIMS rule applies it.
fn apply(t: Transform, v: Value) -> Result<Value, String> {
    struct NoPaths;
    impl transform::Context for NoPaths {
        fn path(&self, _: usize) -> Option<std::borrow::Cow<'_, str>> {
            None
        }
    }
    let c = transform::Compiled::new(&t, &Default::default(), &mut 0)?;
    c.apply_json(v, &NoPaths).map(|v| v.unwrap_or(Value::Null))
}

fn mapping(toml_text: &str) -> Mapping {
    toml::from_str(toml_text).expect("the test mapping parses")
}

const PER_SAMPLE: &str = r#"
name = "sample-registration"
source = "illumina-run-folder"
per = "samples[]"
sample_id = "samples[].sample_id"
key_extra = ["samples[].lane"]
fields = [
  { to = "sample.external_id", from = "samples[].sample_id" },
  { to = "sample.lane", from = "samples[].lane", transform = ["to_string"] },
  { to = "sample.index", from = "samples[].index" },
  { to = "sample.index2", from = "samples[].index2", optional = true },
  { to = "sample.project", from = "samples[].project", default = "unassigned" },
  { to = "run.id", from = "run.run_id" },
  { to = "run.flowcell", from = "run.flowcell_id", transform = ["lower", "upper"] },
  { to = "run.instrument", from = "run.instrument" },
  { to = "run.platform", from = "run.platform" },
  { to = "/meta/source.system", value = "genobridge" },
]
"#;

#[test]
fn one_document_per_sample_and_lane_from_the_novaseq_x_run() {
    let docs = mapping(PER_SAMPLE).apply(&fixture_tree()).unwrap();
    assert_eq!(docs.len(), 24 * 8);
    let first = &docs[0];
    assert_eq!(first.run_id, "20231108_LH00188_0028_B22F52TLT3");
    assert_eq!(first.sample_id.as_deref(), Some("ACC13169A1"));
    assert_eq!(first.key_extra, vec!["1".to_string()]);
    assert_eq!(
        first.body,
        json!({
            "sample": { "external_id": "ACC13169A1", "lane": "1", "index": "CACGAGCG",
                        "index2": "ATCTGCCA", "project": "unassigned" },
            "run": { "id": "20231108_LH00188_0028_B22F52TLT3", "flowcell": "22F52TLT3",
                     "instrument": "LH00188", "platform": "NovaSeq X" },
            "meta": { "source.system": "genobridge" },
        })
    );
    // The last row of the sheet: lane 8, ACC13087A21.
    let last = docs.last().unwrap();
    assert_eq!(last.sample_id.as_deref(), Some("ACC13087A21"));
    assert_eq!(last.body["sample"]["lane"], "8");
    assert_eq!(last.body["sample"]["index"], "ATGAGGCC");
}

#[test]
fn a_sample_in_several_lanes_without_the_lane_in_the_key_is_refused() {
    let mut m = mapping(PER_SAMPLE);
    m.key_extra.clear();
    let err = m.apply(&fixture_tree()).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("key_extra"));
    // Element 24 is ACC13169A1 again, in lane 2.
    assert_eq!(err.path.as_deref(), Some("samples[24]"));
    assert!(err.reason.contains("same key (ACC13169A1)"), "{err}");
}

#[test]
fn a_missing_required_field_names_the_field_and_the_element() {
    let mut m = mapping(PER_SAMPLE);
    m.rules.push(Rule {
        to: "sample.project_code".into(),
        from: "samples[].project".into(),
        ..Rule::default()
    });
    let err = m.apply(&fixture_tree()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "mapping \"sample-registration\", field \"sample.project_code\" (source samples[0].project): \
         required value is missing"
    );
}

#[test]
fn a_run_level_document_collects_lists_through_other_arrays() {
    let m = mapping(
        r#"
        name = "run"
        source = "illumina-run-folder"
        fields = [
          { to = "flowcell", from = "run.flowcell_id" },
          { to = "cycles", from = "run.reads[].cycles", transform = ["to_string"] },
          { to = "first_read_cycles", from = "run.reads[0].cycles" },
          { to = "lanes", from = "run.lanes" },
        ]
        "#,
    );
    let docs = m.apply(&fixture_tree()).unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].sample_id, None);
    assert_eq!(
        docs[0].body,
        json!({ "flowcell": "22F52TLT3", "cycles": ["151", "10", "10", "151"],
                "first_read_cycles": 151, "lanes": 8 })
    );
}

#[test]
fn transforms_that_cannot_apply_say_why() {
    let m = mapping(
        r#"
        name = "bad"
        source = "illumina-run-folder"
        fields = [ { to = "n", from = "run.flowcell_id", transform = ["to_number"] } ]
        "#,
    );
    let err = m.apply(&fixture_tree()).unwrap_err();
    assert_eq!(err.field.as_deref(), Some("n"));
    assert_eq!(err.path.as_deref(), Some("run.flowcell_id"));
    assert_eq!(
        err.reason,
        "to_number: the text (9 characters) is not a number"
    );
    assert!(
        !err.to_string().contains("22F52TLT3"),
        "values stay out of errors: {err}"
    );
    let upper = apply(Transform::Upper, json!(8)).unwrap_err();
    assert!(
        upper.contains("upper") && upper.contains("a number"),
        "{upper}"
    );
    assert_eq!(apply(Transform::ToNumber, json!(" 42 ")), Ok(json!(42)));
    assert_eq!(apply(Transform::ToNumber, json!("0.5")), Ok(json!(0.5)));
    assert_eq!(apply(Transform::Trim, json!(" a ")), Ok(json!("a")));
}

#[test]
fn configuration_mistakes_are_caught_before_any_record() {
    let base = r#"name = "m"
source = "illumina-run-folder"
"#;
    let check = |rest: &str| mapping(&format!("{base}{rest}")).validate().unwrap_err();
    let e = check(r#"fields = [ { to = "a", from = "x", value = 1 } ]"#);
    assert_eq!(e.reason, "give exactly one of `from` and `value`");
    let e = check("per = \"samples\"\nfields = [ { to = \"a\", value = 1 } ]");
    assert_eq!(e.field.as_deref(), Some("per"));
    let e = check(
        r#"fields = [ { to = "run", value = 1 }, { to = "run.flowcell", from = "run.flowcell_id" } ]"#,
    );
    assert_eq!(e.reason, "collides with target \"run\"");
    let e = check(r#"fields = [ { to = "a", from = "samples[x].id" } ]"#);
    assert!(e.reason.contains("[x] is not [] or an index"), "{e}");
    let e = check(r#"fields = [ { to = "a..b", value = 1 } ]"#);
    assert!(e.reason.contains("empty key"), "{e}");
    // A typo in a setting is refused by name, not ignored.
    let typo = toml::from_str::<Mapping>(&format!(
        "{base}fields = [ {{ to = \"a\", form = \"x\" }} ]"
    ))
    .unwrap_err();
    assert!(typo.to_string().contains("unknown field `form`"), "{typo}");
}

#[test]
fn paths_resolve_keys_indexes_and_lists() {
    let tree = json!({ "run": { "flowcell_id": "FC1" },
                       "wells": [ { "ct": 21.5 }, { "ct": null }, { "ct": 30 } ] });
    let get = |p: &str| SourcePath::parse(p).unwrap().resolve(&tree);
    assert_eq!(get("run.flowcell_id"), Some(json!("FC1")));
    assert_eq!(get("wells[].ct"), Some(json!([21.5, 30])));
    assert_eq!(get("wells[1].ct"), None);
    assert_eq!(get("wells[2].ct"), Some(json!(30)));
    assert_eq!(get("run.missing"), None);
    assert!(SourcePath::parse("wells[").is_err());
    assert!(SourcePath::parse("").is_err());
}
