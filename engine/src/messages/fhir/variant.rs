//! The Variant Observation (69548-6) with the IG's component slices, and the
//! DiagnosticImplication and TherapeuticImplication that hang off it.

use super::types::{
    Cacheable, Component, ComponentValue, Concept, LoincCache, Meta, Observation, Reference,
};
use crate::{
    formats::vcf::{Assembly, ClinicalSignificance, Variant},
    messages::{assembly_code, codes, codes::Code, refseq, significance_code, zygosity_code},
};
use serde_json::value::RawValue;

const VARIANT_PROFILE: &str =
    "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant";
const DIAGNOSTIC_PROFILE: &str =
    "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/diagnostic-implication";
const THERAPEUTIC_PROFILE: &str =
    "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/therapeutic-implication";
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
/// The IG's own code system for codes LOINC does not have yet.
const TBD: &str = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs";

impl<'a> Context<'a> {
    fn component(&self, code: Code, value: ComponentValue<'a>) -> Component<'a> {
        Component {
            code: self.codes.get(code),
            value,
        }
    }

    fn coded(&self, code: Code, answer: Code) -> Component<'a> {
        self.component(code, ComponentValue::Loinc(self.codes.get(answer)))
    }
}

fn tbd<'a>(code: &'static str, value: ComponentValue<'a>) -> Component<'a> {
    Component {
        code: Cacheable::Built(Concept::coded(TBD, code, None)),
        value,
    }
}

/// Every LOINC code a variant or implication Observation can carry, for [`LoincCache`].
pub fn observation_codes() -> impl Iterator<Item = Code> {
    [
        codes::VARIANT_ASSESSMENT,
        codes::GENE_STUDIED,
        codes::C_HGVS,
        codes::P_HGVS,
        codes::TRANSCRIPT_REF_SEQ,
        codes::GENOMIC_REF_SEQ,
        codes::ASSEMBLY,
        codes::CHROMOSOME,
        codes::REF_ALLELE,
        codes::ALT_ALLELE,
        codes::COORDINATE_SYSTEM,
        codes::EXACT_START_END,
        codes::ALLELIC_STATE,
        codes::ALLELE_FREQUENCY,
        codes::READ_DEPTH,
        codes::GENOMIC_SOURCE_CLASS,
        codes::CLINICAL_SIGNIFICANCE,
        codes::MEDICATION_ASSESSED,
        codes::SEQUENCING,
        codes::PRESENT,
        codes::ONE_BASED,
        codes::GRCH37,
        codes::GRCH38,
        codes::GERMLINE,
        codes::SOMATIC,
        codes::HETEROZYGOUS,
        codes::HOMOZYGOUS,
        codes::HEMIZYGOUS,
        codes::PATHOGENIC,
        codes::LIKELY_PATHOGENIC,
        codes::UNCERTAIN,
        codes::LIKELY_BENIGN,
        codes::BENIGN,
    ]
    .into_iter()
    .chain(codes::CHROMOSOMES.iter().map(|(_, c)| *c))
}

/// The parts every implication and variant Observation share.
struct Common<'a> {
    id: &'a str,
    profile: &'static str,
    code: Cacheable<'a>,
    patient: &'a str,
    issued: &'a str,
    category: &'a RawValue,
}

fn observation<'a>(c: Common<'a>, component: Vec<Component<'a>>) -> Observation<'a> {
    Observation {
        resource_type: "Observation",
        id: c.id,
        meta: Meta {
            profile: [c.profile],
        },
        status: "final",
        category: c.category,
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
    pub codes: &'a LoincCache,
    /// The two category slices, serialized once.
    pub category: &'a RawValue,
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
            comps.push(cx.component(codes::GENE_STUDIED, ComponentValue::Concept(value)));
        }
        if let Some(full) = full_c_hgvs {
            comps.push(cx.component(
                codes::C_HGVS,
                ComponentValue::Concept(Concept::coded("http://varnomen.hgvs.org", full, None)),
            ));
        }
        if let Some(p) = &a.p_hgvs {
            comps.push(cx.component(
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
            comps.push(cx.component(
                codes::TRANSCRIPT_REF_SEQ,
                ComponentValue::Concept(Concept::coded(system, t, None)),
            ));
        }
    }
    let chrom = v.chromosome();
    if let Some(nc) = refseq(chrom, cx.assembly) {
        comps.push(cx.component(
            codes::GENOMIC_REF_SEQ,
            ComponentValue::Concept(Concept::coded(
                "http://www.ncbi.nlm.nih.gov/refseq",
                nc,
                None,
            )),
        ));
    }
    comps.push(cx.coded(codes::ASSEMBLY, assembly_code(cx.assembly)));
    if let Some(c) = codes::chromosome(chrom) {
        comps.push(cx.coded(codes::CHROMOSOME, c));
    }
    comps.push(cx.component(codes::REF_ALLELE, ComponentValue::String(&v.ref_allele)));
    comps.push(cx.component(codes::ALT_ALLELE, ComponentValue::String(&v.alt_allele)));
    comps.push(cx.coded(codes::COORDINATE_SYSTEM, codes::ONE_BASED));
    comps.push(cx.component(codes::EXACT_START_END, ComponentValue::Range(v.pos, v.end)));
    if let Some(z) = v.zygosity {
        comps.push(cx.coded(codes::ALLELIC_STATE, zygosity_code(z)));
    }
    if let Some(af) = v.allele_frequency {
        let af = (af * 1000.0).round() / 1000.0;
        comps.push(cx.component(codes::ALLELE_FREQUENCY, ComponentValue::Ratio(af)));
    }
    if let Some(dp) = v.genotype.as_ref().and_then(|g| g.read_depth) {
        comps.push(cx.component(codes::READ_DEPTH, ComponentValue::Count(u64::from(dp))));
    }
    comps.push(cx.coded(
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
            code: cx.codes.get(codes::VARIANT_ASSESSMENT),
            patient: cx.patient,
            issued: cx.issued,
            category: cx.category,
        },
        comps,
    );
    obs.specimen = Some(Reference::to(cx.specimen));
    obs.method = Some(cx.codes.get(codes::SEQUENCING));
    obs.value_codeable_concept = Some(cx.codes.get(codes::PRESENT));
    obs
}

pub fn diagnostic_implication<'a>(
    id: &'a str,
    s: ClinicalSignificance,
    v: &'a Variant,
    variant: &'a str,
    cx: &Context<'a>,
) -> Observation<'a> {
    let mut comps = vec![cx.coded(codes::CLINICAL_SIGNIFICANCE, significance_code(s))];
    if let Some(cond) = &v.clinvar_condition {
        comps.push(tbd("conclusion-string", ComponentValue::String(cond)));
    }
    implication(
        id,
        DIAGNOSTIC_PROFILE,
        "diagnostic-implication",
        variant,
        cx,
        comps,
    )
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
        comps.push(cx.component(
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
    implication(
        id,
        THERAPEUTIC_PROFILE,
        "therapeutic-implication",
        variant,
        cx,
        comps,
    )
}

/// An implication Observation: coded in the IG's TBD system and derived from its variant.
fn implication<'a>(
    id: &'a str,
    profile: &'static str,
    code: &'static str,
    variant: &'a str,
    cx: &Context<'a>,
    comps: Vec<Component<'a>>,
) -> Observation<'a> {
    let mut obs = observation(
        Common {
            id,
            profile,
            code: Cacheable::Built(Concept::coded(TBD, code, None)),
            patient: cx.patient,
            issued: cx.issued,
            category: cx.category,
        },
        comps,
    );
    obs.derived_from = Some([Reference::to(variant)]);
    obs
}
