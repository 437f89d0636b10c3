//! Paused flows. A pause is a row; every node's delivery loop reads it before each pass,
//! so a pause holds the queue on all nodes at once, and survives restarts.

use super::{with_pool, Result, Store};
use serde::{Deserialize, Serialize};

/// The flows an operator may pause: the outbound queues. Nothing is lost while one is
/// paused: items keep being built and queued, and go once it is resumed.
pub const PAUSABLE_FLOWS: [&str; 5] = [
    "vcf-to-lri",
    "vcf-to-fhir",
    "run-to-lims",
    "qc-to-lims",
    "orders-in",
];

#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct FlowPause {
    pub flow: String,
    /// `user:<name>`.
    pub paused_by: String,
    pub paused_at: String,
}

impl Store {
    /// Pauses a flow; false when it was paused already.
    pub async fn pause_flow(&self, flow: &str, by: &str) -> Result<bool> {
        if !PAUSABLE_FLOWS.contains(&flow) {
            return Err(super::StoreError::Invalid(format!(
                "{flow:?} is not a flow that can be paused (one of {})",
                PAUSABLE_FLOWS.join(", ")
            )));
        }
        let now = super::now();
        let n = with_pool!(self, p => sqlx::query(
            "INSERT INTO flow_pauses (flow, paused_by, paused_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(flow).bind(by).bind(&now).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    /// Resumes a flow; false when it was not paused.
    pub async fn resume_flow(&self, flow: &str) -> Result<bool> {
        let n = with_pool!(self, p => sqlx::query("DELETE FROM flow_pauses WHERE flow = $1")
            .bind(flow).execute(p).await?.rows_affected());
        Ok(n == 1)
    }

    pub async fn paused_flows(&self) -> Result<Vec<FlowPause>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT flow, paused_by, paused_at FROM flow_pauses ORDER BY flow")
            .fetch_all(p).await?))
    }

    pub async fn flow_paused(&self, flow: &str) -> Result<bool> {
        let n: i64 = with_pool!(self, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM flow_pauses WHERE flow = $1")
            .bind(flow).fetch_one(p).await?);
        Ok(n > 0)
    }
}
