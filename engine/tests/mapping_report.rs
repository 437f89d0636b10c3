//! Report mappings as data: an edit to a mapping file changes what the LRI OBX and the
//! FHIR component carry, with no code change.

mod common;

use engine::mapping::{report::Plan, sample, Mapping};
use std::path::PathBuf;

fn synthetic() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vcf/both_annotators.vcf")
}

fn gene_obx(oru: &str) -> &str {
    oru.split('\r')
        .find(|s| s.contains("|48018-6^"))
        .expect("a 48018-6 OBX")
}

#[test]
fn switching_the_gene_from_snpeff_to_vep_is_a_mapping_edit() {
    let default = Mapping::default_report();
    let cx = sample::SampleContext::default();
    let before = sample::run(&default, &synthetic(), &cx).unwrap();
    assert!(before.errors.is_empty(), "{:?}", before.errors);
    let oru = before.outputs.lri.clone().unwrap();
    // SnpEff's ANN comes first in the shipped mapping: its (older) symbol, as text.
    assert!(gene_obx(&oru).contains("|^RNF53^|"), "{}", gene_obx(&oru));

    // The edit a lab makes when it moves to VEP: read the gene (and the transcript) from CSQ.
    let text = default.to_toml().replace(
        "sources = [\"ann\", \"csq\"]",
        "sources = [\"csq\", \"ann\"]",
    );
    let edited = Mapping::from_toml("edited.toml", &text).unwrap();
    assert_ne!(edited.sha256(), default.sha256());
    let after = sample::run(&edited, &synthetic(), &cx).unwrap();
    let oru = after.outputs.lri.clone().unwrap();
    assert!(
        gene_obx(&oru).contains("|HGNC:1100^BRCA1^HGNC|"),
        "{}",
        gene_obx(&oru)
    );
    let bundle: serde_json::Value = serde_json::from_str(&after.outputs.fhir.unwrap()).unwrap();
    let variant = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .find(|r| r["code"]["coding"][0]["code"] == "69548-6")
        .unwrap();
    let gene = variant["component"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"]["coding"][0]["code"] == "48018-6")
        .unwrap();
    assert_eq!(
        gene["valueCodeableConcept"]["coding"][0]["code"],
        "HGNC:1100"
    );
    assert_eq!(
        gene["valueCodeableConcept"]["coding"][0]["display"],
        "BRCA1"
    );
    // The whole variant reads from one annotator: VEP's transcript and HGVS too.
    assert!(oru.contains("|ENST00000357654:c.3113C>T^"), "{oru}");
    assert!(
        !oru.contains("ENST00000357654.3"),
        "no SnpEff transcript mixed in"
    );
}

#[test]
fn coverage_lists_the_fields_no_rule_reads() {
    let run = sample::run(
        &Mapping::default_report(),
        &synthetic(),
        &Default::default(),
    )
    .unwrap();
    assert!(
        run.unread.contains(&"ann[].annotation".to_string()),
        "{:?}",
        run.unread
    );
    assert!(
        run.unread.contains(&"variant.id".to_string()),
        "{:?}",
        run.unread
    );
    assert!(!run.unread.contains(&"ann[].gene_name".to_string()));
    assert!(
        !run.unread.contains(&"info.CLNSIG".to_string()),
        "clinvar.CLNSIG reads it"
    );
}

#[test]
fn a_required_rule_rejects_the_variant_with_the_rule_and_reason() {
    let mut m = Mapping::default_report();
    let gene = m.rules.iter_mut().find(|r| r.to == "48005-3").unwrap();
    gene.from = "info.NO_SUCH_KEY".into();
    gene.transform.clear();
    gene.required = true;
    let plan = Plan::compile(&m, None).unwrap();
    assert_eq!(plan.name, "vcf-report");
    let run = sample::run(&m, &synthetic(), &Default::default()).unwrap();
    assert_eq!(run.errors.len(), 1, "{:?}", run.errors);
    let e = &run.errors[0];
    assert!(e.contains("line 12"), "{e}");
    assert!(e.contains("field \"48005-3\""), "{e}");
    assert!(e.contains("info.NO_SUCH_KEY"), "{e}");
    assert!(e.contains("required value is missing"), "{e}");
    assert!(
        !run.outputs.lri.unwrap().contains("|48018-6^"),
        "the variant is left out"
    );
}

#[test]
fn provenance_names_the_source_path_and_transforms_of_each_output() {
    let run = sample::run(
        &Mapping::default_report(),
        &common::fixture("vcf/NB6TK328_filtered.vcf"),
        &Default::default(),
    )
    .unwrap();
    let c = run
        .provenance
        .iter()
        .find(|p| p.output == "OBX 2/48004-6")
        .unwrap();
    assert_eq!(c.source.as_deref(), Some("ann[].hgvs_c"));
    assert_eq!(c.transforms, ["split", "concat"]);
}

/// The LRI and FHIR writers used to round allele frequency differently (9/16 was 0.562 in
/// the OBX and 0.563 in the Bundle); one rule now feeds both.
#[test]
fn allele_frequency_is_rounded_once_for_both_messages() {
    let run = sample::run(
        &Mapping::default_report(),
        &synthetic(),
        &Default::default(),
    )
    .unwrap();
    let oru = run.outputs.lri.unwrap();
    let obx = oru.split('\r').find(|s| s.contains("|81258-6^")).unwrap();
    assert!(obx.contains("|0.562|1^1^UCUM|"), "{obx}");
    let fhir = run.outputs.fhir.unwrap();
    assert!(
        fhir.contains("\"valueQuantity\":{\"value\":0.562,"),
        "{fhir}"
    );
}
