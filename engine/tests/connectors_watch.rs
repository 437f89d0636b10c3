//! The watcher with the connectors, on SQLite and PostgreSQL: QC exports recorded exactly
//! once across restarts, files still growing left alone, run folders written in stages,
//! and bad input quarantined once with a copy kept.
mod common;
use common::{config, fixture, TestDb};
use engine::{config::Config, pipeline::Engine, store::Store};
use std::{path::Path, time::Duration};

async fn actions(store: &Store, kind: &str, id: &str, action: &str) -> usize {
    store
        .audit_for(kind, id)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == action)
        .count()
}

fn setup(root: &Path) -> Config {
    let cfg = config(root, 1);
    for d in [
        &cfg.watch.runs_dir,
        &cfg.watch.vcf_dir,
        cfg.watch.qc_dir.as_ref().unwrap(),
    ] {
        std::fs::create_dir_all(d).unwrap();
    }
    cfg
}

#[tokio::test]
async fn qc_exports_are_recorded_once_across_restarts() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = setup(tmp.path());
        let qc = cfg.watch.qc_dir.clone().unwrap();
        for f in [
            "quantstudio/appbio_quantstudio_example01.txt",
            "quantstudio/appbio_quantstudio_minimal_missing_results.txt",
            "tapestation/agilent_tapestation_analysis_example_01.xml",
            "qubit/thermo_fisher_qubit4_example_1.csv",
        ] {
            let src = fixture(&format!("qc/{f}"));
            std::fs::copy(&src, qc.join(src.file_name().unwrap())).unwrap();
        }
        // A truncated TapeStation export: quarantined, not dropped.
        let tape = std::fs::read_to_string(fixture(
            "qc/tapestation/agilent_tapestation_analysis_example_03.xml",
        ))
        .unwrap();
        std::fs::write(qc.join("cut_tapestation.xml"), &tape[..2000]).unwrap();
        let engine = Engine::new(db.store.clone(), cfg.clone());
        engine.scan_once(&mut Default::default()).await;
        let files = db.store.list_instrument_files().await.unwrap();
        let mut got: Vec<(String, String)> = files
            .iter()
            .map(|f| (f.connector.clone(), f.status.clone()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("quantstudio".into(), "recorded".into()),
                ("quantstudio".into(), "recorded".into()),
                ("qubit".into(), "recorded".into()),
                ("tapestation".into(), "quarantined".into()),
                ("tapestation".into(), "recorded".into()),
            ],
            "{}",
            db.backend
        );
        let qubit = files.iter().find(|f| f.connector == "qubit").unwrap();
        let tree: serde_json::Value =
            serde_json::from_str(qubit.record_json.as_deref().unwrap()).unwrap();
        assert_eq!(tree["samples"][1]["tube_concentration"], 560);
        let missing = files
            .iter()
            .find(|f| f.path.ends_with("missing_results.txt"))
            .unwrap();
        assert!(
            missing.warnings_json.contains("well 2 (A2)"),
            "{}",
            missing.warnings_json
        );
        // The quarantined file is listed with its reason, and its bytes are kept.
        let q = db.store.list_quarantine().await.unwrap();
        assert_eq!(q.len(), 1);
        assert!(
            q[0].source.ends_with("cut_tapestation.xml") && q[0].reason.contains("cut off"),
            "{:?}",
            q[0]
        );
        let kept = cfg
            .data_dir
            .join("quarantine")
            .join(q[0].id.to_string())
            .join("cut_tapestation.xml");
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), &tape[..2000]);
        let qubit_path = qc
            .join("thermo_fisher_qubit4_example_1.csv")
            .display()
            .to_string();
        assert_eq!(
            actions(&db.store, "file", &qubit_path, "qc.recorded").await,
            1
        );
        // A restarted engine (fresh memory) on the same database takes nothing again.
        let engine2 = Engine::new(db.store.clone(), cfg.clone());
        engine2.scan_once(&mut Default::default()).await;
        assert_eq!(
            db.store.list_instrument_files().await.unwrap().len(),
            5,
            "{}",
            db.backend
        );
        assert_eq!(db.store.list_quarantine().await.unwrap().len(), 1);
        assert_eq!(
            actions(&db.store, "file", &qubit_path, "qc.recorded").await,
            1
        );
        // New content under the same name is a new result.
        std::fs::write(
            qc.join("thermo_fisher_qubit4_example_1.csv"),
            std::fs::read_to_string(fixture("qc/qubit/thermo_fisher_qubit4_example_1.csv"))
                .unwrap()
                .replace("30.4", "31.0"),
        )
        .unwrap();
        engine2.scan_once(&mut Default::default()).await;
        assert_eq!(
            actions(&db.store, "file", &qubit_path, "qc.recorded").await,
            2
        );
        assert!(matches!(
            db.store.verify_audit().await.unwrap(),
            engine::store::AuditVerification::Intact { .. }
        ));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_qc_file_still_growing_is_read_only_once_settled() {
    let db = TestDb::sqlite().await;
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = setup(tmp.path());
    cfg.watch.settle_ms = 400;
    let p = cfg.watch.qc_dir.as_ref().unwrap().join("qubit.csv");
    let full =
        std::fs::read_to_string(fixture("qc/qubit/thermo_fisher_qubit4_example_1.csv")).unwrap();
    let half = full.find('\n').unwrap() + 40;
    std::fs::write(&p, &full[..half]).unwrap();
    let engine = Engine::new(db.store.clone(), cfg);
    let mut state = Default::default();
    engine.scan_once(&mut state).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    std::fs::write(&p, &full).unwrap(); // the copy goes on
    engine.scan_once(&mut state).await;
    assert!(
        db.store.list_instrument_files().await.unwrap().is_empty(),
        "read while growing"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    engine.scan_once(&mut state).await;
    let files = db.store.list_instrument_files().await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].status, "recorded");
    let tree: serde_json::Value =
        serde_json::from_str(files[0].record_json.as_deref().unwrap()).unwrap();
    assert_eq!(tree["samples"].as_array().unwrap().len(), 2);
    assert!(db.store.list_quarantine().await.unwrap().is_empty());
}

