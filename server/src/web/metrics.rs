//! `GET /metrics` (Prometheus text format) and `GET /ready`. The figures are read from the
//! database's queues at each scrape (`Store::flow_stats`), so every node reports the same
//! numbers and a restart resets nothing. Neither route changes state, and neither carries
//! PHI: counts, ages and latencies only, so a scraper needs no session.

use super::WebState;
use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use engine::store::{FlowStats, LATENCY_BUCKETS};
use prometheus::proto::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, MetricType,
};
use prometheus::{Encoder, TextEncoder};
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc, Mutex,
};

/// Each route with its OpenAPI operation (see `openapi.rs` for how to add one).
pub fn routes() -> utoipa_axum::router::OpenApiRouter<WebState> {
    utoipa_axum::router::OpenApiRouter::new()
        .routes(utoipa_axum::routes!(metrics))
        .routes(utoipa_axum::routes!(ready))
}

/// The long-running tasks `serve` started (the order listener, the engine and the
/// delivery loops): `/ready` fails once any of them has stopped.
/// Also this node's name and whether it scans the watched folders now.
#[derive(Clone, Default)]
pub struct Listeners {
    tasks: Arc<Mutex<Vec<(&'static str, tokio::task::AbortHandle)>>>,
    node: Arc<Mutex<Option<NodeFlag>>>,
    rules: Arc<Mutex<app::model::DeliveryRules>>,
    data_dir: Arc<Mutex<Option<std::path::PathBuf>>>,
    /// The running engine, for server functions that build messages (reprocess).
    engine: Arc<Mutex<Option<engine::pipeline::Engine>>>,
}

/// A node's name and the flag that is true while it scans the watched folders.
type NodeFlag = (String, Arc<AtomicBool>);

impl Listeners {
    pub fn watch<T>(&self, name: &'static str, task: &tokio::task::JoinHandle<T>) {
        if let Ok(mut l) = self.tasks.lock() {
            l.push((name, task.abort_handle()));
        }
    }

    /// The engine `serve` runs, handed to the server functions.
    pub fn set_engine(&self, engine: &engine::pipeline::Engine) {
        if let Ok(mut e) = self.engine.lock() {
            *e = Some(engine.clone());
        }
    }

    pub fn engine(&self) -> Option<engine::pipeline::Engine> {
        self.engine.lock().ok().and_then(|e| e.clone())
    }

    /// Names this node, with the engine's flag that says it owns the watched folders.
    pub fn set_node(&self, name: &str, scanning: Arc<AtomicBool>) {
        if let Ok(mut n) = self.node.lock() {
            *n = Some((name.to_string(), scanning));
        }
    }

    /// What the configuration says about delivery: the message kinds whose destination
    /// keeps order, and the outbound flows that have a destination.
    pub fn set_rules(&self, rules: app::model::DeliveryRules) {
        if let Ok(mut r) = self.rules.lock() {
            *r = rules;
        }
    }

    /// The data folder, whose audit spool `/ready` reports.
    pub fn set_data_dir(&self, dir: &std::path::Path) {
        if let Ok(mut d) = self.data_dir.lock() {
            *d = Some(dir.to_path_buf());
        }
    }

    /// The data folder `serve` was configured with (audit spool, exports).
    pub fn data_dir(&self) -> Option<std::path::PathBuf> {
        self.data_dir.lock().ok().and_then(|d| d.clone())
    }

    pub fn rules(&self) -> app::model::DeliveryRules {
        self.rules.lock().map(|r| r.clone()).unwrap_or_default()
    }

    fn node(&self) -> Option<(String, bool)> {
        let n = self.node.lock().ok()?;
        let (name, scanning) = n.as_ref()?;
        Some((name.clone(), scanning.load(Ordering::Relaxed)))
    }

