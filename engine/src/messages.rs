//! Outbound messages built from a report: HL7 v2.5.1 LRI ORU^R01 and FHIR R4 Genomics
//! Reporting Bundles. Both read the same codes table.

pub mod codes;
pub mod fhir;
pub mod lri;
pub mod orders;
pub mod stream;

use crate::{
    formats::vcf::{ClinicalSignificance, Zygosity},
    report::Report,
    store::Order,
};
use codes::Code;

/// Who sends, and when: the parts of a message that are not in the report or order.
#[derive(Clone, Debug)]
pub struct Envelope {
    pub sending_application: String,
    pub sending_facility: String,
    pub receiving_application: String,
    pub receiving_facility: String,
    /// MSH-10 / Bundle identifier. Unique per message.
    pub control_id: String,
    pub created: time::OffsetDateTime,
    /// Germline unless the order says somatic.
    pub somatic: bool,
}

impl Envelope {
    pub fn new(control_id: impl Into<String>) -> Self {
        Envelope {
            sending_application: "GenoBridge".into(),
            sending_facility: "GenoBridgeLab".into(),
            receiving_application: "EHR".into(),
            receiving_facility: "Hospital".into(),
            control_id: control_id.into(),
            created: time::OffsetDateTime::now_utc(),
            somatic: false,
        }
    }
}

/// A message kind GenoBridge can build from a report, registered by name.
pub trait MessageKind {
    /// `lri` or `fhir`.
    fn name(&self) -> &'static str;
    fn build(&self, report: &Report, order: &Order, env: &Envelope) -> String;
}

pub fn kind(name: &str) -> Option<Box<dyn MessageKind + Send + Sync>> {
    match name {
        "lri" => Some(Box::new(lri::Lri)),
        "fhir" => Some(Box::new(fhir::Fhir)),
        _ => None,
    }
}

pub fn zygosity_code(z: Zygosity) -> Code {
    match z {
        Zygosity::Heterozygous => codes::HETEROZYGOUS,
        Zygosity::Homozygous => codes::HOMOZYGOUS,
        Zygosity::Hemizygous => codes::HEMIZYGOUS,
    }
}

pub fn significance_code(s: ClinicalSignificance) -> Code {
    match s {
        ClinicalSignificance::Pathogenic => codes::PATHOGENIC,
        ClinicalSignificance::LikelyPathogenic => codes::LIKELY_PATHOGENIC,
        ClinicalSignificance::UncertainSignificance => codes::UNCERTAIN,
        ClinicalSignificance::LikelyBenign => codes::LIKELY_BENIGN,
        ClinicalSignificance::Benign => codes::BENIGN,
    }
}

pub fn assembly_code(a: crate::formats::vcf::Assembly) -> Code {
    match a {
        crate::formats::vcf::Assembly::GRCh37 => codes::GRCH37,
        crate::formats::vcf::Assembly::GRCh38 => codes::GRCH38,
    }
}

/// The RefSeq NC_ accession of a chromosome in an assembly.
pub fn refseq(chrom: &str, a: crate::formats::vcf::Assembly) -> Option<&'static str> {
    codes::REFSEQ
        .iter()
        .find(|(c, _, _)| *c == chrom)
        .map(|(_, g37, g38)| match a {
            crate::formats::vcf::Assembly::GRCh37 => *g37,
            crate::formats::vcf::Assembly::GRCh38 => *g38,
        })
}
