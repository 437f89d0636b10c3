//! The audit log: append-only, hash-chained. Each event carries the SHA-256 of the event
//! before it, so editing or removing any row breaks every hash after it.

use super::{with_pool, Result, Store};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash the first event points back to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened, to what, by whom. `detail` must never hold PHI: identifiers of runs,
/// samples and messages only.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewAuditEvent {
    /// `system`, or `user:<username>`.
    pub actor: String,
    pub action: String,
    /// `run`, `sample`, `report`, `message`, `user`, `file`.
    pub subject_kind: String,
    pub subject_id: String,
    pub detail: serde_json::Value,
}

impl NewAuditEvent {
    pub fn system(
        action: &str,
        subject_kind: &str,
        subject_id: &str,
        detail: serde_json::Value,
    ) -> Self {
        NewAuditEvent {
            actor: "system".into(),
            action: action.into(),
            subject_kind: subject_kind.into(),
            subject_id: subject_id.into(),
            detail,
        }
    }

    pub fn user(
        username: &str,
        action: &str,
        subject_kind: &str,
        subject_id: &str,
        detail: serde_json::Value,
    ) -> Self {
        NewAuditEvent {
            actor: format!("user:{username}"),
            ..NewAuditEvent::system(action, subject_kind, subject_id, detail)
        }
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash covers every field but the row id, in a fixed JSON array, so no two distinct
/// events can serialise to the same input.
pub fn event_hash(
    prev_hash: &str,
    at: &str,
    actor: &str,
    action: &str,
    kind: &str,
    id: &str,
    detail: &str,
) -> String {
    let canonical = serde_json::json!([prev_hash, at, actor, action, kind, id, detail]).to_string();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

impl AuditEvent {
    pub fn expected_hash(&self) -> String {
        event_hash(
            &self.prev_hash,
            &self.at,
            &self.actor,
            &self.action,
            &self.subject_kind,
            &self.subject_id,
            &self.detail,
        )
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum AuditVerification {
    Intact { events: u64 },
    Broken { event_id: i64, reason: String },
}

const COLUMNS: &str = "id, at, actor, action, subject_kind, subject_id, detail, prev_hash, hash";

pub(crate) const SQL_LAST: &str = "SELECT hash FROM audit_events ORDER BY id DESC LIMIT 1";
pub(crate) const SQL_INSERT: &str =
    "INSERT INTO audit_events (at, actor, action, subject_kind, subject_id, detail, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     RETURNING id, at, actor, action, subject_kind, subject_id, detail, prev_hash, hash";

/// Runs `$body` in a transaction that holds the audit chain's lock, and commits it when
/// `$body` returns; an early `return` (or `?`) rolls it back. Use it to write a change and
/// its audit event (`append_in_tx!`) atomically.
macro_rules! audited_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.db {
            $crate::store::Db::Sqlite(p) => {
                // IMMEDIATE takes the write lock up front: a deferred transaction that reads
                // and then writes fails at once with "database is locked" when another
                // connection wrote in between, and waiting does not help it.
                let mut $tx = p.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::store::Db::Postgres(p) => {
                let mut $tx = p.begin().await?;
                // One chain across N nodes: the lock is held until commit.
                sqlx::query("SELECT pg_advisory_xact_lock(7446001)")
                    .execute(&mut *$tx)
                    .await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}
pub(crate) use audited_tx;

/// Appends `$ev` (a `&NewAuditEvent`) to the chain inside `$tx`, a transaction opened by
/// `audited_tx!`; evaluates to the stored `AuditEvent`.
macro_rules! append_in_tx {
    ($tx:expr, $ev:expr) => {{
        let ev: &$crate::store::NewAuditEvent = $ev;
        let detail = ev.detail.to_string();
        let at = $crate::store::now();
        let prev: Option<String> = sqlx::query_scalar($crate::store::audit::SQL_LAST)
            .fetch_optional(&mut *$tx)
            .await?;
        let prev = prev.unwrap_or_else(|| $crate::store::audit::GENESIS.to_string());
        let hash = $crate::store::audit::event_hash(
            &prev,
            &at,
            &ev.actor,
            &ev.action,
            &ev.subject_kind,
            &ev.subject_id,
            &detail,
        );
        sqlx::query_as::<_, $crate::store::AuditEvent>($crate::store::audit::SQL_INSERT)
            .bind(&at)
            .bind(&ev.actor)
            .bind(&ev.action)
            .bind(&ev.subject_kind)
            .bind(&ev.subject_id)
            .bind(&detail)
            .bind(&prev)
            .bind(&hash)
            .fetch_one(&mut *$tx)
            .await?
    }};
}
pub(crate) use append_in_tx;

impl Store {
    pub async fn append_audit(&self, ev: NewAuditEvent) -> Result<AuditEvent> {
        Ok(audited_tx!(self, tx => append_in_tx!(tx, &ev)))
    }

    /// Events about one subject (a run, a sample, a user…), oldest first.
    pub async fn audit_for(&self, subject_kind: &str, subject_id: &str) -> Result<Vec<AuditEvent>> {
        let sql = format!("SELECT {COLUMNS} FROM audit_events WHERE subject_kind = $1 AND subject_id = $2 ORDER BY id");
        Ok(
            with_pool!(self, p => sqlx::query_as(&sql).bind(subject_kind).bind(subject_id).fetch_all(p).await?),
        )
    }

    /// The newest events, newest first.
    pub async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEvent>> {
        let sql = format!("SELECT {COLUMNS} FROM audit_events ORDER BY id DESC LIMIT $1");
        Ok(with_pool!(self, p => sqlx::query_as(&sql).bind(limit).fetch_all(p).await?))
    }

    /// Walks the whole chain in id order, in pages, and names the first event that breaks
    /// it; then checks it against every anchor in the database.
    pub async fn verify_audit(&self) -> Result<AuditVerification> {
        let anchors = self.audit_anchors().await?;
        self.verify_audit_against(&anchors).await
    }

    /// [`Store::verify_audit`] against the given anchors (the database's, and those of an
    /// anchor file kept outside it): each anchored event must be there with its hash, so a
    /// tail cut off the end is caught.
    pub async fn verify_audit_against(
        &self,
        anchors: &[super::AuditAnchor],
    ) -> Result<AuditVerification> {
        let anchored: std::collections::BTreeMap<i64, &super::AuditAnchor> =
            anchors.iter().map(|a| (a.event_id, a)).collect();
        let sql =
            format!("SELECT {COLUMNS} FROM audit_events WHERE id > $1 ORDER BY id LIMIT 1000");
        let mut prev = GENESIS.to_string();
        let mut after = 0i64;
        let mut count = 0u64;
        loop {
            let page: Vec<AuditEvent> =
                with_pool!(self, p => sqlx::query_as(&sql).bind(after).fetch_all(p).await?);
            if page.is_empty() {
                // Anything anchored beyond the last event was cut off the end.
                if let Some((_, a)) = anchored.range(after + 1..).next() {
                    return Ok(AuditVerification::Broken {
                        event_id: a.event_id,
                        reason: format!(
                            "the chain ends at event {after}, but the anchor of {} records event {} \
                             with hash {}: events were removed from the end",
                            a.at, a.event_id, a.hash
                        ),
                    });
                }
                return Ok(AuditVerification::Intact { events: count });
            }
            for ev in page {
                if ev.prev_hash != prev {
                    return Ok(AuditVerification::Broken {
                        event_id: ev.id,
                        reason: format!(
                            "prev_hash {} does not match the hash of the event before it ({prev})",
                            ev.prev_hash
                        ),
                    });
                }
                let expected = ev.expected_hash();
                if ev.hash != expected {
                    return Ok(AuditVerification::Broken {
                        event_id: ev.id,
                        reason: format!(
                            "stored hash {} but the event's content hashes to {expected}",
                            ev.hash
                        ),
                    });
                }
                if let Some(a) = anchored.get(&ev.id) {
                    if a.hash != ev.hash {
                        return Ok(AuditVerification::Broken {
                            event_id: ev.id,
                            reason: format!(
                                "hash {} differs from the one anchored at {} ({})",
                                ev.hash, a.at, a.hash
                            ),
                        });
                    }
                }
                prev = ev.hash;
                after = ev.id;
                count += 1;
            }
        }
    }
}
