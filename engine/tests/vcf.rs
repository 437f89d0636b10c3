mod common;
use common::fixture;
use engine::formats::vcf::{self, Assembly, Zygosity};
use engine::report::{build_report, Selection};

#[test]
fn snpeff_panel_gives_five_annotated_variants() {
    let r = build_report(
        &fixture("vcf/NB6TK328_filtered.vcf"),
        None,
        None,
        &Selection::default(),
        |_, _, _| {},
    )
    .unwrap();
    assert_eq!(r.head.sample_id, "NB6TK328");
    assert_eq!(r.head.assembly, Assembly::GRCh38);
    assert_eq!(r.tally.records_read, 5);
    assert_eq!(r.variants.len(), 5);
    assert!(r.tally.rejected.is_empty());
    let apc = &r.variants[0];
    assert_eq!(
        (
            apc.chromosome(),
            apc.pos,
            apc.ref_allele.as_str(),
            apc.alt_allele.as_str()
        ),
        ("5", 112841059, "T", "A")
    );
    let ann = apc.annotation(None).unwrap();
    assert_eq!(ann.gene_symbol.as_deref(), Some("APC"));
    assert_eq!(ann.c_hgvs.as_deref(), Some("c.5465T>A"));
    assert_eq!(ann.p_hgvs.as_deref(), Some("p.Val1822Asp"));
    assert_eq!(ann.transcript.as_deref(), Some("ENST00000508376.6"));
    assert_eq!(apc.zygosity, Some(Zygosity::Homozygous));
    assert_eq!(apc.allele_frequency, Some(1.0));
    let mybpc3 = &r.variants[1];
    assert_eq!(mybpc3.zygosity, Some(Zygosity::Heterozygous));
    // AD 13,17 with DP 30
    assert!((mybpc3.allele_frequency.unwrap() - 17.0 / 30.0).abs() < 1e-9);
    assert_eq!(mybpc3.genotype.as_ref().unwrap().read_depth, Some(30));
}

#[test]
fn invalid_records_are_rejected_with_line_and_reason() {
    let s = vcf::summarize(&fixture("vcf/vcf_example1.vcf")).unwrap();
    let reasons: Vec<(u64, &str)> = s
        .rejected
        .iter()
        .map(|r| (r.line, r.reason.as_str()))
        .collect();
    let find = |line: u64| {
        reasons
            .iter()
            .find(|(l, _)| *l == line)
            .map(|(_, r)| *r)
            .unwrap_or_else(|| panic!("line {line} not rejected: {reasons:?}"))
    };
    assert!(find(4).contains("REF"), "{}", find(4));
    assert!(find(5).contains("REF"), "{}", find(5));
    assert!(
        find(8).contains("REF") || find(8).contains("not a valid VCF record"),
        "{}",
        find(8)
    );
    assert!(find(10).contains("not called"), "{}", find(10));
    assert!(find(11).contains("not called"), "{}", find(11));
    assert!(find(9).contains("no GT"), "{}", find(9));
    assert!(find(12).contains("symbolic"), "{}", find(12));
    // Nothing invalid slipped into the variants.
    assert!(s.variants.iter().all(|v| !v.alt_allele.starts_with('<')
        && !v.ref_allele.is_empty()
        && v.ref_allele != "."));
    assert!(s.variants.iter().any(|v| v.pos == 400));
}

#[test]
fn duplicate_header_definitions_are_repaired_with_a_warning() {
    let s = vcf::summarize(&fixture("vcf/snpEff.vcf")).unwrap();
    assert!(
        s.header_warnings
            .iter()
            .any(|w| w.contains("duplicate INFO ID: CLNSIG")),
        "{:?}",
        s.header_warnings
    );
    assert!(s.records_read > 0);
}

