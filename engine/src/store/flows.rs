//! Per-flow figures for metrics: read from the queues themselves at each scrape, so every
//! node of a cluster reports the same numbers and a restart loses none. No PHI: counts,
//! ages and latencies only.

use super::{Db, Result, Store};
use sqlx::Row;

/// Upper bounds (seconds) of the latency histogram's buckets: from sub-second MLLP ACKs
/// to an hour of retries.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0,
];

/// One path through the engine and where its items stand now.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowStats {
    /// `run-to-lims`, `qc-to-lims`, `vcf-to-lri`, `vcf-to-fhir` or `orders-in`.
    pub flow: &'static str,
    /// Items by state (`pending`, `delivered`, `dead_letter`, `stored`, …).
    pub states: Vec<(String, i64)>,
    /// Items waiting to be sent, and the age in seconds of the oldest.
    pub queue_depth: i64,
    pub oldest_queued_seconds: Option<f64>,
    /// Stored-to-ACK latency of delivered items; `None` for a flow that sends nothing.
    pub latency: Option<Latency>,
}

impl FlowStats {
    /// Every item the flow has taken in, whatever its state.
    pub fn received(&self) -> i64 {
        self.states.iter().map(|(_, n)| n).sum()
    }
}

/// A cumulative histogram: `buckets[i]` counts items at most [`LATENCY_BUCKETS`]`[i]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Latency {
    pub buckets: Vec<u64>,
    pub count: u64,
    pub sum_seconds: f64,
}

/// The queue tables and the filter that makes each flow.
const QUEUES: [(&str, &str, &str); 4] = [
    (
        "run-to-lims",
        "lims_deliveries",
        "source_kind = 'illumina-run-folder'",
    ),
    (
        "qc-to-lims",
        "lims_deliveries",
        "source_kind <> 'illumina-run-folder'",
    ),
    ("vcf-to-lri", "messages", "kind = 'lri'"),
    ("vcf-to-fhir", "messages", "kind = 'fhir'"),
];

impl Store {
    /// Delivered items by flow and by the node whose attempt delivered them:
    /// (flow, node, count). Items delivered before nodes were recorded count as `unknown`.
    pub async fn delivered_by_node(&self) -> Result<Vec<(String, String, i64)>> {
        let mut out = Vec::new();
        for (flow, table, filter) in QUEUES {
            let sql = format!(
                "SELECT COALESCE(claimed_by, 'unknown') AS node, COUNT(*) FROM {table} \
                 WHERE {filter} AND status = 'delivered' GROUP BY COALESCE(claimed_by, 'unknown') ORDER BY 1"
            );
            let rows: Vec<(String, i64)> =
                super::with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
            out.extend(
                rows.into_iter()
                    .map(|(node, n)| (flow.to_string(), node, n)),
            );
        }
        Ok(out)
    }

