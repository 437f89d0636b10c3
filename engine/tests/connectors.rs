//! Every connector on real fixtures (values read from the files by hand), and every kind
//! of bad input: a clear error naming the file and the line or element, never a panic.
mod common;
use common::fixture;
use engine::{
    config::{default_completion, CompletionRule, Config},
    formats::{
        illumina::{self, Completion},
        record::{lookup, schema},
        Parsed, Registry,
    },
};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn parse(path: &Path) -> Parsed {
    Registry::builtin()
        .parse(path, None)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn err(path: &Path) -> String {
    Registry::builtin()
        .parse(path, None)
        .unwrap_err()
        .to_string()
}

fn one<'a>(tree: &'a Value, path: &str) -> &'a Value {
    let v = lookup(tree, path);
    assert_eq!(v.len(), 1, "{path}: {v:?}");
    v[0]
}

fn local(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Copies a fixture run folder's top-level files into a temp dir.
fn copy_run(rel: &str, dst: &Path) {
    for e in std::fs::read_dir(fixture(rel)).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dst.join(p.file_name().unwrap())).unwrap();
        }
    }
}

#[test]
fn novaseq_x_run_folder_tree() {
    let p = parse(&fixture("illumina/20231108_LH00188_0028_B22F52TLT3"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let t = &p.tree;
    assert_eq!(t["format"], "illumina-run-folder");
    assert_eq!(one(t, "run.flowcell_id"), "22F52TLT3");
    assert_eq!(one(t, "run.instrument"), "LH00188");
    assert_eq!(one(t, "run.platform"), "NovaSeq X");
    assert_eq!(one(t, "run.lanes"), 8);
    assert_eq!(one(t, "parameters.instrument_type"), "NovaSeqXPlus");
    assert_eq!(one(t, "parameters.application_version"), "1.1.0.18335");
    assert_eq!(one(t, "parameters.recipe_version"), "10B-01.01.00");
    let lots: Vec<_> = lookup(t, "parameters.consumables[].lot_number");
    assert_eq!(lots[..2], [&json!("20775712"), &json!("20756816")]);
    assert_eq!(one(t, "completion.state"), "complete");
    assert_eq!(one(t, "completion.run_status"), "RunCompleted");
    assert_eq!(
        lookup(t, "completion.completed_reads[].cycles"),
        [&json!(151), &json!(10), &json!(10), &json!(151)]
    );
    assert_eq!(one(t, "sample_sheet.version"), 2);
    assert_eq!(
        one(
            t,
            "sample_sheet.sections.BCLConvert_Settings.SoftwareVersion"
        ),
        "4.1.7"
    );
    assert_eq!(
        one(t, "sample_sheet.sections.Header.InstrumentPlatform"),
        "NovaSeqXSeries"
    );
    assert_eq!(lookup(t, "samples[].sample_id").len(), 192);
    assert_eq!(
        t["samples"][0],
        json!({
            "sample_id": "ACC13169A1", "lane": 1, "index": "CACGAGCG", "index2": "ATCTGCCA",
            "override_cycles": "Y151;I8N2;N2I8;Y151", "barcode_mismatches_index1": "1", "barcode_mismatches_index2": "0"
        })
    );
}

#[test]
fn novaseq_6000_run_folders_read_rfid_lots() {
    let t = parse(&fixture("illumina/230912_A00187_1009_AHK33MDRX3")).tree;
    assert_eq!(one(&t, "run.flowcell_id"), "HK33MDRX3");
    assert_eq!(one(&t, "parameters.instrument_type"), "NovaSeq 6000");
    assert_eq!(
        one(&t, "parameters.application"),
        "NovaSeq Control Software"
    );
    assert_eq!(one(&t, "parameters.application_version"), "1.8.1");
    assert_eq!(one(&t, "parameters.rta_version"), "v3.4.4");
    assert_eq!(one(&t, "parameters.flowcell_mode"), "S1");
    let sbs = t["parameters"]["consumables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Sbs")
        .unwrap();
    assert_eq!(
        (&sbs["lot_number"], &sbs["serial_number"]),
        (&json!("20751844"), &json!("NV4835185-RGSBS"))
    );
    assert_eq!(lookup(&t, "samples[]").len(), 80);
    assert_eq!(one(&t, "completion.state"), "complete");
    // This run was delivered without a SampleSheet.csv: no samples, a warning, not an error.
    let p = parse(&fixture("illumina/190927_A00689_0069_BHLYWYDSXX"));
    assert!(
        p.warnings.len() == 1 && p.warnings[0].contains("no SampleSheet.csv"),
        "{:?}",
        p.warnings
    );
    let t = p.tree;
    assert_eq!(one(&t, "run.flowcell_id"), "HLYWYDSXX");
    assert_eq!(
        lookup(&t, "parameters.consumables[].lot_number")[0],
        "20363963"
    );
    assert_eq!(t["samples"], json!([]));
}

#[test]
fn hiseq_x_lower_case_run_parameters_and_v1_sheet() {
    let t = parse(&fixture("illumina/170517_ST-E00266_0210_BHJCFFALXX")).tree;
    assert_eq!(one(&t, "run.platform"), "HiSeq X");
    assert_eq!(one(&t, "parameters.instrument_type"), "HiSeq X");
    assert_eq!(one(&t, "parameters.application"), "HiSeq Control Software");
    assert_eq!(one(&t, "parameters.application_version"), "HD 3.4.0.38");
    assert_eq!(one(&t, "parameters.rta_version"), "2.7.7");
    assert_eq!(
        one(&t, "parameters.consumables[].serial_number"),
        "HJCFFALXX"
    );
    let lane8: Vec<_> = t["samples"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["lane"] == 8)
        .map(|s| s["sample_id"].clone())
        .collect();
    assert_eq!(lane8, [json!("ACC2597A1"), json!("ACC2678A1")]);
    // The bcl2fastq (v1) sheet of the same run, alone.
    let t = parse(&fixture(
        "illumina/170517_ST-E00266_0210_BHJCFFALXX/SampleSheet_bcl2fastq.csv",
    ))
    .tree;
    assert_eq!(t["format"], "illumina-sample-sheet");
    assert_eq!(one(&t, "sample_sheet.version"), 1);
    assert_eq!(one(&t, "sample_sheet.samples_section"), "Data");
    let first = &t["samples"][0];
    assert_eq!(
        (
            &first["sample_id"],
            &first["lane"],
            &first["index"],
            &first["fcid"]
        ),
        (
            &json!("SVE2648A1_TATCAGCA"),
            &json!(1),
            &json!("TATCAGCA"),
            &json!("HJCFFALXX")
        )
    );
}

#[test]
fn iem_v1_sheet_with_data_section() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("SampleSheet.csv");
    std::fs::write(&p, "[Header],,\nIEMFileVersion,4,\n[Reads]\n151\n151\n[Settings]\nAdapter,CTGTCTCTTATACACATCT\n[Data]\nLane,Sample_ID,index,index2\n1,S1,AAAA,CCCC\n2,S1,AAAA,CCCC\n").unwrap();
    let t = parse(&p).tree;
    assert_eq!(one(&t, "sample_sheet.version"), 1);
    assert_eq!(one(&t, "sample_sheet.sections.Reads.Read2Cycles"), "151");
    assert_eq!(
        one(&t, "sample_sheet.sections.Settings.Adapter"),
        "CTGTCTCTTATACACATCT"
    );
    assert_eq!(lookup(&t, "samples[].lane"), [&json!(1), &json!(2)]);
    assert_eq!(
        lookup(&t, "samples[].index2"),
        [&json!("CCCC"), &json!("CCCC")]
    );
}

#[test]
fn schema_lists_paths_with_types_and_examples() {
    let t = parse(&fixture("illumina/20231108_LH00188_0028_B22F52TLT3")).tree;
    let s = schema(&t);
    let f = |p: &str| {
        s.iter()
            .find(|f| f.path == p)
            .unwrap_or_else(|| panic!("{p} not in schema"))
    };
    assert_eq!(
        (f("run.flowcell_id").ty, &f("run.flowcell_id").example),
        ("string", &json!("22F52TLT3"))
    );
    assert_eq!(f("samples[].lane").ty, "integer");
    assert_eq!(f("samples[].sample_id").example, json!("ACC13169A1"));
    assert_eq!(f("parameters.consumables[].lot_number").ty, "string");
    assert_eq!(f("run.reads[].is_index").ty, "boolean");
    let t = parse(&fixture("qc/quantstudio/appbio_quantstudio_example01.txt")).tree;
    let s = schema(&t);
    let ct = s.iter().find(|f| f.path == "wells[].ct").unwrap();
    assert_eq!((ct.ty, &ct.example), ("number", &json!(18.717)));
}

#[test]
fn completion_rules_come_from_configuration() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let src = fixture("illumina/20231108_LH00188_0028_B22F52TLT3");
    for f in [
        "RunInfo.xml",
        "RunParameters.xml",
        "RTAComplete.txt",
        "CopyComplete.txt",
    ] {
        std::fs::copy(src.join(f), d.join(f)).unwrap();
    }
    // NovaSeq X by default also needs RunCompletionStatus.xml saying RunCompleted.
    assert_eq!(
        illumina::completion(d),
        Completion::InProgress {
            waiting_for: "RunCompletionStatus.xml saying RunCompleted".into()
        }
    );
    let cfg = Config::from_toml(
        r#"
        [watch]
        runs_dir = "r"
        vcf_dir = "v"
        [[watch.completion]]
        platform = "NovaSeq X"
        required_files = ["RunInfo.xml", "CopyComplete.txt"]
        require_run_completed = false
    "#,
    )
    .unwrap();
    assert_eq!(
        illumina::completion_with(d, &cfg.watch.completion),
        Completion::Complete
    );
    // Without a rule for its platform and no `*`, the defaults still apply.
    let other = vec![CompletionRule {
        platform: "MiSeq".into(),
        required_files: vec![],
        require_run_completed: false,
    }];
    assert!(matches!(
        illumina::completion_with(d, &other),
        Completion::InProgress { .. }
    ));
    // A NovaSeq 6000 with only RTAComplete.txt waits for CopyComplete.txt.
    let d6 = tmp.path().join("6000");
    std::fs::create_dir(&d6).unwrap();
    let src6 = fixture("illumina/230912_A00187_1009_AHK33MDRX3");
    for f in ["RunInfo.xml", "RunParameters.xml", "RTAComplete.txt"] {
        std::fs::copy(src6.join(f), d6.join(f)).unwrap();
    }
    assert_eq!(
        illumina::completion(&d6),
        Completion::InProgress {
            waiting_for: "CopyComplete.txt".into()
        }
    );
}

