//! Tampering with the audit log by someone who can bypass the database's refusals (the
//! triggers are dropped through raw SQL, as a DBA could), on SQLite and PostgreSQL: a
//! deleted event, two swapped events and a tail cut off the end are each named by
//! verification; the tail only thanks to an anchor, and an anchor file outside the
//! database still catches it when the anchors table was rewritten too.

mod common;

use common::{config, TestDb};
use engine::{
    pipeline::{anchors, Engine},
    store::{AuditVerification, NewAuditEvent, Store},
};
use serde_json::json;

async fn chain(store: &Store, n: usize) {
    for i in 0..n {
        store
            .append_audit(NewAuditEvent::system(
                "test.event",
                "run",
                &format!("R{i}"),
                json!({ "i": i }),
            ))
            .await
            .unwrap();
    }
}

/// Runs `sql` with the append-only triggers out of the way.
async fn raw(store: &Store, sql: &str) {
    match store.db() {
        engine::store::Db::Sqlite(p) => {
            for t in [
                "audit_events_no_update",
                "audit_events_no_delete",
                "audit_anchors_no_delete",
            ] {
                sqlx::query(&format!("DROP TRIGGER IF EXISTS {t}"))
                    .execute(p)
                    .await
                    .unwrap();
            }
            sqlx::query(sql).execute(p).await.unwrap();
        }
        engine::store::Db::Postgres(p) => {
            for t in ["audit_events", "audit_anchors"] {
                sqlx::query(&format!("ALTER TABLE {t} DISABLE TRIGGER USER"))
                    .execute(p)
                    .await
                    .unwrap();
            }
            sqlx::query(sql).execute(p).await.unwrap();
        }
    }
}

fn broken_at(v: AuditVerification) -> (i64, String) {
    match v {
        AuditVerification::Broken { event_id, reason } => (event_id, reason),
        other => panic!("tampering not detected: {other:?}"),
    }
}

#[tokio::test]
async fn a_deleted_event_in_the_middle_is_named() {
    for db in TestDb::both().await {
        chain(&db.store, 6).await;
        raw(&db.store, "DELETE FROM audit_events WHERE id = 3").await;
        let (id, reason) = broken_at(db.store.verify_audit().await.unwrap());
        assert_eq!(id, 4, "{}: {reason}", db.backend);
        assert!(reason.contains("prev_hash"), "{reason}");
        db.cleanup().await;
    }
}

#[tokio::test]
async fn two_swapped_events_are_named() {
    for db in TestDb::both().await {
        chain(&db.store, 6).await;
        // Row 3 takes row 4's content and row 4 takes row 3's.
        raw(&db.store, "UPDATE audit_events SET id = -3 WHERE id = 3").await;
        raw(&db.store, "UPDATE audit_events SET id = 3 WHERE id = 4").await;
        raw(&db.store, "UPDATE audit_events SET id = 4 WHERE id = -3").await;
        let (id, reason) = broken_at(db.store.verify_audit().await.unwrap());
        assert_eq!(id, 3, "{}: {reason}", db.backend);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_truncated_tail_is_caught_against_the_anchor_and_the_anchor_file() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("anchors.jsonl");
        let mut cfg = config(tmp.path(), 1);
        cfg.audit.anchor_file = Some(file.clone());
        let engine = Engine::new(db.store.clone(), cfg);
        chain(&db.store, 4).await;
        anchors::anchor_once(&engine).await.unwrap().unwrap();
        chain(&db.store, 2).await;
        let last = anchors::anchor_once(&engine).await.unwrap().unwrap();
        assert_eq!(last.event_id, 6);
        // The head has not moved: nothing new to anchor.
        assert!(anchors::anchor_once(&engine).await.unwrap().is_none());
        assert_eq!(
            db.store.verify_audit().await.unwrap(),
            AuditVerification::Intact { events: 6 }
        );

        raw(&db.store, "DELETE FROM audit_events WHERE id > 4").await;
        // What remains is a perfect chain: without an anchor nothing is wrong.
        assert_eq!(
            db.store.verify_audit_against(&[]).await.unwrap(),
            AuditVerification::Intact { events: 4 }
        );
        let (id, reason) = broken_at(db.store.verify_audit().await.unwrap());
        assert_eq!(id, 6, "{}: {reason}", db.backend);
        assert!(reason.contains("removed from the end"), "{reason}");

        // The anchors table is rewritten too; the file outside the database still holds.
        raw(&db.store, "DELETE FROM audit_anchors").await;
        assert_eq!(
            db.store.verify_audit().await.unwrap(),
            AuditVerification::Intact { events: 4 }
        );
        let from_file = anchors::read_anchor_file(&file).unwrap();
        assert_eq!(from_file.len(), 2);
        let (id, _) = broken_at(db.store.verify_audit_against(&from_file).await.unwrap());
        assert_eq!(id, 6, "{}", db.backend);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_bad_anchor_file_line_is_named() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("anchors.jsonl");
    std::fs::write(
        &file,
        "{\"event_id\":1,\"hash\":\"ab\",\"at\":\"t\"}\nnot json\n",
    )
    .unwrap();
    let e = anchors::read_anchor_file(&file).unwrap_err();
    assert!(e.contains("anchors.jsonl: line 2: not an anchor"), "{e}");
}
