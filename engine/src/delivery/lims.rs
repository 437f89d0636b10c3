//! The LIMS REST destination: its settings, the idempotency key and the retry schedule.
//! Sending one request is in [`client`].
//!
//! What an answer means:
//! - 2xx: delivered.
//! - 5xx, 408 and 429, a timeout or a connection failure: transient; retried with
//!   exponential backoff and jitter up to `max_attempts`, then dead-lettered. (408 and 429
//!   are 4xx but mean "try again later" by definition, RFC 9110 §15.5.9 and RFC 6585 §4.)
//! - any other answer (other 4xx, 3xx): a refusal the same document will meet again;
//!   dead-lettered at once with the status and the response body.

mod client;

pub use client::{
    status_text, HttpOutcome, LimsClient, RestClient, RestTarget, MAX_KEPT_BODY_BYTES,
};

use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// `[lims.destination]`: where the documents go and how.
///
/// ```toml
/// [lims.destination]
/// name = "lims"
/// url = "https://lims.example.org/api/v1/samples"
/// auth = { type = "bearer", token_env = "GENOBRIDGE_LIMS_TOKEN" }
/// headers = { "X-Lab-Site" = "main" }
/// timeout_ms = 10000
/// max_attempts = 5
/// backoff_base_ms = 500
/// backoff_max_ms = 60000
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LimsDestination {
    /// Names the destination in idempotency keys, the audit log and the UI. Keep it when
    /// the URL moves: a new name gives new keys, and the LIMS could not spot a resend.
    #[serde(default = "default_name")]
    pub name: String,
    /// `https://…` (or `http://` on a trusted network or loopback).
    pub url: String,
    /// `POST` (the default), `PUT` or `PATCH`.
    #[serde(default)]
    pub method: HttpMethod,
    /// `Authorization`; none when absent.
    #[serde(default)]
    pub auth: Option<LimsAuth>,
    /// Extra request headers, e.g. a tenant or site header the LIMS asks for.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The whole request: connecting, sending, and reading the answer.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Attempts before a document is dead-lettered after transient failures.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles each attempt, up to `backoff_max_ms`.
    #[serde(default = "default_backoff_base_ms")]
    pub backoff_base_ms: u64,
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// Documents for one sample (or, without a sample, one run) reach the LIMS in the order
    /// they were built: one waits while an earlier one is queued or dead-lettered, and a
    /// dead letter holds those behind it until it is reprocessed. Off by default: a LIMS
    /// that upserts by key takes documents in any order.
    #[serde(default)]
    pub ordered: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    #[default]
    Post,
    Put,
    Patch,
}

/// How GenoBridge signs in to the LIMS. Give each secret either inline or, better, as the
/// name of an environment variable (`token_env`, `password_env`), so it is not in the file.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LimsAuth {
    /// `Authorization: Bearer <token>`.
    Bearer {
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        token_env: Option<String>,
    },
    /// `Authorization: Basic <base64(username:password)>`.
    Basic {
        username: String,
        #[serde(default)]
        password: Option<String>,
        #[serde(default)]
        password_env: Option<String>,
    },
}

/// Secrets stay out of logs and panics even when the configuration is printed.
impl std::fmt::Debug for LimsAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LimsAuth::Bearer { token_env, .. } => f
                .debug_struct("Bearer")
                .field("token_env", token_env)
                .finish_non_exhaustive(),
            LimsAuth::Basic {
                username,
                password_env,
                ..
            } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password_env", password_env)
                .finish_non_exhaustive(),
        }
    }
}

fn default_name() -> String {
    "lims".into()
}
fn default_timeout_ms() -> u64 {
    10_000
}
fn default_attempts() -> u32 {
    5
}
fn default_backoff_base_ms() -> u64 {
    500
}
fn default_backoff_max_ms() -> u64 {
    60_000
}

impl LimsDestination {
    /// `host:port` of the URL: enough for the audit log to say where, without a path that
    /// might carry an identifier.
    pub fn host(&self) -> String {
        url_host(&self.url)
    }

    /// The wait after failed attempt `attempt` (1-based); see [`backoff_ms`].
    pub fn backoff_ms(&self, attempt: u32) -> u64 {
        backoff_ms(self.backoff_base_ms, self.backoff_max_ms, attempt)
    }
}

/// `host:port` of a URL, for the audit log.
pub fn url_host(url: &str) -> String {
    reqwest::Url::parse(url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_string();
            Some(match u.port_or_known_default() {
                Some(p) => format!("{host}:{p}"),
                None => host,
            })
        })
        .unwrap_or_else(|| "(invalid url)".into())
}

/// The wait after failed attempt `attempt` (1-based): `base × 2^(attempt−1)`, capped at
/// `max_ms`, of which a random half is dropped ("equal jitter"), so nodes that failed
/// together do not retry together, and no retry comes sooner than half the step.
pub fn backoff_ms(base_ms: u64, max_ms: u64, attempt: u32) -> u64 {
    let step = base_ms
        .saturating_mul(1u64 << attempt.saturating_sub(1).min(30))
        .min(max_ms.max(base_ms));
    let half = step / 2;
    half + rand::thread_rng().gen_range(0..=step - half)
}

/// What an attempt leaves for the queue row: shared by every REST destination.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// `pending` (to retry at `next_attempt_ms`), `delivered` or `dead_letter`.
    pub status: &'static str,
    pub next_attempt_ms: i64,
    pub http_status: Option<u16>,
    /// Our own words (status line, timeout, connection error, attempts spent).
    pub error: Option<String>,
    /// The answer's body, cut to [`MAX_KEPT_BODY_BYTES`].
    pub body: Option<String>,
    /// No usable answer (no connection, a timeout, a 5xx/408/429): the destination is
    /// failing, which is what `destination_failing` alerts watch. A refusal is an answer.
    pub unanswered: bool,
}

