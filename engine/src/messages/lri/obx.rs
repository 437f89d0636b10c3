//! Where an OBX gets built. LRI groups a variant's observations by OBX-4 sub-ID:
//! sub-ID 1 holds the overall interpretation (51968-6), `1a`, `1b`… the regions studied
//! per chromosome (48013-7, then 51959-5 ranges as `1a.a`, `1a.b`…), then each variant has
//! its own group from 2.
//!
//! OBX is the one segment written per variant, so it is written straight to the output
//! rather than through hl7-parser's builder (whose field maps cost more than the rest of
//! the conversion). Every value still goes through hl7-parser's `Separators::encode`.

use super::super::{assembly_code, codes, codes::Code, refseq, significance_code, zygosity_code};
use crate::formats::{
    bed::Regions,
    vcf::{Assembly, Variant},
};
use hl7_parser::message::Separators;
use std::io::{self, Write};

/// OBX-5, by value type.
enum Value<'a> {
    /// CWE: code, text, coding system. An empty code sends the text alone.
    Cwe(&'a str, &'a str, &'a str),
    St(&'a str),
    /// NR: low^high.
    Nr(u64, u64),
    Nm(&'a str),
}

impl Value<'_> {
    fn type_code(&self) -> &'static str {
        match self {
            Value::Cwe(..) => "CWE",
            Value::St(_) => "ST",
            Value::Nr(..) => "NR",
            Value::Nm(_) => "NM",
        }
    }
}

/// Writes OBX segments; OBX-1 keeps counting across the message.
pub struct ObxWriter {
    sep: Separators,
    /// The field and component separators, UTF-8 encoded once.
    field: String,
    component: String,
    /// The characters `Separators::encode` escapes, by byte, where they are all ASCII
    /// (they always are in practice); `None` falls back to a per-char check.
    special: Option<[bool; 128]>,
    set_id: usize,
}

impl ObxWriter {
    pub fn new(sep: Separators) -> Self {
        let chars = escaped_chars(&sep);
        let special = chars.iter().all(char::is_ascii).then(|| {
            let mut table = [false; 128];
            for c in chars {
                table[c as usize] = true;
            }
            table
        });
        ObxWriter {
            sep,
            field: sep.field.to_string(),
            component: sep.component.to_string(),
            special,
            set_id: 0,
        }
    }

    fn needs_escaping(&self, s: &str) -> bool {
        match &self.special {
            Some(table) => s.bytes().any(|b| b < 128 && table[b as usize]),
            None => s.contains(escaped_chars(&self.sep)),
        }
    }

    /// A value escaped by hl7-parser; the common case, nothing to escape, is copied as is.
    fn put(&self, out: &mut impl Write, s: &str) -> io::Result<()> {
        if self.needs_escaping(s) {
            write!(out, "{}", self.sep.encode(s))
        } else {
            out.write_all(s.as_bytes())
        }
    }

    fn cwe(&self, out: &mut impl Write, code: &str, text: &str, system: &str) -> io::Result<()> {
        let c = self.component.as_bytes();
        self.put(out, code)?;
        out.write_all(c)?;
        self.put(out, text)?;
        out.write_all(c)?;
        self.put(out, system)
    }

    /// `\rOBX|n|type|code^display^LN|sub-id|value|units|||||F`
    fn obx(
        &mut self,
        out: &mut impl Write,
        what: Code,
        sub_id: &str,
        value: Value<'_>,
        units: Option<&str>,
    ) -> io::Result<()> {
        self.set_id += 1;
        let f = self.field.as_bytes();
        out.write_all(b"\rOBX")?;
        out.write_all(f)?;
        write!(out, "{}", self.set_id)?;
        out.write_all(f)?;
        out.write_all(value.type_code().as_bytes())?;
        out.write_all(f)?;
        self.cwe(out, what.code, what.display, "LN")?;
        out.write_all(f)?;
        self.put(out, sub_id)?;
        out.write_all(f)?;
        match value {
            Value::Cwe(code, text, system) => self.cwe(out, code, text, system)?,
            Value::St(s) | Value::Nm(s) => self.put(out, s)?,
            Value::Nr(low, high) => write!(out, "{low}{}{high}", self.component)?,
        }
        out.write_all(f)?;
        if let Some(u) = units {
            self.cwe(out, u, u, "UCUM")?;
        }
        for _ in 0..5 {
            out.write_all(f)?;
        }
        out.write_all(b"F")
    }

    fn coded(&mut self, out: &mut impl Write, what: Code, sub: &str, a: Code) -> io::Result<()> {
        self.obx(out, what, sub, Value::Cwe(a.code, a.display, "LN"), None)
    }

    /// Positive when any reported variant is pathogenic or likely pathogenic. Otherwise
    /// no overall call is made: without curated significance for every variant a
    /// "Negative" would overstate what the pipeline knows.
    pub fn overall_interpretation(
        &mut self,
        out: &mut impl Write,
        positive: bool,
    ) -> io::Result<()> {
        if positive {
            self.coded(out, codes::OVERALL_INTERPRETATION, "1", codes::POSITIVE)?;
        }
        Ok(())
    }

