//! Alert rules: what an operator wants to hear about before the EHR's users notice. Each
//! rule watches one condition read from the database (so every node sees the same thing):
//! a queue's oldest message waiting too long, too many dead letters in a window, or a
//! destination that has answered nothing for a while. An episode fires once when the
//! condition begins and resolves once when it clears; both are audited and, with a
//! webhook configured, posted to it (`pipeline::alerts` runs the rules and the notices).
//!
//! ```toml
//! [alerts]
//! webhook = { url = "https://chat.example.org/hooks/lab-integration" }
//! email = { smtp_host = "smtp.lab.example", from = "genobridge@lab.example", to = ["oncall@lab.example"], username = "genobridge", password_env = "GENOBRIDGE_SMTP_PASSWORD" }
//! evaluate_interval_ms = 10000
//!
//! [[alerts.rules]]
//! name = "ehr-down"
//! when = "destination_failing"
//! queue = "lri"
//! for = "5m"
//!
//! [[alerts.rules]]
//! name = "results-waiting"
//! when = "queue_age"
//! queue = "lri"
//! over = "30m"
//!
//! [[alerts.rules]]
//! name = "dead-letters"
//! when = "dead_letters"
//! count = 3
//! within = "1h"
//! ```

use crate::delivery::lims::{HttpMethod, LimsAuth, RestClient, RestTarget};
use crate::store::{Result, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// `[alerts]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlertsConfig {
    /// Where each fired and resolved alert is POSTed as JSON. Without it, alerts are
    /// audited and shown on the dashboard only.
    #[serde(default)]
    pub webhook: Option<Webhook>,
    /// Where each fired and resolved alert is mailed, beside or instead of the webhook.
    #[serde(default)]
    pub email: Option<crate::delivery::email::EmailNotices>,
    /// How often the rules are checked.
    #[serde(default = "default_interval_ms")]
    pub evaluate_interval_ms: u64,
    #[serde(default)]
    pub rules: Vec<AlertRule>,
}

fn default_interval_ms() -> u64 {
    10_000
}

/// `[alerts.webhook]`: a chat or paging service's incoming webhook.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    pub url: String,
    /// `Authorization`, as for the LIMS (`{ type = "bearer", token_env = "…" }`).
    #[serde(default)]
    pub auth: Option<LimsAuth>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Attempts before a notice is dead-lettered; the wait doubles from 1 s up to 5 min.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
}

fn default_timeout_ms() -> u64 {
    5_000
}
fn default_attempts() -> u32 {
    30
}

impl Webhook {
    pub fn client(&self) -> Result<RestClient, String> {
        RestTarget {
            setting: "alerts.webhook",
            url: &self.url,
            method: HttpMethod::Post,
            auth: self.auth.as_ref(),
            headers: &self.headers,
            content_type: "application/json",
            timeout_ms: self.timeout_ms,
        }
        .client()
    }
}

/// `[[alerts.rules]]`: a name and one condition (`when`) with its settings.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// Names the rule in notices, the audit log and the dashboard; unique.
    pub name: String,
    /// `queue_age` (needs `queue`, `over`), `dead_letters` (`count`, `within`, and
    /// optionally `queue`) or `destination_failing` (`queue`, `for`).
    pub when: String,
    /// `lri` (the EHR over MLLP), `fhir` (the FHIR server) or `lims`.
    #[serde(default)]
    pub queue: Option<String>,
    /// `queue_age`: the oldest queued message has waited at least this long ("30m").
    #[serde(default, with = "humantime_serde")]
    pub over: Option<Duration>,
    /// `dead_letters`: at least this many within `within`.
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(default, with = "humantime_serde")]
    pub within: Option<Duration>,
    /// `destination_failing`: every attempt for at least this long went unanswered (no
    /// connection, a timeout, a 5xx). A refusal (AE, 4xx) is an answer, and is what
    /// `dead_letters` watches.
    #[serde(default, rename = "for", with = "humantime_serde")]
    pub for_: Option<Duration>,
}

