//! Quarantine that keeps the input: the entry in the `quarantine` table (shown on the
//! dashboard and in the API) and a copy of the bad file, or of a run folder's top-level
//! files, in `<data_dir>/quarantine/<id>/`, so nothing is lost when the source is
//! cleaned up. Sub-folders of a run folder (base calls, images) are not copied: they are
//! terabytes and never what made the run unreadable.

use super::Engine;
use crate::store::NewAuditEvent;
use serde_json::json;
use std::path::{Path, PathBuf};

/// Records, copies and audits a bad input. Returns the quarantine id, if it was stored.
pub async fn quarantine_input(
    engine: &Engine,
    source: &Path,
    kind: &str,
    reason: &str,
) -> Option<i64> {
    let store = &engine.store;
    let shown = source.display().to_string();
    tracing::warn!(file = %shown, kind, reason, "input quarantined");
    let id = match store.quarantine(&shown, kind, reason).await {
        Ok(id) => id,
        Err(e) => {
            tracing::error!(file = %shown, error = %e, "storing a quarantine entry failed");
            return None;
        }
    };
    let dir = engine
        .config
        .data_dir
        .join("quarantine")
        .join(id.to_string());
    let kept = match keep(source, &dir) {
        Ok(files) => json!({ "dir": dir.display().to_string(), "files": files }),
        Err(e) => {
            tracing::error!(file = %shown, error = %e, "copying a quarantined input failed");
            json!({ "dir": null, "error": e.to_string() })
        }
    };
    engine
        .audit(NewAuditEvent::system(
            "input.quarantined",
            "file",
            &shown,
            json!({ "quarantine_id": id, "kind": kind, "reason": reason, "kept": kept }),
        ))
        .await;
    Some(id)
}

/// Copies a file, or a folder's top-level files, into `dir`; returns the names copied.
fn keep(source: &Path, dir: &Path) -> std::io::Result<Vec<String>> {
    std::fs::create_dir_all(dir)?;
    let files: Vec<PathBuf> = if source.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(source)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        v.sort();
        v
    } else {
        vec![source.to_path_buf()]
    };
    let mut names = Vec::new();
    for f in files {
        let Some(name) = f.file_name() else { continue };
        std::fs::copy(&f, dir.join(name))?;
        names.push(name.to_string_lossy().into_owned());
    }
    Ok(names)
}