    /// Every flow's figures, in a fixed order.
    pub async fn flow_stats(&self) -> Result<Vec<FlowStats>> {
        let mut out = Vec::new();
        for (flow, table, filter) in QUEUES {
            out.push(self.queue_stats(flow, table, filter).await?);
        }
        let orders: i64 = super::with_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM orders")
            .fetch_one(p)
            .await?);
        out.push(FlowStats {
            flow: "orders-in",
            states: vec![("stored".into(), orders)],
            queue_depth: 0,
            oldest_queued_seconds: None,
            latency: None,
        });
        Ok(out)
    }

    async fn queue_stats(
        &self,
        flow: &'static str,
        table: &str,
        filter: &str,
    ) -> Result<FlowStats> {
        // The tables and filters are the constants above; nothing here comes from a user.
        let by_state = format!(
            "SELECT status, COUNT(*) FROM {table} WHERE {filter} GROUP BY status ORDER BY status"
        );
        let states: Vec<(String, i64)> = super::with_pool!(self, p => sqlx::query_as(&by_state)
            .fetch_all(p)
            .await?);
        let (seconds, age_now) = match &self.db {
            Db::Sqlite(_) => (
                "(julianday(updated_at) - julianday(created_at)) * 86400.0",
                "(julianday('now') - julianday(MIN(created_at))) * 86400.0",
            ),
            Db::Postgres(_) => (
                "EXTRACT(EPOCH FROM (CAST(updated_at AS timestamptz) - CAST(created_at AS timestamptz)))::float8",
                "EXTRACT(EPOCH FROM (now() - CAST(MIN(created_at) AS timestamptz)))::float8",
            ),
        };
        let queue = format!(
            "SELECT COUNT(*), {age_now} FROM {table} WHERE {filter} AND status = 'pending'"
        );
        let (queue_depth, oldest): (i64, Option<f64>) =
            super::with_pool!(self, p => sqlx::query_as(&queue).fetch_one(p).await?);
        let buckets: Vec<String> = LATENCY_BUCKETS
            .iter()
            .map(|b| format!("COALESCE(SUM(CASE WHEN lat <= {b:?} THEN 1 ELSE 0 END), 0)"))
            .collect();
        let latency = format!(
            "SELECT COUNT(*), COALESCE(SUM(lat), 0.0), {} FROM \
             (SELECT {seconds} AS lat FROM {table} WHERE {filter} AND status = 'delivered') AS d",
            buckets.join(", ")
        );
        let row = super::with_pool!(self, p => {
            let r = sqlx::query(&latency).fetch_one(p).await?;
            let mut counts = Vec::with_capacity(LATENCY_BUCKETS.len());
            for i in 0..LATENCY_BUCKETS.len() {
                counts.push(r.try_get::<i64, _>(i + 2)?.max(0) as u64);
            }
            Latency {
                count: r.try_get::<i64, _>(0)?.max(0) as u64,
                sum_seconds: r.try_get::<f64, _>(1)?,
                buckets: counts,
            }
        });
        Ok(FlowStats {
            flow,
            states,
            queue_depth,
            oldest_queued_seconds: oldest.map(|s| s.max(0.0)),
            latency: Some(row),
        })
    }

    /// How many items of `flows` wait to be sent, and when the oldest was stored (RFC 3339):
    /// what the dashboard and the alert rules read, without `flow_stats`' histograms.
    pub async fn queue_head(&self, flows: &[&str]) -> Result<(Option<String>, i64)> {
        let (mut oldest, mut queued): (Option<String>, i64) = (None, 0);
        for (_, table, filter) in QUEUES.iter().filter(|(f, _, _)| flows.contains(f)) {
            let sql = format!(
                "SELECT MIN(created_at), COUNT(*) FROM {table} WHERE {filter} AND status = 'pending'"
            );
            let (o, n): (Option<String>, i64) =
                super::with_pool!(self, p => sqlx::query_as(&sql).fetch_one(p).await?);
            queued += n;
            oldest = match (oldest, o) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok((oldest, queued))
    }

    /// Items of `flows` dead-lettered at or after `since` (RFC 3339).
    pub async fn dead_letters_since(&self, flows: &[&str], since: &str) -> Result<i64> {
        let mut n = 0;
        for (_, table, filter) in QUEUES.iter().filter(|(f, _, _)| flows.contains(f)) {
            let sql = format!(
                "SELECT COUNT(*) FROM {table} WHERE {filter} AND status = 'dead_letter' AND updated_at >= $1"
            );
            let c: i64 = super::with_pool!(self, p => sqlx::query_scalar(&sql).bind(since).fetch_one(p).await?);
            n += c;
        }
        Ok(n)
    }

    /// For `/ready`: the database answers a query.
    pub async fn ping(&self) -> Result<()> {
        let _: i64 = super::with_pool!(self, p => sqlx::query_scalar("SELECT CAST(1 AS BIGINT)").fetch_one(p).await?);
        Ok(())
    }
}
