//! Running a mapping on a sample file, as `genobridge mapping test` and the editor's preview
//! do: the outputs (LIMS documents, ORU, Bundle), every error with the rule that caused it,
//! where each output field came from, and the sample's source fields that no rule reads.
//!
//! Runs are deterministic (a fixed clock, control id and synthetic order), so a golden
//! sample's expected outputs stay comparable.

use super::{report::Plan, Mapping};
use crate::{
    formats::{
        connector::Registry,
        record,
        vcf::{tree::VariantView, Assembly},
        FormatError,
    },
    messages::{self, Envelope},
    report::{build_report, Selection},
    store::Order,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::{collections::BTreeSet, path::Path};

/// What a mapping produced from one sample.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outputs {
    /// LIMS documents, in order: `{ "key": …, "body": … }`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lims: Vec<Value>,
    /// The ORU^R01, segments separated by `\r`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lri: Option<String>,
    /// The FHIR Bundle, as JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fhir: Option<String>,
}

/// Where one output field came from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Provenance {
    /// The output field: `OBX 2/48018-6` (group and code), or a LIMS JSON path
    /// `doc[3].sample.lane`.
    pub output: String,
    /// The rule's target.
    pub rule: String,
    /// The source path that gave the value; `None` for a constant or default.
    pub source: Option<String>,
    pub transforms: Vec<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SampleRun {
    pub outputs: Outputs,
    /// Errors, each naming the mapping, the rule and the reason (and the line for VCFs).
    pub errors: Vec<String>,
    pub provenance: Vec<Provenance>,
    /// Source fields of this sample that no rule reads.
    pub unread: Vec<String>,
}

/// The synthetic order a test run reports against. Not a real person.
pub fn test_order(sample: &str) -> Order {
    Order {
        accession: "ACC-TEST-0001".into(),
        sample_id: sample.into(),
        placer_number: "PL-TEST".into(),
        filler_number: "GB-TEST".into(),
        patient_mrn: "SYN-TEST-01".into(),
        patient_family: "Testcase".into(),
        patient_given: "Synthetic".into(),
        birth_date: "1990-01-01".into(),
        sex: "U".into(),
        test_code: "GB-PANEL".into(),
        test_name: "Germline panel".into(),
        specimen_type: "Blood".into(),
        ..Order::default()
    }
}

fn test_envelope() -> Envelope {
    let mut env = Envelope::new("GB-MAPPING-TEST");
    env.created = time::macros::datetime!(2026-01-01 00:00:00 UTC);
    env
}

/// How a sample is read: the selection and tables of the running configuration, and its
/// connectors.
pub struct SampleContext {
    pub selection: Selection,
    pub registry: Registry,
    /// Used when the VCF's header does not name its assembly.
    pub assembly: Option<Assembly>,
}

impl Default for SampleContext {
    fn default() -> Self {
        SampleContext {
            selection: Selection {
                filters: vec!["PASS".into(), ".".into()],
                ..Selection::default()
            },
            registry: Registry::builtin(),
            assembly: Some(Assembly::GRCh37),
        }
    }
}

/// Runs `m` on the sample at `input`. A file that cannot be read is an error naming the
/// file, line and reason; a mapping failure is listed in `errors`.
pub fn run(m: &Mapping, input: &Path, cx: &SampleContext) -> Result<SampleRun, FormatError> {
    if m.is_report() {
        run_report(m, input, cx)
    } else {
        run_lims(m, input, cx)
    }
}

/// The paths a rule reads, normalised as the schema lists them (`clinvar.X` is `info.X`).
fn read_paths(m: &Mapping) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in m.source_paths() {
        out.insert(p.to_string());
        if let Some(k) = p.strip_prefix("clinvar.") {
            out.insert(format!("info.{k}"));
        }
        if let Some((head, field)) = p.split_once("].") {
            // `ann[1].x` reads the same field as `ann[].x`.
            let base = head.split('[').next().unwrap_or(head);
            out.insert(format!("{base}[].{field}"));
        }
    }
    out
}

