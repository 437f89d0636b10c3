//! Where an OBX gets built. LRI groups a variant's observations by OBX-4 sub-ID:
//! sub-ID 1 holds the overall interpretation (51968-6), `1a`, `1b`… the regions studied
//! per chromosome (48013-7, then 51959-5 ranges as `1a.a`, `1a.b`…), then each variant has
//! its own group from 2.
//!
//! OBX is the one segment written per variant, so it is written straight to the output
//! rather than through hl7-parser's builder (whose field maps cost more than the rest of
//! the conversion). Every value still goes through hl7-parser's `Separators::encode`.

use super::super::{codes, codes::Code, refseq};
use crate::{
    formats::{bed::Regions, vcf::Assembly},
    mapping::{
        catalogue::System,
        report::{FieldValue, Fields},
    },
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

    /// One variant's OBX group: one OBX per mapped field, in the mapping's order. The
    /// value type, coding system and units are LRI's spelling of the field; which fields
    /// there are, and their values, come from the mapping.
    pub fn variant_group(
        &mut self,
        out: &mut impl Write,
        sub_id: &str,
        fields: &Fields<'_>,
    ) -> io::Result<()> {
        for f in &fields.0 {
            let what = f.target.loinc();
            match &f.value {
                FieldValue::Answer(a) => self.coded(out, what, sub_id, *a)?,
                FieldValue::Coded { code, text } => {
                    // Without a code the text goes alone: claiming it as a code in the
                    // system would send a code that is not one.
                    let (code, text, system) = match (code.as_deref(), text.as_deref()) {
                        (Some(c), t) => (c, t.unwrap_or(c), v2_system(f.target.system, c)),
                        (None, Some(t)) => ("", t, ""),
                        (None, None) => continue,
                    };
                    self.obx(out, what, sub_id, Value::Cwe(code, text, system), None)?
                }
                FieldValue::Text(t) => self.obx(out, what, sub_id, Value::St(t), None)?,
                FieldValue::Range(a, b) => self.obx(out, what, sub_id, Value::Nr(*a, *b), None)?,
                FieldValue::Decimal(d) => {
                    self.obx(out, what, sub_id, Value::Nm(d), f.target.unit)?
                }
                FieldValue::Count(n) => {
                    let n = n.to_string();
                    self.obx(out, what, sub_id, Value::Nm(&n), None)?
                }
            }
        }
        Ok(())
    }
}

/// HL7 v2 coding-system names (table 0396) for the catalogue's systems.
fn v2_system(system: Option<System>, code: &str) -> &'static str {
    match system {
        Some(System::Hgnc) => "HGNC",
        Some(System::Hgvs) => "HGVS",
        Some(System::Transcript) if code.starts_with("ENST") => "ENSEMBL",
        Some(System::Transcript) => "RefSeq-T",
        Some(System::RefseqGenomic) => "RefSeq-G",
        None => "",
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
