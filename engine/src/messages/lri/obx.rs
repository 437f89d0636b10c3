//! Where an OBX gets built. LRI groups a variant's observations by OBX-4 sub-ID:
//! sub-ID 1 holds the overall interpretation (51968-6), then each variant has its own.

use super::super::{assembly_code, codes, codes::Code, refseq, significance_code, zygosity_code};
use crate::formats::vcf::{Assembly, Variant};
use hl7_parser::builder::{FieldBuilder, SegmentBuilder};

/// Builds OBX segments; OBX-1 keeps counting across calls.
#[derive(Default)]
pub struct ObxWriter {
    written: usize,
    segments: Vec<SegmentBuilder>,
}

fn cwe(code: &str, display: &str, system: &str) -> FieldBuilder {
    FieldBuilder::default()
        .with_component_value(1, code)
        .with_component_value(2, display)
        .with_component_value(3, system)
}

fn loinc(c: Code) -> FieldBuilder {
    cwe(c.code, c.display, "LN")
}

impl ObxWriter {
    /// OBX-1 counts from 1 across the whole message.
    fn push(
        &mut self,
        value_type: &str,
        what: Code,
        sub_id: &str,
        value: FieldBuilder,
        units: Option<&str>,
    ) {
        let mut seg = SegmentBuilder::new("OBX")
            .with_field_value(1, self.written + self.segments.len() + 1)
            .with_field_value(2, value_type)
            .with_field(3, loinc(what))
            .with_field_value(4, sub_id)
            .with_field(5, value);
        if let Some(u) = units {
            seg = seg.with_field(6, cwe(u, u, "UCUM"));
        }
        self.segments.push(seg.with_field_value(11, "F"));
    }

    fn coded(&mut self, what: Code, sub_id: &str, answer: Code) {
        self.push("CWE", what, sub_id, loinc(answer), None);
    }

    fn string(&mut self, what: Code, sub_id: &str, value: &str) {
        self.push("ST", what, sub_id, FieldBuilder::from(value), None);
    }

    /// Positive when any reported variant is pathogenic or likely pathogenic. Otherwise
    /// no overall call is made: without curated significance for every variant a
    /// "Negative" would overstate what the pipeline knows.
    pub fn overall_interpretation(&mut self, positive: bool) -> Vec<SegmentBuilder> {
        if positive {
            self.coded(codes::OVERALL_INTERPRETATION, "1", codes::POSITIVE);
        }
        self.take()
    }

    fn take(&mut self) -> Vec<SegmentBuilder> {
        self.written += self.segments.len();
        std::mem::take(&mut self.segments)
    }

    pub fn variant_group(
        &mut self,
        sub_id: &str,
        v: &Variant,
        assembly: Assembly,
        somatic: bool,
    ) -> Vec<SegmentBuilder> {
        self.coded(codes::VARIANT_ASSESSMENT, sub_id, codes::PRESENT);
        if let Some(a) = &v.annotation {
            if let Some(symbol) = &a.gene_symbol {
                let id = a.hgnc_id.as_deref().unwrap_or(symbol);
                self.push(
                    "CWE",
                    codes::GENE_STUDIED,
                    sub_id,
                    cwe(id, symbol, "HGNC"),
                    None,
                );
            }
            if let Some(full) = a.full_c_hgvs() {
                self.push(
                    "CWE",
                    codes::C_HGVS,
                    sub_id,
                    cwe(&full, &full, "HGVS"),
                    None,
                );
            }
            if let Some(p) = &a.p_hgvs {
                self.push("CWE", codes::P_HGVS, sub_id, cwe(p, p, "HGVS"), None);
            }
            if let Some(t) = &a.transcript {
                let system = if a.transcript_is_ensembl() {
                    "ENSEMBL"
                } else {
                    "RefSeq-T"
                };
                self.push(
                    "CWE",
                    codes::TRANSCRIPT_REF_SEQ,
                    sub_id,
                    cwe(t, t, system),
                    None,
                );
            }
        }
        let chrom = v.chromosome();
        if let Some(nc) = refseq(chrom, assembly) {
            self.push(
                "CWE",
                codes::GENOMIC_REF_SEQ,
                sub_id,
                cwe(nc, nc, "RefSeq-G"),
                None,
            );
        }
        self.coded(codes::ASSEMBLY, sub_id, assembly_code(assembly));
        if let Some(c) = codes::chromosome(chrom) {
            self.coded(codes::CHROMOSOME, sub_id, c);
        }
        self.string(codes::REF_ALLELE, sub_id, &v.ref_allele);
        self.string(codes::ALT_ALLELE, sub_id, &v.alt_allele);
        self.coded(codes::COORDINATE_SYSTEM, sub_id, codes::ONE_BASED);
        let range = FieldBuilder::default()
            .with_component_value(1, v.pos)
            .with_component_value(2, v.end);
        self.push("NR", codes::EXACT_START_END, sub_id, range, None);
        if let Some(z) = v.zygosity {
            self.coded(codes::ALLELIC_STATE, sub_id, zygosity_code(z));
        }
        if let Some(af) = v.allele_frequency {
            self.push(
                "NM",
                codes::ALLELE_FREQUENCY,
                sub_id,
                FieldBuilder::from(format!("{af:.3}")),
                Some("1"),
            );
        }
        if let Some(dp) = v.genotype.as_ref().and_then(|g| g.read_depth) {
            self.push(
                "NM",
                codes::READ_DEPTH,
                sub_id,
                FieldBuilder::from(dp),
                None,
            );
        }
        self.coded(codes::ANALYSIS_METHOD, sub_id, codes::SEQUENCING);
        if let Some(s) = v.clinical_significance {
            self.coded(codes::CLINICAL_SIGNIFICANCE, sub_id, significance_code(s));
        }
        self.coded(
            codes::GENOMIC_SOURCE_CLASS,
            sub_id,
            if somatic {
                codes::SOMATIC
            } else {
                codes::GERMLINE
            },
        );
        self.take()
    }
}
