//! Orders from the EHR: ORM^O01 and OML^O21, read with hl7-parser, which honours the
//! delimiters the message declares in MSH-1 and MSH-2.

use crate::store::Order;

/// Why an order message was not taken, and which ACK code says so.
#[derive(Debug, PartialEq, Eq)]
pub struct OrderError {
    /// `AE` (the message is an order but a field is wrong) or `AR` (not an order we take).
    pub code: &'static str,
    pub reason: String,
}

fn ae(reason: impl Into<String>) -> OrderError {
    OrderError {
        code: "AE",
        reason: reason.into(),
    }
}

/// `YYYYMMDD[HHMM…]` → `YYYY-MM-DD`.
fn hl7_date(field: &str, value: &str) -> Result<String, OrderError> {
    let d = value
        .get(..8)
        .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| ae(format!("{field} {value:?} is not a date (YYYYMMDD)")))?;
    let (y, m, day) = (&d[..4], &d[4..6], &d[6..8]);
    let valid = time::Date::from_calendar_date(
        y.parse().unwrap_or(0),
        time::Month::try_from(m.parse::<u8>().unwrap_or(0))
            .map_err(|_| ae(format!("{field} {value:?} has no month {m}")))?,
        day.parse().unwrap_or(0),
    );
    valid
        .map(|_| format!("{y}-{m}-{day}"))
        .map_err(|_| ae(format!("{field} {value:?} is not a calendar date")))
}

pub fn parse_order(text: &str) -> Result<Order, OrderError> {
    let msg =
        hl7_parser::Message::parse_with_lenient_newlines(text, true).map_err(|e| OrderError {
            code: "AR",
            reason: format!("not a parseable HL7 v2 message: {e}"),
        })?;
    let sep = msg.separators;
    let get = |q: &str| {
        msg.query(q)
            .map(|r| sep.decode(r.raw_value()).to_string())
            .unwrap_or_default()
    };
    let kind = format!("{}^{}", get("MSH.9.1"), get("MSH.9.2"));
    if kind != "ORM^O01" && kind != "OML^O21" {
        return Err(OrderError {
            code: "AR",
            reason: format!("MSH-9 {kind:?}: only ORM^O01 and OML^O21 orders are taken here"),
        });
    }
    let required = |q: &str, what: &str| {
        let v = get(q);
        if v.trim().is_empty() {
            Err(ae(format!("{} ({what}) is empty", q.replace('.', "-"))))
        } else {
            Ok(v)
        }
    };
    let placer = required("ORC.2.1", "placer order number")?;
    let filler = get("ORC.3.1");
    let specimen = get("SPM.2.1");
    let sample_id = [specimen.as_str(), get("OBR.3.1").as_str(), filler.as_str()]
        .into_iter()
        .find(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| ae("no sample id: SPM-2, OBR-3 and ORC-3 are all empty"))?;
    let accession = [get("ORC.4.1"), filler.clone(), placer.clone()]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_default();
    let sex = get("PID.8");
    if !["F", "M", "O", "U", "A", "N"].contains(&sex.as_str()) {
        return Err(ae(format!("PID-8 {sex:?} is not an HL7 table 0001 sex")));
    }
    Ok(Order {
        id: 0,
        accession,
        sample_id,
        placer_number: placer,
        filler_number: if filler.is_empty() {
            get("OBR.3.1")
        } else {
            filler
        },
        patient_mrn: required("PID.3.1", "patient identifier")?,
        patient_family: required("PID.5.1", "family name")?,
        patient_given: get("PID.5.2"),
        birth_date: hl7_date("PID-7", &required("PID.7", "date of birth")?)?,
        sex,
        test_code: required("OBR.4.1", "ordered test")?,
        test_name: get("OBR.4.2"),
        specimen_type: [get("SPM.4.2"), get("SPM.4.1"), get("OBR.15.1")]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| "Unknown".into()),
        received_at: String::new(),
    })
}