    fn stopped(&self) -> Vec<&'static str> {
        self.tasks
            .lock()
            .map(|l| {
                l.iter()
                    .filter(|(_, h)| h.is_finished())
                    .map(|(n, _)| *n)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// 200 `ready` when the database answers and every task `serve` started still runs;
/// otherwise 503 naming what is wrong.
#[utoipa::path(get, path = "/ready", tag = "operations",
    responses(
        (status = 200, description = "`ready`", body = String, content_type = "text/plain"),
        (status = 503, description = "`not ready: ` and what is wrong", body = String, content_type = "text/plain"),
    ))]
async fn ready(State(state): State<WebState>) -> Response {
    let mut problems = Vec::new();
    if let Err(e) = state.store.ping().await {
        tracing::warn!(error = %e, "readiness: the database does not answer");
        problems.push("database: not reachable".to_string());
    }
    for name in state.listeners.stopped() {
        problems.push(format!("{name}: stopped"));
    }
    let dir = state.listeners.data_dir.lock().ok().and_then(|d| d.clone());
    if let Some(n) = dir
        .map(|d| engine::pipeline::audit_spool::spooled(&d))
        .filter(|n| *n > 0)
    {
        problems.push(format!(
            "audit: {n} events spooled while the database was unavailable, not yet in the chain"
        ));
    }
    if problems.is_empty() {
        (StatusCode::OK, "ready\n").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {}\n", problems.join("; ")),
        )
            .into_response()
    }
}

/// Prometheus metrics: per-flow counters, source-to-ACK latency histograms, queue depth
/// and age, alerts, build info. Counts only, no PHI, so no session.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses(
        (status = 200, description = "The Prometheus text exposition format 0.0.4", body = String,
            content_type = "text/plain; version=0.0.4"),
        (status = 503, description = "The database does not answer", body = String, content_type = "text/plain"),
    ))]
async fn metrics(State(state): State<WebState>) -> Response {
    let flows = match state.store.flow_stats().await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "metrics: reading the queues failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "database: not reachable\n").into_response();
        }
    };
    let by_node = match state.store.delivered_by_node().await {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, "metrics: reading deliveries by node failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "database: not reachable\n").into_response();
        }
    };
    let mut all = families(&flows);
    // The encoder refuses a family without samples: before the first delivery, none.
    if !by_node.is_empty() {
        all.push(family(
            "genobridge_delivered_by_node",
            "Delivered items of each flow by the node that made the delivering attempt.",
            MetricType::GAUGE,
            by_node
                .iter()
                .map(|(flow, node, n)| {
                    gauge(vec![label("flow", flow), label("node", node)], *n as f64)
                })
                .collect(),
        ));
    }
    let paused = state.store.paused_flows().await.unwrap_or_default();
    all.push(family(
        "genobridge_flow_paused",
        "1 while an operator has paused the flow (its queue holds; nothing is lost).",
        MetricType::GAUGE,
        engine::store::PAUSABLE_FLOWS
            .iter()
            .map(|f| {
                let on = paused.iter().any(|p| p.flow == *f);
                gauge(vec![label("flow", f)], if on { 1.0 } else { 0.0 })
            })
            .collect(),
    ));
    // Alerts and destination health are extras: a failure to read them leaves them out.
    let open = state.store.open_alerts().await.unwrap_or_default();
    if !open.is_empty() {
        all.push(family(
            "genobridge_alert_firing",
            "1 for each alert rule with an open episode (see [alerts] in the configuration).",
            MetricType::GAUGE,
            open.iter()
                .map(|a| {
                    gauge(
                        vec![label("rule", &a.rule), label("condition", &a.condition)],
                        1.0,
                    )
                })
                .collect(),
        ));
    }
    let health = state.store.destination_health().await.unwrap_or_default();
    if !health.is_empty() {
        let now = engine::store::now_ms();
        all.push(family(
            "genobridge_destination_failing_seconds",
            "How long each destination has left every attempt unanswered (0 while it answers).",
            MetricType::GAUGE,
            health
                .iter()
                .map(|h| {
                    let secs = h
                        .failing_since_ms
                        .map_or(0.0, |t| (now - t).max(0) as f64 / 1000.0);
                    gauge(vec![label("queue", &h.queue)], secs)
                })
                .collect(),
        ));
    }
    if let Some((node, scanning)) = state.listeners.node() {
        all.push(family(
            "genobridge_node_scans_folders",
            "1 while this node owns the watched folders and scans them (one node of N on PostgreSQL).",
            MetricType::GAUGE,
            vec![gauge(vec![label("node", &node)], if scanning { 1.0 } else { 0.0 })],
        ));
    }
    let encoder = TextEncoder::new();
    let mut body = Vec::new();
    if let Err(e) = encoder.encode(&all, &mut body) {
        tracing::error!(error = %e, "metrics: encoding failed");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(header::CONTENT_TYPE, encoder.format_type().to_string())],
        body,
    )
        .into_response()
}

