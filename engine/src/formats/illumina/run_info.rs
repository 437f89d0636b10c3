//! RunInfo.xml: run id, flowcell, instrument, date, reads and lanes.

use crate::formats::FormatError;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Read {
    pub number: u32,
    pub cycles: u32,
    pub is_index: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    pub run_id: String,
    pub run_number: Option<u32>,
    pub flowcell: String,
    pub instrument: String,
    pub date: Option<String>,
    pub lanes: Option<u32>,
    pub reads: Vec<Read>,
}

#[derive(Deserialize)]
struct XRunInfo {
    #[serde(rename = "Run")]
    run: XRun,
}

#[derive(Deserialize)]
struct XRun {
    #[serde(rename = "@Id")]
    id: String,
    #[serde(rename = "@Number")]
    number: Option<u32>,
    #[serde(rename = "Flowcell")]
    flowcell: String,
    #[serde(rename = "Instrument")]
    instrument: String,
    #[serde(rename = "Date")]
    date: Option<String>,
    #[serde(rename = "Reads", default)]
    reads: XReads,
    #[serde(rename = "FlowcellLayout")]
    layout: Option<XLayout>,
}

#[derive(Deserialize, Default)]
struct XReads {
    #[serde(rename = "Read", default)]
    read: Vec<XRead>,
}

#[derive(Deserialize)]
struct XRead {
    #[serde(rename = "@Number")]
    number: u32,
    #[serde(rename = "@NumCycles")]
    cycles: u32,
    #[serde(rename = "@IsIndexedRead")]
    indexed: String,
}

#[derive(Deserialize)]
struct XLayout {
    #[serde(rename = "@LaneCount")]
    lanes: Option<u32>,
}

pub fn read_run_info(path: &Path) -> Result<RunInfo, FormatError> {
    let text = crate::formats::read_text(path)?;
    parse_run_info(path, &text)
}

pub fn parse_run_info(path: &Path, text: &str) -> Result<RunInfo, FormatError> {
    if text.trim().is_empty() {
        return Err(FormatError::new(path, None, "empty file"));
    }
    let x: XRunInfo = quick_xml::de::from_str(text)
        .map_err(|e| FormatError::new(path, None, format!("not a valid RunInfo.xml: {e}")))?;
    let r = x.run;
    if r.flowcell.trim().is_empty() {
        return Err(FormatError::new(
            path,
            Some("element <Flowcell>".into()),
            "empty",
        ));
    }
    Ok(RunInfo {
        run_id: r.id,
        run_number: r.number,
        flowcell: r.flowcell.trim().to_string(),
        instrument: r.instrument.trim().to_string(),
        date: r.date.map(|d| d.trim().to_string()),
        lanes: r.layout.and_then(|l| l.lanes),
        reads: r
            .reads
            .read
            .into_iter()
            .map(|x| Read {
                number: x.number,
                cycles: x.cycles,
                is_index: x.indexed == "Y",
            })
            .collect(),
    })
}