#[test]
fn unfinished_fixture_is_never_complete_even_under_lax_rules() {
    let dir = fixture("illumina-incomplete/20231108_LH00188_0028_B22F52TLT3");
    let lax = vec![CompletionRule {
        platform: "*".into(),
        required_files: vec![],
        require_run_completed: false,
    }];
    for rules in [default_completion(), lax] {
        assert_eq!(
            illumina::completion_with(&dir, &rules),
            Completion::InProgress {
                waiting_for: "RunInfo.xml".into()
            }
        );
    }
    let t = parse(&dir.join("RunParameters.xml")).tree;
    assert_eq!(one(&t, "parameters.instrument_type"), "NovaSeqXPlus");
}

#[test]
fn quantstudio_results_with_real_ct_values() {
    let t = parse(&fixture("qc/quantstudio/appbio_quantstudio_example01.txt")).tree;
    assert_eq!(t["format"], "quantstudio");
    assert_eq!(one(&t, "experiment.instrument_type"), "ViiA 7");
    assert_eq!(one(&t, "experiment.experiment_name"), "trial 1");
    let w = &t["wells"][1];
    assert_eq!(
        (&w["well"], &w["well_position"], &w["sample_name"], &w["ct"]),
        (
            &json!(2),
            &json!("A2"),
            &json!("2SAMPLE_1.2"),
            &json!(20.806)
        )
    );
    assert_eq!(lookup(&t, "wells[].ct").len(), 16);
    // Numeric sample names stay text; thousands separators are read.
    let t = parse(&fixture(
        "qc/quantstudio/example_quantsudio_results_only.txt",
    ))
    .tree;
    let w = &t["wells"][3];
    assert_eq!(
        (&w["sample_name"], &w["ct"], &w["quantity"]),
        (&json!("5000018696625"), &json!(25.711), &json!(118248.2))
    );
    // Undetermined Ct is null, flagged.
    let t = parse(&fixture("qc/quantstudio/appbio_quantstudio_example05.txt")).tree;
    let (a1, d1) = (&t["wells"][0], &t["wells"][6]);
    assert_eq!(
        (&a1["ct"], &a1["ct_undetermined"]),
        (&Value::Null, &json!(true))
    );
    assert_eq!(
        (&d1["sample_name"], &d1["ct"], &d1["ct_undetermined"]),
        (&json!("Lung"), &json!(30.155), &json!(false))
    );
}

