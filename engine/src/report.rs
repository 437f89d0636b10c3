//! A clinical report: the variants of one sample chosen for reporting, the records that
//! were rejected with their reasons, and the order it answers.
//!
//! `stream_report` hands each chosen variant to a callback and keeps nothing, so memory
//! stays flat whatever the file size; `build_report` collects them for small files.

mod select;

pub use select::Selection;

use crate::formats::{
    vcf::{Assembly, Rejection, Variant, VcfItem, VcfReader},
    FormatError,
};
use serde::Serialize;
use std::path::Path;

/// At most this many rejections are kept with their reasons; the rest are counted.
pub const MAX_KEPT_REJECTIONS: usize = 10_000;

/// What a message needs to know about a report besides its variants.
#[derive(Clone, Debug, Serialize)]
pub struct ReportHead {
    pub sample_id: String,
    pub source_file: String,
    pub assembly: Assembly,
    pub header_warnings: Vec<String>,
    /// The regions the test studied, when the selection names a BED file.
    #[serde(skip)]
    pub regions: Option<std::sync::Arc<crate::formats::bed::Regions>>,
    /// VEP's CSQ layout from the header, which the mapping's `csq[]` paths read.
    #[serde(skip)]
    pub csq: Option<std::sync::Arc<crate::formats::vcf::annotation::CsqLayout>>,
}

/// The counts of one pass over a VCF.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Tally {
    pub records_read: u64,
    pub reported: u64,
    /// Variants that were valid but not chosen by the selection rules.
    pub not_selected: u64,
    pub rejected_total: u64,
    pub rejected: Vec<Rejection>,
}

/// A whole report in memory, for files small enough to hold (`stream_variants` otherwise).
#[derive(Debug, Serialize)]
pub struct Report {
    pub head: ReportHead,
    pub variants: Vec<Variant>,
    pub tally: Tally,
}

/// Opens a VCF for reporting one sample: checks the sample and the assembly. The head
/// carries the selection's regions studied, which the messages describe.
pub fn open_report(
    path: &Path,
    sample: Option<&str>,
    default_assembly: Option<Assembly>,
    selection: &Selection,
) -> Result<(VcfReader, ReportHead), FormatError> {
    let reader = VcfReader::open(path)?;
    let samples = reader.sample_names().to_vec();
    let at_chrom = || Some("#CHROM line".to_string());
    let sample_id = match (sample, samples.as_slice()) {
        (Some(s), names) if names.iter().any(|n| n == s) => s.to_string(),
        (Some(s), _) => {
            let msg = format!("sample {s:?} is not in this VCF (it has {samples:?})");
            return Err(FormatError::new(path, at_chrom(), msg));
        }
        (None, [one]) => one.clone(),
        (None, []) => {
            return Err(FormatError::new(
                path,
                at_chrom(),
                "no sample column: a report needs a genotype",
            ))
        }
        (None, _) => {
            let msg = format!("{} samples; name the one to report", samples.len());
            return Err(FormatError::new(path, at_chrom(), msg));
        }
    };
    if samples.first() != Some(&sample_id) {
        return Err(FormatError::new(
            path,
            at_chrom(),
            "only the first sample column can be reported yet",
        ));
    }
    let assembly = reader.assembly().or(default_assembly).ok_or_else(|| {
        FormatError::new(
            path,
            Some("header".into()),
            "cannot tell GRCh37 from GRCh38 (no ##reference or known contig lengths); configure the assembly",
        )
    })?;
    let head = ReportHead {
        sample_id,
        source_file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        assembly,
        header_warnings: reader.warnings().to_vec(),
        regions: selection.regions.clone(),
        csq: reader.csq_layout().cloned().map(std::sync::Arc::new),
    };
    Ok((reader, head))
}

/// Reads every record, handing each chosen variant to `on_variant`. `progress` is called
/// after every record with (records read, reported, rejected).
pub fn stream_variants<E: From<FormatError>>(
    reader: &mut VcfReader,
    selection: &Selection,
    mut on_variant: impl FnMut(Variant) -> Result<(), E>,
    mut progress: impl FnMut(u64, u64, u64),
) -> Result<Tally, E> {
    let mut t = Tally::default();
    while let Some(item) = reader.next_item()? {
        t.records_read += 1;
        match item {
            VcfItem::Variants(vs) => {
                for mut v in vs {
                    if selection.accepts(&v, reader.csq_layout()) {
                        selection.annotate(&mut v);
                        t.reported += 1;
                        on_variant(v)?;
                    } else {
                        t.not_selected += 1;
                    }
                }
            }
            VcfItem::Rejected(r) => {
                t.rejected_total += 1;
                if t.rejected.len() < MAX_KEPT_REJECTIONS {
                    t.rejected.push(r);
                }
            }
        }
        progress(t.records_read, t.reported, t.rejected_total);
    }
    Ok(t)
}

/// Reads a VCF into a report for its one sample (or `sample` when it has several).
pub fn build_report(
    path: &Path,
    sample: Option<&str>,
    default_assembly: Option<Assembly>,
    selection: &Selection,
    progress: impl FnMut(u64, u64, u64),
) -> Result<Report, FormatError> {
    let (mut reader, head) = open_report(path, sample, default_assembly, selection)?;
    let mut variants = Vec::new();
    let t = stream_variants::<FormatError>(
        &mut reader,
        selection,
        |v| {
            variants.push(v);
            Ok(())
        },
        progress,
    )?;
    Ok(Report {
        head,
        variants,
        tally: t,
    })
}
