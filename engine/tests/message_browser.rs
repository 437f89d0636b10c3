//! The message browser's store and the two ways to send a message again, on SQLite and
//! PostgreSQL, with real MLLP receivers on 127.0.0.1: search by each filter, keyset pages
//! that meet without gaps or overlaps, every delivery attempt kept with its ACK, resend
//! under the same MSH-10, and reprocess into a new control id that points at the original.

mod common;

use common::{config, ehr, nb6tk328_for, synthetic_order, TestDb};
use engine::{
    pipeline::{
        outbox::{self, MessageQueue},
        process_vcf,
        reprocess::{rebuild_message, RebuildError},
        Engine, VcfOutcome,
    },
    store::{MessageQuery, Order},
};
use std::{
    path::{Path, PathBuf},
    time::Duration,
};

/// The fixture VCF for `accession`, made distinct by a header line so each is a report.
fn vcf(dir: &Path, accession: &str) -> PathBuf {
    let path = nb6tk328_for(dir, accession);
    let text = std::fs::read_to_string(&path).unwrap();
    let (first, rest) = text.split_once('\n').unwrap();
    std::fs::write(
        &path,
        format!("{first}\n##genobridge_test={accession}\n{rest}"),
    )
    .unwrap();
    path
}

fn order(accession: &str, mrn: &str, family: &str) -> Order {
    Order {
        patient_mrn: mrn.into(),
        patient_family: family.into(),
        ..synthetic_order(accession)
    }
}

/// Reports the VCF; returns the LRI message's id.
async fn report(engine: &Engine, path: &Path) -> i64 {
    match process_vcf(engine, path).await {
        VcfOutcome::Reported { messages, .. } => messages[0],
        other => panic!("{}: {other:?}", path.display()),
    }
}