#[test]
fn quantstudio_missing_results_are_flagged() {
    let p = parse(&fixture(
        "qc/quantstudio/appbio_quantstudio_minimal_missing_results.txt",
    ));
    assert_eq!(
        p.tree["wells_without_results"],
        json!([{ "well": 2, "well_position": "A2", "sample_name": "NTC" }])
    );
    assert_eq!(p.warnings.len(), 1);
    assert!(
        p.warnings[0].contains("line 28") && p.warnings[0].contains("well 2 (A2)"),
        "{:?}",
        p.warnings
    );
    assert_eq!(one(&p.tree, "wells[].call"), "Negative Control (NC)");
    // Without any [Results] section there is nothing to record: an error.
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture(
        "qc/quantstudio/appbio_quantstudio_minimal_missing_results.txt",
    ))
    .unwrap();
    let cut = tmp.path().join("no_results.txt");
    std::fs::write(&cut, &text[..text.find("[Results]").unwrap()]).unwrap();
    let e = Registry::builtin()
        .parse(&cut, Some("quantstudio"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no_results.txt") && e.contains("no [Results] section"),
        "{e}"
    );
}

#[test]
fn tapestation_concentrations_rin_and_cfdna() {
    let t = parse(&fixture(
        "qc/tapestation/agilent_tapestation_analysis_example_01.xml",
    ))
    .tree;
    assert_eq!(t["format"], "tapestation");
    assert_eq!(one(&t, "file.assay"), "RNA");
    assert_eq!(one(&t, "units.concentration"), "ng/µl");
    assert_eq!(
        lookup(&t, "samples[].well"),
        [&json!("L1"), &json!("A1"), &json!("B1"), &json!("C1")]
    );
    assert_eq!(
        lookup(&t, "samples[].concentration"),
        [&json!(86.8), &json!(363), &json!(361), &json!(181)]
    );
    assert_eq!(
        lookup(&t, "samples[].rin"),
        [&Value::Null, &json!(8.6), &json!(8.8), &json!(9.0)]
    );
    assert_eq!(t["samples"][1]["sample_name"], "Rat Kidney 400 ng/µl");
    assert_eq!(t["samples"][0]["is_ladder"], true);
    assert_eq!(
        lookup(&t, "screen_tapes[].instrument_serial_number")[0],
        "DEDAA00054"
    );
    let t = parse(&fixture(
        "qc/tapestation/agilent_tapestation_analysis_example_03.xml",
    ))
    .tree;
    assert_eq!(one(&t, "units.concentration"), "pg/µl");
    assert_eq!(
        lookup(&t, "samples[].percentage_cfdna"),
        [&Value::Null, &json!(49), &json!(93)]
    );
    assert_eq!(
        lookup(&t, "samples[].regions[].average_size"),
        [&json!(375), &json!(249)]
    );
    assert_eq!(one(&t, "screen_tapes[].reagent_lot_number"), "0006463111");
}

