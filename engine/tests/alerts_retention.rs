//! Alerts, retention and a store that cannot be reached, on SQLite and PostgreSQL.
//! Covered: each condition fires once per episode and resolves once, even with two nodes
//! checking; notices reach a webhook in order (fired before resolved) through retries;
//! retention empties only delivered payloads, audits it, and a rescan sends nothing again;
//! a VCF met while the store is unreachable is retried, never quarantined.

mod common;

use common::synthetic_order as order;

use axum::{http::StatusCode, routing::post, Router};
use common::{config, nb6tk328_for, TestDb};
use engine::{
    alerts::{AlertRule, AlertsConfig},
    pipeline::{alerts, outbox, process_vcf, retention, Engine, VcfOutcome},
    store::Store,
};
use std::{
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

/// `<accession>_NB6TK328.vcf` with a header line of its own: another file, not a copy
/// the engine would recognise as already reported.
fn distinct_vcf(dir: &std::path::Path, accession: &str) -> std::path::PathBuf {
    let path = nb6tk328_for(dir, accession);
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen('\n', &format!("\n##copy={accession}\n"), 1);
    std::fs::write(&path, text).unwrap();
    path
}

fn rules(text: &str) -> Vec<AlertRule> {
    let cfg: AlertsConfig = toml::from_str(text).unwrap();
    cfg.validate().unwrap();
    cfg.rules
}

/// An engine whose MLLP destination is a closed port: every attempt goes unanswered.
fn engine_to_nowhere(store: &Store, root: &std::path::Path, node: &str) -> Engine {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = config(root, port);
    cfg.node = node.into();
    if let Some(d) = cfg.lri_destination.as_mut() {
        d.max_attempts = 1000;
        d.timeout_ms = 500;
    }
    Engine::new(store.clone(), cfg)
}

/// A second handle on the test's database, closed: every query fails, as when the
/// database is unreachable.
async fn unreachable_store(db: &TestDb) -> Store {
    let url = match db.url().await {
        Some(u) => u,
        None => {
            let engine::store::Db::Sqlite(p) = db.store.db() else {
                unreachable!()
            };
            let path: String =
                sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                    .fetch_one(p)
                    .await
                    .unwrap();
            format!("sqlite://{path}")
        }
    };
    let gone = Store::open(&url).await.unwrap();
    match gone.db() {
        engine::store::Db::Sqlite(p) => p.close().await,
        engine::store::Db::Postgres(p) => p.close().await,
    }
    gone
}

async fn audited(store: &Store, action: &str) -> usize {
    store
        .recent_audit(10_000)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == action)
        .count()
}

#[tokio::test]
async fn a_failing_destination_fires_once_for_two_nodes_and_resolves_once() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let a = engine_to_nowhere(&db.store, tmp.path(), "node-a");
        let b = engine_to_nowhere(&db.store, tmp.path(), "node-b");
        let rules = rules(
            "[[rules]]\nname = \"ehr-down\"\nwhen = \"destination_failing\"\nqueue = \"lri\"\nfor = \"0s\"\n\
             [[rules]]\nname = \"waiting\"\nwhen = \"queue_age\"\nqueue = \"lri\"\nover = \"1h\"",
        );
        // Nothing has been tried: nothing fires.
        assert!(alerts::evaluate_once(&a, &rules, false).await.is_empty());

        db.store.insert_order(&order("ALR-1")).await.unwrap();
        let vcf = nb6tk328_for(tmp.path(), "ALR-1");
        assert!(matches!(
            process_vcf(&a, &vcf).await,
            VcfOutcome::Reported { .. }
        ));
        let q = outbox::MessageQueue::lri(a.config.lri_destination.as_ref().unwrap());
        outbox::deliver_due(&a, &q).await;

        // Both nodes check at once: one episode.
        let (fa, fb) = tokio::join!(
            alerts::evaluate_once(&a, &rules, true),
            alerts::evaluate_once(&b, &rules, true)
        );
        let fired: Vec<_> = fa.iter().chain(&fb).collect();
        assert_eq!(fired.len(), 1, "{}: {fired:?}", db.backend);
        assert_eq!(fired[0].rule, "ehr-down");
        assert!(
            fired[0].summary.contains("Connection refused") || fired[0].summary.contains("connect"),
            "{}",
            fired[0].summary
        );
        // The queue is young: the age rule stays quiet. Checking again changes nothing.
        assert!(alerts::evaluate_once(&b, &rules, true).await.is_empty());
        assert_eq!(db.store.open_alerts().await.unwrap().len(), 1);

        // The destination answers again (any answer counts): resolved, once.
        let (port, _) = common::ehr("AA").await;
        let mut cfg = a.config.clone();
        cfg.lri_destination.as_mut().unwrap().port = port;
        let fixed = Engine::new(db.store.clone(), cfg);
        tokio::time::sleep(Duration::from_millis(100)).await; // past the 10–40 ms backoff
        let q = outbox::MessageQueue::lri(fixed.config.lri_destination.as_ref().unwrap());
        outbox::deliver_due(&fixed, &q).await;
        let (ra, rb) = tokio::join!(
            alerts::evaluate_once(&a, &rules, true),
            alerts::evaluate_once(&b, &rules, true)
        );
        assert_eq!(ra.len() + rb.len(), 1, "{}", db.backend);
        assert!(db.store.open_alerts().await.unwrap().is_empty());
        assert_eq!(audited(&db.store, "alert.fired").await, 1);
        assert_eq!(audited(&db.store, "alert.resolved").await, 1);
        // One notice for each transition, fired first.
        let notices = db.store.alert_notices().await.unwrap();
        let events: Vec<&str> = notices.iter().map(|n| n.event.as_str()).collect();
        assert_eq!(events, ["fired", "resolved"], "{}", db.backend);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn dead_letters_and_queue_age_fire_on_their_thresholds() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let (port, _) = common::ehr("AE").await;
        let mut cfg = config(tmp.path(), port);
        cfg.lri_destination.as_mut().unwrap().ordered = false;
        let engine = Engine::new(db.store.clone(), cfg);
        let rules = rules(
            "[[rules]]\nname = \"refusals\"\nwhen = \"dead_letters\"\ncount = 2\nwithin = \"10m\"\n\
             [[rules]]\nname = \"old\"\nwhen = \"queue_age\"\nqueue = \"fhir\"\nover = \"0s\"",
        );
        let q = outbox::MessageQueue::lri(engine.config.lri_destination.as_ref().unwrap());
        for (i, acc) in ["DL-1", "DL-2"].into_iter().enumerate() {
            db.store.insert_order(&order(acc)).await.unwrap();
            let vcf = distinct_vcf(tmp.path(), acc);
            process_vcf(&engine, &vcf).await;
            outbox::deliver_due(&engine, &q).await;
            let fired = alerts::evaluate_once(&engine, &rules, false).await;
            let names: Vec<&str> = fired.iter().map(|a| a.rule.as_str()).collect();
            // FHIR Bundles have no destination here: stored, not queued, so never "old".
            if i == 0 {
                assert!(
                    names.is_empty(),
                    "{}: one dead letter of 2: {names:?}",
                    db.backend
                );
            } else {
                assert_eq!(names, ["refusals"], "{}", db.backend);
                assert!(
                    fired[0].summary.starts_with("2 dead letters"),
                    "{}",
                    fired[0].summary
                );
            }
        }
        db.cleanup().await;
    }
}

