//! The per-variant record tree: what a report mapping reads, one variant at a time.
//!
//! | path | what |
//! |---|---|
//! | `variant.chrom`, `variant.chromosome` | as written (`chr5`), and bare (`5`, `X`, `MT`) |
//! | `variant.pos`, `variant.end` | 1-based first and last REF base |
//! | `variant.ref`, `variant.alt`, `variant.alt_index` | this ALT allele (1-based index) |
//! | `variant.id`, `variant.filter`, `variant.line` | the ID and FILTER columns, the line |
//! | `info.<KEY>` | any INFO value, as written |
//! | `ann[].<field>` | SnpEff ANN: `allele`, `annotation`, `annotation_impact`, `gene_name`, `gene_id`, `feature_type`, `feature_id`, `transcript_biotype`, `rank`, `hgvs_c`, `hgvs_p`, `cdna_pos`, `cds_pos`, `aa_pos`, `distance`, `errors` |
//! | `csq[].<FIELD>` | VEP CSQ, by the names in the file's header (`SYMBOL`, `HGVSc`, `HGNC_ID`, …) |
//! | `clinvar.<KEY>` | ClinVar's INFO keys (`CLNSIG`, `CLNDN`, `CLNREVSTAT`, `ALLELEID`, …) |
//! | `sample.<KEY>` | the reported sample's FORMAT values (`GT`, `AD`, `DP`, `AF`, …) |
//! | `report.assembly`, `report.genomic_source`, `report.sample_id` | the report's facts |
//!
//! `ann[]` and `csq[]` are the entries for this ALT allele, and `[]` is the one entry the
//! mapping's `[transcript]` choice picks (`ann[2]` names another); a variant reads from
//! one annotator only, so its fields never mix transcripts. Values are percent-decoded
//! (VCF 4.3 §1.2). Nothing is copied for a path that is never read.

use super::{
    annotation::{decode_info, fields, CsqLayout, Info},
    Assembly, Variant,
};
use crate::mapping::{AnnPick, AnnotationSource, CsqPick, TranscriptChoice};
use serde_json::{Map, Value};
use std::{borrow::Cow, cell::OnceCell};

/// SnpEff's ANN fields, in order (SnpEff's "ANN field specification" v1.0).
pub const ANN_FIELDS: [&str; 16] = [
    "allele",
    "annotation",
    "annotation_impact",
    "gene_name",
    "gene_id",
    "feature_type",
    "feature_id",
    "transcript_biotype",
    "rank",
    "hgvs_c",
    "hgvs_p",
    "cdna_pos",
    "cds_pos",
    "aa_pos",
    "distance",
    "errors",
];

/// A source path compiled once, for the per-variant tree.
#[derive(Clone, Debug, PartialEq)]
pub enum Accessor {
    Chrom,
    Chromosome,
    Pos,
    End,
    Ref,
    Alt,
    AltIndex,
    Id,
    Filter,
    Line,
    Info(String),
    /// The chosen entry (None) or the Nth, and the field's index.
    Ann(Option<usize>, usize),
    Csq(Option<usize>, String),
    Clinvar(String),
    Sample(String),
    Assembly,
    GenomicSource,
    SampleId,
}

fn key_ok(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// `ann[]` → None, `ann[2]` → Some(2).
fn list_index(head: &str, name: &str) -> Result<Option<Option<usize>>, String> {
    let Some(rest) = head.strip_prefix(name) else {
        return Ok(None);
    };
    let Some(inner) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) else {
        return Err(format!("{name} is a list: write {name}[].<field>"));
    };
    if inner.is_empty() {
        return Ok(Some(None));
    }
    inner
        .parse()
        .map(|n| Some(Some(n)))
        .map_err(|_| format!("{name}[{inner}]: an index is a whole number"))
}

