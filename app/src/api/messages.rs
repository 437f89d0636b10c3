//! The message browser's server functions: search, one message in full, resend and
//! reprocess. Every role may search and read a message's delivery record; the patient
//! search and the message body need a PHI role ([`auth::PHI_READERS`]) and each use is
//! audited before anything is returned. Resend and reprocess are for operators, with CSRF.

use crate::error::AppError;
use crate::model::messages::{MessagePageView, MessageSearch, MessageView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::auth;

/// Rows per page of results.
pub const PAGE: i64 = 25;

#[server(endpoint = "messages_search")]
pub async fn search_messages(q: MessageSearch) -> Result<MessagePageView, AppError> {
    use engine::store::{MessageQuery, Role};
    let (user, _session, store) = auth::require_role(&Role::ALL).await?;
    let rules = use_context::<crate::model::DeliveryRules>().unwrap_or_default();
    let may_search_phi = auth::PHI_READERS.contains(&user.role);
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let query = MessageQuery {
        run: text(&q.run),
        sample: text(&q.sample),
        accession: text(&q.accession),
        from: text(&q.from),
        to: text(&q.to),
        flow: text(&q.flow),
        status: text(&q.status),
        destination: text(&q.destination),
        mrn: text(&q.mrn),
        patient: text(&q.patient),
        before: q.before,
        after: q.after,
        limit: Some(PAGE),
    };
    query
        .check()
        .map_err(|e| auth::refuse(AppError::Invalid(e.to_string())))?;
    if query.searches_phi() && !may_search_phi {
        return Err(auth::refuse(AppError::Forbidden));
    }
    let page = store
        .search_messages(&query)
        .await
        .map_err(auth::internal)?;
    if query.searches_phi() {
        audit_phi_search(&store, &user.username, &query, &page).await?;
    }
    Ok(MessagePageView {
        rows: page
            .rows
            .into_iter()
            .map(|m| crate::model::Message::from_row(m, &rules))
            .collect(),
        newer: page.newer,
        older: page.older,
        may_search_phi,
    })
}

/// HIPAA access log of a search by MRN or name: who looked for which patient and what they
/// were shown. Written before the results go out; no event, no results.
#[cfg(feature = "ssr")]
pub async fn audit_phi_search(
    store: &engine::store::Store,
    username: &str,
    query: &engine::store::MessageQuery,
    page: &engine::store::MessagePage,
) -> Result<(), AppError> {
    let by: Vec<&str> = [("mrn", &query.mrn), ("name", &query.patient)]
        .into_iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| k)
        .collect();
    let detail = serde_json::json!({
        "searched_by": by, "mrn": query.mrn, "name": query.patient,
        "results": page.rows.len(),
        "message_ids": page.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        "samples": page.rows.iter().map(|r| r.sample_id.as_str()).collect::<std::collections::BTreeSet<_>>(),
    });
    let ev =
        engine::store::NewAuditEvent::user(username, "phi.search", "patient", "search", detail);
    auth::audit(store, ev).await
}

#[server(endpoint = "message_detail")]
pub async fn get_message(id: i64) -> Result<MessageView, AppError> {
    use engine::store::{NewAuditEvent, Role};
    let (user, session, store) = auth::require_role(&Role::ALL).await?;
    let rules = use_context::<crate::model::DeliveryRules>().unwrap_or_default();
    let Some(d) = store.message_detail(id).await.map_err(auth::internal)? else {
        return Err(auth::refuse(AppError::Invalid(format!(
            "message {id} does not exist"
        ))));
    };
    let may_see_phi = auth::PHI_READERS.contains(&user.role);
    let pruned = d.pruned_at.is_some() || d.body.is_empty();
    let body = if may_see_phi && !pruned {
        // One event per message and session every 10 minutes: the open page refreshing a
        // pending message, or a reload, is the same view, not a new access.
        if first_view(&session, id).await? {
            let detail = serde_json::json!({
                "message_id": id, "control_id": d.row.control_id, "kind": d.row.kind, "viewed": "body",
            });
            let ev = NewAuditEvent::user(
                &user.username,
                "phi.viewed",
                "sample",
                &d.row.sample_id,
                detail,
            );
            auth::audit(&store, ev).await?;
            remember_view(&session, id).await?;
        }
        Some(pretty(&d.row.kind, &d.body))
    } else {
        None
    };
    let mapping_version = store
        .mapping_versions(Some(&d.row.mapping_name))
        .await
        .ok()
        .and_then(|vs| {
            vs.into_iter()
                .find(|v| v.sha256 == d.row.mapping_sha256)
                .map(|v| v.version)
        });
    let (source_preview, source_unchanged) =
        preview(&d.report.source_file, &d.report.source_sha256).await;
    let operator = auth::OPERATORS.contains(&user.role);
    let status = d.row.status.clone();
    let sendable = d.idempotency_key.is_some() && !pruned;
    Ok(MessageView {
        can_resend: operator && sendable && matches!(status.as_str(), "delivered" | "dead_letter"),
        can_reprocess: operator
            && matches!(status.as_str(), "delivered" | "dead_letter" | "stored")
            && source_unchanged == Some(true),
        accession: d.report.accession.clone(),
        created_at: d.created_at,
        idempotency_key: d.idempotency_key,
        body_hidden: !may_see_phi,
        body,
        pruned_at: d.pruned_at,
        mapping_name: d.row.mapping_name.clone(),
        mapping_version,
        mapping_sha256: d.row.mapping_sha256.clone(),
        source_file: d.report.source_file,
        source_sha256: d.report.source_sha256,
        records_read: d.report.records_read,
        variants_reported: d.report.variants_reported,
        records_rejected: d.report.records_rejected,
        source_preview,
        source_unchanged,
        placer_number: d.order.as_ref().map(|o| o.placer_number.clone()),
        filler_number: d.order.as_ref().map(|o| o.filler_number.clone()),
        test: d
            .order
            .as_ref()
            .map(|o| format!("{} {}", o.test_code, o.test_name)),
        reprocessed_from: d.reprocessed_from,
        replaced_by: d.replaced_by,
        siblings: d.siblings,
        attempts: d
            .attempts
            .into_iter()
            .map(|a| crate::model::messages::AttemptView {
                attempt: a.attempt,
                at: a.at,
                node: a.node,
                status: a.status,
                ack_code: a.ack_code,
                http_status: a.http_status,
                error: a.error,
                answer: a.answer,
            })
            .collect(),
        last_status: d.last_status,
        response_body: d.response_body,
        message: crate::model::Message::from_row(d.row, &rules),
    })
}

