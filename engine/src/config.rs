//! The configuration file (TOML). These structs are the reference for every setting.

pub use crate::formats::illumina::{default_completion, CompletionRule};
use crate::{
    alerts::AlertsConfig,
    delivery::{fhir::FhirDestination, lims::LimsDestination, MllpDestination},
    formats::{connector::Registry, delimited::DelimitedConfig},
    mapping::Mapping,
    pipeline::{anchors::AuditConfig, retention::RetentionConfig},
    report::Selection,
};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://path/to/genobridge.db` (default, one node) or `postgres://…` (N nodes).
    #[serde(default = "default_db")]
    pub database_url: String,
    /// Address the web UI and REST API listen on (bound at start, like `order_intake`).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// The built site (wasm, CSS) that `scripts/build.sh` writes.
    #[serde(default = "default_site_root")]
    pub site_root: PathBuf,
    /// Where GenoBridge keeps its own files (the SQLite database by default).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    pub watch: WatchConfig,
    /// Where HL7 v2 LRI results go. Without it, LRI messages wait as `pending`.
    pub lri_destination: Option<MllpDestination>,
    /// Where FHIR R4 report Bundles go (POST of the transaction Bundle to a base URL).
    /// Without it, each Bundle is built and stored with status `stored`: kept, not sent.
    #[serde(default)]
    pub fhir_destination: Option<FhirDestination>,
    /// Address of the MLLP listener that takes ORM^O01 / OML^O21 orders from the EHR,
    /// e.g. `127.0.0.1:2576`. `serve` binds it at start, and stops with an error naming
    /// this setting if it cannot. Without it, orders come only from `serve --demo`.
    #[serde(default)]
    pub order_intake: Option<String>,
    /// Which variants a report covers.
    #[serde(default)]
    pub selection: Selection,
    /// Where completed runs go as JSON documents, and how they are built. Without it,
    /// nothing is sent to a LIMS.
    #[serde(default)]
    pub lims: Option<LimsConfig>,
    /// Demo data and a stand-in EHR, for `serve --demo` only.
    #[serde(default)]
    pub demo: DemoConfig,
    /// Instrument formats added by configuration (see README, "Adding an instrument by
    /// configuration").
    #[serde(default)]
    pub connectors: ConnectorsConfig,
    /// This node's name, unique among the nodes sharing one database (default: the host
    /// name). Claims on queued messages carry it, and a node that starts again takes its
    /// own claims back at once, so two nodes must never share a name.
    #[serde(default = "default_node")]
    pub node: String,
    /// Alert rules and where their notices go (see `alerts`).
    #[serde(default)]
    pub alerts: Option<AlertsConfig>,
    /// How long delivered messages are kept (see `pipeline::retention`). Without it,
    /// nothing is pruned.
    #[serde(default)]
    pub retention: Option<RetentionConfig>,
    /// Anchoring of the audit chain (see `pipeline::anchors`): hourly, in the database, by
    /// default.
    #[serde(default)]
    pub audit: AuditConfig,
}

fn default_node() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "genobridge".to_string())
}

/// Connectors defined in the configuration file instead of code.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorsConfig {
    /// `[[connectors.delimited]]`: CSV/TSV exports read by header name.
    #[serde(default)]
    pub delimited: Vec<DelimitedConfig>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchConfig {
    /// Sequencer output: one sub-folder per run.
    pub runs_dir: PathBuf,
    /// Variant pipeline output: one VCF (or .vcf.gz) per sample.
    pub vcf_dir: PathBuf,
    /// Rescan interval. Polling is what works on network shares, where file-system
    /// events do not arrive; local events only make a scan come sooner.
    #[serde(default = "default_poll_ms")]
    pub poll_interval_ms: u64,
    /// A file must keep the same size and mtime this long before it is read, so a file
    /// still being copied is never taken half-written.
    #[serde(default = "default_settle_ms")]
    pub settle_ms: u64,
    /// QC instrument exports (QuantStudio, TapeStation, Fragment Analyzer, Qubit, and the
    /// `[[connectors.delimited]]` formats): each settled file is parsed by the connector
    /// that recognises it and recorded once per path and content (SHA-256).
    #[serde(default)]
    pub qc_dir: Option<PathBuf>,
    /// Completion rules by platform, `[[watch.completion]]`. Giving any replaces the
    /// defaults (see `default_completion`); a platform with no rule and no `*` rule
    /// falls back to the defaults.
    #[serde(default = "default_completion")]
    pub completion: Vec<CompletionRule>,
    /// Where a VCF's file name carries the order's accession: a regular expression with a
    /// named group `accession`. A report is linked to the order whose accession and sample
    /// both match; a file whose name has no accession waits in `needs_order`. The default
    /// reads `ACC-2026-0001_NB6TK328.vcf` as accession `ACC-2026-0001`.
    #[serde(default = "default_accession_pattern")]
    pub vcf_accession_pattern: String,
}

