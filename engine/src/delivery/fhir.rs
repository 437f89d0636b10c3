//! The FHIR REST destination: `POST` of each report's transaction Bundle to a FHIR R4
//! server's base URL. It shares the LIMS destination's client, authentication and retry
//! rule ([`crate::delivery::lims`]); what is FHIR's own is here: the settings, the
//! idempotency key of a Bundle, and reading an OperationOutcome.
//!
//! What an answer means (as for the LIMS):
//! - 2xx: delivered; the transaction-response Bundle is kept (cut to 4 KiB).
//! - 5xx, 408, 429, a timeout or no connection: retried with backoff and jitter (or after
//!   the server's `Retry-After`) up to `max_attempts`, then dead-lettered.
//! - any other 4xx (and 3xx): dead-lettered at once, with the OperationOutcome's text.
//!
//! A resend creates no duplicates: every entry is a conditional create (`ifNoneExist` on
//! an identifier, see `messages::fhir`), and every attempt of one message carries the same
//! `Idempotency-Key`.

use super::lims::{backoff_ms, url_host, HttpMethod, LimsAuth, RestClient, RestTarget};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// `[fhir_destination]`: the FHIR server that takes the report Bundles.
///
/// ```toml
/// [fhir_destination]
/// name = "ehr-fhir"
/// base_url = "https://fhir.example.org/r4"
/// auth = { type = "bearer", token_env = "GENOBRIDGE_FHIR_TOKEN" }
/// timeout_ms = 10000
/// max_attempts = 5
/// backoff_base_ms = 500
/// backoff_max_ms = 60000
/// ```
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FhirDestination {
    /// Names the destination in idempotency keys, the audit log and the UI. Keep it when
    /// the URL moves: a new name gives new keys.
    #[serde(default = "default_name")]
    pub name: String,
    /// The server's base URL (`https://…`, or `http://` on a trusted network); the
    /// transaction Bundle is POSTed to it as is.
    pub base_url: String,
    /// `Authorization`: `{ type = "bearer", token_env = "…" }` or
    /// `{ type = "basic", username = "…", password_env = "…" }`, as for the LIMS. None
    /// when absent.
    #[serde(default)]
    pub auth: Option<LimsAuth>,
    /// Extra request headers, e.g. a tenant header.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The whole request: connecting, sending, and reading the answer.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Attempts before a Bundle is dead-lettered after transient failures.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles each attempt, up to `backoff_max_ms`.
    #[serde(default = "default_backoff_base_ms")]
    pub backoff_base_ms: u64,
    #[serde(default = "default_backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// How often the delivery loop looks for Bundles that are due.
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
    /// Bundles for one accession go in the order they were built, each waiting while an
    /// earlier one is queued or dead-lettered (see `[lri_destination] ordered`). Off by
    /// default: conditional creates make each Bundle stand on its own.
    #[serde(default)]
    pub ordered: bool,
}

fn default_name() -> String {
    "fhir".into()
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
fn default_poll_ms() -> u64 {
    1_000
}

impl FhirDestination {
    /// Builds the client. Fails, naming the setting, on a bad URL or header, or a secret
    /// whose environment variable is not set.
    pub fn client(&self) -> Result<RestClient, String> {
        RestTarget {
            setting: "fhir_destination",
            url: &self.base_url,
            method: HttpMethod::Post,
            auth: self.auth.as_ref(),
            headers: &self.headers,
            content_type: "application/fhir+json",
            timeout_ms: self.timeout_ms,
        }
        .client()
    }

    /// Checks what can be checked before any secret is read: the base URL is an
    /// `http(s)://` URL. (`serve` stops at start on an error here.)
    pub fn validate(&self) -> Result<(), String> {
        let url = reqwest::Url::parse(&self.base_url)
            .map_err(|e| format!("fhir_destination.base_url {:?}: {e}", self.base_url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "fhir_destination.base_url {:?}: use http:// or https://",
                self.base_url
            ));
        }
        Ok(())
    }

    /// `host:port` of the base URL, for the audit log.
    pub fn host(&self) -> String {
        url_host(&self.base_url)
    }

    /// The wait after failed attempt `attempt` (1-based), with jitter.
    pub fn backoff_ms(&self, attempt: u32) -> u64 {
        backoff_ms(self.backoff_base_ms, self.backoff_max_ms, attempt)
    }
}

