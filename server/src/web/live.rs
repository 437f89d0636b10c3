//! `GET /api/live`: the dashboard's snapshot (`app::model::live::LiveSnapshot`), as
//! server-sent events for a browser (`Accept: text/event-stream`: an event `snapshot`
//! each second) or once as JSON for anything else. For signed-in users only.
//!
//! One task computes one snapshot a second, only while at least one stream is open, and
//! every stream sends that same snapshot: N dashboards cost the database what one does.
//! Snapshots carry no PHI (counts, rates, latencies, ids, sample ids); the audit events in
//! them go only to the roles that may read the audit trail.

use super::{api::user_of, WebState};
use app::model::live::LiveSnapshot;
use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Json,
};
use engine::store::Store;
use std::{
    convert::Infallible,
    sync::{Arc, OnceLock},
    time::{Duration, Instant},
};
use tokio::sync::{watch, Notify};
use tower_sessions::Session;
use utoipa_axum::{router::OpenApiRouter, routes};

/// How often a snapshot is computed and pushed while anyone listens.
pub const INTERVAL: Duration = Duration::from_secs(1);
/// A stream ends after this long (with an event `reconnect`) and the browser reconnects
/// at once, so a session that was signed out or expired meanwhile stops receiving within
/// this time.
const MAX_STREAM: Duration = Duration::from_secs(300);

pub fn routes() -> OpenApiRouter<WebState> {
    OpenApiRouter::new().routes(routes!(live))
}

/// The shared snapshot task and what it last computed.
#[derive(Clone, Default)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    latest: watch::Sender<Option<Arc<Frame>>>,
    /// Wakes the idle task when a stream opens.
    wake: Notify,
    /// True once the server shuts down: every stream ends, so the shutdown is not held.
    stop: watch::Sender<bool>,
    started: OnceLock<()>,
}

impl Default for Inner {
    fn default() -> Self {
        Inner {
            latest: watch::Sender::new(None),
            wake: Notify::new(),
            stop: watch::Sender::new(false),
            started: OnceLock::new(),
        }
    }
}

/// One snapshot, serialized once per audience.
struct Frame {
    at: Instant,
    /// With the audit events, for the roles in `app::auth::AUDIT_READERS`.
    full: Arc<str>,
    /// Without them, for the others.
    public: Arc<str>,
}

impl Hub {
    /// Ends every open stream, and the task.
    pub fn close(&self) {
        self.inner.stop.send_replace(true);
    }

    /// Starts the task on first use (it needs the runtime the handlers run on).
    fn ensure_started(&self, store: &Store, listeners: &super::Listeners) {
        self.inner.started.get_or_init(|| {
            tokio::spawn(run(self.inner.clone(), store.clone(), listeners.clone()));
        });
    }
}

/// Computes a snapshot each [`INTERVAL`] while a stream is open; sleeps otherwise.
async fn run(inner: Arc<Inner>, store: Store, listeners: super::Listeners) {
    let mut stop = inner.stop.subscribe();
    let mut failing = false;
    loop {
        if *stop.borrow_and_update() {
            break;
        }
        if inner.latest.receiver_count() == 0 {
            tokio::select! {
                _ = inner.wake.notified() => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let began = Instant::now();
        match app::live::snapshot(&store, &listeners.rules()).await {
            Ok(s) => {
                failing = false;
                inner.latest.send_replace(Some(Arc::new(Frame::of(s))));
            }
            // Logged once per failing streak, not every second.
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "live dashboard: reading the snapshot failed");
            }
            Err(_) => {}
        }
        tokio::select! {
            _ = tokio::time::sleep(INTERVAL.saturating_sub(began.elapsed())) => {}
            _ = stop.changed() => {}
        }
    }
}

impl Frame {
    fn of(s: LiveSnapshot) -> Self {
        let full = serde_json::to_string(&s).unwrap_or_default();
        let public = serde_json::to_string(&LiveSnapshot { audit: None, ..s }).unwrap_or_default();
        Frame {
            at: Instant::now(),
            full: full.into(),
            public: public.into(),
        }
    }
}

/// The dashboard's live snapshot: counts per flow and state, rates, p50/p95 latency,
/// queues, destination health, open alerts and recent errors. With
/// `Accept: text/event-stream`, a server-sent event `snapshot` (that JSON) every second
/// until the client goes (or 5 minutes pass: reconnect); otherwise the JSON once.
#[utoipa::path(get, path = "/api/live", tag = "feeds",
    security(("session_cookie" = [])),
    responses(
        (status = 200, description = "The snapshot now (JSON), or a stream of them (text/event-stream, event `snapshot`, one a second)",
            content(
                (LiveSnapshot = "application/json"),
                (String = "text/event-stream"),
            )),
        (status = 401, description = "No session, or its user is gone"),
    ))]
async fn live(State(state): State<WebState>, session: Session, headers: HeaderMap) -> Response {
    let user = match user_of(&state, &session).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let audit = app::auth::AUDIT_READERS.contains(&user.role);
    let streaming = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/event-stream"));
    if !streaming {
        return match app::live::snapshot(&state.store, &state.listeners.rules()).await {
            Ok(s) => Json(app::live::for_role(s, &user.role)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "live: reading the snapshot failed");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        };
    }
    let hub = state.live.clone();
    hub.ensure_started(&state.store, &state.listeners);
    Sse::new(stream(&hub, audit))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// One client's events: the newest snapshot at once when it is fresh, then each new one.
fn stream(
    hub: &Hub,
    audit: bool,
) -> impl futures_util::Stream<Item = Result<Event, Infallible>> + Send + 'static {
    let mut rx = hub.inner.latest.subscribe();
    hub.inner.wake.notify_one();
    if rx
        .borrow()
        .as_ref()
        .is_some_and(|f| f.at.elapsed() < INTERVAL * 2)
    {
        rx.mark_changed();
    }
    let stop = hub.inner.stop.subscribe();
    let until = tokio::time::Instant::now() + MAX_STREAM;
    // State: the receivers, whether the next event is the first, and whether the stream
    // has said it is ending.
    futures_util::stream::unfold(
        (rx, stop, true, false),
        move |(mut rx, mut stop, first, ended)| async move {
            if ended || *stop.borrow_and_update() {
                return None;
            }
            tokio::select! {
                changed = rx.changed() => changed.ok()?,
                _ = stop.changed() => return None,
                _ = tokio::time::sleep_until(until) => {
                    // A planned end: the page reconnects at once without showing a drop.
                    let bye = Event::default().event("reconnect").data("bye");
                    return Some((Ok(bye), (rx, stop, false, true)));
                }
            }
            let frame = rx.borrow_and_update().clone()?;
            let data = if audit { &frame.full } else { &frame.public };
            let mut event = Event::default().event("snapshot").data(&**data);
            if first {
                // Reconnect after a second, not the browser's default three.
                event = event.retry(INTERVAL);
            }
            Some((Ok(event), (rx, stop, false, false)))
        },
    )
}
