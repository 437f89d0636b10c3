//! LIMS deliveries: each document built for the LIMS, its state and its last answer.
//!
//! States: `pending` (due at `next_attempt_ms`), `delivered`, `dead_letter`. A sender
//! claims a due row by pushing its `next_attempt_ms` past the attempt's timeout in one
//! conditional UPDATE, so two nodes never send the same row at once, and a node that dies
//! mid-attempt only delays the row until the lease runs out.

use super::{with_pool, Result, Store};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug)]
pub struct NewLimsDelivery {
    pub idempotency_key: String,
    /// The record's kind, e.g. `illumina-run-folder`.
    pub source_kind: String,
    pub run_id: String,
    pub sample_id: Option<String>,
    pub mapping: String,
    /// The destination's configured name.
    pub destination: String,
    /// The JSON document, as sent.
    pub document: String,
    /// The body SHA-256 of the mapping version that built it (lineage).
    pub mapping_sha256: String,
}

/// A delivery as the API and the dashboard list it (without the document).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct LimsDeliveryRow {
    pub id: i64,
    pub idempotency_key: String,
    pub source_kind: String,
    pub run_id: String,
    pub sample_id: Option<String>,
    pub mapping: String,
    pub destination: String,
    pub status: String,
    pub attempts: i64,
    /// The HTTP status of the last answer; none when there was no answer.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    /// The last answer's body, cut to 4 KiB: the LIMS's reason for a dead letter.
    pub response_body: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The mapping version that built the document: its body SHA-256.
    pub mapping_sha256: String,
}

/// A row claimed for one attempt.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClaimedLims {
    pub id: i64,
    pub idempotency_key: String,
    pub run_id: String,
    pub sample_id: Option<String>,
    pub mapping: String,
    /// Counting this attempt.
    pub attempts: i64,
    pub document: String,
}

/// What one attempt left behind, in any queue.
#[derive(Clone, Debug, Default)]
pub struct Attempt<'a> {
    /// `pending` (to retry), `delivered` or `dead_letter`.
    pub status: &'a str,
    pub next_attempt_ms: i64,
    /// The HTTP status of a REST answer.
    pub last_status: Option<i64>,
    /// MSA-1 of an MLLP ACK (`AA`, `AE`, `AR`).
    pub ack_code: Option<&'a str>,
    pub last_error: Option<&'a str>,
    pub response_body: Option<&'a str>,
    /// Which attempt this was and the node that made it: kept in an outbound message's
    /// attempt history (`message_attempts`).
    pub attempt: i64,
    pub node: &'a str,
}

const ROW_COLUMNS: &str =
    "id, idempotency_key, source_kind, run_id, sample_id, mapping, destination, \
    status, attempts, last_status, last_error, response_body, created_at, updated_at, mapping_sha256";

/// Milliseconds since the Unix epoch, the clock `next_attempt_ms` is on.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

