//! Byte-identity of the messages across refactors: every VCF fixture is converted to LRI
//! and FHIR with a fixed clock, control id and order, through both the whole-report path
//! (`MessageKind::build`, what the pipeline stores) and the streaming path (`convert`).
//! The SHA-256 of each output is compared with `tests/golden/outputs.sha256`, written by
//! the code before the mapping engine existed (its header says which four outputs changed
//! on purpose, and why). `GENOBRIDGE_BLESS=1` rewrites the file; a mismatch leaves the
//! actual output under `target/golden-actual/` for diffing.

mod common;

use common::fixture;
use engine::{
    formats::vcf::Assembly,
    mapping::{report::Plan, Mapping},
    messages::{
        self,
        stream::{self, Outputs},
        Envelope,
    },
    report::{build_report, open_report, Selection},
    store::Order,
};
use sha2::{Digest, Sha256};
use std::{collections::BTreeMap, path::PathBuf};

const CASES: &[(&str, Option<&str>)] = &[
    ("vcf/NB6TK328_filtered.vcf", None),
    ("vcf/snpEff.vcf", None),
    ("vcf/qiagen.vcf", None),
    ("vcf/vcf_example1.vcf", None),
    ("vcf/vcf_example2.vcf", None),
    (
        "vcf/vcf_example3.vcf",
        Some("vcf/RegionsStudied_example3.bed"),
    ),
    (
        "vcf/vcf_example4.vcf.gz",
        Some("vcf/RegionsStudied_example4.bed"),
    ),
    ("vcf/HG00404_b37.vcf", None),
    ("vcf/HG00403A.vcf.gz", Some("vcf/HG00403A_studied.bed")),
];

fn envelope() -> Envelope {
    let mut env = Envelope::new("GB-GOLDEN-0001");
    env.created = time::macros::datetime!(2026-11-30 12:00:00 UTC);
    env
}

/// A synthetic order; not a real person.
fn order(sample: &str) -> Order {
    Order {
        accession: "ACC-GOLDEN-1".into(),
        sample_id: sample.into(),
        placer_number: "PL-1".into(),
        filler_number: "GB-1".into(),
        patient_mrn: "SYN-000001".into(),
        patient_family: "Golden".into(),
        patient_given: "Sample".into(),
        birth_date: "1990-01-01".into(),
        sex: "F".into(),
        test_code: "GB-PANEL".into(),
        test_name: "Germline panel".into(),
        specimen_type: "Blood".into(),
        ..Order::default()
    }
}

fn selection(bed: Option<&str>) -> Selection {
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data");
    Selection {
        filters: vec!["PASS".into(), ".".into()],
        regions_bed: bed.map(fixture),
        hgnc_table: Some(data.join("hgnc_demo.tsv")),
        rxnorm_table: Some(data.join("rxnorm_demo.tsv")),
        ..Selection::default()
    }
    .load()
    .unwrap()
}

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn actual() -> BTreeMap<String, (String, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let env = envelope();
    for (vcf, bed) in CASES {
        let path = fixture(vcf);
        let sel = selection(*bed);
        let name = vcf.trim_start_matches("vcf/");
        let report = build_report(&path, None, Some(Assembly::GRCh37), &sel, |_, _, _| {})
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let order = order(&report.head.sample_id);
        let plan = Plan::compile(&Mapping::default_report(), sel.genes_by_symbol.clone()).unwrap();
        for kind in ["lri", "fhir"] {
            let body = messages::kind(kind)
                .unwrap()
                .build(&report, &order, &env, &plan);
            let key = format!("{name}.{kind}");
            out.insert(key, (sha(body.as_bytes()), body.into_bytes()));
        }
        let (reader, head) = open_report(&path, None, Some(Assembly::GRCh37), &sel).unwrap();
        let (_, outs) = stream::convert(
            &path,
            reader,
            &head,
            &sel,
            &order,
            &env,
            &plan,
            Outputs {
                lri: Some(Vec::new()),
                fhir: Some(Vec::new()),
            },
            |_, _, _| {},
        )
        .unwrap();
        let lri = outs.lri.unwrap();
        let fhir = outs.fhir.unwrap();
        out.insert(format!("{name}.stream.lri"), (sha(&lri), lri));
        out.insert(format!("{name}.stream.fhir"), (sha(&fhir), fhir));
    }
    out
}

#[test]
fn every_fixture_gives_the_same_bytes_as_before() {
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/outputs.sha256");
    let got = actual();
    if std::env::var_os("GENOBRIDGE_BLESS").is_some() {
        let text: String = got
            .iter()
            .map(|(k, (h, _))| format!("{h}  {k}\n"))
            .collect();
        std::fs::write(&golden, text).unwrap();
        return;
    }
    let text = std::fs::read_to_string(&golden).expect("tests/golden/outputs.sha256");
    let want: BTreeMap<&str, &str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once("  ").map(|(h, k)| (k, h)))
        .collect();
    assert_eq!(want.len(), got.len(), "the golden file lists every output");
    let dump = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/golden-actual");
    let mut differ = Vec::new();
    for (k, (h, bytes)) in &got {
        if want.get(k.as_str()) != Some(&h.as_str()) {
            std::fs::create_dir_all(&dump).unwrap();
            std::fs::write(dump.join(k), bytes).unwrap();
            differ.push(k.clone());
        }
    }
    assert!(
        differ.is_empty(),
        "outputs changed: {differ:?} (actual bytes in {})",
        dump.display()
    );
}