/// A webhook that answers 503 to its first POST, then 200, keeping every body.
async fn webhook() -> (String, Arc<Mutex<Vec<String>>>) {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let keep = got.clone();
    let app = Router::new().route(
        "/hook",
        post(move |body: String| {
            let keep = keep.clone();
            async move {
                let mut g = keep.lock().unwrap();
                g.push(body);
                if g.len() == 1 {
                    StatusCode::SERVICE_UNAVAILABLE
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[tokio::test]
async fn notices_reach_the_webhook_in_order_through_a_retry() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let (url, got) = webhook().await;
        let cfg: AlertsConfig = toml::from_str(&format!(
            "webhook = {{ url = \"{url}\" }}\n[[rules]]\nname = \"ehr-down\"\nwhen = \"destination_failing\"\nqueue = \"lri\"\nfor = \"0s\""
        ))
        .unwrap();
        let engine = engine_to_nowhere(&db.store, tmp.path(), "node-a");
        let client = cfg.webhook.as_ref().unwrap().client().unwrap();
        let now = engine::store::now_ms();
        db.store
            .note_destination("lri", true, Some("connection refused"), "node-a", now)
            .await
            .unwrap();
        assert_eq!(
            alerts::evaluate_once(&engine, &cfg.rules, true).await.len(),
            1
        );
        db.store
            .note_destination("lri", false, None, "node-a", now)
            .await
            .unwrap();
        assert_eq!(
            alerts::evaluate_once(&engine, &cfg.rules, true).await.len(),
            1
        );
        // The first POST gets 503: the fired notice waits for its retry, and the resolved
        // one waits behind it.
        assert_eq!(alerts::send_notices(&engine, &client, &cfg).await, 1);
        assert_eq!(alerts::send_notices(&engine, &client, &cfg).await, 0);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        for _ in 0..2 {
            alerts::send_notices(&engine, &client, &cfg).await;
        }
        let bodies: Vec<serde_json::Value> = got
            .lock()
            .unwrap()
            .iter()
            .map(|b| serde_json::from_str(b).unwrap())
            .collect();
        let states: Vec<&str> = bodies
            .iter()
            .map(|b| b["state"].as_str().unwrap())
            .collect();
        assert_eq!(states, ["firing", "firing", "resolved"], "{}", db.backend);
        assert!(bodies[2]["text"]
            .as_str()
            .unwrap()
            .starts_with("[RESOLVED]"));
        let notices = db.store.alert_notices().await.unwrap();
        assert!(
            notices.iter().all(|n| n.status == "delivered"),
            "{notices:?}"
        );
        assert_eq!(audited(&db.store, "alert.notified").await, 2);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn retention_empties_only_delivered_payloads_and_a_rescan_sends_nothing_again() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let (port, seen) = common::ehr("AA").await;
        let engine = Engine::new(db.store.clone(), config(tmp.path(), port));
        db.store.insert_order(&order("RET-1")).await.unwrap();
        let vcf = nb6tk328_for(tmp.path(), "RET-1");
        process_vcf(&engine, &vcf).await;
        let q = outbox::MessageQueue::lri(engine.config.lri_destination.as_ref().unwrap());
        outbox::deliver_due(&engine, &q).await;
        assert_eq!(seen.lock().unwrap().len(), 1);
        let keep = retention::RetentionConfig {
            delivered_after: Duration::from_secs(3600),
            interval: Duration::from_secs(3600),
        };
        // Younger than the limit: kept whole.
        let p = retention::prune_once(&engine, &keep, SystemTime::now())
            .await
            .unwrap();
        assert_eq!(p.total(), 0);
        // Two hours later: the delivered ORU loses its body; the FHIR Bundle, stored and
        // never sent, keeps its own.
        let later = SystemTime::now() + Duration::from_secs(7200);
        let p = retention::prune_once(&engine, &keep, later).await.unwrap();
        assert_eq!(p.messages, 1, "{}", db.backend);
        let rows = db.store.list_messages(10).await.unwrap();
        let lri = rows.iter().find(|m| m.kind == "lri").unwrap();
        assert_eq!(lri.status, "delivered");
        assert_eq!(
            db.store.message_body(lri.id).await.unwrap().as_deref(),
            Some("")
        );
        let fhir = rows.iter().find(|m| m.kind == "fhir").unwrap();
        assert_eq!(fhir.status, "stored");
        assert!(!db
            .store
            .message_body(fhir.id)
            .await
            .unwrap()
            .unwrap()
            .is_empty());
        assert_eq!(audited(&db.store, "retention.pruned").await, 1);
        // Pruned once: a second pass finds nothing.
        let p = retention::prune_once(&engine, &keep, later).await.unwrap();
        assert_eq!(p.total(), 0);
        // The source is scanned again (a restart): nothing is built or sent again.
        assert_eq!(
            process_vcf(&engine, &vcf).await,
            VcfOutcome::AlreadyReported
        );
        outbox::deliver_due(&engine, &q).await;
        assert_eq!(seen.lock().unwrap().len(), 1);
        assert_eq!(db.store.list_messages(10).await.unwrap().len(), 2);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_vcf_met_while_the_store_is_unreachable_is_retried_not_quarantined() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        db.store.insert_order(&order("GONE-1")).await.unwrap();
        let vcf = nb6tk328_for(tmp.path(), "GONE-1");
        let gone = unreachable_store(&db).await;
        let engine = Engine::new(gone, config(tmp.path(), 1));
        let outcome = process_vcf(&engine, &vcf).await;
        assert!(
            matches!(outcome, VcfOutcome::Retry { .. }),
            "{}: {outcome:?}",
            db.backend
        );
        assert!(db.store.list_quarantine().await.unwrap().is_empty());
        // The database is back: the same file is reported.
        let engine = Engine::new(db.store.clone(), config(tmp.path(), 1));
        let outcome = process_vcf(&engine, &vcf).await;
        assert!(
            matches!(outcome, VcfOutcome::Reported { .. }),
            "{}: {outcome:?}",
            db.backend
        );
        db.cleanup().await;
    }
}

/// An audit event the database cannot take is never dropped: it is spooled to the data
/// folder, and appended to the chain, with the time it happened, once the database is back.
#[tokio::test]
async fn an_audit_event_the_database_cannot_take_is_spooled_then_appended() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let gone = unreachable_store(&db).await;
        let cfg = config(tmp.path(), 1);
        let spool = engine::pipeline::audit_spool::spool_path(&cfg.data_dir);
        let away = Engine::new(gone, cfg.clone());
        for i in 0..2 {
            away.audit(engine::store::NewAuditEvent::system(
                "test.spooled",
                "run",
                &format!("R{i}"),
                serde_json::json!({ "i": i }),
            ))
            .await;
        }
        assert_eq!(engine::pipeline::audit_spool::spooled(&cfg.data_dir), 2);
        assert!(spool.exists());
        assert_eq!(audited(&db.store, "test.spooled").await, 0);

        // The database is back: the next pass appends them, in order, and empties the spool.
        let back = Engine::new(db.store.clone(), cfg.clone());
        assert_eq!(back.replay_spool().await, 0, "{}", db.backend);
        let events = db.store.recent_audit(10).await.unwrap();
        let spooled: Vec<_> = events
            .iter()
            .rev()
            .filter(|e| e.action == "test.spooled")
            .collect();
        assert_eq!(spooled.len(), 2);
        assert_eq!(spooled[0].subject_id, "R0");
        assert!(
            spooled[0].detail.contains("spooled_at"),
            "{}",
            spooled[0].detail
        );
        assert_eq!(engine::pipeline::audit_spool::spooled(&cfg.data_dir), 0);
        assert!(matches!(
            db.store.verify_audit().await.unwrap(),
            engine::store::AuditVerification::Intact { .. }
        ));
        db.cleanup().await;
    }
}
