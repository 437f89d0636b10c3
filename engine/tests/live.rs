//! The live dashboard's reads and the list pages' keyset paging, on SQLite and PostgreSQL:
//! counts per flow and state, queue heads, throughput per minute, latency histograms of
//! the last hour, recent failures, and pages that neither overlap nor skip.

mod common;

use common::{synthetic_order, TestDb};
use engine::store::{self, Attempt, Cursor, NewLimsDelivery, Store};

fn delivery(i: usize, source_kind: &str) -> NewLimsDelivery {
    NewLimsDelivery {
        idempotency_key: format!("key-{i}"),
        source_kind: source_kind.into(),
        run_id: "RUN1".into(),
        sample_id: Some(format!("S{i:03}")),
        mapping: "m".into(),
        destination: "lims".into(),
        document: "{}".into(),
        mapping_sha256: "0".repeat(64),
    }
}

async fn finish(s: &Store, id: i64, status: &str, error: Option<&str>) {
    let a = Attempt {
        status,
        last_error: error,
        attempt: 1,
        node: "n",
        ..Attempt::default()
    };
    s.record_lims_attempt(id, &a).await.unwrap();
}

#[tokio::test]
async fn live_reads_and_keyset_pages_agree_with_the_rows() {
    for db in TestDb::both().await {
        let s = &db.store;
        let b = db.backend;
        let mut ids = Vec::new();
        for i in 0..30 {
            let kind = if i < 20 {
                "illumina-run-folder"
            } else {
                "quantstudio"
            };
            ids.push(s.enqueue_lims(&delivery(i, kind)).await.unwrap().unwrap());
        }
        // Run documents: 12 delivered, 1 dead letter, 1 pending after a failed attempt.
        for id in &ids[..12] {
            finish(s, *id, "delivered", None).await;
        }
        finish(s, ids[12], "dead_letter", Some("HTTP 422 refused")).await;
        finish(s, ids[13], "pending", Some("connection refused")).await;
        s.insert_order(&synthetic_order("LIVE-1")).await.unwrap();
        s.insert_order(&synthetic_order("LIVE-2")).await.unwrap();
        for i in 0..3 {
            s.quarantine(&format!("/in/{i}.vcf"), "vcf", "bad")
                .await
                .unwrap();
        }

        let states = s.flow_states().await.unwrap();
        let n = |flow: &str, status: &str| {
            states
                .iter()
                .find(|(f, st, _)| f == flow && st == status)
                .map_or(0, |r| r.2)
        };
        assert_eq!(n("run-to-lims", "delivered"), 12, "{b}");
        assert_eq!(n("run-to-lims", "dead_letter"), 1, "{b}");
        assert_eq!(n("run-to-lims", "pending"), 7, "{b}");
        assert_eq!(n("qc-to-lims", "pending"), 10, "{b}");

        let heads = s.queue_heads().await.unwrap();
        let run = heads.iter().find(|h| h.flow == "run-to-lims").unwrap();
        assert_eq!(run.queued, 7, "{b}");
        assert!(store::age_seconds(run.oldest.as_deref().unwrap()).unwrap() < 60.0);

        let minutes = store::last_minutes(60);
        assert_eq!(minutes.len(), 60);
        let per_minute = s.throughput_since(&minutes[0], 16).await.unwrap();
        let in_window: i64 = per_minute
            .iter()
            .filter(|(f, m, _)| f == "run-to-lims" && minutes.contains(m))
            .map(|r| r.2)
            .sum();
        assert_eq!(in_window, 12, "{b}: {per_minute:?}");
        let last_minute = s
            .throughput_since(&store::seconds_ago(60), 0)
            .await
            .unwrap();
        let total = |flow: &str| last_minute.iter().find(|r| r.0 == flow).map_or(0, |r| r.2);
        assert_eq!(total("run-to-lims"), 12, "{b}");
        assert_eq!(total("orders-in"), 2, "{b}");
        assert_eq!(total("qc-to-lims"), 0, "{b}");
        // Nothing in the future.
        let later = s.throughput_since("9999-01-01T00:00", 16).await.unwrap();
        assert!(later.is_empty(), "{b}: {later:?}");

        let latency = s.latency_since(&store::seconds_ago(3600)).await.unwrap();
        let (_, l) = latency.iter().find(|(f, _)| f == "run-to-lims").unwrap();
        assert_eq!(l.count, 12, "{b}");
        assert_eq!(*l.buckets.last().unwrap(), 12, "{b}: all within the hour");

        let failures = s.recent_failures(5).await.unwrap();
        assert_eq!(failures.len(), 2, "{b}: {failures:?}");
        assert!(failures
            .iter()
            .all(|f| f.source == "lims" && f.flow == "run-to-lims"));
        let statuses: Vec<&str> = failures.iter().map(|f| f.status.as_str()).collect();
        assert!(statuses.contains(&"dead_letter") && statuses.contains(&"pending"));

        let totals = s.live_totals().await.unwrap();
        assert_eq!(
            (totals.quarantined, totals.runs, totals.awaiting_order),
            (3, 0, 0)
        );

        // Pages of 12 over 30 deliveries: 12, 12, 6, newest first, and back again.
        let page = |before, after| Cursor {
            before,
            after,
            limit: 12,
        };
        let p1 = s.lims_page(page(None, None)).await.unwrap();
        assert_eq!(
            (p1.rows.len(), p1.newer, p1.older, p1.total),
            (12, false, true, 30),
            "{b}"
        );
        assert_eq!(p1.rows[0].id, ids[29]);
        let p2 = s.lims_page(page(Some(p1.rows[11].id), None)).await.unwrap();
        assert_eq!((p2.rows.len(), p2.newer, p2.older), (12, true, true), "{b}");
        assert_eq!(p2.rows[0].id, ids[17]);
        let p3 = s.lims_page(page(Some(p2.rows[11].id), None)).await.unwrap();
        assert_eq!((p3.rows.len(), p3.newer, p3.older), (6, true, false), "{b}");
        assert_eq!(p3.rows[5].id, ids[0]);
        let back = s.lims_page(page(None, Some(p3.rows[0].id))).await.unwrap();
        assert_eq!(
            back.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            p2.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
            "{b}: the previous page is the same page"
        );
        let q = s.quarantine_page(page(None, None)).await.unwrap();
        assert_eq!(
            (q.rows.len(), q.newer, q.older, q.total),
            (3, false, false, 3),
            "{b}"
        );
        let w = s.waiting_page(page(None, None)).await.unwrap();
        assert_eq!((w.rows.len(), w.total), (0, 0), "{b}");
        db.cleanup().await;
    }
}

