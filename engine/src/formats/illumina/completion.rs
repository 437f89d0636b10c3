//! When is a run folder finished? Decided by `[[watch.completion]]` rules per platform
//! (`CompletionRule`), not by code: RTAComplete.txt only says the instrument
//! stopped writing base calls; the defaults wait for CopyComplete.txt and, on NovaSeq X,
//! for RunCompletionStatus.xml saying RunCompleted.

use serde::{Deserialize, Serialize};
use std::path::Path;

/// When a run folder of one platform counts as complete: `[[watch.completion]]`.
/// Whatever the rule, a RunCompletionStatus.xml that names a failure (`RunErrored`,
/// `RunStopped`, …) makes the run failed, never complete.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CompletionRule {
    /// The platform as GenoBridge names it (`NovaSeq X`, `NovaSeq 6000`, `HiSeq X`,
    /// `NextSeq 2000`, `MiSeq`, …; case-insensitive), or `*` for any platform without a
    /// rule of its own.
    pub platform: String,
    /// Files that must all exist in the run folder, e.g. `CopyComplete.txt`.
    /// RTAComplete.txt only says base calling stopped, not that the copy finished.
    pub required_files: Vec<String>,
    /// RunCompletionStatus.xml must exist and say `RunCompleted` (instruments that write
    /// one: NovaSeq X, NextSeq 2000).
    #[serde(default)]
    pub require_run_completed: bool,
}

/// NovaSeq X: CopyComplete.txt and RunCompletionStatus.xml saying RunCompleted. Every
/// other platform: CopyComplete.txt. All need RunInfo.xml.
pub fn default_completion() -> Vec<CompletionRule> {
    let rule = |platform: &str, require_run_completed| CompletionRule {
        platform: platform.into(),
        required_files: vec!["RunInfo.xml".into(), "CopyComplete.txt".into()],
        require_run_completed,
    };
    vec![
        rule("NovaSeq X", true),
        rule("NovaSeq 6000", false),
        rule("HiSeq X", false),
        rule("*", false),
    ]
}

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