/// Compiles a path, or says why it names nothing in the per-variant tree.
pub fn accessor(path: &str) -> Result<Accessor, String> {
    let (head, field) = path
        .split_once('.')
        .ok_or_else(|| format!("unknown source path {path:?}: a path is <group>.<field> (variant.ref, info.DP, ann[].gene_name, …)"))?;
    if let Some(i) = list_index(head, "ann")? {
        let f = ANN_FIELDS.iter().position(|n| *n == field).ok_or_else(|| {
            format!(
                "unknown ANN field {field:?} (SnpEff's are {})",
                ANN_FIELDS.join(", ")
            )
        })?;
        return Ok(Accessor::Ann(i, f));
    }
    if let Some(i) = list_index(head, "csq")? {
        if !key_ok(field) {
            return Err(format!("{field:?} is not a CSQ field name"));
        }
        return Ok(Accessor::Csq(i, field.to_string()));
    }
    let keyed = |f: fn(String) -> Accessor| {
        if key_ok(field) {
            Ok(f(field.to_string()))
        } else {
            Err(format!("{field:?} is not a key"))
        }
    };
    Ok(match (head, field) {
        ("variant", "chrom") => Accessor::Chrom,
        ("variant", "chromosome") => Accessor::Chromosome,
        ("variant", "pos") => Accessor::Pos,
        ("variant", "end") => Accessor::End,
        ("variant", "ref") => Accessor::Ref,
        ("variant", "alt") => Accessor::Alt,
        ("variant", "alt_index") => Accessor::AltIndex,
        ("variant", "id") => Accessor::Id,
        ("variant", "filter") => Accessor::Filter,
        ("variant", "line") => Accessor::Line,
        ("variant", other) => {
            return Err(format!(
                "unknown field variant.{other} (variant has chrom, chromosome, pos, end, ref, alt, alt_index, id, filter, line)"
            ))
        }
        ("info", _) => keyed(Accessor::Info)?,
        ("clinvar", _) => keyed(Accessor::Clinvar)?,
        ("sample", _) => keyed(Accessor::Sample)?,
        ("report", "assembly") => Accessor::Assembly,
        ("report", "genomic_source") => Accessor::GenomicSource,
        ("report", "sample_id") => Accessor::SampleId,
        ("report", other) => {
            return Err(format!(
                "unknown field report.{other} (report has assembly, genomic_source, sample_id)"
            ))
        }
        _ => {
            return Err(format!(
                "unknown source path {path:?}: groups are variant, info, ann[], csq[], clinvar, sample, report"
            ))
        }
    })
}

pub fn check_path(path: &str) -> Result<(), String> {
    accessor(path).map(|_| ())
}

/// What a report knows besides the variant.
#[derive(Clone, Copy, Debug)]
pub struct ReportFacts<'a> {
    pub assembly: Assembly,
    pub somatic: bool,
    pub sample_id: &'a str,
    pub csq: Option<&'a CsqLayout>,
}

/// An annotator and its entries for one ALT allele, each split into fields.
type Entries<'a> = (AnnotationSource, Vec<Vec<&'a str>>);

/// One variant, seen as its tree. Parses INFO, the chosen annotation entry and the sample
/// column at most once each, on first use.
pub struct VariantView<'a> {
    pub v: &'a Variant,
    facts: ReportFacts<'a>,
    choice: &'a TranscriptChoice,
    info: OnceCell<Info<'a>>,
    /// The annotator whose entries this variant reads, and its entries for this ALT.
    entries: OnceCell<Option<Entries<'a>>>,
    chosen: OnceCell<Option<(AnnotationSource, Vec<&'a str>)>>,
    sample: OnceCell<Vec<(&'a str, &'a str)>>,
}

impl<'a> VariantView<'a> {
    pub fn new(v: &'a Variant, facts: ReportFacts<'a>, choice: &'a TranscriptChoice) -> Self {
        VariantView {
            v,
            facts,
            choice,
            info: OnceCell::new(),
            entries: OnceCell::new(),
            chosen: OnceCell::new(),
            sample: OnceCell::new(),
        }
    }

