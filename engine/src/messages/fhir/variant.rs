//! The Variant Observation (69548-6) with the IG's component slices, and the
//! DiagnosticImplication and TherapeuticImplication that hang off it.

use super::types::{
    lab_categories, Component, ComponentValue, Concept, Meta, Observation, Reference,
};
use crate::{
    formats::vcf::{Assembly, ClinicalSignificance, Variant},
    messages::{assembly_code, codes, codes::Code, refseq, significance_code, zygosity_code},
};

const VARIANT_PROFILE: &str =
    "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant";
const DIAGNOSTIC_PROFILE: &str =
    "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/diagnostic-implication";
const THERAPEUTIC_PROFILE: &str =
    "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/therapeutic-implication";
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
/// The IG's own code system for codes LOINC does not have yet.
const TBD: &str = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs";

fn component(code: Code, value: ComponentValue<'_>) -> Component<'_> {
    Component {
        code: Concept::loinc(code),
        value,
    }
}

fn coded(code: Code, answer: Code) -> Component<'static> {
    component(code, ComponentValue::Concept(Concept::loinc(answer)))
}

fn tbd<'a>(code: &'static str, value: ComponentValue<'a>) -> Component<'a> {
    Component {
        code: Concept::coded(TBD, code, None),
        value,
    }
}

/// The parts every implication and variant Observation share.
struct Common<'a> {
    id: &'a str,
    profile: &'static str,
    code: Concept<'a>,
    patient: &'a str,
    issued: &'a str,
}

fn observation<'a>(c: Common<'a>, component: Vec<Component<'a>>) -> Observation<'a> {
    Observation {
        resource_type: "Observation",
        id: c.id,
        meta: Meta {
            profile: [c.profile],
        },
        status: "final",
        category: lab_categories(),
        code: c.code,
        subject: Reference::to(c.patient),
        issued: c.issued,
        specimen: None,
        derived_from: None,
        method: None,
        value_codeable_concept: None,
        component,
    }
}

/// Who the Observations are about and when they were issued.
pub struct Context<'a> {
    pub patient: &'a str,
    pub specimen: &'a str,
    pub issued: &'a str,
    pub assembly: Assembly,
    pub somatic: bool,
}

/// `full_c_hgvs` is passed in because it is built (allocated) from the annotation, and the
/// Observation borrows it.
pub fn variant_observation<'a>(
    id: &'a str,
    v: &'a Variant,
    full_c_hgvs: Option<&'a str>,
    cx: &Context<'a>,
) -> Observation<'a> {
    let mut comps = Vec::with_capacity(16);
    if let Some(a) = &v.annotation {
        if let Some(symbol) = &a.gene_symbol {
            let value = match &a.hgnc_id {
                Some(hgnc) => Concept::coded("http://www.genenames.org", hgnc, Some(symbol)),
                None => Concept::text(symbol),
            };
            comps.push(component(
                codes::GENE_STUDIED,
                ComponentValue::Concept(value),
            ));
        }
        if let Some(full) = full_c_hgvs {
            comps.push(component(
                codes::C_HGVS,
                ComponentValue::Concept(Concept::coded("http://varnomen.hgvs.org", full, None)),
            ));
        }
        if let Some(p) = &a.p_hgvs {
            comps.push(component(
                codes::P_HGVS,
                ComponentValue::Concept(Concept::coded("http://varnomen.hgvs.org", p, None)),
            ));
        }
        if let Some(t) = &a.transcript {
            let system = if a.transcript_is_ensembl() {
                "http://www.ensembl.org"
            } else {
                "http://www.ncbi.nlm.nih.gov/refseq"
            };
            comps.push(component(
                codes::TRANSCRIPT_REF_SEQ,
                ComponentValue::Concept(Concept::coded(system, t, None)),
            ));
        }
    }
    let chrom = v.chromosome();
    if let Some(nc) = refseq(chrom, cx.assembly) {
        comps.push(component(
            codes::GENOMIC_REF_SEQ,
            ComponentValue::Concept(Concept::coded(
                "http://www.ncbi.nlm.nih.gov/refseq",
                nc,
                None,
            )),
        ));
    }
    comps.push(coded(codes::ASSEMBLY, assembly_code(cx.assembly)));
    if let Some(c) = codes::chromosome(chrom) {
        comps.push(coded(codes::CHROMOSOME, c));
    }
    comps.push(component(
        codes::REF_ALLELE,
        ComponentValue::String(&v.ref_allele),
    ));
    comps.push(component(
        codes::ALT_ALLELE,
        ComponentValue::String(&v.alt_allele),
    ));
    comps.push(coded(codes::COORDINATE_SYSTEM, codes::ONE_BASED));
    comps.push(component(
        codes::EXACT_START_END,
        ComponentValue::Range(v.pos, v.end),
    ));
    if let Some(z) = v.zygosity {
        comps.push(coded(codes::ALLELIC_STATE, zygosity_code(z)));
    }
    if let Some(af) = v.allele_frequency {
        let af = (af * 1000.0).round() / 1000.0;
        comps.push(component(
            codes::ALLELE_FREQUENCY,
            ComponentValue::Ratio(af),
        ));
    }
    if let Some(dp) = v.genotype.as_ref().and_then(|g| g.read_depth) {
        comps.push(component(
            codes::READ_DEPTH,
            ComponentValue::Count(u64::from(dp)),
        ));
    }
    comps.push(coded(
        codes::GENOMIC_SOURCE_CLASS,
        if cx.somatic {
            codes::SOMATIC
        } else {
            codes::GERMLINE
        },
    ));
    let mut obs = observation(
        Common {
            id,
            profile: VARIANT_PROFILE,
            code: Concept::loinc(codes::VARIANT_ASSESSMENT),
            patient: cx.patient,
            issued: cx.issued,
        },
        comps,
    );
    obs.specimen = Some(Reference::to(cx.specimen));
    obs.method = Some(Concept::loinc(codes::SEQUENCING));
    obs.value_codeable_concept = Some(Concept::loinc(codes::PRESENT));
    obs
}

