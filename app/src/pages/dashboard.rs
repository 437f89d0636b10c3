//! `/`: the operations dashboard, one screen. Signed-out visitors are redirected to
//! `/login` (a 302 during SSR). The first paint is rendered on the server from the `live_snapshot`
//! server function; after hydration the page follows `GET /api/live`, server-sent events
//! the server computes once a second for every open dashboard. The lists behind the
//! numbers are on their own paged pages (`/runs`, `/qc`, `/quarantine`, `/waiting`,
//! `/lims`, `/messages`).

use crate::api::lists::get_live;
use crate::api::SetFlowPaused;
use crate::components::{
    AlertBanner, FlowsPanel, LatestEvents, Link, LiveIndicator, RecentErrors, SignedIn, Totals,
    WaitingSummary,
};
use crate::model::live::LiveSnapshot;
use crate::model::Me;
use leptos::prelude::*;
use leptos_meta::Title;

/// The event stream the hydrated page follows.
#[cfg(feature = "hydrate")]
const LIVE_URL: &str = "/api/live";

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Title text="Dashboard · GenoBridge" />
        <SignedIn page=|me, csrf| view! { <Console me csrf /> } />
    }
}

/// Loads the first snapshot, then hands over to the live view.
#[component]
fn Console(me: Me, csrf: String) -> impl IntoView {
    let first = Resource::new(|| (), |_| get_live());
    view! {
        <Suspense fallback=|| view! { <p class="text-sm text-slate-500">"Loading data…"</p> }>
            {move || {
                let (me, csrf) = (me.clone(), csrf.clone());
                Suspend::new(async move {
                    match first.await {
                        Ok(initial) => view! { <Live me csrf initial /> }.into_any(),
                        Err(e) => view! {
                            <p role="alert" class="rounded-md bg-red-50 px-4 py-3 text-sm text-red-700">
                                {e.to_string()}
                            </p>
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn Live(me: Me, csrf: String, initial: LiveSnapshot) -> impl IntoView {
    let snap = RwSignal::new(initial);
    let link = RwSignal::new(Link::Connecting);
    follow(snap, link);
    let pause = ServerAction::<SetFlowPaused>::new();
    let can_pause = matches!(me.role.as_str(), "admin" | "engineer");
    let audit_reader = snap.with_untracked(|s| s.audit.is_some());
    let refused = move || {
        pause.value().get().and_then(Result::err).map(|e| {
            view! { <p role="alert" class="px-5 py-2 text-sm text-red-700">{e.to_string()}</p> }
        })
    };
    view! {
        <div class="space-y-4">
            <h1 class="sr-only">"Operations dashboard"</h1>
            <AlertBanner snap />
            <Totals snap />
            <section class="overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
                <div class="flex items-center gap-3 border-b border-slate-100 px-5 py-2">
                    <h2 class="text-sm font-semibold">"Flows"</h2>
                    <p class="min-w-0 flex-1 truncate text-xs text-slate-500">
                        "A paused flow keeps queueing and sends nothing until it is resumed"
                    </p>
                    <LiveIndicator link snap />
                </div>
                {refused}
                <FlowsPanel snap csrf can_pause pause />
            </section>
            <div class=if audit_reader { "grid gap-4 lg:grid-cols-[1.5fr_1fr_1fr]" } else { "grid gap-4 lg:grid-cols-2" }>
                <RecentErrors snap />
                <WaitingSummary snap />
                {audit_reader.then(|| view! { <LatestEvents snap /> })}
            </div>
        </div>
    }
}

/// In the browser: follows the event stream into `snap`, and says in `link` whether it is
/// live. The browser's `EventSource` reconnects by itself after a network error; a stream
/// the server refused (signed out meanwhile, or a restart) is reopened every 3 s.
#[cfg(feature = "hydrate")]
fn follow(snap: RwSignal<LiveSnapshot>, link: RwSignal<Link>) {
    use send_wrapper::SendWrapper;
    use std::time::Duration;
    use wasm_bindgen::{closure::Closure, JsCast};
    let attempt = RwSignal::new(0u32);
    Effect::new(move |_| {
        attempt.track();
        let Ok(source) = web_sys::EventSource::new(LIVE_URL) else {
            link.set(Link::Reconnecting);
            return;
        };
        let on_snapshot =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let Some(text) = e.data().as_string() else {
                    return;
                };
                if let Ok(s) = serde_json::from_str::<LiveSnapshot>(&text) {
                    snap.set(s);
                    link.set(Link::Live);
                }
            });
        // The server ends a stream now and then, saying so first: the browser reconnects
        // within a second, and the page does not show it as a drop.
        let planned = std::rc::Rc::new(std::cell::Cell::new(false));
        let said_bye = planned.clone();
        let on_reconnect = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            said_bye.set(true);
        });
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            if !planned.replace(false) {
                link.set(Link::Reconnecting);
            }
            let closed = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::EventSource>().ok())
                .is_some_and(|s| s.ready_state() == web_sys::EventSource::CLOSED);
            if closed {
                set_timeout(move || attempt.update(|a| *a += 1), Duration::from_secs(3));
            }
        });
        let _ = source
            .add_event_listener_with_callback("snapshot", on_snapshot.as_ref().unchecked_ref());
        let _ = source
            .add_event_listener_with_callback("reconnect", on_reconnect.as_ref().unchecked_ref());
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let held = SendWrapper::new((source, on_snapshot, on_reconnect, on_error));
        on_cleanup(move || {
            held.0.close();
            drop(held);
        });
    });
}

/// On the server there is no stream to follow: the first paint is the snapshot.
#[cfg(not(feature = "hydrate"))]
fn follow(_snap: RwSignal<LiveSnapshot>, _link: RwSignal<Link>) {}