fn run_report(m: &Mapping, input: &Path, cx: &SampleContext) -> Result<SampleRun, FormatError> {
    let selection = cx.selection.clone().load()?;
    let plan = Plan::compile(m, selection.genes_by_symbol.clone())
        .map_err(|e| FormatError::new(input, None, e.to_string()))?;
    let report = build_report(input, None, cx.assembly, &selection, |_, _, _| {})?;
    let env = test_envelope();
    let order = test_order(&report.head.sample_id);
    let mut run = SampleRun::default();
    for r in &report.tally.rejected {
        run.errors.push(format!(
            "{}: line {}: {}",
            input.display(),
            r.line,
            r.reason
        ));
    }
    let mapped = messages::map_report(&report, &env, &plan);
    for r in &mapped.rejected {
        run.errors.push(format!(
            "{}: line {}: {}",
            input.display(),
            r.line,
            r.reason
        ));
    }
    let facts = messages::facts(&report.head, &env);
    for (group, (_, fields)) in mapped.variants.iter().enumerate() {
        for f in &fields.0 {
            let rule = &m.rules[f.rule];
            run.provenance.push(Provenance {
                output: format!("OBX {}/{}", group + 2, f.target.code),
                rule: rule.to.clone(),
                source: f.from.and_then(|i| rule.from.0.get(i).cloned()),
                transforms: rule
                    .transform
                    .iter()
                    .map(|t| t.name().to_string())
                    .collect(),
            });
        }
    }
    // Coverage over the first variants' trees: what the sample has that nothing reads.
    let mut schema_paths = BTreeSet::new();
    for v in report.variants.iter().take(200) {
        let view = VariantView::new(v, facts, &plan.choice);
        for f in record::schema(&view.to_json()) {
            schema_paths.insert(f.path);
        }
    }
    let read = read_paths(m);
    run.unread = schema_paths
        .into_iter()
        .filter(|p| !read.contains(p) && !p.starts_with("report."))
        .collect();
    let lri = messages::kind("lri").expect("lri");
    let fhir = messages::kind("fhir").expect("fhir");
    run.outputs.lri = Some(lri.build(&report, &order, &env, &plan));
    run.outputs.fhir = Some(fhir.build(&report, &order, &env, &plan));
    Ok(run)
}

fn run_lims(m: &Mapping, input: &Path, cx: &SampleContext) -> Result<SampleRun, FormatError> {
    let parsed = cx.registry.parse(input, Some(&m.source))?;
    let tree = &parsed.tree;
    let mut run = SampleRun::default();
    match m.apply(tree) {
        Ok(docs) => {
            for (i, d) in docs.iter().enumerate() {
                let key = std::iter::once(d.run_id.clone())
                    .chain(d.sample_id.clone())
                    .chain(d.key_extra.iter().cloned())
                    .collect::<Vec<_>>()
                    .join("/");
                for r in &m.rules {
                    run.provenance.push(Provenance {
                        output: format!("doc[{i}].{}", r.to.trim_start_matches('/')),
                        rule: r.to.clone(),
                        source: r.from.0.first().cloned(),
                        transforms: r.transform.iter().map(|t| t.name().to_string()).collect(),
                    });
                }
                run.outputs
                    .lims
                    .push(serde_json::json!({ "key": key, "body": d.body }));
            }
        }
        Err(e) => run.errors.push(format!("{}: {e}", input.display())),
    }
    let read = read_paths(m);
    let per = m.per.clone().unwrap_or_default();
    run.unread = record::schema(tree)
        .into_iter()
        .map(|f| f.path)
        .filter(|p| {
            !read.contains(p)
                && *p != m.run_id
                && Some(p) != m.sample_id.as_ref()
                && !m.key_extra.contains(p)
                && !(per.len() > 2 && *p == per[..per.len() - 2])
        })
        .collect();
    Ok(run)
}
