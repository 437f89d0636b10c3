//! `GET /api/mappings…`: mappings, versions with their signatures (21 CFR 11.50), exports,
//! field-level diffs, the report targets and impact replays, for scripts and CI pipelines.
//! Reading needs a signed-in engineer, director, inspector or admin; changing a version
//! goes through the console's server functions (role and CSRF checked) or the CLI.

use super::WebState;
use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use engine::{
    mapping::{self, catalogue, replay},
    store::{MappingVersion, Role},
};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

const READERS: &[Role] = &[Role::Admin, Role::Engineer, Role::Director, Role::Inspector];
/// Replays run mappings on real inputs: for those who write or sign them.
const REPLAYERS: &[Role] = &[Role::Admin, Role::Engineer, Role::Director];

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/api/mappings", get(list))
        .route("/api/mappings/targets", get(targets))
        .route("/api/mappings/{name}", get(versions))
        .route("/api/mappings/{name}/diff", get(diff))
        .route("/api/mappings/{name}/{version}", get(export))
        .route("/api/mappings/{name}/{version}/replay", get(replay_version))
}

async fn allowed(state: &WebState, session: &Session, roles: &[Role]) -> Result<(), Response> {
    let user = super::api::user_of(state, session).await?;
    if roles.contains(&user.role) {
        Ok(())
    } else {
        Err(StatusCode::FORBIDDEN.into_response())
    }
}

fn error(status: StatusCode, e: impl std::fmt::Display) -> Response {
    (status, Json(json!({ "error": e.to_string() }))).into_response()
}

/// Every version of every mapping (no bodies).
async fn list(State(state): State<WebState>, session: Session) -> Response {
    if let Err(r) = allowed(&state, &session, READERS).await {
        return r;
    }
    match state.store.mapping_versions(None).await {
        Ok(vs) => Json(
            vs.iter()
                .map(|v| {
                    json!({ "name": v.name, "version": v.version, "state": v.state.as_str(),
                            "kind": v.kind, "source": v.source, "sha256": v.sha256,
                            "author": v.author, "updated_at": v.updated_at })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

#[derive(Deserialize)]
struct TargetQuery {
    #[serde(default)]
    q: String,
}

/// The report targets, found by code or words (`?q=significance`).
async fn targets(
    State(state): State<WebState>,
    session: Session,
    Query(q): Query<TargetQuery>,
) -> Response {
    if let Err(r) = allowed(&state, &session, READERS).await {
        return r;
    }
    Json(catalogue::search(&q.q)).into_response()
}

/// One mapping's versions, each with its signatures (printed name, UTC time, meaning).
async fn versions(
    State(state): State<WebState>,
    session: Session,
    Path(name): Path<String>,
) -> Response {
    if let Err(r) = allowed(&state, &session, READERS).await {
        return r;
    }
    let vs = match state.store.mapping_versions(Some(&name)).await {
        Ok(vs) if vs.is_empty() => {
            return error(StatusCode::NOT_FOUND, format!("no mapping named {name:?}"))
        }
        Ok(vs) => vs,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
    };
    let mut out = Vec::new();
    for v in vs {
        let sigs = match state.store.mapping_signatures(v.id).await {
            Ok(s) => s,
            Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
        };
        let mut j = serde_json::to_value(&v).unwrap_or_default();
        j["signatures"] = json!(sigs
            .iter()
            .map(
                |s| json!({ "printed_name": s.printed_name, "username": s.username,
                             "signed_at": s.signed_at, "meaning": s.meaning, "sha256": s.sha256,
                             "manifest": s.manifest() })
            )
            .collect::<Vec<_>>());
        out.push(j);
    }
    Json(out).into_response()
}

async fn version_of(
    state: &WebState,
    name: &str,
    version: &str,
) -> Result<MappingVersion, Response> {
    let n = version
        .parse::<i64>()
        .map_err(|_| error(StatusCode::BAD_REQUEST, "the version is a number"))?;
    match state.store.mapping_version(name, n).await {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(error(StatusCode::NOT_FOUND, format!("no {name} v{n}"))),
        Err(e) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, e)),
    }
}

/// The version's file: the comment header with its signatures, then the body.
async fn export(
    State(state): State<WebState>,
    session: Session,
    Path((name, version)): Path<(String, String)>,
) -> Response {
    if let Err(r) = allowed(&state, &session, READERS).await {
        return r;
    }
    let v = match version_of(&state, &name, &version).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    match state.store.export_mapping(&v).await {
        Ok(text) => (
            [(header::CONTENT_TYPE, "application/toml; charset=utf-8")],
            text,
        )
            .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

#[derive(Deserialize)]
struct DiffQuery {
    from: i64,
    to: i64,
}

/// `?from=1&to=2`: rules added, removed and changed, with old and new values.
async fn diff(
    State(state): State<WebState>,
    session: Session,
    Path(name): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Response {
    if let Err(r) = allowed(&state, &session, READERS).await {
        return r;
    }
    let mut sides = Vec::new();
    for n in [q.from, q.to] {
        match version_of(&state, &name, &n.to_string())
            .await
            .map(|v| v.mapping())
        {
            Ok(Ok(m)) => sides.push(m),
            Ok(Err(e)) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
            Err(r) => return r,
        }
    }
    Json(mapping::diff(&sides[0], &sides[1])).into_response()
}

#[derive(Deserialize)]
struct ReplayQuery {
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    replay::DEFAULT_INPUTS
}

/// The version beside the active one on the newest real inputs; nothing is stored or sent.
async fn replay_version(
    State(state): State<WebState>,
    session: Session,
    Path((name, version)): Path<(String, String)>,
    Query(q): Query<ReplayQuery>,
) -> Response {
    if let Err(r) = allowed(&state, &session, REPLAYERS).await {
        return r;
    }
    let candidate = match version_of(&state, &name, &version)
        .await
        .map(|v| v.mapping())
    {
        Ok(Ok(m)) => m,
        Ok(Err(e)) => return error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(r) => return r,
    };
    match replay::against_active(&state.store, &candidate, q.limit.min(500)).await {
        Ok(r) => Json(r).into_response(),
        Err(e @ replay::ReplayError::NoActive(_)) => error(StatusCode::CONFLICT, e),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}
