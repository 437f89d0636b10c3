//! Instrument and pipeline file formats. Each format is one module with a small reader;
//! instrument formats sit behind the `Connector` trait and are found by name or by
//! sniffing through `connector::Registry` (what `genobridge parse` uses).

pub mod bed;
pub mod connector;
pub mod delimited;
pub mod fragment_analyzer;
pub mod hgnc;
pub mod illumina;
pub mod medications;
pub mod quantstudio;
pub mod qubit;
pub mod record;
mod table;
pub mod tapestation;
pub mod text;
pub mod vcf;
pub mod xml;

pub use connector::{Connector, Parsed, Registry};

use std::path::{Path, PathBuf};

/// A parse failure that names the file, where in it, and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {reason}", location.as_ref().map(|l| format!(" ({l})")).unwrap_or_default())]
pub struct FormatError {
    pub file: PathBuf,
    /// `line 12`, `element <Flowcell>`, `field Sample_ID`…
    pub location: Option<String>,
    pub reason: String,
}

impl FormatError {
    pub fn new(
        file: impl Into<PathBuf>,
        location: Option<String>,
        reason: impl Into<String>,
    ) -> Self {
        FormatError {
            file: file.into(),
            location,
            reason: reason.into(),
        }
    }
}

/// A VCF by its name: `.vcf`, or bgzipped `.vcf.gz` / `.vcf.bgz`.
pub fn is_vcf_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    [".vcf", ".vcf.gz", ".vcf.bgz"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// A VCF, as the per-variant tree that report mappings read (`variant.*`, `info.*`,
/// `ann[]`, `csq[]`, `clinvar.*`, `sample.*`, `report.*`; see `vcf::tree`). `parse` shows
/// the first variant's tree, `parse --schema` its paths: the same paths a mapping names.
pub struct VcfConnector;

impl Connector for VcfConnector {
    fn name(&self) -> &str {
        "vcf"
    }
    fn sniff(&self, path: &Path) -> bool {
        path.is_file() && is_vcf_name(path)
    }
    fn parse(&self, path: &Path) -> Result<Parsed, FormatError> {
        let mut reader = vcf::VcfReader::open(path)?;
        let mut warnings = reader.warnings().to_vec();
        let sample = reader.sample_names().first().cloned().unwrap_or_default();
        let csq = reader.csq_layout().cloned();
        let facts = vcf::tree::ReportFacts {
            assembly: reader.assembly().unwrap_or(vcf::Assembly::GRCh38),
            somatic: false,
            sample_id: &sample,
            csq: csq.as_ref(),
        };
        let choice = crate::mapping::TranscriptChoice::default();
        while let Some(item) = reader.next_item()? {
            match item {
                vcf::VcfItem::Variants(vs) => {
                    if let Some(v) = vs.first() {
                        let tree = vcf::tree::VariantView::new(v, facts, &choice).to_json();
                        return Ok(Parsed { tree, warnings });
                    }
                }
                vcf::VcfItem::Rejected(r) => {
                    warnings.push(format!("line {}: {}", r.line, r.reason));
                }
            }
        }
        Err(FormatError::new(path, None, "no variant record to show"))
    }
}

/// Reads a whole small text file (XML, CSV), naming the file and the reason on failure.
pub fn read_text(path: &Path) -> Result<String, FormatError> {
    let bytes = text::read_bytes(path)?;
    if bytes.is_empty() {
        return Ok(String::new());
    }
    text::decode(path, &bytes)
}
