//! Static-asset quirks and response headers.

use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
    routing::get_service,
    Router,
};
use std::path::Path;
use tower_http::services::ServeFile;

/// The hydration script asks for `pkg/genobridge.wasm` or `pkg/genobridge_bg.wasm` depending
/// on whether `LEPTOS_OUTPUT_NAME` was set when leptos was compiled; cargo-leptos writes the
/// first name, plain wasm-bindgen the second. Serve whichever exists under both names.
pub fn wasm_alias<S: Clone + Send + Sync + 'static>(site_root: &Path) -> Router<S> {
    let pkg = site_root.join("pkg");
    let mut router = Router::new();
    for (wanted, present) in [
        ("genobridge.wasm", "genobridge_bg.wasm"),
        ("genobridge_bg.wasm", "genobridge.wasm"),
    ] {
        if !pkg.join(wanted).exists() && pkg.join(present).exists() {
            router = router.route(
                &format!("/pkg/{wanted}"),
                get_service(ServeFile::new(pkg.join(present))),
            );
        }
    }
    router
}

/// Headers every response gets: no MIME sniffing, no framing (clickjacking), and a referrer
/// policy that still lets our own forms send `Referer` to ourselves.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    res
}