/// The queue's rule for an attempt's outcome: 2xx delivered; a refusal dead-lettered at
/// once; a transient failure retried after the backoff (or the server's longer
/// `Retry-After`) until `attempt` reaches `max_attempts`, then dead-lettered. `who` names
/// the receiver in the error ("the LIMS").
pub fn next_step(
    outcome: HttpOutcome,
    attempt: i64,
    max_attempts: u32,
    backoff: impl Fn(u32) -> u64,
    who: &str,
    now_ms: i64,
) -> Step {
    let max = i64::from(max_attempts.max(1));
    match outcome {
        HttpOutcome::Delivered { status, body } => Step {
            status: "delivered",
            next_attempt_ms: 0,
            http_status: Some(status),
            error: None,
            body: Some(body).filter(|b| !b.is_empty()),
            unanswered: false,
        },
        HttpOutcome::Refused { status, body } => Step {
            status: "dead_letter",
            next_attempt_ms: 0,
            http_status: Some(status),
            error: Some(format!(
                "{}: refused by {who}; not retried",
                status_text(status)
            )),
            body: Some(body),
            unanswered: false,
        },
        HttpOutcome::Transient {
            status,
            reason,
            body,
            ..
        } if attempt >= max => Step {
            status: "dead_letter",
            next_attempt_ms: 0,
            http_status: status,
            error: Some(format!("gave up after {attempt} attempts: {reason}")),
            body,
            unanswered: true,
        },
        HttpOutcome::Transient {
            status,
            reason,
            body,
            retry_after_ms,
        } => {
            // The server's own Retry-After wins when it asks for longer than our backoff.
            let wait = backoff(u32::try_from(attempt).unwrap_or(u32::MAX))
                .max(retry_after_ms.unwrap_or(0));
            Step {
                status: "pending",
                next_attempt_ms: now_ms.saturating_add(wait as i64),
                http_status: status,
                error: Some(reason),
                body,
                unanswered: true,
            }
        }
    }
}

/// The `Idempotency-Key` of a document: SHA-256 (hex) over the destination's name, the run
/// id, the sample id, the mapping's name and any `key_extra` values. It is computed from
/// what identifies the document, never from its content or the time, so every retry and
/// every resend after a restart carries the same key.
pub fn idempotency_key(
    destination: &str,
    run_id: &str,
    sample_id: Option<&str>,
    mapping: &str,
    key_extra: &[String],
) -> String {
    // A JSON array keeps the parts apart: ("a|b", "c") and ("a", "b|c") cannot collide.
    let canonical = serde_json::json!([
        "genobridge-lims-v1",
        destination,
        run_id,
        sample_id,
        mapping,
        key_extra
    ])
    .to_string();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest(toml_text: &str) -> Result<LimsDestination, toml::de::Error> {
        toml::from_str(toml_text)
    }

    #[test]
    fn settings_parse_with_defaults_and_refuse_typos() {
        let d = dest(
            r#"url = "https://lims.example.org/api/samples"
auth = { type = "bearer", token_env = "LIMS_TOKEN" }"#,
        )
        .unwrap();
        assert_eq!(d.name, "lims");
        assert_eq!(d.method, HttpMethod::Post);
        assert_eq!((d.max_attempts, d.timeout_ms), (5, 10_000));
        assert_eq!(d.host(), "lims.example.org:443");
        let typo =
            dest("url = \"http://x\"\nauth = { type = \"bearer\", tokn = \"t\" }").unwrap_err();
        assert!(typo.to_string().contains("tokn"), "{typo}");
        let typo = dest("url = \"http://x\"\nretries = 3").unwrap_err();
        assert!(
            typo.to_string().contains("unknown field `retries`"),
            "{typo}"
        );
    }

    #[test]
    fn debug_output_hides_inline_secrets() {
        let d = dest(
            r#"url = "http://x"
auth = { type = "basic", username = "gb", password = "s3cret-pw" }"#,
        )
        .unwrap();
        let shown = format!("{d:?}");
        assert!(
            shown.contains("gb") && !shown.contains("s3cret-pw"),
            "{shown}"
        );
    }

    #[test]
    fn the_key_depends_on_identity_only() {
        let k = |dest: &str, sample: Option<&str>, extra: &[String]| {
            idempotency_key(dest, "RUN1", sample, "m", extra)
        };
        let a = k("lims", Some("S1"), &["1".into()]);
        assert_eq!(a.len(), 64);
        assert_eq!(a, k("lims", Some("S1"), &["1".into()]));
        assert_ne!(a, k("lims", Some("S1"), &["2".into()]));
        assert_ne!(a, k("lims", Some("S2"), &["1".into()]));
        assert_ne!(a, k("lims-b", Some("S1"), &["1".into()]));
        assert_ne!(k("lims", None, &[]), k("lims", Some(""), &[]));
    }

    #[test]
    fn backoff_doubles_is_capped_and_jitters_within_the_step() {
        let d = LimsDestination {
            backoff_base_ms: 100,
            backoff_max_ms: 1_000,
            ..dest("url = \"http://x\"").unwrap()
        };
        for _ in 0..50 {
            let first = d.backoff_ms(1);
            assert!((50..=100).contains(&first), "{first}");
            let third = d.backoff_ms(3);
            assert!((200..=400).contains(&third), "{third}");
            let late = d.backoff_ms(40);
            assert!((500..=1_000).contains(&late), "{late}");
        }
    }
}
