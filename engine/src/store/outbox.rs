//! The outbox: every outbound message (an LRI ORU over MLLP, a FHIR Bundle over REST) is a
//! row of `messages` before any send, and the row is its own queue entry with the same
//! states and claim as a LIMS delivery (see `store::lims`): `pending` (due at
//! `next_attempt_ms`), `delivered`, `dead_letter`; and `stored` when no destination was
//! configured when it was built (kept, never sent).
//!
//! A claim moves `next_attempt_ms` to the end of a lease: a node that dies mid-attempt
//! leaves the row to be taken again once the lease runs out (or at once, by itself, when
//! it starts again). Delivery is therefore at least once, always under the same key.

use super::{lims::Attempt, with_pool, Db, Result, Store};
use serde::{Deserialize, Serialize};

/// A message claimed for one attempt.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClaimedMessage {
    pub id: i64,
    pub report_pk: i64,
    pub sample_id: String,
    pub control_id: String,
    /// The MSH-10 of an LRI message; the `Idempotency-Key` of a FHIR Bundle.
    pub idempotency_key: String,
    /// Counting this attempt.
    pub attempts: i64,
    /// Exactly as stored: a resend is byte for byte the first send.
    pub body: String,
}

/// A FHIR message's delivery state, for the API and tests (no body: it holds PHI).
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct FhirDeliveryRow {
    pub id: i64,
    pub sample_id: String,
    pub control_id: String,
    pub destination: String,
    pub idempotency_key: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_ms: i64,
    /// The HTTP status of the last answer; none when there was no answer.
    pub last_status: Option<i64>,
    /// Our reason, with the OperationOutcome's issues when the server sent one.
    pub last_error: Option<String>,
    /// The last answer's body, cut to 4 KiB (an OperationOutcome, or the
    /// transaction-response Bundle once delivered).
    pub response_body: Option<String>,
    pub updated_at: String,
}

/// Which of a kind's pending messages may go now.
#[derive(Clone, Copy, Debug)]
pub struct ClaimRule<'a> {
    /// `lri` or `fhir`.
    pub kind: &'a str,
    /// Messages with the same order key go in id order: one waits while an earlier one is
    /// pending or dead-lettered, so a failing message holds those behind it.
    pub ordered: bool,
    /// This node's name, kept on the row.
    pub node: &'a str,
}

impl Store {
    /// Claims up to `limit` due messages of a kind, oldest first, for one attempt each until
    /// `lease_until_ms`, counting the attempt. On PostgreSQL rows another node is claiming
    /// are skipped (`FOR UPDATE SKIP LOCKED`); SQLite has one writer, so its single UPDATE
    /// is the atomic claim.
    pub async fn claim_messages(
        &self,
        rule: ClaimRule<'_>,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedMessage>> {
        let now = super::now();
        let held = if rule.ordered {
            "AND NOT EXISTS (SELECT 1 FROM messages b WHERE b.kind = m.kind AND b.order_key = m.order_key \
             AND b.id < m.id AND b.status IN ('pending', 'dead_letter'))"
        } else {
            ""
        };
        let lock = match self.db() {
            Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
            Db::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE messages SET attempts = attempts + 1, next_attempt_ms = $1, claimed_by = $2, updated_at = $3 \
             WHERE id IN (SELECT m.id FROM messages m WHERE m.kind = $4 AND m.status = 'pending' \
             AND m.idempotency_key IS NOT NULL AND m.next_attempt_ms <= $5 {held} ORDER BY m.id LIMIT $6 {lock}) \
             RETURNING id, report_pk, (SELECT r.sample_id FROM reports r WHERE r.id = messages.report_pk) AS sample_id, \
             control_id, idempotency_key, attempts, body"
        );
        let mut claimed: Vec<ClaimedMessage> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(lease_until_ms).bind(rule.node).bind(&now).bind(rule.kind).bind(now_ms).bind(limit)
            .fetch_all(p).await?);
        claimed.sort_by_key(|c| c.id);
        Ok(claimed)
    }

    /// Records the outcome of the attempt just made on a claimed message, and keeps it in
    /// the message's attempt history (the next attempt overwrites the row's last_* columns).
    pub async fn record_message_attempt(&self, id: i64, a: &Attempt<'_>) -> Result<()> {
        let now = super::now();
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query(
                "UPDATE messages SET status = $1, next_attempt_ms = $2, last_status = $3, last_error = $4, \
                 response_body = $5, ack_code = $6, updated_at = $7 WHERE id = $8")
                .bind(a.status).bind(a.next_attempt_ms).bind(a.last_status).bind(a.last_error)
                .bind(a.response_body).bind(a.ack_code).bind(&now).bind(id)
                .execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO message_attempts (message_id, attempt, at, node, status, ack_code, http_status, error, answer) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)")
                .bind(id).bind(a.attempt).bind(&now).bind(a.node).bind(a.status).bind(a.ack_code)
                .bind(a.last_status).bind(a.last_error).bind(a.response_body)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Gives back claims this node made but did not attempt: the attempt is not counted,
    /// and the message is due at `due_ms`.
    pub async fn unclaim_messages(&self, ids: &[i64], node: &str, due_ms: i64) -> Result<()> {
        for id in ids {
            with_pool!(self, p => {
                sqlx::query(
                    "UPDATE messages SET attempts = attempts - 1, next_attempt_ms = $1 \
                     WHERE id = $2 AND claimed_by = $3 AND status = 'pending'")
                    .bind(due_ms).bind(id).bind(node).execute(p).await?;
            });
        }
        Ok(())
    }

    /// A node that starts again takes back the claims it held when it stopped: it has no
    /// attempt in flight, so they are due now rather than when their leases run out.
    /// Returns how many rows (messages and LIMS deliveries) were released.
    pub async fn release_claims(&self, node: &str, now_ms: i64) -> Result<u64> {
        let mut n = 0;
        for table in ["messages", "lims_deliveries"] {
            let sql = format!(
                "UPDATE {table} SET next_attempt_ms = $1 WHERE claimed_by = $2 AND status = 'pending' \
                 AND next_attempt_ms > $1"
            );
            n += with_pool!(self, p => sqlx::query(&sql).bind(now_ms).bind(node).execute(p).await?.rows_affected());
        }
        Ok(n)
    }

    /// Puts a dead-lettered message back in the queue, due now, with a fresh attempt budget
    /// and the same key (an LRI message keeps its MSH-10). Returns false when it is not a
    /// dead letter.
    pub async fn reprocess_message(&self, id: i64) -> Result<bool> {
        let now = super::now();
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE messages SET status = 'pending', attempts = 0, next_attempt_ms = 0, updated_at = $1 \
             WHERE id = $2 AND status = 'dead_letter'")
            .bind(&now).bind(id).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// The kinds of message already built for a report.
    pub async fn message_kinds(&self, report_pk: i64) -> Result<Vec<String>> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT kind FROM messages WHERE report_pk = $1 ORDER BY id")
            .bind(report_pk).fetch_all(p).await?))
    }

    /// A FHIR message's delivery state.
    pub async fn fhir_delivery(&self, id: i64) -> Result<Option<FhirDeliveryRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT m.id, r.sample_id, m.control_id, m.destination, m.idempotency_key, m.status, m.attempts, \
             m.next_attempt_ms, m.last_status, m.last_error, m.response_body, m.updated_at \
             FROM messages m JOIN reports r ON r.id = m.report_pk WHERE m.id = $1 AND m.kind = 'fhir'")
            .bind(id).fetch_optional(p).await?))
    }
}
