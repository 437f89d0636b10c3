//! Impact replay: a version run on the newest real inputs the engine has processed, beside
//! the active version, before a director signs. For each input, which outputs would change
//! and how, keyed by meaning ([`golden::compare`]). Nothing is stored and nothing is sent.

use super::{
    golden::{self, OutputDiff},
    sample::{self, Outputs, SampleContext},
    Mapping,
};
use crate::store::Store;
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;

/// How many of the newest inputs a replay reads, unless told otherwise.
pub const DEFAULT_INPUTS: usize = 50;

/// One input replayed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize)]
pub struct Replayed {
    /// The run id, the export's or the VCF's path.
    pub input: String,
    /// What would change against the active version; empty: nothing.
    pub changes: Vec<OutputDiff>,
    /// The input could not be replayed (its file is gone, or a version fails on it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Why a replay could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Nothing runs yet, so there is nothing to compare with.
    #[error("{0:?} has no active version to compare with")]
    NoActive(String),
    #[error("{0}")]
    Failed(String),
}

/// Replays `candidate` beside the active version of its name on the newest `limit`
/// inputs: what the CLI, the HTTP API and the mapping page all run.
pub async fn against_active(
    store: &Store,
    candidate: &Mapping,
    limit: usize,
) -> Result<Vec<Replayed>, ReplayError> {
    let failed = |e: String| ReplayError::Failed(e);
    let active = store
        .active_mapping(&candidate.name)
        .await
        .map_err(|e| failed(e.to_string()))?
        .ok_or_else(|| ReplayError::NoActive(candidate.name.clone()))?
        .mapping()
        .map_err(|e| failed(e.to_string()))?;
    let cx = std::sync::Arc::new(SampleContext::default());
    replay(store, candidate, &active, limit, cx)
        .await
        .map_err(failed)
}

/// Replays `candidate` and `active` on the newest `limit` inputs of `candidate`'s source.
pub async fn replay(
    store: &Store,
    candidate: &Mapping,
    active: &Mapping,
    limit: usize,
    cx: std::sync::Arc<SampleContext>,
) -> Result<Vec<Replayed>, String> {
    let mut out = Vec::new();
    if candidate.is_report() {
        let reports = store.list_reports().await.map_err(|e| e.to_string())?;
        for r in reports.into_iter().take(limit) {
            let path = PathBuf::from(&r.source_file);
            if !path.exists() {
                out.push(Replayed {
                    input: r.source_file.clone(),
                    changes: Vec::new(),
                    error: Some("the VCF is no longer at this path".into()),
                });
                continue;
            }
            let (c, a, cx) = (candidate.clone(), active.clone(), cx.clone());
            let one = tokio::task::spawn_blocking(move || -> Result<Vec<OutputDiff>, String> {
                let new = sample::run(&c, &path, &cx).map_err(|e| e.to_string())?;
                let old = sample::run(&a, &path, &cx).map_err(|e| e.to_string())?;
                Ok(golden::compare(&old.outputs, &new.outputs))
            })
            .await
            .map_err(|e| e.to_string())?;
            out.push(result(r.source_file, one));
        }
        return Ok(out);
    }
    // LIMS: the record trees stored with each recorded input.
    let mut trees: Vec<(String, Value)> = Vec::new();
    if candidate.source == crate::formats::illumina::connector::RUN_FOLDER {
        for run in store.list_runs().await.map_err(|e| e.to_string())? {
            if trees.len() >= limit {
                break;
            }
            if let Some(t) = store
                .run_tree(&run.run_id)
                .await
                .map_err(|e| e.to_string())?
            {
                trees.push((run.run_id, t));
            }
        }
    } else {
        for f in store
            .list_instrument_files()
            .await
            .map_err(|e| e.to_string())?
        {
            if trees.len() >= limit {
                break;
            }
            if f.connector != candidate.source {
                continue;
            }
            if let Some(t) = f.record_json.and_then(|j| serde_json::from_str(&j).ok()) {
                trees.push((f.path, t));
            }
        }
    }
    for (input, tree) in trees {
        let docs = |m: &Mapping| -> Result<Outputs, String> {
            let docs = m.apply(&tree).map_err(|e| e.to_string())?;
            Ok(Outputs {
                lims: docs
                    .into_iter()
                    .map(|d| {
                        let key = std::iter::once(d.run_id)
                            .chain(d.sample_id)
                            .chain(d.key_extra)
                            .collect::<Vec<_>>()
                            .join("/");
                        serde_json::json!({ "key": key, "body": d.body })
                    })
                    .collect(),
                ..Outputs::default()
            })
        };
        let one =
            docs(active).and_then(|old| docs(candidate).map(|new| golden::compare(&old, &new)));
        out.push(result(input, one));
    }
    Ok(out)
}

fn result(input: String, r: Result<Vec<OutputDiff>, String>) -> Replayed {
    match r {
        Ok(changes) => Replayed {
            input,
            changes,
            error: None,
        },
        Err(e) => Replayed {
            input,
            changes: Vec::new(),
            error: Some(e),
        },
    }
}
