//! Verifiable audit exports: the events a query selects, as `events.csv` and
//! `events.json`, and a `manifest.json` with the count, the first and last ids, the
//! database's chain head when the export was made, and each file's SHA-256. An inspector
//! re-checks it without GenoBridge (`scripts/audit_recheck.py`, Python's standard library
//! only): every event's hash from its canonical form, the links between consecutive
//! events, the files against the manifest.
//!
//! Canonical form of an event: the UTF-8 bytes of the compact JSON array
//! `[prev_hash, at, actor, action, subject_kind, subject_id, detail]` (strings as stored;
//! `detail` is the JSON text itself, as a string), hashed with SHA-256, lower-case hex.

use crate::store::{AuditEvent, AuditQuery, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// What `manifest.json` holds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub format: String,
    pub generated_at: String,
    /// The filters, as given.
    pub query: AuditQuery,
    pub events: usize,
    pub first_id: Option<i64>,
    pub last_id: Option<i64>,
    /// The hash of the last exported event.
    pub last_hash: Option<String>,
    /// The database's newest event when the export was made: id and hash.
    pub chain_head: Option<(i64, String)>,
    /// True when the query selects every event of its date range, so consecutive events
    /// must link (`prev_hash` = the hash before); a filtered export is a subset, and each
    /// event is checked on its own.
    pub contiguous: bool,
    pub canonical_form: String,
    /// File name → SHA-256.
    pub files: std::collections::BTreeMap<String, String>,
}

pub const FORMAT: &str = "genobridge-audit-export/1";
pub const CANONICAL: &str = "sha256(utf8(compact JSON array [prev_hash, at, actor, action, \
subject_kind, subject_id, detail]))";

/// Writes the export into `dir` (created if missing). Errors name the file.
pub async fn export(store: &Store, q: &AuditQuery, dir: &Path) -> Result<Manifest, String> {
    let events = store.audit_all(q).await.map_err(|e| e.to_string())?;
    let head = store
        .recent_audit(1)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .map(|e| (e.id, e.hash));
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let json = serde_json::to_vec_pretty(&events).map_err(|e| e.to_string())?;
    let csv = to_csv(&events)?;
    let mut files = std::collections::BTreeMap::new();
    for (name, bytes) in [("events.json", &json), ("events.csv", &csv)] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        files.insert(name.to_string(), hex::encode(Sha256::digest(bytes)));
    }
    let contiguous = AuditQuery {
        from: None,
        to: None,
        ..q.clone()
    } == AuditQuery::default();
    let manifest = Manifest {
        format: FORMAT.into(),
        generated_at: crate::store::now(),
        query: q.clone(),
        events: events.len(),
        first_id: events.first().map(|e| e.id),
        last_id: events.last().map(|e| e.id),
        last_hash: events.last().map(|e| e.hash.clone()),
        chain_head: head,
        contiguous,
        canonical_form: CANONICAL.into(),
        files,
    };
    let path = dir.join("manifest.json");
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(manifest)
}

fn to_csv(events: &[AuditEvent]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "at",
        "actor",
        "action",
        "subject_kind",
        "subject_id",
        "detail",
        "prev_hash",
        "hash",
    ])
    .map_err(|e| e.to_string())?;
    for e in events {
        w.write_record([
            e.id.to_string().as_str(),
            &e.at,
            &e.actor,
            &e.action,
            &e.subject_kind,
            &e.subject_id,
            &e.detail,
            &e.prev_hash,
            &e.hash,
        ])
        .map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}
