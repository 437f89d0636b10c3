//! Folder watching: a steady poll (which works on network shares) plus file-system
//! events from `notify` to make a scan come sooner on local disks.

use super::Engine;
use crate::store::{NewAuditEvent, Ownership};
use serde_json::json;
use std::sync::atomic::Ordering;
use std::{
    collections::{HashMap, HashSet},
    path::PathBuf,
    time::{Duration, Instant, SystemTime},
};

/// What the scanner remembers between passes. Only an optimisation: what must survive a
/// restart (which runs and reports exist) lives in the database.
#[derive(Default)]
pub struct ScanState {
    /// Path → (size, mtime, when that pair was first seen).
    pub(super) sizes: HashMap<PathBuf, (u64, Option<SystemTime>, Instant)>,
    /// Inputs finished with (recorded, reported or quarantined) in this process.
    pub(super) done: HashSet<PathBuf>,
    /// QC files finished with, by the size and mtime they had: a file rewritten in place
    /// is looked at again (and recorded again only if its content changed).
    pub(super) qc_done: HashMap<PathBuf, (u64, Option<SystemTime>)>,
    /// When reports short of messages were last looked for.
    pub(super) last_sweep: Option<Instant>,
    /// Reports short of messages whose rebuild failed once in this process.
    pub(super) unrecoverable: HashSet<i64>,
    /// Whether `orders-in` was paused at the last scan: its resume releases the reports
    /// whose orders arrived meanwhile.
    pub(super) orders_paused: bool,
}

impl ScanState {
    /// True once `path` has kept its size and mtime for `settle`: it is not being written.
    pub(super) fn settled(&mut self, path: &std::path::Path, settle: Duration) -> bool {
        let Ok(meta) = std::fs::metadata(path) else {
            return false;
        };
        let now = Instant::now();
        let key = (meta.len(), meta.modified().ok());
        match self.sizes.get(path) {
            Some((len, mtime, since)) if (*len, *mtime) == key => {
                now.duration_since(*since) >= settle
            }
            _ => {
                self.sizes.insert(path.to_path_buf(), (key.0, key.1, now));
                settle.is_zero()
            }
        }
    }
}

/// Scans until `shutdown` resolves, while this node owns the watched folders (on
/// PostgreSQL one node of N does; the others try again each tick, and take over within a
/// tick of the owner's death).
pub async fn run_forever(engine: Engine, shutdown: impl std::future::Future<Output = ()>) {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
    let _watcher = start_notify(&engine, tx);
    let mut tick = tokio::time::interval(Duration::from_millis(
        engine.config.watch.poll_interval_ms.max(50),
    ));
    let mut state = ScanState::default();
    let mut owner: Option<Ownership> = None;
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tick.tick() => {}
            Some(()) = rx.recv() => {}
        }
        // Audit events spooled while the database was away join the chain (every node).
        engine.replay_spool().await;
        if !own_folders(&engine, &mut owner).await {
            continue;
        }
        engine.scan_once(&mut state).await;
    }
}

/// Keeps `owner` up to date; true while this node owns the watched folders.
async fn own_folders(engine: &Engine, owner: &mut Option<Ownership>) -> bool {
    if let Some(o) = owner {
        if o.still_held().await {
            return true;
        }
        tracing::warn!(node = %engine.config.node, "lost the watched folders' lock");
        *owner = None;
        engine.scanning.store(false, Ordering::Relaxed);
    }
    let name = format!(
        "watch:{}:{}",
        engine.config.watch.runs_dir.display(),
        engine.config.watch.vcf_dir.display()
    );
    match engine.store.try_own(&name).await {
        Ok(Some(o)) => {
            *owner = Some(o);
            engine.scanning.store(true, Ordering::Relaxed);
            if engine.store.backend() == "postgres" {
                tracing::info!(node = %engine.config.node, "this node now scans the watched folders");
                engine
                    .audit(NewAuditEvent::system(
                        "node.owns_folders",
                        "node",
                        &engine.config.node,
                        json!({ "node": engine.config.node }),
                    ))
                    .await;
            }
            true
        }
        Ok(None) => false,
        Err(e) => {
            tracing::warn!(error = %e, "trying for the watched folders' lock failed");
            false
        }
    }
}

fn start_notify(
    engine: &Engine,
    tx: tokio::sync::mpsc::Sender<()>,
) -> Option<notify::RecommendedWatcher> {
    use notify::Watcher;
    let mut w = notify::recommended_watcher(move |_res: notify::Result<notify::Event>| {
        let _ = tx.try_send(());
    })
    .ok()?;
    let w_cfg = &engine.config.watch;
    for dir in [&w_cfg.runs_dir, &w_cfg.vcf_dir]
        .into_iter()
        .chain(w_cfg.qc_dir.as_ref())
    {
        if let Err(e) = w.watch(dir, notify::RecursiveMode::Recursive) {
            tracing::info!(dir = %dir.display(), error = %e, "file-system events unavailable; polling only");
        }
    }
    Some(w)
}
