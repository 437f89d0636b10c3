//! Instrument files taken by the watcher: QC exports, and run folders that failed or were
//! quarantined. One row per path and content (SHA-256); the unique key guards
//! exactly-once processing across restarts and nodes.

use super::{with_pool, Result, Store};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug)]
pub struct NewInstrumentFile {
    pub path: String,
    pub sha256: String,
    pub connector: String,
    /// `recorded`, `quarantined` or `failed`.
    pub status: String,
    pub record_json: Option<String>,
    pub warnings_json: String,
    pub quarantine_id: Option<i64>,
}

/// An instrument file without its record tree: what the dashboard and the API list.
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow)]
pub struct InstrumentFileSummary {
    pub id: i64,
    pub path: String,
    pub connector: String,
    pub status: String,
    pub warnings_json: String,
    pub quarantine_id: Option<i64>,
    pub created_at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow)]
pub struct InstrumentFileRow {
    pub id: i64,
    pub path: String,
    pub sha256: String,
    pub connector: String,
    pub status: String,
    pub record_json: Option<String>,
    pub warnings_json: String,
    pub quarantine_id: Option<i64>,
    pub created_at: String,
}

impl Store {
    /// Inserts the row; `None` when this path with this content is already known.
    pub async fn claim_instrument_file(&self, f: &NewInstrumentFile) -> Result<Option<i64>> {
        let now = super::now();
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "INSERT INTO instrument_files (path, sha256, connector, status, record_json, warnings_json, quarantine_id, created_at) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (path, sha256) DO NOTHING RETURNING id")
            .bind(&f.path).bind(&f.sha256).bind(&f.connector).bind(&f.status)
            .bind(&f.record_json).bind(&f.warnings_json).bind(f.quarantine_id).bind(&now)
            .fetch_optional(p).await?))
    }

    pub async fn instrument_file_known(&self, path: &str, sha256: &str) -> Result<bool> {
        let n: i64 = with_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM instrument_files WHERE path = $1 AND sha256 = $2")
            .bind(path).bind(sha256).fetch_one(p).await?);
        Ok(n > 0)
    }

    /// Links a claimed file to the quarantine entry that keeps its copy.
    pub async fn set_instrument_file_quarantine(&self, id: i64, quarantine_id: i64) -> Result<()> {
        with_pool!(self, p => {
            sqlx::query("UPDATE instrument_files SET quarantine_id = $1 WHERE id = $2")
                .bind(quarantine_id).bind(id).execute(p).await?;
        });
        Ok(())
    }

    /// The newest `limit` files, without their record trees (which can be large).
    pub async fn recent_instrument_files(&self, limit: i64) -> Result<Vec<InstrumentFileSummary>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, path, connector, status, warnings_json, quarantine_id, created_at \
             FROM instrument_files ORDER BY id DESC LIMIT $1").bind(limit).fetch_all(p).await?))
    }

    /// Each connector's newest recorded file, with its record tree: one example per format.
    pub async fn newest_record_per_connector(&self) -> Result<Vec<InstrumentFileRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, path, sha256, connector, status, record_json, warnings_json, quarantine_id, created_at \
             FROM instrument_files WHERE id IN \
             (SELECT MAX(id) FROM instrument_files WHERE status = 'recorded' GROUP BY connector) \
             ORDER BY id DESC").fetch_all(p).await?))
    }

    pub async fn list_instrument_files(&self) -> Result<Vec<InstrumentFileRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, path, sha256, connector, status, record_json, warnings_json, quarantine_id, created_at \
             FROM instrument_files ORDER BY id DESC").fetch_all(p).await?))
    }
}
