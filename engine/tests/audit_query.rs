//! Inspectors' audit queries on SQLite and PostgreSQL: each filter (sample, run,
//! accession, message, mapping version, user, kind and kind family, dates) and keyset pages
//! in both directions that meet without gaps or overlaps.

mod common;

use common::TestDb;
use engine::store::{AuditQuery, NewAuditEvent};
use serde_json::json;

fn ids(page: &engine::store::AuditPage) -> Vec<i64> {
    page.events.iter().map(|e| e.id).collect()
}

#[tokio::test]
async fn every_filter_and_keyset_pages() {
    for db in TestDb::both().await {
        let s = &db.store;
        let events = [
            NewAuditEvent::system("run.completed", "run", "RUN-1", json!({})),
            NewAuditEvent::system(
                "report.created",
                "sample",
                "S1",
                json!({ "accession": "ACC-1" }),
            ),
            NewAuditEvent::system(
                "message.created",
                "sample",
                "S1",
                json!({ "message_id": 7, "mapping_sha256": "abc" }),
            ),
            NewAuditEvent::system(
                "message.delivered",
                "sample",
                "S1",
                json!({ "message_id": 7 }),
            ),
            NewAuditEvent::user(
                "dir1",
                "phi.viewed",
                "sample",
                "S1",
                json!({ "message_id": 7 }),
            ),
            NewAuditEvent::user("dir1", "phi.search", "patient", "search", json!({})),
            NewAuditEvent::system(
                "report.created",
                "sample",
                "S2",
                json!({ "accession": "ACC-2" }),
            ),
        ];
        for e in events {
            s.append_audit(e).await.unwrap();
        }
        let q = |f: fn(&mut AuditQuery)| {
            let mut q = AuditQuery::default();
            f(&mut q);
            q
        };
        let count = |q: AuditQuery| async move { s.query_audit(&q).await.unwrap().events.len() };
        assert_eq!(
            count(q(|q| q.sample = Some("S1".into()))).await,
            4,
            "{}",
            db.backend
        );
        assert_eq!(count(q(|q| q.run = Some("RUN-1".into()))).await, 1);
        assert_eq!(
            count(q(|q| q.accession = Some("ACC-2".into()))).await,
            1,
            "{}",
            db.backend
        );
        assert_eq!(count(q(|q| q.message = Some(7))).await, 3, "{}", db.backend);
        assert_eq!(count(q(|q| q.mapping_sha256 = Some("abc".into()))).await, 1);
        assert_eq!(count(q(|q| q.user = Some("dir1".into()))).await, 2);
        assert_eq!(count(q(|q| q.user = Some("system".into()))).await, 5);
        assert_eq!(
            count(q(|q| q.action = Some("phi.".into()))).await,
            2,
            "a family"
        );
        assert_eq!(
            count(q(|q| q.action = Some("report.created".into()))).await,
            2
        );
        let today = s.recent_audit(1).await.unwrap()[0].at[..10].to_string();
        let mut day = AuditQuery {
            from: Some(today.clone()),
            to: Some(today),
            ..Default::default()
        };
        assert_eq!(s.query_audit(&day).await.unwrap().events.len(), 7);
        day.to = Some("2000-01-01".into());
        assert!(s.query_audit(&day).await.unwrap().events.is_empty());
        let bad = AuditQuery {
            from: Some("soon".into()),
            ..Default::default()
        };
        assert!(s
            .query_audit(&bad)
            .await
            .unwrap_err()
            .to_string()
            .contains("from"));

        // Newest first in pages of 3: 7 6 5 | 4 3 2 | 1, and back.
        let page = |before, after| AuditQuery {
            before,
            after,
            limit: Some(3),
            ..Default::default()
        };
        let p1 = s.query_audit(&page(None, None)).await.unwrap();
        assert_eq!(
            (ids(&p1), p1.newer),
            (vec![7, 6, 5], None),
            "{}",
            db.backend
        );
        let p2 = s.query_audit(&page(p1.older, None)).await.unwrap();
        assert_eq!(ids(&p2), vec![4, 3, 2]);
        let p3 = s.query_audit(&page(p2.older, None)).await.unwrap();
        assert_eq!((ids(&p3), p3.older), (vec![1], None));
        let back = s.query_audit(&page(None, p3.newer)).await.unwrap();
        assert_eq!(ids(&back), vec![4, 3, 2]);
        // Oldest first, as a timeline or an export reads them.
        let all = s
            .audit_all(&AuditQuery {
                sample: Some("S1".into()),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(
            all.iter().map(|e| e.id).collect::<Vec<_>>(),
            vec![2, 3, 4, 5]
        );
        db.cleanup().await;
    }
}
