//! Destinations: where messages go. MLLP (HL7 v2 over TCP) to the EHR, REST to the LIMS,
//! and FHIR REST (transaction Bundles) to a FHIR server.

pub mod ack;
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
    /// Attempts before a message is dead-lettered (status `failed`).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// First retry delay; doubles each attempt, with jitter.
    #[serde(default = "default_backoff_ms")]
    pub backoff_ms: u64,
}

fn default_timeout_ms() -> u64 {
    10_000
}
fn default_attempts() -> u32 {
    5
}
fn default_backoff_ms() -> u64 {
    500
}

impl MllpDestination {
    pub fn address(&self) -> String {
        format!("mllp://{}:{}", self.host, self.port)
    }
}

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