    pub fn facts(&self) -> &ReportFacts<'a> {
        &self.facts
    }

    fn raw_info(&self) -> &'a str {
        self.v.raw.as_deref().map(|r| r.info()).unwrap_or("")
    }

    fn info(&self) -> &Info<'a> {
        self.info.get_or_init(|| match self.v.raw.as_deref() {
            Some(r) if r.has_info_index() || r.info().is_empty() => r.info_pairs(),
            _ => Info::parse(self.raw_info()),
        })
    }

    /// The first value of INFO `key`: read from the record's index when it has one,
    /// without building the list of pairs.
    fn info_get(&self, key: &str) -> Option<&'a str> {
        match self.v.raw.as_deref() {
            Some(r) if r.has_info_index() => r.info_get(key),
            _ => self.info().get(key),
        }
    }

    fn sample(&self) -> &[(&'a str, &'a str)] {
        self.sample.get_or_init(|| match self.v.raw.as_deref() {
            Some(r) if !r.format().is_empty() => {
                let mut pairs = Vec::with_capacity(12);
                pairs.extend(r.format().split(':').zip(r.sample().split(':')));
                pairs
            }
            _ => Vec::new(),
        })
    }

    /// Every entry of `source` for this ALT allele, split into fields.
    fn entries_of(&self, source: AnnotationSource) -> Vec<Vec<&'a str>> {
        let alt = self.v.alt_allele.as_str();
        match source {
            AnnotationSource::Ann => {
                let Some(ann) = self.info_get("ANN") else {
                    return Vec::new();
                };
                ann.split(',')
                    .map(|e| fields(e, b'|', ANN_FIELDS.len()))
                    .filter(|f| f.len() >= 11 && f[0].eq_ignore_ascii_case(alt))
                    .collect()
            }
            AnnotationSource::Csq => {
                let (Some(layout), Some(csq)) = (self.facts.csq, self.info_get("CSQ")) else {
                    return Vec::new();
                };
                let Some(allele) = layout.index("Allele") else {
                    return Vec::new();
                };
                csq.split(',')
                    .map(|e| fields(e, b'|', layout.fields().len()))
                    .filter(|f| {
                        f.get(allele).is_some_and(|a| {
                            a.eq_ignore_ascii_case(alt)
                                || (!a.is_empty() && alt.ends_with(a))
                                || (*a == "-" && alt.len() == 1)
                        })
                    })
                    .collect()
            }
        }
    }

    /// The annotator this variant reads and all its entries for this ALT (for `[N]`
    /// paths and the JSON tree).
    fn entries(&self) -> Option<&Entries<'a>> {
        self.entries
            .get_or_init(|| {
                let (source, _) = self.chosen()?;
                Some((*source, self.entries_of(*source)))
            })
            .as_ref()
    }

    /// The annotator this variant reads, and its chosen entry: the first source of the
    /// mapping's list with an entry for this ALT. SnpEff's first entry is found without
    /// splitting the others.
    fn chosen(&self) -> Option<&(AnnotationSource, Vec<&'a str>)> {
        self.chosen
            .get_or_init(|| {
                self.choice.sources.iter().find_map(|s| {
                    let entry = match (s, self.choice.ann) {
                        (AnnotationSource::Ann, AnnPick::First) => {
                            let alt = self.v.alt_allele.as_str();
                            self.info_get("ANN").and_then(|ann| {
                                ann.split(',').find_map(|e| {
                                    let (allele, _) = e.split_once('|')?;
                                    if !allele.eq_ignore_ascii_case(alt) {
                                        return None;
                                    }
                                    let f = fields(e, b'|', ANN_FIELDS.len());
                                    (f.len() >= 11).then_some(f)
                                })
                            })
                        }
                        _ => {
                            let all = self.entries_of(*s);
                            let i = match s {
                                AnnotationSource::Ann => pick_ann(&all, self.choice.ann),
                                AnnotationSource::Csq => {
                                    pick_csq(&all, self.choice.csq, self.facts.csq?)
                                }
                            };
                            all.into_iter().nth(i)
                        }
                    };
                    entry.map(|e| (*s, e))
                })
            })
            .as_ref()
    }

    /// The chosen entry of `source` (or its `nth`), when `source` is this variant's
    /// annotator.
    fn entry(&self, source: AnnotationSource, nth: Option<usize>) -> Option<&[&'a str]> {
        let (s, chosen) = self.chosen()?;
        if *s != source {
            return None;
        }
        match nth {
            None => Some(chosen.as_slice()),
            Some(n) => self.entries()?.1.get(n).map(Vec::as_slice),
        }
    }

    /// A position read without formatting it as text: `variant.pos` and `variant.end`.
    pub fn position(&self, a: &Accessor) -> Option<u64> {
        match a {
            Accessor::Pos => Some(self.v.pos),
            Accessor::End => Some(self.v.end),
            _ => None,
        }
    }

    /// The value at `a`, or `None` when absent, empty or `.`.
    pub fn get(&self, a: &Accessor) -> Option<Cow<'a, str>> {
        let v = self.v;
        let text = |s: &'a str| -> Option<Cow<'a, str>> {
            (!s.is_empty() && s != ".").then(|| {
                if s.contains('%') {
                    Cow::Owned(decode_info(s))
                } else {
                    Cow::Borrowed(s)
                }
            })
        };
        match a {
            Accessor::Chrom => text(&v.chrom),
            Accessor::Chromosome => Some(Cow::Borrowed(v.chromosome())),
            Accessor::Pos => Some(Cow::Owned(v.pos.to_string())),
            Accessor::End => Some(Cow::Owned(v.end.to_string())),
            Accessor::Ref => text(&v.ref_allele),
            Accessor::Alt => text(&v.alt_allele),
            Accessor::AltIndex => Some(Cow::Owned(v.alt_index.to_string())),
            Accessor::Id => v.raw.as_deref().and_then(|r| text(r.id())),
            Accessor::Filter => text(&v.filter),
            Accessor::Line => Some(Cow::Owned(v.line.to_string())),
            Accessor::Info(k) | Accessor::Clinvar(k) => self.info_get(k).and_then(text),
            Accessor::Ann(nth, f) => self
                .entry(AnnotationSource::Ann, *nth)
                .and_then(|e| e.get(*f).copied())
                .and_then(text),
            Accessor::Csq(nth, name) => {
                let i = self.facts.csq?.index(name)?;
                self.entry(AnnotationSource::Csq, *nth)
                    .and_then(|e| e.get(i).copied())
                    .and_then(text)
            }
            Accessor::Sample(k) => self
                .sample()
                .iter()
                .find(|(key, _)| key == k)
                .and_then(|(_, val)| text(val)),
            Accessor::Assembly => Some(Cow::Borrowed(self.facts.assembly.name())),
            Accessor::GenomicSource => Some(Cow::Borrowed(if self.facts.somatic {
                "somatic"
            } else {
                "germline"
            })),
            Accessor::SampleId => text(self.facts.sample_id),
        }
    }

    /// The whole tree, as JSON: what `parse` and the editor show.
    pub fn to_json(&self) -> Value {
        let mut root = Map::new();
        let v = self.v;
        let mut variant = Map::new();
        variant.insert("chrom".into(), v.chrom.clone().into());
        variant.insert("chromosome".into(), v.chromosome().into());
        variant.insert("pos".into(), v.pos.into());
        variant.insert("end".into(), v.end.into());
        variant.insert("ref".into(), v.ref_allele.clone().into());
        variant.insert("alt".into(), v.alt_allele.clone().into());
        variant.insert("alt_index".into(), v.alt_index.into());
        if let Some(id) = self.get(&Accessor::Id) {
            variant.insert("id".into(), id.into_owned().into());
        }
        variant.insert("filter".into(), v.filter.clone().into());
        variant.insert("line".into(), v.line.into());
        root.insert("variant".into(), Value::Object(variant));
        let mut info = Map::new();
        let mut clinvar = Map::new();
        for (k, val) in &self.info().0 {
            if k.is_empty() || *k == "ANN" || *k == "CSQ" {
                continue;
            }
            let value = if val.is_empty() {
                Value::Bool(true)
            } else {
                Value::String(decode_info(val))
            };
            if is_clinvar_key(k) {
                clinvar.insert((*k).to_string(), value.clone());
            }
            info.insert((*k).to_string(), value);
        }
        root.insert("info".into(), Value::Object(info));
        if let Some((source, entries)) = self.entries() {
            let names: Vec<String> = match source {
                AnnotationSource::Ann => ANN_FIELDS.iter().map(|s| s.to_string()).collect(),
                AnnotationSource::Csq => self
                    .facts
                    .csq
                    .map(|l| l.fields().to_vec())
                    .unwrap_or_default(),
            };
            let chosen = self.entry(*source, None);
            let mut list = Vec::new();
            // The chosen entry first: `[]` reads it.
            let ordered = chosen.into_iter().chain(
                entries
                    .iter()
                    .map(Vec::as_slice)
                    .filter(|e| Some(*e) != chosen),
            );
            for e in ordered {
                let mut m = Map::new();
                for (n, val) in names.iter().zip(e.iter()) {
                    if !val.is_empty() {
                        m.insert(n.clone(), decode_info(val).into());
                    }
                }
                list.push(Value::Object(m));
            }
            let key = match source {
                AnnotationSource::Ann => "ann",
                AnnotationSource::Csq => "csq",
            };
            root.insert(key.into(), Value::Array(list));
        }
        if !clinvar.is_empty() {
            root.insert("clinvar".into(), Value::Object(clinvar));
        }
        let mut sample = Map::new();
        for (k, val) in self.sample() {
            sample.insert((*k).to_string(), (*val).into());
        }
        root.insert("sample".into(), Value::Object(sample));
        let mut report = Map::new();
        report.insert("assembly".into(), self.facts.assembly.name().into());
        report.insert(
            "genomic_source".into(),
            if self.facts.somatic {
                "somatic"
            } else {
                "germline"
            }
            .into(),
        );
        report.insert("sample_id".into(), self.facts.sample_id.into());
        root.insert("report".into(), Value::Object(report));
        Value::Object(root)
    }
}

