//! RunParameters.xml (runParameters.xml on HiSeq): each instrument family writes its own
//! layout, so each is read by its own small function into one normalised shape.
//!
//! - NovaSeq X: top-level `InstrumentType`, `Application` + `SystemSuiteVersion`,
//!   `RecipeVersion`, `FlowCellType`, and `<ConsumableInfo>` entries (flow cell, reagent,
//!   buffer, … each with serial, lot, part number and expiry).
//! - NovaSeq 6000: `Application` + `ApplicationVersion`, `RtaVersion`, `RecipeVersion`,
//!   and `<RfidsInfo>` with `FlowCell…`, `LibraryTube…`, `Sbs…`, `Cluster…`, `Buffer…`
//!   serial barcodes, lots, part numbers and expiry dates.
//! - HiSeq X / HiSeq 2500 / 4000: everything under `<Setup>`: `ApplicationName` +
//!   `ApplicationVersion`, `RTAVersion`, `RecipeFragmentVersion`, `Flowcell` (the model),
//!   and flow cell `Barcode`; reagent kit ids where the operator scanned them.
//! - Others (MiSeq, NextSeq): the same element names where present.

use crate::formats::{xml, xml::Element, FormatError};
use serde_json::{json, Value};
use std::path::Path;

pub fn parse_run_parameters_bytes(path: &Path, bytes: &[u8]) -> Result<Value, FormatError> {
    let text = crate::formats::text::decode(path, bytes)?;
    parse_run_parameters(path, &text)
}

/// The `parameters.*` subtree: `instrument_type`, `application`, `application_version`,
/// `rta_version`, `recipe_version`, `experiment_name`, `flowcell_mode`, `run_number`,
/// `consumables[]` (`type`, `serial_number`, `lot_number`, `part_number`,
/// `expiration_date`, `mode`).
pub fn parse_run_parameters(path: &Path, text: &str) -> Result<Value, FormatError> {
    let root = xml::parse(path, text)?;
    if root.name != "RunParameters" {
        return Err(FormatError::new(
            path,
            Some(root.location()),
            format!("root element is <{}>, expected <RunParameters>", root.name),
        ));
    }
    // HiSeq keeps everything under <Setup>; later instruments at the top level.
    let base = root.child("Setup").unwrap_or(&root);
    let t = |p: &str| base.text_at(p).map(str::to_string);
    let application = t("Application").or_else(|| t("ApplicationName"));
    let application_version = t("ApplicationVersion").or_else(|| t("SystemSuiteVersion"));
    let instrument_type = t("InstrumentType").or_else(|| model_from(base, application.as_deref()));
    let mut consumables = Vec::new();
    if let Some(list) = base.child("ConsumableInfo") {
        for c in list.children_named("ConsumableInfo") {
            consumables.push(consumable(
                c.text_at("Type"),
                c.text_at("SerialNumber"),
                c.text_at("LotNumber"),
                c.text_at("PartNumber"),
                c.text_at("ExpirationDate"),
                c.text_at("Mode"),
            ));
        }
    }
    if let Some(rfid) = base.child("RfidsInfo") {
        for kind in ["FlowCell", "LibraryTube", "Sbs", "Cluster", "Buffer"] {
            let f = |s: &str| rfid.text_at(&format!("{kind}{s}"));
            if f("SerialBarcode").is_some() || f("LotNumber").is_some() {
                consumables.push(consumable(
                    Some(kind),
                    f("SerialBarcode"),
                    f("LotNumber"),
                    f("PartNumber"),
                    f("Expirationdate"),
                    f("Mode"),
                ));
            }
        }
    }
    if consumables.is_empty() {
        if let Some(barcode) = base.text_at("Barcode") {
            consumables.push(consumable(
                Some("FlowCell"),
                Some(barcode),
                None,
                None,
                None,
                None,
            ));
        }
        for kit in ["Sbs/SbsReagentKit", "Pe/ReagentKit"] {
            if let Some(id) = base.text_at(&format!("ReagentKits/{kit}/ID")) {
                consumables.push(consumable(
                    kit.split('/').next(),
                    Some(id),
                    None,
                    None,
                    None,
                    None,
                ));
            }
        }
    }
    Ok(json!({
        "instrument_type": instrument_type,
        "application": application,
        "application_version": application_version,
        "rta_version": t("RtaVersion").or_else(|| t("RTAVersion")),
        "recipe_version": t("RecipeVersion").or_else(|| t("RecipeFragmentVersion")),
        "experiment_name": t("ExperimentName"),
        "flowcell_mode": t("FlowCellType").or_else(|| t("RfidsInfo/FlowCellMode")).or_else(|| t("Flowcell")),
        "run_number": t("RunNumber").or_else(|| t("RunCounter")).or_else(|| t("ScanNumber")).and_then(|n| n.parse::<u64>().ok()),
        "consumables": consumables,
    }))
}

fn consumable(
    kind: Option<&str>,
    serial: Option<&str>,
    lot: Option<&str>,
    part: Option<&str>,
    expiry: Option<&str>,
    mode: Option<&str>,
) -> Value {
    json!({ "type": kind, "serial_number": serial, "lot_number": lot, "part_number": part, "expiration_date": expiry, "mode": mode })
}

/// The model where the file does not name it: NovaSeq and HiSeq control software say
/// which family they run, and HiSeq's `<Flowcell>` names the model (`HiSeq X`).
fn model_from(base: &Element, application: Option<&str>) -> Option<String> {
    let app = application?;
    if app.starts_with("NovaSeq Control Software") {
        return Some("NovaSeq 6000".into());
    }
    if app.starts_with("HiSeq Control Software") {
        return Some(
            base.text_at("Flowcell")
                .filter(|f| f.starts_with("HiSeq"))
                .map(|f| f.split(" Flow").next().unwrap_or(f).to_string())
                .unwrap_or_else(|| "HiSeq".into()),
        );
    }
    None
}
