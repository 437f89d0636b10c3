//! Instrument and pipeline file formats. Each format is one module with a small reader;
//! `detect` picks one for `genobridge parse`.

pub mod bed;
pub mod hgnc;
pub mod illumina;
pub mod medications;
pub mod vcf;

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

/// The formats `detect` knows, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detected {
    IlluminaRunFolder,
    Vcf,
}

impl Detected {
    pub fn name(self) -> &'static str {
        match self {
            Detected::IlluminaRunFolder => "illumina-run-folder",
            Detected::Vcf => "vcf",
        }
    }
}

pub fn detect(path: &Path) -> Result<Detected, FormatError> {
    if !path.exists() {
        return Err(FormatError::new(path, None, "no such file or directory"));
    }
    if path.is_dir() {
        if illumina::looks_like_run_folder(path) {
            return Ok(Detected::IlluminaRunFolder);
        }
        return Err(FormatError::new(
            path,
            None,
            "a folder, but not an Illumina run folder (no RunInfo.xml or RunParameters.xml)",
        ));
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if name.ends_with(".vcf") || name.ends_with(".vcf.gz") || name.ends_with(".vcf.bgz") {
        return Ok(Detected::Vcf);
    }
    Err(FormatError::new(
        path,
        None,
        "unknown format: expected an Illumina run folder or a .vcf/.vcf.gz file",
    ))
}

/// Parses any supported input into a JSON record tree (for `genobridge parse`).
pub fn parse_to_json(path: &Path) -> Result<serde_json::Value, FormatError> {
    match detect(path)? {
        Detected::IlluminaRunFolder => {
            let run = illumina::read_run_folder(path)?;
            let completion = illumina::completion(path);
            Ok(
                serde_json::json!({ "format": "illumina-run-folder", "completion": completion, "run": run }),
            )
        }
        Detected::Vcf => {
            let summary = vcf::summarize(path)?;
            Ok(serde_json::json!({ "format": "vcf", "vcf": summary }))
        }
    }
}

/// Reads a whole small text file (XML, CSV), naming the file and the reason on failure.
pub fn read_text(path: &Path) -> Result<String, FormatError> {
    let bytes = std::fs::read(path)
        .map_err(|e| FormatError::new(path, None, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
        FormatError::new(
            path,
            Some(format!("line {line}")),
            "not valid UTF-8 (wrong encoding?)",
        )
    })
}
