//! The outbox, on SQLite and PostgreSQL, with a real MLLP receiver on 127.0.0.1: a message
//! is stored before any send and its schedule lives in the database. Covered: a claim left
//! by a node that died is taken back when it starts again, and by another node once the
//! lease runs out, with the same MSH-10; an ordered destination holds an accession's later
//! results behind a dead letter while other accessions flow, then sends them in order; a
//! failed connection gives the rest of a batch back uncounted; a report stored without its
//! messages (a crash between the two) gets them on the next scan.

mod common;

use common::synthetic_order as order;

use common::{config, nb6tk328_for, TestDb};
use engine::{
    delivery::{ack, mllp},
    pipeline::{
        outbox::{self, MessageQueue},
        process_vcf, Engine, VcfOutcome,
    },
    store::{ClaimRule, MessageRow, NewReport},
};
use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

/// The received messages' MSH-10s, in arrival order.
type Seen = Arc<Mutex<Vec<String>>>;

/// An MLLP receiver on 127.0.0.1 that answers AE to the control ids in `refuse` (while
/// they are there) and AA to the rest.
async fn receiver(refuse: Arc<Mutex<Vec<String>>>) -> (u16, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen: Seen = Arc::default();
    let keep = seen.clone();
    tokio::spawn(mllp::serve(listener, move |msg| {
        let id = hl7_parser::Message::parse(&msg)
            .ok()
            .and_then(|m| m.query("MSH.10").map(|v| v.raw_value().to_string()))
            .unwrap_or_default();
        keep.lock().unwrap().push(id.clone());
        let refused = refuse.lock().unwrap().contains(&id);
        Box::pin(async move {
            if refused {
                ack::build_ack(&msg, "AE", "OBX-5 not accepted", "EHRACK")
            } else {
                ack::build_ack(&msg, "AA", "", "EHRACK")
            }
        })
    }));
    (port, seen)
}

/// The fixture VCF under `accession`, its content made distinct by `variant` (a header
/// line), so each copy is its own report.
fn vcf(dir: &Path, accession: &str, variant: &str) -> PathBuf {
    let path = nb6tk328_for(dir, accession);
    let text = std::fs::read_to_string(&path).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    let to = dir.join(format!("{accession}_NB6TK328_{variant}.vcf"));
    std::fs::write(
        &to,
        format!("{first}\n##genobridge_test={accession}-{variant}\n{rest}"),
    )
    .unwrap();
    std::fs::remove_file(&path).unwrap();
    to
}

async fn lri_of(engine: &Engine, path: &Path) -> MessageRow {
    let outcome = process_vcf(engine, path).await;
    let VcfOutcome::Reported { messages, .. } = outcome else {
        panic!("{}: {outcome:?}", path.display())
    };
    engine.store.message(messages[0]).await.unwrap().unwrap()
}

async fn status(engine: &Engine, id: i64) -> (String, i64) {
    let m = engine.store.message(id).await.unwrap().unwrap();
    (m.status, m.attempts)
}

