//! HL7 v2.5.1 ORU^R01 in the LRI profile: MSH, PID, ORC, OBR, the OBX groups, SPM.
//! Segments are built with hl7-parser's builder, which escapes every value.

mod obx;
mod segments;

pub use obx::ObxWriter;

use super::{Envelope, MessageKind};
use crate::{report::Report, store::Order};
use hl7_parser::builder::MessageBuilder;
use hl7_parser::message::Separators;

pub struct Lri;

impl MessageKind for Lri {
    fn name(&self) -> &'static str {
        "lri"
    }

    fn build(&self, report: &Report, order: &Order, env: &Envelope) -> String {
        build_oru(report, order, env)
    }
}

pub fn build_oru(report: &Report, order: &Order, env: &Envelope) -> String {
    let mut msg = MessageBuilder::new(Separators::default());
    msg.push_segment(segments::msh(env));
    msg.push_segment(segments::pid(order));
    msg.push_segment(segments::orc(order));
    msg.push_segment(segments::obr(order, env));
    let mut obx = ObxWriter::default();
    obx.overall_interpretation(report);
    for (i, v) in report.variants.iter().enumerate() {
        obx.variant_group(&(i + 2).to_string(), v, report.assembly, env.somatic);
    }
    for seg in obx.into_segments() {
        msg.push_segment(seg);
    }
    msg.push_segment(segments::spm(order, report));
    msg.to_string()
}

/// HL7 DTM: `YYYYMMDDHHMMSS+ZZZZ`.
pub fn hl7_time(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year][month][day][hour][minute][second]+0000");
    t.to_offset(time::UtcOffset::UTC)
        .format(&f)
        .unwrap_or_default()
}
