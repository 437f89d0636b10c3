//! `GET /api/mappings…`: mappings, versions with their signatures (21 CFR 11.50), exports,
//! field-level diffs, the report targets and impact replays, for scripts and CI pipelines.
//! Reading needs a signed-in engineer, director, inspector or admin; changing a version
//! goes through the console's server functions (role and CSRF checked) or the CLI.

use super::WebState;
use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use engine::{
    mapping::{
        self, catalogue, replay,
        versions::{Signature, State as MappingState},
    },
    store::{MappingVersion, Role},
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

const READERS: &[Role] = &[Role::Admin, Role::Engineer, Role::Director, Role::Inspector];
/// Replays run mappings on real inputs: for those who write or sign them.
const REPLAYERS: &[Role] = &[Role::Admin, Role::Engineer, Role::Director];

/// Each route with its OpenAPI operation (see `openapi.rs` for how to add one).
pub fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(targets))
        .routes(routes!(versions))
        .routes(routes!(diff))
        .routes(routes!(export))
        .routes(routes!(replay_version))
}

async fn allowed(state: &WebState, session: &Session, roles: &[Role]) -> Result<(), Response> {
    let user = super::api::user_of(state, session).await?;
    if roles.contains(&user.role) {
        Ok(())
    } else {
        Err(StatusCode::FORBIDDEN.into_response())
    }
}

/// Why a request failed.
#[derive(Serialize, ToSchema)]
struct ApiError {
    error: String,
}

fn error(status: StatusCode, e: impl std::fmt::Display) -> Response {
    let body = ApiError {
        error: e.to_string(),
    };
    (status, Json(body)).into_response()
}

/// A version as `GET /api/mappings` lists it: no body, no signatures.
#[derive(Serialize, ToSchema)]
struct VersionSummary {
    name: String,
    version: i64,
    state: MappingState,
    kind: String,
    source: String,
    /// SHA-256 of the canonical body.
    sha256: String,
    author: String,
    updated_at: String,
}

/// A version with its body and its signatures, as `GET /api/mappings/{name}` lists it.
#[derive(Serialize, ToSchema)]
struct VersionDetail {
    #[serde(flatten)]
    version: MappingVersion,
    signatures: Vec<SignatureDetail>,
}

/// A signature with its manifest line (21 CFR 11.50).
#[derive(Serialize, ToSchema)]
struct SignatureDetail {
    #[serde(flatten)]
    signature: Signature,
    /// `Dr. Ada Lovelace (ada), 2026-12-02T15:00:00Z: approved for clinical use`
    manifest: String,
}

/// Every version of every mapping (no bodies).
#[utoipa::path(get, path = "/api/mappings", tag = "mappings", security(("session_cookie" = [])),
    responses(
        (status = 200, description = "Every version of every mapping", body = Vec<VersionSummary>),
        (status = 401, description = "No session, or its user is gone"),
        (status = 403, description = "The role may not read mappings"),
        (status = 500, description = "The database failed", body = ApiError),
    ))]
async fn list(State(state): State<WebState>, session: Session) -> Response {
    if let Err(r) = allowed(&state, &session, READERS).await {
        return r;
    }
    match state.store.mapping_versions(None).await {
        Ok(vs) => Json(
            vs.into_iter()
                .map(|v| VersionSummary {
                    name: v.name,
                    version: v.version,
                    state: v.state,
                    kind: v.kind,
                    source: v.source,
                    sha256: v.sha256,
                    author: v.author,
                    updated_at: v.updated_at,
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TargetQuery {
    /// A LOINC code or words of its name; empty: every target.
    #[serde(default)]
    q: String,
}

/// The report targets, found by code or words (`?q=significance`).
#[utoipa::path(get, path = "/api/mappings/targets", tag = "mappings",
    security(("session_cookie" = [])), params(TargetQuery),
    responses(
        (status = 200, description = "The matching targets", body = Vec<catalogue::Target>),
        (status = 401, description = "No session, or its user is gone"),
        (status = 403, description = "The role may not read mappings"),
    ))]
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
#[utoipa::path(get, path = "/api/mappings/{name}", tag = "mappings",
    security(("session_cookie" = [])),
    params(("name" = String, Path, description = "The mapping's name, e.g. `vcf-report`")),
    responses(
        (status = 200, description = "Oldest version first", body = Vec<VersionDetail>),
        (status = 401, description = "No session, or its user is gone"),
        (status = 403, description = "The role may not read mappings"),
        (status = 404, description = "No mapping of that name", body = ApiError),
        (status = 500, description = "The database failed", body = ApiError),
    ))]
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
        let signatures = sigs
            .into_iter()
            .map(|s| SignatureDetail {
                manifest: s.manifest(),
                signature: s,
            })
            .collect();
        out.push(VersionDetail {
            version: v,
            signatures,
        });
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
#[utoipa::path(get, path = "/api/mappings/{name}/{version}", tag = "mappings",
    security(("session_cookie" = [])),
    params(
        ("name" = String, Path, description = "The mapping's name"),
        ("version" = i64, Path, description = "The version number"),
    ),
    responses(
        (status = 200, description = "The version's TOML file", body = String, content_type = "application/toml"),
        (status = 400, description = "The version is not a number", body = ApiError),
        (status = 401, description = "No session, or its user is gone"),
        (status = 403, description = "The role may not read mappings"),
        (status = 404, description = "No such version", body = ApiError),
        (status = 500, description = "The database failed", body = ApiError),
    ))]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DiffQuery {
    /// The old version's number.
    from: i64,
    /// The new version's number.
    to: i64,
}

/// `?from=1&to=2`: rules added, removed and changed, with old and new values.
#[utoipa::path(get, path = "/api/mappings/{name}/diff", tag = "mappings",
    security(("session_cookie" = [])),
    params(("name" = String, Path, description = "The mapping's name"), DiffQuery),
    responses(
        (status = 200, description = "The changes; empty when the versions are the same", body = Vec<mapping::Change>),
        (status = 400, description = "`from` or `to` is missing or not a number"),
        (status = 401, description = "No session, or its user is gone"),
        (status = 403, description = "The role may not read mappings"),
        (status = 404, description = "No such version", body = ApiError),
        (status = 500, description = "The database failed", body = ApiError),
    ))]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ReplayQuery {
    /// How many of the newest inputs (default 50, at most 500).
    #[serde(default = "default_limit")]
    #[param(minimum = 0, maximum = 500)]
    limit: usize,
}

fn default_limit() -> usize {
    replay::DEFAULT_INPUTS
}

/// The version beside the active one on the newest real inputs; nothing is stored or sent.
#[utoipa::path(get, path = "/api/mappings/{name}/{version}/replay", tag = "mappings",
    security(("session_cookie" = [])),
    params(
        ("name" = String, Path, description = "The mapping's name"),
        ("version" = i64, Path, description = "The version to replay"),
        ReplayQuery,
    ),
    responses(
        (status = 200, description = "Per input, what would change against the active version", body = Vec<replay::Replayed>),
        (status = 400, description = "The version is not a number", body = ApiError),
        (status = 401, description = "No session, or its user is gone"),
        (status = 403, description = "Not an admin, engineer or director"),
        (status = 404, description = "No such version", body = ApiError),
        (status = 409, description = "The mapping has no active version to compare with", body = ApiError),
        (status = 500, description = "The database failed", body = ApiError),
    ))]
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
