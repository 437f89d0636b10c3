//! A report mapping compiled into a plan: paths resolved to accessors, targets to the
//! catalogue, transforms built. The plan then runs once per variant and yields neutral
//! coded fields ([`Field`]) that the LRI and FHIR writers spell in their own syntax.

use super::{
    catalogue::{self, Target, ValueType},
    transform::{Compiled, Context, Step},
    Mapping, MappingError, TranscriptChoice,
};
use crate::{
    formats::{
        hgnc::GeneTable,
        vcf::tree::{accessor, Accessor, VariantView},
    },
    messages::codes::Code,
};
use serde_json::Value;
use std::borrow::Cow;

/// A field's value, typed by its target.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue<'a> {
    /// An answer from the target's list.
    Answer(Code),
    /// A code in the target's system, with its text; either may be missing, not both.
    Coded {
        code: Option<Cow<'a, str>>,
        text: Option<Cow<'a, str>>,
    },
    Text(Cow<'a, str>),
    Range(u64, u64),
    /// A decimal as the mapping formatted it (`0.476`).
    Decimal(Cow<'a, str>),
    Count(u64),
}

/// One coded observation of a variant, and the rule that made it.
#[derive(Clone, Debug, PartialEq)]
pub struct Field<'a> {
    pub target: &'static Target,
    pub value: FieldValue<'a>,
    /// The rule's index in the mapping.
    pub rule: usize,
    /// Which of the rule's `from` paths gave the value (`None`: a constant or default).
    pub from: Option<usize>,
}

/// The fields of one variant, in rule order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields<'a>(pub Vec<Field<'a>>);

impl Fields<'_> {
    /// The same fields, owning their text, to cross a thread.
    pub fn into_owned(self) -> Fields<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        Fields(
            self.0
                .into_iter()
                .map(|f| Field {
                    target: f.target,
                    rule: f.rule,
                    from: f.from,
                    value: match f.value {
                        FieldValue::Answer(a) => FieldValue::Answer(a),
                        FieldValue::Coded { code, text } => FieldValue::Coded {
                            code: code.map(own),
                            text: text.map(own),
                        },
                        FieldValue::Text(t) => FieldValue::Text(own(t)),
                        FieldValue::Range(a, b) => FieldValue::Range(a, b),
                        FieldValue::Decimal(d) => FieldValue::Decimal(own(d)),
                        FieldValue::Count(n) => FieldValue::Count(n),
                    },
                })
                .collect(),
        )
    }

    pub fn get(&self, code: &str) -> Option<&FieldValue<'_>> {
        self.0
            .iter()
            .find(|f| f.target.code == code)
            .map(|f| &f.value)
    }

    /// The clinical significance answer (53037-8), when mapped.
    pub fn significance(&self) -> Option<Code> {
        match self.get(crate::messages::codes::CLINICAL_SIGNIFICANCE.code) {
            Some(FieldValue::Answer(c)) => Some(*c),
            _ => None,
        }
    }

    pub fn is_positive(&self) -> bool {
        self.significance().is_some_and(catalogue::is_positive)
    }
}

struct CompiledRule {
    target: &'static Target,
    from: Vec<Accessor>,
    value: Option<String>,
    text: Vec<Accessor>,
    end: Vec<Accessor>,
    extra: Vec<Accessor>,
    transforms: Vec<Compiled>,
    default: Option<String>,
    required: bool,
    /// For errors: the rule's first source path.
    shown: Option<String>,
}

/// A compiled report mapping.
pub struct Plan {
    pub name: String,
    /// The SHA-256 of the mapping's body: the version that produced a message.
    pub sha256: String,
    pub choice: TranscriptChoice,
    rules: Vec<CompiledRule>,
    genes: Option<std::sync::Arc<GeneTable>>,
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Plan {
    /// Compiles `m` (checked first); `genes` is the HGNC table `hgnc_id` reads.
    pub fn compile(
        m: &Mapping,
        genes: Option<std::sync::Arc<GeneTable>>,
    ) -> Result<Plan, MappingError> {
        m.validate()?;
        if !m.is_report() {
            return Err(m.error(Some("kind"), None, "not a report mapping"));
        }
        let mut rules = Vec::new();
        for r in &m.rules {
            let target = catalogue::target(&r.to).expect("validate checked the target");
            let paths = |s: &super::Sources| -> Result<Vec<Accessor>, MappingError> {
                s.iter()
                    .map(|p| accessor(p).map_err(|e| m.error(Some(&r.to), Some(p.into()), e)))
                    .collect()
            };
            let mut extra = Vec::new();
            for p in r.transform.iter().flat_map(|t| t.paths()) {
                extra.push(accessor(p).map_err(|e| m.error(Some(&r.to), Some(p.into()), e))?);
            }
            let mut next = 0;
            let transforms = r
                .transform
                .iter()
                .map(|t| Compiled::new(t, &m.tables, &mut next))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| m.error(Some(&r.to), None, e))?;
            rules.push(CompiledRule {
                target,
                from: paths(&r.from)?,
                value: r.value.as_ref().map(text_of),
                text: paths(&r.text)?,
                end: paths(&r.end)?,
                extra,
                transforms,
                default: r.default.as_ref().map(text_of),
                required: r.required,
                shown: r.from.iter().next().map(str::to_string),
            });
        }
        Ok(Plan {
            name: m.name.clone(),
            sha256: m.sha256(),
            choice: m.transcript.clone().unwrap_or_default(),
            rules,
            genes,
        })
    }

