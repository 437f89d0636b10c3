//! One record → reportable variants, or a rejection with its reason. The checks here are
//! what keep invalid records (empty or `.` REF, multi-base REF lists, symbolic ALTs,
//! uncalled genotypes) out of clinical reports.

use super::{
    annotation::{self, ClinicalSignificance, CsqLayout, TranscriptAnnotation},
    genotype::{Genotype, Zygosity},
};
use noodles_vcf as vcf;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rejection {
    pub line: u64,
    pub reason: String,
}

impl Rejection {
    pub fn new(line: u64, reason: impl Into<String>) -> Self {
        Rejection {
            line,
            reason: reason.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Variant {
    pub line: u64,
    /// As written in the file (`chr5` or `5`).
    pub chrom: String,
    /// 1-based position of the first REF base.
    pub pos: u64,
    /// 1-based position of the last REF base.
    pub end: u64,
    pub ids: Vec<String>,
    pub ref_allele: String,
    pub alt_allele: String,
    /// `PASS`, or the failed filters joined by `;`.
    pub filter: String,
    pub genotype: Option<Genotype>,
    pub zygosity: Option<Zygosity>,
    pub allele_frequency: Option<f64>,
    pub alt_depth: Option<u32>,
    pub clinical_significance: Option<ClinicalSignificance>,
    pub clinvar_condition: Option<String>,
    pub clinvar_review_status: Option<String>,
    /// ClinVar `drug_response` assertions, from CLNDN entries written
    /// `<drug>_response_-_<effect>`.
    pub drug_responses: Vec<annotation::DrugResponse>,
    /// This ALT's index among the record's ALTs, 1-based (as GT counts alleles).
    pub alt_index: usize,
    /// The record's raw ID, INFO, FORMAT and sample columns, shared by its ALTs: what a
    /// mapping's `info.*`, `ann[]`, `csq[]` and `sample.*` paths read.
    #[serde(skip)]
    pub raw: Option<std::sync::Arc<RawColumns>>,
}

/// The columns of one VCF record that mappings read as text: ID, INFO, FORMAT and the
/// sample, kept in one buffer (one allocation per record).
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RawColumns {
    text: String,
    id: std::ops::Range<usize>,
    info: std::ops::Range<usize>,
    format: std::ops::Range<usize>,
    sample: std::ops::Range<usize>,
    /// Where each INFO key and value sits in INFO (byte ranges), found once while
    /// reading, so a mapping never scans the multi-kilobyte ANN value again.
    info_index: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
}

impl RawColumns {
    fn new(id: &str, info: &str, format: &str, sample: &str) -> Self {
        let mut text = String::with_capacity(id.len() + info.len() + format.len() + sample.len());
        let mut push = |s: &str| {
            let start = text.len();
            text.push_str(s);
            start..text.len()
        };
        let (id, info, format, sample) = (push(id), push(info), push(format), push(sample));
        RawColumns {
            text,
            id,
            info,
            format,
            sample,
            info_index: Vec::new(),
        }
    }

    pub fn id(&self) -> &str {
        &self.text[self.id.clone()]
    }
    pub fn info(&self) -> &str {
        &self.text[self.info.clone()]
    }
    pub fn format(&self) -> &str {
        &self.text[self.format.clone()]
    }
    pub fn sample(&self) -> &str {
        &self.text[self.sample.clone()]
    }

    /// INFO as (key, value) pairs, from the index.
    pub fn info_pairs(&self) -> annotation::Info<'_> {
        let info = self.info();
        annotation::Info(
            self.info_index
                .iter()
                .map(|(k, v)| (&info[k.clone()], &info[v.clone()]))
                .collect(),
        )
    }

    /// The first value of INFO `key`, from the index (no list is built).
    pub fn info_get(&self, key: &str) -> Option<&str> {
        let info = self.info();
        self.info_index
            .iter()
            .find(|(k, _)| &info[k.clone()] == key)
            .map(|(_, v)| &info[v.clone()])
    }

    pub fn has_info_index(&self) -> bool {
        !self.info_index.is_empty()
    }
}

impl Variant {
    /// The typed transcript annotation of this ALT: SnpEff's first entry for it, else the
    /// VEP entry `csq` picks. Built on demand: the report mapping reads the record tree,
    /// so only the gene filter of a selection needs this.
    pub fn annotation(&self, csq: Option<&CsqLayout>) -> Option<TranscriptAnnotation> {
        let info = self.raw.as_deref()?.info_pairs();
        let alt = self.alt_allele.as_str();
        info.get("ANN")
            .and_then(|a| annotation::from_ann(a, alt))
            .or_else(|| csq.zip(info.get("CSQ")).and_then(|(l, v)| l.pick(v, alt)))
    }

    /// `5` for `chr5`, `X` for `chrX`, `MT` for `chrM`.
    pub fn chromosome(&self) -> &str {
        let c = self.chrom.strip_prefix("chr").unwrap_or(&self.chrom);
        if c == "M" {
            "MT"
        } else {
            c
        }
    }
}

fn valid_bases(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| matches!(b.to_ascii_uppercase(), b'A' | b'C' | b'G' | b'T' | b'N'))
}

pub(super) fn from_record(
    header: &vcf::Header,
    line: u64,
    text: &str,
    record: &vcf::Record,
) -> super::VcfItem {
    use super::VcfItem::{Rejected, Variants};
    let reject = |reason: String| Rejected(Rejection::new(line, reason));
    let _ = header;
    let cols = annotation::fields(text, b'\t', 10);
    if cols.len() < 8 {
        return reject(format!(
            "only {} tab-separated columns; a VCF record has at least 8",
            cols.len()
        ));
    }
    let pos = match record.variant_start() {
        Some(Ok(p)) => usize::from(p) as u64,
        Some(Err(e)) => return reject(format!("POS: {e}")),
        None => return reject("POS is missing".into()),
    };
    let ref_allele = record.reference_bases();
    if !valid_bases(ref_allele) {
        return reject(format!(
            "REF {ref_allele:?} is not a reference allele (one run of A, C, G, T, N)"
        ));
    }
    let alts: Vec<&str> = cols[4].split(',').collect();
    if alts == ["."] {
        return Variants(Vec::new());
    }
    for a in &alts {
        if a.starts_with('<') || a.contains('[') || a.contains(']') {
            return reject(format!(
                "ALT {a:?} is symbolic or a breakend; reports take sequence alleles only"
            ));
        }
        if *a != "*" && !valid_bases(a) {
            return reject(format!("ALT {a:?} is not a sequence allele"));
        }
    }
    let filter = cols[6].to_string();
    let info = cols[7];
    let genotype = if cols.len() >= 10 {
        Genotype::from_columns(cols[8], cols[9])
    } else {
        None
    };
    if cols.len() >= 10 && genotype.is_none() {
        return reject("the sample has no GT: a report needs a called genotype".into());
    }
    if let Some(g) = &genotype {
        if g.is_no_call() {
            return reject(format!("genotype {} is not called", g.gt));
        }
    }
    // One pass over INFO: its ANN value alone can run to kilobytes, too long to rescan
    // once per key.
    let info = annotation::Info::parse(info);
    let clnsig = info
        .get("CLNSIG")
        .and_then(ClinicalSignificance::from_clinvar);
    let clndn = info
        .get("CLNDN")
        .map(|v| annotation::decode_info(v).replace('_', " "));
    let drug_responses = annotation::drug_responses(
        info.get("CLNSIG").unwrap_or_default(),
        info.get("CLNDN").unwrap_or_default(),
    );
    let clnrev = info
        .get("CLNREVSTAT")
        .map(|v| annotation::decode_info(v).replace('_', " "));
    let ids: Vec<String> = if cols[2] == "." {
        Vec::new()
    } else {
        cols[2].split(';').map(str::to_string).collect()
    };
    let end = pos + ref_allele.len() as u64 - 1;
    let base = cols[7].as_ptr() as usize;
    let at = |s: &str| {
        let start = s.as_ptr() as usize - base;
        start..start + s.len()
    };
    let mut raw = RawColumns::new(
        cols[2],
        cols[7],
        cols.get(8).copied().unwrap_or_default(),
        cols.get(9).copied().unwrap_or_default(),
    );
    // A flag's empty value is not a slice of the column: it sits at the key's end.
    raw.info_index = info
        .0
        .iter()
        .map(|(k, v)| {
            let key = at(k);
            let value = if v.is_empty() {
                key.end..key.end
            } else {
                at(v)
            };
            (key, value)
        })
        .collect();
    let raw = std::sync::Arc::new(raw);
    let mut out = Vec::new();
    for (i, alt) in alts.iter().enumerate() {
        let allele_index = i + 1;
        if *alt == "*" {
            continue;
        }
        let zygosity = genotype.as_ref().and_then(|g| g.zygosity_of(allele_index));
        if genotype.is_some() && zygosity.is_none() {
            continue; // This sample does not carry this allele.
        }
        out.push(super::Variant {
            line,
            chrom: cols[0].to_string(),
            pos,
            end,
            ids: ids.clone(),
            ref_allele: ref_allele.to_ascii_uppercase(),
            alt_allele: alt.to_ascii_uppercase(),
            filter: filter.clone(),
            zygosity,
            allele_frequency: genotype
                .as_ref()
                .and_then(|g| g.allele_frequency(allele_index)),
            alt_depth: genotype.as_ref().and_then(|g| g.alt_depth(allele_index)),
            genotype: genotype.clone(),
            clinical_significance: clnsig,
            clinvar_condition: clndn.clone(),
            clinvar_review_status: clnrev.clone(),
            drug_responses: drug_responses.clone(),
            alt_index: allele_index,
            raw: Some(raw.clone()),
        });
    }
    Variants(out)
}
