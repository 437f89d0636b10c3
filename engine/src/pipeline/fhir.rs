//! One FHIR attempt on a claimed Bundle: POST it, audit the attempt, then record it. The
//! outbox (`pipeline::outbox`) claims and schedules; a refusal is a dead letter, kept with
//! the server's OperationOutcome.

use super::Engine;
use crate::{
    delivery::{
        fhir::{operation_outcome_text, FhirDestination},
        lims::{next_step, RestClient, Step},
    },
    store::{now_ms, Attempt, ClaimedMessage, NewAuditEvent},
};
use serde_json::json;

pub async fn attempt(
    engine: &Engine,
    dest: &FhirDestination,
    client: &RestClient,
    c: &ClaimedMessage,
) -> Step {
    let store = &engine.store;
    let outcome = client.send(&c.body, &c.idempotency_key).await;
    let n = c.attempts;
    let step = next_step(
        outcome,
        n,
        dest.max_attempts,
        |a| dest.backoff_ms(a),
        "the FHIR server",
        now_ms(),
    );
    // On a failure, the server's OperationOutcome says why, in its own words: kept with
    // our reason. (On success the body is the transaction-response Bundle.)
    let outcome_text = match step.status {
        "delivered" => None,
        _ => step.body.as_deref().and_then(operation_outcome_text),
    };
    let error = match (&step.error, &outcome_text) {
        (Some(ours), Some(theirs)) => Some(format!("{ours}; OperationOutcome: {theirs}")),
        (ours, _) => ours.clone(),
    };
    let sample = &c.sample_id;
    // Our reason and the status go to the audit log; the answer's body (which may echo
    // the Bundle, and so PHI) stays in the message row.
    let detail = json!({
        "message_id": c.id, "control_id": c.control_id, "attempt": n, "outcome": step.status,
        "http_status": step.http_status, "error": step.error,
        "idempotency_key": c.idempotency_key, "destination": dest.name, "host": dest.host(),
        "report_id": c.report_pk,
    });
    engine
        .audit(NewAuditEvent::system(
            "fhir.attempt",
            "sample",
            sample,
            detail,
        ))
        .await;
    if step.status != "pending" {
        let action = if step.status == "delivered" {
            "fhir.delivered"
        } else {
            "fhir.dead_letter"
        };
        let detail = json!({ "message_id": c.id, "control_id": c.control_id, "attempts": n, "http_status": step.http_status, "idempotency_key": c.idempotency_key, "destination": dest.name });
        engine
            .audit(NewAuditEvent::system(action, "sample", sample, detail))
            .await;
    }
    let recorded = Attempt {
        status: step.status,
        next_attempt_ms: step.next_attempt_ms,
        last_status: step.http_status.map(i64::from),
        last_error: error.as_deref(),
        response_body: step.body.as_deref(),
        ack_code: None,
        attempt: c.attempts,
        node: &engine.config.node,
    };
    if let Err(e) = store.record_message_attempt(c.id, &recorded).await {
        tracing::error!(message_id = c.id, error = %e, "recording a FHIR attempt failed");
    }
    tracing::info!(
        flow = "vcf-to-fhir",
        message_id = c.id,
        attempt = n,
        status = step.status,
        http_status = step.http_status,
        "FHIR delivery attempt"
    );
    step
}
