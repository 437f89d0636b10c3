mod common;
use common::fixture;
use engine::mapping::{report::Plan, Mapping};
use engine::messages::{lri, Envelope};
use engine::report::{build_report, Selection};
use engine::store::Order;

fn order() -> Order {
    Order {
        accession: "ACC-1".into(),
        sample_id: "NB6TK328".into(),
        placer_number: "PL-1".into(),
        filler_number: "FI-1".into(),
        patient_mrn: "SYN-1".into(),
        // Delimiters in data must be escaped, never emitted raw.
        patient_family: "O'Test|Pipe^Caret".into(),
        patient_given: "Amp&Tilde~Back\\slash".into(),
        birth_date: "1980-02-29".into(),
        sex: "F".into(),
        test_code: "P1".into(),
        test_name: "Panel".into(),
        specimen_type: "Blood".into(),
        ..Order::default()
    }
}

/// The demo gene table: HGNC's export format, with the fixture's five genes.
fn with_gene_table() -> Selection {
    Selection {
        hgnc_table: Some(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/hgnc_demo.tsv").into()),
        ..Selection::default()
    }
    .load()
    .unwrap()
}

fn oru_of(vcf: &std::path::Path, selection: &Selection) -> String {
    let r = build_report(vcf, None, None, selection, |_, _, _| {}).unwrap();
    let plan = Plan::compile(
        &Mapping::default_report(),
        selection.genes_by_symbol.clone(),
    )
    .unwrap();
    lri::build_oru(&r, &order(), &Envelope::new("CTRL-1"), &plan)
}

fn oru() -> String {
    oru_of(&fixture("vcf/NB6TK328_filtered.vcf"), &with_gene_table())
}

fn obx_values(text: &str, code: &str) -> Vec<String> {
    let msg = hl7_parser::Message::parse(text).unwrap();
    msg.segments()
        .filter(|s| s.name == "OBX")
        .filter(|s| {
            s.field(3)
                .is_some_and(|f| f.raw_value().starts_with(&format!("{code}^")))
        })
        .map(|s| {
            s.field(5)
                .map(|f| f.raw_value().to_string())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn snpeff_genes_get_hgnc_ids_from_the_gene_table() {
    let genes = obx_values(&oru(), "48018-6");
    assert_eq!(
        genes,
        [
            "HGNC:583^APC^HGNC",
            "HGNC:7551^MYBPC3^HGNC",
            "HGNC:7010^MEN1^HGNC",
            "HGNC:1101^BRCA2^HGNC",
            "HGNC:10483^RYR1^HGNC"
        ]
    );
}

#[test]
fn without_an_hgnc_id_the_symbol_is_sent_as_text_not_as_a_code() {
    let text = oru_of(&fixture("vcf/NB6TK328_filtered.vcf"), &Selection::default());
    let genes = obx_values(&text, "48018-6");
    assert_eq!(genes[0], "^APC^");
}

#[test]
fn delimiters_in_annotation_values_are_escaped_in_obx() {
    let dir = tempfile::tempdir().unwrap();
    let vcf = dir.path().join("odd.vcf");
    let text = std::fs::read_to_string(fixture("vcf/NB6TK328_filtered.vcf")).unwrap();
    std::fs::write(&vcf, text.replace("|APC|", "|AP^C&~\\x|")).unwrap();
    let oru = oru_of(&vcf, &Selection::default());
    let msg = hl7_parser::Message::parse(&oru).unwrap();
    let gene = obx_values(&oru, "48018-6").remove(0);
    assert_eq!(gene, "^AP\\S\\C\\T\\\\R\\\\E\\x^");
    let text = msg
        .separators
        .decode(gene.split('^').nth(1).unwrap())
        .to_string();
    assert_eq!(text, "AP^C&~\\x");
}

#[test]
fn oru_has_lri_segments_in_order() {
    let text = oru();
    let msg = hl7_parser::Message::parse(&text).unwrap();
    let names: Vec<&str> = msg.segments().map(|s| s.name).collect();
    assert_eq!(&names[..4], ["MSH", "PID", "ORC", "OBR"]);
    assert_eq!(names.last(), Some(&"SPM"));
    assert!(names[4..names.len() - 1].iter().all(|n| *n == "OBX"));
    assert_eq!(msg.query("MSH.9").unwrap().raw_value(), "ORU^R01^ORU_R01");
    assert_eq!(msg.query("MSH.10").unwrap().raw_value(), "CTRL-1");
    assert_eq!(msg.query("MSH.12").unwrap().raw_value(), "2.5.1");
}

#[test]
fn patient_fields_are_escaped_and_round_trip() {
    let text = oru();
    let msg = hl7_parser::Message::parse(&text).unwrap();
    let sep = msg.separators;
    assert_eq!(
        sep.decode(msg.query("PID.5.1").unwrap().raw_value())
            .to_string(),
        "O'Test|Pipe^Caret"
    );
    assert_eq!(
        sep.decode(msg.query("PID.5.2").unwrap().raw_value())
            .to_string(),
        "Amp&Tilde~Back\\slash"
    );
    assert_eq!(msg.query("PID.7").unwrap().raw_value(), "19800229");
}

#[test]
fn each_variant_is_its_own_obx_group() {
    let text = oru();
    let msg = hl7_parser::Message::parse(&text).unwrap();
    let obx: Vec<_> = msg.segments().filter(|s| s.name == "OBX").collect();
    let field = |s: &hl7_parser::message::Segment, n: usize| {
        s.field(n)
            .map(|f| f.raw_value().to_string())
            .unwrap_or_default()
    };
    // OBX-1 counts 1..n.
    for (i, s) in obx.iter().enumerate() {
        assert_eq!(field(s, 1), (i + 1).to_string());
    }
    let groups: std::collections::BTreeSet<String> = obx.iter().map(|s| field(s, 4)).collect();
    assert_eq!(
        groups,
        ["2", "3", "4", "5", "6"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
    let group2: Vec<_> = obx.iter().filter(|s| field(s, 4) == "2").collect();
    let by_code = |code: &str| {
        group2
            .iter()
            .find(|s| field(s, 3).starts_with(&format!("{code}^")))
            .map(|s| field(s, 5))
            .unwrap_or_else(|| panic!("no {code} in group 2"))
    };
    assert_eq!(by_code("69548-6"), "LA9633-4^Present^LN");
    assert_eq!(by_code("48018-6"), "HGNC:583^APC^HGNC");
    assert_eq!(
        by_code("48004-6"),
        "ENST00000508376.6:c.5465T>A^ENST00000508376.6:c.5465T>A^HGVS"
    );
    assert_eq!(by_code("48005-3"), "p.Val1822Asp^p.Val1822Asp^HGVS");
    assert_eq!(by_code("48013-7"), "NC_000005.10^NC_000005.10^RefSeq-G");
    assert_eq!(by_code("62374-4"), "LA26806-2^GRCh38^LN");
    assert_eq!(by_code("48000-4"), "LA21258-1^Chromosome 5^LN");
    assert_eq!(by_code("69547-8"), "T");
    assert_eq!(by_code("69551-0"), "A");
    assert_eq!(by_code("81254-5"), "112841059^112841059");
    assert_eq!(by_code("53034-5"), "LA6705-3^Homozygous^LN");
    assert_eq!(by_code("81258-6"), "1.000");
    assert_eq!(by_code("82121-5"), "50");
    assert_eq!(by_code("48002-0"), "LA6683-2^Germline^LN");
    // Each value type matches its content.
    for s in &obx {
        let vt = field(s, 2);
        assert!(["CWE", "ST", "NM", "NR"].contains(&vt.as_str()), "{vt}");
        assert_eq!(field(s, 11), "F");
    }
}