impl WatchConfig {
    /// The accession in a VCF's file name, by `vcf_accession_pattern`.
    pub fn accession_of(&self, path: &std::path::Path) -> Option<String> {
        let name = path.file_name()?.to_str()?;
        let re = regex::Regex::new(&self.vcf_accession_pattern).ok()?;
        let m = re.captures(name)?.name("accession")?;
        Some(m.as_str().to_string()).filter(|a| !a.is_empty())
    }
}

/// `[lims]`: the REST destination and the mappings that build its documents.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LimsConfig {
    pub destination: LimsDestination,
    /// Each record gets every mapping whose `source` is its kind; each mapping gives one
    /// document, or one per element with `per`.
    #[serde(default)]
    pub mappings: Vec<Mapping>,
    /// How often the delivery loop looks for documents that are due.
    #[serde(default = "default_lims_poll_ms")]
    pub poll_interval_ms: u64,
}

impl LimsConfig {
    /// Checks every mapping, and that no two share a name (the name is part of the key).
    pub fn validate(&self) -> Result<(), String> {
        let mut names = std::collections::HashSet::new();
        for m in &self.mappings {
            m.validate().map_err(|e| format!("lims.mappings: {e}"))?;
            if !names.insert(m.name.as_str()) {
                return Err(format!(
                    "lims.mappings: two mappings are named {:?}",
                    m.name
                ));
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoConfig {
    /// `../shared/fixtures`: where the demo run and VCF are copied from.
    pub fixtures_dir: Option<PathBuf>,
    /// Start a stand-in EHR at `lri_destination` that answers every message with AA.
    #[serde(default)]
    pub ehr_listener: bool,
    /// Start a stand-in LIMS at `lims.destination.url` (loopback only) that accepts every
    /// document, except sample ids ending in `A21`, which it refuses with 422, so the demo
    /// shows a dead letter too.
    #[serde(default)]
    pub lims_listener: bool,
}

fn default_db() -> String {
    "sqlite://.data/genobridge.db".into()
}
fn default_listen() -> String {
    "127.0.0.1:3000".into()
}
fn default_site_root() -> PathBuf {
    "target/site".into()
}
fn default_data_dir() -> PathBuf {
    ".data".into()
}
fn default_accession_pattern() -> String {
    "^(?P<accession>[^_.]+)_".into()
}
fn default_poll_ms() -> u64 {
    2_000
}
fn default_settle_ms() -> u64 {
    1_000
}
fn default_lims_poll_ms() -> u64 {
    1_000
}

impl Config {
    /// Every connector this configuration gives: its delimited formats and its completion
    /// rules, then the built-in ones.
    pub fn registry(&self) -> Registry {
        Registry::all(&self.connectors.delimited, &self.watch.completion)
    }

    pub fn from_toml(text: &str) -> Result<Config, String> {
        let cfg: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        let pattern = &cfg.watch.vcf_accession_pattern;
        let re =
            regex::Regex::new(pattern).map_err(|e| format!("watch.vcf_accession_pattern: {e}"))?;
        if !re.capture_names().any(|n| n == Some("accession")) {
            return Err(format!(
                "watch.vcf_accession_pattern {pattern:?} has no (?P<accession>…) group"
            ));
        }
        if let Some(lims) = &cfg.lims {
            lims.validate()?;
        }
        if let Some(fhir) = &cfg.fhir_destination {
            fhir.validate()?;
        }
        if let Some(alerts) = &cfg.alerts {
            alerts.validate()?;
        }
        Ok(cfg)
    }
}