/// A rule's condition, checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    QueueAge {
        queue: String,
        over: Duration,
    },
    DeadLetters {
        queue: Option<String>,
        count: u32,
        within: Duration,
    },
    DestinationFailing {
        queue: String,
        for_: Duration,
    },
}

impl Condition {
    pub fn name(&self) -> &'static str {
        match self {
            Condition::QueueAge { .. } => "queue_age",
            Condition::DeadLetters { .. } => "dead_letters",
            Condition::DestinationFailing { .. } => "destination_failing",
        }
    }
}

const QUEUES: [&str; 3] = ["lri", "fhir", "lims"];

impl AlertRule {
    /// The condition, or an error naming the rule and the missing or wrong setting.
    pub fn condition(&self) -> Result<Condition, String> {
        let at = format!("alerts.rules {:?}", self.name);
        let queue = || -> Result<String, String> {
            let q = self
                .queue
                .clone()
                .ok_or_else(|| format!("{at}: `when = {:?}` needs `queue`", self.when))?;
            if !QUEUES.contains(&q.as_str()) {
                return Err(format!("{at}: queue {q:?} is not one of lri, fhir, lims"));
            }
            Ok(q)
        };
        let need = |v: Option<Duration>, key: &str| {
            v.ok_or_else(|| format!("{at}: `when = {:?}` needs `{key}`", self.when))
        };
        match self.when.as_str() {
            "queue_age" => Ok(Condition::QueueAge {
                queue: queue()?,
                over: need(self.over, "over")?,
            }),
            "dead_letters" => Ok(Condition::DeadLetters {
                queue: match self.queue {
                    Some(_) => Some(queue()?),
                    None => None,
                },
                count: self
                    .count
                    .filter(|c| *c > 0)
                    .ok_or_else(|| format!("{at}: `when = \"dead_letters\"` needs `count` ≥ 1"))?,
                within: need(self.within, "within")?,
            }),
            "destination_failing" => Ok(Condition::DestinationFailing {
                queue: queue()?,
                for_: need(self.for_, "for")?,
            }),
            other => Err(format!(
                "{at}: when = {other:?} is not one of queue_age, dead_letters, destination_failing"
            )),
        }
    }
}

impl AlertsConfig {
    /// Every rule's condition is complete and the names are unique.
    pub fn validate(&self) -> Result<(), String> {
        let mut names = std::collections::HashSet::new();
        for r in &self.rules {
            r.condition()?;
            if !names.insert(r.name.as_str()) {
                return Err(format!("alerts.rules: two rules are named {:?}", r.name));
            }
        }
        if let Some(w) = &self.webhook {
            reqwest::Url::parse(&w.url)
                .map_err(|e| format!("alerts.webhook.url {:?}: {e}", w.url))?;
        }
        if let Some(e) = &self.email {
            e.validate()?;
        }
        Ok(())
    }
}

/// What a rule's condition looks like now.
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    pub holds: bool,
    /// Our words for what was seen: counts, ages, the transport error. Never PHI.
    pub summary: String,
}

fn age(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        _ => format!("{} h", s / 3600),
    }
}

