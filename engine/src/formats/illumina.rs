//! Illumina run folders: RunInfo.xml, RunParameters.xml, RunCompletionStatus.xml and
//! SampleSheet.csv, and the rule that says when a run is complete.

mod completion;
pub use completion::{default_completion, CompletionRule};
mod completion_status;
pub mod connector;
mod run_info;
mod run_parameters;
mod sample_sheet;

pub use completion::{completion, completion_with, Completion};
pub use completion_status::{parse_completion_status, parse_completion_status_bytes};
pub use run_info::{parse_run_info, parse_run_info_bytes, read_run_info, RunInfo};
pub use run_parameters::{parse_run_parameters, parse_run_parameters_bytes};
pub use sample_sheet::{
    parse_sample_sheet, parse_sheet, parse_sheet_bytes, read_sample_sheet, read_sheet, SampleEntry,
    SampleSheet,
};

use super::FormatError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What the engine records about one run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct IlluminaRun {
    pub run_id: String,
    pub flowcell: String,
    pub instrument: String,
    /// The instrument family, e.g. "NovaSeq X".
    pub platform: String,
    pub run_number: Option<u32>,
    pub date: Option<String>,
    pub lanes: Option<u32>,
    pub reads: Vec<run_info::Read>,
    pub samples: Vec<SampleEntry>,
    /// The whole record tree (`run.*`, `parameters.*`, `completion.*`, `sample_sheet.*`,
    /// `samples[]`), which the mapping layer reads.
    #[serde(default)]
    pub record: serde_json::Value,
}

pub fn looks_like_run_folder(dir: &Path) -> bool {
    ["RunInfo.xml", "RunParameters.xml", "runParameters.xml"]
        .iter()
        .any(|f| dir.join(f).is_file())
}

/// The instrument family from the instrument id's prefix (Illumina's naming scheme),
/// overridden by RunParameters' InstrumentType where the instrument writes one.
pub fn platform_of(instrument: &str, instrument_type: Option<&str>) -> String {
    if let Some(t) = instrument_type {
        if t.starts_with("NovaSeqX") {
            return "NovaSeq X".into();
        }
    }
    let p = if instrument.starts_with("LH") {
        "NovaSeq X"
    } else if instrument.starts_with('A') {
        "NovaSeq 6000"
    } else if instrument.starts_with("ST-E") || instrument.starts_with('E') {
        "HiSeq X"
    } else if instrument.starts_with("VH") {
        "NextSeq 2000"
    } else if instrument.starts_with("NB") || instrument.starts_with("NS") {
        "NextSeq 500/550"
    } else if instrument.starts_with('M') {
        "MiSeq"
    } else if instrument.starts_with("FS") {
        "iSeq 100"
    } else {
        "Illumina (unknown model)"
    };
    p.into()
}

/// The InstrumentType element, where RunParameters.xml has one (NovaSeq X does).
pub(crate) fn instrument_type(dir: &Path) -> Option<String> {
    let path = ["RunParameters.xml", "runParameters.xml"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())?;
    element_text(&std::fs::read_to_string(path).ok()?, "InstrumentType")
}

/// The text of the first `<tag>` element, read with quick-xml; `None` when it is absent or
/// the XML breaks before it.
pub(crate) fn element_text(xml: &str, tag: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) if e.name().as_ref() == tag.as_bytes() => {
                return reader
                    .read_text(e.name())
                    .ok()
                    .map(|t| t.trim().to_string());
            }
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// The RunParameters file, whichever case the instrument wrote it in.
pub fn run_parameters_file(dir: &Path) -> Option<std::path::PathBuf> {
    ["RunParameters.xml", "runParameters.xml"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

/// Reads a run folder's metadata, the way the watcher does (`connector::read_run`, with the
/// default completion rules). The sample sheet is optional (some runs have none yet).
pub fn read_run_folder(dir: &Path) -> Result<IlluminaRun, FormatError> {
    connector::read_run(dir, &default_completion()).map(|(run, _)| run)
}
