//! FHIR messages as a delivery queue. A FHIR message row is its own queue entry, with the
//! same states and the same claim as a LIMS delivery (see `store::lims`): `pending` (due
//! at `next_attempt_ms`), `delivered`, `dead_letter`; and `stored` when no FHIR
//! destination was configured when it was built (kept, never sent).

use super::{lims::LimsAttempt, with_pool, Result, Store};
use serde::{Deserialize, Serialize};

/// A FHIR message claimed for one attempt.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClaimedFhir {
    pub id: i64,
    pub report_pk: i64,
    pub control_id: String,
    pub idempotency_key: String,
    /// Counting this attempt.
    pub attempts: i64,
    /// The transaction Bundle, exactly as stored.
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

impl Store {
    /// Ids of pending FHIR messages due at `now_ms`, oldest first.
    pub async fn due_fhir(&self, now_ms: i64, limit: i64) -> Result<Vec<i64>> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT id FROM messages WHERE kind = 'fhir' AND status = 'pending' AND idempotency_key IS NOT NULL \
             AND next_attempt_ms <= $1 ORDER BY id LIMIT $2")
            .bind(now_ms).bind(limit).fetch_all(p).await?))
    }

    /// Claims a due FHIR message for one attempt until `lease_until_ms`, counting the
    /// attempt. `None` when it is not pending, not due, or already claimed elsewhere.
    pub async fn claim_fhir(
        &self,
        id: i64,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> Result<Option<ClaimedFhir>> {
        let now = super::now();
        Ok(with_pool!(self, p => sqlx::query_as(
            "UPDATE messages SET attempts = attempts + 1, next_attempt_ms = $1, updated_at = $2 \
             WHERE id = $3 AND kind = 'fhir' AND status = 'pending' AND idempotency_key IS NOT NULL \
             AND next_attempt_ms <= $4 \
             RETURNING id, report_pk, control_id, idempotency_key, attempts, body")
            .bind(lease_until_ms).bind(&now).bind(id).bind(now_ms)
            .fetch_optional(p).await?))
    }

    /// Records the outcome of the attempt just made on a claimed FHIR message.
    pub async fn record_fhir_attempt(&self, id: i64, a: &LimsAttempt<'_>) -> Result<()> {
        let now = super::now();
        with_pool!(self, p => {
            sqlx::query(
                "UPDATE messages SET status = $1, next_attempt_ms = $2, last_status = $3, last_error = $4, \
                 response_body = $5, updated_at = $6 WHERE id = $7 AND kind = 'fhir'")
                .bind(a.status).bind(a.next_attempt_ms).bind(a.last_status).bind(a.last_error)
                .bind(a.response_body).bind(&now).bind(id)
                .execute(p).await?;
        });
        Ok(())
    }

    /// Puts a FHIR dead letter back in the queue, due now, with a fresh attempt budget and
    /// the same idempotency key. Returns false when it is not a dead letter.
    pub async fn reprocess_fhir(&self, id: i64) -> Result<bool> {
        let now = super::now();
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE messages SET status = 'pending', attempts = 0, next_attempt_ms = 0, updated_at = $1 \
             WHERE id = $2 AND kind = 'fhir' AND status = 'dead_letter'")
            .bind(&now).bind(id).execute(p).await?.rows_affected());
        Ok(n == 1)
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