/// INFO keys that ClinVar's VCF defines.
pub fn is_clinvar_key(k: &str) -> bool {
    k.starts_with("CLN")
        || matches!(
            k,
            "ALLELEID" | "GENEINFO" | "MC" | "ORIGIN" | "RS" | "AF_ESP" | "AF_EXAC" | "AF_TGP"
        )
}

fn impact_rank(s: &str) -> u8 {
    match s {
        "HIGH" => 4,
        "MODERATE" => 3,
        "LOW" => 2,
        "MODIFIER" => 1,
        _ => 0,
    }
}

fn pick_ann(entries: &[Vec<&str>], pick: AnnPick) -> usize {
    match pick {
        AnnPick::First => 0,
        AnnPick::HighestImpact => {
            best(entries.iter().map(|e| impact_rank(e.get(2).unwrap_or(&""))))
        }
    }
}

fn pick_csq(entries: &[Vec<&str>], pick: CsqPick, layout: &CsqLayout) -> usize {
    let flag = |name: &str, want: Option<&str>| {
        layout.index(name).and_then(|i| {
            entries.iter().position(|e| {
                e.get(i)
                    .is_some_and(|v| !v.is_empty() && want.is_none_or(|w| *v == w))
            })
        })
    };
    match pick {
        CsqPick::ManeSelect => flag("MANE_SELECT", None)
            .or_else(|| flag("CANONICAL", Some("YES")))
            .unwrap_or(0),
        CsqPick::Canonical => flag("CANONICAL", Some("YES")).unwrap_or(0),
        CsqPick::First => 0,
        CsqPick::HighestImpact => match layout.index("IMPACT") {
            Some(i) => best(entries.iter().map(|e| impact_rank(e.get(i).unwrap_or(&"")))),
            None => 0,
        },
    }
}

/// The index of the first maximum.
fn best(ranks: impl Iterator<Item = u8>) -> usize {
    let mut top = (0, 0u8);
    for (i, r) in ranks.enumerate() {
        if r > top.1 {
            top = (i, r);
        }
    }
    top.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_compile_or_say_why_not() {
        assert_eq!(accessor("variant.ref").unwrap(), Accessor::Ref);
        assert_eq!(accessor("ann[].gene_name").unwrap(), Accessor::Ann(None, 3));
        assert_eq!(
            accessor("ann[1].hgvs_c").unwrap(),
            Accessor::Ann(Some(1), 9)
        );
        assert_eq!(
            accessor("csq[].SYMBOL").unwrap(),
            Accessor::Csq(None, "SYMBOL".into())
        );
        assert_eq!(accessor("info.DP").unwrap(), Accessor::Info("DP".into()));
        assert!(accessor("ann[].gene")
            .unwrap_err()
            .contains("unknown ANN field"));
        assert!(accessor("ann.gene_name").unwrap_err().contains("is a list"));
        assert!(accessor("variant.reff")
            .unwrap_err()
            .contains("variant.reff"));
        assert!(accessor("samples.GT").unwrap_err().contains("groups are"));
    }
}
