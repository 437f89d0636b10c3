//! LIMS delivery: a recorded run becomes documents (through the configured mappings),
//! queued once each under their idempotency key; a loop sends the due ones.
//!
//! Same shape as `deliver.rs` (MLLP), with the schedule kept in the database instead of
//! in a sleeping task: every attempt is claimed, sent, audited, then recorded, and a
//! transient failure sets the next attempt's time. A restart therefore resumes where it
//! stopped, with the same key, and the LIMS can recognise a resend.

use super::Engine;
use crate::{
    config::LimsConfig,
    delivery::lims::{idempotency_key, next_step, LimsClient},
    mapping::MappingError,
    store::{now_ms, Attempt, ClaimedLims, NewAuditEvent, NewLimsDelivery},
};
use serde_json::{json, Value};
use std::time::Duration;

/// A claim outlives the request's own timeout by this much before another sender may
/// take the row (a node that died mid-attempt).
const LEASE_MARGIN_MS: i64 = 30_000;
/// Deliveries claimed per pass.
const BATCH: i64 = 50;

/// What queueing a record's documents did.
#[derive(Debug, Default)]
pub struct Enqueued {
    /// Deliveries newly queued (documents already queued under their key are not).
    pub ids: Vec<i64>,
    /// Mappings that failed on this record; each queued nothing.
    pub failed: Vec<MappingError>,
}

/// Builds every document the mappings for `kind` make from `tree`, and queues the new
/// ones. Each mapping is all or nothing, and one failing does not stop the others.
pub async fn enqueue_record(engine: &Engine, kind: &str, tree: &Value) -> Enqueued {
    let mut out = Enqueued::default();
    let Some(lims) = &engine.config.lims else {
        return out;
    };
    let store = &engine.store;
    let destination = &lims.destination.name;
    // The active (approved) stored versions for this kind. Mappings given to the engine
    // directly (an embedding program, the engine's tests) replace them; `serve` moves the
    // configuration's into the store as drafts, so in the product only approved versions run.
    let given: Vec<crate::mapping::Mapping> = lims
        .mappings
        .iter()
        .filter(|m| m.source == kind)
        .cloned()
        .collect();
    let mappings = if !lims.mappings.is_empty() {
        given
    } else {
        match store.active_lims_mappings(kind).await {
            Ok(vs) => vs
                .iter()
                .filter_map(|v| match v.mapping() {
                    Ok(m) => Some(m),
                    Err(e) => {
                        tracing::error!("{}: {e}", v.label());
                        None
                    }
                })
                .collect(),
            Err(e) => {
                tracing::error!(error = %e, "reading the active LIMS mappings failed");
                Vec::new()
            }
        }
    };
    for mapping in &mappings {
        let mapping_sha256 = mapping.sha256();
        let docs = match mapping.apply(tree) {
            Ok(d) => d,
            Err(e) => {
                out.failed.push(e);
                continue;
            }
        };
        for doc in docs {
            let key = idempotency_key(
                destination,
                &doc.run_id,
                doc.sample_id.as_deref(),
                &doc.mapping,
                &doc.key_extra,
            );
            let new = NewLimsDelivery {
                idempotency_key: key.clone(),
                source_kind: kind.to_string(),
                run_id: doc.run_id.clone(),
                sample_id: doc.sample_id.clone(),
                mapping: doc.mapping.clone(),
                destination: destination.clone(),
                document: doc.body.to_string(),
                mapping_sha256: mapping_sha256.clone(),
            };
            match store.enqueue_lims(&new).await {
                Ok(Some(id)) => {
                    let (sk, sid) = subject(&doc.run_id, doc.sample_id.as_deref());
                    let detail = json!({ "delivery_id": id, "run_id": doc.run_id, "mapping": doc.mapping, "mapping_sha256": mapping_sha256, "destination": destination, "idempotency_key": key });
                    engine
                        .audit(NewAuditEvent::system("lims.enqueued", sk, sid, detail))
                        .await;
                    out.ids.push(id);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!(run_id = %doc.run_id, error = %e, "queueing a LIMS document failed")
                }
            }
        }
    }
    out
}

