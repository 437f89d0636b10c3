//! Impact replay: a candidate version run beside the active one on the newest real inputs
//! the engine processed, on SQLite and PostgreSQL. Nothing is stored or sent.

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
