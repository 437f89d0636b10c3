//! The rules that choose which variants a report covers. Configuration, not code.

use crate::formats::vcf::{ClinicalSignificance, Variant};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Selection {
    /// FILTER values accepted. `["PASS"]` reports passing calls only.
    pub filters: Vec<String>,
    /// Gene symbols to report; empty means every gene.
    pub genes: Vec<String>,
    /// Clinical-significance classes to report; empty means every class, including none.
    pub significance: Vec<ClinicalSignificance>,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            filters: vec!["PASS".into()],
            genes: Vec::new(),
            significance: Vec::new(),
        }
    }
}

impl<'de> Deserialize<'de> for ClinicalSignificance {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ClinicalSignificance::from_clinvar(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown clinical significance {s:?}")))
    }
}

impl Selection {
    pub fn accepts(&self, v: &Variant) -> bool {
        let filter_ok = self.filters.is_empty() || self.filters.iter().any(|f| f == &v.filter);
        let gene_ok = self.genes.is_empty()
            || v.annotation
                .as_ref()
                .and_then(|a| a.gene_symbol.as_ref())
                .is_some_and(|g| self.genes.iter().any(|x| x == g));
        let sig_ok = self.significance.is_empty()
            || v.clinical_significance
                .is_some_and(|s| self.significance.contains(&s));
        filter_ok && gene_ok && sig_ok
    }
}
