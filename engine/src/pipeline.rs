//! The engine at run time: watch the folders, record completed runs, turn VCFs into
//! reports and messages, deliver them, and audit every step.

mod deliver;
mod intake;
pub mod lims;
mod qc;
mod quarantine;
mod runs;
mod vcfs;
mod watch;

pub use deliver::deliver_message;
pub use intake::{handle_order, serve_orders};
pub use qc::{process_qc_file, QcOutcome};
pub use quarantine::quarantine_input;
pub use vcfs::{process_vcf, VcfOutcome};
pub use watch::{run_forever, ScanState};

use crate::{config::Config, store::Store};

/// What every step needs.
#[derive(Clone)]
pub struct Engine {
    pub store: Store,
    pub config: Config,
}

impl Engine {
    pub fn new(store: Store, config: Config) -> Self {
        Engine { store, config }
    }

    /// The report mapping that runs now: the shipped default, compiled with the
    /// configured HGNC table.
    pub async fn report_plan(&self) -> std::sync::Arc<crate::mapping::report::Plan> {
        let mapping = crate::mapping::Mapping::default_report();
        let genes = self.config.selection.genes_by_symbol.clone();
        std::sync::Arc::new(
            crate::mapping::report::Plan::compile(&mapping, genes)
                .expect("the shipped report mapping compiles"),
        )
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
