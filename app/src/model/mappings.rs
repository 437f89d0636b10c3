//! What the mapping screens show: versions, signatures, field-level diffs and golden-sample
//! results, as plain rows. The rules behind them (who may do what, in which state) stay in
//! `engine::mapping::versions`; the server asks those rules and sends their answers here.

use serde::{Deserialize, Serialize};

/// One line of the mapping list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingRow {
    pub name: String,
    /// `lims` or `report`.
    pub kind: String,
    /// The connector (or `vcf`) it reads.
    pub source: String,
    /// The version that runs now.
    pub active: Option<i64>,
    /// The newest versions, newest first (at most [`RECENT`]).
    pub recent: Vec<VersionBrief>,
    /// Who is waiting on whom, e.g. "v2 submitted by engineer, awaiting director"; `None`
    /// when nothing is pending.
    pub waiting: Option<String>,
}

/// How many of the newest versions the list shows per mapping.
pub const RECENT: usize = 4;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionBrief {
    pub version: i64,
    pub state: String,
}

/// A signature as 21 CFR 11.50 wants it shown: printed name, UTC time and meaning.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignatureView {
    pub username: String,
    pub printed_name: String,
    pub meaning: String,
    pub signed_at: String,
    pub sha256: String,
}

/// What the signed-in user may do with one version. `None`: the button is not shown (the
/// role never may, or the state does not allow it). `Some(Err(reason))`: shown disabled,
/// with the reason. `Some(Ok(()))`: allowed.
pub type Allowed = Option<Result<(), String>>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionView {
    pub version: i64,
    pub state: String,
    pub author: String,
    pub created_at: String,
    pub updated_at: String,
    pub sha256: String,
    pub signatures: Vec<SignatureView>,
    pub can_submit: Allowed,
    pub can_sign: Allowed,
    pub can_activate: Allowed,
    pub can_retire: Allowed,
}

/// A golden sample's result for the version shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoldenView {
    pub label: String,
    pub promoted_by: String,
    pub promoted_at: String,
    pub pass: bool,
    /// Keyed by LOINC code and OBX-4 group, or by FHIR or JSON path.
    /// The first [`GOLDEN_DIFFS_SHOWN`] differences; `more` counts the rest.
    pub diffs: Vec<GoldenDiff>,
    pub more: usize,
    pub error: Option<String>,
    /// The sample's source fields that no rule of this version reads: an INFO key or an
    /// annotation field left out is visible, never dropped in silence.
    pub unread: Vec<String>,
}

/// A rule change can touch every variant of a sample: the page shows this many
/// differences and counts the rest (`mapping test` on the CLI prints them all).
pub const GOLDEN_DIFFS_SHOWN: usize = 25;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoldenDiff {
    pub key: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
}

/// One field-level difference between two versions (`engine::mapping::diff`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeView {
    /// `added`, `removed` or `changed`.
    pub kind: String,
    /// `rules[48018-6].from`, `tables.sig.pathogenic`, `description`…
    pub key: String,
    /// Compact JSON.
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A mapping's page: its versions (newest first), the golden results of one version, the
/// audit events about it (for the roles that may read the audit trail) and the session's
/// signing state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingDetail {
    pub name: String,
    pub kind: String,
    pub source: String,
    pub active: Option<i64>,
    pub waiting: Option<String>,
    pub versions: Vec<VersionView>,
    /// The version whose golden results are listed.
    pub focus: i64,
    pub golden: Vec<GoldenView>,
    /// The user may make the focused version's output a golden sample's expected output.
    pub can_promote: bool,
    /// The user may run an impact replay (engineers, directors, admins).
    pub can_replay: bool,
    pub audit: Option<Vec<MappingEvent>>,
    /// 21 CFR 11.200: true once this session has signed, so the next signing asks for the
    /// password only.
    pub signed_in_session: bool,
}

/// An audit event about a mapping, with the parts of its detail worth reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingEvent {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub version: Option<i64>,
    /// For signatures: "printed name — meaning".
    pub note: Option<String>,
    pub short_hash: String,
}

/// An impact replay: a version run beside the active one on the newest inputs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayView {
    pub inputs: Vec<ReplayInput>,
    /// Inputs whose outputs would change, stay the same, or could not be replayed.
    pub changed: usize,
    pub unchanged: usize,
    pub failed: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayInput {
    /// The run id, or the input file's name (never its folder).
    pub input: String,
    /// The first [`GOLDEN_DIFFS_SHOWN`] changes; `more` counts the rest.
    pub changes: Vec<GoldenDiff>,
    pub more: usize,
    pub error: Option<String>,
}
