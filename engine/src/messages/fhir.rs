//! FHIR R4 transaction Bundle in the Genomics Reporting IG 3.0.0 shape: Patient,
//! Specimen, ServiceRequest, a genomic-report DiagnosticReport, one Variant Observation
//! per reported variant and a DiagnosticImplication where a significance is known.
//! References use `urn:uuid:` fullUrls; ids are UUID v5 of stable keys, so rebuilding
//! the same report gives the same ids.

mod resources;
mod study;
mod types;
mod variant;

use super::{codes, Envelope, MessageKind};
use crate::{
    formats::vcf::Variant,
    mapping::report::{Fields, Plan},
    report::{Report, ReportHead},
    store::Order,
};
use serde_json::{json, Value};
use std::io::{self, BufRead, Seek, Write};

pub const IG: &str = "http://hl7.org/fhir/uv/genomics-reporting";
const LOINC: &str = "http://loinc.org";

pub struct Fhir;

impl MessageKind for Fhir {
    fn name(&self) -> &'static str {
        "fhir"
    }

    fn build(&self, report: &Report, order: &Order, env: &Envelope, plan: &Plan) -> String {
        let mapped = super::map_report(report, env, plan).variants;
        let written = (|| {
            let mut w = BundleWriter::start(Vec::new(), &report.head, order, env)?;
            for (v, fields) in &mapped {
                w.variant(v, fields)?;
            }
            w.finish()
        })();
        String::from_utf8(written.unwrap_or_default()).unwrap_or_default()
    }
}

/// The ids of one report's resources: UUID v5 (URL namespace) of
/// `genobridge|ACCESSION|SAMPLE|FILE|what`. The part shared by every resource is hashed
/// once, so a variant's ids cost only their own tail (the same ids as `Uuid::new_v5`).
#[derive(Clone)]
pub struct Ids(sha1::Sha1);

impl Ids {
    pub fn new(head: &ReportHead, order: &Order) -> Self {
        use sha1::Digest;
        let mut h = sha1::Sha1::new();
        h.update(uuid::Uuid::NAMESPACE_URL.as_bytes());
        for part in [
            "genobridge|",
            &order.accession,
            "|",
            &head.sample_id,
            "|",
            &head.source_file,
            "|",
        ] {
            h.update(part.as_bytes());
        }
        Ids(h)
    }

    /// The id of the resource named by `parts`, concatenated.
    pub fn id(&self, parts: &[&str]) -> String {
        use sha1::Digest;
        let mut h = self.0.clone();
        for p in parts {
            h.update(p.as_bytes());
        }
        let digest = h.finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_sha1_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string()
    }
}

pub fn urn(id: &str) -> String {
    let mut s = String::with_capacity(9 + id.len());
    s.push_str("urn:uuid:");
    s.push_str(id);
    s
}

pub fn loinc(c: codes::Code) -> Value {
    json!({ "coding": [{ "system": LOINC, "code": c.code, "display": c.display }] })
}

/// A transaction entry for a resource built as JSON: its type is read from the resource,
/// and the conditional create searches its first identifier (see [`identify`]).
fn entry<'a>(id: &'a str, resource: &'a Value) -> types::Entry<'a, &'a Value> {
    let rt = resource["resourceType"].as_str().unwrap_or_default();
    let first = &resource["identifier"][0];
    let search = match (first["system"].as_str(), first["value"].as_str()) {
        (Some(system), Some(value)) if !system.is_empty() && !value.is_empty() => {
            types::identifier_search(system, value)
        }
        _ => types::identifier_search(types::URI_SYSTEM, &urn(id)),
    };
    types::Entry::post(id, rt, resource, search)
}

/// Gives a resource whose first identifier is unusable (none, or no system or value) its
/// stable id as its first one (`urn:ietf:rfc:3986`,
/// `urn:uuid:<id>`), so that its entry's `ifNoneExist` finds it on a resend.
fn identify(id: &str, mut resource: Value) -> Value {
    let first = &resource["identifier"][0];
    let usable = matches!(
        (first["system"].as_str(), first["value"].as_str()),
        (Some(s), Some(v)) if !s.is_empty() && !v.is_empty()
    );
    if !usable {
        let stable = json!({ "system": types::URI_SYSTEM, "value": urn(id) });
        match resource["identifier"].as_array_mut() {
            Some(list) => list.insert(0, stable),
            None => resource["identifier"] = json!([stable]),
        }
    }
    resource
}

/// Writes a transaction Bundle entry by entry. The DiagnosticReport, which lists every
/// result, comes last; its references are spilled to an anonymous temporary file as the
/// variants pass, so memory stays flat for any number of variants.
pub struct BundleWriter<W: Write> {
    sink: Sink<W>,
    env: Envelope,
    issued: String,
    patient: String,
    specimen: String,
    request: String,
    /// The GenomicStudy, when the report has regions studied.
    study: Option<String>,
    positive: bool,
    ids: Ids,
    codes: types::LoincCache,
    category: Box<serde_json::value::RawValue>,
}

