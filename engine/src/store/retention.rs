//! Retention: delivered rows older than the configured age lose their payload. Only
//! delivered ones: a queued, stored (never sent) or dead-lettered row is never pruned,
//! whatever its age, because it is the only copy of something not yet where it belongs.
//!
//! A pruned message or LIMS delivery keeps its row (ids, key, status, ACK, times, with
//! `pruned_at` set) and loses its body and the answer's body. The row is the lineage an
//! inspector follows, and it is what tells a rescan of the source that the message was
//! built and sent: deleting it would have the engine build and send it again.

use super::{with_pool, Result, Store};
use serde::{Deserialize, Serialize};

/// How many rows one pruning deleted, per table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pruned {
    pub messages: u64,
    pub lims_deliveries: u64,
    pub alert_notices: u64,
}

impl Pruned {
    pub fn total(&self) -> u64 {
        self.messages + self.lims_deliveries + self.alert_notices
    }
}

impl Store {
    /// Empties the payload of delivered messages and LIMS deliveries last changed before
    /// `cutoff` (RFC 3339), and deletes delivered alert notices as old.
    pub async fn prune_delivered(&self, cutoff: &str) -> Result<Pruned> {
        let now = super::now();
        let mut n = [0u64; 3];
        let payloads = [
            "UPDATE messages SET body = '', response_body = NULL, pruned_at = $2 \
             WHERE status = 'delivered' AND updated_at < $1 AND pruned_at IS NULL",
            "UPDATE lims_deliveries SET document = '', response_body = NULL, pruned_at = $2 \
             WHERE status = 'delivered' AND updated_at < $1 AND pruned_at IS NULL",
        ];
        for (i, sql) in payloads.into_iter().enumerate() {
            n[i] = with_pool!(self, p => sqlx::query(sql).bind(cutoff).bind(&now).execute(p).await?.rows_affected());
        }
        n[2] = with_pool!(self, p => sqlx::query(
            "DELETE FROM alert_notices WHERE status = 'delivered' AND updated_at < $1")
            .bind(cutoff).execute(p).await?.rows_affected());
        Ok(Pruned {
            messages: n[0],
            lims_deliveries: n[1],
            alert_notices: n[2],
        })
    }
}