/// Queues a newly recorded run's documents. Each failing mapping quarantines the run folder
/// with its reason (the run itself stays recorded) and is audited.
pub async fn enqueue_run(engine: &Engine, tree: &Value, run_id: &str, folder: &str) {
    let kind = crate::formats::illumina::connector::RUN_FOLDER;
    enqueue_source(engine, kind, tree, ("run", run_id), folder).await;
}

/// Queues the documents of any recorded input (a run folder, a QC export): `subject` is
/// what the audit trail files the failures under, `source` the input to quarantine.
pub async fn enqueue_source(
    engine: &Engine,
    kind: &str,
    tree: &Value,
    subject: (&str, &str),
    source: &str,
) {
    let done = enqueue_record(engine, kind, tree).await;
    if !done.ids.is_empty() {
        tracing::info!(kind, documents = done.ids.len(), "LIMS documents queued");
    }
    for e in done.failed {
        tracing::warn!(kind, error = %e, "LIMS mapping failed; input quarantined");
        let reason = e.to_string();
        let _ = engine
            .store
            .quarantine(source, "lims-mapping", &reason)
            .await;
        engine.audit(NewAuditEvent::system(
                "lims.mapping_failed",
                subject.0,
                subject.1,
                json!({ "mapping": e.mapping, "field": e.field, "path": e.path, "reason": e.reason }),
            ))
            .await;
    }
}

/// For a run recorded before (a restart): queues its documents only when it has none at
/// all, which is the state a crash between recording the run and queueing leaves behind.
/// A run with any delivery is left alone, so adding a mapping later does not resend old
/// runs. Mapping failures were quarantined when the run was first recorded; here they are
/// only logged.
///
/// The mappings read the connector's record tree stored with the run when it was
/// recorded, so the documents describe the run as it was recorded and audited even if its
/// sample sheet was edited since. `reread` is the tree the connector reads from the folder
/// now: it is used only for a run recorded before runs kept their tree.
pub async fn enqueue_missing(engine: &Engine, run_id: &str, reread: &Value) {
    if engine.config.lims.is_none() {
        return;
    }
    match engine.store.lims_count_for_run(run_id).await {
        Ok(0) => {}
        Ok(_) => return,
        Err(e) => {
            tracing::error!(run_id, error = %e, "counting a run's LIMS documents failed");
            return;
        }
    }
    let stored = engine.store.run_tree(run_id).await.unwrap_or_else(|e| {
        tracing::warn!(run_id, error = %e, "reading a run's recorded tree failed");
        None
    });
    let tree = match &stored {
        Some(t) => t,
        None => {
            tracing::info!(
                run_id,
                "no recorded tree for the run; mapping its folder as read now"
            );
            reread
        }
    };
    let kind = crate::formats::illumina::connector::RUN_FOLDER;
    let done = enqueue_record(engine, kind, tree).await;
    if !done.ids.is_empty() {
        tracing::info!(
            run_id,
            documents = done.ids.len(),
            "LIMS documents of an earlier run queued"
        );
    }
    for e in done.failed {
        tracing::warn!(run_id, error = %e, "LIMS mapping failed");
    }
}

/// Audit subject of a document: its sample when it has one, else its run.
fn subject<'a>(run_id: &'a str, sample_id: Option<&'a str>) -> (&'static str, &'a str) {
    match sample_id {
        Some(s) => ("sample", s),
        None => ("run", run_id),
    }
}

