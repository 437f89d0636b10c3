//! What the dashboard shows, as plain serialisable rows shared by server and browser.
//!
//! The engine's row types live in a crate that cannot compile to wasm, so the server maps
//! them into these. None of them carries PHI: identifiers, states and timestamps only.

use serde::{Deserialize, Serialize};

/// The signed-in user as the browser sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub username: String,
    /// `admin`, `engineer`, `director` or `inspector`.
    pub role: String,
}

/// The browser's view of its session: who (if anyone) is signed in, and the CSRF token that
/// every state-changing form must echo back (the login form included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub user: Option<Me>,
    pub csrf: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub run_id: String,
    pub flowcell: String,
    pub instrument: String,
    pub platform: String,
    pub sample_count: i64,
    pub detected_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: i64,
    pub sample_id: String,
    /// `lri` or `fhir`.
    pub kind: String,
    pub control_id: String,
    pub destination: String,
    /// `pending` (queued, or waiting for a retry), `delivered`, `dead_letter`, or `stored`
    /// (kept, not sent: no destination configured). Databases from before the outbox are
    /// migrated from `retrying` and `failed`.
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub updated_at: String,
    /// The control id of the queued or dead-lettered message this one waits behind (an
    /// ordered destination keeps an accession's results in order).
    pub held_by: Option<String>,
}

#[cfg(feature = "ssr")]
impl Message {
    /// The engine's row as the browser sees it; `held_by` only where the destination keeps
    /// order.
    pub fn from_row(m: engine::store::MessageRow, rules: &DeliveryRules) -> Self {
        Message {
            held_by: rules.held_by(&m.kind, m.held_by),
            id: m.id,
            sample_id: m.sample_id,
            kind: m.kind,
            control_id: m.control_id,
            destination: m.destination,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    pub id: i64,
    pub source: String,
    pub kind: String,
    pub reason: String,
    pub created_at: String,
}

/// A report in `needs_order`: built, but never sent without its order's patient fields.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingReport {
    pub id: i64,
    pub sample_id: String,
    /// `None` when the VCF's file name carries no accession.
    pub accession: Option<String>,
    /// The file name only; the folder may say more than the dashboard should.
    pub source_file: String,
    pub variants_reported: i64,
    pub created_at: String,
}

/// A document sent (or to be sent) to the LIMS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimsDelivery {
    pub id: i64,
    pub run_id: String,
    pub sample_id: Option<String>,
    pub mapping: String,
    pub destination: String,
    /// `pending`, `delivered` or `dead_letter`.
    pub status: String,
    pub attempts: i64,
    /// HTTP status of the LIMS's last answer; none when it never answered.
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    /// The LIMS's last answer, cut to 4 KiB: why a dead letter was refused.
    pub response_body: Option<String>,
    pub updated_at: String,
}

/// A QC instrument export the watcher took in (`instrument_files`). The record tree stays
/// on the server: the feed says what arrived and what became of it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QcFile {
    pub id: i64,
    /// The file name only.
    pub file: String,
    /// The connector that read it, e.g. `quantstudio`.
    pub connector: String,
    /// `recorded` or `quarantined`.
    pub status: String,
    pub warnings: usize,
    pub quarantine_id: Option<i64>,
    pub created_at: String,
}

/// The last component of a path: the dashboard shows file names, not folders.
pub fn file_name(path: &str) -> String {
    std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl QcFile {
    #[cfg(feature = "ssr")]
    pub fn from_row(r: engine::store::InstrumentFileSummary) -> Self {
        let warnings = serde_json::from_str::<Vec<serde_json::Value>>(&r.warnings_json)
            .map(|w| w.len())
            .unwrap_or(0);
        QcFile {
            id: r.id,
            file: file_name(&r.path),
            connector: r.connector,
            status: r.status,
            warnings,
            quarantine_id: r.quarantine_id,
            created_at: r.created_at,
        }
    }
}

/// One format's source fields for mapping: each path with its type and an example value,
/// from the newest input of that format the engine took in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSchema {
    /// The connector name a mapping's `source` names, e.g. `quantstudio`.
    pub format: String,
    /// Which input the example values come from (run id or file name).
    pub example_from: String,
    pub fields: Vec<SourceField>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceField {
    /// `run.flowcell_id`, `samples[].sample_id`, `wells[].ct`…
    pub path: String,
    pub ty: String,
    /// The example as compact JSON, cut to 80 characters.
    pub example: String,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// The event's chain hash, shortened for display.
    pub short_hash: String,
}

/// Which message kinds go to an `ordered` destination: there a queued message waits behind
/// the earlier one of its accession. Put in the server's context by `serve`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryRules {
    pub ordered_kinds: Vec<String>,
    /// The outbound flows that have a destination configured.
    pub configured_flows: Vec<String>,
}

impl DeliveryRules {
    /// What holds a message back, when its destination keeps order.
    pub fn held_by(&self, kind: &str, held_by: Option<String>) -> Option<String> {
        held_by.filter(|_| self.ordered_kinds.iter().any(|k| k == kind))
    }
}

/// An alert that has fired and not yet resolved.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenAlert {
    pub id: i64,
    pub rule: String,
    /// `queue_age`, `dead_letters` or `destination_failing`.
    pub condition: String,
    /// What was seen when it fired: counts, ages, the transport error; no PHI.
    pub summary: String,
    pub fired_at: String,
}

/// How many QC files and waiting reports the dashboard lists.
pub const QC_LIMIT: i64 = 200;
pub const WAITING_LIMIT: i64 = 200;

/// How many messages and audit events the dashboard lists.
pub const MESSAGE_LIMIT: i64 = 200;
pub const AUDIT_LIMIT: i64 = 50;
/// How many LIMS deliveries the dashboard and `GET /api/lims` list.
pub const LIMS_LIMIT: i64 = 200;

pub mod audit;
pub mod lists;
pub mod live;
pub mod mappings;
pub mod messages;
