//! One trait for every instrument format, and a registry that finds a connector by name
//! or by sniffing a path. Built-in connectors register here; a lab adds delimited-file
//! instruments through `[[connectors.delimited]]` in the configuration, without code.

use super::illumina::{default_completion, CompletionRule};
use super::{
    delimited::{DelimitedConfig, DelimitedConnector},
    fragment_analyzer::{FragmentPeaks, FragmentSmear},
    illumina::connector::{
        IlluminaRunFolder, RunCompletionStatusFile, RunInfoFile, RunParametersFile, SampleSheetFile,
    },
    quantstudio::QuantStudio,
    qubit::Qubit,
    tapestation::TapeStation,
    FormatError,
};
use serde_json::Value;
use std::path::Path;

/// What a connector read: the record tree (a JSON object, addressed by paths such as
/// `samples[].sample_id`) and what it noticed but did not reject.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub tree: Value,
    /// File, line or element, and what is odd (e.g. a well without a result).
    pub warnings: Vec<String>,
}

/// An instrument format. `sniff` must be cheap (a file name, the first few KiB).
pub trait Connector: Send + Sync {
    /// The name used by `genobridge parse --format` and stored with each result.
    fn name(&self) -> &str;
    fn sniff(&self, path: &Path) -> bool;
    fn parse(&self, path: &Path) -> Result<Parsed, FormatError>;
}

/// The connectors known to this process, tried in order: configured ones first, so a
/// lab's own rule wins over built-in sniffing.
pub struct Registry {
    connectors: Vec<Box<dyn Connector>>,
}

impl Registry {
    /// Every built-in connector, with the default completion rules.
    pub fn builtin() -> Registry {
        Registry::all(&[], &default_completion())
    }

    /// Every connector: run folders and their files, sample sheets, QC exports, VCF.
    pub fn all(delimited: &[DelimitedConfig], rules: &[CompletionRule]) -> Registry {
        let mut r = Registry::qc(delimited);
        r.connectors.extend([
            Box::new(IlluminaRunFolder {
                rules: rules.to_vec(),
            }) as Box<dyn Connector>,
            Box::new(SampleSheetFile),
            Box::new(RunInfoFile),
            Box::new(RunParametersFile),
            Box::new(RunCompletionStatusFile),
            Box::new(super::VcfConnector),
        ]);
        r
    }

    /// The connectors for files dropped in `watch.qc_dir`.
    pub fn qc(delimited: &[DelimitedConfig]) -> Registry {
        let mut connectors: Vec<Box<dyn Connector>> = delimited
            .iter()
            .map(|c| Box::new(DelimitedConnector::new(c.clone())) as Box<dyn Connector>)
            .collect();
        connectors.extend([
            Box::new(QuantStudio) as Box<dyn Connector>,
            Box::new(TapeStation),
            Box::new(FragmentPeaks),
            Box::new(FragmentSmear),
            Box::new(Qubit),
        ]);
        Registry { connectors }
    }

    pub fn names(&self) -> Vec<&str> {
        self.connectors.iter().map(|c| c.name()).collect()
    }

    pub fn get(&self, name: &str) -> Option<&dyn Connector> {
        self.connectors
            .iter()
            .find(|c| c.name() == name)
            .map(|c| c.as_ref())
    }

    pub fn detect(&self, path: &Path) -> Option<&dyn Connector> {
        self.connectors
            .iter()
            .find(|c| c.sniff(path))
            .map(|c| c.as_ref())
    }

    /// Parses with the named connector, or the detected one. The tree gains a top-level
    /// `format` key naming the connector.
    pub fn parse(&self, path: &Path, format: Option<&str>) -> Result<Parsed, FormatError> {
        if !path.exists() {
            return Err(FormatError::new(path, None, "no such file or directory"));
        }
        let c = match format {
            Some(name) => self.get(name).ok_or_else(|| {
                FormatError::new(
                    path,
                    None,
                    format!(
                        "unknown format {name:?}; known: {}",
                        self.names().join(", ")
                    ),
                )
            })?,
            None => self.detect(path).ok_or_else(|| {
                FormatError::new(
                    path,
                    None,
                    format!(
                        "unknown format; use --format with one of: {}",
                        self.names().join(", ")
                    ),
                )
            })?,
        };
        let mut parsed = c.parse(path)?;
        if let Value::Object(m) = &mut parsed.tree {
            m.insert("format".into(), Value::String(c.name().to_string()));
        }
        Ok(parsed)
    }
}
