//! A clinical report: the variants of one sample chosen for reporting, the records that
//! were rejected with their reasons, and the order it answers.

mod select;

pub use select::Selection;

use crate::formats::{
    vcf::{Assembly, Rejection, Variant, VcfItem, VcfReader},
    FormatError,
};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Serialize)]
pub struct Report {
    pub sample_id: String,
    pub source_file: String,
    pub assembly: Assembly,
    pub variants: Vec<Variant>,
    pub rejected: Vec<Rejection>,
    pub records_read: u64,
    /// Variants that were valid but not chosen by the selection rules.
    pub not_selected: u64,
    pub header_warnings: Vec<String>,
}

/// Reads a VCF into a report for its one sample (or `sample` when it has several).
/// `progress` is called after every record with (records read, reported, rejected).
pub fn build_report(
    path: &Path,
    sample: Option<&str>,
    default_assembly: Option<Assembly>,
    selection: &Selection,
    mut progress: impl FnMut(u64, u64, u64),
) -> Result<Report, FormatError> {
    let mut reader = VcfReader::open(path)?;
    let samples = reader.sample_names().to_vec();
    let sample_id = match (sample, samples.as_slice()) {
        (Some(s), names) if names.iter().any(|n| n == s) => s.to_string(),
        (Some(s), _) => {
            return Err(FormatError::new(
                path,
                Some("#CHROM line".into()),
                format!("sample {s:?} is not in this VCF (it has {samples:?})"),
            ))
        }
        (None, [one]) => one.clone(),
        (None, []) => {
            return Err(FormatError::new(
                path,
                Some("#CHROM line".into()),
                "no sample column: a report needs a genotype",
            ))
        }
        (None, _) => {
            return Err(FormatError::new(
                path,
                Some("#CHROM line".into()),
                format!("{} samples; name the one to report", samples.len()),
            ))
        }
    };
    if samples.first() != Some(&sample_id) {
        return Err(FormatError::new(
            path,
            Some("#CHROM line".into()),
            "only the first sample column can be reported yet",
        ));
    }
    let assembly = reader.assembly().or(default_assembly).ok_or_else(|| {
        FormatError::new(path, Some("header".into()), "cannot tell GRCh37 from GRCh38 (no ##reference or known contig lengths); configure the assembly")
    })?;
    let mut report = Report {
        sample_id,
        source_file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        assembly,
        variants: Vec::new(),
        rejected: Vec::new(),
        records_read: 0,
        not_selected: 0,
        header_warnings: reader.warnings().to_vec(),
    };
    while let Some(item) = reader.next_item()? {
        report.records_read += 1;
        match item {
            VcfItem::Variants(vs) => {
                for v in vs {
                    if selection.accepts(&v) {
                        report.variants.push(v);
                    } else {
                        report.not_selected += 1;
                    }
                }
            }
            VcfItem::Rejected(r) => report.rejected.push(r),
        }
        progress(
            report.records_read,
            report.variants.len() as u64,
            report.rejected.len() as u64,
        );
    }
    Ok(report)
}
