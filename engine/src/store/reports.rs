//! Reports built from VCFs, the messages built from them, and quarantined inputs.

use super::{with_pool, Result, Store};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug)]
pub struct NewReport {
    pub sample_id: String,
    /// The order's accession, as the file name gave it.
    pub accession: Option<String>,
    pub source_file: String,
    pub source_sha256: String,
    pub order_pk: Option<i64>,
    pub status: String,
    pub records_read: i64,
    pub variants_reported: i64,
    pub records_rejected: i64,
}

#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub sample_id: String,
    pub accession: Option<String>,
    pub source_file: String,
    pub status: String,
    pub records_read: i64,
    pub variants_reported: i64,
    pub records_rejected: i64,
    pub created_at: String,
}

#[derive(Clone, Debug)]
pub struct NewMessage {
    pub report_pk: i64,
    /// `lri` (HL7 v2 ORU^R01) or `fhir` (R4 Bundle).
    pub kind: String,
    pub control_id: String,
    pub destination: String,
    pub status: String,
    pub body: String,
    /// The mapping version that built it: name and body SHA-256.
    pub mapping_name: String,
    pub mapping_sha256: String,
    /// Set for a message queued to a destination: the MSH-10 of an LRI message, the
    /// `Idempotency-Key` of a FHIR Bundle. None for a message only stored.
    pub idempotency_key: Option<String>,
    /// Messages with the same key go out in order to an ordered destination.
    pub order_key: String,
}

/// A message as the dashboard lists it (no body: it holds PHI).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct MessageRow {
    pub id: i64,
    pub report_pk: i64,
    pub sample_id: String,
    pub kind: String,
    pub control_id: String,
    pub destination: String,
    pub status: String,
    pub attempts: i64,
    pub ack_code: Option<String>,
    pub last_error: Option<String>,
    pub updated_at: String,
    /// The mapping version that built it: name and body SHA-256.
    pub mapping_name: String,
    pub mapping_sha256: String,
    /// The earliest queued or dead-lettered message of the same order key (accession) built
    /// before this one: what holds it back where the destination is `ordered`. Only
    /// meaningful there; the caller knows which destinations are.
    pub held_by: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow)]
pub struct QuarantineRow {
    pub id: i64,
    pub source: String,
    pub kind: String,
    pub reason: String,
    pub created_at: String,
}

pub(super) const MESSAGE_COLUMNS: &str =
    "m.id, m.report_pk, r.sample_id, m.kind, m.control_id, m.destination, m.status, \
    m.attempts, m.ack_code, m.last_error, m.updated_at, m.mapping_name, m.mapping_sha256, \
    CASE WHEN m.status = 'pending' THEN (SELECT b.control_id FROM messages b WHERE b.kind = m.kind \
    AND b.order_key = m.order_key AND b.id < m.id AND b.status IN ('pending', 'dead_letter') \
    ORDER BY b.id LIMIT 1) END AS held_by";

