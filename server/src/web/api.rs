//! Plain HTTP routes beside the Leptos app: a liveness probe and JSON feeds of messages,
//! LIMS deliveries and quarantined inputs, for any signed-in user (read-only; changes go
//! through the server functions, which check role and CSRF token).

use super::WebState;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use tower_sessions::Session;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/api/messages", get(messages))
        .route("/api/lims", get(lims))
        .route("/api/quarantine", get(quarantine))
        .route("/api/qc", get(qc))
        .route("/api/sources", get(sources))
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
#[derive(serde::Deserialize)]
struct Limit {
    limit: Option<i64>,
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!("api: {e}");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}
