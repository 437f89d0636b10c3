//! The CLI contract, run as a user would: the real binary, real files, exit codes.
use std::path::PathBuf;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_genobridge"))
}

fn fixture(rel: &str) -> PathBuf {
    std::env::var_os("GENOBRIDGE_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures"))
        .join(rel)
}

/// Appends `n` audit events to the database at `url`.
async fn audit_events(url: &str, n: usize) {
    let store = engine::store::Store::open(url).await.unwrap();
    for i in 0..n {
        store
            .append_audit(engine::store::NewAuditEvent::system(
                "t",
                "run",
                &i.to_string(),
                serde_json::json!({}),
            ))
            .await
            .unwrap();
    }
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn parse_prints_the_run_as_json() {
    let (code, out, _) = run(bin()
        .arg("parse")
        .arg(fixture("illumina/20231108_LH00188_0028_B22F52TLT3")));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["run"]["flowcell_id"], "22F52TLT3");
    assert_eq!(v["run"]["platform"], "NovaSeq X");
    assert_eq!(v["completion"]["state"], "complete");
}

#[test]
fn bad_input_names_the_file_and_exits_non_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("cut.vcf");
    std::fs::write(&bad, "##fileformat=VCFv4.2\n").unwrap();
    let (code, out, err) = run(bin().args(["convert", "--to", "lri"]).arg(&bad));
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert!(err.contains("cut.vcf") && err.contains("line 2"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let (code, _, err) = run(bin().arg("parse").arg(tmp.path().join("nothing.here")));
    assert_ne!(code, 0);
    assert!(err.contains("nothing.here"), "{err}");
}

#[test]
fn convert_reports_rejected_records_with_their_lines() {
    let (code, out, err) = run(bin()
        .args(["convert", "--to", "lri", "--assembly", "GRCh37"])
        .arg(fixture("vcf/vcf_example1.vcf")));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("MSH|^~\\&|"));
    assert!(
        err.contains("line 12: rejected: ALT \"<CGA_CNVWIN>\""),
        "{err}"
    );
    assert!(!out.contains("CGA_CNVWIN"));
}

#[test]
fn convert_to_fhir_gives_a_transaction_bundle() {
    let (code, out, err) = run(bin()
        .args(["convert", "--to", "fhir"])
        .arg(fixture("vcf/NB6TK328_filtered.vcf")));
    assert_eq!(code, 0, "{err}");
    let b: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(b["type"], "transaction");
    let entries = b["entry"].as_array().unwrap();
    let variants = entries
        .iter()
        .filter(|e| e["resource"]["code"]["coding"][0]["code"] == "69548-6")
        .count();
    assert_eq!(variants, 5);
    assert!(entries
        .iter()
        .all(|e| e["fullUrl"].as_str().unwrap().starts_with("urn:uuid:")));
}

#[test]
fn audit_verify_exits_one_naming_the_broken_event() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("gb.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(audit_events(&url, 3));
    let (code, out, _) = run(bin().args(["audit", "verify", "--database-url", &url]));
    assert_eq!(code, 0);
    assert!(out.contains("intact: 3 events"), "{out}");
    rt.block_on(async {
        let store = engine::store::Store::open(&url).await.unwrap();
        if let engine::store::Db::Sqlite(p) = store.db() {
            sqlx::query("DROP TRIGGER audit_events_no_update")
                .execute(p)
                .await
                .unwrap();
            sqlx::query("UPDATE audit_events SET actor = 'user:mallory' WHERE id = 2")
                .execute(p)
                .await
                .unwrap();
        }
    });
    let (code, out, _) = run(bin().args(["audit", "verify", "--database-url", &url]));
    assert_eq!(code, 1);
    assert!(out.contains("broken at event 2"), "{out}");
}

#[test]
fn parse_covers_qc_exports_with_schema_and_forced_format() {
    let (code, out, err) = run(bin()
        .arg("parse")
        .arg(fixture("qc/quantstudio/appbio_quantstudio_example01.txt")));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["format"], "quantstudio");
    assert_eq!(v["wells"][0]["ct"], 18.717);
    let (code, out, _) = run(bin().args(["parse", "--schema"]).arg(fixture(
        "qc/tapestation/agilent_tapestation_analysis_example_01.xml",
    )));
    assert_eq!(code, 0);
    let fields: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let rin = fields
        .iter()
        .find(|f| f["path"] == "samples[].rin")
        .unwrap();
    assert_eq!(
        (&rin["ty"], &rin["example"]),
        (&"number".into(), &8.6.into())
    );
    // Warnings go to stderr; the tree still prints.
    let (code, out, err) = run(bin()
        .args(["parse", "--format", "quantstudio"])
        .arg(fixture(
            "qc/quantstudio/appbio_quantstudio_minimal_missing_results.txt",
        )));
    assert_eq!(code, 0);
    assert!(
        err.contains("warning:") && err.contains("well 2 (A2)"),
        "{err}"
    );
    assert!(out.contains("wells_without_results"));
}

