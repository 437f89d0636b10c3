//! FHIR delivery: each report's transaction Bundle, stored as a `fhir` message, is queued
//! under its idempotency key when a `[fhir_destination]` is configured, and a loop sends
//! the due ones. The same queue rule as the LIMS (`pipeline::lims`): every attempt is
//! claimed, sent, audited, then recorded; a transient failure sets the next attempt's
//! time; a refusal is a dead letter, kept with the server's OperationOutcome.

use super::Engine;
use crate::{
    delivery::{
        fhir::{operation_outcome_text, FhirDestination},
        lims::{next_step, RestClient},
    },
    store::{now_ms, ClaimedFhir, LimsAttempt, NewAuditEvent},
};
use serde_json::json;
use std::time::Duration;

/// A claim outlives the request's own timeout by this much before another sender may
/// take the row (a node that died mid-attempt).
const LEASE_MARGIN_MS: i64 = 30_000;
/// Messages claimed per pass.
const BATCH: i64 = 50;

/// One pass: claims and sends up to a batch of due FHIR messages, one after another.
/// Returns how many attempts it made.
pub async fn deliver_due(engine: &Engine, client: &RestClient) -> usize {
    let Some(dest) = &engine.config.fhir_destination else {
        return 0;
    };
    let store = &engine.store;
    let due = match store.due_fhir(now_ms(), BATCH).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!(error = %e, "reading due FHIR messages failed");
            return 0;
        }
    };
    let lease = dest.timeout_ms as i64 + LEASE_MARGIN_MS;
    let mut attempts = 0;
    for id in due {
        let now = now_ms();
        match store.claim_fhir(id, now, now + lease).await {
            Ok(Some(claimed)) => {
                attempt(engine, dest, client, claimed).await;
                attempts += 1;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(message_id = id, error = %e, "claiming a FHIR message failed")
            }
        }
    }
    attempts
}

async fn attempt(engine: &Engine, dest: &FhirDestination, client: &RestClient, c: ClaimedFhir) {
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
    let sample = match store.fhir_delivery(c.id).await {
        Ok(Some(row)) => row.sample_id,
        _ => String::new(),
    };
    // Our reason and the status go to the audit log; the answer's body (which may echo
    // the Bundle, and so PHI) stays in the message row.
    let detail = json!({
        "message_id": c.id, "control_id": c.control_id, "attempt": n, "outcome": step.status,
        "http_status": step.http_status, "error": step.error,
        "idempotency_key": c.idempotency_key, "destination": dest.name, "host": dest.host(),
        "report_id": c.report_pk,
    });
    let _ = store
        .append_audit(NewAuditEvent::system(
            "fhir.attempt",
            "sample",
            &sample,
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
        let _ = store
            .append_audit(NewAuditEvent::system(action, "sample", &sample, detail))
            .await;
    }
    let recorded = LimsAttempt {
        status: step.status,
        next_attempt_ms: step.next_attempt_ms,
        last_status: step.http_status.map(i64::from),
        last_error: error.as_deref(),
        response_body: step.body.as_deref(),
    };
    if let Err(e) = store.record_fhir_attempt(c.id, &recorded).await {
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
}

/// Sends due FHIR messages until `shutdown` resolves. Does nothing without
/// `[fhir_destination]`; a destination that cannot be built (bad URL, unset secret) is
/// logged and nothing is sent (the messages wait as `pending`).
pub async fn run_forever(engine: Engine, shutdown: impl std::future::Future<Output = ()>) {
    let Some(dest) = engine.config.fhir_destination.clone() else {
        return;
    };
    let client = match dest.client() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("FHIR delivery disabled: {e}");
            return;
        }
    };
    let mut tick = tokio::time::interval(Duration::from_millis(dest.poll_interval_ms.max(10)));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        // A full batch means more may be due: keep going before waiting again.
        while deliver_due(&engine, &client).await == BATCH as usize {}
    }
}
