//! The alert loop: check every rule (`crate::alerts`), fire or resolve episodes, then post
//! the pending notices to the webhook and mail them, each channel with the outbox's retry
//! rule. Each node runs it; the
//! store opens at most one episode per rule, so a notice is never doubled by N nodes.

use super::Engine;
use crate::{
    alerts::{observe, AlertRule, AlertsConfig},
    delivery::{
        email::{Mail, Mailer, Sent},
        lims::{backoff_ms, next_step, RestClient, Step},
    },
    store::{now_ms, AlertRow, ClaimedNotice, NewAuditEvent},
};
use serde_json::json;
use std::time::{Duration, Instant};

/// The JSON posted for an episode. `text` is what chat webhooks (Slack, Mattermost,
/// Teams' incoming webhooks) show; the other keys are for whatever reads it by program.
fn notice(a: &AlertRow, event: &str, now: &str) -> String {
    let state = if event == "fired" {
        "firing"
    } else {
        "resolved"
    };
    let text = match event {
        "fired" => format!("[FIRING] GenoBridge alert {}: {}", a.rule, a.summary),
        _ => format!("[RESOLVED] GenoBridge alert {}: {}", a.rule, now),
    };
    json!({
        "source": "GenoBridge", "alert_id": a.id, "rule": a.rule, "state": state,
        "condition": a.condition, "summary": a.summary, "now": now, "fired_at": a.fired_at,
        "resolved_at": a.resolved_at, "node": a.node, "text": text,
    })
    .to_string()
}

/// The mail for an episode: the chat text as its subject, the details as its body.
fn mail(a: &AlertRow, event: &str, now: &str) -> String {
    let subject = match event {
        "fired" => format!("[FIRING] GenoBridge alert {}", a.rule),
        _ => format!("[RESOLVED] GenoBridge alert {}", a.rule),
    };
    let text = format!(
        "{subject}\n\nRule: {}\nCondition: {}\nWhat was seen: {}\nNow: {now}\nFired at: {}\n{}Node: {}\n\nThe dashboard shows open alerts; the audit trail has alert.{event}.\n",
        a.rule,
        a.condition,
        a.summary,
        a.fired_at,
        a.resolved_at.as_ref().map(|r| format!("Resolved at: {r}\n")).unwrap_or_default(),
        a.node,
    );
    serde_json::to_string(&Mail { subject, text }).unwrap_or_default()
}

/// Checks every rule once: fires what began, resolves what cleared (and any open episode
/// of a rule no longer configured). Returns the episodes this call changed. `webhook`:
/// whether a webhook notice is queued for each change (a mail is, when `[alerts.email]` is
/// configured).
pub async fn evaluate_once(engine: &Engine, rules: &[AlertRule], webhook: bool) -> Vec<AlertRow> {
    let email = engine
        .config
        .alerts
        .as_ref()
        .is_some_and(|a| a.email.is_some());
    let notices = |a: &AlertRow, event: &str, now: &str| {
        let mut out = Vec::new();
        if webhook {
            out.push(("webhook", notice(a, event, now)));
        }
        if email {
            out.push(("email", mail(a, event, now)));
        }
        out
    };
    let store = &engine.store;
    let node = engine.config.node.as_str();
    let open = match store.open_alerts().await {
        Ok(o) => o,
        Err(e) => {
            tracing::warn!(error = %e, "reading open alerts failed");
            return Vec::new();
        }
    };
    let mut changed = Vec::new();
    let now = now_ms();
    for rule in rules {
        let Ok(condition) = rule.condition() else {
            continue; // refused when the configuration was read
        };
        let seen = match observe(store, &condition, now).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(rule = %rule.name, error = %e, "checking an alert rule failed");
                continue;
            }
        };
        let current = open.iter().find(|a| a.rule == rule.name);
        if seen.holds && current.is_none() {
            let fired = store
                .fire_alert(&rule.name, condition.name(), &seen.summary, node, |a| {
                    notices(a, "fired", &seen.summary)
                })
                .await;
            if let Some(a) = settle(engine, fired, "alert.fired").await {
                tracing::warn!(rule = %a.rule, summary = %a.summary, "alert fired");
                changed.push(a);
            }
        } else if let (false, Some(a)) = (seen.holds, current) {
            let resolved = store
                .resolve_alert(a.id, |a| notices(a, "resolved", &seen.summary))
                .await;
            if let Some(a) = settle(engine, resolved, "alert.resolved").await {
                tracing::info!(rule = %a.rule, "alert resolved");
                changed.push(a);
            }
        }
    }
    for a in open
        .iter()
        .filter(|a| !rules.iter().any(|r| r.name == a.rule))
    {
        let why = "the rule is no longer in the configuration";
        let resolved = store
            .resolve_alert(a.id, |a| notices(a, "resolved", why))
            .await;
        changed.extend(settle(engine, resolved, "alert.resolved").await);
    }
    changed
}