#[test]
fn parse_bad_encoding_names_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("latin1.csv");
    std::fs::write(
        &p,
        b"Run ID,Assay Name,Qubit tube conc.\n2023-12-12,dsDNA,5 \xB5g\n",
    )
    .unwrap();
    let (code, out, err) = run(bin().args(["parse", "--format", "qubit"]).arg(&p));
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert!(
        err.contains("latin1.csv") && err.contains("line 2") && err.contains("not UTF-8"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn parse_uses_delimited_formats_from_the_config() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("lab.toml");
    std::fs::write(
        &cfg,
        r#"
[watch]
runs_dir = "runs"
vcf_dir = "vcf"

[[connectors.delimited]]
name = "plate-reader"
file_glob = "*.plate.csv"
records = "wells"
required_columns = ["Well"]
columns = [
  { header = "Well", key = "well" },
  { header = "OD600", key = "od600", type = "number" },
]
"#,
    )
    .unwrap();
    let data = tmp.path().join("run1.plate.csv");
    std::fs::write(&data, "Well,OD600\nA1,0.412\nA2,0.398\n").unwrap();
    let (code, out, err) = run(bin().args(["parse", "--config"]).arg(&cfg).arg(&data));
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["format"], "plate-reader");
    assert_eq!(v["wells"][1]["od600"], 0.398);
}

#[test]
fn mapping_list_shows_the_defaults_and_an_export_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("gb.db").display());
    let (code, out, err) = run(bin().args(["mapping", "list", "--database-url", &url]));
    assert_eq!(code, 0, "{err}");
    for name in ["vcf-report", "illumina-run-to-lims", "quantstudio-to-lims"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{name}\t1\tactive\t"))),
            "{out}"
        );
    }
    let (code, file, err) =
        run(bin().args(["mapping", "export", "vcf-report", "--database-url", &url]));
    assert_eq!(code, 0, "{err}");
    assert!(
        file.starts_with("# mapping: vcf-report\n# version: 1\n# state: active\n"),
        "{file}"
    );
    // The same bytes every time.
    let (_, again, _) =
        run(bin().args(["mapping", "export", "vcf-report", "--database-url", &url]));
    assert_eq!(file, again);
    let path = tmp.path().join("vcf-report.toml");
    std::fs::write(&path, &file).unwrap();
    let (code, out, err) = run(bin().args(["mapping", "validate"]).arg(&path));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("ok: mapping \"vcf-report\""), "{out}");

    // A bad file: `error: …` naming the file and the rule, and a non-zero exit.
    let bad = tmp.path().join("bad.toml");
    std::fs::write(&bad, file.replace("48018-6", "99999-9")).unwrap();
    let (code, _, err) = run(bin().args(["mapping", "validate"]).arg(&bad));
    assert_ne!(code, 0);
    assert!(
        err.starts_with("error: ") && err.contains("bad.toml") && err.contains("99999-9"),
        "{err}"
    );

    // No user, no action; the targets need no database.
    let (code, _, err) = run(bin()
        .args([
            "mapping",
            "activate",
            "vcf-report",
            "1",
            "--user",
            "nobody",
            "--database-url",
            &url,
        ])
        .env("GENOBRIDGE_PASSWORD", "x"));
    assert_ne!(code, 0);
    assert!(err.starts_with("error: "), "{err}");
    let (code, out, _) = run(bin().args(["mapping", "targets", "gene"]));
    assert_eq!(code, 0);
    assert!(out.contains("48018-6"), "{out}");
}

