//! Patient, Specimen and ServiceRequest from the order, and the genomic-report
//! DiagnosticReport (LOINC 51969-4, the profile's pattern).

use super::{urn, IG};
use crate::messages::codes;
use crate::store::Order;
use serde_json::{json, Value};

const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";

pub fn patient(id: &str, o: &Order) -> Value {
    let gender = match o.sex.as_str() {
        "F" => "female",
        "M" => "male",
        "O" => "other",
        _ => "unknown",
    };
    json!({
        "resourceType": "Patient", "id": id,
        "identifier": [{ "type": { "coding": [{ "system": V2_0203, "code": "MR" }] }, "system": "urn:genobridge:mrn", "value": o.patient_mrn }],
        "name": [{ "family": o.patient_family, "given": [o.patient_given] }],
        "gender": gender, "birthDate": o.birth_date
    })
}

pub fn specimen(id: &str, patient: &str, sample_id: &str, o: &Order) -> Value {
    json!({
        "resourceType": "Specimen", "id": id,
        "identifier": [{ "system": "urn:genobridge:sample", "value": sample_id }],
        "type": { "text": o.specimen_type },
        "subject": { "reference": urn(patient) }
    })
}

pub fn service_request(id: &str, patient: &str, specimen: &str, o: &Order) -> Value {
    let ident = |code: &str, system: &str, value: &str| json!({ "type": { "coding": [{ "system": V2_0203, "code": code }] }, "system": system, "value": value });
    json!({
        "resourceType": "ServiceRequest", "id": id, "status": "completed", "intent": "order",
        "identifier": [ident("PLAC", "urn:genobridge:placer", &o.placer_number), ident("FILL", "urn:genobridge:filler", &o.filler_number)],
        "requisition": { "system": "urn:genobridge:accession", "value": o.accession },
        "code": { "coding": [{ "system": "urn:genobridge:test", "code": o.test_code, "display": o.test_name }], "text": o.test_name },
        "subject": { "reference": urn(patient) },
        "specimen": [{ "reference": urn(specimen) }]
    })
}

/// Without `result`: the Bundle writer streams that list in.
pub fn diagnostic_report(
    id: &str,
    patient: &str,
    specimen: &str,
    request: &str,
    control_id: &str,
    issued: &str,
) -> Value {
    json!({
        "resourceType": "DiagnosticReport", "id": id,
        "meta": { "profile": [format!("{IG}/StructureDefinition/genomic-report")] },
        "identifier": [{ "system": "urn:genobridge:report", "value": control_id }],
        "basedOn": [{ "reference": urn(request) }],
        "status": "final",
        "category": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "GE", "display": "Genetics" }] }],
        "code": super::loinc(codes::GENETIC_REPORT),
        "subject": { "reference": urn(patient) },
        "issued": issued,
        "specimen": [{ "reference": urn(specimen) }]
    })
}