/// Passes of the LRI queue until message `id` is no longer pending.
async fn settle(engine: &Engine, id: i64) -> String {
    let q = MessageQueue::lri(engine.config.lri_destination.as_ref().unwrap());
    for _ in 0..300 {
        let status = engine.store.message(id).await.unwrap().unwrap().status;
        if status != "pending" {
            return status;
        }
        outbox::deliver_due(engine, &q).await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("message {id} stayed pending");
}

fn ids(page: &engine::store::MessagePage) -> Vec<i64> {
    page.rows.iter().map(|r| r.id).collect()
}

#[tokio::test]
async fn search_filters_and_keyset_pages() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let (port, _) = ehr("AA").await;
        let engine = Engine::new(db.store.clone(), config(tmp.path(), port));
        let patients = [
            ("ACC-1", "SYN-1", "Testperson"),
            ("ACC-2", "SYN-2", "Examplar"),
            ("ACC-3", "SYN-3", "Testperson"),
        ];
        let mut lri = Vec::new();
        for (acc, mrn, family) in patients {
            db.store
                .insert_order(&order(acc, mrn, family))
                .await
                .unwrap();
            lri.push(report(&engine, &vcf(tmp.path(), acc)).await);
        }
        let search = |q: MessageQuery| {
            let store = db.store.clone();
            async move { store.search_messages(&q).await.unwrap() }
        };
        let all = search(MessageQuery::default()).await;
        assert_eq!(
            all.rows.len(),
            6,
            "{}: an LRI and a FHIR per report",
            db.backend
        );
        assert!(
            all.rows.windows(2).all(|w| w[0].id > w[1].id),
            "newest first"
        );
        assert_eq!((all.newer, all.older), (None, None), "one page holds all");

        let by_acc = search(MessageQuery {
            accession: Some("ACC-2".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(by_acc.rows.len(), 2, "{}", db.backend);
        let lri_only = search(MessageQuery {
            flow: Some("vcf-to-lri".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            ids(&lri_only),
            lri.iter().rev().copied().collect::<Vec<_>>()
        );
        let stored = search(MessageQuery {
            status: Some("stored".into()),
            ..Default::default()
        })
        .await;
        assert!(stored
            .rows
            .iter()
            .all(|r| r.kind == "fhir" && r.destination == "none"));
        assert_eq!(
            stored.rows.len(),
            3,
            "no FHIR destination: stored, not sent"
        );
        let dest = lri_only.rows[0].destination.clone();
        assert!(dest.contains(&port.to_string()), "{dest}");
        let to_ehr = search(MessageQuery {
            destination: Some(dest),
            ..Default::default()
        })
        .await;
        assert_eq!(to_ehr.rows.len(), 3);
        let by_sample = search(MessageQuery {
            sample: Some("NB6TK328".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(by_sample.rows.len(), 6);
        let none = search(MessageQuery {
            sample: Some("NOPE".into()),
            ..Default::default()
        })
        .await;
        assert!(none.rows.is_empty());

        // PHI: by MRN, and by family name in any case, or given and family name.
        let by_mrn = search(MessageQuery {
            mrn: Some("SYN-3".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(by_mrn.rows.len(), 2);
        assert!(by_mrn.rows.iter().all(|r| r.sample_id == "NB6TK328"));
        let by_name = search(MessageQuery {
            patient: Some("testPERSON".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(by_name.rows.len(), 4, "two patients share the family name");
        let full = search(MessageQuery {
            patient: Some("Alex Examplar".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(full.rows.len(), 2);
        assert!(MessageQuery {
            mrn: Some("x".into()),
            ..Default::default()
        }
        .searches_phi());
        assert!(!MessageQuery {
            mrn: Some("  ".into()),
            ..Default::default()
        }
        .searches_phi());

        // Dates: today's messages are inside today, none are before it.
        let today = &all.rows[0].updated_at[..10];
        let day = search(MessageQuery {
            from: Some(today.into()),
            to: Some(today.into()),
            ..Default::default()
        })
        .await;
        assert_eq!(
            day.rows.len(),
            6,
            "{}: a bare date takes the whole day",
            db.backend
        );
        let before = search(MessageQuery {
            to: Some("2000-01-01".into()),
            ..Default::default()
        })
        .await;
        assert!(before.rows.is_empty());

        // Pages of 4 then 2, and back again, meet without gaps or overlaps.
        let p1 = search(MessageQuery {
            limit: Some(4),
            ..Default::default()
        })
        .await;
        assert_eq!(p1.rows.len(), 4);
        assert_eq!(p1.newer, None);
        let p2 = search(MessageQuery {
            limit: Some(4),
            before: p1.older,
            ..Default::default()
        })
        .await;
        assert_eq!(p2.rows.len(), 2);
        assert_eq!(p2.older, None, "the last page");
        let mut joined = ids(&p1);
        joined.extend(ids(&p2));
        assert_eq!(joined, ids(&all));
        let back = search(MessageQuery {
            limit: Some(4),
            after: p2.newer,
            ..Default::default()
        })
        .await;
        assert_eq!(
            ids(&back),
            ids(&p1),
            "{}: the previous page is the first page",
            db.backend
        );
        assert_eq!(back.newer, None);

        // Bad input names the field.
        let bad = MessageQuery {
            from: Some("last tuesday".into()),
            ..Default::default()
        };
        let err = db
            .store
            .search_messages(&bad)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("from") && err.contains("last tuesday"),
            "{err}"
        );
        let bad = MessageQuery {
            flow: Some("email".into()),
            ..Default::default()
        };
        assert!(bad.check().unwrap_err().to_string().starts_with("flow:"));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn attempts_are_kept_and_a_reprocessed_message_replaces_the_original() {
    for db in TestDb::both().await {
        let tmp = tempfile::tempdir().unwrap();
        let (refusing, _) = ehr("AE").await;
        let (accepting, seen) = ehr("AA").await;
        let failing = Engine::new(db.store.clone(), config(tmp.path(), refusing));
        db.store
            .insert_order(&order("ACC-9", "SYN-9", "Testperson"))
            .await
            .unwrap();
        let path = vcf(tmp.path(), "ACC-9");
        let id = report(&failing, &path).await;
        assert_eq!(settle(&failing, id).await, "dead_letter");
        let d = db.store.message_detail(id).await.unwrap().unwrap();
        assert_eq!(d.attempts.len(), 1, "{}", db.backend);
        let a = &d.attempts[0];
        assert_eq!(
            (a.attempt, a.status.as_str(), a.ack_code.as_deref()),
            (1, "dead_letter", Some("AE"))
        );
        assert_eq!(a.node, "test-node");
        let ack = a.answer.as_deref().unwrap();
        assert!(
            ack.starts_with("MSH|") && ack.contains("MSA|AE|"),
            "the ACK as received: {ack}"
        );
        assert!(d.body.starts_with("MSH|"), "the ORU itself");
        assert_eq!(d.report.source_file, path.display().to_string());
        assert_eq!(d.order.as_ref().unwrap().accession, "ACC-9");
        assert_eq!(d.siblings.len(), 1, "the report's FHIR Bundle");

        // A resend of a dead letter at a fixed destination: the same MSH-10, delivered.
        let fixed = Engine::new(db.store.clone(), config(tmp.path(), accepting));
        assert!(db.store.resend_message(id).await.unwrap());
        assert!(
            !db.store.resend_message(id).await.unwrap(),
            "already queued"
        );
        assert_eq!(settle(&fixed, id).await, "delivered");
        let original = d.row.control_id.clone();
        assert_eq!(seen.lock().unwrap().len(), 1);
        assert!(seen.lock().unwrap()[0].contains(&format!("|{original}|")));
        let attempts = db.store.message_attempts(id).await.unwrap();
        assert_eq!(attempts.len(), 2, "{}: both attempts are kept", db.backend);
        assert_eq!(attempts[1].ack_code.as_deref(), Some("AA"));

        // Reprocess: built again under a new control id that points at the original.
        let new_id = rebuild_message(&fixed, id, "eng1").await.unwrap();
        let new = db.store.message_detail(new_id).await.unwrap().unwrap();
        assert_eq!(new.row.control_id, format!("{original}2"));
        assert_eq!(new.reprocessed_from.as_deref(), Some(original.as_str()));
        assert_eq!(new.row.status, "pending");
        assert!(
            new.body.contains(&format!("|{original}2|")),
            "MSH-10 is the new id"
        );
        let old = db.store.message_detail(id).await.unwrap().unwrap();
        assert_eq!(old.row.status, "replaced");
        assert_eq!(old.replaced_by, Some((new_id, new.row.control_id.clone())));
        assert_eq!(settle(&fixed, new_id).await, "delivered");
        assert_eq!(seen.lock().unwrap().len(), 2);
        // The replaced message is neither sent nor rebuilt again.
        assert!(!db.store.resend_message(id).await.unwrap());
        let again = rebuild_message(&fixed, id, "eng1").await.unwrap_err();
        assert!(matches!(again, RebuildError::WrongState { .. }), "{again}");
        let audit = db.store.recent_audit(50).await.unwrap();
        let ev = audit
            .iter()
            .find(|e| e.action == "message.reprocessed")
            .unwrap();
        assert_eq!(ev.actor, "user:eng1");

        // A VCF changed since it was reported is not rebuilt into a different report.
        std::fs::write(&path, "##fileformat=VCFv4.2\n").unwrap();
        let err = rebuild_message(&fixed, new_id, "eng1").await.unwrap_err();
        assert!(matches!(err, RebuildError::Source(..)), "{err}");
        assert!(err.to_string().contains("SHA-256"), "{err}");
        assert_eq!(
            db.store.message(new_id).await.unwrap().unwrap().status,
            "delivered"
        );
        db.cleanup().await;
    }
}
