//! `genobridge audit export` as an inspector runs it, on SQLite and PostgreSQL, re-checked
//! by the README's script (scripts/audit_recheck.py, Python's standard library only): a
//! whole chain and one sample's events pass; a changed byte is named even when the file
//! hashes in the manifest were rewritten to match, and a changed file is named by the
//! manifest.

mod common;

use common::{fleet::TestDatabase, manifest_dir};
use engine::store::{NewAuditEvent, Store};
use serde_json::{json, Value};
use std::{path::Path, process::Command};

fn recheck(dir: &Path) -> (bool, String) {
    let out = Command::new("python3")
        .arg(manifest_dir().join("../scripts/audit_recheck.py"))
        .arg(dir)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn export(url: &str, out: &Path, extra: &[&str]) -> String {
    let run = Command::new(env!("CARGO_BIN_EXE_genobridge"))
        .args(["audit", "export", "--database-url", url, "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8_lossy(&run.stdout).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn exports_recheck_independently_and_tampering_is_named() {
    for backend in ["sqlite", "postgres"] {
        let tmp = tempfile::tempdir().unwrap();
        let db = TestDatabase::new(backend, tmp.path(), "export").await;
        let store = Store::open(&db.url).await.unwrap();
        // Details with what a JSON writer could disagree on: non-ASCII, quotes, control
        // characters, nested objects, numbers.
        for (i, sample) in ["S1", "S2", "S1", "S3", "S1"].iter().enumerate() {
            let detail = json!({
                "accession": format!("ACC-{i}"), "note": "Ünïcødé \"quoted\" line\nbreak\ttab \u{1}",
                "n": i, "nested": { "x": [1.5, null, true] },
            });
            let ev = NewAuditEvent::system("report.created", "sample", sample, detail);
            store.append_audit(ev).await.unwrap();
        }
        let whole = tmp.path().join("whole");
        assert!(export(&db.url, &whole, &[]).starts_with("exported 5 events (ids 1–5)"));
        let (ok, said) = recheck(&whole);
        assert!(ok, "{backend}: {said}");
        assert!(said.contains("every link checked"), "{said}");

        let one = tmp.path().join("s1");
        export(&db.url, &one, &["--sample", "S1"]);
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(one.join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(
            (
                manifest["events"].as_u64(),
                manifest["contiguous"].as_bool()
            ),
            (Some(3), Some(false))
        );
        let (ok, said) = recheck(&one);
        assert!(ok, "{backend}: {said}");
        // The export itself is audited (after the first two exports: events 6 and 7).
        let after: Vec<_> = store.recent_audit(2).await.unwrap();
        assert!(after.iter().all(|e| e.action == "audit.exported"));

        // One byte changed in an event: the file no longer matches the manifest.
        let path = whole.join("events.json");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("ACC-2", "ACC-7", 1)).unwrap();
        let (ok, said) = recheck(&whole);
        assert!(!ok && said.contains("events.json: SHA-256"), "{said}");
        // The tamperer rewrites the manifest's file hash too: the event's own hash names it.
        let mut m: Value =
            serde_json::from_str(&std::fs::read_to_string(whole.join("manifest.json")).unwrap())
                .unwrap();
        let sum = Command::new("sha256sum").arg(&path).output().unwrap();
        let sha = String::from_utf8_lossy(&sum.stdout)
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        m["files"]["events.json"] = Value::String(sha);
        std::fs::write(whole.join("manifest.json"), m.to_string()).unwrap();
        let (ok, said) = recheck(&whole);
        assert!(
            !ok && said.contains("event 3: its content hashes to"),
            "{backend}: {said}"
        );
        drop(store);
        db.drop().await;
    }
}
