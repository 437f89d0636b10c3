//! Reprocess: a message built again from its report's VCF with the active mapping, under a
//! new control id, and queued in place of the original (which becomes `replaced` and
//! points forward to it). Resend, by contrast, sends the stored bytes again
//! (`Store::resend_message`).

use super::{vcfs, Engine};
use crate::{
    messages::{self, Envelope},
    report::build_report,
    store::{NewAuditEvent, NewMessage},
};
use serde_json::json;
use std::path::PathBuf;

/// Why a message could not be rebuilt, in words an operator can act on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RebuildError {
    #[error("message {0} does not exist")]
    NotFound(i64),
    #[error("message {id} is {status}: only a delivered, dead-lettered or stored message can be reprocessed")]
    WrongState { id: i64, status: String },
    #[error("the report's VCF {0} cannot be rebuilt: {1}")]
    Source(String, String),
    #[error("the report has no order to build a message for")]
    NoOrder,
    #[error("the store failed: {0}")]
    Store(String),
}

/// A file's SHA-256, as reports record it.
pub fn sha256_of(path: &std::path::Path) -> std::io::Result<String> {
    vcfs::sha256_file(path)
}

/// Builds message `id` again and queues the new one. Returns the new message's id.
pub async fn rebuild_message(engine: &Engine, id: i64, actor: &str) -> Result<i64, RebuildError> {
    let store = &engine.store;
    let db = |e: crate::store::StoreError| RebuildError::Store(e.to_string());
    let detail = store
        .message_detail(id)
        .await
        .map_err(db)?
        .ok_or(RebuildError::NotFound(id))?;
    let row = &detail.row;
    if !matches!(row.status.as_str(), "delivered" | "dead_letter" | "stored") {
        return Err(RebuildError::WrongState {
            id,
            status: row.status.clone(),
        });
    }
    let source = detail.report.source_file.clone();
    let sha = detail.report.source_sha256.clone();
    let sample = row.sample_id.clone();
    let selection = engine.config.selection.clone();
    let path = PathBuf::from(&source);
    // The file must still be the one reported: a changed file would make a different report
    // under the same accession.
    let report = tokio::task::spawn_blocking(move || {
        let now = vcfs::sha256_file(&path).map_err(|e| format!("cannot read it: {e}"))?;
        if now != sha {
            return Err(format!(
                "its SHA-256 is now {now}, not {sha} as when it was reported"
            ));
        }
        build_report(&path, Some(&sample), None, &selection, |_, _, _| {})
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| RebuildError::Source(source.clone(), e.to_string()))?
    .map_err(|e| RebuildError::Source(source.clone(), e))?;
    let order = store
        .order_of_report(row.report_pk)
        .await
        .map_err(db)?
        .ok_or(RebuildError::NoOrder)?;
    let plan = engine.report_plan().await;
    let Some(builder) = messages::kind(&row.kind) else {
        return Err(RebuildError::WrongState {
            id,
            status: format!("of kind {}", row.kind),
        });
    };
    let n = store
        .message_count(row.report_pk, &row.kind)
        .await
        .map_err(db)?
        + 1;
    let letter = if row.kind == "lri" { "L" } else { "F" };
    let control_id = format!("GB{:08}{letter}{n}", row.report_pk);
    let body = builder.build(&report, &order, &Envelope::new(&control_id), &plan);
    let (destination, status, idempotency_key) = vcfs::route(engine, &row.kind, &control_id);
    let msg = NewMessage {
        report_pk: row.report_pk,
        kind: row.kind.clone(),
        control_id: control_id.clone(),
        destination: destination.clone(),
        status: status.into(),
        body,
        mapping_name: plan.name.clone(),
        mapping_sha256: plan.sha256.clone(),
        idempotency_key: idempotency_key.clone(),
        order_key: vcfs::report_order_key(&report, &order),
    };
    let new_id = store.insert_message(&msg).await.map_err(db)?;
    store.link_replacement(new_id, id).await.map_err(db)?;
    // The original stops holding the messages behind it; it was checked above, so only a
    // resend racing this one leaves it queued (and then both go, under their own keys).
    let replaced = store.mark_replaced(id).await.map_err(db)?;
    let detail = json!({
        "message_id": new_id, "replaces": id, "replaces_control_id": row.control_id,
        "control_id": control_id, "kind": row.kind, "destination": destination, "status": status,
        "idempotency_key": idempotency_key, "mapping": plan.name, "mapping_sha256": plan.sha256,
        "original_status": row.status, "original_marked_replaced": replaced,
    });
    engine
        .audit(NewAuditEvent::user(
            actor,
            "message.reprocessed",
            "sample",
            &row.sample_id,
            detail,
        ))
        .await;
    tracing::info!(
        flow = if row.kind == "lri" {
            "vcf-to-lri"
        } else {
            "vcf-to-fhir"
        },
        message_id = new_id,
        replaces = id,
        "message rebuilt"
    );
    Ok(new_id)
}
