//! The sample's genotype fields: GT (phased or not), AD, DP and AF.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Zygosity {
    Heterozygous,
    Homozygous,
    Hemizygous,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Genotype {
    pub gt: String,
    pub phased: bool,
    /// Allele indexes as called; `None` for a no-call (`.`).
    #[serde(skip)]
    pub alleles: Vec<Option<usize>>,
    pub allele_depths: Vec<u32>,
    pub read_depth: Option<u32>,
    pub allele_frequencies: Vec<f64>,
}

impl Genotype {
    /// Reads the first sample's FORMAT/sample columns (9 and 10, 0-based 8 and 9).
    pub fn from_columns(format: &str, sample: &str) -> Option<Genotype> {
        let mut gt = None;
        let mut ad = Vec::new();
        let mut dp = None;
        let mut af = Vec::new();
        for (key, value) in format.split(':').zip(sample.split(':')) {
            match key {
                "GT" => gt = Some(value.to_string()),
                "AD" => ad = value.split(',').filter_map(|v| v.parse().ok()).collect(),
                "DP" => dp = value.parse().ok(),
                "AF" | "VAF" => af = value.split(',').filter_map(|v| v.parse().ok()).collect(),
                _ => {}
            }
        }
        let gt = gt?;
        let phased = gt.contains('|');
        let alleles = gt
            .split(['/', '|'])
            .map(|a| a.parse::<usize>().ok())
            .collect();
        Some(Genotype {
            gt,
            phased,
            alleles,
            allele_depths: ad,
            read_depth: dp,
            allele_frequencies: af,
        })
    }

    pub fn is_no_call(&self) -> bool {
        self.alleles.iter().all(Option::is_none)
    }

    /// Zygosity for ALT allele `alt` (1-based allele index), or `None` when not carried.
    pub fn zygosity_of(&self, alt: usize) -> Option<Zygosity> {
        let copies = self.alleles.iter().filter(|a| **a == Some(alt)).count();
        match (copies, self.alleles.len()) {
            (0, _) => None,
            (1, 1) => Some(Zygosity::Hemizygous),
            (c, n) if c == n => Some(Zygosity::Homozygous),
            _ => Some(Zygosity::Heterozygous),
        }
    }

    /// The ALT allele's fraction: FORMAT AF where given, else AD[alt] / DP (or / sum of AD).
    pub fn allele_frequency(&self, alt: usize) -> Option<f64> {
        if let Some(f) = self.allele_frequencies.get(alt - 1) {
            return Some(*f);
        }
        let depth = self.allele_depths.get(alt)?;
        let total = self.read_depth.filter(|d| *d > 0).or_else(|| {
            let s: u32 = self.allele_depths.iter().sum();
            (s > 0).then_some(s)
        })?;
        Some(f64::from(*depth) / f64::from(total))
    }

    pub fn alt_depth(&self, alt: usize) -> Option<u32> {
        self.allele_depths.get(alt).copied()
    }
}
