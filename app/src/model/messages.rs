//! The message browser's rows: a search (the form's fields, kept in the URL), a page of
//! results, and one message in full.

use super::Message;
use serde::{Deserialize, Serialize};

/// The search form. Empty strings do not filter. `mrn` and `patient` name a patient: only
/// roles allowed to see PHI may use them, and each such search is audited.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageSearch {
    pub run: String,
    pub sample: String,
    pub accession: String,
    pub from: String,
    pub to: String,
    pub flow: String,
    pub status: String,
    pub destination: String,
    pub mrn: String,
    pub patient: String,
    pub before: Option<i64>,
    pub after: Option<i64>,
}

impl MessageSearch {
    /// The fields as `key=value` pairs, for links that keep the search (cursors excluded).
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("run", &self.run),
            ("sample", &self.sample),
            ("accession", &self.accession),
            ("from", &self.from),
            ("to", &self.to),
            ("flow", &self.flow),
            ("status", &self.status),
            ("destination", &self.destination),
            ("mrn", &self.mrn),
            ("patient", &self.patient),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.as_str()))
        .collect()
    }

    /// `/messages?…` for this search, with a cursor.
    pub fn href(&self, cursor: Option<(&str, i64)>) -> String {
        href("/messages", &self.pairs(), cursor)
    }
}

/// `path?k=v&…` with the non-empty pairs and a keyset cursor: a search page's links keep
/// its filters.
pub(crate) fn href(path: &str, pairs: &[(&str, &str)], cursor: Option<(&str, i64)>) -> String {
    let mut parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if let Some((k, id)) = cursor {
        parts.push(format!("{k}={id}"));
    }
    if parts.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One page of results, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagePageView {
    pub rows: Vec<Message>,
    /// Cursor (`after`) of the newer page, and (`before`) of the older page.
    pub newer: Option<i64>,
    pub older: Option<i64>,
    /// Whether this role may search by MRN or name.
    pub may_search_phi: bool,
}

/// One delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub attempt: i64,
    pub at: String,
    pub node: String,
    pub status: String,
    pub ack_code: Option<String>,
    pub http_status: Option<i64>,
    pub error: Option<String>,
    /// The ACK as received, or the HTTP answer's body.
    pub answer: Option<String>,
}

/// A message in full.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageView {
    pub message: Message,
    pub accession: Option<String>,
    pub created_at: String,
    pub idempotency_key: Option<String>,
    /// The body (an ORU^R01 or a pretty-printed Bundle). `None` when the role may not see
    /// patient data, or retention emptied it (`pruned_at`).
    pub body: Option<String>,
    pub body_hidden: bool,
    pub pruned_at: Option<String>,
    /// The mapping that built it: name, version number when known, and SHA-256.
    pub mapping_name: String,
    pub mapping_version: Option<i64>,
    pub mapping_sha256: String,
    pub source_file: String,
    pub source_sha256: String,
    pub records_read: i64,
    pub variants_reported: i64,
    pub records_rejected: i64,
    /// The first lines of the VCF as it is on disk now, and whether it still has the
    /// SHA-256 it was reported with.
    pub source_preview: Option<String>,
    pub source_unchanged: Option<bool>,
    /// The order's identifiers (no patient fields).
    pub placer_number: Option<String>,
    pub filler_number: Option<String>,
    pub test: Option<String>,
    pub reprocessed_from: Option<String>,
    pub replaced_by: Option<(i64, String)>,
    /// The report's other messages: id, kind, control id, status.
    pub siblings: Vec<(i64, String, String, String)>,
    pub attempts: Vec<AttemptView>,
    pub last_status: Option<i64>,
    pub response_body: Option<String>,
    /// What this user may do to it now.
    pub can_resend: bool,
    pub can_reprocess: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_filters_encoded_and_add_the_cursor() {
        let s = MessageSearch {
            sample: "NB6TK328".into(),
            patient: "Alex Testperson".into(),
            status: "  ".into(),
            ..Default::default()
        };
        assert_eq!(
            s.href(Some(("before", 40))),
            "/messages?sample=NB6TK328&patient=Alex%20Testperson&before=40"
        );
        assert_eq!(MessageSearch::default().href(None), "/messages");
        assert_eq!(
            href("/audit", &[("action", "phi.")], None),
            "/audit?action=phi."
        );
    }
}
