//! The inspector's page: a filtered timeline of audit events, a sample's lineage, the
//! chain's verification status, and exports.

use serde::{Deserialize, Serialize};

/// The filters, kept in the URL. Empty strings do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditSearch {
    pub sample: String,
    pub run: String,
    pub accession: String,
    pub user: String,
    pub action: String,
    pub from: String,
    pub to: String,
    pub before: Option<i64>,
    pub after: Option<i64>,
}

impl AuditSearch {
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("sample", &self.sample),
            ("run", &self.run),
            ("accession", &self.accession),
            ("user", &self.user),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.as_str()))
        .collect()
    }

    /// `/audit?…` for this search, with a cursor.
    pub fn href(&self, cursor: Option<(&str, i64)>) -> String {
        super::messages::href("/audit", &self.pairs(), cursor)
    }
}

/// One event as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    /// The detail's JSON, compact.
    pub detail: String,
    pub hash: String,
    /// For a lineage step: which stage of the sample's path it belongs to.
    pub stage: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPageView {
    pub events: Vec<AuditRow>,
    pub newer: Option<i64>,
    pub older: Option<i64>,
}

/// The chain as of now, and its last verification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainStatus {
    pub events: i64,
    pub head_id: Option<i64>,
    pub head_hash: Option<String>,
    /// The newest anchor: event id, hash, time.
    pub anchor: Option<(i64, String, String)>,
    /// The last verification (from its audit event): when, by whom, and what it found.
    pub verified_at: Option<String>,
    pub verified_by: Option<String>,
    pub verified_ok: Option<bool>,
    pub verified_detail: Option<String>,
}

/// An export written on the server, ready to download.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportView {
    pub id: String,
    pub events: usize,
    /// File name and SHA-256.
    pub files: Vec<(String, String)>,
}
