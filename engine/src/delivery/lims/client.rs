//! One HTTP request to a REST destination (the LIMS, the FHIR server), classified into
//! delivered, refused or worth retrying. Both destinations share this client, their
//! authentication settings, and the retry schedule in [`super::next_step`].
//!
//! The client is reqwest (0.12, rustls with ring, no default features): it gives request
//! timeouts, connection reuse, TLS with Mozilla's and the system's roots, and `http://` for
//! loopback in one dependency. hyper-util's legacy client, already in the tree under axum,
//! would need hyper-rustls, a connector and a body-collecting loop written here for the
//! same result; reqwest is that code, maintained.

use super::{HttpMethod, LimsAuth, LimsDestination};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use std::collections::BTreeMap;
use std::time::Duration;

/// How much of a response body is kept (for the dead letter and the UI): enough for a
/// LIMS's validation message, bounded so a runaway answer cannot fill the database.
pub const MAX_KEPT_BODY_BYTES: usize = 4 * 1024;

/// The outcome of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpOutcome {
    /// 2xx, with the answer's body (cut like any other kept body).
    Delivered { status: u16, body: String },
    /// An answer that retrying will not change (4xx but 408/429, 3xx): dead letter now.
    Refused { status: u16, body: String },
    /// 5xx, 408, 429, a timeout or no connection: retry later.
    Transient {
        status: Option<u16>,
        reason: String,
        body: Option<String>,
        /// The LIMS's `Retry-After`, in milliseconds, when it sent one.
        retry_after_ms: Option<u64>,
    },
}

/// The longest `Retry-After` honoured: a LIMS asking for more is retried after this.
pub const MAX_RETRY_AFTER_MS: u64 = 3_600_000;

/// `Retry-After` as delta-seconds (what 429 and 503 answers carry in practice). The
/// HTTP-date form is not read; the configured backoff applies then.
pub fn retry_after_ms(headers: &HeaderMap) -> Option<u64> {
    let secs: u64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(secs.saturating_mul(1000).min(MAX_RETRY_AFTER_MS))
}

/// The LIMS's client is the shared REST client.
pub type LimsClient = RestClient;

/// A destination ready to send: the HTTP client, the parsed URL and the fixed headers
/// (secrets resolved once, here).
#[derive(Clone, Debug)]
pub struct RestClient {
    http: reqwest::Client,
    url: reqwest::Url,
    method: reqwest::Method,
    headers: HeaderMap,
    timeout_ms: u64,
}

/// What a REST destination is, for [`RestTarget::client`]: `setting` names the
/// configuration table in error messages (`lims.destination`, `fhir_destination`).
pub struct RestTarget<'a> {
    pub setting: &'a str,
    pub url: &'a str,
    pub method: HttpMethod,
    pub auth: Option<&'a LimsAuth>,
    pub headers: &'a BTreeMap<String, String>,
    /// `Content-Type` of what is sent; also the `Accept` of what comes back.
    pub content_type: &'static str,
    pub timeout_ms: u64,
}

impl LimsDestination {
    /// Builds the client. Fails, naming the setting, on a bad URL or header, or a secret
    /// whose environment variable is not set.
    pub fn client(&self) -> Result<LimsClient, String> {
        RestTarget {
            setting: "lims.destination",
            url: &self.url,
            method: self.method,
            auth: self.auth.as_ref(),
            headers: &self.headers,
            content_type: "application/json",
            timeout_ms: self.timeout_ms,
        }
        .client()
    }
}

impl RestTarget<'_> {
    /// Builds the client. Fails, naming the setting, on a bad URL or header, or a secret
    /// whose environment variable is not set.
    pub fn client(&self) -> Result<RestClient, String> {
        let setting = self.setting;
        let url = reqwest::Url::parse(self.url)
            .map_err(|e| format!("{setting}.url {:?}: {e}", self.url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "{setting}.url {:?}: use http:// or https://",
                self.url
            ));
        }
        let mut headers = HeaderMap::new();
        for (name, value) in self.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| format!("{setting}.headers {name:?}: {e}"))?;
            let v = HeaderValue::from_str(value)
                .map_err(|e| format!("{setting}.headers {name:?}: {e}"))?;
            headers.insert(n, v);
        }
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        headers
            .entry(ACCEPT)
            .or_insert(HeaderValue::from_static(self.content_type));
        if let Some(auth) = self.auth {
            let mut value = HeaderValue::from_str(&authorization(setting, auth)?)
                .map_err(|_| format!("{setting}.auth: the secret is not a valid header value"))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(self.timeout_ms))
            // A redirected POST would silently become a GET; a moved server is a config fix.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("GenoBridge/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("{setting}: cannot build the HTTP client: {e}"))?;
        let method = match self.method {
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Patch => reqwest::Method::PATCH,
        };
        Ok(RestClient {
            http,
            url,
            method,
            headers,
            timeout_ms: self.timeout_ms,
        })
    }
}

