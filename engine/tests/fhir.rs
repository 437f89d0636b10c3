mod common;
use common::fixture;
use engine::mapping::{report::Plan, Mapping};
use engine::messages::{fhir::Fhir, Envelope, MessageKind};
use engine::report::{build_report, Selection};
use engine::store::Order;

fn bundle(path: &str) -> serde_json::Value {
    bundle_of(&fixture(path), &Selection::default())
}

fn bundle_of(vcf: &std::path::Path, selection: &Selection) -> serde_json::Value {
    let r = build_report(
        vcf,
        None,
        Some(engine::formats::vcf::Assembly::GRCh37),
        selection,
        |_, _, _| {},
    )
    .unwrap();
    let order = Order {
        accession: "A1".into(),
        sample_id: r.head.sample_id.clone(),
        ..Order::default()
    };
    let plan = Plan::compile(
        &Mapping::default_report(),
        selection.genes_by_symbol.clone(),
    )
    .unwrap();
    serde_json::from_str(&Fhir.build(&r, &order, &Envelope::new("C1"), &plan)).unwrap()
}

#[test]
fn the_streamed_report_lists_every_result_and_references_resolve() {
    let b = bundle("vcf/NB6TK328_filtered.vcf");
    let entries = b["entry"].as_array().unwrap();
    let urls: std::collections::HashSet<&str> = entries
        .iter()
        .map(|e| e["fullUrl"].as_str().unwrap())
        .collect();
    let dr = entries
        .iter()
        .find(|e| e["resource"]["resourceType"] == "DiagnosticReport")
        .unwrap();
    let results = dr["resource"]["result"].as_array().unwrap();
    // 5 variants, each with a DiagnosticImplication (the file carries CLNSIG).
    assert_eq!(results.len(), entries.len() - 4);
    assert!(results
        .iter()
        .all(|r| urls.contains(r["reference"].as_str().unwrap())));
}

#[test]
fn ids_are_stable_and_an_empty_result_list_is_omitted() {
    let a = bundle("vcf/NB6TK328_filtered.vcf");
    let b = bundle("vcf/NB6TK328_filtered.vcf");
    let ids = |x: &serde_json::Value| {
        x["entry"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["fullUrl"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&a), ids(&b));
    let empty = bundle("vcf/vcf_example3.vcf");
    let dr = empty["entry"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["resource"]["resourceType"] == "DiagnosticReport")
        .unwrap();
    assert!(
        dr["resource"].get("result").is_none(),
        "FHIR JSON never carries an empty array"
    );
}

#[test]
fn a_clinvar_drug_response_becomes_a_therapeutic_implication() {
    let b = bundle("vcf/NB6TK328_filtered.vcf");
    let tis: Vec<&serde_json::Value> = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|r| r["code"]["coding"][0]["code"] == "therapeutic-implication")
        .collect();
    assert_eq!(tis.len(), 1, "only RYR1 carries CLNSIG=drug_response");
    let comps = tis[0]["component"].as_array().unwrap();
    let drugs: Vec<&str> = comps
        .iter()
        .filter(|c| c["code"]["coding"][0]["code"] == "51963-7")
        .map(|c| c["valueCodeableConcept"]["text"].as_str().unwrap())
        .collect();
    assert!(
        drugs.contains(&"halothane") && drugs.contains(&"succinylcholine"),
        "{drugs:?}"
    );
    assert!(comps
        .iter()
        .any(|c| c["valueCodeableConcept"]["text"] == "Toxicity/ADR"));
    assert!(tis[0]["derivedFrom"][0]["reference"]
        .as_str()
        .unwrap()
        .starts_with("urn:uuid:"));
}

#[test]
fn drugs_in_the_medication_table_are_coded_in_rxnorm() {
    // RYR1's ClinVar assertion, rewritten to name warfarin (RxCUI 11289, as in the IG's
    // own examples) beside halothane, which the demo table does not code.
    let dir = tempfile::tempdir().unwrap();
    let vcf = dir.path().join("warfarin.vcf");
    let text = std::fs::read_to_string(fixture("vcf/NB6TK328_filtered.vcf")).unwrap();
    let text = text.replace(
        "CLNDN=desflurane_response_-_Toxicity/ADR",
        "CLNDN=warfarin_response_-_Dosage|desflurane_response_-_Toxicity/ADR",
    );
    std::fs::write(&vcf, text).unwrap();
    let selection = Selection {
        rxnorm_table: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/rxnorm_demo.tsv").into()),
        ..Selection::default()
    }
    .load()
    .unwrap();
    let b = bundle_of(&vcf, &selection);
    let ti = b["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["code"]["coding"][0]["code"] == "therapeutic-implication")
        .unwrap();
    let meds: Vec<&serde_json::Value> = ti["component"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["code"]["coding"][0]["code"] == "51963-7")
        .map(|c| &c["valueCodeableConcept"])
        .collect();
    let warfarin = meds
        .iter()
        .find(|m| m["coding"][0]["display"] == "warfarin")
        .unwrap();
    assert_eq!(
        warfarin["coding"][0]["system"],
        "http://www.nlm.nih.gov/research/umls/rxnorm"
    );
    assert_eq!(warfarin["coding"][0]["code"], "11289");
    assert!(meds
        .iter()
        .any(|m| m["text"] == "halothane" && m.get("coding").is_none()));
}