/// One pass: claims and sends up to a batch of due deliveries, one after another.
/// Returns how many attempts it made.
pub async fn deliver_due(engine: &Engine, client: &LimsClient) -> usize {
    let Some(lims) = &engine.config.lims else {
        return 0;
    };
    let store = &engine.store;
    // Each of the two LIMS flows can be paused on its own.
    let runs = !store.flow_paused("run-to-lims").await.unwrap_or(false);
    let qc = !store.flow_paused("qc-to-lims").await.unwrap_or(false);
    if !runs && !qc {
        return 0;
    }
    let sources = match (runs, qc) {
        (true, true) => "",
        (true, false) => "AND d.source_kind = 'illumina-run-folder'",
        _ => "AND d.source_kind <> 'illumina-run-folder'",
    };
    let due = match store
        .due_lims(now_ms(), BATCH, lims.destination.ordered, sources)
        .await
    {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!(error = %e, "reading due LIMS deliveries failed");
            return 0;
        }
    };
    let lease = lims.destination.timeout_ms as i64 + LEASE_MARGIN_MS;
    let mut attempts = 0;
    for id in due {
        let now = now_ms();
        match store
            .claim_lims(id, &engine.config.node, now, now + lease)
            .await
        {
            Ok(Some(claimed)) => {
                attempt(engine, lims, client, claimed).await;
                attempts += 1;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(delivery_id = id, error = %e, "claiming a LIMS delivery failed")
            }
        }
    }
    attempts
}

async fn attempt(engine: &Engine, lims: &LimsConfig, client: &LimsClient, c: ClaimedLims) {
    let store = &engine.store;
    let dest = &lims.destination;
    let outcome = client.send(&c.document, &c.idempotency_key).await;
    let n = c.attempts;
    let step = next_step(
        outcome,
        n,
        dest.max_attempts,
        |a| dest.backoff_ms(a),
        "the LIMS",
        now_ms(),
    );
    engine.note_destination("lims", &step).await;
    // A 2xx body is not kept for the LIMS: only a refusal's or a failure's reason is.
    let body = if step.status == "delivered" {
        None
    } else {
        step.body
    };
    let (status, next_ms, http, error) = (
        step.status,
        step.next_attempt_ms,
        step.http_status,
        step.error,
    );
    let (sk, sid) = subject(&c.run_id, c.sample_id.as_deref());
    // The reason is ours (status line, timeout, connection error); the LIMS's body may echo
    // the document, so it stays in the delivery row and out of the audit log.
    let detail = json!({
        "delivery_id": c.id, "attempt": n, "outcome": status, "http_status": http, "error": error,
        "idempotency_key": c.idempotency_key, "destination": dest.name, "host": dest.host(),
        "mapping": c.mapping, "run_id": c.run_id,
    });
    engine
        .audit(NewAuditEvent::system("lims.attempt", sk, sid, detail))
        .await;
    if status != "pending" {
        let action = if status == "delivered" {
            "lims.delivered"
        } else {
            "lims.dead_letter"
        };
        let detail = json!({ "delivery_id": c.id, "attempts": n, "http_status": http, "idempotency_key": c.idempotency_key, "destination": dest.name });
        engine
            .audit(NewAuditEvent::system(action, sk, sid, detail))
            .await;
    }
    let recorded = Attempt {
        status,
        next_attempt_ms: next_ms,
        last_status: http.map(i64::from),
        last_error: error.as_deref(),
        response_body: body.as_deref(),
        ack_code: None,
        ..Attempt::default()
    };
    if let Err(e) = store.record_lims_attempt(c.id, &recorded).await {
        tracing::error!(delivery_id = c.id, error = %e, "recording a LIMS attempt failed");
    }
    tracing::info!(
        flow = "to-lims",
        delivery_id = c.id,
        attempt = n,
        status,
        http_status = http,
        "LIMS delivery attempt"
    );
}

/// Sends due deliveries until `shutdown` resolves. Does nothing without `[lims]`; a
/// destination that cannot be built (bad URL, unset secret) is logged and nothing is sent.
pub async fn run_forever(engine: Engine, shutdown: impl std::future::Future<Output = ()>) {
    let Some(lims) = engine.config.lims.clone() else {
        return;
    };
    let client = match lims.destination.client() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("LIMS delivery disabled: {e}");
            return;
        }
    };
    let mut tick = tokio::time::interval(Duration::from_millis(lims.poll_interval_ms.max(10)));
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