/// Session key: message ids whose body this session was shown, and when (ms).
#[cfg(feature = "ssr")]
const PHI_SEEN: &str = "phi_seen";
#[cfg(feature = "ssr")]
const PHI_SEEN_MS: i64 = 10 * 60 * 1000;

/// True unless this session was shown message `id`'s body in the last 10 minutes.
#[cfg(feature = "ssr")]
async fn first_view(session: &tower_sessions::Session, id: i64) -> Result<bool, AppError> {
    let seen: Vec<(i64, i64)> = session
        .get(PHI_SEEN)
        .await
        .map_err(auth::internal)?
        .unwrap_or_default();
    let now = engine::store::now_ms();
    Ok(!seen
        .iter()
        .any(|(m, at)| *m == id && now - at < PHI_SEEN_MS))
}

#[cfg(feature = "ssr")]
async fn remember_view(session: &tower_sessions::Session, id: i64) -> Result<(), AppError> {
    let now = engine::store::now_ms();
    let mut seen: Vec<(i64, i64)> = session
        .get(PHI_SEEN)
        .await
        .map_err(auth::internal)?
        .unwrap_or_default();
    seen.retain(|(m, at)| *m != id && now - at < PHI_SEEN_MS);
    seen.push((id, now));
    session.insert(PHI_SEEN, seen).await.map_err(auth::internal)
}

/// A FHIR Bundle indented for reading; an ORU as it is (one segment per line on screen).
#[cfg(feature = "ssr")]
fn pretty(kind: &str, body: &str) -> String {
    if kind == "fhir" {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(body) {
            return serde_json::to_string_pretty(&v).unwrap_or_else(|_| body.to_string());
        }
    }
    body.replace("\r\n", "\n").replace('\r', "\n")
}

/// The VCF's first lines (its header and a few records: sample ids, no patient fields) and
/// whether it still has the SHA-256 it was reported with. `None`s when it is gone.
#[cfg(feature = "ssr")]
async fn preview(path: &str, sha: &str) -> (Option<String>, Option<bool>) {
    use std::io::BufRead;
    let owned = std::path::PathBuf::from(path);
    let sha = sha.to_string();
    tokio::task::spawn_blocking(move || {
        let Ok(file) = std::fs::File::open(&owned) else {
            return (None, None);
        };
        let mut text = String::new();
        for line in std::io::BufReader::new(file).lines().take(60) {
            match line {
                Ok(l) => {
                    text.push_str(&l.chars().take(400).collect::<String>());
                    text.push('\n');
                }
                Err(_) => break,
            }
        }
        let same = engine::pipeline::reprocess::sha256_of(&owned)
            .ok()
            .map(|now| now == sha);
        (Some(text), same)
    })
    .await
    .unwrap_or((None, None))
}

/// Resends a delivered or dead-lettered message exactly as stored: the same MSH-10 or
/// idempotency key, so a receiver that has it already drops the copy. Audited.
#[server(endpoint = "message_resend")]
pub async fn resend_message(id: i64, csrf: String) -> Result<(), AppError> {
    use engine::store::NewAuditEvent;
    let (user, session, store) = auth::require_role(auth::OPERATORS).await?;
    auth::check_csrf(&session, &csrf).await?;
    let Some(row) = store.message(id).await.map_err(auth::internal)? else {
        return Err(auth::refuse(AppError::Invalid(format!(
            "message {id} does not exist"
        ))));
    };
    if !store.resend_message(id).await.map_err(auth::internal)? {
        return Err(auth::refuse(AppError::Refused(format!(
            "message {} is {}: only a delivered or dead-lettered message with a destination can be resent",
            row.control_id, row.status
        ))));
    }
    let detail = serde_json::json!({
        "message_id": id, "control_id": row.control_id, "kind": row.kind,
        "destination": row.destination, "status_before": row.status, "attempts_before": row.attempts,
    });
    let ev = NewAuditEvent::user(
        &user.username,
        "message.resent",
        "sample",
        &row.sample_id,
        detail,
    );
    auth::audit(&store, ev).await
}

/// Builds the message again with the active mapping under a new control id that points at
/// the original, and queues it in the original's place. Returns the new message's id.
#[server(endpoint = "message_reprocess")]
pub async fn reprocess_message(id: i64, csrf: String) -> Result<i64, AppError> {
    use engine::pipeline::reprocess::{rebuild_message, RebuildError};
    let (user, session, _store) = auth::require_role(auth::OPERATORS).await?;
    auth::check_csrf(&session, &csrf).await?;
    let Some(engine) = use_context::<engine::pipeline::Engine>() else {
        return Err(auth::internal("no Engine in context"));
    };
    match rebuild_message(&engine, id, &user.username).await {
        Ok(new_id) => Ok(new_id),
        Err(RebuildError::Store(e)) => Err(auth::internal(e)),
        Err(e) => Err(auth::refuse(AppError::Refused(e.to_string()))),
    }
}