impl Store {
    /// Queues a document. Returns `None` when its idempotency key is already queued (a
    /// restart, or another node, got there first): the document is never sent twice.
    pub async fn enqueue_lims(&self, d: &NewLimsDelivery) -> Result<Option<i64>> {
        let now = super::now();
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "INSERT INTO lims_deliveries (idempotency_key, source_kind, run_id, sample_id, mapping, destination, \
             status, document, created_at, updated_at, mapping_sha256) VALUES ($1,$2,$3,$4,$5,$6,'pending',$7,$8,$8,$9) \
             ON CONFLICT (idempotency_key) DO NOTHING RETURNING id")
            .bind(&d.idempotency_key).bind(&d.source_kind).bind(&d.run_id).bind(&d.sample_id)
            .bind(&d.mapping).bind(&d.destination).bind(&d.document).bind(&now).bind(&d.mapping_sha256)
            .fetch_optional(p).await?))
    }

    /// How many documents were ever queued for a run (any state, any mapping).
    pub async fn lims_count_for_run(&self, run_id: &str) -> Result<i64> {
        Ok(
            with_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM lims_deliveries WHERE run_id = $1")
            .bind(run_id).fetch_one(p).await?),
        )
    }

    /// Ids of pending deliveries due at `now_ms`, oldest first. With `ordered`, a delivery
    /// waits while an earlier one for its sample (or run, without a sample) is pending or
    /// dead-lettered.
    /// `sources` is an extra condition on `d.source_kind` (a paused flow's), or empty.
    pub async fn due_lims(
        &self,
        now_ms: i64,
        limit: i64,
        ordered: bool,
        sources: &str,
    ) -> Result<Vec<i64>> {
        let held = if ordered {
            "AND NOT EXISTS (SELECT 1 FROM lims_deliveries b \
             WHERE COALESCE(b.sample_id, b.run_id) = COALESCE(d.sample_id, d.run_id) \
             AND b.id < d.id AND b.status IN ('pending', 'dead_letter'))"
        } else {
            ""
        };
        let sql = format!(
            "SELECT d.id FROM lims_deliveries d WHERE d.status = 'pending' AND d.next_attempt_ms <= $1 \
             {held} {sources} ORDER BY d.id LIMIT $2"
        );
        Ok(with_pool!(self, p => sqlx::query_scalar(&sql)
            .bind(now_ms).bind(limit).fetch_all(p).await?))
    }

    /// Claims a due delivery for one attempt until `lease_until_ms`, counting the attempt.
    /// `None` when it is not pending, not due, or already claimed elsewhere.
    pub async fn claim_lims(
        &self,
        id: i64,
        node: &str,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Option<ClaimedLims>> {
        let now = super::now();
        Ok(with_pool!(self, p => sqlx::query_as(
            "UPDATE lims_deliveries SET attempts = attempts + 1, next_attempt_ms = $1, updated_at = $2, claimed_by = $5 \
             WHERE id = $3 AND status = 'pending' AND next_attempt_ms <= $4 \
             RETURNING id, idempotency_key, run_id, sample_id, mapping, attempts, document")
            .bind(lease_until_ms).bind(&now).bind(id).bind(now_ms).bind(node)
            .fetch_optional(p).await?))
    }

    /// Records the outcome of the attempt just made on a claimed delivery.
    pub async fn record_lims_attempt(&self, id: i64, a: &Attempt<'_>) -> Result<()> {
        let now = super::now();
        with_pool!(self, p => {
            sqlx::query(
                "UPDATE lims_deliveries SET status = $1, next_attempt_ms = $2, last_status = $3, last_error = $4, \
                 response_body = $5, updated_at = $6 WHERE id = $7")
                .bind(a.status).bind(a.next_attempt_ms).bind(a.last_status).bind(a.last_error)
                .bind(a.response_body).bind(&now).bind(id)
                .execute(p).await?;
        });
        Ok(())
    }

    /// Puts a dead letter back in the queue, due now, with a fresh attempt budget. Returns
    /// false when the delivery is not a dead letter (never delivered twice by a reprocess).
    pub async fn reprocess_lims(&self, id: i64) -> Result<bool> {
        let now = super::now();
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE lims_deliveries SET status = 'pending', attempts = 0, next_attempt_ms = 0, updated_at = $1 \
             WHERE id = $2 AND status = 'dead_letter'")
            .bind(&now).bind(id).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// The newest deliveries first.
    pub async fn list_lims(&self, limit: i64) -> Result<Vec<LimsDeliveryRow>> {
        let sql = format!("SELECT {ROW_COLUMNS} FROM lims_deliveries ORDER BY id DESC LIMIT $1");
        Ok(with_pool!(self, p => sqlx::query_as(&sql).bind(limit).fetch_all(p).await?))
    }

    pub async fn lims_delivery(&self, id: i64) -> Result<Option<LimsDeliveryRow>> {
        let sql = format!("SELECT {ROW_COLUMNS} FROM lims_deliveries WHERE id = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    /// The document queued for a delivery, exactly as it is sent.
    pub async fn lims_document(&self, id: i64) -> Result<Option<String>> {
        Ok(
            with_pool!(self, p => sqlx::query_scalar("SELECT document FROM lims_deliveries WHERE id = $1")
            .bind(id).fetch_optional(p).await?),
        )
    }
}