fn rfc3339_ms(t: &str) -> Option<i64> {
    let t = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()?;
    Some((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

fn ms_rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Reads the condition from the store as of `now_ms`.
pub async fn observe(store: &Store, c: &Condition, now_ms: i64) -> Result<Observation> {
    Ok(match c {
        Condition::QueueAge { queue, over } => {
            let (oldest, queued) = store
                .queue_head(crate::store::flows_of_queue(queue))
                .await?;
            let waited = oldest
                .as_deref()
                .and_then(rfc3339_ms)
                .map(|t| now_ms - t)
                .unwrap_or(0);
            Observation {
                holds: queued > 0 && waited >= over.as_millis() as i64,
                summary: format!(
                    "{queued} queued for {queue}; the oldest has waited {} (limit {})",
                    age(waited),
                    age(over.as_millis() as i64)
                ),
            }
        }
        Condition::DeadLetters {
            queue,
            count,
            within,
        } => {
            let since = ms_rfc3339(now_ms - within.as_millis() as i64);
            let flows: Vec<&str> = match queue {
                Some(q) => crate::store::flows_of_queue(q).to_vec(),
                None => QUEUES
                    .iter()
                    .flat_map(|q| crate::store::flows_of_queue(q))
                    .copied()
                    .collect(),
            };
            let n = store.dead_letters_since(&flows, &since).await?;
            Observation {
                holds: n >= i64::from(*count),
                summary: format!(
                    "{n} dead letter{}{} in the last {} (limit {count})",
                    if n == 1 { "" } else { "s" },
                    queue
                        .as_deref()
                        .map(|q| format!(" for {q}"))
                        .unwrap_or_default(),
                    age(within.as_millis() as i64)
                ),
            }
        }
        Condition::DestinationFailing { queue, for_ } => {
            let health = store.destination_health().await?;
            let h = health.iter().find(|h| &h.queue == queue);
            match h.and_then(|h| h.failing_since_ms.map(|s| (s, h))) {
                Some((since, h)) => Observation {
                    holds: now_ms - since >= for_.as_millis() as i64,
                    summary: format!(
                        "the {queue} destination has not answered for {} (limit {}): {}",
                        age(now_ms - since),
                        age(for_.as_millis() as i64),
                        h.last_error.as_deref().unwrap_or("no answer")
                    ),
                },
                None => Observation {
                    holds: false,
                    summary: format!("the {queue} destination answers"),
                },
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(toml_text: &str) -> AlertRule {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn a_rule_names_what_it_lacks() {
        let r = rule("name = \"ehr\"\nwhen = \"destination_failing\"\nqueue = \"lri\"");
        assert_eq!(
            r.condition().unwrap_err(),
            "alerts.rules \"ehr\": `when = \"destination_failing\"` needs `for`"
        );
        let r = rule("name = \"q\"\nwhen = \"queue_age\"\nqueue = \"hl7\"\nover = \"1m\"");
        assert!(r.condition().unwrap_err().contains("queue \"hl7\""));
        let r = rule("name = \"x\"\nwhen = \"sometimes\"");
        assert!(r.condition().unwrap_err().contains("when = \"sometimes\""));
    }

    #[test]
    fn durations_read_as_people_write_them() {
        let r = rule(
            "name = \"ehr\"\nwhen = \"destination_failing\"\nqueue = \"lri\"\nfor = \"2m 30s\"",
        );
        assert_eq!(
            r.condition().unwrap(),
            Condition::DestinationFailing {
                queue: "lri".into(),
                for_: Duration::from_secs(150)
            }
        );
        let r = rule("name = \"d\"\nwhen = \"dead_letters\"\ncount = 3\nwithin = \"1h\"");
        assert_eq!(
            r.condition().unwrap(),
            Condition::DeadLetters {
                queue: None,
                count: 3,
                within: Duration::from_secs(3600)
            }
        );
    }

    #[test]
    fn two_rules_may_not_share_a_name() {
        let cfg: AlertsConfig = toml::from_str(
            "[[rules]]\nname = \"a\"\nwhen = \"dead_letters\"\ncount = 1\nwithin = \"1h\"\n\
             [[rules]]\nname = \"a\"\nwhen = \"dead_letters\"\ncount = 2\nwithin = \"1h\"",
        )
        .unwrap();
        assert_eq!(
            cfg.validate().unwrap_err(),
            "alerts.rules: two rules are named \"a\""
        );
    }

    #[test]
    fn times_round_trip() {
        let t = "2026-12-03T13:30:00Z";
        assert_eq!(ms_rfc3339(rfc3339_ms(t).unwrap()), t);
        assert_eq!(age(90_000), "90 s");
        assert_eq!(age(600_000), "10 min");
    }
}
