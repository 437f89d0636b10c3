//! Server-side session, role and CSRF checks used by every server function.
//!
//! The session (tower-sessions) holds two keys: the user id once signed in, and a random
//! CSRF token. A token exists before sign-in too, so the login form is CSRF-protected and the
//! browser holds a session cookie whose id is rotated at login (session fixation defence).

use crate::error::AppError;
use engine::store::{Role, Store, User};
use leptos::prelude::*;
use tower_sessions::Session;

/// Session key of the signed-in user's database id.
pub const USER_KEY: &str = "user_id";
/// Session key of the CSRF token.
pub const CSRF_KEY: &str = "csrf";

/// Roles that may read the audit trail.
pub const AUDIT_READERS: &[Role] = &[Role::Admin, Role::Director, Role::Inspector];

/// Roles that may see patient data (a message body, a search by MRN or name). Each view is
/// audited as `phi.viewed` or `phi.search`.
pub const PHI_READERS: &[Role] = &[Role::Admin, Role::Engineer, Role::Director];

/// Roles that operate the interfaces: they may reprocess a LIMS dead letter.
pub const OPERATORS: &[Role] = &[Role::Admin, Role::Engineer];

/// Logs a store failure (never request data) and hides it from the browser.
pub fn internal(e: impl std::fmt::Display) -> AppError {
    tracing::error!("web: {e}");
    AppError::Internal
}

/// The store handed to the server functions by `leptos_routes_with_context`.
pub fn store() -> Result<Store, AppError> {
    use_context::<Store>().ok_or_else(|| internal("no Store in context"))
}

/// The request's session, put there by the `SessionManagerLayer`.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(internal)
}

/// 128 bits from the OS CSRNG twice over (UUID v4 uses getrandom), hex encoded.
pub fn new_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The session's CSRF token, created on first use.
pub async fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(t) = session.get::<String>(CSRF_KEY).await.map_err(internal)? {
        return Ok(t);
    }
    let t = new_token();
    session.insert(CSRF_KEY, &t).await.map_err(internal)?;
    Ok(t)
}

/// Compares without an early exit so the time taken does not reveal a matching prefix.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Fails with [`AppError::Csrf`] (HTTP 403) unless `token` is this session's token.
pub async fn check_csrf(session: &Session, token: &str) -> Result<(), AppError> {
    match session.get::<String>(CSRF_KEY).await.map_err(internal)? {
        Some(expected) if !token.is_empty() && same(&expected, token) => Ok(()),
        _ => Err(refuse(AppError::Csrf)),
    }
}

/// The signed-in user, if the session names one that still exists.
pub async fn user_of(session: &Session, store: &Store) -> Result<Option<User>, AppError> {
    let Some(id) = session.get::<i64>(USER_KEY).await.map_err(internal)? else {
        return Ok(None);
    };
    store.user_by_id(id).await.map_err(internal)
}

/// Sets the HTTP status that matches a refusal, so API clients see 401/403, not 500.
pub fn refuse(err: AppError) -> AppError {
    let status = match err {
        AppError::Unauthorized | AppError::BadCredentials => 401,
        AppError::Forbidden | AppError::Csrf | AppError::Refused(_) => 403,
        AppError::Invalid(_) => 400,
        AppError::NotDeadLetter => 409,
        AppError::Locked(_) => 429,
        _ => 500,
    };
    if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
        opts.set_status(axum::http::StatusCode::from_u16(status).unwrap_or_default());
    }
    err
}

/// The signed-in user if their role is one of `roles`; 401 when signed out, 403 otherwise.
pub async fn require_role(roles: &[Role]) -> Result<(User, Session, Store), AppError> {
    let (session, store) = (session().await?, store()?);
    let user = user_of(&session, &store)
        .await?
        .ok_or_else(|| refuse(AppError::Unauthorized))?;
    if !roles.contains(&user.role) {
        return Err(refuse(AppError::Forbidden));
    }
    Ok((user, session, store))
}

/// Appends an audit event, retrying briefly when SQLite reports the database busy (the
/// engine may be writing a run's samples at that moment). Failing closed is still the last
/// resort: an action whose audit event cannot be written is refused.
pub async fn audit(store: &Store, ev: engine::store::NewAuditEvent) -> Result<(), AppError> {
    let mut last = None;
    for attempt in 0..5u64 {
        match store.append_audit(ev.clone()).await {
            Ok(_) => return Ok(()),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(50 * (attempt + 1))).await;
    }
    Err(internal(last.map(|e| e.to_string()).unwrap_or_default()))
}

/// A store failure as the browser should see it: a workflow refusal or an invalid request in
/// the rule's own words (with 403 or 400), anything else hidden as internal.
pub fn store_error(e: engine::store::StoreError) -> AppError {
    use engine::store::StoreError;
    match e {
        StoreError::Refused(r) => refuse(AppError::Refused(r.0)),
        StoreError::Invalid(m) => refuse(AppError::Invalid(m)),
        other => internal(other),
    }
}