fn secret(
    setting: &str,
    field: &str,
    inline: &Option<String>,
    env: &Option<String>,
) -> Result<String, String> {
    match (inline, env) {
        (Some(s), None) => Ok(s.clone()),
        (None, Some(var)) => match std::env::var(var) {
            Ok(s) if !s.is_empty() => Ok(s),
            _ => Err(format!(
                "{setting}.auth.{field}_env: environment variable {var} is not set"
            )),
        },
        _ => Err(format!(
            "{setting}.auth: give exactly one of {field} and {field}_env"
        )),
    }
}

fn authorization(setting: &str, auth: &LimsAuth) -> Result<String, String> {
    use base64::Engine;
    Ok(match auth {
        LimsAuth::Bearer { token, token_env } => {
            format!("Bearer {}", secret(setting, "token", token, token_env)?)
        }
        LimsAuth::Basic {
            username,
            password,
            password_env,
        } => {
            let pw = secret(setting, "password", password, password_env)?;
            let pair = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{pw}"));
            format!("Basic {pair}")
        }
    })
}

impl RestClient {
    /// Sends `document` once, with `Idempotency-Key: key`.
    pub async fn send(&self, document: &str, key: &str) -> HttpOutcome {
        let request = self
            .http
            .request(self.method.clone(), self.url.clone())
            .headers(self.headers.clone())
            .header("Idempotency-Key", key)
            .body(document.to_string());
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return transport_failure(e, self.timeout_ms),
        };
        let status = response.status();
        let code = status.as_u16();
        let retry_after = retry_after_ms(response.headers());
        let body = match read_capped(response).await {
            Ok(b) => b,
            // The answer's status arrived; only its body broke off. A 2xx still counts.
            Err(e) if status.is_success() => {
                tracing::debug!(error = %e.without_url(), "answer body unreadable");
                String::new()
            }
            Err(e) => return transport_failure(e, self.timeout_ms),
        };
        if status.is_success() {
            HttpOutcome::Delivered { status: code, body }
        } else if status.is_server_error() || code == 408 || code == 429 {
            HttpOutcome::Transient {
                status: Some(code),
                reason: format!("HTTP {status}"),
                body: Some(body),
                retry_after_ms: retry_after,
            }
        } else {
            HttpOutcome::Refused { status: code, body }
        }
    }
}

/// `422` → `HTTP 422 Unprocessable Entity`.
pub fn status_text(code: u16) -> String {
    match reqwest::StatusCode::from_u16(code) {
        Ok(s) => format!("HTTP {s}"),
        Err(_) => format!("HTTP {code}"),
    }
}

fn transport_failure(e: reqwest::Error, timeout_ms: u64) -> HttpOutcome {
    let reason = if e.is_timeout() {
        format!("no answer within {timeout_ms} ms")
    } else if e.is_connect() {
        // The source chain says why (refused, DNS, TLS); the URL is left out.
        let mut why = String::new();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            why = s.to_string();
            source = s.source();
        }
        format!("cannot connect: {why}")
    } else {
        format!("request failed: {}", e.without_url())
    };
    HttpOutcome::Transient {
        retry_after_ms: None,
        status: None,
        reason,
        body: None,
    }
}

/// Reads at most [`MAX_KEPT_BODY_BYTES`] of the body, as text, marking a cut.
async fn read_capped(mut response: reqwest::Response) -> Result<String, reqwest::Error> {
    let mut kept = Vec::new();
    let mut cut = false;
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_KEPT_BODY_BYTES - kept.len();
        if chunk.len() > room {
            kept.extend_from_slice(&chunk[..room]);
            cut = true;
            break;
        }
        kept.extend_from_slice(&chunk);
    }
    let mut text = String::from_utf8_lossy(&kept).into_owned();
    if cut {
        // A cut may split a character; from_utf8_lossy shows it as U+FFFD, which is fine.
        text.push_str(" … (truncated)");
    }
    Ok(text)
}
