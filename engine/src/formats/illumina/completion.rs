//! When is a run folder finished? RTAComplete.txt only says the instrument stopped
//! writing base calls; the data is safe to take only once CopyComplete.txt exists, and,
//! on instruments that write RunCompletionStatus.xml, once it says RunCompleted.

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

pub fn completion(dir: &Path) -> Completion {
    if !dir.join("RunInfo.xml").is_file() {
        return Completion::InProgress {
            waiting_for: "RunInfo.xml".into(),
        };
    }
    let status_file = dir.join("RunCompletionStatus.xml");
    if status_file.is_file() {
        match std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|t| run_status(&t))
        {
            Some(s) if s == "RunCompleted" => {}
            Some(s) => return Completion::Failed { status: s },
            None => {
                return Completion::InProgress {
                    waiting_for: "a readable RunStatus in RunCompletionStatus.xml".into(),
                }
            }
        }
    }
    if !dir.join("CopyComplete.txt").is_file() {
        return Completion::InProgress {
            waiting_for: "CopyComplete.txt".into(),
        };
    }
    Completion::Complete
}

fn run_status(xml: &str) -> Option<String> {
    super::element_text(xml, "RunStatus")
}
