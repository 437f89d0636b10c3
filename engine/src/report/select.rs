//! The rules that choose which variants a report covers. Configuration, not code.

use crate::formats::{
    bed::Regions,
    hgnc::GeneTable,
    medications::MedicationTable,
    vcf::{annotation::CsqLayout, ClinicalSignificance, Variant},
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Selection {
    /// FILTER values accepted. `["PASS"]` reports passing calls only.
    pub filters: Vec<String>,
    /// Gene symbols to report; empty means every gene.
    pub genes: Vec<String>,
    /// Clinical-significance classes to report; empty means every class, including none.
    pub significance: Vec<ClinicalSignificance>,
    /// BED file of the regions the test studied; variants outside are not reported.
    pub regions_bed: Option<std::path::PathBuf>,
    /// The BED file, once read (`Selection::load`).
    #[serde(skip)]
    pub regions: Option<Arc<Regions>>,
    /// HGNC's complete-set export (`hgnc_complete_set.txt`), to give gene symbols their
    /// HGNC ids where the annotation has none (SnpEff's ANN never does).
    pub hgnc_table: Option<std::path::PathBuf>,
    /// The gene table, once read (`Selection::load`).
    #[serde(skip)]
    pub genes_by_symbol: Option<Arc<GeneTable>>,
    /// Medication name → RxNorm RxCUI (tab-separated, `name` and `rxcui` columns), to code
    /// the drugs of ClinVar drug-response assertions.
    pub rxnorm_table: Option<std::path::PathBuf>,
    /// The medication table, once read (`Selection::load`).
    #[serde(skip)]
    pub medications: Option<Arc<MedicationTable>>,
}

impl Default for Selection {
    fn default() -> Self {
        Selection {
            filters: vec!["PASS".into()],
            genes: Vec::new(),
            significance: Vec::new(),
            regions_bed: None,
            regions: None,
            hgnc_table: None,
            genes_by_symbol: None,
            rxnorm_table: None,
            medications: None,
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
    /// Reads the BED file and the gene table the selection names, if any.
    pub fn load(mut self) -> Result<Self, crate::formats::FormatError> {
        if let (Some(p), None) = (&self.regions_bed, &self.regions) {
            self.regions = Some(Arc::new(Regions::read(p)?));
        }
        if let (Some(p), None) = (&self.hgnc_table, &self.genes_by_symbol) {
            self.genes_by_symbol = Some(Arc::new(GeneTable::read(p)?));
        }
        if let (Some(p), None) = (&self.rxnorm_table, &self.medications) {
            self.medications = Some(Arc::new(MedicationTable::read(p)?));
        }
        Ok(self)
    }

    /// Fills in what the lab's medication table knows and ClinVar does not: the RxNorm
    /// code of a drug it names. (HGNC ids are the report mapping's `hgnc_id` transform,
    /// which reads `hgnc_table` through the compiled plan.)
    pub fn annotate(&self, v: &mut Variant) {
        if let Some(meds) = &self.medications {
            for d in v.drug_responses.iter_mut().filter(|d| d.rxnorm.is_none()) {
                d.rxnorm = meds.rxcui(&d.drug).map(str::to_string);
            }
        }
    }

    /// `csq` is the file's VEP layout, for the gene filter.
    pub fn accepts(&self, v: &Variant, csq: Option<&CsqLayout>) -> bool {
        if let Some(r) = &self.regions {
            if !r.contains(&v.chrom, v.pos) {
                return false;
            }
        }
        let filter_ok = self.filters.is_empty() || self.filters.iter().any(|f| f == &v.filter);
        let gene_ok = self.genes.is_empty()
            || v.annotation(csq)
                .and_then(|a| a.gene_symbol)
                .is_some_and(|g| self.genes.contains(&g));
        let sig_ok = self.significance.is_empty()
            || v.clinical_significance
                .is_some_and(|s| self.significance.contains(&s));
        filter_ok && gene_ok && sig_ok
    }
}