/// Import, submit, approve and activate from the command line, as a CI pipeline would.
#[test]
fn a_mapping_goes_from_file_to_active_on_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("gb.db").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use engine::store::{Role, Store};
        let store = Store::open(&url).await.unwrap();
        store
            .create_user("eng", "eng-pw", Role::Engineer)
            .await
            .unwrap();
        store
            .create_user("dr", "dr-pw", Role::Director)
            .await
            .unwrap();
        store
            .set_full_name("dr", "Dr. Rosalind Franklin")
            .await
            .unwrap();
    });
    let db = ["--database-url", url.as_str()];
    let (_, file, _) = run(bin().args(["mapping", "export", "vcf-report"]).args(db));
    let edited = file
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
        .replace(
            "sources = [\"ann\", \"csq\"]",
            "sources = [\"csq\", \"ann\"]",
        );
    let path = tmp.path().join("vep.toml");
    std::fs::write(&path, &edited).unwrap();
    let (code, out, err) = run(bin()
        .args(["mapping", "import", "--user", "eng"])
        .arg(&path)
        .args(db)
        .env("GENOBRIDGE_PASSWORD", "eng-pw"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("vcf-report v2: new draft"), "{out}");
    let (code, out, _) = run(bin()
        .args(["mapping", "diff", "vcf-report@1", "vcf-report@2"])
        .args(db));
    assert_eq!(code, 0);
    assert!(out.contains("~ transcript"), "{out}");
    // The director signs with the password on stdin; the engineer may not activate.
    let (code, _, err) = run(bin()
        .args(["mapping", "submit", "vcf-report", "2", "--user", "eng"])
        .args(db)
        .env("GENOBRIDGE_PASSWORD", "eng-pw"));
    assert_eq!(code, 0, "{err}");
    let approve = |password: &str| {
        use std::io::Write;
        let mut child = bin()
            .args(["mapping", "approve", "vcf-report", "2", "--user", "dr"])
            .args(db)
            .env_remove("GENOBRIDGE_PASSWORD")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, _, err) = approve("wrong");
    assert_ne!(code, 0);
    assert!(err.contains("password is wrong"), "{err}");
    let (code, out, err) = approve("dr-pw");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("signature: Dr. Rosalind Franklin (dr), ")
            && out.contains("approved for clinical use"),
        "{out}"
    );
    let (code, _, err) = run(bin()
        .args(["mapping", "activate", "vcf-report", "2", "--user", "eng"])
        .args(db)
        .env("GENOBRIDGE_PASSWORD", "eng-pw"));
    assert_ne!(code, 0);
    assert!(err.contains("only the director or admin role"), "{err}");
    let (code, _, err) = run(bin()
        .args(["mapping", "activate", "vcf-report", "2", "--user", "dr"])
        .args(db)
        .env("GENOBRIDGE_PASSWORD", "dr-pw"));
    assert_eq!(code, 0, "{err}");
    let (_, out, _) = run(bin().args(["mapping", "list", "vcf-report"]).args(db));
    assert!(
        out.contains("vcf-report\t1\tapproved\t") && out.contains("vcf-report\t2\tactive\t"),
        "{out}"
    );
    let (_, out, _) = run(bin().args(["mapping", "export", "vcf-report"]).args(db));
    assert!(
        out.contains("# signature: Dr. Rosalind Franklin (dr), "),
        "{out}"
    );
    let (code, out, _) = run(bin().args(["audit", "verify"]).args(db));
    assert_eq!(code, 0, "{out}");
}

/// The per-variant tree a report mapping reads is what `parse --schema` prints for a VCF,
/// and `convert --mapping` converts with an edited mapping file, no code change.
#[test]
fn a_vcf_schema_lists_mapping_paths_and_convert_takes_a_mapping_file() {
    let vcf = fixture("vcf/NB6TK328_filtered.vcf");
    let (code, out, err) = run(bin().args(["parse", "--schema"]).arg(&vcf));
    assert_eq!(code, 0, "{err}");
    let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
    let paths: Vec<&str> = schema
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    for p in [
        "variant.pos",
        "ann[].gene_name",
        "ann[].hgvs_c",
        "sample.GT",
        "info.CLNSIG",
    ] {
        assert!(paths.contains(&p), "{p} in {paths:?}");
    }

    let dir = tempfile::tempdir().unwrap();
    let (code, exported, err) = run(bin()
        .args(["mapping", "export", "vcf-report", "--database-url"])
        .arg(format!("sqlite://{}", dir.path().join("gb.db").display())));
    assert_eq!(code, 0, "{err}");
    let edited = dir.path().join("two-decimals.toml");
    std::fs::write(
        &edited,
        exported.replace("round = { decimals = 3 }", "round = { decimals = 2 }"),
    )
    .unwrap();
    let (code, oru, err) = run(bin()
        .args(["convert", "--to", "lri", "--mapping"])
        .arg(&edited)
        .arg(&vcf));
    assert_eq!(code, 0, "{err}");
    let af: Vec<&str> = oru.lines().filter(|l| l.contains("|81258-6^")).collect();
    assert!(
        !af.is_empty()
            && af.iter().all(|l| l.contains("|0.57|")
                || l.contains("|1.00|")
                || l.contains("|0.97|")
                || l.contains("|0.33|")),
        "{af:?}"
    );
    let (code, _, err) = run(bin()
        .args(["convert", "--to", "lri", "--mapping"])
        .arg(dir.path().join("missing.toml"))
        .arg(&vcf));
    assert_ne!(code, 0);
    assert!(err.contains("missing.toml"), "{err}");
}

