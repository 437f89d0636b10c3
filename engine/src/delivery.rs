//! Destinations: where messages go. MLLP (HL7 v2 over TCP) to the EHR, REST to the LIMS,
//! and FHIR REST (transaction Bundles) to a FHIR server.

pub mod ack;
pub mod email;
pub mod fhir;
pub mod lims;
pub mod mllp;

use serde::{Deserialize, Serialize};

/// Settings of an MLLP destination (an EHR's HL7 v2 inbound interface).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MllpDestination {
    pub host: String,
    pub port: u16,
    /// How long to wait for the connection, and then for the ACK.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Attempts before a message is dead-lettered. The default, with the backoff's cap,
    /// rides out an EHR interface that is down for about four hours.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// First retry delay; doubles each attempt, with jitter, up to `max_backoff_ms`.
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
    #[serde(default = "default_max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// Results for one accession reach the EHR in the order they were built: a message
    /// waits while an earlier one of its accession is queued or dead-lettered, since an
    /// EHR applies a corrected result over the one before. Other accessions keep flowing.
    #[serde(default = "default_ordered")]
    pub ordered: bool,
    /// How often the delivery loop looks for messages that are due when it is idle.
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
}

fn default_poll_ms() -> u64 {
    200
}

fn default_timeout_ms() -> u64 {
    10_000
}
fn default_attempts() -> u32 {
    60
}
fn default_backoff_ms() -> u64 {
    500
}
fn default_max_backoff_ms() -> u64 {
    300_000
}
fn default_ordered() -> bool {
    true
}

impl MllpDestination {
    pub fn address(&self) -> String {
        format!("mllp://{}:{}", self.host, self.port)
    }

    /// The wait after failed attempt `attempt` (1-based), with jitter.
    pub fn backoff_ms(&self, attempt: u32) -> u64 {
        lims::backoff_ms(self.backoff_ms, self.max_backoff_ms, attempt)
    }

    /// How long a claimed message is this node's: the connect and the ACK wait, each up to
    /// `timeout_ms`, and a margin; after that another node may send it again.
    pub fn lease_ms(&self) -> i64 {
        (2 * self.timeout_ms + LEASE_MARGIN_MS) as i64
    }
}

/// What a claim adds to a destination's own time limits before it runs out.
pub const LEASE_MARGIN_MS: u64 = 5_000;

/// The outcome of one delivery attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// AA (or CA): the receiver took it.
    Accepted,
    /// AE/AR (or CE/CR): the receiver refused it; retrying the same message will not help.
    Refused { code: String, reason: String },
    /// No answer, a broken connection or an unreadable ACK: worth retrying.
    Transient { reason: String },
}