    /// The fields of one variant. An error names the rule; the caller rejects the record.
    pub fn evaluate<'a>(&'a self, view: &VariantView<'a>) -> Result<Fields<'a>, MappingError> {
        let mut out = Vec::with_capacity(self.rules.len());
        for (i, r) in self.rules.iter().enumerate() {
            if let Some(f) = self.rule(i, r, view)? {
                out.push(f);
            }
        }
        Ok(Fields(out))
    }

    fn error(&self, r: &CompiledRule, reason: impl Into<String>) -> MappingError {
        MappingError {
            mapping: self.name.clone(),
            field: Some(r.target.code.to_string()),
            path: r.shown.clone(),
            reason: reason.into(),
        }
    }

    fn rule<'a>(
        &'a self,
        index: usize,
        r: &'a CompiledRule,
        view: &VariantView<'a>,
    ) -> Result<Option<Field<'a>>, MappingError> {
        // A position range read straight from the record needs no text in between.
        if r.target.value_type == ValueType::Range && r.transforms.is_empty() && r.value.is_none() {
            if let (Some(start), Some(end)) = (
                r.from.first().and_then(|a| view.position(a)),
                r.end.first().and_then(|a| view.position(a)),
            ) {
                return Ok(Some(Field {
                    target: r.target,
                    value: FieldValue::Range(start, end),
                    rule: index,
                    from: Some(0),
                }));
            }
        }
        let mut from = None;
        let mut value: Option<Cow<'a, str>> = match &r.value {
            Some(c) => Some(Cow::Borrowed(c.as_str())),
            None => r.from.iter().enumerate().find_map(|(i, a)| {
                let v = view.get(a)?;
                from = Some(i);
                Some(v)
            }),
        };
        if let Some(v) = value.take() {
            let cx = ViewContext {
                view,
                extra: &r.extra,
                genes: self.genes.as_deref(),
            };
            let mut cur = Some(v);
            for t in &r.transforms {
                let Some(v) = cur.take() else { break };
                cur = match t.apply(v, &cx).map_err(|e| self.error(r, e))? {
                    Step::Value(v) => Some(v),
                    Step::Missing => None,
                };
            }
            value = cur;
        }
        if value.is_none() {
            value = r.default.as_deref().map(Cow::Borrowed);
        }
        let text = || r.text.iter().find_map(|a| view.get(a));
        let value = match (r.target.value_type, value) {
            (ValueType::Code, code) => {
                let text = text();
                if code.is_none() && text.is_none() {
                    None
                } else {
                    Some(FieldValue::Coded { code, text })
                }
            }
            (_, None) => None,
            (ValueType::Answer, Some(v)) => match r.target.answer(&v) {
                Some(a) => Some(FieldValue::Answer(a)),
                None => {
                    return Err(self.error(
                        r,
                        format!(
                            "{v:?} is not an answer of {} {}",
                            r.target.code, r.target.display
                        ),
                    ))
                }
            },
            (ValueType::Text, Some(v)) => Some(FieldValue::Text(v)),
            (ValueType::Decimal, Some(v)) => {
                if v.trim().parse::<f64>().is_err() {
                    return Err(self.error(r, "the value is not a decimal number"));
                }
                Some(FieldValue::Decimal(v))
            }
            (ValueType::Count, Some(v)) => match v.trim().parse::<u64>() {
                Ok(n) => Some(FieldValue::Count(n)),
                Err(_) => return Err(self.error(r, "the value is not a whole number")),
            },
            (ValueType::Range, Some(v)) => {
                let start = v
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| self.error(r, "the start is not a position"))?;
                let end = match r.end.iter().find_map(|a| view.get(a)) {
                    Some(e) => e
                        .trim()
                        .parse::<u64>()
                        .map_err(|_| self.error(r, "the end is not a position"))?,
                    None => start,
                };
                Some(FieldValue::Range(start, end))
            }
        };
        match value {
            Some(value) => Ok(Some(Field {
                target: r.target,
                value,
                rule: index,
                from,
            })),
            None if r.required => Err(self.error(r, "required value is missing")),
            None => Ok(None),
        }
    }
}

struct ViewContext<'v, 'a> {
    view: &'v VariantView<'a>,
    extra: &'v [Accessor],
    genes: Option<&'v GeneTable>,
}

impl Context for ViewContext<'_, '_> {
    fn path(&self, i: usize) -> Option<Cow<'_, str>> {
        self.view.get(self.extra.get(i)?)
    }
    fn genes(&self) -> Option<&GeneTable> {
        self.genes
    }
    fn alt_index(&self) -> Option<usize> {
        Some(self.view.v.alt_index)
    }
    fn allele_frequency(&self) -> Option<f64> {
        self.view
            .v
            .genotype
            .as_ref()
            .and_then(|g| g.allele_frequency(self.view.v.alt_index))
    }
    fn refseq_accession(&self, chromosome: &str) -> Option<&'static str> {
        crate::messages::refseq(chromosome, self.view.facts().assembly)
    }
}