#[test]
fn tapestation_din_from_genomic_dna_assays() {
    // The fixtures are RNA and cfDNA; genomic DNA assays add <DIN> to each sample.
    let text = std::fs::read_to_string(fixture(
        "qc/tapestation/agilent_tapestation_analysis_example_03.xml",
    ))
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("gdna.xml");
    std::fs::write(
        &p,
        text.replacen("<PercentageCfDNA>49</PercentageCfDNA>", "<DIN>7.4</DIN>", 1),
    )
    .unwrap();
    assert_eq!(
        lookup(&parse(&p).tree, "samples[].din"),
        [&Value::Null, &json!(7.4), &Value::Null]
    );
}

#[test]
fn qubit_concentrations_and_units() {
    let t = parse(&fixture("qc/qubit/thermo_fisher_qubit4_example_1.csv")).tree;
    assert_eq!(t["format"], "qubit");
    assert_eq!(
        lookup(&t, "samples[].tube_concentration"),
        [&json!(30.4), &json!(560)]
    );
    assert_eq!(
        lookup(&t, "samples[].tube_concentration_units"),
        [&json!("ng/mL"), &json!("ng/mL")]
    );
    assert_eq!(
        lookup(&t, "samples[].sample_concentration"),
        [&json!(6.08), &json!(112)]
    );
    assert_eq!(
        lookup(&t, "samples[].sample_concentration_units")[0],
        "ng/µL"
    );
    assert_eq!(
        lookup(&t, "samples[].sample_name")[0],
        "Sample_#231212-064054"
    );
    assert_eq!(
        lookup(&t, "samples[].assay_name")[0],
        "1x dsDNA High Sensitivity"
    );
    assert_eq!(lookup(&t, "samples[].sample_volume_ul")[0], 1);
}

