//! Annotations carried in INFO: SnpEff `ANN`, VEP `CSQ` (layout read from the header) and
//! ClinVar `CLNSIG` / `CLNDN` / `CLNREVSTAT`.

use serde::Serialize;

/// The transcript-level facts a report needs, from whichever annotator wrote them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TranscriptAnnotation {
    pub gene_symbol: Option<String>,
    /// `HGNC:583`, where the annotator gives it (VEP's HGNC_ID).
    pub hgnc_id: Option<String>,
    pub transcript: Option<String>,
    pub c_hgvs: Option<String>,
    pub p_hgvs: Option<String>,
    pub consequence: Option<String>,
    pub source: &'static str,
}

impl TranscriptAnnotation {
    /// c.HGVS qualified by its transcript (`ENST…:c.5465T>A`), as both messages carry it.
    pub fn full_c_hgvs(&self) -> Option<String> {
        let c = self.c_hgvs.as_ref()?;
        Some(match &self.transcript {
            Some(t) => format!("{t}:{c}"),
            None => c.clone(),
        })
    }

    /// Ensembl transcripts start `ENST`; anything else is taken as RefSeq.
    pub fn transcript_is_ensembl(&self) -> bool {
        self.transcript
            .as_deref()
            .is_some_and(|t| t.starts_with("ENST"))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClinicalSignificance {
    Pathogenic,
    LikelyPathogenic,
    UncertainSignificance,
    LikelyBenign,
    Benign,
}

impl ClinicalSignificance {
    /// ClinVar's CLNSIG spelling (`Likely_pathogenic`, `Benign/Likely_benign`…). Combined
    /// classes take the more severe half; conflicting or other classes give `None`.
    pub fn from_clinvar(value: &str) -> Option<Self> {
        let v = value.to_ascii_lowercase().replace(' ', "_");
        let first = v.split(['|', ',']).next().unwrap_or_default();
        Some(match first {
            "pathogenic" | "pathogenic/likely_pathogenic" => Self::Pathogenic,
            "likely_pathogenic" => Self::LikelyPathogenic,
            "uncertain_significance" => Self::UncertainSignificance,
            "likely_benign" => Self::LikelyBenign,
            "benign" | "benign/likely_benign" => Self::Benign,
            _ => return None,
        })
    }

    pub fn is_pathogenic(self) -> bool {
        matches!(self, Self::Pathogenic | Self::LikelyPathogenic)
    }
}

/// One ClinVar pharmacogenomic assertion.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DrugResponse {
    /// As ClinVar names it, e.g. `halothane`.
    pub drug: String,
    /// e.g. `Toxicity/ADR`.
    pub effect: String,
    /// RxNorm RxCUI, from the lab's medication table (`selection.rxnorm_table`): ClinVar
    /// names drugs but does not code them.
    pub rxnorm: Option<String>,
}

/// ClinVar marks pharmacogenomic assertions `CLNSIG=drug_response` and names them in
/// CLNDN as `halothane_response_-_Toxicity/ADR`.
pub fn drug_responses(clnsig: &str, clndn: &str) -> Vec<DrugResponse> {
    // Most records have no such assertion: look without allocating a lowercase copy.
    const NEEDLE: &[u8] = b"drug_response";
    if !clnsig
        .as_bytes()
        .windows(NEEDLE.len())
        .any(|w| w.eq_ignore_ascii_case(NEEDLE))
    {
        return Vec::new();
    }
    decode_info(clndn)
        .split('|')
        .filter_map(|d| {
            let (drug, effect) = d.split_once("_response_-_")?;
            Some(DrugResponse {
                drug: drug.replace('_', " "),
                effect: effect.replace('_', " "),
                rxnorm: None,
            })
        })
        .collect()
}

/// VCF 4.3 percent-encoding of INFO values (`%3B` for `;` and so on).
pub fn decode_info(value: &str) -> String {
    if !value.contains('%') {
        return value.to_string();
    }
    value
        .replace("%3A", ":")
        .replace("%3B", ";")
        .replace("%3D", "=")
        .replace("%2C", ",")
        .replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%09", "\t")
        .replace("%25", "%")
}

/// The pieces of `s` between each `sep`, found with memchr: VCF lines are split this way
/// hundreds of thousands of times, where searching one separator at a time showed in
/// the profile.
fn cuts(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut start = 0;
    // `sep` is ASCII, so every cut falls on a character boundary.
    memchr::memchr_iter(sep, s.as_bytes())
        .chain(std::iter::once(s.len()))
        .map(move |end| {
            let piece = &s[start..end];
            start = end + 1;
            piece
        })
}

/// `s` split at every `sep`, into a list made `capacity` long up front (growing it
/// showed in the profile too).
pub fn fields(s: &str, sep: u8, capacity: usize) -> Vec<&str> {
    let mut out = Vec::with_capacity(capacity);
    out.extend(cuts(s, sep));
    out
}

/// A raw INFO column split once into (key, value) pairs; flags have an empty value.
pub struct Info<'a>(pub Vec<(&'a str, &'a str)>);

impl<'a> Info<'a> {
    pub fn parse(info: &'a str) -> Self {
        let mut pairs = Vec::with_capacity(32);
        pairs.extend(cuts(info, b';').map(|kv| kv.split_once('=').unwrap_or((kv, ""))));
        Info(pairs)
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| decode_info(s))
}

/// SnpEff ANN: `Allele|Annotation|Impact|Gene_Name|Gene_ID|Feature_Type|Feature_ID|
/// Transcript_BioType|Rank|HGVS.c|HGVS.p|…`. SnpEff sorts entries by impact, so the first
/// entry for this allele is the one to report.
pub fn from_ann(ann: &str, alt: &str) -> Option<TranscriptAnnotation> {
    ann.split(',').find_map(|entry| {
        let f: Vec<&str> = entry.split('|').collect();
        if f.len() < 11 || f[0] != alt {
            return None;
        }
        Some(TranscriptAnnotation {
            gene_symbol: non_empty(f[3]),
            hgnc_id: None,
            transcript: non_empty(f[6]),
            c_hgvs: non_empty(f[9]),
            p_hgvs: non_empty(f[10]),
            consequence: non_empty(f[1]),
            source: "SnpEff ANN",
        })
    })
}

/// Where each VEP CSQ field sits, from `##INFO=<ID=CSQ,…,Description="… Format: A|B|…">`.
#[derive(Clone, Debug)]
pub struct CsqLayout {
    fields: Vec<String>,
}

impl CsqLayout {
    pub fn from_header_line(line: &str) -> Option<Self> {
        let start = line.find("Format: ")? + "Format: ".len();
        let rest = &line[start..];
        let end = rest.find('"').unwrap_or(rest.len());
        Some(CsqLayout {
            fields: rest[..end]
                .split('|')
                .map(|s| s.trim().to_string())
                .collect(),
        })
    }

