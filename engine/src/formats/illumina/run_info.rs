//! RunInfo.xml: run id, flowcell, instrument, date, reads and lanes.

use crate::formats::{xml, FormatError};
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

pub fn read_run_info(path: &Path) -> Result<RunInfo, FormatError> {
    let bytes = crate::formats::text::read_bytes(path)?;
    parse_run_info_bytes(path, &bytes)
}

pub fn parse_run_info_bytes(path: &Path, bytes: &[u8]) -> Result<RunInfo, FormatError> {
    let text = crate::formats::text::decode(path, bytes)?;
    parse_run_info(path, &text)
}

pub fn parse_run_info(path: &Path, text: &str) -> Result<RunInfo, FormatError> {
    let root = xml::parse(path, text).map_err(|mut e| {
        e.reason = format!("not a valid RunInfo.xml: {}", e.reason);
        e
    })?;
    let bad = |e: &xml::Element, reason: String| {
        FormatError::new(
            path,
            Some(e.location()),
            format!("not a valid RunInfo.xml: {reason}"),
        )
    };
    if root.name != "RunInfo" {
        return Err(bad(
            &root,
            format!("root element is <{}>, expected <RunInfo>", root.name),
        ));
    }
    let run = root
        .child("Run")
        .ok_or_else(|| bad(&root, "no <Run> element".into()))?;
    let required = |name: &str| {
        run.text_at(name).map(str::to_string).ok_or_else(|| {
            FormatError::new(
                path,
                Some(format!("element <{name}> in <Run>, line {}", run.line)),
                "missing or empty",
            )
        })
    };
    let run_id = run
        .attr("Id")
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| bad(run, "<Run> has no Id attribute".into()))?
        .to_string();
    let flowcell = required("Flowcell")?;
    let instrument = required("Instrument")?;
    let number = |e: &xml::Element, attr: &str| -> Result<Option<u32>, FormatError> {
        match e.attr(attr) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                FormatError::new(
                    path,
                    Some(format!("{}, attribute {attr}", e.location())),
                    format!("{v:?} is not a whole number"),
                )
            }),
        }
    };
    let mut reads = Vec::new();
    if let Some(rs) = run.child("Reads") {
        for r in rs.children_named("Read") {
            reads.push(Read {
                number: number(r, "Number")?
                    .ok_or_else(|| bad(r, "<Read> without Number".into()))?,
                cycles: number(r, "NumCycles")?
                    .ok_or_else(|| bad(r, "<Read> without NumCycles".into()))?,
                is_index: r.attr("IsIndexedRead") == Some("Y"),
            });
        }
    }
    let lanes = match run.child("FlowcellLayout") {
        Some(l) => number(l, "LaneCount")?,
        None => None,
    };
    Ok(RunInfo {
        run_id,
        run_number: number(run, "Number")?,
        flowcell,
        instrument,
        date: run.text_at("Date").map(str::to_string),
        lanes,
        reads,
    })
}