/// The regression set from the command line: a golden sample taken from the active
/// version blocks submitting a draft whose output differs, until someone promotes the new
/// output; a retired version is never activated again.
#[test]
fn golden_samples_gate_submission_and_retired_versions_stay_retired() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("gb.db").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use engine::store::{Role, Store};
        let store = Store::open(&url).await.unwrap();
        store
            .create_user("eng", "eng-pw", Role::Engineer)
            .await
            .unwrap();
        store
            .create_user("dr", "dr-pw", Role::Director)
            .await
            .unwrap();
    });
    let db = ["--database-url", url.as_str()];
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../engine/tests/fixtures/vcf/both_annotators.vcf");
    let as_user = |args: &[&str], user: &str| {
        run(bin()
            .args(["mapping"])
            .args(args)
            .args(["--user", user])
            .args(db)
            .env("GENOBRIDGE_PASSWORD", format!("{user}-pw")))
    };
    // A sample the mapping gives no output for would let every later version pass.
    let plate = fixture("qc/quantstudio/appbio_quantstudio_minimal_missing_results.txt");
    let (code, _, err) = as_user(
        &[
            "golden-add",
            "quantstudio-to-lims",
            plate.to_str().unwrap(),
            "--label",
            "plate",
        ],
        "eng",
    );
    assert_ne!(code, 0);
    assert!(
        err.contains("appbio_quantstudio_minimal_missing_results.txt")
            && err.contains("gives no output")
            && err.contains("required identifier is missing"),
        "{err}"
    );
    let (code, out, err) = as_user(
        &[
            "golden-add",
            "vcf-report",
            sample.to_str().unwrap(),
            "--label",
            "both annotators",
        ],
        "eng",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("golden sample \"both annotators\" added"),
        "{out}"
    );
    let (_, out, _) = run(bin().args(["mapping", "show", "vcf-report"]).args(db));
    assert!(
        out.contains("golden sample: \"both annotators\" (both_annotators.vcf)"),
        "{out}"
    );

    // VEP before SnpEff changes the report of a file with both: submitting is refused.
    let (_, file, _) = run(bin().args(["mapping", "export", "vcf-report"]).args(db));
    let edited = file
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
        .replace(
            "sources = [\"ann\", \"csq\"]",
            "sources = [\"csq\", \"ann\"]",
        );
    let path = tmp.path().join("vep.toml");
    std::fs::write(&path, &edited).unwrap();
    let (code, _, err) = as_user(&["import", path.to_str().unwrap()], "eng");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = as_user(&["submit", "vcf-report", "2"], "eng");
    assert_ne!(code, 0);
    assert!(
        err.contains("golden samples differ") && err.contains("both annotators"),
        "{err}"
    );
    // Promoting v2's output makes it the expected one, and says what changed.
    let (code, out, err) = as_user(
        &[
            "golden-promote",
            "vcf-report",
            "2",
            "--label",
            "both annotators",
        ],
        "eng",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("fields changed") && !out.contains("(0 fields"),
        "{out}"
    );
    assert!(out.contains("LRI OBX"), "{out}");
    let (code, _, err) = as_user(&["submit", "vcf-report", "2"], "eng");
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = as_user(&["approve", "vcf-report", "2"], "dr");
    assert_eq!(code, 0, "{err}");

    // Retired: never by an engineer, never the active version, never activated again.
    let (code, _, _) = as_user(&["retire", "vcf-report", "2"], "eng");
    assert_ne!(code, 0);
    let (code, _, err) = as_user(&["retire", "vcf-report", "1"], "dr");
    assert_ne!(code, 0);
    assert!(err.contains("active"), "{err}");
    let (code, out, err) = as_user(&["retire", "vcf-report", "2"], "dr");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("vcf-report v2: retired"), "{out}");
    let (code, _, err) = as_user(&["activate", "vcf-report", "2"], "dr");
    assert_ne!(code, 0);
    assert!(err.contains("retired"), "{err}");
    let (code, out, _) = run(bin().args(["audit", "verify"]).args(db));
    assert_eq!(code, 0, "{out}");
}

