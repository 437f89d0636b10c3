//! The engine's audit writes never drop an event. When the database does not take one (it
//! has already waited its busy timeout or for a connection by then), the event goes to a
//! spool file in the data folder (`audit-spool.jsonl`, one JSON event per line, fsynced), and is appended to
//! the chain from there, in order, as soon as the database answers again. Its detail then
//! carries `spooled_at`, the time it happened, since the chain's own time is when it was
//! appended. While the spool holds events, `/ready` says so.

use super::Engine;
use crate::store::NewAuditEvent;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the events wait while the database is away.
pub fn spool_path(data_dir: &Path) -> PathBuf {
    data_dir.join("audit-spool.jsonl")
}

impl Engine {
    /// Appends an audit event to the chain, or spools it (see the module).
    pub async fn audit(&self, ev: NewAuditEvent) {
        let mut spool_empty = self.spool_lock.lock().await;
        // Events spooled before go first, so the chain keeps their order. The file is read
        // only while it may hold events (and once after start), not on every event.
        if *spool_empty != Some(true) {
            *spool_empty = Some(self.replay_spool_locked().await == 0);
        }
        if *spool_empty == Some(true) {
            match self.store.append_audit(ev.clone()).await {
                Ok(_) => return,
                Err(e) => {
                    tracing::error!(action = %ev.action, error = %e, "audit write failed; the event is spooled")
                }
            }
        }
        let mut ev = ev;
        if let Some(obj) = ev.detail.as_object_mut() {
            obj.insert("spooled_at".into(), crate::store::now().into());
        }
        *spool_empty = Some(false);
        if let Err(e) = append_line(&spool_path(&self.config.data_dir), &ev) {
            // Nowhere left to keep it: say so as loudly as a process can.
            tracing::error!(action = %ev.action, error = %e, "AUDIT EVENT LOST: cannot write the spool either");
        }
    }

    /// Appends spooled events to the chain, oldest first, until one fails. Returns how many
    /// are still spooled.
    pub async fn replay_spool(&self) -> usize {
        let mut spool_empty = self.spool_lock.lock().await;
        if *spool_empty == Some(true) {
            return 0;
        }
        let left = self.replay_spool_locked().await;
        *spool_empty = Some(left == 0);
        left
    }

    async fn replay_spool_locked(&self) -> usize {
        let path = spool_path(&self.config.data_dir);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return 0;
        };
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let mut done = 0;
        for line in &lines {
            let Ok(ev) = serde_json::from_str::<NewAuditEvent>(line) else {
                tracing::error!(file = %path.display(), "an unreadable line in the audit spool is kept, not replayed");
                break;
            };
            if self.store.append_audit(ev).await.is_err() {
                break;
            }
            done += 1;
        }
        if done == 0 {
            return lines.len();
        }
        let rest = lines[done..].join("\n");
        let tmp = path.with_extension("jsonl.tmp");
        let written = std::fs::write(&tmp, if rest.is_empty() { rest } else { rest + "\n" })
            .and_then(|_| std::fs::rename(&tmp, &path));
        if let Err(e) = written {
            // The replayed events would be appended again next time: duplicates, not losses.
            tracing::error!(file = %path.display(), error = %e, "rewriting the audit spool failed");
        }
        tracing::info!(
            replayed = done,
            left = lines.len() - done,
            "audit spool replayed"
        );
        lines.len() - done
    }
}

fn append_line(path: &Path, ev: &NewAuditEvent) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(
        f,
        "{}",
        serde_json::to_string(ev).map_err(std::io::Error::other)?
    )?;
    f.sync_all()
}

/// How many events wait in the spool of `data_dir` (for `/ready`).
pub fn spooled(data_dir: &Path) -> usize {
    std::fs::read_to_string(spool_path(data_dir))
        .map(|t| t.lines().filter(|l| !l.trim().is_empty()).count())
        .unwrap_or(0)
}
