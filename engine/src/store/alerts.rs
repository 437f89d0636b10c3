//! Alert episodes, their webhook notices, and what the rules read: each destination's
//! health, queue ages and recent dead letters. An episode and its notice are written in one
//! transaction, and at most one episode per rule is open (a partial unique index), so N
//! nodes evaluating the same rules fire each episode once.

use super::{with_pool, Result, Store};
use serde::{Deserialize, Serialize};

/// One alert episode.
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct AlertRow {
    pub id: i64,
    pub rule: String,
    /// `queue_age`, `dead_letters` or `destination_failing`.
    pub condition: String,
    /// What was seen when it fired, in our words (counts, ages, the transport error; no PHI).
    pub summary: String,
    pub fired_at: String,
    pub resolved_at: Option<String>,
    /// The node that fired it.
    pub node: String,
}

/// A webhook notice claimed for one attempt.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClaimedNotice {
    pub id: i64,
    pub alert_id: i64,
    pub event: String,
    pub body: String,
    /// Counting this attempt.
    pub attempts: i64,
}

/// A notice's delivery state, for the API and tests.
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct NoticeRow {
    pub id: i64,
    pub alert_id: i64,
    /// `webhook` or `email`.
    pub channel: String,
    pub event: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// One destination's health as the delivery loops last wrote it.
#[derive(Clone, Debug, Serialize, Deserialize, sqlx::FromRow, PartialEq)]
pub struct DestinationHealth {
    pub queue: String,
    /// The first unanswered attempt of the current streak; none while it answers.
    pub failing_since_ms: Option<i64>,
    pub last_error: Option<String>,
    pub node: String,
    pub updated_ms: i64,
}

/// An episode opening or closing.
enum Transition<'a> {
    Fire {
        rule: &'a str,
        condition: &'a str,
        summary: &'a str,
        node: &'a str,
    },
    Resolve {
        id: i64,
    },
}

/// The flows of a queue as alert rules name it.
pub fn flows_of_queue(queue: &str) -> &'static [&'static str] {
    match queue {
        "lims" => &["run-to-lims", "qc-to-lims"],
        "fhir" => &["vcf-to-fhir"],
        _ => &["vcf-to-lri"],
    }
}

impl Store {
    /// Notes whether a destination answered its last attempt. A failing streak keeps the
    /// time it began; an answer ends it.
    pub async fn note_destination(
        &self,
        queue: &str,
        failing: bool,
        error: Option<&str>,
        node: &str,
        now_ms: i64,
    ) -> Result<()> {
        let since = failing.then_some(now_ms);
        with_pool!(self, p => {
            sqlx::query(
                "INSERT INTO destination_health (queue, failing_since_ms, last_error, node, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (queue) DO UPDATE SET \
                 failing_since_ms = CASE WHEN excluded.failing_since_ms IS NULL THEN NULL \
                 ELSE COALESCE(destination_health.failing_since_ms, excluded.failing_since_ms) END, \
                 last_error = excluded.last_error, node = excluded.node, updated_ms = excluded.updated_ms")
                .bind(queue).bind(since).bind(error).bind(node).bind(now_ms)
                .execute(p).await?;
        });
        Ok(())
    }

