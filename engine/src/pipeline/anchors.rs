//! Anchoring the audit chain at an interval (see `store::anchors`): the head goes to the
//! append-only `audit_anchors` table and, when `anchor_file` is set, as one JSON line to a
//! file outside the database (put it where the database's administrators cannot rewrite
//! it: another volume, a WORM share), so that rewriting the database cannot also rewrite
//! the anchors.
//!
//! ```toml
//! [audit]
//! anchor_interval = "1h"
//! anchor_file = "/var/lib/genobridge/audit-anchors.jsonl"
//! ```

use super::Engine;
use crate::store::AuditAnchor;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `[audit]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// How often the chain's head is anchored.
    #[serde(default = "default_interval", with = "humantime_serde")]
    pub anchor_interval: Duration,
    /// A file outside the database that each anchor is appended to (JSON lines);
    /// `genobridge audit verify` checks the chain against it too.
    #[serde(default)]
    pub anchor_file: Option<PathBuf>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            anchor_interval: default_interval(),
            anchor_file: None,
        }
    }
}

fn default_interval() -> Duration {
    Duration::from_secs(3600)
}

/// Anchors the head now (when it moved since the last anchor), in the table and the file.
pub async fn anchor_once(engine: &Engine) -> Result<Option<AuditAnchor>, String> {
    let anchor = engine
        .store
        .anchor_audit()
        .await
        .map_err(|e| format!("anchoring the audit chain: {e}"))?;
    if let (Some(a), Some(file)) = (&anchor, &engine.config.audit.anchor_file) {
        append_line(file, a).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    Ok(anchor)
}

fn append_line(file: &Path, a: &AuditAnchor) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?;
    let line = serde_json::to_string(a).map_err(std::io::Error::other)?;
    writeln!(f, "{line}")?;
    f.sync_all()
}

/// The anchors of an anchor file, oldest first; the error names the file and line.
pub fn read_anchor_file(file: &Path) -> Result<Vec<AuditAnchor>, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| format!("{}: line {}: not an anchor: {e}", file.display(), i + 1))
        })
        .collect()
}

/// Anchors at the configured interval until `shutdown` resolves.
pub async fn run_forever(engine: Engine, shutdown: impl std::future::Future<Output = ()>) {
    let mut tick = tokio::time::interval(
        engine
            .config
            .audit
            .anchor_interval
            .max(Duration::from_secs(1)),
    );
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        if let Err(e) = anchor_once(&engine).await {
            tracing::error!(error = %e, "anchoring the audit chain failed; will try again");
        }
    }
}
