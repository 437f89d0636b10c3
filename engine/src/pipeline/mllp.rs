//! One MLLP attempt on a claimed LRI message: send it, read the ACK, audit the attempt,
//! then record it. The outbox (`pipeline::outbox`) claims and schedules.

use super::Engine;
use crate::{
    delivery::{lims::Step, mllp, MllpDestination},
    store::{now_ms, Attempt, ClaimedMessage, NewAuditEvent},
};
use serde_json::json;

pub async fn attempt(engine: &Engine, dest: &MllpDestination, c: &ClaimedMessage) -> Step {
    let store = &engine.store;
    let mut ack_text = None;
    let outcome = mllp::send_once(dest, &c.body, &c.control_id, &mut ack_text).await;
    let (step, ack_code) = mllp::next_step(outcome, c.attempts, dest, now_ms());
    let detail = json!({
        "message_id": c.id, "control_id": c.control_id, "attempt": c.attempts,
        "destination": dest.address(), "status": step.status, "ack_code": ack_code,
        "error": step.error, "node": engine.config.node,
    });
    // The audit event is written before the status changes, so the log never lags what
    // the dashboard shows.
    engine
        .audit(NewAuditEvent::system(
            "message.delivery_attempt",
            "sample",
            &c.sample_id,
            detail,
        ))
        .await;
    if step.status != "pending" {
        let action = if step.status == "delivered" {
            "message.delivered"
        } else {
            "message.dead_letter"
        };
        let detail = json!({ "message_id": c.id, "control_id": c.control_id, "attempts": c.attempts, "ack_code": ack_code, "destination": dest.address() });
        engine
            .audit(NewAuditEvent::system(
                action,
                "sample",
                &c.sample_id,
                detail,
            ))
            .await;
    }
    let recorded = Attempt {
        status: step.status,
        next_attempt_ms: step.next_attempt_ms,
        ack_code: ack_code.as_deref(),
        last_error: step.error.as_deref(),
        response_body: ack_text.as_deref(),
        attempt: c.attempts,
        node: &engine.config.node,
        ..Attempt::default()
    };
    if let Err(e) = store.record_message_attempt(c.id, &recorded).await {
        tracing::error!(message_id = c.id, error = %e, "recording an MLLP attempt failed");
    }
    tracing::info!(
        flow = "vcf-to-lri",
        message_id = c.id,
        attempt = c.attempts,
        status = step.status,
        "delivery attempt"
    );
    step
}
