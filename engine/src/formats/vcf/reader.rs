//! The streaming reader. Lines are read one at a time (through noodles-bgzf for .gz) and
//! each is parsed by noodles-vcf on its own, so one bad record is rejected with its line
//! number and reading goes on; noodles' own reader would stop at the first error.

use super::{annotation::CsqLayout, variant, Rejection, Variant};
use crate::formats::FormatError;
use noodles_vcf as vcf;
use serde::Serialize;
use std::{
    fs::File,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Assembly {
    GRCh37,
    GRCh38,
}

impl std::str::FromStr for Assembly {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "GRCh37" => Ok(Assembly::GRCh37),
            "GRCh38" => Ok(Assembly::GRCh38),
            other => Err(format!("{other:?} is not GRCh37 or GRCh38")),
        }
    }
}

impl Assembly {
    pub fn name(self) -> &'static str {
        match self {
            Assembly::GRCh37 => "GRCh37",
            Assembly::GRCh38 => "GRCh38",
        }
    }
}

/// One data line's outcome.
#[derive(Debug)]
pub enum VcfItem {
    /// Zero or more reportable variants (one per called ALT allele).
    Variants(Vec<Variant>),
    Rejected(Rejection),
}

pub struct VcfReader {
    path: PathBuf,
    input: Box<dyn BufRead + Send>,
    header: vcf::Header,
    warnings: Vec<String>,
    csq: Option<CsqLayout>,
    assembly: Option<Assembly>,
    samples: Vec<String>,
    line_no: u64,
    buf: String,
}

impl VcfReader {
    pub fn open(path: &Path) -> Result<Self, FormatError> {
        let file = File::open(path)
            .map_err(|e| FormatError::new(path, None, format!("cannot open: {e}")))?;
        let name = path.to_string_lossy().to_ascii_lowercase();
        let input: Box<dyn BufRead + Send> = if name.ends_with(".gz") || name.ends_with(".bgz") {
            Box::new(noodles_bgzf::io::Reader::new(file))
        } else {
            Box::new(BufReader::with_capacity(256 * 1024, file))
        };
        Self::from_reader(path, input)
    }

    pub fn from_reader(
        path: &Path,
        mut input: Box<dyn BufRead + Send>,
    ) -> Result<Self, FormatError> {
        let mut parser = vcf::header::Parser::default();
        let mut warnings = Vec::new();
        let mut line = String::new();
        let mut line_no = 0u64;
        let mut info_lines = Vec::new();
        let mut reference_hint = String::new();
        let mut chr1_length = None;
        loop {
            line.clear();
            let n = input.read_line(&mut line).map_err(|e| {
                FormatError::new(
                    path,
                    Some(format!("line {}", line_no + 1)),
                    format!("cannot read: {e}"),
                )
            })?;
            if n == 0 {
                let reason = if line_no == 0 {
                    "empty file"
                } else {
                    "the header ends before the #CHROM line (truncated?)"
                };
                return Err(FormatError::new(
                    path,
                    Some(format!("line {}", line_no + 1)),
                    reason,
                ));
            }
            line_no += 1;
            let text = line.trim_end_matches(['\n', '\r']);
            if line_no == 1 && !text.starts_with("##fileformat=VCF") {
                return Err(FormatError::new(
                    path,
                    Some("line 1".into()),
                    "not a VCF: the first line must be ##fileformat=VCFv4.x",
                ));
            }
            if text.starts_with("##INFO=<ID=CSQ") {
                info_lines.push(text.to_string());
            }
            if text.starts_with("##reference=") {
                reference_hint = text.to_ascii_lowercase();
            }
            if text.starts_with("##contig=<ID=chr1,") || text.starts_with("##contig=<ID=1,") {
                chr1_length = text
                    .split("length=")
                    .nth(1)
                    .and_then(|s| s.trim_end_matches('>').split([',', '>']).next())
                    .and_then(|s| s.parse::<u64>().ok());
            }
            match parser.parse_partial(text.as_bytes()) {
                Ok(vcf::header::parser::Entry::Header) => break,
                Ok(_) => {}
                Err(e) => {
                    let msg = e.to_string();
                    if msg.starts_with("duplicate") && !msg.contains("sample") {
                        // A repeated definition is kept once (the first), so one header slip
                        // in a pipeline does not stop a clinical report.
                        warnings.push(format!("line {line_no}: {msg}; kept the first definition"));
                    } else {
                        return Err(FormatError::new(
                            path,
                            Some(format!("line {line_no}")),
                            format!("bad header line: {msg}"),
                        ));
                    }
                }
            }
        }
        let header = parser.finish().map_err(|e| {
            FormatError::new(
                path,
                Some(format!("line {line_no}")),
                format!("bad header: {e}"),
            )
        })?;
        let assembly = if reference_hint.contains("38") {
            Some(Assembly::GRCh38)
        } else if reference_hint.contains("37") || reference_hint.contains("19") {
            Some(Assembly::GRCh37)
        } else {
            match chr1_length {
                Some(248_956_422) => Some(Assembly::GRCh38),
                Some(249_250_621) => Some(Assembly::GRCh37),
                _ => None,
            }
        };
        let csq = info_lines
            .iter()
            .find_map(|l| CsqLayout::from_header_line(l));
        let samples = header.sample_names().iter().cloned().collect();
        Ok(VcfReader {
            path: path.to_path_buf(),
            input,
            header,
            warnings,
            csq,
            assembly,
            samples,
            line_no,
            buf: String::new(),
        })
    }

    pub fn sample_names(&self) -> &[String] {
        &self.samples
    }

    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    pub fn assembly(&self) -> Option<Assembly> {
        self.assembly
    }

    /// VEP's CSQ field layout, from the header.
    pub fn csq_layout(&self) -> Option<&CsqLayout> {
        self.csq.as_ref()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next data line, or `None` at the end. An `Err` means the file as a whole is
    /// unreadable from here (I/O or compression failure); bad records come back as
    /// `VcfItem::Rejected`.
    pub fn next_item(&mut self) -> Result<Option<VcfItem>, FormatError> {
        loop {
            self.buf.clear();
            let n = self.input.read_line(&mut self.buf).map_err(|e| {
                FormatError::new(
                    &self.path,
                    Some(format!("line {}", self.line_no + 1)),
                    format!("cannot read: {e}"),
                )
            })?;
            if n == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            let text = self.buf.trim_end_matches(['\n', '\r']);
            if text.is_empty() {
                continue;
            }
            let line = self.line_no;
            let record = match vcf::Record::try_from(text.as_bytes()) {
                Ok(r) => r,
                Err(e) => {
                    return Ok(Some(VcfItem::Rejected(Rejection::new(
                        line,
                        format!("not a valid VCF record: {e}"),
                    ))))
                }
            };
            return Ok(Some(variant::from_record(
                &self.header,
                line,
                text,
                &record,
            )));
        }
    }
}