#[test]
fn fragment_analyzer_peaks_and_smear() {
    let t = parse(&local("fragment_analyzer/LibQC 2026-11-25 Peak Table.csv")).tree;
    assert_eq!(t["format"], "fragment-analyzer-peaks");
    assert_eq!(
        t["units"],
        json!({ "size": "bp", "concentration": "ng/uL", "molarity": "nmole/L" })
    );
    assert_eq!(
        lookup(&t, "samples[].sample_id"),
        [&json!("LIB-001"), &json!("LIB-002")]
    );
    let main = &t["samples"][0]["peaks"][1];
    assert_eq!(
        (
            &main["size"],
            &main["concentration"],
            &main["molarity"],
            &main["is_marker"]
        ),
        (&json!(312), &json!(3.542), &json!(17.9), &json!(false))
    );
    assert_eq!(
        lookup(&t, "samples[].peaks[].is_marker")
            .iter()
            .filter(|m| **m == true)
            .count(),
        4
    );
    let t = parse(&local(
        "fragment_analyzer/LibQC 2026-11-25 Smear Analysis Result.csv",
    ))
    .tree;
    assert_eq!(t["format"], "fragment-analyzer-smear");
    assert_eq!(
        lookup(&t, "samples[].regions[].average_size"),
        [&json!(325), &json!(447)]
    );
    assert_eq!(
        lookup(&t, "samples[].regions[].from"),
        [&json!(100), &json!(100)]
    );
    assert_eq!(one(&t, "units.size"), "bp");
}

const NANODROP: &str = r#"
[watch]
runs_dir = "r"
vcf_dir = "v"

[[connectors.delimited]]
name = "nanodrop-one"
file_glob = "*_nanodrop.tsv"
delimiter = "\t"
skip_lines = 1
records = "samples"
required_columns = ["Sample ID", "Nucleic Acid(ng/uL)"]
columns = [
  { header = "Sample ID", key = "sample_id" },
  { header = "Nucleic Acid(ng/uL)", key = "concentration_ng_ul", type = "number" },
  { header = "A260/A280", key = "purity.a260_a280", type = "number" },
]
"#;

