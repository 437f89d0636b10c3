//! Builds the live dashboard's snapshot from the store (server only). The server computes
//! one a second while a browser listens and pushes it to all of them; the `live_snapshot`
//! server function builds one for the first paint.

use crate::model::live::{
    quantile, ActiveMapping, DestinationState, LiveFlow, LiveSnapshot, LiveTotals, RecentError,
};
use crate::model::{file_name, AuditEntry, DeliveryRules, OpenAlert, WaitingReport};
use engine::mapping::versions::State;
use engine::store::{self, Store, StoreError, LATENCY_BUCKETS};

/// The flows in the order the dashboard lists them.
pub const FLOWS: [&str; 5] = [
    "vcf-to-lri",
    "vcf-to-fhir",
    "run-to-lims",
    "qc-to-lims",
    "orders-in",
];

/// How many recent errors, waiting reports and audit events the snapshot carries.
pub const ERRORS: i64 = 5;
pub const WAITING: i64 = 3;
pub const AUDIT: i64 = 5;

/// The snapshot with the audit events; [`for_role`] takes them out for other roles.
pub async fn snapshot(store: &Store, rules: &DeliveryRules) -> Result<LiveSnapshot, StoreError> {
    let minutes = store::last_minutes(60);
    let per_minute = store
        .throughput_since(&minutes[0], minutes[0].len() as i64)
        .await?;
    let last_minute = store.throughput_since(&store::seconds_ago(60), 0).await?;
    let latency = store.latency_since(&store::seconds_ago(3600)).await?;
    let states = store.flow_states().await?;
    let heads = store.queue_heads().await?;
    let paused = store.paused_flows().await?;
    let health = store.destination_health().await?;
    let versions = store.mapping_versions(None).await?;
    let orders = store.orders_received().await?;
    let count = |flow: &str, status: &str| {
        states
            .iter()
            .filter(|(f, s, _)| f == flow && s == status)
            .map(|(_, _, n)| n)
            .sum::<i64>()
    };
    let mut flows = Vec::new();
    for flow in FLOWS {
        let outbound = flow != "orders-in";
        let pause = paused.iter().find(|p| p.flow == flow);
        let head = heads.iter().find(|h| h.flow == flow);
        let series: Vec<i64> = minutes
            .iter()
            .map(|m| {
                per_minute
                    .iter()
                    .filter(|(f, b, _)| f == flow && b == m)
                    .map(|(_, _, n)| n)
                    .sum()
            })
            .collect();
        let lat = latency.iter().find(|(f, _)| f == flow).map(|(_, l)| l);
        let q = |p: f64| lat.and_then(|l| quantile(p, &LATENCY_BUCKETS, &l.buckets, l.count));
        let received = if outbound {
            states
                .iter()
                .filter(|(f, _, _)| f == flow)
                .map(|(_, _, n)| n)
                .sum()
        } else {
            orders
        };
        flows.push(LiveFlow {
            flow: flow.to_string(),
            outbound,
            configured: !outbound || rules.configured_flows.iter().any(|f| f == flow),
            paused_by: pause.map(|p| p.paused_by.clone()),
            paused_at: pause.map(|p| p.paused_at.clone()),
            received,
            delivered: count(flow, "delivered"),
            queued: head.map_or(0, |h| h.queued),
            dead_letters: count(flow, "dead_letter"),
            stored: count(flow, "stored"),
            oldest_queued_seconds: head
                .and_then(|h| h.oldest.as_deref())
                .and_then(store::age_seconds),
            last_hour: series.iter().sum(),
            per_minute: series,
            last_minute: last_minute
                .iter()
                .filter(|(f, _, _)| f == flow)
                .map(|(_, _, n)| n)
                .sum(),
            p50_seconds: q(0.5),
            p95_seconds: q(0.95),
            mappings: active_mappings(flow, &versions),
            health: health
                .iter()
                .find(|h| store::flows_of_queue(&h.queue).contains(&flow) && outbound)
                .map(|h| DestinationState {
                    queue: h.queue.clone(),
                    failing_since: h.failing_since_ms.map(store::rfc3339_of_ms),
                    last_error: h
                        .last_error
                        .clone()
                        .filter(|_| h.failing_since_ms.is_some()),
                }),
        });
    }
    let sum = |f: fn(&LiveFlow) -> i64| flows.iter().filter(|l| l.outbound).map(f).sum::<i64>();
    let t = store.live_totals().await?;
    let totals = LiveTotals {
        runs: t.runs,
        qc_files: t.qc_files,
        quarantined: t.quarantined,
        awaiting_order: t.awaiting_order,
        queued: sum(|f| f.queued),
        dead_letters: sum(|f| f.dead_letters),
        stored: sum(|f| f.stored),
        delivered: sum(|f| f.delivered),
    };
    Ok(LiveSnapshot {
        at: store::now(),
        totals,
        flows,
        alerts: store
            .open_alerts()
            .await?
            .into_iter()
            .map(|a| OpenAlert {
                id: a.id,
                rule: a.rule,
                condition: a.condition,
                summary: a.summary,
                fired_at: a.fired_at,
            })
            .collect(),
        errors: store
            .recent_failures(ERRORS)
            .await?
            .into_iter()
            .map(|e| RecentError {
                href: match e.source.as_str() {
                    "lims" => format!("/lims?before={}#delivery-{}", e.id + 1, e.id),
                    _ => format!("/messages/{}", e.id),
                },
                flow: e.flow,
                subject: e.subject,
                status: e.status,
                attempts: e.attempts,
                error: e.last_error.unwrap_or_default().chars().take(200).collect(),
                at: e.updated_at,
            })
            .collect(),
        waiting: store
            .reports_needing_order(WAITING)
            .await?
            .into_iter()
            .map(|r| WaitingReport {
                id: r.id,
                sample_id: r.sample_id,
                accession: r.accession,
                source_file: file_name(&r.source_file),
                variants_reported: r.variants_reported,
                created_at: r.created_at,
            })
            .collect(),
        audit: Some(
            store
                .recent_audit(AUDIT)
                .await?
                .into_iter()
                .map(AuditEntry::from_event)
                .collect(),
        ),
    })
}

/// The snapshot as a user of `role` may see it: the audit events only for audit readers.
pub fn for_role(mut s: LiveSnapshot, role: &engine::store::Role) -> LiveSnapshot {
    if !crate::auth::AUDIT_READERS.contains(role) {
        s.audit = None;
    }
    s
}

/// The mapping versions that build a flow's output now, with when each was activated.
fn active_mappings(flow: &str, versions: &[store::MappingVersion]) -> Vec<ActiveMapping> {
    let active = versions.iter().filter(|v| v.state == State::Active);
    let chosen: Vec<&store::MappingVersion> = match flow {
        // As `Store::active_report_mapping` picks it: vcf-report, else the first by name.
        "vcf-to-lri" | "vcf-to-fhir" => {
            let mut reports: Vec<_> = active.filter(|v| v.kind == "report").collect();
            reports.sort_by_key(|v| (v.name != "vcf-report", v.name.clone()));
            reports.into_iter().take(1).collect()
        }
        "run-to-lims" => active
            .filter(|v| v.kind == "lims" && v.source == "illumina-run-folder")
            .collect(),
        "qc-to-lims" => active
            .filter(|v| v.kind == "lims" && v.source != "illumina-run-folder")
            .collect(),
        _ => Vec::new(),
    };
    chosen
        .into_iter()
        .map(|v| ActiveMapping {
            label: v.label(),
            href: format!("/mappings/{}?v={}", v.name, v.version),
            activated_at: v.updated_at.clone(),
        })
        .collect()
}
