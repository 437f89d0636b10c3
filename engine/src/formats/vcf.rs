//! VCF: a streaming reader that repairs what is safe to repair, rejects bad records one by
//! one with their line numbers, and turns each good record into reportable variants.

pub mod annotation;
mod genotype;
mod reader;
pub mod tree;
mod variant;

pub use annotation::{ClinicalSignificance, DrugResponse, TranscriptAnnotation};
pub use genotype::{Genotype, Zygosity};
pub use reader::{Assembly, VcfItem, VcfReader};
pub use variant::{RawColumns, Rejection, Variant};

use super::FormatError;
use serde::Serialize;
use std::path::Path;

/// A whole VCF read through: counts, variants and rejections (for tests and tools).
#[derive(Debug, Serialize)]
pub struct VcfSummary {
    pub samples: Vec<String>,
    pub assembly: Option<Assembly>,
    pub header_warnings: Vec<String>,
    pub records_read: u64,
    pub variants: Vec<Variant>,
    pub rejected: Vec<Rejection>,
}

pub fn summarize(path: &Path) -> Result<VcfSummary, FormatError> {
    let mut reader = VcfReader::open(path)?;
    let mut summary = VcfSummary {
        samples: reader.sample_names().to_vec(),
        assembly: reader.assembly(),
        header_warnings: reader.warnings().to_vec(),
        records_read: 0,
        variants: Vec::new(),
        rejected: Vec::new(),
    };
    while let Some(item) = reader.next_item()? {
        summary.records_read += 1;
        match item {
            VcfItem::Variants(vs) => summary.variants.extend(vs),
            VcfItem::Rejected(r) => summary.rejected.push(r),
        }
    }
    Ok(summary)
}