#[test]
fn delimited_connector_configured_in_toml() {
    let cfg = Config::from_toml(NANODROP).unwrap();
    let reg = cfg.registry();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("Plate7_NanoDrop.tsv");
    std::fs::write(&p, "NanoDrop One export\nSample ID\tNucleic Acid(ng/uL)\tA260/A280\tUser\nDNA-01\t52.3\t1.86\tlab\nDNA-02\t1,204.5\t1.91\tlab\n").unwrap();
    let t = reg.parse(&p, None).unwrap().tree;
    assert_eq!(t["format"], "nanodrop-one");
    assert_eq!(
        t["samples"][1],
        json!({ "line": 4, "sample_id": "DNA-02", "concentration_ng_ul": 1204.5, "purity": { "a260_a280": 1.91 } })
    );
    assert!(schema(&t)
        .iter()
        .any(|f| f.path == "samples[].purity.a260_a280" && f.ty == "number"));
    // A missing required column and a cell that is not its type name the line and column.
    std::fs::write(&p, "x\nSample ID\tA260/A280\nDNA-01\t1.8\n").unwrap();
    let e = reg.parse(&p, None).unwrap_err().to_string();
    assert!(
        e.contains("line 2") && e.contains("\"Nucleic Acid(ng/uL)\" is missing"),
        "{e}"
    );
    std::fs::write(&p, "x\nSample ID\tNucleic Acid(ng/uL)\nDNA-01\tn/a\n").unwrap();
    let e = reg.parse(&p, None).unwrap_err().to_string();
    assert!(
        e.contains("Plate7_NanoDrop.tsv")
            && e.contains("line 3, column \"Nucleic Acid(ng/uL)\"")
            && e.contains("\"n/a\" is not a number"),
        "{e}"
    );
}

// ---- bad input -------------------------------------------------------------------

#[test]
fn run_parameters_cut_off_mid_element() {
    let tmp = tempfile::tempdir().unwrap();
    copy_run("illumina/230912_A00187_1009_AHK33MDRX3", tmp.path());
    let p = tmp.path().join("RunParameters.xml");
    let text = std::fs::read_to_string(&p).unwrap();
    let cut = text.find("<SbsLotNumber>").unwrap() + "<SbsLotNumber>2075".len();
    std::fs::write(&p, &text[..cut]).unwrap();
    let e = err(tmp.path());
    assert!(
        e.contains("RunParameters.xml")
            && e.contains("element <SbsLotNumber>, line 39")
            && e.contains("cut off"),
        "{e}"
    );
    // Cut inside a tag name.
    std::fs::write(&p, &text[..text.find("<RtaVersion>").unwrap() + 5]).unwrap();
    let e = err(&p);
    assert!(
        e.contains("RunParameters.xml") && e.contains("line 15"),
        "{e}"
    );
}

#[test]
fn truncated_xml_files_name_file_and_element() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture(
        "qc/tapestation/agilent_tapestation_analysis_example_01.xml",
    ))
    .unwrap();
    let p = tmp.path().join("tape.xml");
    std::fs::write(&p, &text[..text.find("<RINe>8.8").unwrap()]).unwrap();
    let e = Registry::builtin()
        .parse(&p, Some("tapestation"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("tape.xml") && e.contains("element <RNA>") && e.contains("cut off"),
        "{e}"
    );
    let status = tmp.path().join("RunCompletionStatus.xml");
    std::fs::write(&status, "<RunCompletionStatus><RunStatus>RunComp").unwrap();
    let e = err(&status);
    assert!(
        e.contains("RunCompletionStatus.xml") && e.contains("element <RunStatus>"),
        "{e}"
    );
}

#[test]
fn duplicate_sample_ids_in_a_run_folder_name_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    copy_run("illumina/170517_ST-E00266_0210_BHJCFFALXX", tmp.path());
    let sheet = tmp.path().join("SampleSheet.csv");
    let mut text = std::fs::read_to_string(&sheet).unwrap();
    text.push_str("8,ACC2597A1,GGGGGGGG,Y151;I8;Y151,1\n");
    std::fs::write(&sheet, text).unwrap();
    let e = err(tmp.path());
    assert!(
        e.contains("SampleSheet.csv")
            && e.contains("line 25")
            && e.contains("duplicate Sample_ID \"ACC2597A1\" in lane 8"),
        "{e}"
    );
}

