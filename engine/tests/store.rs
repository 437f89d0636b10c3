//! The same store tests on SQLite and on the machine's PostgreSQL.
mod common;
use common::{fixture, TestDb};
use engine::formats::illumina;
use engine::store::{AuditVerification, NewAuditEvent, Role};
use serde_json::json;

#[tokio::test]
async fn users_are_argon2id_and_verify() {
    for db in TestDb::both().await {
        let s = &db.store;
        s.create_user("eng", "correct horse", Role::Engineer)
            .await
            .unwrap();
        let u = s
            .verify_login("eng", "correct horse")
            .await
            .unwrap()
            .expect(db.backend);
        assert_eq!(u.role, Role::Engineer);
        assert!(s.verify_login("eng", "wrong").await.unwrap().is_none());
        assert!(s.verify_login("nobody", "x").await.unwrap().is_none());
        let hash: String = match s.db() {
            engine::store::Db::Sqlite(p) => sqlx::query_scalar("SELECT password_hash FROM users")
                .fetch_one(p)
                .await
                .unwrap(),
            engine::store::Db::Postgres(p) => sqlx::query_scalar("SELECT password_hash FROM users")
                .fetch_one(p)
                .await
                .unwrap(),
        };
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_run_is_recorded_once() {
    let run =
        illumina::read_run_folder(&fixture("illumina/20231108_LH00188_0028_B22F52TLT3")).unwrap();
    for db in TestDb::both().await {
        let s = &db.store;
        assert!(
            s.insert_run(&run, "/x").await.unwrap().is_some(),
            "{}",
            db.backend
        );
        assert!(
            s.insert_run(&run, "/x").await.unwrap().is_none(),
            "{}",
            db.backend
        );
        let runs = s.list_runs().await.unwrap();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].flowcell, "22F52TLT3");
        assert_eq!(runs[0].sample_count, run.samples.len() as i64);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn audit_chain_verifies_and_names_a_tampered_event() {
    for db in TestDb::both().await {
        let s = &db.store;
        for i in 0..5 {
            s.append_audit(NewAuditEvent::system(
                "test.event",
                "run",
                &format!("R{i}"),
                json!({ "i": i }),
            ))
            .await
            .unwrap();
        }
        assert_eq!(
            s.verify_audit().await.unwrap(),
            AuditVerification::Intact { events: 5 }
        );
        let events = s.recent_audit(10).await.unwrap();
        assert_eq!(
            events[0].prev_hash, events[1].hash,
            "each event carries the previous hash"
        );
        // The database refuses edits…
        let update = "UPDATE audit_events SET detail = '{\"i\":99}' WHERE id = 3";
        let refused = match s.db() {
            engine::store::Db::Sqlite(p) => sqlx::query(update).execute(p).await.is_err(),
            engine::store::Db::Postgres(p) => sqlx::query(update).execute(p).await.is_err(),
        };
        assert!(refused, "{}: audit_events must be append-only", db.backend);
        // …and if someone with DBA rights bypasses that, verification names the event.
        match s.db() {
            engine::store::Db::Sqlite(p) => {
                sqlx::query("DROP TRIGGER audit_events_no_update")
                    .execute(p)
                    .await
                    .unwrap();
                sqlx::query(update).execute(p).await.unwrap();
            }
            engine::store::Db::Postgres(p) => {
                sqlx::query("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change")
                    .execute(p)
                    .await
                    .unwrap();
                sqlx::query(update).execute(p).await.unwrap();
            }
        }
        match s.verify_audit().await.unwrap() {
            AuditVerification::Broken { event_id, reason } => {
                assert_eq!(event_id, 3, "{}", db.backend);
                assert!(reason.contains("hashes to"), "{reason}");
            }
            other => panic!("{}: tampering not detected: {other:?}", db.backend),
        }
        db.cleanup().await;
    }
}

/// UPDATE, DELETE and (on PostgreSQL) TRUNCATE of the audit log are refused by the
/// database itself, whoever connects with the application's rights.
#[tokio::test]
async fn the_database_refuses_update_delete_and_truncate_of_the_audit_log() {
    for db in TestDb::both().await {
        let s = &db.store;
        s.append_audit(NewAuditEvent::system("test.event", "run", "R1", json!({})))
            .await
            .unwrap();
        let mut statements = vec![
            "UPDATE audit_events SET actor = 'someone else'",
            "DELETE FROM audit_events",
        ];
        if db.backend == "postgres" {
            statements.push("TRUNCATE audit_events");
            // A statement trigger: refused even while the table is empty.
            statements.push("TRUNCATE mapping_signatures CASCADE");
        }
        for sql in statements {
            let refused = match s.db() {
                engine::store::Db::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
                engine::store::Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            };
            let e = refused.expect_err(&format!("{}: {sql} went through", db.backend));
            assert!(
                e.to_string().contains("append-only"),
                "{}: {sql}: {e}",
                db.backend
            );
        }
        assert_eq!(
            s.verify_audit().await.unwrap(),
            AuditVerification::Intact { events: 1 }
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn concurrent_appends_from_two_postgres_nodes_keep_one_chain() {
    let db = TestDb::postgres().await;
    let url = db.url().await.unwrap();
    let other = engine::store::Store::open(&url).await.unwrap();
    let mut tasks = Vec::new();
    for (n, store) in [db.store.clone(), other.clone()].into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                store
                    .append_audit(NewAuditEvent::system(
                        "node.event",
                        "run",
                        &format!("n{n}-{i}"),
                        json!({}),
                    ))
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        db.store.verify_audit().await.unwrap(),
        AuditVerification::Intact { events: 50 }
    );
    if let engine::store::Db::Postgres(p) = other.db() {
        p.close().await;
    }
    db.cleanup().await;
}

/// Regression: a deferred SQLite transaction that read the chain head and then wrote
/// failed at once ("database is locked") when another connection wrote in between.
#[tokio::test]
async fn sqlite_audit_appends_survive_concurrent_writers() {
    let db = TestDb::sqlite().await;
    let writer = {
        let s = db.store.clone();
        tokio::spawn(async move {
            for i in 0..200 {
                s.quarantine(&format!("f{i}"), "vcf", "test").await.unwrap();
            }
        })
    };
    for i in 0..200 {
        db.store
            .append_audit(NewAuditEvent::system("t", "run", &i.to_string(), json!({})))
            .await
            .expect("audit append must not fail under concurrent writes");
    }
    writer.await.unwrap();
    assert_eq!(
        db.store.verify_audit().await.unwrap(),
        AuditVerification::Intact { events: 200 }
    );
}

/// Concurrent appends from many tasks on one SQLite store keep one unbroken chain: the
/// write lock taken by BEGIN IMMEDIATE serialises them, with no lock of our own.
#[tokio::test]
async fn sqlite_concurrent_audit_appends_keep_one_chain() {
    let db = TestDb::sqlite().await;
    let tasks: Vec<_> = (0..4)
        .map(|t| {
            let s = db.store.clone();
            tokio::spawn(async move {
                for i in 0..50 {
                    s.append_audit(NewAuditEvent::system(
                        "t",
                        "run",
                        &format!("{t}-{i}"),
                        json!({}),
                    ))
                    .await
                    .unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        db.store.verify_audit().await.unwrap(),
        AuditVerification::Intact { events: 200 }
    );
}

/// `/metrics` reads its figures here: states, queue depth and age, and the latency of
/// delivered items, per flow, on both back ends.
#[tokio::test]
async fn flow_stats_count_each_flow_by_state_with_queue_age_and_latency() {
    use engine::store::{now_ms, Attempt, NewLimsDelivery, LATENCY_BUCKETS};
    for db in TestDb::both().await {
        let s = &db.store;
        let new = |key: &str, kind: &str| NewLimsDelivery {
            idempotency_key: key.into(),
            source_kind: kind.into(),
            run_id: "RUN-1".into(),
            sample_id: Some("S1".into()),
            mapping: "m".into(),
            destination: "lims".into(),
            document: "{}".into(),
            mapping_sha256: "0".repeat(64),
        };
        let sent = s
            .enqueue_lims(&new("a", "illumina-run-folder"))
            .await
            .unwrap()
            .unwrap();
        s.enqueue_lims(&new("b", "illumina-run-folder"))
            .await
            .unwrap()
            .unwrap();
        s.enqueue_lims(&new("c", "quantstudio"))
            .await
            .unwrap()
            .unwrap();
        let now = now_ms();
        assert!(s
            .claim_lims(sent, "test-node", now, now + 60_000)
            .await
            .unwrap()
            .is_some());
        s.record_lims_attempt(
            sent,
            &Attempt {
                status: "delivered",
                next_attempt_ms: 0,
                last_status: Some(201),
                last_error: None,
                response_body: None,
                ack_code: None,
                ..Attempt::default()
            },
        )
        .await
        .unwrap();

        let flows = s.flow_stats().await.unwrap();
        let names: Vec<&str> = flows.iter().map(|f| f.flow).collect();
        assert_eq!(
            names,
            [
                "run-to-lims",
                "qc-to-lims",
                "vcf-to-lri",
                "vcf-to-fhir",
                "orders-in"
            ],
            "{}",
            db.backend
        );
        let run = &flows[0];
        assert_eq!(
            run.states,
            [("delivered".to_string(), 1), ("pending".to_string(), 1)],
            "{}",
            db.backend
        );
        assert_eq!(run.received(), 2);
        assert_eq!(run.queue_depth, 1);
        let age = run.oldest_queued_seconds.expect("one waits");
        assert!((0.0..3600.0).contains(&age), "{} age {age}", db.backend);
        let latency = run.latency.as_ref().unwrap();
        assert_eq!(latency.count, 1, "{}", db.backend);
        assert_eq!(latency.buckets.len(), LATENCY_BUCKETS.len());
        assert_eq!(*latency.buckets.last().unwrap(), 1, "{}", db.backend);
        assert!(latency.sum_seconds >= 0.0);
        assert_eq!(flows[1].states, [("pending".to_string(), 1)]);
        assert_eq!(flows[2].received(), 0);
        assert_eq!(flows[2].oldest_queued_seconds, None);
        assert_eq!(flows[2].latency.as_ref().unwrap().count, 0);
        s.ping().await.unwrap();
        db.cleanup().await;
    }
}