    /// The field names, in order.
    pub fn fields(&self) -> &[String] {
        &self.fields
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == name)
    }

    /// The entry for this allele, preferring VEP's MANE Select, then CANONICAL, then the first.
    pub fn pick(&self, csq: &str, alt: &str) -> Option<TranscriptAnnotation> {
        let allele = self.index("Allele")?;
        let entries: Vec<Vec<&str>> = csq
            .split(',')
            .map(|e| e.split('|').collect::<Vec<_>>())
            .filter(|f| {
                f.get(allele).is_some_and(|a| {
                    *a == alt || alt.ends_with(a) && !a.is_empty() || (*a == "-" && alt.len() == 1)
                })
            })
            .collect();
        let flag = |f: &Vec<&str>, name: &str| {
            self.index(name)
                .and_then(|i| f.get(i))
                .is_some_and(|v| !v.is_empty())
        };
        let best = entries
            .iter()
            .find(|f| flag(f, "MANE_SELECT"))
            .or_else(|| {
                entries
                    .iter()
                    .find(|f| self.index("CANONICAL").and_then(|i| f.get(i)) == Some(&"YES"))
            })
            .or_else(|| entries.first())?;
        let get = |name: &str| {
            self.index(name)
                .and_then(|i| best.get(i))
                .and_then(|v| non_empty(v))
        };
        let strip = |v: Option<String>| {
            v.map(|s| s.split_once(':').map(|(_, h)| h.to_string()).unwrap_or(s))
        };
        let hgnc_id = get("HGNC_ID").map(|h| {
            if h.starts_with("HGNC:") {
                h
            } else {
                format!("HGNC:{h}")
            }
        });
        Some(TranscriptAnnotation {
            gene_symbol: get("SYMBOL"),
            hgnc_id,
            transcript: get("Feature"),
            c_hgvs: strip(get("HGVSc")),
            p_hgvs: strip(get("HGVSp")),
            consequence: get("Consequence"),
            source: "VEP CSQ",
        })
    }
}
