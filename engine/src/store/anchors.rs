//! Anchors of the audit chain. The hash chain shows an edited, removed or reordered event,
//! but not a tail cut off the end: what remains is still perfectly linked. An anchor
//! records the head (its id and hash) at an interval, in an append-only table and,
//! optionally, in a file outside the database, so a database rewritten with the tail
//! removed no longer matches what was anchored before.

use super::{with_pool, Result, Store};
use serde::{Deserialize, Serialize};

/// The chain's head as it was at `at`.
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, PartialEq, Eq)]
pub struct AuditAnchor {
    pub event_id: i64,
    pub hash: String,
    pub at: String,
}

impl Store {
    /// Records the chain's head as an anchor, unless the newest anchor records it already.
    /// Returns the new anchor.
    pub async fn anchor_audit(&self) -> Result<Option<AuditAnchor>> {
        let head: Option<(i64, String)> = with_pool!(self, p => sqlx::query_as(
            "SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1")
            .fetch_optional(p).await?);
        let Some((event_id, hash)) = head else {
            return Ok(None);
        };
        if self
            .audit_anchors()
            .await?
            .last()
            .is_some_and(|a| a.event_id == event_id)
        {
            return Ok(None);
        }
        let at = super::now();
        with_pool!(self, p => {
            sqlx::query("INSERT INTO audit_anchors (event_id, hash, at) VALUES ($1, $2, $3)")
                .bind(event_id).bind(&hash).bind(&at).execute(p).await?;
        });
        Ok(Some(AuditAnchor { event_id, hash, at }))
    }

    /// Every anchor, oldest first.
    pub async fn audit_anchors(&self) -> Result<Vec<AuditAnchor>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT event_id, hash, at FROM audit_anchors ORDER BY id")
            .fetch_all(p).await?))
    }
}
