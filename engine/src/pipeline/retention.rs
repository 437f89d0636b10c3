//! Retention: delivered messages and LIMS deliveries older than the configured age lose
//! their payload (the rows stay, see `Store::prune_delivered`), delivered alert notices are
//! deleted, and each pruning that changed anything is audited with its counts and cutoff.
//! Queued, stored and dead-lettered rows are never pruned; the audit log never is.
//!
//! ```toml
//! [retention]
//! delivered_after = "90d"
//! interval = "1h"
//! ```

use super::Engine;
use crate::store::{NewAuditEvent, Pruned};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::{Duration, SystemTime};

/// `[retention]`. Without it nothing is pruned.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// A delivered row loses its payload once it was last changed this long ago ("90d").
    #[serde(with = "humantime_serde")]
    pub delivered_after: Duration,
    /// How often `serve` prunes.
    #[serde(default = "default_interval", with = "humantime_serde")]
    pub interval: Duration,
}

fn default_interval() -> Duration {
    Duration::from_secs(3600)
}

/// Prunes once, as of `now`; audits `retention.pruned` when anything was deleted.
pub async fn prune_once(
    engine: &Engine,
    retention: &RetentionConfig,
    now: SystemTime,
) -> Result<Pruned, String> {
    let cutoff = time::OffsetDateTime::from(now - retention.delivered_after)
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| e.to_string())?;
    let pruned = engine
        .store
        .prune_delivered(&cutoff)
        .await
        .map_err(|e| e.to_string())?;
    if pruned.total() > 0 {
        let detail = json!({
            "cutoff": cutoff, "delivered_after": humantime::format_duration(retention.delivered_after).to_string(),
            "messages": pruned.messages, "lims_deliveries": pruned.lims_deliveries,
            "alert_notices": pruned.alert_notices, "node": engine.config.node,
        });
        engine
            .audit(NewAuditEvent::system(
                "retention.pruned",
                "retention",
                "delivered",
                detail,
            ))
            .await;
        tracing::info!(
            messages = pruned.messages,
            lims_deliveries = pruned.lims_deliveries,
            %cutoff,
            "pruned delivered rows"
        );
    }
    Ok(pruned)
}

/// Prunes at the configured interval until `shutdown` resolves. Without `[retention]` it
/// ends at once.
pub async fn run_forever(engine: Engine, shutdown: impl std::future::Future<Output = ()>) {
    let Some(retention) = engine.config.retention.clone() else {
        return;
    };
    let mut tick = tokio::time::interval(retention.interval.max(Duration::from_secs(1)));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        if let Err(e) = prune_once(&engine, &retention, SystemTime::now()).await {
            tracing::warn!(error = %e, "pruning delivered rows failed; will try again");
        }
    }
}