#[test]
fn csv_in_a_wrong_encoding() {
    let tmp = tempfile::tempdir().unwrap();
    let utf8 =
        std::fs::read_to_string(fixture("qc/qubit/thermo_fisher_qubit4_example_1.csv")).unwrap();
    // Latin-1: µ and ® as single bytes.
    let latin1: Vec<u8> = utf8.chars().map(|c| c as u32 as u8).collect();
    let p = tmp.path().join("qubit.csv");
    std::fs::write(&p, &latin1).unwrap();
    let e = Registry::builtin()
        .parse(&p, Some("qubit"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("qubit.csv") && e.contains("line 1") && e.contains("0xAE is not UTF-8"),
        "{e}"
    );
    // UTF-16 without a byte order mark.
    let utf16: Vec<u8> = utf8.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    std::fs::write(&p, &utf16).unwrap();
    let e = Registry::builtin()
        .parse(&p, Some("qubit"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("UTF-16 without a byte order mark"), "{e}");
    // With the mark it is unambiguous, and reads like the UTF-8 file.
    std::fs::write(&p, [&[0xFF, 0xFE][..], &utf16].concat()).unwrap();
    let t = Registry::builtin().parse(&p, None).unwrap().tree;
    assert_eq!(
        lookup(&t, "samples[].tube_concentration"),
        [&json!(30.4), &json!(560)]
    );
}

#[test]
fn empty_files_are_errors_for_every_connector() {
    let tmp = tempfile::tempdir().unwrap();
    let reg = Registry::builtin();
    for name in reg.names() {
        if name == "illumina-run-folder" || name == "vcf" {
            continue;
        }
        let p = tmp.path().join(format!("{name}.empty"));
        std::fs::write(&p, "").unwrap();
        let e = reg.parse(&p, Some(name)).unwrap_err().to_string();
        assert!(
            e.contains(&format!("{name}.empty")) && e.contains("empty file"),
            "{name}: {e}"
        );
    }
    let run = tmp.path().join("run");
    std::fs::create_dir(&run).unwrap();
    std::fs::write(run.join("RunInfo.xml"), "").unwrap();
    let e = reg.parse(&run, None).unwrap_err().to_string();
    assert!(e.contains("RunInfo.xml") && e.contains("empty file"), "{e}");
}

#[test]
fn unknown_files_and_formats_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("notes.bin");
    std::fs::write(&p, "hello").unwrap();
    let e = err(&p);
    assert!(
        e.contains("notes.bin") && e.contains("unknown format; use --format"),
        "{e}"
    );
    let e = Registry::builtin()
        .parse(&p, Some("nope"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown format \"nope\"") && e.contains("quantstudio"),
        "{e}"
    );
}

#[test]
fn v2_sheet_keeps_other_application_sections() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("SampleSheet.csv");
    std::fs::write(&p, "[Header]\nFileFormatVersion,2\n[BCLConvert_Settings]\nSoftwareVersion,4.1.7\n[BCLConvert_Data]\nSample_ID,Index\nS1,AAAA\nS2,CCCC\n[DragenGermline_Settings]\nSoftwareVersion,4.2.4\n[DragenGermline_Data]\nSample_ID,ReferenceGenomeDir\nS1,hg38\n[Cloud_Data]\nSample_ID,ProjectName\nS1,Panel-7\n").unwrap();
    let t = parse(&p).tree;
    assert_eq!(
        one(
            &t,
            "sample_sheet.sections.DragenGermline_Settings.SoftwareVersion"
        ),
        "4.2.4"
    );
    assert_eq!(
        one(
            &t,
            "sample_sheet.sections.DragenGermline_Data[].reference_genome_dir"
        ),
        "hg38"
    );
    assert_eq!(
        one(&t, "sample_sheet.sections.Cloud_Data[].project_name"),
        "Panel-7"
    );
    assert!(lookup(&t, "sample_sheet.sections.BCLConvert_Data").is_empty());
    assert_eq!(
        lookup(&t, "samples[].sample_id"),
        [&json!("S1"), &json!("S2")]
    );
    assert_eq!(lookup(&t, "samples[].lane"), [&Value::Null, &Value::Null]);
}
