//! Stored mapping versions in the running engine, on SQLite and PostgreSQL: the activated
//! version builds the messages; impact replay runs a candidate beside the active one on the
//! newest real inputs, storing and sending nothing.

mod common;
use common::{config, nb6tk328_for, TestDb};
use engine::{
    mapping::{replay, sample::SampleContext, Mapping},
    pipeline::{process_vcf, Engine},
};
use std::sync::Arc;

#[tokio::test]
async fn a_replay_shows_which_outputs_of_real_inputs_would_change() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let cfg = config(tmp.path(), 1);
        std::fs::create_dir_all(&cfg.watch.vcf_dir).unwrap();
        let engine = Engine::new(db.store.clone(), cfg.clone());
        let vcf = nb6tk328_for(&cfg.watch.vcf_dir, "ACC-77");
        process_vcf(&engine, &vcf).await;
        let active = Mapping::default_report();
        let messages_before = db.store.list_messages(100).await.unwrap().len();

        // A candidate that rounds allele frequency to two decimals.
        let text = active
            .to_toml()
            .replace("round = { decimals = 3 }", "round = { decimals = 2 }");
        let candidate = Mapping::from_toml("candidate.toml", &text).unwrap();
        let cx = Arc::new(SampleContext::default());
        let results = replay::replay(&db.store, &candidate, &active, 50, cx.clone())
            .await
            .unwrap();
        assert_eq!(results.len(), 1, "{}", db.backend);
        let r = &results[0];
        assert!(r.error.is_none(), "{:?}", r.error);
        let af = r
            .changes
            .iter()
            .find(|c| c.key == "LRI OBX 3/81258-6 value")
            .unwrap_or_else(|| panic!("{:?}", r.changes));
        assert_eq!(af.expected.as_deref(), Some("0.567"));
        assert_eq!(af.actual.as_deref(), Some("0.57"));
        assert!(
            r.changes.iter().all(|c| c.key.contains("81258-6")),
            "{:?}",
            r.changes
        );

        // The same version changes nothing, and a replay sends and stores nothing.
        let same = replay::replay(&db.store, &active, &active, 50, cx.clone())
            .await
            .unwrap();
        assert!(same[0].changes.is_empty(), "{:?}", same[0].changes);
        assert_eq!(
            db.store.list_messages(100).await.unwrap().len(),
            messages_before
        );

        // An input whose file is gone is listed, not silently skipped.
        std::fs::remove_file(&vcf).unwrap();
        let gone = replay::replay(&db.store, &candidate, &active, 50, cx)
            .await
            .unwrap();
        assert!(
            gone[0].error.as_deref().unwrap().contains("no longer"),
            "{:?}",
            gone[0]
        );
        db.cleanup().await;
    }
}

/// The engine builds messages with the version a director activated, names it in each
/// message, and audits the variants that version refuses instead of dropping them.
#[tokio::test]
async fn the_activated_version_drives_the_messages_and_its_refusals_are_audited() {
    use engine::store::Role;
    for db in TestDb::both().await {
        let store = &db.store;
        store
            .create_user("eng", "eng-password-1", Role::Engineer)
            .await
            .unwrap();
        store
            .create_user("dir", "dir-password-1", Role::Director)
            .await
            .unwrap();
        let eng = store
            .verify_login("eng", "eng-password-1")
            .await
            .unwrap()
            .unwrap();
        let dir = store
            .verify_login("dir", "dir-password-1")
            .await
            .unwrap()
            .unwrap();
        // v2: p.HGVS must come from a reviewed INFO key the pipeline does not write yet, so
        // every variant is refused.
        let mut m = Mapping::default_report();
        let p = m.rules.iter_mut().find(|r| r.to == "48005-3").unwrap();
        p.from = "info.REVIEWED_HGVSP".into();
        p.transform.clear();
        p.required = true;
        let v2 = store
            .create_mapping_draft(&eng, "v2.toml", &m.to_toml())
            .await
            .unwrap();
        store
            .submit_mapping(&eng, "vcf-report", v2.version)
            .await
            .unwrap();
        store
            .approve_mapping(
                &dir,
                "dir-password-1",
                "vcf-report",
                v2.version,
                "approved for clinical use",
            )
            .await
            .unwrap();
        store
            .activate_mapping(&dir, "vcf-report", v2.version)
            .await
            .unwrap();

        let tmp = tempfile::tempdir().unwrap();
        let cfg = config(tmp.path(), 1);
        std::fs::create_dir_all(&cfg.watch.vcf_dir).unwrap();
        let engine = Engine::new(store.clone(), cfg.clone());
        store
            .insert_order(&engine::store::Order {
                accession: "ACC-78".into(),
                sample_id: "NB6TK328".into(),
                patient_mrn: "SYN-78".into(),
                ..Default::default()
            })
            .await
            .unwrap();
        let vcf = nb6tk328_for(&cfg.watch.vcf_dir, "ACC-78");
        process_vcf(&engine, &vcf).await;
        let msgs = store.list_messages(10).await.unwrap();
        assert_eq!(msgs.len(), 2, "{}", db.backend);
        assert!(msgs
            .iter()
            .all(|m| m.mapping_name == "vcf-report" && m.mapping_sha256 == v2.sha256));
        let oru = store
            .message_body(msgs.iter().find(|m| m.kind == "lri").unwrap().id)
            .await
            .unwrap()
            .unwrap();
        assert!(
            !oru.contains("|48018-6^"),
            "refused variants stay out of the ORU"
        );
        let events = store.audit_for("sample", "NB6TK328").await.unwrap();
        let refused = events
            .iter()
            .find(|e| e.action == "report.mapping_rejected")
            .expect("the refusals are audited");
        assert!(refused.detail.contains("48005-3"), "{}", refused.detail);
        assert!(
            refused.detail.contains("\"rejected_total\":5"),
            "{}",
            refused.detail
        );
        assert!(refused.detail.contains("required value is missing"));
        db.cleanup().await;
    }
}
