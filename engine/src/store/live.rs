//! What the live dashboard reads once a second (one snapshot for every browser): items per
//! flow and state, queue heads, deliveries per minute over the last hour, the latency of
//! the last hour's deliveries, and the newest failures. Every query is grouped in the
//! database over an index (`messages_due`, `lims_deliveries_flow`, the `(status,
//! updated_at)` indexes, `orders_received`), so its cost follows the last hour's volume,
//! not the table's size. No PHI: flows, states, counts, times, ids and sample ids.

use super::{with_pool, Latency, Result, Store, LATENCY_BUCKETS};
use sqlx::Row;

/// The flow of a `messages` row.
const MESSAGE_FLOW: &str =
    "CASE kind WHEN 'lri' THEN 'vcf-to-lri' WHEN 'fhir' THEN 'vcf-to-fhir' ELSE kind END";
/// The flow of a `lims_deliveries` row.
const LIMS_FLOW: &str =
    "CASE WHEN source_kind = 'illumina-run-folder' THEN 'run-to-lims' ELSE 'qc-to-lims' END";

/// A flow's queue: how many items wait, and since when the oldest (RFC 3339).
#[derive(Clone, Debug, PartialEq)]
pub struct QueueHead {
    pub flow: String,
    pub queued: i64,
    pub oldest: Option<String>,
}

/// One recent failure: a dead letter, or a queued item whose last attempt failed.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct FailureRow {
    /// `message` (LRI or FHIR, see `/messages/{id}`) or `lims` (a LIMS delivery).
    pub source: String,
    pub id: i64,
    pub flow: String,
    /// The sample id (a run id for a run-level LIMS document).
    pub subject: String,
    /// `dead_letter`, or `pending` (to be retried).
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub updated_at: String,
}

/// Headline counts; each is the size of a list a page shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveTotals {
    pub runs: i64,
    pub qc_files: i64,
    pub quarantined: i64,
    pub awaiting_order: i64,
}

impl Store {
    /// Items by flow and state: (flow, status, count), for every outbound flow.
    pub async fn flow_states(&self) -> Result<Vec<(String, String, i64)>> {
        let sqls = [
            format!("SELECT {MESSAGE_FLOW} AS flow, status, COUNT(*) FROM messages GROUP BY kind, status"),
            // Grouped by the indexed columns (`lims_deliveries_flow`), not by the flow: no
            // temporary B-tree; sources of one flow are added up below.
            format!("SELECT {LIMS_FLOW} AS flow, status, COUNT(*) FROM lims_deliveries GROUP BY source_kind, status"),
        ];
        let mut out: Vec<(String, String, i64)> = Vec::new();
        for sql in sqls {
            let rows: Vec<(String, String, i64)> =
                with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
            for (flow, status, n) in rows {
                match out.iter_mut().find(|(f, s, _)| *f == flow && *s == status) {
                    Some(r) => r.2 += n,
                    None => out.push((flow, status, n)),
                }
            }
        }
        Ok(out)
    }

    /// Every outbound flow's queue head (flows with nothing queued are left out).
    pub async fn queue_heads(&self) -> Result<Vec<QueueHead>> {
        let sqls = [
            format!("SELECT {MESSAGE_FLOW} AS flow, COUNT(*), MIN(created_at) FROM messages WHERE status = 'pending' GROUP BY kind"),
            format!("SELECT {LIMS_FLOW} AS flow, COUNT(*), MIN(created_at) FROM lims_deliveries WHERE status = 'pending' GROUP BY source_kind"),
        ];
        let mut out: Vec<QueueHead> = Vec::new();
        for sql in sqls {
            let rows: Vec<(String, i64, Option<String>)> =
                with_pool!(self, p => sqlx::query_as(&sql).fetch_all(p).await?);
            for (flow, queued, oldest) in rows {
                match out.iter_mut().find(|h: &&mut QueueHead| h.flow == flow) {
                    Some(h) => {
                        h.queued += queued;
                        h.oldest = match (h.oldest.take(), oldest) {
                            (Some(a), Some(b)) => Some(a.min(b)),
                            (a, b) => a.or(b),
                        };
                    }
                    None => out.push(QueueHead {
                        flow,
                        queued,
                        oldest,
                    }),
                }
            }
        }
        Ok(out)
    }

    /// Items delivered (orders received, for `orders-in`) at or after `since` (RFC 3339),
    /// by flow and by the first `prefix` characters of their time: 16 gives minutes
    /// (`YYYY-MM-DDTHH:MM`), 0 one total per flow. (flow, bucket, count).
    pub async fn throughput_since(
        &self,
        since: &str,
        prefix: i64,
    ) -> Result<Vec<(String, String, i64)>> {
        let sqls = [
            format!("SELECT {MESSAGE_FLOW} AS flow, substr(updated_at, 1, CAST($2 AS INTEGER)) AS minute, COUNT(*) FROM messages \
                     WHERE status = 'delivered' AND updated_at >= $1 GROUP BY 1, 2"),
            format!("SELECT {LIMS_FLOW} AS flow, substr(updated_at, 1, CAST($2 AS INTEGER)) AS minute, COUNT(*) FROM lims_deliveries \
                     WHERE status = 'delivered' AND updated_at >= $1 GROUP BY 1, 2"),
            "SELECT 'orders-in' AS flow, substr(received_at, 1, CAST($2 AS INTEGER)) AS minute, COUNT(*) FROM orders \
             WHERE received_at >= $1 GROUP BY 2".to_string(),
        ];
        let mut out = Vec::new();
        for sql in sqls {
            let rows: Vec<(String, String, i64)> = with_pool!(self, p => sqlx::query_as(&sql).bind(since).bind(prefix).fetch_all(p).await?);
            out.extend(rows);
        }
        Ok(out)
    }