/// Audits an episode this node opened or closed.
async fn settle(
    engine: &Engine,
    result: crate::store::Result<Option<AlertRow>>,
    action: &str,
) -> Option<AlertRow> {
    let a = match result {
        Ok(a) => a?,
        Err(e) => {
            tracing::warn!(error = %e, action, "recording an alert failed");
            return None;
        }
    };
    let detail = json!({
        "alert_id": a.id, "condition": a.condition, "summary": a.summary,
        "fired_at": a.fired_at, "resolved_at": a.resolved_at, "node": engine.config.node,
    });
    engine
        .audit(NewAuditEvent::system(action, "alert", &a.rule, detail))
        .await;
    Some(a)
}

/// Claims up to 20 due notices of one channel, each for one attempt that may take
/// `timeout_ms`.
async fn claim(engine: &Engine, channel: &str, timeout_ms: u64) -> Vec<ClaimedNotice> {
    let now = now_ms();
    let lease = now + 2 * (timeout_ms as i64) + 5_000;
    match engine
        .store
        .claim_alert_notices(channel, now, lease, 20)
        .await
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(channel, error = %e, "claiming alert notices failed");
            Vec::new()
        }
    }
}

/// Records one attempt's outcome, auditing a notice that was delivered or given up on.
async fn settle_notice(
    engine: &Engine,
    n: &ClaimedNotice,
    channel: &str,
    step: &Step,
    mut detail: serde_json::Value,
) {
    if step.status != "pending" {
        let action = if step.status == "delivered" {
            "alert.notified"
        } else {
            "alert.notice_dead_letter"
        };
        detail["alert_id"] = json!(n.alert_id);
        detail["notice_id"] = json!(n.id);
        detail["channel"] = json!(channel);
        detail["event"] = json!(n.event);
        detail["attempts"] = json!(n.attempts);
        detail["error"] = json!(step.error);
        let subject = n.alert_id.to_string();
        engine
            .audit(NewAuditEvent::system(action, "alert", &subject, detail))
            .await;
    }
    if let Err(e) = engine
        .store
        .record_alert_notice(
            n.id,
            step.status,
            step.next_attempt_ms,
            step.error.as_deref(),
        )
        .await
    {
        tracing::warn!(notice_id = n.id, channel, error = %e, "recording an alert notice failed");
    }
}

/// Posts the due notices, oldest first. Returns how many were attempted.
pub async fn send_notices(engine: &Engine, client: &RestClient, cfg: &AlertsConfig) -> usize {
    let Some(webhook) = &cfg.webhook else {
        return 0;
    };
    let claimed = claim(engine, "webhook", webhook.timeout_ms).await;
    for n in &claimed {
        let key = format!("genobridge-alert-{}-{}", n.alert_id, n.event);
        let outcome = client.send(&n.body, &key).await;
        let step: Step = next_step(
            outcome,
            n.attempts,
            webhook.max_attempts,
            |a| backoff_ms(1_000, 300_000, a),
            "the alert webhook",
            now_ms(),
        );
        let detail = json!({ "http_status": step.http_status });
        settle_notice(engine, n, "webhook", &step, detail).await;
    }
    claimed.len()
}

