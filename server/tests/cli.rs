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
    rt.block_on(async {
        let store = engine::store::Store::open(&url).await.unwrap();
        for i in 0..3 {
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
    });
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
