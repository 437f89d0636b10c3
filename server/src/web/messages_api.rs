//! The message browser's REST routes, for integrators: the same search as the console
//! (keyset-paged, newest first) and one message's delivery record with every attempt and
//! its answer. Neither returns a message body (PHI); a search by MRN or name needs a PHI
//! role and is audited exactly as the console's.

use super::{api::user_of, WebState};
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use engine::store::{MessageDetail, MessagePage, MessageQuery};
use tower_sessions::Session;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(detail))
}

/// Messages matching every given filter, newest first, one page at a time: pass a page's
/// `older` as `before` for the next page, its `newer` as `after` for the previous one.
#[utoipa::path(get, path = "/api/messages/search", tag = "feeds", security(("session_cookie" = [])),
    params(MessageQuery),
    responses(
        (status = 200, description = "One page", body = MessagePage),
        (status = 400, description = "A filter that cannot match, named with the reason", body = String),
        (status = 401, description = "No session, or its user is gone"),
        (status = 403, description = "A search by MRN or name from a role that may not see PHI"),
        (status = 500, description = "The database failed"),
    ))]
async fn search(
    State(state): State<WebState>,
    session: Session,
    Query(mut q): Query<MessageQuery>,
) -> Response {
    let user = match user_of(&state, &session).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(e) = q.check() {
        return (StatusCode::BAD_REQUEST, e.to_string()).into_response();
    }
    if q.searches_phi() && !app::auth::PHI_READERS.contains(&user.role) {
        return StatusCode::FORBIDDEN.into_response();
    }
    q.limit = Some(q.limit.unwrap_or(app::api::messages::PAGE));
    let mut page = match state.store.search_messages(&q).await {
        Ok(p) => p,
        Err(e) => return internal(e),
    };
    if q.searches_phi()
        && app::api::messages::audit_phi_search(&state.store, &user.username, &q, &page)
            .await
            .is_err()
    {
        return internal("the PHI access event could not be written");
    }
    let rules = state.listeners.rules();
    for r in &mut page.rows {
        r.held_by = rules.held_by(&r.kind, r.held_by.take());
    }
    Json(page).into_response()
}

/// One message's delivery record: state, key, mapping version, the report and order it was
/// built from, what it replaced or was replaced by, and every attempt with the ACK or HTTP
/// answer. Not its body.
#[utoipa::path(get, path = "/api/messages/{id}", tag = "feeds", security(("session_cookie" = [])),
    params(("id" = i64, Path, description = "The message's id")),
    responses(
        (status = 200, description = "The message's record", body = MessageDetail),
        (status = 401, description = "No session, or its user is gone"),
        (status = 404, description = "No such message"),
        (status = 500, description = "The database failed"),
    ))]
async fn detail(State(state): State<WebState>, session: Session, Path(id): Path<i64>) -> Response {
    if let Err(r) = user_of(&state, &session).await {
        return r;
    }
    match state.store.message_detail(id).await {
        Ok(Some(mut d)) => {
            d.row.held_by = state
                .listeners
                .rules()
                .held_by(&d.row.kind, d.row.held_by.take());
            Json(d).into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => internal(e),
    }
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!("api: {e}");
    StatusCode::INTERNAL_SERVER_ERROR.into_response()
}
