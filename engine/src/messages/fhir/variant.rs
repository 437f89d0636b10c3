//! The Variant Observation (69548-6) with the IG's component slices, and the
//! DiagnosticImplication that carries a clinical significance.

use super::{lab_categories, loinc, urn, IG, LOINC};
use crate::{
    formats::vcf::{Assembly, ClinicalSignificance, Variant},
    messages::{assembly_code, codes, codes::Code, refseq, significance_code, zygosity_code},
};
use serde_json::{json, Value};

fn component(code: Code, value_key: &str, value: Value) -> Value {
    let mut c = json!({ "code": loinc(code) });
    c[value_key] = value;
    c
}

fn coded(code: Code, answer: Code) -> Value {
    component(code, "valueCodeableConcept", loinc(answer))
}

fn concept(system: &str, code: &str, display: Option<&str>) -> Value {
    let mut coding = json!({ "system": system, "code": code });
    if let Some(d) = display {
        coding["display"] = json!(d);
    }
    json!({ "coding": [coding] })
}

pub fn variant_observation(
    id: &str,
    v: &Variant,
    assembly: Assembly,
    somatic: bool,
    patient: &str,
    specimen: &str,
    issued: &str,
) -> Value {
    let mut comps = Vec::new();
    if let Some(a) = &v.annotation {
        if let Some(symbol) = &a.gene_symbol {
            let value = match &a.hgnc_id {
                Some(hgnc) => concept("http://www.genenames.org", hgnc, Some(symbol)),
                None => json!({ "text": symbol }),
            };
            comps.push(component(
                codes::GENE_STUDIED,
                "valueCodeableConcept",
                value,
            ));
        }
        if let Some(full) = a.full_c_hgvs() {
            comps.push(component(
                codes::C_HGVS,
                "valueCodeableConcept",
                concept("http://varnomen.hgvs.org", &full, None),
            ));
        }
        if let Some(p) = &a.p_hgvs {
            comps.push(component(
                codes::P_HGVS,
                "valueCodeableConcept",
                concept("http://varnomen.hgvs.org", p, None),
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
                "valueCodeableConcept",
                concept(system, t, None),
            ));
        }
    }
    let chrom = v.chromosome();
    if let Some(nc) = refseq(chrom, assembly) {
        comps.push(component(
            codes::GENOMIC_REF_SEQ,
            "valueCodeableConcept",
            concept("http://www.ncbi.nlm.nih.gov/refseq", nc, None),
        ));
    }
    comps.push(coded(codes::ASSEMBLY, assembly_code(assembly)));
    if let Some(c) = codes::chromosome(chrom) {
        comps.push(coded(codes::CHROMOSOME, c));
    }
    comps.push(component(
        codes::REF_ALLELE,
        "valueString",
        json!(v.ref_allele),
    ));
    comps.push(component(
        codes::ALT_ALLELE,
        "valueString",
        json!(v.alt_allele),
    ));
    comps.push(coded(codes::COORDINATE_SYSTEM, codes::ONE_BASED));
    comps.push(component(
        codes::EXACT_START_END,
        "valueRange",
        json!({ "low": { "value": v.pos }, "high": { "value": v.end } }),
    ));
    if let Some(z) = v.zygosity {
        comps.push(coded(codes::ALLELIC_STATE, zygosity_code(z)));
    }
    if let Some(af) = v.allele_frequency {
        let af = (af * 1000.0).round() / 1000.0;
        comps.push(component(
            codes::ALLELE_FREQUENCY,
            "valueQuantity",
            json!({ "value": af, "system": "http://unitsofmeasure.org", "code": "1" }),
        ));
    }
    if let Some(dp) = v.genotype.as_ref().and_then(|g| g.read_depth) {
        comps.push(component(
            codes::READ_DEPTH,
            "valueQuantity",
            json!({ "value": dp, "system": "http://unitsofmeasure.org", "code": "1" }),
        ));
    }
    comps.push(coded(
        codes::GENOMIC_SOURCE_CLASS,
        if somatic {
            codes::SOMATIC
        } else {
            codes::GERMLINE
        },
    ));
    json!({
        "resourceType": "Observation", "id": id,
        "meta": { "profile": [format!("{IG}/StructureDefinition/variant")] },
        "status": "final",
        "category": lab_categories(),
        "code": { "coding": [{ "system": LOINC, "code": codes::VARIANT_ASSESSMENT.code, "display": codes::VARIANT_ASSESSMENT.display }] },
        "subject": { "reference": urn(patient) },
        "issued": issued,
        "specimen": { "reference": urn(specimen) },
        "method": loinc(codes::SEQUENCING),
        "valueCodeableConcept": loinc(codes::PRESENT),
        "component": comps
    })
}

pub fn diagnostic_implication(
    id: &str,
    s: ClinicalSignificance,
    v: &Variant,
    variant: &str,
    patient: &str,
    issued: &str,
) -> Value {
    let mut comps = vec![coded(codes::CLINICAL_SIGNIFICANCE, significance_code(s))];
    if let Some(cond) = &v.clinvar_condition {
        comps.push(json!({
            "code": { "coding": [{ "system": format!("{IG}/CodeSystem/tbd-codes-cs"), "code": "conclusion-string" }] },
            "valueString": cond
        }));
    }
    json!({
        "resourceType": "Observation", "id": id,
        "meta": { "profile": [format!("{IG}/StructureDefinition/diagnostic-implication")] },
        "status": "final",
        "category": lab_categories(),
        "code": { "coding": [{ "system": format!("{IG}/CodeSystem/tbd-codes-cs"), "code": "diagnostic-implication" }] },
        "subject": { "reference": urn(patient) },
        "issued": issued,
        "derivedFrom": [{ "reference": urn(variant) }],
        "component": comps
    })
}

/// One TherapeuticImplication per variant with ClinVar drug-response assertions: the
/// medications assessed and the effects, as text (ClinVar gives names, not RxNorm codes).
pub fn therapeutic_implication(
    id: &str,
    v: &Variant,
    variant: &str,
    patient: &str,
    issued: &str,
) -> Value {
    let tbd = format!("{IG}/CodeSystem/tbd-codes-cs");
    let mut comps: Vec<Value> = Vec::new();
    let mut effects: Vec<&str> = Vec::new();
    for (drug, effect) in &v.drug_responses {
        comps.push(component(
            codes::MEDICATION_ASSESSED,
            "valueCodeableConcept",
            json!({ "text": drug }),
        ));
        if !effects.contains(&effect.as_str()) {
            effects.push(effect);
        }
    }
    for e in effects {
        comps.push(json!({
            "code": { "coding": [{ "system": tbd, "code": "therapeutic-implication" }] },
            "valueCodeableConcept": { "text": e }
        }));
    }
    if let Some(review) = &v.clinvar_review_status {
        comps.push(json!({
            "code": { "coding": [{ "system": tbd, "code": "conclusion-string" }] },
            "valueString": format!("ClinVar drug response ({review})")
        }));
    }
    json!({
        "resourceType": "Observation", "id": id,
        "meta": { "profile": [format!("{IG}/StructureDefinition/therapeutic-implication")] },
        "status": "final",
        "category": lab_categories(),
        "code": { "coding": [{ "system": tbd, "code": "therapeutic-implication" }] },
        "subject": { "reference": urn(patient) },
        "issued": issued,
        "derivedFrom": [{ "reference": urn(variant) }],
        "component": comps
    })
}
