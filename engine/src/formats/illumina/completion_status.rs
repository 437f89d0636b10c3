//! RunCompletionStatus.xml (NovaSeq X, NextSeq 2000): how the run ended.

use crate::formats::{xml, FormatError};
use serde_json::{json, Value};
use std::path::Path;

pub fn parse_completion_status_bytes(path: &Path, bytes: &[u8]) -> Result<Value, FormatError> {
    let text = crate::formats::text::decode(path, bytes)?;
    parse_completion_status(path, &text)
}

/// `run_status` (`RunCompleted`, `RunErrored`, `RunStopped`, …), `completed_reads[]`
/// (`name`, `cycles`), `run_start_time`, `run_end_time`, `total_run_time`,
/// `error_description` where the instrument wrote one.
pub fn parse_completion_status(path: &Path, text: &str) -> Result<Value, FormatError> {
    let root = xml::parse(path, text)?;
    if root.name != "RunCompletionStatus" {
        return Err(FormatError::new(
            path,
            Some(root.location()),
            format!(
                "root element is <{}>, expected <RunCompletionStatus>",
                root.name
            ),
        ));
    }
    let status = root
        .text_at("RunStatus")
        .ok_or_else(|| FormatError::new(path, Some(root.location()), "no <RunStatus>"))?;
    let reads: Vec<Value> = root
        .child("CompletedReads")
        .map(|r| {
            r.children_named("Read")
                .map(|r| json!({ "name": r.attr("ReadName"), "cycles": r.attr("Cycles").and_then(|c| c.parse::<u64>().ok()) }))
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({
        "run_status": status,
        "completed_reads": reads,
        "run_start_time": root.text_at("RunStartTime"),
        "run_end_time": root.text_at("RunEndTime"),
        "total_run_time": root.text_at("TotalRunTime"),
        "error_description": root.text_at("ErrorDescription").or_else(|| root.text_at("Message")),
    }))
}