impl<W: Write> BundleWriter<W> {
    pub fn start(mut out: W, head: &ReportHead, order: &Order, env: &Envelope) -> io::Result<Self> {
        let ids = Ids::new(head, order);
        let id = |what: &str| ids.id(&[what]);
        let (patient, specimen, request) = (id("patient"), id("specimen"), id("service-request"));
        let issued = env
            .created
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let bundle_head = json!({
            "resourceType": "Bundle",
            "id": id("bundle"),
            "identifier": { "system": "urn:genobridge:message", "value": env.control_id },
            "type": "transaction",
            "timestamp": issued,
        });
        // The head object without its closing brace, then the entry array.
        let text = bundle_head.to_string();
        out.write_all(&text.as_bytes()[..text.len() - 1])?;
        out.write_all(b",\"entry\":[")?;
        let mut entries = vec![
            (patient.clone(), resources::patient(&patient, order)),
            (
                specimen.clone(),
                resources::specimen(&specimen, &patient, &head.sample_id, order),
            ),
            (
                request.clone(),
                resources::service_request(&request, &patient, &specimen, order),
            ),
        ];
        let mut study_id = None;
        if let Some(regions) = &head.regions {
            let (file, analysis, study) = (id("regions-file"), id("study-analysis"), id("study"));
            let build = super::assembly_code(head.assembly);
            entries.push((file.clone(), study::regions_file(&file, &patient, regions)));
            entries.push((
                analysis.clone(),
                study::analysis(&analysis, &patient, &file, build, &issued),
            ));
            entries.push((
                study.clone(),
                study::study(&study, &patient, &analysis, &request, &issued),
            ));
            study_id = Some(study);
        }
        let entries: Vec<(String, Value)> = entries
            .into_iter()
            .map(|(id, resource)| {
                let resource = identify(&id, resource);
                (id, resource)
            })
            .collect();
        for (i, (id, resource)) in entries.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            serde_json::to_writer(&mut out, &entry(id, resource))?;
        }
        Ok(BundleWriter {
            sink: Sink {
                out,
                results: io::BufWriter::new(tempfile::tempfile()?),
                count: 0,
            },
            env: env.clone(),
            issued,
            patient,
            specimen,
            request,
            study: study_id,
            ids,
            codes: types::LoincCache::with(variant::observation_codes()),
            category: serde_json::value::to_raw_value(&types::lab_categories())?,
            positive: false,
        })
    }

    /// One variant: its Variant Observation from the mapped fields, and the implications
    /// that hang off it.
    pub fn variant(&mut self, v: &Variant, fields: &Fields<'_>) -> io::Result<()> {
        let key = format!(
            "variant|{}|{}|{}|{}",
            v.chrom, v.pos, v.ref_allele, v.alt_allele
        );
        let vid = self.ids.id(&[&key]);
        // Borrows of the report's fixed strings, disjoint from `self.sink`.
        let cx = variant::Context {
            patient: &self.patient,
            specimen: &self.specimen,
            issued: &self.issued,
            codes: &self.codes,
            category: &self.category,
        };
        let obs = variant::variant_observation(&vid, fields, &cx);
        self.sink.entry(&vid, &obs)?;
        if !v.drug_responses.is_empty() {
            let tid = self.ids.id(&[&key, "|therapeutic"]);
            let review = v
                .clinvar_review_status
                .as_ref()
                .map(|r| format!("ClinVar drug response ({r})"));
            let ti = variant::therapeutic_implication(&tid, v, &vid, review.as_deref(), &cx);
            self.sink.entry(&tid, &ti)?;
        }
        if let Some(s) = fields.significance() {
            self.positive |= crate::mapping::catalogue::is_positive(s);
            let did = self.ids.id(&[&key, "|implication"]);
            let imp = variant::diagnostic_implication(&did, s, v, &vid, &cx);
            self.sink.entry(&did, &imp)?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<W> {
        let report_id = self.ids.id(&["report"]);
        let mut dr = resources::diagnostic_report(
            &report_id,
            &self.patient,
            &self.specimen,
            &self.request,
            &self.env.control_id,
            &self.issued,
        );
        if self.positive {
            dr["conclusionCode"] = json!([loinc(codes::POSITIVE)]);
        }
        if let Some(study) = &self.study {
            dr["extension"] = json!([{ "url": format!("{IG}/StructureDefinition/genomic-study-reference"), "valueReference": { "reference": urn(study) } }]);
        }
        let text = serde_json::to_string(&entry(&report_id, &dr))?;
        // Splice the streamed result list into the DiagnosticReport: `…"resource":{…}` gets
        // `,"result":[…]` before the resource's closing brace.
        let marker = "\"resourceType\":\"DiagnosticReport\"";
        let at = text.find(marker).map(|i| i + marker.len()).unwrap_or(0);
        self.sink.out.write_all(b",")?;
        self.sink.out.write_all(&text.as_bytes()[..at])?;
        if self.sink.count > 0 {
            self.sink.out.write_all(b",\"result\":[")?;
            let mut file = self.sink.results.into_inner().map_err(|e| e.into_error())?;
            file.seek(io::SeekFrom::Start(0))?;
            for (i, line) in io::BufReader::new(file).lines().enumerate() {
                if i > 0 {
                    self.sink.out.write_all(b",")?;
                }
                serde_json::to_writer(&mut self.sink.out, &json!({ "reference": line? }))?;
            }
            self.sink.out.write_all(b"]")?;
        }
        self.sink.out.write_all(&text.as_bytes()[at..])?;
        self.sink.out.write_all(b"]}")?;
        self.sink.out.flush()?;
        Ok(self.sink.out)
    }
}

/// Where entries go: the Bundle itself, plus the spilled list of result references.
struct Sink<W: Write> {
    out: W,
    results: io::BufWriter<std::fs::File>,
    count: u64,
}

impl<W: Write> Sink<W> {
    /// Appends one Observation entry and remembers its reference for the DiagnosticReport.
    fn entry(&mut self, id: &str, obs: &types::Observation<'_>) -> io::Result<()> {
        self.out.write_all(b",")?;
        let search = types::identifier_search(types::URI_SYSTEM, &urn(id));
        let entry = types::Entry::post(id, "Observation", obs, search);
        serde_json::to_writer(&mut self.out, &entry)?;
        writeln!(self.results, "urn:uuid:{id}")?;
        self.count += 1;
        Ok(())
    }
}