/// Passes of the LRI queue until `done` holds (the test's backoffs are tens of ms).
async fn drain_until(engine: &Engine, what: &str, done: impl AsyncFn() -> bool) {
    let q = MessageQueue::lri(engine.config.lri_destination.as_ref().unwrap());
    for _ in 0..300 {
        if done().await {
            return;
        }
        outbox::deliver_due(engine, &q).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{what} never happened");
}

#[tokio::test]
async fn a_dead_nodes_claim_is_resumed_with_the_same_msh10() {
    for db in TestDb::both().await {
        let (port, seen) = receiver(Arc::default()).await;
        let tmp = tempfile::tempdir().unwrap();
        db.store.insert_order(&order("ACC-R")).await.unwrap();
        let engine = Engine::new(db.store.clone(), config(tmp.path(), port));
        let lri = lri_of(&engine, &vcf(tmp.path(), "ACC-R", "a")).await;
        assert_eq!((lri.status.as_str(), lri.attempts), ("pending", 0));

        // A node claims it and dies before sending: its lease holds the message.
        let rule = ClaimRule {
            kind: "lri",
            ordered: true,
            node: "test-node",
        };
        let now = engine::store::now_ms();
        let claimed = db.store.claim_messages(rule, now, now + 600_000, 10);
        let claimed = claimed.await.unwrap();
        assert_eq!(claimed.len(), 1, "{}", db.backend);
        assert_eq!(
            claimed[0].idempotency_key, lri.control_id,
            "MSH-10 is the key"
        );
        let q = MessageQueue::lri(engine.config.lri_destination.as_ref().unwrap());
        let mut other = engine.config.clone();
        other.node = "other-node".into();
        let other = Engine::new(db.store.clone(), other);
        assert_eq!(outbox::deliver_due(&other, &q).await, 0, "leased elsewhere");
        assert!(seen.lock().unwrap().is_empty());

        // The node starts again and takes its own claim back: sent once, same MSH-10.
        assert_eq!(
            db.store
                .release_claims("test-node", engine::store::now_ms())
                .await
                .unwrap(),
            1
        );
        assert_eq!(outbox::deliver_due(&other, &q).await, 1);
        assert_eq!(status(&engine, lri.id).await, ("delivered".into(), 2));
        assert_eq!(
            seen.lock().unwrap().as_slice(),
            std::slice::from_ref(&lri.control_id)
        );

        // A lease that runs out is anyone's: another node sends it.
        db.store.insert_order(&order("ACC-S")).await.unwrap();
        let lri2 = lri_of(&engine, &vcf(tmp.path(), "ACC-S", "b")).await;
        let now = engine::store::now_ms();
        let claimed = db.store.claim_messages(rule, now, now + 50, 10).await;
        assert_eq!(claimed.unwrap().len(), 1);
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(outbox::deliver_due(&other, &q).await, 1, "{}", db.backend);
        assert_eq!(status(&engine, lri2.id).await.0, "delivered");
        assert_eq!(seen.lock().unwrap().len(), 2);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn an_ordered_destination_holds_an_accession_behind_its_dead_letter() {
    for db in TestDb::both().await {
        let refuse: Arc<Mutex<Vec<String>>> = Arc::default();
        let (port, seen) = receiver(refuse.clone()).await;
        let tmp = tempfile::tempdir().unwrap();
        for acc in ["ACC-A", "ACC-B"] {
            db.store.insert_order(&order(acc)).await.unwrap();
        }
        let engine = Engine::new(db.store.clone(), config(tmp.path(), port));
        let a1 = lri_of(&engine, &vcf(tmp.path(), "ACC-A", "1")).await;
        let a2 = lri_of(&engine, &vcf(tmp.path(), "ACC-A", "2")).await;
        let b1 = lri_of(&engine, &vcf(tmp.path(), "ACC-B", "1")).await;
        refuse.lock().unwrap().push(a1.control_id.clone());

        drain_until(&engine, "A1 refused and B1 delivered", async || {
            status(&engine, a1.id).await.0 == "dead_letter"
                && status(&engine, b1.id).await.0 == "delivered"
        })
        .await;
        // A2 waits behind its accession's dead letter, never attempted; B flowed.
        for _ in 0..5 {
            outbox::deliver_due(
                &engine,
                &MessageQueue::lri(engine.config.lri_destination.as_ref().unwrap()),
            )
            .await;
        }
        assert_eq!(
            status(&engine, a2.id).await,
            ("pending".into(), 0),
            "{}",
            db.backend
        );
        assert_eq!(
            *seen.lock().unwrap(),
            [a1.control_id.clone(), b1.control_id.clone()]
        );
        // What holds it is named for the dashboard.
        let listed = db.store.message(a2.id).await.unwrap().unwrap();
        assert_eq!(listed.held_by.as_deref(), Some(a1.control_id.as_str()));
        let free = db.store.message(b1.id).await.unwrap().unwrap();
        assert_eq!(free.held_by, None);

        // The EHR is fixed and the dead letter reprocessed: A1, then A2, in order.
        refuse.lock().unwrap().clear();
        assert!(db.store.reprocess_message(a1.id).await.unwrap());
        drain_until(&engine, "A2 delivered", async || {
            status(&engine, a2.id).await.0 == "delivered"
        })
        .await;
        assert_eq!(status(&engine, a1.id).await.0, "delivered");
        assert_eq!(
            *seen.lock().unwrap(),
            [
                a1.control_id.clone(),
                b1.control_id.clone(),
                a1.control_id.clone(),
                a2.control_id.clone()
            ],
            "{}",
            db.backend
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_failed_connection_gives_the_rest_of_the_batch_back_uncounted() {
    let db = TestDb::sqlite().await;
    // A port with nothing listening.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let tmp = tempfile::tempdir().unwrap();
    let mut ids = Vec::new();
    let mut cfg = config(tmp.path(), port);
    cfg.lri_destination.as_mut().unwrap().max_attempts = 10;
    cfg.lri_destination.as_mut().unwrap().backoff_ms = 60_000;
    let engine = Engine::new(db.store.clone(), cfg);
    for acc in ["ACC-1", "ACC-2", "ACC-3"] {
        db.store.insert_order(&order(acc)).await.unwrap();
        ids.push(lri_of(&engine, &vcf(tmp.path(), acc, "x")).await.id);
    }
    let q = MessageQueue::lri(engine.config.lri_destination.as_ref().unwrap());
    assert_eq!(outbox::deliver_due(&engine, &q).await, 3, "claimed");
    let mut attempts = Vec::new();
    for id in &ids {
        attempts.push(status(&engine, *id).await);
    }
    assert_eq!(
        attempts,
        [
            ("pending".into(), 1),
            ("pending".into(), 0),
            ("pending".into(), 0)
        ]
    );
    // All three now wait for the first one's retry, so nothing is due yet.
    assert_eq!(outbox::deliver_due(&engine, &q).await, 0);
    let last = db.store.message(ids[0]).await.unwrap().unwrap();
    assert!(last.last_error.unwrap().contains("cannot connect"));
    db.cleanup().await;
}

#[tokio::test]
async fn a_report_stored_without_its_messages_gets_them_on_the_next_scan() {
    for db in TestDb::both().await {
        let (port, _seen) = receiver(Arc::default()).await;
        let tmp = tempfile::tempdir().unwrap();
        let order_id = db.store.insert_order(&order("ACC-C")).await.unwrap();
        let engine = Engine::new(db.store.clone(), config(tmp.path(), port));
        let path = vcf(tmp.path(), "ACC-C", "c");
        // What a process killed between storing the report and its messages leaves.
        let sha = {
            use sha2::{Digest, Sha256};
            hex::encode(Sha256::digest(std::fs::read(&path).unwrap()))
        };
        let new = NewReport {
            sample_id: "NB6TK328".into(),
            accession: Some("ACC-C".into()),
            source_file: path.display().to_string(),
            source_sha256: sha,
            order_pk: Some(order_id),
            status: "ready".into(),
            records_read: 1,
            variants_reported: 1,
            records_rejected: 0,
        };
        let report_id = db.store.insert_report(&new).await.unwrap().unwrap();
        let outcome = process_vcf(&engine, &path).await;
        let VcfOutcome::Reported {
            report_id: got,
            messages,
        } = outcome
        else {
            panic!("{}: {outcome:?}", db.backend)
        };
        assert_eq!((got, messages.len()), (report_id, 2), "{}", db.backend);
        let lri = db.store.message(messages[0]).await.unwrap().unwrap();
        assert_eq!((lri.kind.as_str(), lri.status.as_str()), ("lri", "pending"));
        // Once complete, the file is reported.
        assert_eq!(
            process_vcf(&engine, &path).await,
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
        assert!(actions.iter().any(|a| a == "report.messages_recovered"));
        db.cleanup().await;
    }
}

/// A paused flow claims nothing on any node: its messages stay queued, unattempted, while
/// new ones keep being built; resumed, they all go. A name that is not a flow is refused.
#[tokio::test]
async fn a_paused_flow_holds_its_queue_and_loses_nothing() {
    for db in TestDb::both().await {
        let (port, seen) = receiver(Arc::default()).await;
        let tmp = tempfile::tempdir().unwrap();
        db.store.insert_order(&order("ACC-P")).await.unwrap();
        let engine = Engine::new(db.store.clone(), config(tmp.path(), port));
        assert!(db
            .store
            .pause_flow("vcf-to-lri", "user:engineer")
            .await
            .unwrap());
        assert!(!db
            .store
            .pause_flow("vcf-to-lri", "user:admin")
            .await
            .unwrap());
        assert!(db
            .store
            .pause_flow("to-nowhere", "user:admin")
            .await
            .is_err());
        let first = lri_of(&engine, &vcf(tmp.path(), "ACC-P", "1")).await;
        let q = MessageQueue::lri(engine.config.lri_destination.as_ref().unwrap());
        assert_eq!(outbox::deliver_due(&engine, &q).await, 0);
        let second = lri_of(&engine, &vcf(tmp.path(), "ACC-P", "2")).await;
        assert_eq!(outbox::deliver_due(&engine, &q).await, 0);
        assert_eq!(status(&engine, first.id).await, ("pending".into(), 0));
        assert!(seen.lock().unwrap().is_empty(), "{}", db.backend);
        let paused = db.store.paused_flows().await.unwrap();
        assert_eq!(paused[0].paused_by, "user:engineer");

        assert!(db.store.resume_flow("vcf-to-lri").await.unwrap());
        drain_until(&engine, "both delivered", async || {
            status(&engine, second.id).await.0 == "delivered"
        })
        .await;
        assert_eq!(status(&engine, first.id).await.0, "delivered");
        assert_eq!(
            *seen.lock().unwrap(),
            [first.control_id.clone(), second.control_id.clone()],
            "{}",
            db.backend
        );
        db.cleanup().await;
    }
}