fn stage(src: &Path, dst: &Path, files: &[&str]) {
    for f in files {
        std::fs::copy(src.join(f), dst.join(f)).unwrap();
    }
}

#[tokio::test]
async fn run_folders_in_stages_failed_and_bad_each_handled_once_across_restarts() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = setup(tmp.path());
        let runs = &cfg.watch.runs_dir;
        // A NovaSeq 6000 run written in stages.
        let src = fixture("illumina/230912_A00187_1009_AHK33MDRX3");
        let good = runs.join("230912_A00187_1009_AHK33MDRX3");
        std::fs::create_dir(&good).unwrap();
        stage(&src, &good, &["RunParameters.xml"]);
        // A NovaSeq X run the instrument stopped.
        let xsrc = fixture("illumina/20231108_LH00188_0028_B22F52TLT3");
        let stopped = runs.join("20231108_LH00188_0028_B22F52TLT3");
        std::fs::create_dir(&stopped).unwrap();
        stage(
            &xsrc,
            &stopped,
            &[
                "RunInfo.xml",
                "RunParameters.xml",
                "RTAComplete.txt",
                "CopyComplete.txt",
            ],
        );
        std::fs::write(
            stopped.join("RunCompletionStatus.xml"),
            "<RunCompletionStatus><RunStatus>RunStopped</RunStatus></RunCompletionStatus>",
        )
        .unwrap();
        // A HiSeq X run whose runParameters.xml was cut off mid-element.
        let hsrc = fixture("illumina/170517_ST-E00266_0210_BHJCFFALXX");
        let bad = runs.join("170517_ST-E00266_0210_BHJCFFALXX");
        std::fs::create_dir(&bad).unwrap();
        stage(
            &hsrc,
            &bad,
            &["RunInfo.xml", "SampleSheet.csv", "CopyComplete.txt"],
        );
        let rp = std::fs::read_to_string(hsrc.join("runParameters.xml")).unwrap();
        let cut = rp.find("<RTAVersion>").unwrap() + 14;
        std::fs::write(bad.join("runParameters.xml"), &rp[..cut]).unwrap();
        // The unfinished fixture, as it is.
        let unfinished = runs.join("unfinished");
        std::fs::create_dir(&unfinished).unwrap();
        stage(
            &fixture("illumina-incomplete/20231108_LH00188_0028_B22F52TLT3"),
            &unfinished,
            &["RunParameters.xml"],
        );

        let engine = Engine::new(db.store.clone(), cfg.clone());
        let mut state = Default::default();
        engine.scan_once(&mut state).await;
        stage(
            &src,
            &good,
            &["RunInfo.xml", "SampleSheet.csv", "RTAComplete.txt"],
        );
        engine.scan_once(&mut state).await;
        assert!(
            db.store.list_runs().await.unwrap().is_empty(),
            "{}: recorded before CopyComplete.txt",
            db.backend
        );
        stage(&src, &good, &["CopyComplete.txt"]);
        engine.scan_once(&mut state).await;
        let runs_now = db.store.list_runs().await.unwrap();
        assert_eq!(runs_now.len(), 1, "{}", db.backend);
        assert_eq!(
            (
                runs_now[0].flowcell.as_str(),
                runs_now[0].platform.as_str(),
                runs_now[0].sample_count
            ),
            ("HK33MDRX3", "NovaSeq 6000", 80)
        );

        for round in 0..2 {
            // The second round is a restarted engine with fresh memory.
            let e = Engine::new(db.store.clone(), cfg.clone());
            e.scan_once(&mut Default::default()).await;
            assert_eq!(
                db.store.list_runs().await.unwrap().len(),
                1,
                "{} round {round}",
                db.backend
            );
            assert_eq!(
                actions(
                    &db.store,
                    "run",
                    "230912_A00187_1009_AHK33MDRX3",
                    "run.completed"
                )
                .await,
                1
            );
            assert_eq!(
                actions(
                    &db.store,
                    "run",
                    "20231108_LH00188_0028_B22F52TLT3",
                    "run.failed"
                )
                .await,
                1
            );
            let q = db.store.list_quarantine().await.unwrap();
            assert_eq!(q.len(), 1, "{} round {round}: {q:?}", db.backend);
            assert!(
                q[0].source.ends_with("170517_ST-E00266_0210_BHJCFFALXX")
                    && q[0].reason.contains("runParameters.xml")
                    && q[0].reason.contains("<RTAVersion>"),
                "{:?}",
                q[0]
            );
            let kept = cfg.data_dir.join("quarantine").join(q[0].id.to_string());
            assert_eq!(
                std::fs::read_to_string(kept.join("runParameters.xml")).unwrap(),
                &rp[..cut]
            );
            assert!(kept.join("SampleSheet.csv").is_file());
        }
        assert!(
            !db.store
                .list_runs()
                .await
                .unwrap()
                .iter()
                .any(|r| r.flowcell == "22F52TLT3"),
            "a stopped run is not a completed run"
        );
        db.cleanup().await;
    }
}
