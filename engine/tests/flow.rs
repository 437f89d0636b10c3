//! The walking skeleton end to end, on SQLite and PostgreSQL: a run folder completes, a
//! VCF becomes an LRI ORU^R01 delivered over real MLLP to a listener this test starts,
//! and every step is in an intact audit chain.
mod common;
use common::{config, ehr, fixture, nb6tk328_for, start_outbox, TestDb};
use engine::{
    pipeline::{process_vcf, Engine, VcfOutcome},
    store::{AuditVerification, Order},
};
use std::time::Duration;

fn order() -> Order {
    Order {
        accession: "ACC-9".into(),
        sample_id: "NB6TK328".into(),
        placer_number: "PL-9".into(),
        filler_number: "FI-9".into(),
        patient_mrn: "SYN-9".into(),
        patient_family: "Synthetic".into(),
        patient_given: "Sam".into(),
        birth_date: "1990-01-01".into(),
        sex: "M".into(),
        test_code: "P".into(),
        test_name: "Panel".into(),
        specimen_type: "Blood".into(),
        ..Order::default()
    }
}

async fn wait_for_status(db: &TestDb, id: i64, want: &str) -> engine::store::MessageRow {
    for _ in 0..200 {
        let m = db.store.message(id).await.unwrap().unwrap();
        if m.status == want {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "{}: message {id} never reached {want}: {:?}",
        db.backend,
        db.store.message(id).await.unwrap()
    );
}

#[tokio::test]
async fn run_completion_is_detected_once_across_restarts() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = config(tmp.path(), 1);
        std::fs::create_dir_all(&cfg.watch.runs_dir).unwrap();
        let src = fixture("illumina/20231108_LH00188_0028_B22F52TLT3");
        let dst = cfg.watch.runs_dir.join("20231108_LH00188_0028_B22F52TLT3");
        std::fs::create_dir_all(&dst).unwrap();
        // Stage 1: the instrument is still writing; RTAComplete.txt is there, CopyComplete.txt is not.
        for f in [
            "RunInfo.xml",
            "RunParameters.xml",
            "SampleSheet.csv",
            "RTAComplete.txt",
            "RunCompletionStatus.xml",
        ] {
            std::fs::copy(src.join(f), dst.join(f)).unwrap();
        }
        let engine = Engine::new(db.store.clone(), cfg.clone());
        let mut state = Default::default();
        engine.scan_once(&mut state).await;
        assert!(
            db.store.list_runs().await.unwrap().is_empty(),
            "{}: recorded before CopyComplete.txt",
            db.backend
        );
        // Stage 2: the copy finishes.
        std::fs::copy(src.join("CopyComplete.txt"), dst.join("CopyComplete.txt")).unwrap();
        engine.scan_once(&mut state).await;
        let runs = db.store.list_runs().await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(
            (runs[0].flowcell.as_str(), runs[0].platform.as_str()),
            ("22F52TLT3", "NovaSeq X")
        );
        // A restarted engine (fresh memory) scans again: still one run, one audit event.
        let engine2 = Engine::new(db.store.clone(), cfg.clone());
        engine2.scan_once(&mut Default::default()).await;
        assert_eq!(db.store.list_runs().await.unwrap().len(), 1);
        let events = db
            .store
            .audit_for("run", "20231108_LH00188_0028_B22F52TLT3")
            .await
            .unwrap();
        assert_eq!(
            events
                .iter()
                .filter(|e| e.action == "run.completed")
                .count(),
            1,
            "{}",
            db.backend
        );
        assert!(!db
            .store
            .audit_for("sample", "ACC13169A1")
            .await
            .unwrap()
            .is_empty());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn vcf_becomes_an_lri_message_delivered_over_mllp() {
    for db in TestDb::both().await {
        let (port, seen) = ehr("AA").await;
        let tmp = tempfile::tempdir().unwrap();
        let cfg = config(tmp.path(), port);
        db.store.insert_order(&order()).await.unwrap();
        let engine = Engine::new(db.store.clone(), cfg);
        start_outbox(&engine);
        let vcf = nb6tk328_for(tmp.path(), "ACC-9");
        let outcome = process_vcf(&engine, &vcf).await;
        let VcfOutcome::Reported { messages, .. } = outcome else {
            panic!("{}: {outcome:?}", db.backend)
        };
        assert_eq!(messages.len(), 2);
        let lri = wait_for_status(&db, messages[0], "delivered").await;
        assert_eq!(
            (lri.kind.as_str(), lri.ack_code.as_deref(), lri.attempts),
            ("lri", Some("AA"), 1)
        );
        let got = seen.lock().unwrap().clone();
        assert_eq!(got.len(), 1);
        let msg = hl7_parser::Message::parse(&got[0]).unwrap();
        assert_eq!(msg.query("MSH.10").unwrap().raw_value(), lri.control_id);
        assert_eq!(msg.query("PID.3.1").unwrap().raw_value(), "SYN-9");
        let fhir = db.store.message(messages[1]).await.unwrap().unwrap();
        assert_eq!(
            (fhir.kind.as_str(), fhir.status.as_str()),
            ("fhir", "stored")
        );
        // The same file again is not reported twice.
        assert_eq!(
            process_vcf(&engine, &vcf).await,
            VcfOutcome::AlreadyReported
        );
        let actions: Vec<String> = db
            .store
            .audit_for("sample", "NB6TK328")
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        for a in [
            "report.created",
            "message.created",
            "message.delivery_attempt",
        ] {
            assert!(
                actions.iter().any(|x| x == a),
                "{}: no {a} in {actions:?}",
                db.backend
            );
        }
        assert!(matches!(
            db.store.verify_audit().await.unwrap(),
            AuditVerification::Intact { .. }
        ));
        db.cleanup().await;
    }
}

/// Nothing would ever send a message without a destination: it is stored, not queued.
#[tokio::test]
async fn without_an_mllp_destination_the_oru_is_stored_not_queued() {
    let db = TestDb::sqlite().await;
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(tmp.path(), 1);
    cfg.lri_destination = None;
    db.store.insert_order(&order()).await.unwrap();
    let engine = Engine::new(db.store.clone(), cfg);
    let vcf = nb6tk328_for(tmp.path(), "ACC-9");
    let VcfOutcome::Reported { messages, .. } = process_vcf(&engine, &vcf).await else {
        panic!("not reported")
    };
    for id in messages {
        let m = db.store.message(id).await.unwrap().unwrap();
        assert_eq!(
            (m.status.as_str(), m.destination.as_str(), m.attempts),
            ("stored", "none", 0),
            "{}",
            m.kind
        );
    }
    let flows = db.store.flow_stats().await.unwrap();
    assert!(flows.iter().all(|f| f.queue_depth == 0), "{flows:?}");
    db.cleanup().await;
}

#[tokio::test]
async fn an_ae_ack_dead_letters_the_message_with_the_reason() {
    let db = TestDb::sqlite().await;
    let (port, seen) = ehr("AE").await;
    let tmp = tempfile::tempdir().unwrap();
    db.store.insert_order(&order()).await.unwrap();
    let engine = Engine::new(db.store.clone(), config(tmp.path(), port));
    start_outbox(&engine);
    let VcfOutcome::Reported { messages, .. } =
        process_vcf(&engine, &nb6tk328_for(tmp.path(), "ACC-9")).await
    else {
        panic!()
    };
    let m = wait_for_status(&db, messages[0], "dead_letter").await;
    assert_eq!(m.ack_code.as_deref(), Some("AE"));
    assert_eq!(m.last_error.as_deref(), Some("PID-3 unknown patient"));
    assert_eq!(m.attempts, 1, "a refusal is not retried");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_unreachable_ehr_is_retried_then_dead_lettered() {
    let db = TestDb::sqlite().await;
    // A port with nothing listening: bind, take the port, close.
    let port = {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let tmp = tempfile::tempdir().unwrap();
    db.store.insert_order(&order()).await.unwrap();
    let engine = Engine::new(db.store.clone(), config(tmp.path(), port));
    start_outbox(&engine);
    let VcfOutcome::Reported { messages, .. } =
        process_vcf(&engine, &nb6tk328_for(tmp.path(), "ACC-9")).await
    else {
        panic!()
    };
    let m = wait_for_status(&db, messages[0], "dead_letter").await;
    assert_eq!(m.attempts, 2);
    assert!(m.last_error.unwrap().contains("gave up after 2 attempts"));
}

#[tokio::test]
async fn a_report_without_an_order_waits_and_bad_files_are_quarantined() {
    let db = TestDb::sqlite().await;
    let tmp = tempfile::tempdir().unwrap();
    let engine = Engine::new(db.store.clone(), config(tmp.path(), 1));
    let outcome = process_vcf(&engine, &nb6tk328_for(tmp.path(), "ACC-9")).await;
    assert!(
        matches!(outcome, VcfOutcome::NeedsOrder { .. }),
        "{outcome:?}"
    );
    assert_eq!(
        db.store.list_reports().await.unwrap()[0].status,
        "needs_order"
    );
    assert!(
        db.store.list_messages(10).await.unwrap().is_empty(),
        "never sent with empty patient fields"
    );
    let bad = tmp.path().join("broken.vcf");
    std::fs::write(&bad, "##fileformat=VCFv4.2\n").unwrap();
    let VcfOutcome::Quarantined { reason } = process_vcf(&engine, &bad).await else {
        panic!()
    };
    assert!(
        reason.contains("broken.vcf") && reason.contains("#CHROM"),
        "{reason}"
    );
    let q = db.store.list_quarantine().await.unwrap();
    assert_eq!(q.len(), 1);
    assert!(q[0].source.ends_with("broken.vcf"));
    // Nothing is lost: a copy of the bad file is kept with the quarantine entry.
    let kept = tmp
        .path()
        .join("data/quarantine")
        .join(q[0].id.to_string())
        .join("broken.vcf");
    assert_eq!(
        std::fs::read_to_string(kept).unwrap(),
        "##fileformat=VCFv4.2\n"
    );
}

#[tokio::test]
async fn a_report_links_only_to_the_order_with_its_accession_and_sample() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let engine = Engine::new(db.store.clone(), config(tmp.path(), 1));
        // An earlier order for the same sample, under another accession (a re-test).
        db.store.insert_order(&order()).await.unwrap();
        let outcome = process_vcf(&engine, &nb6tk328_for(tmp.path(), "ACC-10")).await;
        assert!(
            matches!(outcome, VcfOutcome::NeedsOrder { .. }),
            "{}: {outcome:?}",
            db.backend
        );
        // A file whose name carries no accession waits too, whatever orders exist.
        let bare = tmp.path().join("NB6TK328.vcf");
        // (A header line more, so it is not the same file content as the one above.)
        let text = std::fs::read_to_string(nb6tk328_for(tmp.path(), "X")).unwrap();
        std::fs::write(&bare, text.replacen('\n', "\n##comment=renamed\n", 1)).unwrap();
        assert!(matches!(
            process_vcf(&engine, &bare).await,
            VcfOutcome::NeedsOrder { .. }
        ));
        let reports = db.store.list_reports().await.unwrap();
        let accessions: Vec<_> = reports.iter().map(|r| r.accession.clone()).collect();
        assert_eq!(accessions, [None, Some("ACC-10".to_string())]);
        assert!(reports.iter().all(|r| r.status == "needs_order"));
        let waiting = db.store.reports_needing_order(10).await.unwrap();
        assert_eq!(waiting.len(), 2, "{}", db.backend);
        assert!(db.store.list_messages(10).await.unwrap().is_empty());
        db.cleanup().await;
    }
}