/// Not a test: what one live snapshot costs the database over 100,000 messages and
/// 100,000 LIMS deliveries spread over a week (SQLite). Run with
/// `cargo test -p genobridge-engine --test live -- --ignored --nocapture`.
#[tokio::test]
#[ignore]
async fn bench_live_reads_over_a_large_database() {
    let db = TestDb::sqlite().await;
    let s = &db.store;
    let engine::store::Db::Sqlite(pool) = s.db() else {
        unreachable!()
    };
    let seed = [
        "INSERT INTO reports (sample_id, source_file, source_sha256, status, records_read, \
         variants_reported, records_rejected, created_at) VALUES ('S1', '/in/s1.vcf', 'x', 'sent', 1, 1, 0, '2026-01-01T00:00:00Z')",
        // One message every 6 s over the last week: ~600 in the last hour.
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
         INSERT INTO messages (report_pk, kind, control_id, destination, status, body, created_at, updated_at, \
         mapping_name, mapping_sha256, idempotency_key, last_error) \
         SELECT 1, CASE WHEN i % 2 = 0 THEN 'lri' ELSE 'fhir' END, 'C' || i, 'ehr', \
         CASE WHEN i % 50 = 0 THEN 'dead_letter' WHEN i % 97 = 0 THEN 'pending' ELSE 'delivered' END, '', \
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (i * 6 + 2) || ' seconds'), \
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (i * 6) || ' seconds'), 'vcf-report', 'x', 'K' || i, \
         CASE WHEN i % 50 = 0 THEN 'AE: refused' END FROM n",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) \
         INSERT INTO lims_deliveries (idempotency_key, source_kind, run_id, sample_id, mapping, destination, status, \
         document, created_at, updated_at, mapping_sha256, last_error) \
         SELECT 'L' || i, CASE WHEN i % 4 = 0 THEN 'quantstudio' ELSE 'illumina-run-folder' END, 'RUN', 'S' || i, 'm', 'lims', \
         CASE WHEN i % 40 = 0 THEN 'dead_letter' WHEN i % 89 = 0 THEN 'pending' ELSE 'delivered' END, '{}', \
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (i * 6 + 1) || ' seconds'), \
         strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || (i * 6) || ' seconds'), 'x', \
         CASE WHEN i % 40 = 0 THEN 'HTTP 422' END FROM n",
        "ANALYZE",
    ];
    for sql in seed {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = std::time::Instant::now();
        let minutes = store::last_minutes(60);
        s.throughput_since(&minutes[0], 16).await.unwrap();
        s.throughput_since(&store::seconds_ago(60), 0)
            .await
            .unwrap();
        s.latency_since(&store::seconds_ago(3600)).await.unwrap();
        s.flow_states().await.unwrap();
        s.queue_heads().await.unwrap();
        s.paused_flows().await.unwrap();
        s.destination_health().await.unwrap();
        s.mapping_versions(None).await.unwrap();
        s.orders_received().await.unwrap();
        s.live_totals().await.unwrap();
        s.open_alerts().await.unwrap();
        s.recent_failures(5).await.unwrap();
        s.reports_needing_order(3).await.unwrap();
        s.recent_audit(5).await.unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    macro_rules! each {
        ($($name:literal => $e:expr),* $(,)?) => {$({
            let t = std::time::Instant::now();
            for _ in 0..5 { $e.await.unwrap(); }
            println!("  {}: {:.1} ms", $name, t.elapsed().as_secs_f64() * 200.0);
        })*};
    }
    let minutes = store::last_minutes(60);
    let (minute, hour) = (store::seconds_ago(60), store::seconds_ago(3600));
    each!(
        "throughput per minute" => s.throughput_since(&minutes[0], 16),
        "throughput last minute" => s.throughput_since(&minute, 0),
        "latency" => s.latency_since(&hour),
        "flow states" => s.flow_states(),
        "queue heads" => s.queue_heads(),
        "totals" => s.live_totals(),
        "failures" => s.recent_failures(5),
        "mappings" => s.mapping_versions(None),
    );
    times.sort_by(|a, b| a.total_cmp(b));
    let states = s.flow_states().await.unwrap();
    println!(
        "live snapshot reads over 200,000 rows: median {:.1} ms, max {:.1} ms ({states:?})",
        times[10], times[19]
    );
    db.cleanup().await;
}
