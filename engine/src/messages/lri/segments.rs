//! MSH, PID, ORC, OBR and SPM. Patient and order fields come from the EHR's order.

use super::super::{codes, Envelope};
use crate::store::Order;
use hl7_parser::builder::{FieldBuilder, RepeatBuilder, SegmentBuilder};

fn components(values: &[&str]) -> FieldBuilder {
    values
        .iter()
        .enumerate()
        .fold(FieldBuilder::default(), |f, (i, v)| {
            f.with_component_value(i + 1, v)
        })
}

pub fn msh(env: &Envelope) -> SegmentBuilder {
    // LRI R1 profile identifiers (MSH-21): common component, GU (guaranteed unique ids)
    // and RU (results unsolicited).
    let profiles = [
        "LRI_Common_Component",
        "LRI_GU_Component",
        "LRI_RU_Component",
    ];
    let oids = [
        "2.16.840.1.113883.9.16",
        "2.16.840.1.113883.9.12",
        "2.16.840.1.113883.9.14",
    ];
    let repeats = profiles
        .iter()
        .zip(oids)
        .map(|(p, o)| {
            let mut r = RepeatBuilder::default();
            r.set_component(1, *p);
            r.set_component(3, o);
            r.set_component(4, "ISO");
            r
        })
        .collect();
    SegmentBuilder::new("MSH")
        .with_field_value(3, &env.sending_application)
        .with_field_value(4, &env.sending_facility)
        .with_field_value(5, &env.receiving_application)
        .with_field_value(6, &env.receiving_facility)
        .with_field_value(7, super::hl7_time(env.created))
        .with_field(9, components(&["ORU", "R01", "ORU_R01"]))
        .with_field_value(10, &env.control_id)
        .with_field_value(11, "P")
        .with_field_value(12, "2.5.1")
        .with_field_value(15, "AL")
        .with_field_value(16, "NE")
        .with_field(21, FieldBuilder::with_repeats(repeats))
}

pub fn pid(o: &Order) -> SegmentBuilder {
    SegmentBuilder::new("PID")
        .with_field_value(1, "1")
        .with_field(3, components(&[&o.patient_mrn, "", "", "GenoBridge", "MR"]))
        .with_field(5, components(&[&o.patient_family, &o.patient_given]))
        .with_field_value(7, o.birth_date.replace('-', ""))
        .with_field_value(8, &o.sex)
}

pub fn orc(o: &Order) -> SegmentBuilder {
    SegmentBuilder::new("ORC")
        .with_field_value(1, "RE")
        .with_field(2, components(&[&o.placer_number, "EHR"]))
        .with_field(3, components(&[&o.filler_number, "GenoBridge"]))
}

pub fn obr(o: &Order, env: &Envelope) -> SegmentBuilder {
    let now = super::hl7_time(env.created);
    SegmentBuilder::new("OBR")
        .with_field_value(1, "1")
        .with_field(2, components(&[&o.placer_number, "EHR"]))
        .with_field(3, components(&[&o.filler_number, "GenoBridge"]))
        .with_field(
            4,
            components(&[
                codes::GENETIC_REPORT.code,
                codes::GENETIC_REPORT.display,
                "LN",
                &o.test_code,
                &o.test_name,
                "L",
            ]),
        )
        .with_field_value(7, &now)
        .with_field_value(22, &now)
        .with_field_value(25, "F")
}

pub fn spm(o: &Order, sample_id: &str) -> SegmentBuilder {
    SegmentBuilder::new("SPM")
        .with_field_value(1, "1")
        .with_field(
            2,
            FieldBuilder::default().with_component(
                1,
                hl7_parser::builder::ComponentBuilder::default()
                    .with_subcomponent(1, sample_id)
                    .with_subcomponent(2, "GenoBridge"),
            ),
        )
        .with_field(4, components(&["", &o.specimen_type]))
}
