//! Outbound messages built from a report: HL7 v2.5.1 LRI ORU^R01 and FHIR R4 Genomics
//! Reporting Bundles. Both read the same codes table.

pub mod codes;
pub mod fhir;
pub mod lri;
pub mod orders;
pub mod stream;

use crate::{
    formats::vcf::{tree::ReportFacts, tree::VariantView, Variant},
    mapping::report::{Fields, Plan},
    report::{Report, ReportHead},
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
    /// `plan` is the compiled report mapping: it decides what each variant says.
    fn build(&self, report: &Report, order: &Order, env: &Envelope, plan: &Plan) -> String;
}

/// What the per-variant tree knows about the report.
pub fn facts<'a>(head: &'a ReportHead, env: &Envelope) -> ReportFacts<'a> {
    ReportFacts {
        assembly: head.assembly,
        somatic: env.somatic,
        sample_id: &head.sample_id,
        csq: head.csq.as_deref(),
    }
}

/// An in-memory report's variants with their mapped fields, and the variants the mapping
/// rejected (left out of the messages) with the rule and reason.
pub struct Mapped<'a> {
    pub variants: Vec<(&'a Variant, Fields<'a>)>,
    pub rejected: Vec<crate::formats::vcf::Rejection>,
}

/// Runs `plan` on every variant of an in-memory report.
pub fn map_report<'a>(report: &'a Report, env: &Envelope, plan: &'a Plan) -> Mapped<'a> {
    let facts = facts(&report.head, env);
    let mut out = Mapped {
        variants: Vec::with_capacity(report.variants.len()),
        rejected: Vec::new(),
    };
    for v in &report.variants {
        match plan.evaluate(&VariantView::new(v, facts, &plan.choice)) {
            Ok(f) => out.variants.push((v, f)),
            Err(e) => out
                .rejected
                .push(crate::formats::vcf::Rejection::new(v.line, e.to_string())),
        }
    }
    out
}

pub fn kind(name: &str) -> Option<Box<dyn MessageKind + Send + Sync>> {
    match name {
        "lri" => Some(Box::new(lri::Lri)),
        "fhir" => Some(Box::new(fhir::Fhir)),
        _ => None,
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
