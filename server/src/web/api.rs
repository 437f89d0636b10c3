//! Plain HTTP routes beside the Leptos app: a liveness probe and JSON feeds of messages,
//! LIMS deliveries and quarantined inputs, for any signed-in user (read-only; changes go
//! through the server functions, which check role and CSRF token).

use super::WebState;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use tower_sessions::Session;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Each route with its OpenAPI operation (see `openapi.rs` for how to add one).
pub fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(messages))
        .routes(routes!(lims))
        .routes(routes!(quarantine))
        .routes(routes!(qc))
        .routes(routes!(sources))
}

/// Liveness: the process answers. No session needed.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "`ok`", body = String, content_type = "text/plain")))]
async fn health() -> &'static str {
    "ok"
}

/// `Ok(())` for a session whose user still exists; otherwise the response to send.
async fn signed_in(state: &WebState, session: &Session) -> Result<(), Response> {
    user_of(state, session).await.map(|_| ())
}

/// The session's user, or the response to send (401, or 500 on a store error).
pub(super) async fn user_of(
    state: &WebState,
    session: &Session,
) -> Result<engine::store::User, Response> {
    let user_id = match session.get::<i64>(app::auth::USER_KEY).await {
        Ok(Some(id)) => id,
        Ok(None) => return Err(StatusCode::UNAUTHORIZED.into_response()),
        Err(e) => return Err(internal(e)),
    };
    match state.store.user_by_id(user_id).await {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(StatusCode::UNAUTHORIZED.into_response()),
        Err(e) => Err(internal(e)),
    }
}

/// The newest messages (the rows hold no PHI: no message bodies).
#[utoipa::path(get, path = "/api/messages", tag = "feeds", security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Newest first", body = Vec<engine::store::MessageRow>),
        (status = 401, description = "No session, or its user is gone"),
        (status = 500, description = "The database failed"),
    ))]
async fn messages(State(state): State<WebState>, session: Session) -> Response {
    if let Err(r) = signed_in(&state, &session).await {
        return r;
    }
    let rules = state.listeners.rules();
    match state.store.list_messages(app::model::MESSAGE_LIMIT).await {
        Ok(mut rows) => {
            for r in &mut rows {
                r.held_by = rules.held_by(&r.kind, r.held_by.take());
            }
            Json(rows).into_response()
        }
        Err(e) => internal(e),
    }
}

/// The newest LIMS deliveries: state, attempts, last HTTP status and, for a dead letter,
/// the LIMS's answer. The documents themselves are not listed.
#[utoipa::path(get, path = "/api/lims", tag = "feeds", security(("session_cookie" = [])), params(Limit),
    responses(
        (status = 200, description = "Newest first", body = Vec<engine::store::LimsDeliveryRow>),
        (status = 401, description = "No session, or its user is gone"),
        (status = 500, description = "The database failed"),
    ))]
async fn lims(
    State(state): State<WebState>,
    session: Session,
    axum::extract::Query(q): axum::extract::Query<Limit>,
) -> Response {
    if let Err(r) = signed_in(&state, &session).await {
        return r;
    }
    let limit = q.limit.unwrap_or(app::model::LIMS_LIMIT).clamp(1, 2_000);
    match state.store.list_lims(limit).await {
        Ok(rows) => Json(rows).into_response(),
        Err(e) => internal(e),
    }
}

/// Inputs that could not be processed, newest first: source, kind and reason.
#[utoipa::path(get, path = "/api/quarantine", tag = "feeds", security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Newest first", body = Vec<engine::store::QuarantineRow>),
        (status = 401, description = "No session, or its user is gone"),
        (status = 500, description = "The database failed"),
    ))]
async fn quarantine(State(state): State<WebState>, session: Session) -> Response {
    if let Err(r) = signed_in(&state, &session).await {
        return r;
    }
    match state.store.list_quarantine().await {
        Ok(rows) => Json(rows).into_response(),
        Err(e) => internal(e),
    }
}

/// QC exports taken in, newest first: file name, connector, recorded or quarantined,
/// warning count. Not their record trees.
#[utoipa::path(get, path = "/api/qc", tag = "feeds", security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Newest first", body = Vec<app::model::QcFile>),
        (status = 401, description = "No session, or its user is gone"),
        (status = 500, description = "The database failed"),
    ))]
async fn qc(State(state): State<WebState>, session: Session) -> Response {
    if let Err(r) = signed_in(&state, &session).await {
        return r;
    }
    match state
        .store
        .recent_instrument_files(app::model::QC_LIMIT)
        .await
    {
        Ok(rows) => {
            let files: Vec<app::model::QcFile> =
                rows.into_iter().map(app::model::QcFile::from_row).collect();
            Json(files).into_response()
        }
        Err(e) => internal(e),
    }
}

/// Source fields per format, for whoever writes mappings (admins and engineers): the
/// examples are real values from the newest inputs.
#[utoipa::path(get, path = "/api/sources", tag = "mappings", security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The run folder first, then each QC format", body = Vec<app::model::SourceSchema>),
        (status = 401, description = "No session, or its user is gone"),
        (status = 403, description = "Not an admin or engineer"),
        (status = 500, description = "The database failed"),
    ))]
async fn sources(State(state): State<WebState>, session: Session) -> Response {
    let user = match user_of(&state, &session).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if !app::auth::OPERATORS.contains(&user.role) {
        return StatusCode::FORBIDDEN.into_response();
    }
    match app::sources::collect(&state.store).await {
        Ok(s) => Json(s).into_response(),
        Err(e) => internal(e),
    }
}

/// `?limit=N`: how many of the newest rows (default: what the dashboard shows).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Limit {
    /// How many of the newest rows, 1 to 2000 (default: what the dashboard shows).
    #[param(value_type = i64, required = false, minimum = 1, maximum = 2000)]
    limit: Option<i64>,
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!("api: {e}");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}
