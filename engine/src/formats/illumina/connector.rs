//! The Illumina connectors: a whole run folder, and each of its files on its own.
//!
//! Run folder record tree:
//! - `run.run_id`, `run.run_number`, `run.flowcell_id`, `run.instrument`, `run.platform`
//!   (`NovaSeq X`, `NovaSeq 6000`, `HiSeq X`, …), `run.date`, `run.lanes`,
//!   `run.reads[]` (`number`, `cycles`, `is_index`), from RunInfo.xml;
//! - `parameters.*` from RunParameters.xml (see `run_parameters`): `instrument_type`,
//!   `application`, `application_version`, `rta_version`, `recipe_version`,
//!   `experiment_name`, `flowcell_mode`, `run_number`, `consumables[]`;
//! - `completion.state` (`complete`, `in_progress`, `failed`), `completion.waiting_for`
//!   or `completion.status`, and from RunCompletionStatus.xml where present
//!   `completion.run_status`, `completion.completed_reads[]`, `completion.run_end_time`…;
//! - `sample_sheet.version`, `sample_sheet.samples_section`, `sample_sheet.sections.*`
//!   (every section: `Header`, `Reads`, `BCLConvert_Settings`, other applications);
//! - `samples[]`: `sample_id`, `lane`, `index`, `index2`, and the sheet's other columns;
//! - `format`: `illumina-run-folder`, as the registry names every parsed input's connector.
//!
//! This one tree is what `genobridge parse` prints, what the run keeps in the store (and
//! `/sources` lists), and what the LIMS mappings read.

use super::{
    completion_with, parse_completion_status_bytes, parse_run_info_bytes,
    parse_run_parameters_bytes, parse_sheet_bytes, platform_of, IlluminaRun,
};
use crate::{
    formats::illumina::{default_completion, CompletionRule},
    formats::{
        connector::{Connector, Parsed},
        text, FormatError,
    },
};
use serde_json::{json, Value};
use std::path::Path;

/// A run folder, judged complete by `rules`.
pub struct IlluminaRunFolder {
    pub rules: Vec<CompletionRule>,
}

impl Default for IlluminaRunFolder {
    fn default() -> Self {
        IlluminaRunFolder {
            rules: default_completion(),
        }
    }
}

/// The run-folder connector's name: the record kind mappings name as their `source`.
pub const RUN_FOLDER: &str = "illumina-run-folder";

impl Connector for IlluminaRunFolder {
    fn name(&self) -> &str {
        RUN_FOLDER
    }
    fn sniff(&self, path: &Path) -> bool {
        path.is_dir() && super::looks_like_run_folder(path)
    }
    fn parse(&self, path: &Path) -> Result<Parsed, FormatError> {
        read_run(path, &self.rules).map(|(_, p)| p)
    }
}

/// Reads every metadata file of a run folder: the run as the store keeps it (with the
/// record tree in `record`) and the parsed tree. Any unreadable file is an error.
pub fn read_run(
    dir: &Path,
    rules: &[CompletionRule],
) -> Result<(IlluminaRun, Parsed), FormatError> {
    let mut warnings = Vec::new();
    let info_path = dir.join("RunInfo.xml");
    let info = parse_run_info_bytes(&info_path, &text::read_bytes(&info_path)?)?;
    let parameters = match super::run_parameters_file(dir) {
        Some(p) => parse_run_parameters_bytes(&p, &text::read_bytes(&p)?)?,
        None => {
            warnings.push(format!("{}: no RunParameters.xml", dir.display()));
            Value::Null
        }
    };
    let instrument_type = parameters.get("instrument_type").and_then(Value::as_str);
    let platform = platform_of(&info.instrument, instrument_type);
    let mut completion = serde_json::to_value(completion_with(dir, rules)).unwrap_or_default();
    let status_path = dir.join("RunCompletionStatus.xml");
    if status_path.is_file() {
        let status = parse_completion_status_bytes(&status_path, &text::read_bytes(&status_path)?)?;
        if let (Some(c), Value::Object(s)) = (completion.as_object_mut(), status) {
            c.extend(s);
        }
    }
    let sheet_path = dir.join("SampleSheet.csv");
    let (sheet, samples, entries) = if sheet_path.is_file() {
        let sheet = parse_sheet_bytes(&sheet_path, &text::read_bytes(&sheet_path)?)?;
        let (t, s) = sheet.tree();
        (t, s, sheet.samples)
    } else {
        warnings.push(format!(
            "{}: no SampleSheet.csv: the run has no samples",
            dir.display()
        ));
        (Value::Null, json!([]), Vec::new())
    };
    let tree = json!({
        "run": {
            "run_id": info.run_id,
            "run_number": info.run_number,
            "flowcell_id": info.flowcell,
            "instrument": info.instrument,
            "platform": platform,
            "date": info.date,
            "lanes": info.lanes,
            "reads": info.reads,
        },
        "parameters": parameters,
        "completion": completion,
        "sample_sheet": sheet,
        "samples": samples,
        "format": RUN_FOLDER,
    });
    let run = IlluminaRun {
        run_id: info.run_id,
        flowcell: info.flowcell,
        instrument: info.instrument,
        platform,
        run_number: info.run_number,
        date: info.date,
        lanes: info.lanes,
        reads: info.reads,
        samples: entries,
        record: tree.clone(),
    };
    Ok((run, Parsed { tree, warnings }))
}

