//! The report targets a mapping can write: coded observation components named by their
//! LOINC code, each with its display name, value type and answer list. One rule for a
//! target feeds both the LRI OBX and the FHIR component; the writers decide only syntax.
//!
//! This list is data: the CLI (`genobridge mapping targets`), the API and the editor show
//! it as is.

use crate::messages::codes::{self, Code};
use serde::Serialize;

/// How a target's value is written: OBX-2 in LRI, the `value[x]` type in FHIR.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueType {
    /// A LOINC answer (LA code) from the target's answer list. CWE / CodeableConcept.
    Answer,
    /// A code in an external system (HGNC, HGVS, RefSeq, Ensembl), with optional text.
    /// CWE / CodeableConcept.
    Code,
    /// Free text. ST / valueString.
    Text,
    /// A start and end position. NR / valueRange.
    Range,
    /// A decimal, written as the mapping formats it. NM / valueQuantity.
    Decimal,
    /// A whole number. NM / valueQuantity (count).
    Count,
}

/// The code system of a `Code` target, named neutrally; each writer spells it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum System {
    Hgnc,
    Hgvs,
    /// Ensembl (`ENST…`) or RefSeq (`NM_…`), told apart by the identifier.
    Transcript,
    /// A RefSeq genomic accession (`NC_…`).
    RefseqGenomic,
}

/// Where a target sits in the FHIR Bundle: most are Variant components; a few have a
/// place of their own in the IG's profiles.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FhirPlace {
    Component,
    /// The Variant's `valueCodeableConcept` (69548-6 is the Observation's own code).
    VariantValue,
    /// The Variant's `method`.
    Method,
    /// The DiagnosticImplication's component.
    DiagnosticImplication,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Target {
    pub code: &'static str,
    pub display: &'static str,
    pub value_type: ValueType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<System>,
    /// UCUM unit of a Decimal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<&'static str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub answers: &'static [Code],
    pub fhir: FhirPlace,
}

impl Target {
    pub fn loinc(&self) -> Code {
        Code {
            code: self.code,
            display: self.display,
        }
    }

    /// The answer with this LA code, from this target's list.
    pub fn answer(&self, code: &str) -> Option<Code> {
        self.answers.iter().find(|a| a.code == code).copied()
    }
}

const fn t(
    c: Code,
    value_type: ValueType,
    system: Option<System>,
    answers: &'static [Code],
    fhir: FhirPlace,
) -> Target {
    Target {
        code: c.code,
        display: c.display,
        value_type,
        system,
        unit: None,
        answers,
        fhir,
    }
}

const PRESENCE: &[Code] = &[codes::PRESENT];
const ASSEMBLIES: &[Code] = &[codes::GRCH37, codes::GRCH38];
const COORDINATES: &[Code] = &[codes::ONE_BASED];
const ZYGOSITIES: &[Code] = &[codes::HETEROZYGOUS, codes::HOMOZYGOUS, codes::HEMIZYGOUS];
const METHODS: &[Code] = &[codes::SEQUENCING];
const SIGNIFICANCES: &[Code] = &[
    codes::PATHOGENIC,
    codes::LIKELY_PATHOGENIC,
    codes::UNCERTAIN,
    codes::LIKELY_BENIGN,
    codes::BENIGN,
];
const SOURCES: &[Code] = &[codes::GERMLINE, codes::SOMATIC];
const CHROMOSOMES: &[Code] = &{
    let mut out = [codes::PRESENT; 24];
    let mut i = 0;
    while i < 24 {
        out[i] = codes::CHROMOSOMES[i].1;
        i += 1;
    }
    out
};

use FhirPlace::*;
use ValueType::*;

/// Every target, in the order an LRI variant group lists them.
pub static TARGETS: &[Target] = &[
    t(
        codes::VARIANT_ASSESSMENT,
        Answer,
        None,
        PRESENCE,
        VariantValue,
    ),
    t(
        codes::GENE_STUDIED,
        Code,
        Some(System::Hgnc),
        &[],
        Component,
    ),
    t(codes::C_HGVS, Code, Some(System::Hgvs), &[], Component),
    t(codes::P_HGVS, Code, Some(System::Hgvs), &[], Component),
    t(
        codes::TRANSCRIPT_REF_SEQ,
        Code,
        Some(System::Transcript),
        &[],
        Component,
    ),
    t(
        codes::GENOMIC_REF_SEQ,
        Code,
        Some(System::RefseqGenomic),
        &[],
        Component,
    ),
    t(codes::ASSEMBLY, Answer, None, ASSEMBLIES, Component),
    t(codes::CHROMOSOME, Answer, None, CHROMOSOMES, Component),
    t(codes::REF_ALLELE, Text, None, &[], Component),
    t(codes::ALT_ALLELE, Text, None, &[], Component),
    t(
        codes::COORDINATE_SYSTEM,
        Answer,
        None,
        COORDINATES,
        Component,
    ),
    t(codes::EXACT_START_END, Range, None, &[], Component),
    t(codes::ALLELIC_STATE, Answer, None, ZYGOSITIES, Component),
    Target {
        unit: Some("1"),
        ..t(codes::ALLELE_FREQUENCY, Decimal, None, &[], Component)
    },
    t(codes::READ_DEPTH, Count, None, &[], Component),
    t(codes::ANALYSIS_METHOD, Answer, None, METHODS, Method),
    t(
        codes::CLINICAL_SIGNIFICANCE,
        Answer,
        None,
        SIGNIFICANCES,
        DiagnosticImplication,
    ),
    t(
        codes::GENOMIC_SOURCE_CLASS,
        Answer,
        None,
        SOURCES,
        Component,
    ),
];

/// The target with this LOINC code.
pub fn target(code: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.code == code)
}

/// Targets whose code, display name or answers contain every word of `query`
/// (case-insensitive): "significance" finds 53037-8.
pub fn search(query: &str) -> Vec<&'static Target> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    TARGETS
        .iter()
        .filter(|t| {
            let hay = std::iter::once(format!("{} {}", t.code, t.display))
                .chain(
                    t.answers
                        .iter()
                        .map(|a| format!("{} {}", a.code, a.display)),
                )
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase();
            words.iter().all(|w| hay.contains(w.as_str()))
        })
        .collect()
}

/// Answers that make a report's overall interpretation Positive.
pub fn is_positive(answer: Code) -> bool {
    answer == codes::PATHOGENIC || answer == codes::LIKELY_PATHOGENIC
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_find_targets() {
        let found: Vec<_> = search("significance").iter().map(|t| t.code).collect();
        assert_eq!(found, ["53037-8"]);
        assert_eq!(search("48018-6")[0].display, "Gene studied [ID]");
        assert!(search("no such words here").is_empty());
    }

    #[test]
    fn chromosome_answers_are_the_loinc_list() {
        let t = target("48000-4").unwrap();
        assert_eq!(t.answers.len(), 24);
        assert_eq!(t.answer("LA21276-3").unwrap().display, "Chromosome X");
    }
}