    pub async fn destination_health(&self) -> Result<Vec<DestinationHealth>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT queue, failing_since_ms, last_error, node, updated_ms FROM destination_health ORDER BY queue")
            .fetch_all(p).await?))
    }

    pub async fn open_alerts(&self) -> Result<Vec<AlertRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, rule, condition, summary, fired_at, resolved_at, node FROM alerts \
             WHERE resolved_at IS NULL ORDER BY id")
            .fetch_all(p).await?))
    }

    /// The newest episodes, open or resolved.
    pub async fn recent_alerts(&self, limit: i64) -> Result<Vec<AlertRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, rule, condition, summary, fired_at, resolved_at, node FROM alerts \
             ORDER BY id DESC LIMIT $1")
            .bind(limit).fetch_all(p).await?))
    }

    /// Opens an episode of `rule` unless one is open, with its notice when `notice` builds
    /// one (given the new episode). Returns the episode when this call opened it.
    pub async fn fire_alert(
        &self,
        rule: &str,
        condition: &str,
        summary: &str,
        node: &str,
        notice: impl Fn(&AlertRow) -> Vec<(&'static str, String)>,
    ) -> Result<Option<AlertRow>> {
        let fire = Transition::Fire {
            rule,
            condition,
            summary,
            node,
        };
        self.transition(fire, notice).await
    }

    /// Closes an open episode, with its notice. Returns the closed episode when this call
    /// closed it.
    pub async fn resolve_alert(
        &self,
        id: i64,
        notice: impl Fn(&AlertRow) -> Vec<(&'static str, String)>,
    ) -> Result<Option<AlertRow>> {
        self.transition(Transition::Resolve { id }, notice).await
    }

    /// The episode's change and its notice, in one transaction.
    async fn transition(
        &self,
        t: Transition<'_>,
        notice: impl Fn(&AlertRow) -> Vec<(&'static str, String)>,
    ) -> Result<Option<AlertRow>> {
        const ROW: &str = "RETURNING id, rule, condition, summary, fired_at, resolved_at, node";
        let now = super::now();
        let (sql, event) = match t {
            Transition::Fire { .. } => (
                format!(
                    "INSERT INTO alerts (fired_at, rule, condition, summary, node) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING {ROW}"
                ),
                "fired",
            ),
            Transition::Resolve { .. } => (
                format!("UPDATE alerts SET resolved_at = $1 WHERE id = $2 AND resolved_at IS NULL {ROW}"),
                "resolved",
            ),
        };
        with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let q = sqlx::query_as(&sql).bind(&now);
            let q = match t {
                Transition::Fire { rule, condition, summary, node } => {
                    q.bind(rule).bind(condition).bind(summary).bind(node)
                }
                Transition::Resolve { id } => q.bind(id),
            };
            let row: Option<AlertRow> = q.fetch_optional(&mut *tx).await?;
            // One notice per configured channel (`webhook`, `email`).
            for (channel, body) in row.as_ref().map(&notice).unwrap_or_default() {
                sqlx::query(
                    "INSERT INTO alert_notices (alert_id, event, body, status, created_at, updated_at, channel) \
                     VALUES ($1, $2, $3, 'pending', $4, $4, $5)")
                    .bind(row.as_ref().map(|a| a.id)).bind(event).bind(body).bind(&now).bind(channel)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(row)
        })
    }

    /// Claims due notices, oldest first, until `lease_until_ms`, counting the attempt. An
    /// alert's resolved notice waits for its fired one, so a receiver never sees them swapped.
    pub async fn claim_alert_notices(
        &self,
        channel: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> Result<Vec<ClaimedNotice>> {
        let lock = match self.db() {
            super::Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
            super::Db::Sqlite(_) => "",
        };
        let sql = format!(
            "UPDATE alert_notices SET attempts = attempts + 1, next_attempt_ms = $1 \
             WHERE id IN (SELECT n.id FROM alert_notices n WHERE n.status = 'pending' AND n.next_attempt_ms <= $2 \
             AND n.channel = $4 AND NOT EXISTS (SELECT 1 FROM alert_notices b WHERE b.alert_id = n.alert_id \
             AND b.channel = n.channel AND b.id < n.id AND b.status = 'pending') ORDER BY n.id LIMIT $3 {lock}) \
             RETURNING id, alert_id, event, body, attempts"
        );
        let mut v: Vec<ClaimedNotice> = with_pool!(self, p => sqlx::query_as(&sql)
            .bind(lease_until_ms).bind(now_ms).bind(limit).bind(channel).fetch_all(p).await?);
        v.sort_by_key(|n| n.id);
        Ok(v)
    }

    pub async fn record_alert_notice(
        &self,
        id: i64,
        status: &str,
        next_attempt_ms: i64,
        error: Option<&str>,
    ) -> Result<()> {
        let now = super::now();
        with_pool!(self, p => {
            sqlx::query(
                "UPDATE alert_notices SET status = $1, next_attempt_ms = $2, last_error = $3, updated_at = $4 \
                 WHERE id = $5")
                .bind(status).bind(next_attempt_ms).bind(error).bind(&now).bind(id)
                .execute(p).await?;
        });
        Ok(())
    }

    pub async fn alert_notices(&self) -> Result<Vec<NoticeRow>> {
        Ok(with_pool!(self, p => sqlx::query_as(
            "SELECT id, alert_id, channel, event, status, attempts, last_error FROM alert_notices ORDER BY id")
            .fetch_all(p).await?))
    }
}
