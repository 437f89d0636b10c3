//! When is a run folder finished? Decided by `[[watch.completion]]` rules per platform
//! (`config::CompletionRule`), not by code: RTAComplete.txt only says the instrument
//! stopped writing base calls; the defaults wait for CopyComplete.txt and, on NovaSeq X,
//! for RunCompletionStatus.xml saying RunCompleted.

use crate::config::{default_completion, CompletionRule};
use serde::Serialize;
use std::path::Path;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Completion {
    Complete,
    /// Still being written or copied: look again later.
    InProgress {
        waiting_for: String,
    },
    /// The instrument says the run failed or was stopped: an event of its own.
    Failed {
        status: String,
    },
}

/// Completion under the default rules.
pub fn completion(dir: &Path) -> Completion {
    completion_with(dir, &default_completion())
}

/// Completion under `rules`: the rule for the folder's platform, else the `*` rule, else
/// the defaults.
pub fn completion_with(dir: &Path, rules: &[CompletionRule]) -> Completion {
    let waiting = |w: &str| Completion::InProgress {
        waiting_for: w.to_string(),
    };
    let info = dir.join("RunInfo.xml");
    if !info.is_file() {
        return waiting("RunInfo.xml");
    }
    // A RunInfo.xml still being written does not parse yet; that is not an error.
    let Some(instrument) = std::fs::read_to_string(&info)
        .ok()
        .and_then(|t| super::element_text(&t, "Instrument"))
    else {
        return waiting("a readable RunInfo.xml");
    };
    let platform = super::platform_of(&instrument, super::instrument_type(dir).as_deref());
    let status_file = dir.join("RunCompletionStatus.xml");
    let status = if status_file.is_file() {
        match std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|t| super::element_text(&t, "RunStatus"))
        {
            Some(s) if s == "RunCompleted" => Some(s),
            Some(s) => return Completion::Failed { status: s },
            None => return waiting("a readable RunStatus in RunCompletionStatus.xml"),
        }
    } else {
        None
    };
    let defaults = default_completion();
    let pick = |rules: &[CompletionRule]| {
        rules
            .iter()
            .find(|r| r.platform.eq_ignore_ascii_case(&platform))
            .or_else(|| rules.iter().find(|r| r.platform == "*"))
            .cloned()
    };
    let Some(rule) = pick(rules).or_else(|| pick(&defaults)) else {
        return waiting("a [[watch.completion]] rule");
    };
    if let Some(missing) = rule.required_files.iter().find(|f| !dir.join(f).is_file()) {
        return waiting(missing);
    }
    if rule.require_run_completed && status.is_none() {
        return waiting("RunCompletionStatus.xml saying RunCompleted");
    }
    Completion::Complete
}