#[test]
fn bgzipped_vcf_reads_like_plain() {
    let plain = vcf::summarize(&fixture("vcf/vcf_example4.vcf")).unwrap();
    let gz = vcf::summarize(&fixture("vcf/vcf_example4.vcf.gz")).unwrap();
    assert_eq!(plain.records_read, gz.records_read);
    assert!(!gz.variants.is_empty());
    // The two fixture files differ only in header lines, so compare without line numbers.
    let strip = |vs: Vec<vcf::Variant>| {
        vs.into_iter()
            .map(|mut v| {
                v.line = 0;
                v
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(plain.variants), strip(gz.variants));
}

#[test]
fn truncated_header_and_empty_file_fail_as_a_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("cut.vcf");
    std::fs::write(
        &p,
        "##fileformat=VCFv4.2\n##INFO=<ID=DP,Number=1,Type=Integer,Description=\"x\">\n",
    )
    .unwrap();
    let e = vcf::summarize(&p).unwrap_err().to_string();
    assert!(
        e.contains("cut.vcf") && e.contains("before the #CHROM line"),
        "{e}"
    );
    std::fs::write(&p, "").unwrap();
    assert!(vcf::summarize(&p)
        .unwrap_err()
        .to_string()
        .contains("empty file"));
    std::fs::write(&p, "hello\n").unwrap();
    assert!(vcf::summarize(&p)
        .unwrap_err()
        .to_string()
        .contains("line 1"));
}

#[test]
fn a_sample_that_is_not_in_the_file_is_refused() {
    let e = build_report(
        &fixture("vcf/NB6TK328_filtered.vcf"),
        Some("NOPE"),
        None,
        &Selection::default(),
        |_, _, _| {},
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("sample \"NOPE\" is not in this VCF"),
        "{e}"
    );
}

#[test]
fn vep_csq_fields_are_read_from_the_header_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("vep.vcf");
    std::fs::write(&p, "##fileformat=VCFv4.2\n##reference=GRCh38\n##INFO=<ID=CSQ,Number=.,Type=String,Description=\"Consequence annotations from Ensembl VEP. Format: Allele|Consequence|SYMBOL|Feature|HGVSc|HGVSp|HGNC_ID|CANONICAL\">\n##INFO=<ID=CLNSIG,Number=.,Type=String,Description=\"x\">\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"x\">\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\nchr17\t43045712\t.\tC\tT\t50\tPASS\tCLNSIG=Pathogenic;CSQ=T|missense_variant|BRCA1|ENST00000357654|ENST00000357654.9:c.5123C>A|ENSP00000350283.3:p.Ala1708Glu|HGNC:1100|YES\tGT\t0|1\n").unwrap();
    let r = build_report(&p, None, None, &Selection::default(), |_, _, _| {}).unwrap();
    let v = &r.variants[0];
    let a = v.annotation(r.head.csq.as_deref()).unwrap();
    assert_eq!(a.gene_symbol.as_deref(), Some("BRCA1"));
    assert_eq!(a.hgnc_id.as_deref(), Some("HGNC:1100"));
    assert_eq!(a.c_hgvs.as_deref(), Some("c.5123C>A"));
    assert_eq!(a.p_hgvs.as_deref(), Some("p.Ala1708Glu"));
    assert!(v.genotype.as_ref().unwrap().phased);
    assert_eq!(
        v.clinical_significance,
        Some(engine::formats::vcf::ClinicalSignificance::Pathogenic)
    );
}

#[test]
fn bed_regions_choose_the_variants_and_bad_lines_are_named() {
    use engine::formats::bed::Regions;
    let r = Regions::read(&fixture("vcf/RegionsStudied_example3.bed")).unwrap();
    // BED is 0-based, end-exclusive: X 20000..80000 covers 1-based 20001..=80000.
    assert!(
        !r.contains("X", 20000)
            && r.contains("chrX", 20001)
            && r.contains("X", 80000)
            && !r.contains("X", 80001)
    );
    assert!(r.contains("chrM", 60018) && r.contains("MT", 60018) && !r.contains("1", 60018));
    let all = Selection {
        filters: vec![],
        ..Selection::default()
    };
    let within = Selection {
        filters: vec![],
        regions_bed: Some(fixture("vcf/RegionsStudied_example3.bed")),
        ..Selection::default()
    }
    .load()
    .unwrap();
    let every = build_report(
        &fixture("vcf/vcf_example3.vcf"),
        None,
        Some(Assembly::GRCh37),
        &all,
        |_, _, _| {},
    )
    .unwrap();
    let some = build_report(
        &fixture("vcf/vcf_example3.vcf"),
        None,
        Some(Assembly::GRCh37),
        &within,
        |_, _, _| {},
    )
    .unwrap();
    assert!(!some.variants.is_empty());
    assert!(some.variants.iter().all(|v| r.contains(&v.chrom, v.pos)));
    assert_eq!(
        some.variants.len() as u64 + some.tally.not_selected,
        every.variants.len() as u64 + every.tally.not_selected
    );
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.bed");
    std::fs::write(&bad, "1\t100\t200\n1\t300\tx\n").unwrap();
    let e = Regions::read(&bad).unwrap_err().to_string();
    assert!(
        e.contains("bad.bed") && e.contains("line 2") && e.contains("end \"x\""),
        "{e}"
    );
}
