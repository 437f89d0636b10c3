//! Plain HTTP routes beside the Leptos app: a liveness probe and a JSON feed of messages.

use super::WebState;
use axum::{extract::State, http::StatusCode, response::IntoResponse, routing::get, Json, Router};
use tower_sessions::Session;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/api/messages", get(messages))
}

/// The newest messages as JSON, for any signed-in user (the rows hold no PHI).
async fn messages(State(state): State<WebState>, session: Session) -> impl IntoResponse {
    let user_id = match session.get::<i64>(app::auth::USER_KEY).await {
        Ok(Some(id)) => id,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => return internal(e),
    };
    match state.store.user_by_id(user_id).await {
        Ok(Some(_)) => {}
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => return internal(e),
    }
    match state.store.list_messages(app::model::MESSAGE_LIMIT).await {
        Ok(rows) => Json(rows).into_response(),
        Err(e) => internal(e),
    }
}

fn internal(e: impl std::fmt::Display) -> axum::response::Response {
    tracing::error!("api: {e}");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}
