//! A stand-in LIMS for `serve --demo`, so the dashboard shows LIMS deliveries without a
//! real LIMS. It listens on the loopback address of `lims.destination.url` and answers
//! every request 201, except that a document holding a sample id ending in `A21` is
//! refused once with 422 and a JSON reason: the demo then shows a dead letter, and its
//! Reprocess goes through.

use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode, Json, Router};
use engine::config::Config;
use serde_json::{json, Value};
use std::{
    collections::HashSet,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

/// Idempotency keys refused once already.
type Refused = Arc<Mutex<HashSet<String>>>;

/// Starts the stand-in when `[lims]` is configured; only ever on a loopback address.
pub async fn start(cfg: &Config) -> Result<(), String> {
    let Some(lims) = &cfg.lims else {
        return Ok(());
    };
    let url = &lims.destination.url;
    let addr = loopback_addr(url).ok_or_else(|| {
        format!("demo LIMS: lims.destination.url {url:?} must be http://127.0.0.1:PORT/…")
    })?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("demo LIMS listener on {addr}: {e}"))?;
    let app = Router::new()
        .fallback(receive)
        .with_state(Refused::default());
    tokio::spawn(async move { axum::serve(listener, app).await });
    tracing::info!(%addr, "demo LIMS listening");
    Ok(())
}

/// `http://127.0.0.1:3080/x` → `127.0.0.1:3080`, when the host is a loopback IP.
fn loopback_addr(url: &str) -> Option<SocketAddr> {
    let rest = url.strip_prefix("http://")?;
    let authority = rest.split('/').next()?;
    let addr: SocketAddr = authority.parse().ok()?;
    addr.ip().is_loopback().then_some(addr)
}

async fn receive(
    State(refused): State<Refused>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, Json<Value>) {
    let Some(key) = headers.get("idempotency-key").and_then(|k| k.to_str().ok()) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "Idempotency-Key header required" })),
        );
    };
    let Ok(doc) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "body is not JSON" })),
        );
    };
    let first_time = refused
        .lock()
        .map(|mut r| r.insert(key.to_string()))
        .unwrap_or(false);
    if holds_a21(&doc) && first_time {
        return (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(
                json!({ "error": "sample not registered in this LIMS", "hint": "register it, then reprocess" }),
            ),
        );
    }
    (StatusCode::CREATED, Json(json!({ "accepted": key })))
}

fn holds_a21(v: &Value) -> bool {
    match v {
        Value::String(s) => s.ends_with("A21"),
        Value::Array(items) => items.iter().any(holds_a21),
        Value::Object(map) => map.values().any(holds_a21),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::loopback_addr;

    #[test]
    fn only_loopback_urls_are_served() {
        assert_eq!(
            loopback_addr("http://127.0.0.1:3080/api/v1/samples").map(|a| a.port()),
            Some(3080)
        );
        assert_eq!(loopback_addr("http://10.0.0.5:3080/api"), None);
        assert_eq!(loopback_addr("https://127.0.0.1:3080/api"), None);
    }
}
