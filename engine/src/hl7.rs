//! HL7 v2 syntax that both the messages we build and the ACKs we send need.

/// HL7 DTM: `YYYYMMDDHHMMSS+ZZZZ`.
pub fn hl7_time(t: time::OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year][month][day][hour][minute][second]+0000");
    t.to_offset(time::UtcOffset::UTC)
        .format(&f)
        .unwrap_or_default()
}
