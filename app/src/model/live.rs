//! The live dashboard's snapshot: computed once a second on the server, pushed to every
//! signed-in browser over server-sent events (`GET /api/live`), and rendered on the first
//! page load by the `live_snapshot` server function. No PHI: flows, counts, rates,
//! latencies, times, message ids and sample ids.

use super::{AuditEntry, OpenAlert, WaitingReport};
use serde::{Deserialize, Serialize};

/// Everything the dashboard shows, at one instant.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveSnapshot {
    /// When it was computed (RFC 3339, UTC).
    pub at: String,
    pub totals: LiveTotals,
    /// `vcf-to-lri`, `vcf-to-fhir`, `run-to-lims`, `qc-to-lims`, then `orders-in`.
    pub flows: Vec<LiveFlow>,
    /// Alert episodes open now.
    pub alerts: Vec<OpenAlert>,
    /// The newest dead letters and failed attempts.
    pub errors: Vec<RecentError>,
    /// The newest reports waiting for an order (all of them are on `/waiting`).
    pub waiting: Vec<WaitingReport>,
    /// The newest audit events; `None` for roles that may not read the audit trail.
    pub audit: Option<Vec<AuditEntry>>,
}

/// Headline numbers, each the size of the list it links to.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveTotals {
    /// `/runs`.
    pub runs: i64,
    /// `/qc`.
    pub qc_files: i64,
    /// `/quarantine`.
    pub quarantined: i64,
    /// `/waiting`: reports in `needs_order`.
    pub awaiting_order: i64,
    /// Items waiting to be sent, over every outbound flow (the sum of the flows' queues).
    pub queued: i64,
    /// Dead letters over every outbound flow.
    pub dead_letters: i64,
    /// Messages kept with no destination configured ("stored, not sent").
    pub stored: i64,
    pub delivered: i64,
}

/// One flow, as it stands and as it moves.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LiveFlow {
    pub flow: String,
    /// False for `orders-in`: it receives, it sends nothing.
    pub outbound: bool,
    /// False when the configuration names no destination for it.
    pub configured: bool,
    /// `user:<name>` and when, while paused.
    pub paused_by: Option<String>,
    pub paused_at: Option<String>,
    /// Every item the flow has taken in, whatever its state.
    pub received: i64,
    pub delivered: i64,
    pub queued: i64,
    pub dead_letters: i64,
    /// Kept, not sent: no destination configured.
    pub stored: i64,
    /// Age of the oldest queued item, in seconds.
    pub oldest_queued_seconds: Option<f64>,
    /// Items delivered (received, for `orders-in`) per minute, the last 60 minutes, oldest
    /// first; the last one is the minute under way.
    pub per_minute: Vec<i64>,
    /// Items in the last 60 seconds and the last 60 minutes.
    pub last_minute: i64,
    pub last_hour: i64,
    /// Source-to-ACK latency of the last hour's deliveries.
    pub p50_seconds: Option<f64>,
    pub p95_seconds: Option<f64>,
    /// The mapping versions that build this flow's output now.
    pub mappings: Vec<ActiveMapping>,
    /// The destination's health, when it has been tried.
    pub health: Option<DestinationState>,
}

impl LiveFlow {
    /// Items per second, averaged over the last minute.
    pub fn per_second(&self) -> f64 {
        self.last_minute as f64 / 60.0
    }
}

/// A mapping version that runs now.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveMapping {
    /// `vcf-report v2`.
    pub label: String,
    /// The mapping's page, `/mappings/vcf-report?v=2`.
    pub href: String,
    pub activated_at: String,
}

/// Whether a destination answered its last attempt.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestinationState {
    /// `lri`, `fhir` or `lims`.
    pub queue: String,
    /// When the current failing streak began (RFC 3339); `None` while it answers.
    pub failing_since: Option<String>,
    /// The transport error or the refusal, as the delivery loop wrote it.
    pub last_error: Option<String>,
}

/// A dead letter, or an item whose last attempt failed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecentError {
    /// Where the item is shown: `/messages/{id}` or `/lims?…#delivery-{id}`.
    pub href: String,
    pub flow: String,
    /// Sample id (a run id for a run-level LIMS document).
    pub subject: String,
    /// `dead_letter`, or `pending` (it will be retried).
    pub status: String,
    pub attempts: i64,
    pub error: String,
    pub at: String,
}

#[cfg(feature = "ssr")]
impl AuditEntry {
    /// The event as the console lists it: its chain hash shortened.
    pub fn from_event(e: engine::store::AuditEvent) -> Self {
        AuditEntry {
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            subject: format!("{}:{}", e.subject_kind, e.subject_id),
            short_hash: e.hash.chars().take(12).collect(),
        }
    }
}

/// The `q` quantile (0 < q ≤ 1) of a cumulative histogram (`cumulative[i]` items at most
/// `bounds[i]` seconds, `count` items in all), interpolated linearly inside the bucket it
/// falls in, as Prometheus' `histogram_quantile` does. Items above the last bound are
/// reported at the last bound. `None` without items.
pub fn quantile(q: f64, bounds: &[f64], cumulative: &[u64], count: u64) -> Option<f64> {
    if count == 0 || bounds.is_empty() || bounds.len() != cumulative.len() {
        return None;
    }
    let rank = q.clamp(0.0, 1.0) * count as f64;
    let mut below = 0u64;
    let mut lower = 0.0;
    for (bound, &up_to) in bounds.iter().zip(cumulative) {
        if up_to as f64 >= rank && up_to > below {
            let inside = (up_to - below) as f64;
            return Some(lower + (bound - lower) * ((rank - below as f64) / inside).max(0.0));
        }
        below = up_to;
        lower = *bound;
    }
    bounds.last().copied()
}

/// A duration for people: `850 ms`, `4.2 s`, `3 min`, `2.5 h`.
pub fn human_seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: [f64; 4] = [0.1, 1.0, 10.0, 60.0];

    #[test]
    fn quantiles_interpolate_inside_the_bucket() {
        // 10 items: 4 at most 0.1 s, 8 at most 1 s, all at most 10 s.
        let cumulative = [4, 8, 10, 10];
        // p50 is the 5th item: the first of the four in (0.1, 1], a quarter of the way.
        let p50 = quantile(0.5, &BOUNDS, &cumulative, 10).unwrap();
        assert!((p50 - 0.325).abs() < 1e-9, "{p50}");
        // p95 is item 9.5: three quarters into (1, 10].
        let p95 = quantile(0.95, &BOUNDS, &cumulative, 10).unwrap();
        assert!((p95 - 7.75).abs() < 1e-9, "{p95}");
        // Within the first bucket it interpolates from zero.
        let p10 = quantile(0.1, &BOUNDS, &cumulative, 10).unwrap();
        assert!((p10 - 0.025).abs() < 1e-9, "{p10}");
    }

    #[test]
    fn quantiles_of_nothing_and_of_the_overflow() {
        assert_eq!(quantile(0.5, &BOUNDS, &[0, 0, 0, 0], 0), None);
        // Every item above the last bound: the last bound is the best we can say.
        assert_eq!(quantile(0.95, &BOUNDS, &[0, 0, 0, 0], 3), Some(60.0));
        // Empty buckets before the one holding the rank are skipped.
        assert_eq!(quantile(0.5, &BOUNDS, &[0, 0, 2, 2], 2), Some(5.5));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_seconds(0.85), "850 ms");
        assert_eq!(human_seconds(4.24), "4.2 s");
        assert_eq!(human_seconds(180.0), "3 min");
        assert_eq!(human_seconds(9000.0), "2.5 h");
    }
}
