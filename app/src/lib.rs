//! GenoBridge's web console: the Leptos app shared by the server (SSR) and the browser
//! (hydration). Views call the server functions in [`api`]; nothing else touches data.
// The mapping page nests deep view types; the default limit (128) overflows at codegen.
#![recursion_limit = "256"]

pub mod api;
#[cfg(feature = "ssr")]
pub mod auth;
mod components;
pub mod error;
#[cfg(feature = "ssr")]
pub mod live;
pub mod model;
mod pages;
#[cfg(feature = "ssr")]
pub mod sources;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The brand mark (a sky-blue rounded square) as an inline SVG.
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='7' fill='%230369a1'/%3E%3C/svg%3E";

/// The HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // Inline, so the browser does not ask for /favicon.ico (a 404 in the console).
                <link rel="icon" href=FAVICON />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="h-full bg-slate-50 text-slate-900 antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser, so this flips once hydration has wired the page up.
    // The end-to-end test waits on it before it clicks anything.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <Stylesheet id="leptos" href="/pkg/genobridge.css" />
        <Title text="GenoBridge" />
        <Router>
            <main class="min-h-screen" data-hydrated=move || hydrated.get().to_string()>
                // Async SSR: the page is rendered whole before headers go out, so the
                // auth redirect can still be a real 302 and session cookies can be set.
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/login") view=pages::LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/") view=pages::DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/messages") view=pages::MessagesPage ssr=SsrMode::Async />
                    <Route path=path!("/audit") view=pages::AuditPage ssr=SsrMode::Async />
                    <Route path=path!("/messages/:id") view=pages::MessagePage ssr=SsrMode::Async />
                    <Route path=path!("/runs") view=pages::RunsPage ssr=SsrMode::Async />
                    <Route path=path!("/qc") view=pages::QcPage ssr=SsrMode::Async />
                    <Route path=path!("/quarantine") view=pages::QuarantinePage ssr=SsrMode::Async />
                    <Route path=path!("/waiting") view=pages::WaitingPage ssr=SsrMode::Async />
                    <Route path=path!("/lims") view=pages::LimsPage ssr=SsrMode::Async />
                    <Route path=path!("/sources") view=pages::SourcesPage ssr=SsrMode::Async />
                    <Route path=path!("/mappings") view=pages::MappingsPage ssr=SsrMode::Async />
                    <Route path=path!("/mappings/:name") view=pages::MappingPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
