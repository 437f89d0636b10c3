//! FHIR R4 transaction Bundle in the Genomics Reporting IG 3.0.0 shape: Patient,
//! Specimen, ServiceRequest, a genomic-report DiagnosticReport, one Variant Observation
//! per reported variant and a DiagnosticImplication where a significance is known.
//! References use `urn:uuid:` fullUrls; ids are UUID v5 of stable keys, so rebuilding
//! the same report gives the same ids.

mod variant;

use super::{codes, Envelope, MessageKind};
use crate::{report::Report, store::Order};
use serde_json::{json, Value};

pub const IG: &str = "http://hl7.org/fhir/uv/genomics-reporting";
const LOINC: &str = "http://loinc.org";

pub struct Fhir;

impl MessageKind for Fhir {
    fn name(&self) -> &'static str {
        "fhir"
    }

    fn build(&self, report: &Report, order: &Order, env: &Envelope) -> String {
        serde_json::to_string_pretty(&build_bundle(report, order, env)).unwrap_or_default()
    }
}

/// A stable id for one resource of one report.
pub fn stable_id(report: &Report, order: &Order, what: &str) -> String {
    let key = format!(
        "genobridge|{}|{}|{}|{what}",
        order.accession, report.sample_id, report.source_file
    );
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, key.as_bytes()).to_string()
}

pub fn urn(id: &str) -> String {
    format!("urn:uuid:{id}")
}

pub fn loinc(c: codes::Code) -> Value {
    json!({ "coding": [{ "system": LOINC, "code": c.code, "display": c.display }] })
}

pub fn lab_categories() -> Value {
    json!([
        { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory" }] },
        { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "GE" }] }
    ])
}

fn entry(id: &str, resource: Value) -> Value {
    let rt = resource["resourceType"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    json!({ "fullUrl": urn(id), "resource": resource, "request": { "method": "POST", "url": rt } })
}

pub fn build_bundle(report: &Report, order: &Order, env: &Envelope) -> Value {
    let id = |what: &str| stable_id(report, order, what);
    let (patient_id, specimen_id, request_id, report_id) = (
        id("patient"),
        id("specimen"),
        id("service-request"),
        id("report"),
    );
    let issued = env
        .created
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let sex = match order.sex.as_str() {
        "F" => "female",
        "M" => "male",
        "O" => "other",
        _ => "unknown",
    };
    let mut entries = vec![
        entry(
            &patient_id,
            json!({
                "resourceType": "Patient", "id": patient_id,
                "identifier": [{ "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR" }] },
                                 "system": "urn:genobridge:mrn", "value": order.patient_mrn }],
                "name": [{ "family": order.patient_family, "given": [order.patient_given] }],
                "gender": sex, "birthDate": order.birth_date
            }),
        ),
        entry(
            &specimen_id,
            json!({
                "resourceType": "Specimen", "id": specimen_id,
                "identifier": [{ "system": "urn:genobridge:sample", "value": report.sample_id }],
                "type": { "text": order.specimen_type },
                "subject": { "reference": urn(&patient_id) }
            }),
        ),
        entry(
            &request_id,
            json!({
                "resourceType": "ServiceRequest", "id": request_id, "status": "completed", "intent": "order",
                "identifier": [
                    { "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "PLAC" }] }, "system": "urn:genobridge:placer", "value": order.placer_number },
                    { "type": { "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "FILL" }] }, "system": "urn:genobridge:filler", "value": order.filler_number }
                ],
                "requisition": { "system": "urn:genobridge:accession", "value": order.accession },
                "code": { "coding": [{ "system": "urn:genobridge:test", "code": order.test_code, "display": order.test_name }], "text": order.test_name },
                "subject": { "reference": urn(&patient_id) },
                "specimen": [{ "reference": urn(&specimen_id) }]
            }),
        ),
    ];
    let mut results = Vec::new();
    for (i, v) in report.variants.iter().enumerate() {
        let key = format!(
            "variant|{}|{}|{}|{}",
            v.chrom, v.pos, v.ref_allele, v.alt_allele
        );
        let vid = id(&key);
        entries.push(entry(
            &vid,
            variant::variant_observation(
                &vid,
                v,
                report,
                env.somatic,
                &patient_id,
                &specimen_id,
                &issued,
            ),
        ));
        results.push(json!({ "reference": urn(&vid) }));
        if let Some(s) = v.clinical_significance {
            let did = id(&format!("{key}|implication"));
            entries.push(entry(
                &did,
                variant::diagnostic_implication(&did, s, v, &vid, &patient_id, &issued),
            ));
            results.push(json!({ "reference": urn(&did) }));
        }
        let _ = i;
    }
    let positive = report
        .variants
        .iter()
        .any(|v| v.clinical_significance.is_some_and(|s| s.is_pathogenic()));
    let mut dr = json!({
        "resourceType": "DiagnosticReport", "id": report_id,
        "meta": { "profile": [format!("{IG}/StructureDefinition/genomic-report")] },
        "identifier": [{ "system": "urn:genobridge:report", "value": env.control_id }],
        "basedOn": [{ "reference": urn(&request_id) }],
        "status": "final",
        "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "GE", "display": "Genetics" }] }],
        "code": { "coding": [{ "system": LOINC, "code": "51969-4", "display": "Genetic analysis report" }] },
        "subject": { "reference": urn(&patient_id) },
        "issued": issued,
        "specimen": [{ "reference": urn(&specimen_id) }],
        "result": results
    });
    if positive {
        dr["conclusionCode"] = json!([loinc(codes::POSITIVE)]);
    }
    entries.push(entry(&report_id, dr));
    json!({
        "resourceType": "Bundle",
        "id": id("bundle"),
        "identifier": { "system": "urn:genobridge:message", "value": env.control_id },
        "type": "transaction",
        "timestamp": issued,
        "entry": entries
    })
}
