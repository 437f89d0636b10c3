//! Delivery with retries: transient failures back off (doubling, with jitter) up to the
//! destination's attempt limit; a refusal (AE/AR) is final. Every attempt is audited.

use super::Engine;
use crate::{
    delivery::{mllp, MllpDestination, Outcome},
    store::NewAuditEvent,
};
use rand::Rng;
use serde_json::json;
use std::time::Duration;

/// Returns the final status: `delivered` or `failed`.
pub async fn deliver_message(
    engine: &Engine,
    id: i64,
    sample: &str,
    body: &str,
    control_id: &str,
    dest: &MllpDestination,
) -> &'static str {
    let store = &engine.store;
    let attempts = dest.max_attempts.max(1);
    for attempt in 1..=attempts {
        let outcome = mllp::send_once(dest, body, control_id).await;
        let (status, code, error) = match &outcome {
            Outcome::Accepted => ("delivered", Some("AA".to_string()), None),
            Outcome::Refused { code, reason } => {
                ("failed", Some(code.clone()), Some(reason.clone()))
            }
            Outcome::Transient { reason } if attempt == attempts => (
                "failed",
                None,
                Some(format!("gave up after {attempts} attempts: {reason}")),
            ),
            Outcome::Transient { reason } => ("retrying", None, Some(reason.clone())),
        };
        let detail = json!({ "message_id": id, "control_id": control_id, "attempt": attempt, "destination": dest.address(), "status": status, "ack_code": code, "error": error });
        let _ = store
            .append_audit(NewAuditEvent::system(
                "message.delivery_attempt",
                "sample",
                sample,
                detail,
            ))
            .await;
        // The audit event is written before the status changes, so the log never lags what
        // the dashboard shows.
        let _ = store
            .record_attempt(id, status, code.as_deref(), error.as_deref())
            .await;
        tracing::info!(
            flow = "vcf-to-lri",
            message_id = id,
            attempt,
            status,
            "delivery attempt"
        );
        if status != "retrying" {
            return if status == "delivered" {
                "delivered"
            } else {
                "failed"
            };
        }
        let base = dest.backoff_ms.saturating_mul(1 << (attempt - 1).min(10));
        let jitter = rand::thread_rng().gen_range(0..=base / 2 + 1);
        tokio::time::sleep(Duration::from_millis(base + jitter)).await;
    }
    "failed"
}
