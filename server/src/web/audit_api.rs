//! The audit trail's REST routes, for inspectors, directors and admins: the same queries as
//! the inspector page, and the files of an export made there (`engine::audit_export`).

use super::{api::user_of, WebState};
use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use engine::store::{AuditPage, AuditQuery};
use tower_sessions::Session;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(events))
        .routes(routes!(export_file))
}

/// `Ok(())` for a role that may read the audit trail.
async fn reader(state: &WebState, session: &Session) -> Result<(), Response> {
    let user = user_of(state, session).await?;
    if app::auth::AUDIT_READERS.contains(&user.role) {
        Ok(())
    } else {
        Err(StatusCode::FORBIDDEN.into_response())
    }
}

/// Audit events matching every given filter, newest first (or `oldest_first`), one page
/// at a time: pass a page's `older` as `before` for the next.
#[utoipa::path(get, path = "/api/audit", tag = "audit", security(("session_cookie" = [])),
    params(AuditQuery),
    responses(
        (status = 200, description = "One page of events", body = AuditPage),
        (status = 400, description = "A filter that cannot match, named with the reason", body = String),
        (status = 401, description = "No session, or its user is gone"),
        (status = 403, description = "A role that may not read the audit trail"),
        (status = 500, description = "The database failed"),
    ))]
async fn events(
    State(state): State<WebState>,
    session: Session,
    Query(q): Query<AuditQuery>,
) -> Response {
    if let Err(r) = reader(&state, &session).await {
        return r;
    }
    if let Err(e) = q.check() {
        return (StatusCode::BAD_REQUEST, e).into_response();
    }
    match state.store.query_audit(&q).await {
        Ok(page) => Json(page).into_response(),
        Err(e) => {
            tracing::error!("api: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// One file of an export made on the inspector page: `manifest.json`, `events.json` or
/// `events.csv`.
#[utoipa::path(get, path = "/api/audit/exports/{export}/{file}", tag = "audit", security(("session_cookie" = [])),
    params(
        ("export" = String, Path, description = "The export's id, as the page gave it"),
        ("file" = String, Path, description = "manifest.json, events.json or events.csv", example = "manifest.json"),
    ),
    responses(
        (status = 200, description = "The file: JSON for the manifest and events.json, CSV for events.csv",
            content((serde_json::Value = "application/json"), (String = "text/csv"))),
        (status = 401, description = "No session, or its user is gone"),
        (status = 403, description = "A role that may not read the audit trail"),
        (status = 404, description = "No such export or file"),
    ))]
async fn export_file(
    State(state): State<WebState>,
    session: Session,
    Path((id, file)): Path<(String, String)>,
) -> Response {
    if let Err(r) = reader(&state, &session).await {
        return r;
    }
    // The id is ours (digits, a dash, hex) and the file one of three names: nothing a
    // request sends becomes a path of its own.
    let id_ok = !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    let kind = match file.as_str() {
        "manifest.json" | "events.json" => "application/json",
        "events.csv" => "text/csv",
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let Some(dir) = state.listeners.data_dir().filter(|_| id_ok) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match std::fs::read(dir.join("exports").join(&id).join(&file)) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, kind.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"audit-{id}-{file}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