fn label(name: &str, value: &str) -> LabelPair {
    let mut l = LabelPair::default();
    l.set_name(name.to_string());
    l.set_value(value.to_string());
    l
}

fn family(name: &str, help: &str, kind: MetricType, metrics: Vec<Metric>) -> MetricFamily {
    let mut f = MetricFamily::default();
    f.set_name(name.to_string());
    f.set_help(help.to_string());
    f.set_field_type(kind);
    f.set_metric(metrics);
    f
}

fn gauge(labels: Vec<LabelPair>, value: f64) -> Metric {
    let mut g = Gauge::default();
    g.set_value(value);
    let mut m = Metric::default();
    m.set_label(labels);
    m.set_gauge(g);
    m
}

fn counter(labels: Vec<LabelPair>, value: f64) -> Metric {
    let mut c = Counter::default();
    c.set_value(value);
    let mut m = Metric::default();
    m.set_label(labels);
    m.set_counter(c);
    m
}

/// The metric families of one scrape, from the flows' figures.
fn families(flows: &[FlowStats]) -> Vec<MetricFamily> {
    let flow = |f: &FlowStats| vec![label("flow", f.flow)];
    let mut items = Vec::new();
    for f in flows {
        for (state, n) in &f.states {
            items.push(gauge(
                vec![label("flow", f.flow), label("state", state)],
                *n as f64,
            ));
        }
    }
    let latency = flows
        .iter()
        .filter_map(|f| {
            let l = f.latency.as_ref()?;
            let mut h = Histogram::default();
            h.set_sample_count(l.count);
            h.set_sample_sum(l.sum_seconds);
            h.set_bucket(
                LATENCY_BUCKETS
                    .iter()
                    .zip(&l.buckets)
                    .map(|(bound, n)| {
                        let mut b = Bucket::default();
                        b.set_upper_bound(*bound);
                        b.set_cumulative_count(*n);
                        b
                    })
                    .collect(),
            );
            let mut m = Metric::default();
            m.set_label(flow(f));
            m.set_histogram(h);
            Some(m)
        })
        .collect();
    vec![
        family(
            "genobridge_build_info",
            "The running GenoBridge version.",
            MetricType::GAUGE,
            vec![gauge(
                vec![label("version", env!("CARGO_PKG_VERSION"))],
                1.0,
            )],
        ),
        family(
            "genobridge_flow_received_total",
            "Items each flow has taken in (documents, messages or orders), whatever their state.",
            MetricType::COUNTER,
            flows
                .iter()
                .map(|f| counter(flow(f), f.received() as f64))
                .collect(),
        ),
        family(
            "genobridge_flow_items",
            "Items of each flow by their current state (pending, delivered, dead_letter, stored).",
            MetricType::GAUGE,
            items,
        ),
        family(
            "genobridge_queue_depth",
            "Items waiting to be sent.",
            MetricType::GAUGE,
            flows
                .iter()
                .map(|f| gauge(flow(f), f.queue_depth as f64))
                .collect(),
        ),
        family(
            "genobridge_queue_oldest_age_seconds",
            "Age of the oldest item waiting to be sent (0 when none waits).",
            MetricType::GAUGE,
            flows
                .iter()
                .map(|f| gauge(flow(f), f.oldest_queued_seconds.unwrap_or(0.0)))
                .collect(),
        ),
        family(
            "genobridge_delivery_latency_seconds",
            "From an item being stored to its ACK or 2xx answer, for delivered items.",
            MetricType::HISTOGRAM,
            latency,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stopped_task_is_named_and_a_running_one_is_not() {
        let l = Listeners::default();
        let done = tokio::spawn(async {});
        let running = tokio::spawn(std::future::pending::<()>());
        l.watch("order_intake", &done);
        l.watch("engine", &running);
        done.await.unwrap();
        assert_eq!(l.stopped(), ["order_intake"]);
        running.abort();
    }
}