/// The `Idempotency-Key` of a report's Bundle at a destination: SHA-256 (hex) over the
/// destination's name and the message's control id. Never the time or the content, so
/// every retry, every reprocess and every attempt after a restart carries the same key.
pub fn idempotency_key(destination: &str, control_id: &str) -> String {
    let canonical = serde_json::json!(["genobridge-fhir-v1", destination, control_id]).to_string();
    hex::encode(Sha256::digest(canonical.as_bytes()))
}

/// The text of an OperationOutcome answer: each issue as `severity code: diagnostics`
/// (or its `details.text`), joined with `; `. `None` when the body is not one.
pub fn operation_outcome_text(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    if v["resourceType"] != "OperationOutcome" {
        return None;
    }
    let issues: Vec<String> = v["issue"]
        .as_array()?
        .iter()
        .map(|i| {
            let text = i["diagnostics"]
                .as_str()
                .or_else(|| i["details"]["text"].as_str())
                .or_else(|| i["details"]["coding"][0]["display"].as_str())
                .unwrap_or("(no text)");
            let severity = i["severity"].as_str().unwrap_or("error");
            let code = i["code"].as_str().unwrap_or("unknown");
            format!("{severity} {code}: {text}")
        })
        .collect();
    (!issues.is_empty()).then(|| issues.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_with_defaults_and_refuse_typos() {
        let d: FhirDestination = toml::from_str(
            r#"base_url = "https://fhir.example.org/r4"
auth = { type = "basic", username = "gb", password_env = "FHIR_PW" }"#,
        )
        .unwrap();
        assert_eq!(d.name, "fhir");
        assert_eq!((d.max_attempts, d.timeout_ms), (5, 10_000));
        assert_eq!(d.host(), "fhir.example.org:443");
        assert!(d.validate().is_ok());
        let bad: FhirDestination = toml::from_str("base_url = \"ftp://x/fhir\"").unwrap();
        assert!(bad
            .validate()
            .unwrap_err()
            .contains("use http:// or https://"));
        let typo =
            toml::from_str::<FhirDestination>("base_url = \"http://x\"\nurl = \"y\"").unwrap_err();
        assert!(typo.to_string().contains("unknown field `url`"), "{typo}");
    }

    #[test]
    fn inline_secrets_stay_out_of_debug_output() {
        let d: FhirDestination = toml::from_str(
            r#"base_url = "http://x"
auth = { type = "bearer", token = "s3cret-token" }"#,
        )
        .unwrap();
        assert!(!format!("{d:?}").contains("s3cret-token"));
    }

    #[test]
    fn an_unset_secret_is_named_and_not_shown() {
        let d: FhirDestination = toml::from_str(
            r#"base_url = "http://x"
auth = { type = "bearer", token_env = "GENOBRIDGE_TEST_SURELY_UNSET_VAR" }"#,
        )
        .unwrap();
        let e = d.client().unwrap_err();
        assert!(e.starts_with("fhir_destination.auth.token_env"), "{e}");
    }

    #[test]
    fn the_key_depends_on_destination_and_control_id_only() {
        let k = idempotency_key("fhir", "GB00000001F");
        assert_eq!(k.len(), 64);
        assert_eq!(k, idempotency_key("fhir", "GB00000001F"));
        assert_ne!(k, idempotency_key("fhir-b", "GB00000001F"));
        assert_ne!(k, idempotency_key("fhir", "GB00000002F"));
    }

    #[test]
    fn operation_outcome_issues_are_read() {
        let body = r#"{"resourceType":"OperationOutcome","issue":[
            {"severity":"error","code":"invalid","diagnostics":"Patient.birthDate: bad date"},
            {"severity":"warning","code":"processing","details":{"text":"unknown profile"}}]}"#;
        assert_eq!(
            operation_outcome_text(body).unwrap(),
            "error invalid: Patient.birthDate: bad date; warning processing: unknown profile"
        );
        assert_eq!(operation_outcome_text("<html>Bad Gateway</html>"), None);
        assert_eq!(operation_outcome_text(r#"{"resourceType":"Bundle"}"#), None);
    }
}