impl Store {
    /// Returns `None` when this file was already reported for this sample (same SHA-256).
    pub async fn insert_report(&self, r: &NewReport) -> Result<Option<i64>> {
        let now = super::now();
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "INSERT INTO reports (sample_id, source_file, source_sha256, order_pk, status, records_read, \
             variants_reported, records_rejected, created_at, accession) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) \
             ON CONFLICT (source_sha256, sample_id) DO NOTHING RETURNING id")
            .bind(&r.sample_id).bind(&r.source_file).bind(&r.source_sha256).bind(r.order_pk)
            .bind(&r.status).bind(r.records_read).bind(r.variants_reported).bind(r.records_rejected).bind(&now)
            .bind(&r.accession).fetch_optional(p).await?))
    }

    /// The report already made from this file for this sample: its id, status and order.
    pub async fn report_for_source(
        &self,
        sha256: &str,
        sample_id: &str,
    ) -> Result<Option<(i64, String, Option<i64>)>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, status, order_pk FROM reports WHERE source_sha256 = $1 AND sample_id = $2")
            .bind(sha256).bind(sample_id).fetch_optional(p).await?))
    }

    /// Ready reports (linked to an order) with fewer than `kinds` kinds of message, oldest
    /// first: (id, source file, sample).
    pub async fn reports_missing_messages(
        &self,
        kinds: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String, String)>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT r.id, r.source_file, r.sample_id FROM reports r \
             WHERE r.status = 'ready' AND r.order_pk IS NOT NULL \
             AND (SELECT COUNT(DISTINCT m.kind) FROM messages m WHERE m.report_pk = r.id) < $1 \
             ORDER BY r.id LIMIT $2")
            .bind(kinds).bind(limit).fetch_all(p).await?))
    }

    pub async fn list_reports(&self) -> Result<Vec<ReportRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, sample_id, accession, source_file, status, records_read, variants_reported, records_rejected, created_at \
             FROM reports ORDER BY id DESC").fetch_all(p).await?))
    }

    /// Reports in `needs_order`, newest first, at most `limit`: what the dashboard polls,
    /// so the filter runs in the database rather than over every report ever built.
    pub async fn reports_needing_order(&self, limit: i64) -> Result<Vec<ReportRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, sample_id, accession, source_file, status, records_read, variants_reported, records_rejected, created_at \
             FROM reports WHERE status = 'needs_order' ORDER BY id DESC LIMIT $1").bind(limit).fetch_all(p).await?))
    }

    /// Reports that wait for the order with this accession and sample:
    /// (report id, source file path).
    pub async fn reports_waiting(
        &self,
        accession: &str,
        sample_id: &str,
    ) -> Result<Vec<(i64, String)>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, source_file FROM reports \
             WHERE accession = $1 AND sample_id = $2 AND status = 'needs_order' ORDER BY id")
            .bind(accession).bind(sample_id).fetch_all(p).await?))
    }

    /// Links a waiting report to its order. Returns false when another node got there first.
    pub async fn attach_order(&self, report_id: i64, order_pk: i64) -> Result<bool> {
        let n = with_pool!(self, p => sqlx::query(
            "UPDATE reports SET status = 'ready', order_pk = $1 WHERE id = $2 AND status = 'needs_order'")
            .bind(order_pk).bind(report_id).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    pub async fn insert_message(&self, m: &NewMessage) -> Result<i64> {
        let now = super::now();
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "INSERT INTO messages (report_pk, kind, control_id, destination, status, body, created_at, updated_at, mapping_name, mapping_sha256, idempotency_key, order_key) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$7,$8,$9,$10,$11) RETURNING id")
            .bind(m.report_pk).bind(&m.kind).bind(&m.control_id).bind(&m.destination)
            .bind(&m.status).bind(&m.body).bind(&now).bind(&m.mapping_name).bind(&m.mapping_sha256)
            .bind(&m.idempotency_key).bind(&m.order_key)
            .fetch_one(p).await?))
    }

    pub async fn message_body(&self, id: i64) -> Result<Option<String>> {
        Ok(
            with_pool!(self, p => sqlx::query_scalar("SELECT body FROM messages WHERE id = $1")
            .bind(id).fetch_optional(p).await?),
        )
    }

    pub async fn list_messages(&self, limit: i64) -> Result<Vec<MessageRow>> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages m JOIN reports r ON r.id = m.report_pk ORDER BY m.id DESC LIMIT $1");
        Ok(with_pool!(self, p => sqlx::query_as(&sql).bind(limit).fetch_all(p).await?))
    }

    pub async fn message(&self, id: i64) -> Result<Option<MessageRow>> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages m JOIN reports r ON r.id = m.report_pk WHERE m.id = $1");
        Ok(with_pool!(self, p => sqlx::query_as(&sql).bind(id).fetch_optional(p).await?))
    }

    pub async fn quarantine(&self, source: &str, kind: &str, reason: &str) -> Result<i64> {
        let now = super::now();
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "INSERT INTO quarantine (source, kind, reason, created_at) VALUES ($1,$2,$3,$4) RETURNING id")
            .bind(source).bind(kind).bind(reason).bind(&now).fetch_one(p).await?))
    }

    pub async fn list_quarantine(&self) -> Result<Vec<QuarantineRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, source, kind, reason, created_at FROM quarantine ORDER BY id DESC").fetch_all(p).await?))
    }
}
