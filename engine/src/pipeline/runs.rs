//! Run folders: record each completed run exactly once (the database's unique run id
//! is the guard, so restarts and extra nodes cannot record it twice). Failed runs and
//! unreadable folders are kept in `instrument_files` by folder and metadata hash, so they
//! too are audited or quarantined once.

use super::{quarantine::quarantine_input, watch::ScanState, Engine};
use crate::{
    formats::illumina::{self, connector::read_run, Completion},
    store::{NewAuditEvent, NewInstrumentFile},
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::path::Path;

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
        // False when the store could not be reached: the folder is looked at again.
        let finished = match illumina::completion_with(&dir, &engine.config.watch.completion) {
            Completion::InProgress { .. } => continue,
            Completion::Failed { status } => failed(engine, &dir, &status).await,
            Completion::Complete => record(engine, &dir).await,
        };
        if finished {
            state.done.insert(dir);
        }
    }
}

/// SHA-256 over the folder's metadata files (names and bytes): what was read.
fn metadata_sha(dir: &Path) -> String {
    let mut h = Sha256::new();
    for f in [
        "RunInfo.xml",
        "RunParameters.xml",
        "runParameters.xml",
        "RunCompletionStatus.xml",
        "SampleSheet.csv",
    ] {
        if let Ok(bytes) = std::fs::read(dir.join(f)) {
            h.update(f.as_bytes());
            h.update(&bytes);
        }
    }
    hex::encode(h.finalize())
}

/// Claims the folder in `instrument_files`: its row id, none when it was handled before,
/// an error when the store could not be reached.
async fn claim(
    engine: &Engine,
    dir: &Path,
    status: &str,
) -> Result<Option<i64>, crate::store::StoreError> {
    let new = NewInstrumentFile {
        path: dir.display().to_string(),
        sha256: metadata_sha(dir),
        connector: illumina::connector::RUN_FOLDER.into(),
        status: status.into(),
        record_json: None,
        warnings_json: "[]".into(),
        quarantine_id: None,
    };
    engine.store.claim_instrument_file(&new).await
}

/// Logs a store failure; false, so the folder is tried again.
fn retry(dir: &Path, e: crate::store::StoreError) -> bool {
    tracing::error!(folder = %dir.display(), error = %e, "recording a run folder failed; will retry");
    false
}

async fn failed(engine: &Engine, dir: &Path, status: &str) -> bool {
    match claim(engine, dir, "failed").await {
        Ok(Some(_)) => {}
        Ok(None) => return true,
        Err(e) => return retry(dir, e),
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    tracing::warn!(run = %name, status, "run failed or stopped on the instrument");
    engine
        .audit(NewAuditEvent::system(
            "run.failed",
            "run",
            &name,
            json!({ "status": status }),
        ))
        .await;
    true
}

async fn record(engine: &Engine, dir: &Path) -> bool {
    let store = &engine.store;
    let folder = dir.display().to_string();
    match read_run(dir, &engine.config.watch.completion) {
        Ok((run, parsed)) => match store.insert_run(&run, &folder).await {
            Ok(Some(_)) => {
                tracing::info!(flow = "run-to-lims", run_id = %run.run_id, samples = run.samples.len(), "run recorded");
                let detail = json!({ "flowcell": run.flowcell, "instrument": run.instrument, "platform": run.platform, "samples": run.samples.len(), "warnings": parsed.warnings });
                engine
                    .audit(NewAuditEvent::system(
                        "run.completed",
                        "run",
                        &run.run_id,
                        detail,
                    ))
                    .await;
                for s in &run.samples {
                    engine
                        .audit(NewAuditEvent::system(
                            "sample.registered",
                            "sample",
                            &s.sample_id,
                            json!({ "run_id": run.run_id, "lane": s.lane }),
                        ))
                        .await;
                }
                // The mappings read the connector's record tree: the one `genobridge parse`
                // prints and `/sources` lists, never the stored run's own shape.
                super::lims::enqueue_run(engine, &parsed.tree, &run.run_id, &folder).await;
                true
            }
            Ok(None) => {
                super::lims::enqueue_missing(engine, &run.run_id, &parsed.tree).await;
                true
            }
            Err(e) => retry(dir, e),
        },
        Err(e) => {
            let id = match claim(engine, dir, "quarantined").await {
                Ok(Some(id)) => id,
                Ok(None) => return true,
                Err(e) => return retry(dir, e),
            };
            if let Some(q) =
                quarantine_input(engine, dir, illumina::connector::RUN_FOLDER, &e.to_string()).await
            {
                let _ = store.set_instrument_file_quarantine(id, q).await;
            }
            true
        }
    }
}
