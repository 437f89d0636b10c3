//! Sequencing runs, recorded once each when their folder is complete.

use super::{with_pool, Result, Store};
use crate::formats::illumina::{connector::RUN_FOLDER, IlluminaRun};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow)]
pub struct RunRow {
    pub id: i64,
    pub run_id: String,
    pub flowcell: String,
    pub instrument: String,
    pub platform: String,
    pub status: String,
    pub detected_at: String,
    pub sample_count: i64,
}

impl Store {
    /// Records a completed run and its samples. Returns `None` when the run is already
    /// known, which is what makes processing exactly-once across restarts and nodes.
    pub async fn insert_run(&self, run: &IlluminaRun, folder: &str) -> Result<Option<i64>> {
        let json =
            serde_json::to_string(run).map_err(|e| super::StoreError::Invalid(e.to_string()))?;
        let now = super::now();
        macro_rules! insert {
            ($p:expr) => {{
                let mut tx = $p.begin().await?;
                let id: Option<i64> = sqlx::query_scalar(
                    "INSERT INTO runs (run_id, flowcell, instrument, platform, folder, status, detected_at, record_json) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (run_id) DO NOTHING RETURNING id")
                    .bind(&run.run_id).bind(&run.flowcell).bind(&run.instrument).bind(&run.platform)
                    .bind(folder).bind("complete").bind(&now).bind(&json)
                    .fetch_optional(&mut *tx).await?;
                if let Some(id) = id {
                    for s in &run.samples {
                        sqlx::query("INSERT INTO run_samples (run_pk, sample_id, lane, index1, index2) VALUES ($1, $2, $3, $4, $5)")
                            .bind(id).bind(&s.sample_id).bind(s.lane.map(i64::from))
                            .bind(&s.index1).bind(&s.index2)
                            .execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
                id
            }};
        }
        Ok(with_pool!(self, p => insert!(p)))
    }

    pub async fn list_runs(&self) -> Result<Vec<RunRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT r.id, r.run_id, r.flowcell, r.instrument, r.platform, r.status, r.detected_at, \
             (SELECT COUNT(*) FROM run_samples s WHERE s.run_pk = r.id) AS sample_count \
             FROM runs r ORDER BY r.id DESC").fetch_all(p).await?))
    }

    /// The newest run's stored record (an `IlluminaRun` as JSON), if any run is recorded.
    pub async fn latest_run_record(&self) -> Result<Option<String>> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT record_json FROM runs ORDER BY id DESC LIMIT 1").fetch_optional(p).await?))
    }

    /// The connector's record tree stored with a recorded run (what `genobridge parse`
    /// printed for its folder when it was recorded), which the LIMS mappings read. `None`
    /// when the run is unknown, or was recorded before runs kept their tree. A tree stored
    /// before it named its `format` gains it, as `genobridge parse` shows it.
    pub async fn run_tree(&self, run_id: &str) -> Result<Option<Value>> {
        let json: Option<String> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT record_json FROM runs WHERE run_id = $1").bind(run_id).fetch_optional(p).await?);
        let Some(json) = json else {
            return Ok(None);
        };
        let mut run: Value =
            serde_json::from_str(&json).map_err(|e| super::StoreError::Invalid(e.to_string()))?;
        Ok(match run.get_mut("record").map(Value::take) {
            Some(Value::Object(mut tree)) => {
                tree.entry("format").or_insert_with(|| RUN_FOLDER.into());
                Some(Value::Object(tree))
            }
            _ => None,
        })
    }

    pub async fn run_samples(&self, run_id: &str) -> Result<Vec<String>> {
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT s.sample_id FROM run_samples s JOIN runs r ON r.id = s.run_pk WHERE r.run_id = $1 ORDER BY s.id")
            .bind(run_id).fetch_all(p).await?))
    }
}
