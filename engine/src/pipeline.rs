//! The engine at run time: watch the folders, record completed runs, turn VCFs into
//! reports and messages, deliver them, and audit every step.

pub mod alerts;
pub mod anchors;
pub mod audit_spool;
pub mod fhir;
mod intake;
pub mod lims;
mod mllp;
pub mod outbox;
mod qc;
mod quarantine;
pub mod reprocess;
pub mod retention;
mod runs;
mod vcfs;
mod watch;

pub use intake::{handle_order, serve_orders};
pub use qc::{process_qc_file, QcOutcome};
pub use quarantine::quarantine_input;
pub use vcfs::{process_vcf, VcfOutcome};
pub use watch::{run_forever, ScanState};

use crate::{
    config::Config,
    mapping::{report::Plan, Mapping},
    store::Store,
};
use std::sync::{atomic::AtomicBool, Arc, Mutex};

/// What every step needs.
#[derive(Clone)]
pub struct Engine {
    pub store: Store,
    pub config: Config,
    /// The compiled active report mapping, kept until another version is activated.
    plan: Arc<Mutex<Option<Arc<Plan>>>>,
    /// True while this node owns the watched folders and scans them.
    pub scanning: Arc<AtomicBool>,
    /// Each destination's health as this node last wrote it (see `note_destination`).
    health: Arc<alerts::HealthBook>,
    /// One writer of the audit spool at a time, and whether it is known to be empty
    /// (`None` until first looked at; see `audit_spool`).
    spool_lock: Arc<tokio::sync::Mutex<Option<bool>>>,
}

impl Engine {
    pub fn new(store: Store, config: Config) -> Self {
        Engine {
            store,
            config,
            plan: Arc::default(),
            scanning: Arc::default(),
            health: Arc::default(),
            spool_lock: Arc::default(),
        }
    }

    /// The report mapping that runs now: the active `report` version in the store (the
    /// shipped default when the store has none), compiled with the configured HGNC table.
    /// Compiled once per version: each call costs one small query.
    pub async fn report_plan(&self) -> Arc<Plan> {
        let active = match self.store.active_report_mapping().await {
            Ok(a) => a,
            Err(e) => {
                tracing::error!(
                    "reading the active report mapping: {e}; using the shipped default"
                );
                None
            }
        };
        let wanted = active
            .as_ref()
            .map(|v| v.sha256.clone())
            .unwrap_or_else(|| Mapping::default_report().sha256());
        if let Some(p) = self.plan.lock().ok().and_then(|g| g.clone()) {
            if p.sha256 == wanted {
                return p;
            }
        }
        let genes = self.config.selection.genes_by_symbol.clone();
        let compiled = active.as_ref().and_then(|v| {
            match v.mapping().map(|m| Plan::compile(&m, genes.clone())) {
                Ok(Ok(plan)) => Some(plan),
                Ok(Err(e)) => {
                    tracing::error!("{}: {e}; using the shipped default", v.label());
                    None
                }
                Err(e) => {
                    tracing::error!("{}: {e}; using the shipped default", v.label());
                    None
                }
            }
        });
        let plan = Arc::new(compiled.unwrap_or_else(|| {
            Plan::compile(&Mapping::default_report(), genes)
                .expect("the shipped report mapping compiles")
        }));
        if let Ok(mut g) = self.plan.lock() {
            *g = Some(plan.clone());
        }
        plan
    }

    /// One pass over the watched folders.
    pub async fn scan_once(&self, state: &mut watch::ScanState) {
        runs::scan(self, state).await;
        qc::scan(self, state).await;
        vcfs::scan(self, state).await;
    }
}

/// SHA-256 of a file's bytes, hex.
fn sha256_file(path: &std::path::Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h)?;
    Ok(hex::encode(h.finalize()))
}
