//! Reading and writing HL7 v2 ACKs (MSA), with hl7-parser for reading.

use hl7_parser::builder::{FieldBuilder, MessageBuilder, SegmentBuilder};
use hl7_parser::message::Separators;

/// What an ACK says about one message.
#[derive(Debug, PartialEq, Eq)]
pub struct Ack {
    /// MSA-1: AA, AE, AR (or CA, CE, CR).
    pub code: String,
    /// MSA-2: the control id of the message acknowledged.
    pub control_id: String,
    /// MSA-3 and ERR-8, whichever is present.
    pub text: String,
}

pub fn parse_ack(text: &str) -> Result<Ack, String> {
    let msg = hl7_parser::Message::parse_with_lenient_newlines(text, true)
        .map_err(|e| format!("the ACK is not valid HL7 v2: {e}"))?;
    let sep = msg.separators;
    let get = |q: &str| {
        msg.query(q)
            .map(|r| sep.decode(r.raw_value()).to_string())
            .unwrap_or_default()
    };
    if msg.segment("MSA").is_none() {
        return Err("the ACK has no MSA segment".into());
    }
    let mut text = get("MSA.3");
    let err = get("ERR.8");
    if text.is_empty() {
        text = err;
    }
    Ok(Ack {
        code: get("MSA.1"),
        control_id: get("MSA.2"),
        text,
    })
}

/// Builds an ACK for a received message; `code` is AA, AE or AR.
pub fn build_ack(received: &str, code: &str, text: &str, control_id: &str) -> String {
    let parsed = hl7_parser::Message::parse_with_lenient_newlines(received, true).ok();
    let field = |q: &str| {
        parsed
            .as_ref()
            .and_then(|m| m.query(q))
            .map(|r| r.raw_value().to_string())
            .unwrap_or_default()
    };
    let trigger = field("MSH.9.2");
    let ack_type = FieldBuilder::default()
        .with_component_value(1, "ACK")
        .with_component_value(2, &trigger)
        .with_component_value(3, "ACK");
    let now = crate::hl7::hl7_time(time::OffsetDateTime::now_utc());
    let mut msa = SegmentBuilder::new("MSA")
        .with_field_value(1, code)
        .with_field_value(2, field("MSH.10"));
    if !text.is_empty() {
        msa = msa.with_field_value(3, text);
    }
    MessageBuilder::new(Separators::default())
        .with_segment(
            SegmentBuilder::new("MSH")
                .with_field_value(3, field("MSH.5"))
                .with_field_value(4, field("MSH.6"))
                .with_field_value(5, field("MSH.3"))
                .with_field_value(6, field("MSH.4"))
                .with_field_value(7, now)
                .with_field(9, ack_type)
                .with_field_value(10, control_id)
                .with_field_value(11, "P")
                .with_field_value(12, "2.5.1"),
        )
        .with_segment(msa)
        .to_string()
}