pub fn diagnostic_implication<'a>(
    id: &'a str,
    s: ClinicalSignificance,
    v: &'a Variant,
    variant: &'a str,
    cx: &Context<'a>,
) -> Observation<'a> {
    let mut comps = vec![coded(codes::CLINICAL_SIGNIFICANCE, significance_code(s))];
    if let Some(cond) = &v.clinvar_condition {
        comps.push(tbd("conclusion-string", ComponentValue::String(cond)));
    }
    let mut obs = observation(
        Common {
            id,
            profile: DIAGNOSTIC_PROFILE,
            code: Concept::coded(TBD, "diagnostic-implication", None),
            patient: cx.patient,
            issued: cx.issued,
        },
        comps,
    );
    obs.derived_from = Some([Reference::to(variant)]);
    obs
}

/// One TherapeuticImplication per variant with ClinVar drug-response assertions: the
/// medications assessed (RxNorm where the lab's table codes them, else text) and the
/// effects.
/// `review` is the conclusion text, built by the caller so the Observation can borrow it.
pub fn therapeutic_implication<'a>(
    id: &'a str,
    v: &'a Variant,
    variant: &'a str,
    review: Option<&'a str>,
    cx: &Context<'a>,
) -> Observation<'a> {
    let mut comps = Vec::new();
    let mut effects: Vec<&str> = Vec::new();
    for d in &v.drug_responses {
        let medication = match &d.rxnorm {
            Some(code) => Concept::coded(RXNORM, code, Some(&d.drug)),
            None => Concept::text(&d.drug),
        };
        comps.push(component(
            codes::MEDICATION_ASSESSED,
            ComponentValue::Concept(medication),
        ));
        if !effects.contains(&d.effect.as_str()) {
            effects.push(&d.effect);
        }
    }
    for e in effects {
        comps.push(tbd(
            "therapeutic-implication",
            ComponentValue::Concept(Concept::text(e)),
        ));
    }
    if let Some(review) = review {
        comps.push(tbd("conclusion-string", ComponentValue::String(review)));
    }
    let mut obs = observation(
        Common {
            id,
            profile: THERAPEUTIC_PROFILE,
            code: Concept::coded(TBD, "therapeutic-implication", None),
            patient: cx.patient,
            issued: cx.issued,
        },
        comps,
    );
    obs.derived_from = Some([Reference::to(variant)]);
    obs
}
