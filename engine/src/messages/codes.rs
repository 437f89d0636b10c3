//! Every LOINC code and LOINC answer (LA) code GenoBridge emits, with its display name and
//! where it was checked, in one table for both HL7 v2 LRI and FHIR.
//!
//! Sources: "IG" = seen in the FHIR Genomics Reporting IG 3.0.0 package (its
//! StructureDefinition-variant.json slices and its official examples); "IG-SD" = the
//! profiles' slices and patterns; "lri-ref" = the LRI reference messages in
//! shared/fixtures/lri-reference; "v2f" = vcf2fhir 0.1.1's code tables;
//! "NCPI" = NIH-NCPI ncpi-fhir-ig CodeSystem-LoincAnswers (LOINC LL2938-0).

/// A coded concept.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Code {
    pub code: &'static str,
    pub display: &'static str,
}

const fn c(code: &'static str, display: &'static str) -> Code {
    Code { code, display }
}

// Observation codes (LOINC). IG-SD unless noted.
pub const VARIANT_ASSESSMENT: Code = c("69548-6", "Genetic variant assessment");
pub const OVERALL_INTERPRETATION: Code = c("51968-6", "Genetic analysis overall interpretation"); // lri-ref (LRI R1 ch. 5)
pub const GENE_STUDIED: Code = c("48018-6", "Gene studied [ID]");
pub const C_HGVS: Code = c("48004-6", "DNA change (c.HGVS)");
pub const P_HGVS: Code = c("48005-3", "Amino acid change (pHGVS)");
pub const TRANSCRIPT_REF_SEQ: Code = c("51958-7", "Transcript reference sequence [ID]");
pub const GENOMIC_REF_SEQ: Code = c("48013-7", "Genomic reference sequence [ID]");
pub const DNA_RANGES_EXAMINED: Code = c("51959-5", "Range(s) of DNA sequence examined"); // lri-ref
pub const REF_ALLELE: Code = c("69547-8", "Genomic ref allele [ID]");
pub const ALT_ALLELE: Code = c("69551-0", "Genomic alt allele [ID]");
pub const EXACT_START_END: Code = c("81254-5", "Genomic allele start-end");
pub const COORDINATE_SYSTEM: Code = c("92822-6", "Genomic coordinate system [Type]");
pub const CHROMOSOME: Code = c(
    "48000-4",
    "Chromosome [Identifier] in Blood or Tissue by Molecular genetics method",
);
pub const ASSEMBLY: Code = c("62374-4", "Human reference sequence assembly version");
pub const ALLELIC_STATE: Code = c("53034-5", "Allelic state");
pub const ALLELE_FREQUENCY: Code = c("81258-6", "Sample variant allelic frequency [NFr]");
pub const READ_DEPTH: Code = c("82121-5", "Allelic read depth");
pub const CLINICAL_SIGNIFICANCE: Code =
    c("53037-8", "Genetic variation clinical significance [Imp]");
pub const GENOMIC_SOURCE_CLASS: Code = c("48002-0", "Genomic source class [Type]");
pub const ANALYSIS_METHOD: Code = c("81304-8", "Variant analysis method [Type]"); // lri-ref
pub const MEDICATION_ASSESSED: Code = c("51963-7", "Medication assessed [ID]"); // IG-SD therapeutic-implication
pub const GENETIC_REPORT: Code = c("51969-4", "Genetic analysis report"); // IG-SD genomic-report code pattern

// Answers.
pub const PRESENT: Code = c("LA9633-4", "Present"); // IG
pub const POSITIVE: Code = c("LA6576-8", "Positive"); // IG
pub const GERMLINE: Code = c("LA6683-2", "Germline"); // IG, v2f
pub const SOMATIC: Code = c("LA6684-0", "Somatic"); // IG, v2f
pub const HOMOZYGOUS: Code = c("LA6705-3", "Homozygous"); // IG, v2f
pub const HETEROZYGOUS: Code = c("LA6706-1", "Heterozygous"); // IG, v2f
pub const HEMIZYGOUS: Code = c("LA6707-9", "Hemizygous"); // v2f
pub const PATHOGENIC: Code = c("LA6668-3", "Pathogenic"); // IG, v2f
pub const LIKELY_PATHOGENIC: Code = c("LA26332-9", "Likely pathogenic"); // IG, v2f
pub const UNCERTAIN: Code = c("LA26333-7", "Uncertain significance"); // IG, v2f
pub const LIKELY_BENIGN: Code = c("LA26334-5", "Likely benign"); // v2f
pub const BENIGN: Code = c("LA6675-8", "Benign"); // IG, v2f
pub const GRCH37: Code = c("LA14029-5", "GRCh37"); // IG
pub const GRCH38: Code = c("LA26806-2", "GRCh38"); // IG
pub const SEQUENCING: Code = c("LA26398-0", "Sequencing"); // IG
pub const ONE_BASED: Code = c("LA30102-0", "1-based character counting"); // IG, v2f