    /// Source-to-ACK latency of the items delivered at or after `since`, per flow, as a
    /// cumulative histogram over [`LATENCY_BUCKETS`].
    pub async fn latency_since(&self, since: &str) -> Result<Vec<(String, Latency)>> {
        let seconds = match self.db() {
            super::Db::Sqlite(_) => "(julianday(updated_at) - julianday(created_at)) * 86400.0",
            super::Db::Postgres(_) => "EXTRACT(EPOCH FROM (CAST(updated_at AS timestamptz) - CAST(created_at AS timestamptz)))::float8",
        };
        let buckets: Vec<String> = LATENCY_BUCKETS
            .iter()
            .map(|b| format!("COALESCE(SUM(CASE WHEN lat <= {b:?} THEN 1 ELSE 0 END), 0)"))
            .collect();
        let buckets = buckets.join(", ");
        let sqls = [
            format!(
                "SELECT flow, COUNT(*), COALESCE(SUM(lat), 0.0), {buckets} FROM \
                     (SELECT {MESSAGE_FLOW} AS flow, {seconds} AS lat FROM messages \
                      WHERE status = 'delivered' AND updated_at >= $1) AS d GROUP BY flow"
            ),
            format!(
                "SELECT flow, COUNT(*), COALESCE(SUM(lat), 0.0), {buckets} FROM \
                     (SELECT {LIMS_FLOW} AS flow, {seconds} AS lat FROM lims_deliveries \
                      WHERE status = 'delivered' AND updated_at >= $1) AS d GROUP BY flow"
            ),
        ];
        let mut out = Vec::new();
        for sql in sqls {
            with_pool!(self, p => {
                for r in sqlx::query(&sql).bind(since).fetch_all(p).await? {
                    let mut counts = Vec::with_capacity(LATENCY_BUCKETS.len());
                    for i in 0..LATENCY_BUCKETS.len() {
                        counts.push(r.try_get::<i64, _>(i + 3)?.max(0) as u64);
                    }
                    out.push((r.try_get::<String, _>(0)?, Latency {
                        count: r.try_get::<i64, _>(1)?.max(0) as u64,
                        sum_seconds: r.try_get::<f64, _>(2)?,
                        buckets: counts,
                    }));
                }
            });
        }
        Ok(out)
    }

    /// The newest failures, newest first: dead letters, and queued items whose last attempt
    /// failed (they will be retried), from both the message outbox and the LIMS queue.
    pub async fn recent_failures(&self, limit: i64) -> Result<Vec<FailureRow>> {
        let mut out: Vec<FailureRow> = Vec::new();
        for status in ["dead_letter", "pending"] {
            let messages = format!(
                "SELECT 'message' AS source, m.id, {} AS flow, r.sample_id AS subject, m.status, \
                 m.attempts, m.last_error, m.updated_at FROM messages m JOIN reports r ON r.id = m.report_pk \
                 WHERE m.status = $1 AND m.last_error IS NOT NULL ORDER BY m.updated_at DESC LIMIT $2",
                MESSAGE_FLOW.replace("kind", "m.kind")
            );
            let lims = format!(
                "SELECT 'lims' AS source, id, {LIMS_FLOW} AS flow, COALESCE(sample_id, run_id) AS subject, \
                 status, attempts, last_error, updated_at FROM lims_deliveries \
                 WHERE status = $1 AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT $2"
            );
            for sql in [messages, lims] {
                let rows: Vec<FailureRow> = with_pool!(self, p => sqlx::query_as(&sql)
                    .bind(status).bind(limit).fetch_all(p).await?);
                out.extend(rows);
            }
        }
        out.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
        out.truncate(limit.max(0) as usize);
        Ok(out)
    }

    /// The sizes of the lists the console pages show.
    pub async fn live_totals(&self) -> Result<LiveTotals> {
        let count = |sql: &'static str| async move {
            let n: i64 = with_pool!(self, p => sqlx::query_scalar(sql).fetch_one(p).await?);
            Ok::<i64, super::StoreError>(n)
        };
        Ok(LiveTotals {
            runs: count("SELECT COUNT(*) FROM runs").await?,
            qc_files: count("SELECT COUNT(*) FROM instrument_files").await?,
            quarantined: count("SELECT COUNT(*) FROM quarantine").await?,
            awaiting_order: count("SELECT COUNT(*) FROM reports WHERE status = 'needs_order'")
                .await?,
        })
    }

    /// How many orders were received, ever.
    pub async fn orders_received(&self) -> Result<i64> {
        Ok(
            with_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM orders").fetch_one(p).await?),
        )
    }
}

/// The minutes of the last `n` (the one under way last), as `YYYY-MM-DDTHH:MM`: the keys
/// [`Store::throughput_since`] groups by, and (the first one) its `since`.
pub fn last_minutes(n: usize) -> Vec<String> {
    let now = time::OffsetDateTime::now_utc();
    (0..n)
        .rev()
        .map(|i| {
            let t = now - time::Duration::minutes(i as i64);
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .collect()
}

/// Now minus `seconds`, as stored timestamps are written (RFC 3339, UTC).
pub fn seconds_ago(seconds: i64) -> String {
    (time::OffsetDateTime::now_utc() - time::Duration::seconds(seconds))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Seconds since a stored timestamp; `None` when it does not parse.
pub fn age_seconds(at: &str) -> Option<f64> {
    let t = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    Some(((time::OffsetDateTime::now_utc() - t).as_seconds_f64()).max(0.0))
}

/// Milliseconds since the Unix epoch as RFC 3339, UTC.
pub fn rfc3339_of_ms(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}
