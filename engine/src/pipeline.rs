//! The engine at run time: watch the folders, record completed runs, turn VCFs into
//! reports and messages, deliver them, and audit every step.

mod deliver;
mod intake;
pub mod lims;
mod runs;
mod vcfs;
mod watch;

pub use deliver::deliver_message;
pub use intake::{handle_order, serve_orders};
pub use vcfs::{process_vcf, VcfOutcome};
pub use watch::run_forever;

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

    /// One pass over both watched folders.
    pub async fn scan_once(&self, state: &mut watch::ScanState) {
        runs::scan(self, state).await;
        vcfs::scan(self, state).await;
    }
}