/// LOINC LL2938-0, chromosomes 1–22, X, Y (NCPI; 3, 9, 16 and X also seen in the IG).
pub const CHROMOSOMES: [(&str, Code); 24] = [
    ("1", c("LA21254-0", "Chromosome 1")),
    ("2", c("LA21255-7", "Chromosome 2")),
    ("3", c("LA21256-5", "Chromosome 3")),
    ("4", c("LA21257-3", "Chromosome 4")),
    ("5", c("LA21258-1", "Chromosome 5")),
    ("6", c("LA21259-9", "Chromosome 6")),
    ("7", c("LA21260-7", "Chromosome 7")),
    ("8", c("LA21261-5", "Chromosome 8")),
    ("9", c("LA21262-3", "Chromosome 9")),
    ("10", c("LA21263-1", "Chromosome 10")),
    ("11", c("LA21264-9", "Chromosome 11")),
    ("12", c("LA21265-6", "Chromosome 12")),
    ("13", c("LA21266-4", "Chromosome 13")),
    ("14", c("LA21267-2", "Chromosome 14")),
    ("15", c("LA21268-0", "Chromosome 15")),
    ("16", c("LA21269-8", "Chromosome 16")),
    ("17", c("LA21270-6", "Chromosome 17")),
    ("18", c("LA21271-4", "Chromosome 18")),
    ("19", c("LA21272-2", "Chromosome 19")),
    ("20", c("LA21273-0", "Chromosome 20")),
    ("21", c("LA21274-8", "Chromosome 21")),
    ("22", c("LA21275-5", "Chromosome 22")),
    ("X", c("LA21276-3", "Chromosome X")),
    ("Y", c("LA21277-1", "Chromosome Y")),
];

pub fn chromosome(name: &str) -> Option<Code> {
    CHROMOSOMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, c)| *c)
}

/// RefSeq NC_ accessions per chromosome (GRCh37, GRCh38), as in vcf2fhir's gene_ref_seq.py
/// and NCBI's assembly reports.
pub const REFSEQ: [(&str, &str, &str); 25] = [
    ("1", "NC_000001.10", "NC_000001.11"),
    ("2", "NC_000002.11", "NC_000002.12"),
    ("3", "NC_000003.11", "NC_000003.12"),
    ("4", "NC_000004.11", "NC_000004.12"),
    ("5", "NC_000005.9", "NC_000005.10"),
    ("6", "NC_000006.11", "NC_000006.12"),
    ("7", "NC_000007.13", "NC_000007.14"),
    ("8", "NC_000008.10", "NC_000008.11"),
    ("9", "NC_000009.11", "NC_000009.12"),
    ("10", "NC_000010.10", "NC_000010.11"),
    ("11", "NC_000011.9", "NC_000011.10"),
    ("12", "NC_000012.11", "NC_000012.12"),
    ("13", "NC_000013.10", "NC_000013.11"),
    ("14", "NC_000014.8", "NC_000014.9"),
    ("15", "NC_000015.9", "NC_000015.10"),
    ("16", "NC_000016.9", "NC_000016.10"),
    ("17", "NC_000017.10", "NC_000017.11"),
    ("18", "NC_000018.9", "NC_000018.10"),
    ("19", "NC_000019.9", "NC_000019.10"),
    ("20", "NC_000020.10", "NC_000020.11"),
    ("21", "NC_000021.8", "NC_000021.9"),
    ("22", "NC_000022.10", "NC_000022.11"),
    ("X", "NC_000023.10", "NC_000023.11"),
    ("Y", "NC_000024.9", "NC_000024.10"),
    ("MT", "NC_012920.1", "NC_012920.1"),
];
