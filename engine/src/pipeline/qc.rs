//! QC instrument exports in `watch.qc_dir`: each file, once settled, is parsed by the
//! connector that recognises it and recorded exactly once per path and content (the
//! `instrument_files` unique key), audited, or quarantined with its copy kept.

use super::{quarantine::quarantine_input, watch::ScanState, Engine};
use crate::{
    formats::Registry,
    store::{NewAuditEvent, NewInstrumentFile},
};
use serde_json::{json, Value};
use std::{path::Path, time::Duration};

/// What became of one QC file.
#[derive(Debug, PartialEq, Eq)]
pub enum QcOutcome {
    Recorded {
        id: i64,
        connector: String,
    },
    AlreadyKnown,
    Quarantined {
        reason: String,
    },
    /// Not taken this time (file unreadable, database unavailable): tried again on the
    /// next scan.
    Retry {
        reason: String,
    },
}

pub async fn scan(engine: &Engine, state: &mut ScanState) {
    let Some(dir) = &engine.config.watch.qc_dir else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file() && !hidden(p))
        .collect();
    files.sort();
    let settle = Duration::from_millis(engine.config.watch.settle_ms);
    let registry = Registry::qc(&engine.config.connectors.delimited);
    for path in files {
        let stamp = std::fs::metadata(&path)
            .ok()
            .map(|m| (m.len(), m.modified().ok()));
        if stamp.is_some() && state.qc_done.get(&path) == stamp.as_ref() {
            continue;
        }
        if !state.settled(&path, settle) {
            continue;
        }
        let outcome = process_qc_file(engine, &registry, &path).await;
        if let (Some(s), false) = (stamp, matches!(outcome, QcOutcome::Retry { .. })) {
            state.qc_done.insert(path, s);
        }
    }
}

/// Dot-files and the partial files copy tools write are never exports.
fn hidden(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with('.') || name.ends_with(".part") || name.ends_with(".tmp")
}

pub async fn process_qc_file(engine: &Engine, registry: &Registry, path: &Path) -> QcOutcome {
    let store = &engine.store;
    let shown = path.display().to_string();
    let sha = match super::sha256_file(path) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(file = %shown, error = %e, "QC file unreadable; will retry");
            return QcOutcome::Retry {
                reason: format!("cannot read: {e}"),
            };
        }
    };
    if store
        .instrument_file_known(&shown, &sha)
        .await
        .unwrap_or(false)
    {
        return QcOutcome::AlreadyKnown;
    }
    let connector = registry.detect(path).map(|c| c.name().to_string());
    let parsed = match &connector {
        Some(name) => {
            let (r, p, n) = (registry_owned(engine), path.to_path_buf(), name.clone());
            tokio::task::spawn_blocking(move || r.parse(&p, Some(&n)))
                .await
                .unwrap_or_else(|e| {
                    Err(crate::formats::FormatError::new(
                        path,
                        None,
                        format!("internal error while reading: {e}"),
                    ))
                })
        }
        None => Err(crate::formats::FormatError::new(
            path,
            None,
            format!(
                "no connector recognises this file (known: {})",
                registry.names().join(", ")
            ),
        )),
    };
    let connector = connector.unwrap_or_else(|| "unknown".into());
    match parsed {
        Ok(p) => {
            let new = NewInstrumentFile {
                path: shown.clone(),
                sha256: sha.clone(),
                connector: connector.clone(),
                status: "recorded".into(),
                record_json: Some(p.tree.to_string()),
                warnings_json: json!(p.warnings).to_string(),
                quarantine_id: None,
            };
            let id = match store.claim_instrument_file(&new).await {
                Ok(Some(id)) => id,
                Ok(None) => return QcOutcome::AlreadyKnown,
                Err(e) => {
                    tracing::error!(file = %shown, error = %e, "recording a QC file failed; will retry");
                    return QcOutcome::Retry {
                        reason: e.to_string(),
                    };
                }
            };
            tracing::info!(flow = "qc-to-lims", file = %shown, connector = %connector, warnings = p.warnings.len(), "QC file recorded");
            let detail = json!({
                "instrument_file_id": id, "connector": connector, "sha256": sha,
                "records": count(&p.tree), "warnings": p.warnings,
            });
            engine
                .audit(NewAuditEvent::system("qc.recorded", "file", &shown, detail))
                .await;
            // QC results reach the LIMS like runs do, through the mappings for this format.
            super::lims::enqueue_source(engine, &connector, &p.tree, ("file", &shown), &shown)
                .await;
            QcOutcome::Recorded { id, connector }
        }
        Err(e) => {
            let reason = e.to_string();
            let new = NewInstrumentFile {
                path: shown.clone(),
                sha256: sha,
                connector: connector.clone(),
                status: "quarantined".into(),
                record_json: None,
                warnings_json: "[]".into(),
                quarantine_id: None,
            };
            let Ok(Some(id)) = store.claim_instrument_file(&new).await else {
                return QcOutcome::AlreadyKnown;
            };
            if let Some(q) = quarantine_input(engine, path, &connector, &reason).await {
                let _ = store.set_instrument_file_quarantine(id, q).await;
            }
            QcOutcome::Quarantined { reason }
        }
    }
}

/// A registry the blocking parse can own (connectors are cheap to build).
fn registry_owned(engine: &Engine) -> Registry {
    Registry::qc(&engine.config.connectors.delimited)
}

/// How many rows a tree holds (its longest top-level array), for the audit trail.
fn count(tree: &Value) -> usize {
    tree.as_object()
        .map(|m| {
            m.values()
                .filter_map(Value::as_array)
                .map(Vec::len)
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0)
}
