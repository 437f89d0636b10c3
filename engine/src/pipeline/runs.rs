//! Run folders: record each completed run exactly once (the database's unique run id
//! is the guard, so restarts and extra nodes cannot record it twice).

use super::{watch::ScanState, Engine};
use crate::{
    formats::illumina::{self, Completion},
    store::NewAuditEvent,
};
use serde_json::json;

pub async fn scan(engine: &Engine, state: &mut ScanState) {
    let Ok(entries) = std::fs::read_dir(&engine.config.watch.runs_dir) else {
        return;
    };
    let mut dirs: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        if state.done.contains(&dir) {
            continue;
        }
        match illumina::completion(&dir) {
            Completion::InProgress { .. } => continue,
            Completion::Failed { status } => {
                let name = dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let _ = engine
                    .store
                    .append_audit(NewAuditEvent::system(
                        "run.failed",
                        "run",
                        &name,
                        json!({ "status": status }),
                    ))
                    .await;
                state.done.insert(dir);
            }
            Completion::Complete => {
                record(engine, &dir).await;
                state.done.insert(dir);
            }
        }
    }
}

async fn record(engine: &Engine, dir: &std::path::Path) {
    let store = &engine.store;
    let folder = dir.display().to_string();
    match illumina::read_run_folder(dir) {
        Ok(run) => match store.insert_run(&run, &folder).await {
            Ok(Some(_)) => {
                tracing::info!(run_id = %run.run_id, samples = run.samples.len(), "run recorded");
                let detail = json!({ "flowcell": run.flowcell, "instrument": run.instrument, "platform": run.platform, "samples": run.samples.len() });
                let _ = store
                    .append_audit(NewAuditEvent::system(
                        "run.completed",
                        "run",
                        &run.run_id,
                        detail,
                    ))
                    .await;
                for s in &run.samples {
                    let _ = store
                        .append_audit(NewAuditEvent::system(
                            "sample.registered",
                            "sample",
                            &s.sample_id,
                            json!({ "run_id": run.run_id, "lane": s.lane }),
                        ))
                        .await;
                }
                if let Ok(tree) = serde_json::to_value(&run) {
                    super::lims::enqueue_run(engine, &tree, &run.run_id, &folder).await;
                }
            }
            Ok(None) => {
                if let Ok(tree) = serde_json::to_value(&run) {
                    super::lims::enqueue_missing(engine, &tree, &run.run_id).await;
                }
            }
            Err(e) => tracing::error!(error = %e, "recording a run failed"),
        },
        Err(e) => {
            tracing::warn!(folder = %folder, error = %e, "run folder quarantined");
            let _ = store
                .quarantine(&folder, "illumina-run-folder", &e.to_string())
                .await;
            let _ = store
                .append_audit(NewAuditEvent::system(
                    "input.quarantined",
                    "file",
                    &folder,
                    json!({ "reason": e.to_string() }),
                ))
                .await;
        }
    }
}