/// A lone SampleSheet.csv (v1, v2 or bcl2fastq): `sample_sheet.*` and `samples[]`.
pub struct SampleSheetFile;

impl Connector for SampleSheetFile {
    fn name(&self) -> &str {
        "illumina-sample-sheet"
    }
    fn sniff(&self, path: &Path) -> bool {
        text::lower_name(path).ends_with(".csv") && {
            let head = text::head_text(path);
            let first = head
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or_default();
            let first = first.trim().trim_end_matches(',');
            first == "[Header]" || first == "[Data]"
        }
    }
    fn parse(&self, path: &Path) -> Result<Parsed, FormatError> {
        let sheet = parse_sheet_bytes(path, &text::read_bytes(path)?)?;
        let (t, s) = sheet.tree();
        Ok(Parsed {
            tree: json!({ "sample_sheet": t, "samples": s }),
            warnings: Vec::new(),
        })
    }
}

fn named(path: &Path, name: &str) -> bool {
    text::lower_name(path) == name && path.is_file()
}

/// A lone RunInfo.xml: `run.*` (without `platform`'s RunParameters refinement).
pub struct RunInfoFile;

impl Connector for RunInfoFile {
    fn name(&self) -> &str {
        "illumina-run-info"
    }
    fn sniff(&self, path: &Path) -> bool {
        named(path, "runinfo.xml")
    }
    fn parse(&self, path: &Path) -> Result<Parsed, FormatError> {
        let info = parse_run_info_bytes(path, &text::read_bytes(path)?)?;
        let tree = json!({ "run": {
            "run_id": info.run_id, "run_number": info.run_number, "flowcell_id": info.flowcell,
            "platform": platform_of(&info.instrument, None), "instrument": info.instrument,
            "date": info.date, "lanes": info.lanes, "reads": info.reads,
        }});
        Ok(Parsed {
            tree,
            warnings: Vec::new(),
        })
    }
}

/// A lone RunParameters.xml / runParameters.xml: `parameters.*`.
pub struct RunParametersFile;

impl Connector for RunParametersFile {
    fn name(&self) -> &str {
        "illumina-run-parameters"
    }
    fn sniff(&self, path: &Path) -> bool {
        named(path, "runparameters.xml")
    }
    fn parse(&self, path: &Path) -> Result<Parsed, FormatError> {
        let p = parse_run_parameters_bytes(path, &text::read_bytes(path)?)?;
        Ok(Parsed {
            tree: json!({ "parameters": p }),
            warnings: Vec::new(),
        })
    }
}

/// A lone RunCompletionStatus.xml: `completion.*`.
pub struct RunCompletionStatusFile;

impl Connector for RunCompletionStatusFile {
    fn name(&self) -> &str {
        "illumina-run-completion-status"
    }
    fn sniff(&self, path: &Path) -> bool {
        named(path, "runcompletionstatus.xml")
    }
    fn parse(&self, path: &Path) -> Result<Parsed, FormatError> {
        let c = parse_completion_status_bytes(path, &text::read_bytes(path)?)?;
        Ok(Parsed {
            tree: json!({ "completion": c }),
            warnings: Vec::new(),
        })
    }
}
