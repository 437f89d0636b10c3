//! The Variant Observation (69548-6) with the IG's component slices, and the
//! DiagnosticImplication and TherapeuticImplication that hang off it.

use super::types::{
    Cacheable, Component, ComponentValue, Concept, LoincCache, Meta, Observation, Reference,
};
use crate::{
    formats::vcf::Variant,
    mapping::{
        catalogue::{FhirPlace, System},
        report::{FieldValue, Fields},
    },
    messages::{codes, codes::Code},
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
        identifier: [super::types::StableIdentifier(c.id)],
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
    pub codes: &'a LoincCache,
    /// The two category slices, serialized once.
    pub category: &'a RawValue,
}

/// The Variant Observation: each mapped field in the IG's place for it (a component, the
/// Observation's value or method), spelled as FHIR spells its type and code system.
pub fn variant_observation<'a>(
    id: &'a str,
    fields: &'a Fields<'a>,
    cx: &Context<'a>,
) -> Observation<'a> {
    let mut comps = Vec::with_capacity(fields.0.len());
    let mut method = None;
    let mut value = None;
    for f in &fields.0 {
        let v = match &f.value {
            FieldValue::Answer(a) => {
                let concept = cx.codes.get(*a);
                match f.target.fhir {
                    FhirPlace::VariantValue => {
                        value = Some(concept);
                        continue;
                    }
                    FhirPlace::Method => {
                        method = Some(concept);
                        continue;
                    }
                    FhirPlace::DiagnosticImplication => continue,
                    FhirPlace::Component => ComponentValue::Loinc(concept),
                }
            }
            FieldValue::Coded { code, text } => ComponentValue::Concept(match code {
                Some(c) => Concept::coded(fhir_system(f.target.system, c), c, text.as_deref()),
                None => match text {
                    Some(t) => Concept::text(t),
                    None => continue,
                },
            }),
            FieldValue::Text(t) => ComponentValue::String(t),
            FieldValue::Range(a, b) => ComponentValue::Range(*a, *b),
            FieldValue::Decimal(d) => match d.trim().parse::<f64>() {
                Ok(x) => ComponentValue::Ratio(x),
                Err(_) => continue,
            },
            FieldValue::Count(n) => ComponentValue::Count(*n),
        };
        comps.push(cx.component(f.target.loinc(), v));
    }
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
    obs.method = method;
    obs.value_codeable_concept = value;
    obs
}

/// FHIR code-system URIs for the catalogue's systems.
fn fhir_system(system: Option<System>, code: &str) -> &'static str {
    match system {
        Some(System::Hgnc) => "http://www.genenames.org",
        Some(System::Hgvs) => "http://varnomen.hgvs.org",
        Some(System::Transcript) if code.starts_with("ENST") => "http://www.ensembl.org",
        Some(System::Transcript) | Some(System::RefseqGenomic) => {
            "http://www.ncbi.nlm.nih.gov/refseq"
        }
        None => "",
    }
}

/// `significance` is the mapped 53037-8 answer.
pub fn diagnostic_implication<'a>(
    id: &'a str,
    significance: Code,
    v: &'a Variant,
    variant: &'a str,
    cx: &Context<'a>,
) -> Observation<'a> {
    let mut comps = vec![cx.coded(codes::CLINICAL_SIGNIFICANCE, significance)];
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
