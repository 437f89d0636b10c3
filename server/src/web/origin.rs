//! Same-origin check for every state-changing request: the first of two CSRF defences (the
//! per-session token checked by each server function is the second).
//!
//! Browsers send `Origin` on every cross-site POST, and it cannot be forged from a page. A
//! request that carries neither `Origin` nor `Referer` is refused too: no browser form or
//! fetch of ours omits both, and accepting it would reopen the hole for older clients.

use axum::{
    extract::Request,
    http::{header, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

pub async fn same_origin(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if is_same_origin(&req) {
        next.run(req).await
    } else {
        tracing::warn!(method = %req.method(), path = req.uri().path(), "refused cross-origin request");
        (StatusCode::FORBIDDEN, "cross-origin request refused\n").into_response()
    }
}

fn is_same_origin(req: &Request) -> bool {
    let headers = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()));
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|h| h.to_str().ok());
    match (host, source.and_then(authority)) {
        (Some(host), Some(src)) => src.eq_ignore_ascii_case(host),
        _ => false,
    }
}

/// `http://host:port/path` → `host:port`; `None` for `null` or anything without a scheme.
fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::authority;

    #[test]
    fn authority_of_origins_and_referers() {
        assert_eq!(authority("http://127.0.0.1:3000"), Some("127.0.0.1:3000"));
        assert_eq!(
            authority("https://lab.example/login?x=1"),
            Some("lab.example")
        );
        assert_eq!(authority("null"), None);
        assert_eq!(authority("http://"), None);
    }
}
