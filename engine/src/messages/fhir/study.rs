//! The GenomicStudy (a Procedure in R4) and its analysis, pointing at the BED file of the
//! regions studied, carried in a genomic-data-file DocumentReference.

use super::{urn, IG, LOINC};
use crate::{formats::bed::Regions, messages::codes::Code};
use serde_json::{json, Value};

fn lab() -> Value {
    json!({ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory" }] })
}

pub fn regions_file(id: &str, patient: &str, r: &Regions) -> Value {
    use base64::Engine;
    json!({
        "resourceType": "DocumentReference", "id": id,
        "meta": { "profile": [format!("{IG}/StructureDefinition/genomic-data-file")] },
        "status": "current",
        "description": format!("Regions studied: {} ({} regions)", r.file_name, r.count),
        "subject": { "reference": urn(patient) },
        "content": [{ "attachment": {
            "contentType": "text/plain",
            "title": r.file_name,
            "data": base64::engine::general_purpose::STANDARD.encode(r.text.as_bytes())
        } }]
    })
}

pub fn analysis(id: &str, patient: &str, file: &str, build: Code, issued: &str) -> Value {
    json!({
        "resourceType": "Procedure", "id": id,
        "meta": { "profile": [format!("{IG}/StructureDefinition/genomic-study-analysis")] },
        "extension": [
            { "url": format!("{IG}/StructureDefinition/genomic-study-analysis-genome-build"),
              "valueCodeableConcept": { "coding": [{ "system": LOINC, "code": build.code, "display": build.display }] } },
            { "url": format!("{IG}/StructureDefinition/genomic-study-analysis-regions"),
              "extension": [{ "url": "studied", "valueReference": { "reference": urn(file) } }] }
        ],
        "status": "completed",
        "category": lab(),
        // The analysis profile forbids Procedure.code (max 0).
        "subject": { "reference": urn(patient) },
        "performedDateTime": issued
    })
}

pub fn study(id: &str, patient: &str, analysis: &str, request: &str, issued: &str) -> Value {
    json!({
        "resourceType": "Procedure", "id": id,
        "meta": { "profile": [format!("{IG}/StructureDefinition/genomic-study")] },
        "extension": [{ "url": format!("{IG}/StructureDefinition/genomic-study-analysis-ext"), "valueReference": { "reference": urn(analysis) } }],
        "basedOn": [{ "reference": urn(request) }],
        "status": "completed",
        "category": lab(),
        "code": { "text": "Germline variant study" },
        "subject": { "reference": urn(patient) },
        "performedDateTime": issued
    })
}
