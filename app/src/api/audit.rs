//! The inspector page's server functions: the timeline, a sample's lineage, the chain's
//! status and verification, and exports. For the roles in [`auth::AUDIT_READERS`] only
//! (inspectors, directors, admins); none of them changes any record.

use crate::error::AppError;
use crate::model::audit::{AuditPageView, AuditRow, AuditSearch, ChainStatus, ExportView};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::auth;

/// Events per page of the timeline.
pub const PAGE: i64 = 50;

#[cfg(feature = "ssr")]
fn query_of(q: &AuditSearch) -> engine::store::AuditQuery {
    let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    engine::store::AuditQuery {
        sample: text(&q.sample),
        run: text(&q.run),
        accession: text(&q.accession),
        user: text(&q.user),
        action: text(&q.action),
        from: text(&q.from),
        to: text(&q.to),
        before: q.before,
        after: q.after,
        limit: Some(PAGE),
        ..Default::default()
    }
}

/// Which step of a sample's path an event is.
#[cfg(feature = "ssr")]
fn stage(action: &str) -> &'static str {
    match action.split('.').next().unwrap_or_default() {
        "run" => "Sequencing run",
        "sample" => "Run record",
        "lims" => "LIMS",
        "order" => "Order",
        "report" => "Report",
        "message" | "fhir" => match action {
            "message.created" => "Message built",
            "message.delivered" | "fhir.delivered" => "EHR answer",
            "message.dead_letter" | "fhir.dead_letter" => "EHR answer",
            _ => "Delivery",
        },
        "phi" => "PHI access",
        "qc" => "QC",
        _ => "Other",
    }
}

#[cfg(feature = "ssr")]
fn row(e: engine::store::AuditEvent) -> AuditRow {
    AuditRow {
        stage: stage(&e.action).to_string(),
        id: e.id,
        at: e.at,
        actor: e.actor,
        action: e.action,
        subject: format!("{}:{}", e.subject_kind, e.subject_id),
        detail: e.detail,
        hash: e.hash,
    }
}

#[server(endpoint = "audit_timeline")]
pub async fn audit_timeline(q: AuditSearch) -> Result<AuditPageView, AppError> {
    let (_user, _session, store) = auth::require_role(auth::AUDIT_READERS).await?;
    let query = query_of(&q);
    query
        .check()
        .map_err(|e| auth::refuse(AppError::Invalid(e)))?;
    let page = store.query_audit(&query).await.map_err(auth::internal)?;
    Ok(AuditPageView {
        events: page.events.into_iter().map(row).collect(),
        newer: page.newer,
        older: page.older,
    })
}

/// A sample's path from the sequencer to the EHR, oldest first.
#[server(endpoint = "audit_lineage")]
pub async fn sample_lineage(sample: String) -> Result<Vec<AuditRow>, AppError> {
    let (_user, _session, store) = auth::require_role(auth::AUDIT_READERS).await?;
    let events = store
        .sample_lineage(sample.trim())
        .await
        .map_err(auth::internal)?;
    Ok(events.into_iter().map(row).collect())
}

#[cfg(feature = "ssr")]
async fn status_of(store: &engine::store::Store) -> Result<ChainStatus, AppError> {
    let head = store.recent_audit(1).await.map_err(auth::internal)?;
    let anchor = store
        .audit_anchors()
        .await
        .map_err(auth::internal)?
        .into_iter()
        .max_by_key(|a| a.event_id)
        .map(|a| (a.event_id, a.hash, a.at));
    let last = store
        .query_audit(&engine::store::AuditQuery {
            action: Some("audit.verified".into()),
            limit: Some(1),
            ..Default::default()
        })
        .await
        .map_err(auth::internal)?
        .events
        .into_iter()
        .next();
    let found: Option<serde_json::Value> = last
        .as_ref()
        .and_then(|e| serde_json::from_str(&e.detail).ok());
    Ok(ChainStatus {
        events: head.first().map(|e| e.id).unwrap_or(0),
        head_id: head.first().map(|e| e.id),
        head_hash: head.first().map(|e| e.hash.clone()),
        anchor,
        verified_at: last.as_ref().map(|e| e.at.clone()),
        verified_by: last.as_ref().map(|e| e.actor.clone()),
        verified_ok: found.as_ref().and_then(|d| d["intact"].as_bool()),
        verified_detail: found.map(|d| d["result"].as_str().unwrap_or_default().to_string()),
    })
}

#[server(endpoint = "audit_status")]
pub async fn get_chain_status() -> Result<ChainStatus, AppError> {
    let (_user, _session, store) = auth::require_role(auth::AUDIT_READERS).await?;
    status_of(&store).await
}

/// Walks the whole chain and its anchors now; the result is itself audited
/// (`audit.verified`), which is where "last verified" comes from.
#[server(endpoint = "audit_verify")]
pub async fn verify_chain(csrf: String) -> Result<ChainStatus, AppError> {
    use engine::store::{AuditVerification, NewAuditEvent};
    let (user, session, store) = auth::require_role(auth::AUDIT_READERS).await?;
    auth::check_csrf(&session, &csrf).await?;
    let found = store.verify_audit().await.map_err(auth::internal)?;
    let detail = match &found {
        AuditVerification::Intact { events } => serde_json::json!({
            "intact": true, "events": events,
            "result": format!("intact: {events} events, every hash and anchor matched"),
        }),
        AuditVerification::Broken { event_id, reason } => serde_json::json!({
            "intact": false, "event_id": event_id,
            "result": format!("broken at event {event_id}: {reason}"),
        }),
    };
    let ev = NewAuditEvent::user(&user.username, "audit.verified", "audit", "chain", detail);
    auth::audit(&store, ev).await?;
    status_of(&store).await
}

/// Writes an export of the filtered events (see `engine::audit_export`) under the data
/// folder; the page links to its three files.
#[server(endpoint = "audit_export")]
pub async fn export_audit(
    #[server(default)] q: AuditSearch,
    csrf: String,
) -> Result<ExportView, AppError> {
    use engine::store::NewAuditEvent;
    let (user, session, store) = auth::require_role(auth::AUDIT_READERS).await?;
    auth::check_csrf(&session, &csrf).await?;
    let Some(engine) = use_context::<engine::pipeline::Engine>() else {
        return Err(auth::internal("no Engine in context"));
    };
    let query = engine::store::AuditQuery {
        before: None,
        after: None,
        limit: None,
        ..query_of(&q)
    };
    query
        .check()
        .map_err(|e| auth::refuse(AppError::Invalid(e)))?;
    let id = format!(
        "{}-{}",
        engine::store::now_ms(),
        &crate::auth::new_token()[..8]
    );
    let dir = engine.config.data_dir.join("exports").join(&id);
    let m = engine::audit_export::export(&store, &query, &dir)
        .await
        .map_err(auth::internal)?;
    let detail = serde_json::json!({
        "export": id, "query": m.query, "events": m.events, "first_id": m.first_id,
        "last_id": m.last_id, "files": m.files, "via": "console",
    });
    let ev = NewAuditEvent::user(&user.username, "audit.exported", "audit", "export", detail);
    auth::audit(&store, ev).await?;
    let mut files = vec![("manifest.json".to_string(), String::new())];
    files.extend(m.files);
    Ok(ExportView {
        id,
        events: m.events,
        files,
    })
}
