//! The web console: the Leptos app (SSR + hydration), its server functions, and plain
//! routes: `GET /health`, `/ready`, `/metrics` and the JSON feeds under `/api/`.
//!
//! Layers, outermost first: security headers, the same-origin check for state-changing
//! requests ([`origin`]), then sessions ([`session`]). Server functions additionally check the
//! session's role and CSRF token (see `app::auth`).

mod api;
mod assets;
mod audit_api;
mod live;
mod mappings_api;
mod messages_api;
mod metrics;
mod openapi;
mod origin;
mod session;

use app::{shell, App};
use axum::{extract::FromRef, middleware, Router};
use engine::store::Store;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::{future::Future, net::SocketAddr, path::PathBuf};

/// Router state: Leptos needs its options, the plain API routes need the store.
#[derive(Clone, FromRef)]
pub struct WebState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub listeners: metrics::Listeners,
    /// The live dashboard's snapshot task (`GET /api/live`).
    pub live: live::Hub,
}

pub use metrics::Listeners;

/// Leptos options built in code, so the binary does not read Cargo.toml at run time.
fn leptos_options(listen: SocketAddr, site_root: &std::path::Path) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("genobridge")
        .site_root(site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(listen)
        .build()
}

/// Everything but the listener: split out so tests can drive the router directly. `live`
/// is the live dashboard's hub, which `serve` closes at shutdown.
pub async fn router(
    store: Store,
    listen: SocketAddr,
    site_root: PathBuf,
    listeners: Listeners,
    live: live::Hub,
) -> std::io::Result<Router> {
    let options = leptos_options(listen, &site_root);
    let context_listeners = listeners.clone();
    let state = WebState {
        leptos_options: options.clone(),
        store: store.clone(),
        listeners,
        live,
    };
    let routes = generate_route_list(App);
    let context_store = store.clone();
    let app = Router::new()
        // The REST API and probes, with their OpenAPI document (`/api/openapi.json`).
        .merge(openapi::routes())
        .merge(assets::wasm_alias(&site_root))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                provide_context(context_store.clone());
                provide_context(context_listeners.rules());
                if let Some(engine) = context_listeners.engine() {
                    provide_context(engine);
                }
            },
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<WebState, _>(shell))
        .with_state(state);
    let app = session::layer(app, &store, listen).await?;
    Ok(app
        .layer(middleware::from_fn(origin::same_origin))
        .layer(middleware::from_fn(assets::security_headers)))
}

/// Serves the console on `listener` (bound by the caller, so a bind failure stops the
/// start) until `shutdown` resolves.
pub async fn serve(
    store: Store,
    listener: tokio::net::TcpListener,
    site_root: PathBuf,
    listeners: Listeners,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listen = listener.local_addr()?;
    let hub = live::Hub::default();
    let app = router(store, listen, site_root, listeners, hub.clone()).await?;
    // Event streams never end by themselves: end them, or they would hold the shutdown.
    let shutdown = async move {
        shutdown.await;
        hub.close();
    };
    tracing::info!("web console listening on http://{listen}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
