//! Server functions: the only way the views read or change anything.
//!
//! Each one authenticates from the session, checks the role, and (when it changes state)
//! checks the CSRF token it takes as an argument. The Origin check in the server's middleware
//! is the second, independent layer.

use crate::error::AppError;
use crate::model::SessionView;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::auth;

/// Who is signed in, plus the session's CSRF token (created here for a new visitor).
#[server(endpoint = "session")]
pub async fn get_session() -> Result<SessionView, AppError> {
    let (session, store) = (auth::session().await?, auth::store()?);
    let csrf = auth::csrf_token(&session).await?;
    let user = auth::user_of(&session, &store)
        .await?
        .map(|u| crate::model::Me {
            username: u.username,
            role: u.role.as_str().to_string(),
        });
    Ok(SessionView { user, csrf })
}

/// Signs in. On success the session id is rotated and a fresh CSRF token issued.
#[server(endpoint = "login")]
pub async fn login(username: String, password: String, csrf: String) -> Result<(), AppError> {
    use engine::store::NewAuditEvent;
    let (session, store) = (auth::session().await?, auth::store()?);
    auth::check_csrf(&session, &csrf).await?;
    // Bound what an attacker can make us hash or write to the audit log.
    let username: String = username.trim().chars().take(64).collect();
    let password: String = password.chars().take(256).collect();
    // A locked username is not tried at all: no password is checked until the lock ends.
    let now = engine::store::now_ms();
    if let Some(until) = store
        .login_locked_until(&username, now)
        .await
        .map_err(auth::internal)?
    {
        let wait = (until - now + 999) / 1000;
        let detail = serde_json::json!({ "locked_for_s": wait });
        let ev = NewAuditEvent::user(&username, "login_refused_locked", "user", &username, detail);
        auth::audit(&store, ev).await?;
        return Err(auth::refuse(AppError::Locked(wait)));
    }
    let Some(user) = store
        .verify_login(&username, &password)
        .await
        .map_err(auth::internal)?
    else {
        let (failures, locked) = store
            .record_login_failure(&username, now)
            .await
            .map_err(auth::internal)?;
        let ev = NewAuditEvent::user(
            &username,
            "login_failed",
            "user",
            &username,
            serde_json::json!({ "consecutive_failures": failures }),
        );
        auth::audit(&store, ev).await?;
        if let Some(until) = locked {
            let detail = serde_json::json!({
                "consecutive_failures": failures, "locked_for_s": (until - now) / 1000,
            });
            let ev = NewAuditEvent::user(&username, "login_locked", "user", &username, detail);
            auth::audit(&store, ev).await?;
        }
        if plain_form_post().await {
            // Without JavaScript the error travels in the URL the login page reads.
            leptos_axum::redirect("/login?error=1");
            return Ok(());
        }
        return Err(auth::refuse(AppError::BadCredentials));
    };
    store
        .clear_login_failures(&username)
        .await
        .map_err(auth::internal)?;
    session.cycle_id().await.map_err(auth::internal)?;
    session
        .insert(auth::USER_KEY, user.id)
        .await
        .map_err(auth::internal)?;
    session
        .insert(auth::CSRF_KEY, auth::new_token())
        .await
        .map_err(auth::internal)?;
    let detail = serde_json::json!({ "role": user.role.as_str() });
    let ev = NewAuditEvent::user(&user.username, "login", "user", &user.username, detail);
    auth::audit(&store, ev).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// True when the request is a browser form post without JavaScript (it accepts HTML).
#[cfg(feature = "ssr")]
async fn plain_form_post() -> bool {
    leptos_axum::extract::<axum::http::HeaderMap>()
        .await
        .ok()
        .and_then(|h| {
            h.get(axum::http::header::ACCEPT)?
                .to_str()
                .ok()
                .map(|a| a.contains("text/html"))
        })
        .unwrap_or(false)
}

/// Signs out: the session is deleted server-side, so the old cookie is worthless.
#[server(endpoint = "logout")]
pub async fn logout(csrf: String) -> Result<(), AppError> {
    use engine::store::{NewAuditEvent, Role};
    let (user, session, store) = auth::require_role(&Role::ALL).await?;
    auth::check_csrf(&session, &csrf).await?;
    session.flush().await.map_err(auth::internal)?;
    let ev = NewAuditEvent::user(
        &user.username,
        "logout",
        "user",
        &user.username,
        serde_json::json!({}),
    );
    auth::audit(&store, ev).await?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Source fields per format for the mapping view: admins and engineers only (the
/// examples are real values from the newest inputs).
#[server(endpoint = "sources")]
pub async fn get_sources() -> Result<Vec<crate::model::SourceSchema>, AppError> {
    let (_user, _session, store) = auth::require_role(auth::OPERATORS).await?;
    crate::sources::collect(&store)
        .await
        .map_err(auth::internal)
}

/// Puts a LIMS dead letter back in the queue: due at once, with a fresh attempt budget and
/// the same idempotency key. Admins and engineers only; audited with who did it.
#[server(endpoint = "lims_reprocess")]
pub async fn reprocess_lims(id: i64, csrf: String) -> Result<(), AppError> {
    use engine::store::NewAuditEvent;
    let (user, session, store) = auth::require_role(auth::OPERATORS).await?;
    auth::check_csrf(&session, &csrf).await?;
    let Some(row) = store.lims_delivery(id).await.map_err(auth::internal)? else {
        return Err(auth::refuse(AppError::NotDeadLetter));
    };
    // The conditional UPDATE is the check: two operators clicking at once reprocess once.
    if !store.reprocess_lims(id).await.map_err(auth::internal)? {
        return Err(auth::refuse(AppError::NotDeadLetter));
    }
    let (kind, subject) = match &row.sample_id {
        Some(s) => ("sample", s.as_str()),
        None => ("run", row.run_id.as_str()),
    };
    let detail = serde_json::json!({
        "delivery_id": id, "idempotency_key": row.idempotency_key, "destination": row.destination,
        "attempts_before": row.attempts, "last_status": row.last_status,
    });
    let ev = NewAuditEvent::user(&user.username, "lims.reprocess", kind, subject, detail);
    auth::audit(&store, ev).await
}

/// Puts a FHIR dead letter back in the queue: due at once, with a fresh attempt budget and
/// the same idempotency key (the Bundle's conditional creates make the resend create no
/// duplicates). Admins and engineers only; audited with who did it.
#[server(endpoint = "fhir_reprocess")]
pub async fn reprocess_fhir(id: i64, csrf: String) -> Result<(), AppError> {
    use engine::store::NewAuditEvent;
    let (user, session, store) = auth::require_role(auth::OPERATORS).await?;
    auth::check_csrf(&session, &csrf).await?;
    let Some(row) = store.fhir_delivery(id).await.map_err(auth::internal)? else {
        return Err(auth::refuse(AppError::NotDeadLetter));
    };
    // The conditional UPDATE is the check: two operators clicking at once reprocess once.
    if !store.reprocess_message(id).await.map_err(auth::internal)? {
        return Err(auth::refuse(AppError::NotDeadLetter));
    }
    let detail = serde_json::json!({
        "message_id": id, "control_id": row.control_id, "idempotency_key": row.idempotency_key,
        "destination": row.destination, "attempts_before": row.attempts, "last_status": row.last_status,
    });
    let ev = NewAuditEvent::user(
        &user.username,
        "fhir.reprocess",
        "sample",
        &row.sample_id,
        detail,
    );
    auth::audit(&store, ev).await
}

pub mod audit;
pub mod lists;
pub mod mappings;
pub mod messages;

/// Pauses or resumes an outbound flow. A paused flow's queue holds on every node (items
/// keep being built and queued) until it is resumed; nothing is lost. Admins and
/// engineers only; audited with who did it and how many items were queued.
#[server(endpoint = "flow_pause")]
pub async fn set_flow_paused(flow: String, paused: bool, csrf: String) -> Result<(), AppError> {
    use engine::store::{NewAuditEvent, PAUSABLE_FLOWS};
    let (user, session, store) = auth::require_role(auth::OPERATORS).await?;
    auth::check_csrf(&session, &csrf).await?;
    if !PAUSABLE_FLOWS.contains(&flow.as_str()) {
        return Err(auth::refuse(AppError::Invalid(format!(
            "{flow:?} is not a flow that can be paused"
        ))));
    }
    let changed = if paused {
        store
            .pause_flow(&flow, &format!("user:{}", user.username))
            .await
    } else {
        store.resume_flow(&flow).await
    }
    .map_err(auth::store_error)?;
    if !changed {
        // Already so (another operator was first): nothing to audit.
        return Ok(());
    }
    let (_, queued) = store
        .queue_head(&[flow.as_str()])
        .await
        .map_err(auth::internal)?;
    let action = if paused {
        "flow.paused"
    } else {
        "flow.resumed"
    };
    let detail = serde_json::json!({ "flow": flow, "queued": queued });
    auth::audit(
        &store,
        NewAuditEvent::user(&user.username, action, "flow", &flow, detail),
    )
    .await
}
