//! HL7 v2.5.1 ORU^R01 in the LRI profile: MSH, PID, ORC, OBR, the OBX groups, SPM.
//! Segments are built with hl7-parser's builder, which escapes every value, and written
//! one at a time, so a report of any size streams through `OruWriter`.

mod obx;
mod segments;

pub use obx::ObxWriter;

use super::{Envelope, MessageKind};
use crate::{
    mapping::report::{Fields, Plan},
    report::{Report, ReportHead},
    store::Order,
};
use hl7_parser::builder::SegmentBuilder;
use hl7_parser::message::Separators;
use std::io::{self, Write};

pub struct Lri;

impl MessageKind for Lri {
    fn name(&self) -> &'static str {
        "lri"
    }

    fn build(&self, report: &Report, order: &Order, env: &Envelope, plan: &Plan) -> String {
        build_oru(report, order, env, plan)
    }
}

/// Writes an ORU^R01 segment by segment.
pub struct OruWriter<W: Write> {
    out: W,
    sep: Separators,
    obx: ObxWriter,
    group: usize,
    /// `None`: the overall interpretation is decided from the variants seen and written
    /// at the end (streaming); `Some`: it was known up front and already written.
    overall_written: bool,
    positive_seen: bool,
    spm: SegmentBuilder,
}

impl<W: Write> OruWriter<W> {
    /// Writes MSH, PID, ORC and OBR, and the overall interpretation when `positive` is
    /// known before the variants are.
    pub fn start(
        out: W,
        head: &ReportHead,
        order: &Order,
        env: &Envelope,
        positive: Option<bool>,
    ) -> io::Result<Self> {
        let mut w = OruWriter {
            out,
            sep: Separators::default(),
            obx: ObxWriter::new(Separators::default()),
            group: 1,
            overall_written: positive.is_some(),
            positive_seen: false,
            spm: segments::spm(order, &head.sample_id),
        };
        for seg in [
            segments::msh(env),
            segments::pid(order),
            segments::orc(order),
            segments::obr(order, env),
        ] {
            w.write(&seg)?;
        }
        if let Some(p) = positive {
            w.obx.overall_interpretation(&mut w.out, p)?;
        }
        if let Some(regions) = &head.regions {
            w.obx.regions(&mut w.out, regions, head.assembly)?;
        }
        Ok(w)
    }

    fn write(&mut self, seg: &SegmentBuilder) -> io::Result<()> {
        if seg.name() != "MSH" {
            self.out.write_all(b"\r")?;
        }
        write!(self.out, "{}", seg.display(&self.sep))
    }

    /// One OBX group for one variant's mapped fields; groups are numbered from 2 (1 is the
    /// interpretation).
    pub fn variant(&mut self, fields: &Fields<'_>) -> io::Result<()> {
        self.group += 1;
        self.positive_seen |= fields.is_positive();
        let sub_id = self.group.to_string();
        self.obx.variant_group(&mut self.out, &sub_id, fields)
    }

    /// Writes the interpretation (if still due) and SPM, and hands back the sink.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.overall_written {
            self.obx
                .overall_interpretation(&mut self.out, self.positive_seen)?;
        }
        let spm = self.spm.clone();
        self.write(&spm)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

pub fn build_oru(report: &Report, order: &Order, env: &Envelope, plan: &Plan) -> String {
    let mapped = super::map_report(report, env, plan).variants;
    let positive = mapped.iter().any(|(_, f)| f.is_positive());
    let written = (|| {
        let mut w = OruWriter::start(Vec::new(), &report.head, order, env, Some(positive))?;
        for (_, fields) in &mapped {
            w.variant(fields)?;
        }
        w.finish()
    })();
    // Writing to a Vec cannot fail.
    String::from_utf8(written.unwrap_or_default()).unwrap_or_default()
}

pub use crate::hl7::hl7_time;