/// Mails the due email notices, oldest first. Returns how many were attempted.
pub async fn send_emails(engine: &Engine, mailer: &Mailer, cfg: &AlertsConfig) -> usize {
    let Some(email) = &cfg.email else {
        return 0;
    };
    let claimed = claim(engine, "email", email.timeout_ms).await;
    for n in &claimed {
        let (status, next_attempt_ms, error) = match serde_json::from_str::<Mail>(&n.body) {
            Err(e) => (
                "dead_letter",
                0,
                Some(format!("the stored mail is unreadable: {e}")),
            ),
            Ok(m) => match mailer.send(&m).await {
                Sent::Accepted => ("delivered", 0, None),
                Sent::Refused(why) => ("dead_letter", 0, Some(why)),
                Sent::Transient(why) if n.attempts >= i64::from(email.max_attempts.max(1)) => (
                    "dead_letter",
                    0,
                    Some(format!("gave up after {} attempts: {why}", n.attempts)),
                ),
                Sent::Transient(why) => {
                    let attempt = u32::try_from(n.attempts).unwrap_or(u32::MAX);
                    let wait = backoff_ms(1_000, 300_000, attempt);
                    ("pending", now_ms().saturating_add(wait as i64), Some(why))
                }
            },
        };
        let step = Step {
            status,
            next_attempt_ms,
            http_status: None,
            error,
            body: None,
            unanswered: false,
        };
        settle_notice(engine, n, "email", &step, json!({ "to": email.to })).await;
    }
    claimed.len()
}

/// Checks the rules and sends notices until `shutdown` resolves. Without `[alerts]` it
/// ends at once.
pub async fn run_forever(engine: Engine, shutdown: impl std::future::Future<Output = ()>) {
    let Some(cfg) = engine.config.alerts.clone() else {
        return;
    };
    let client = match cfg.webhook.as_ref().map(|w| w.client()) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            tracing::error!("alert notices disabled: {e}");
            None
        }
        None => None,
    };
    let mailer = match cfg.email.as_ref().map(|e| e.mailer()) {
        Some(Ok(m)) => Some(m),
        Some(Err(e)) => {
            tracing::error!("alert mails disabled: {e}");
            None
        }
        None => None,
    };
    let mut tick = tokio::time::interval(Duration::from_millis(cfg.evaluate_interval_ms.max(50)));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tick.tick() => {}
        }
        evaluate_once(&engine, &cfg.rules, client.is_some()).await;
        if let Some(c) = &client {
            send_notices(&engine, c, &cfg).await;
        }
        if let Some(m) = &mailer {
            send_emails(&engine, m, &cfg).await;
        }
    }
}

const HEALTH_REFRESH: Duration = Duration::from_secs(5);

/// What this node last wrote of each destination's health: whether it was failing, when.
pub(crate) type HealthBook =
    std::sync::Mutex<std::collections::HashMap<&'static str, (bool, Instant)>>;

impl Engine {
    /// Notes whether a destination answered an attempt. The store is written when that
    /// changes, and at least every few seconds while it does not (so nodes that disagree
    /// converge), rather than on every attempt.
    pub(crate) async fn note_destination(&self, queue: &'static str, step: &Step) {
        let failing = step.unanswered;
        let fresh = self
            .health
            .lock()
            .ok()
            .and_then(|b| b.get(queue).copied())
            .is_some_and(|(was, at)| was == failing && at.elapsed() < HEALTH_REFRESH);
        if fresh {
            return;
        }
        let error = failing.then_some(step.error.as_deref()).flatten();
        match self
            .store
            .note_destination(queue, failing, error, &self.config.node, now_ms())
            .await
        {
            Ok(()) => {
                if let Ok(mut b) = self.health.lock() {
                    b.insert(queue, (failing, Instant::now()));
                }
            }
            Err(e) => tracing::warn!(queue, error = %e, "noting destination health failed"),
        }
    }
}