/// `bench mllp` runs end to end on a few messages and prints a row per measurement, ours
/// beside the python-hl7 peer's (figures, not assertions on speed).
#[test]
fn bench_mllp_prints_ours_beside_the_peer() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = run(bin()
        .current_dir(&root)
        .args(["bench", "mllp", "--messages", "30", "--fixtures"])
        .arg(fixture(""))
        .arg("--dir")
        .arg(tmp.path()));
    assert_eq!(code, 0, "{out}\n{err}");
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("ORM^O01") || l.contains("ORU^R01"))
        .collect();
    assert_eq!(rows.len(), 5, "{out}");
    for want in [
        "python-hl7 server (nothing stored)",
        "python-hl7 client (nothing stored)",
    ] {
        assert!(rows.iter().any(|r| r.contains(want)), "{want}: {out}");
    }
    let ours = rows.iter().filter(|r| r.contains("genobridge")).count();
    assert_eq!(ours, 3, "{out}");
    for r in rows {
        let rate: f64 = r.split_whitespace().rev().nth(2).unwrap().parse().unwrap();
        assert!(rate > 0.0, "{r}");
    }
}

#[test]
fn a_bad_alert_rule_or_a_missing_retention_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("genobridge.toml");
    let base = format!(
        "database_url = \"sqlite://{}\"\n[watch]\nruns_dir = \"{}\"\nvcf_dir = \"{}\"\n",
        tmp.path().join("gb.db").display(),
        tmp.path().display(),
        tmp.path().display()
    );
    std::fs::write(
        &config,
        format!("{base}[[alerts.rules]]\nname = \"ehr-down\"\nwhen = \"destination_failing\"\nqueue = \"lri\"\n"),
    )
    .unwrap();
    for command in ["serve", "prune"] {
        let (code, _, err) = run(bin().args([command, "--config"]).arg(&config));
        assert_ne!(code, 0);
        assert!(
            err.contains("alerts.rules \"ehr-down\": `when = \"destination_failing\"` needs `for`"),
            "{command}: {err}"
        );
    }
    std::fs::write(&config, &base).unwrap();
    let (code, _, err) = run(bin().args(["prune", "--config"]).arg(&config));
    assert_ne!(code, 0);
    assert!(err.contains("no [retention] table"), "{err}");
}

#[test]
fn audit_anchor_then_a_cut_tail_fails_verify_against_the_anchor_file() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("gb.db");
    let url = format!("sqlite://{}", db.display());
    let anchors = tmp.path().join("outside").join("anchors.jsonl");
    std::fs::create_dir_all(anchors.parent().unwrap()).unwrap();
    let config = tmp.path().join("genobridge.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"{url}\"\n[watch]\nruns_dir = \"{d}\"\nvcf_dir = \"{d}\"\n[audit]\nanchor_file = \"{a}\"\n",
            d = tmp.path().display(),
            a = anchors.display()
        ),
    )
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(audit_events(&url, 5));
    let (code, out, err) = run(bin().args(["audit", "anchor", "--config"]).arg(&config));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("anchored event 5 "), "{out}");
    let (code, out, _) = run(bin().args(["audit", "verify", "--config"]).arg(&config));
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("intact: 5 events, 2 anchors matched (with "),
        "{out}"
    );
    // A DBA cuts the last two events and the anchors table's rows.
    rt.block_on(async {
        let store = engine::store::Store::open(&url).await.unwrap();
        if let engine::store::Db::Sqlite(p) = store.db() {
            for sql in [
                "DROP TRIGGER audit_events_no_delete",
                "DROP TRIGGER audit_anchors_no_delete",
                "DELETE FROM audit_events WHERE id > 3",
                "DELETE FROM audit_anchors",
            ] {
                sqlx::query(sql).execute(p).await.unwrap();
            }
        }
    });
    let (code, out, _) = run(bin().args(["audit", "verify", "--config"]).arg(&config));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("broken at event 5"), "{out}");
    assert!(out.contains("removed from the end"), "{out}");
}

#[test]
fn bench_search_prints_each_query_beside_the_sqlite3_peer() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, out, err) = run(bin()
        .args([
            "bench",
            "search",
            "--messages",
            "400",
            "--mllp-python",
            "python3",
            "--dir",
        ])
        .arg(tmp.path()));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("seeded 400 messages"), "{out}");
    for query in ["newest page", "MRN", "patient name", "deep page"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(query))
            .unwrap_or_else(|| panic!("{query}: {out}"));
        // Ours, then the peer's p50 / p95 (a dash would mean the peer did not run).
        assert!(
            line.split('|').nth(1).is_some_and(|p| p.contains(" / ")),
            "{line}"
        );
    }
}