    /// The regions studied, as LRI R1 lays them out: per chromosome its reference
    /// sequence (`1a`), then each range (`1a.a`, `1a.b`…), 1-based and inclusive.
    pub fn regions(
        &mut self,
        out: &mut impl Write,
        regions: &Regions,
        assembly: Assembly,
    ) -> io::Result<()> {
        for (i, (chrom, ranges)) in regions.by_chromosome().into_iter().enumerate() {
            let sub = format!("1{}", letters(i));
            let nc = refseq(chrom, assembly).unwrap_or(chrom);
            self.obx(out, codes::GENOMIC_REF_SEQ, &sub, Value::St(nc), None)?;
            for (j, &(start, end)) in ranges.iter().enumerate() {
                let range_sub = format!("{sub}.{}", letters(j));
                self.obx(
                    out,
                    codes::DNA_RANGES_EXAMINED,
                    &range_sub,
                    Value::Nr(start + 1, end),
                    None,
                )?;
            }
        }
        Ok(())
    }

    pub fn variant_group(
        &mut self,
        out: &mut impl Write,
        sub_id: &str,
        v: &Variant,
        assembly: Assembly,
        somatic: bool,
    ) -> io::Result<()> {
        self.coded(out, codes::VARIANT_ASSESSMENT, sub_id, codes::PRESENT)?;
        if let Some(a) = &v.annotation {
            if let Some(symbol) = &a.gene_symbol {
                // Without an HGNC id the symbol goes as text only: claiming it as an HGNC
                // code would send a code that is not one.
                let (id, system) = match &a.hgnc_id {
                    Some(id) => (id.as_str(), "HGNC"),
                    None => ("", ""),
                };
                let value = Value::Cwe(id, symbol, system);
                self.obx(out, codes::GENE_STUDIED, sub_id, value, None)?;
            }
            if let Some(full) = a.full_c_hgvs() {
                let value = Value::Cwe(&full, &full, "HGVS");
                self.obx(out, codes::C_HGVS, sub_id, value, None)?;
            }
            if let Some(p) = &a.p_hgvs {
                self.obx(out, codes::P_HGVS, sub_id, Value::Cwe(p, p, "HGVS"), None)?;
            }
            if let Some(t) = &a.transcript {
                let system = if a.transcript_is_ensembl() {
                    "ENSEMBL"
                } else {
                    "RefSeq-T"
                };
                let value = Value::Cwe(t, t, system);
                self.obx(out, codes::TRANSCRIPT_REF_SEQ, sub_id, value, None)?;
            }
        }
        let chrom = v.chromosome();
        if let Some(nc) = refseq(chrom, assembly) {
            let value = Value::Cwe(nc, nc, "RefSeq-G");
            self.obx(out, codes::GENOMIC_REF_SEQ, sub_id, value, None)?;
        }
        self.coded(out, codes::ASSEMBLY, sub_id, assembly_code(assembly))?;
        if let Some(c) = codes::chromosome(chrom) {
            self.coded(out, codes::CHROMOSOME, sub_id, c)?;
        }
        self.obx(
            out,
            codes::REF_ALLELE,
            sub_id,
            Value::St(&v.ref_allele),
            None,
        )?;
        self.obx(
            out,
            codes::ALT_ALLELE,
            sub_id,
            Value::St(&v.alt_allele),
            None,
        )?;
        self.coded(out, codes::COORDINATE_SYSTEM, sub_id, codes::ONE_BASED)?;
        let range = Value::Nr(v.pos, v.end);
        self.obx(out, codes::EXACT_START_END, sub_id, range, None)?;
        if let Some(z) = v.zygosity {
            self.coded(out, codes::ALLELIC_STATE, sub_id, zygosity_code(z))?;
        }
        if let Some(af) = v.allele_frequency {
            let af = format!("{af:.3}");
            let value = Value::Nm(&af);
            self.obx(out, codes::ALLELE_FREQUENCY, sub_id, value, Some("1"))?;
        }
        if let Some(dp) = v.genotype.as_ref().and_then(|g| g.read_depth) {
            let dp = dp.to_string();
            self.obx(out, codes::READ_DEPTH, sub_id, Value::Nm(&dp), None)?;
        }
        self.coded(out, codes::ANALYSIS_METHOD, sub_id, codes::SEQUENCING)?;
        if let Some(s) = v.clinical_significance {
            self.coded(
                out,
                codes::CLINICAL_SIGNIFICANCE,
                sub_id,
                significance_code(s),
            )?;
        }
        let source = if somatic {
            codes::SOMATIC
        } else {
            codes::GERMLINE
        };
        self.coded(out, codes::GENOMIC_SOURCE_CLASS, sub_id, source)
    }
}

/// What `Separators::encode` escapes: the five delimiters and line breaks.
fn escaped_chars(sep: &Separators) -> [char; 7] {
    [
        sep.field,
        sep.component,
        sep.repetition,
        sep.escape,
        sep.subcomponent,
        '\r',
        '\n',
    ]
}

/// `a`, `b`, … `z`, `aa`, `ab`…: the letters LRI sub-IDs count with.
fn letters(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'a' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::letters;

    #[test]
    fn sub_id_letters_count_like_spreadsheet_columns() {
        assert_eq!(letters(0), "a");
        assert_eq!(letters(25), "z");
        assert_eq!(letters(26), "aa");
        assert_eq!(letters(27), "ab");
        assert_eq!(letters(26 + 26 * 26), "aaa");
    }
}
