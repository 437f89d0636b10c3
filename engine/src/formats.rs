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

/// A VCF's summary (`vcf.*`), so `genobridge parse` covers pipeline output too.
pub struct VcfConnector;

impl Connector for VcfConnector {
    fn name(&self) -> &str {
        "vcf"
    }
    fn sniff(&self, path: &Path) -> bool {
        path.is_file() && is_vcf_name(path)
    }
    fn parse(&self, path: &Path) -> Result<Parsed, FormatError> {
        let summary = vcf::summarize(path)?;
        Ok(Parsed {
            tree: serde_json::json!({ "vcf": summary }),
            warnings: Vec::new(),
        })
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
