//! Agilent TapeStation analysis XML (`<File>`: `<FileInformation>`, `<ScreenTapes>`,
//! `<Assay><Units>`, `<Samples>`), as exported by TapeStation Analysis Software.
//!
//! Record tree:
//! - `file.file_name`, `file.assay`, `file.run_end_date`, `file.rine_version`;
//! - `units.concentration`, `units.molarity`, `units.molecular_weight` (e.g. `ng/µl`);
//! - `screen_tapes[]`: `screen_tape_id`, `expiry_date`, `tape_run_date`,
//!   `reagent_lot_number`, `screen_tape_lot_number`, `instrument_serial_number`,
//!   `analysis_version`, `electrophoresis_temp`;
//! - `samples[]`: `well`, `sample_name` (the sample's Comment), `is_ladder`,
//!   `concentration` (in `units.concentration`), `rin` (RINe, RNA assays), `din`
//!   (genomic DNA assays), `percentage_cfdna` (cfDNA assays), `ratio_28s_18s_area`,
//!   `observations`, `alert`, `screen_tape_id`, `peaks[]` (`size`, `calibrated_quantity`,
//!   `molarity`, `percent_integrated_area`, `observations`, …) and `regions[]` (`from`,
//!   `to`, `average_size`, `concentration`, `comment`).

use super::{
    connector::{Connector, Parsed},
    record::cell,
    text,
    xml::{self, Element},
    FormatError,
};
use serde_json::{json, Value};
use std::path::Path;

pub struct TapeStation;

impl Connector for TapeStation {
    fn name(&self) -> &str {
        "tapestation"
    }

    fn sniff(&self, path: &Path) -> bool {
        text::lower_name(path).ends_with(".xml") && {
            let head = text::head_text(path);
            head.contains("<ScreenTape")
                || (head.contains("<File>") && head.contains("<FileInformation>"))
        }
    }

    fn parse(&self, path: &Path) -> Result<Parsed, FormatError> {
        parse_bytes(path, &text::read_bytes(path)?)
    }
}

pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<Parsed, FormatError> {
    let text = text::decode(path, bytes)?;
    let root = xml::parse(path, &text)?;
    if root.name != "File" {
        return Err(FormatError::new(
            path,
            Some(root.location()),
            format!(
                "root element is <{}>, expected <File> (TapeStation analysis XML)",
                root.name
            ),
        ));
    }
    let samples_el = root
        .child("Samples")
        .ok_or_else(|| FormatError::new(path, Some(root.location()), "no <Samples> element"))?;
    let mut warnings = Vec::new();
    let mut samples = Vec::new();
    for s in samples_el.children_named("Sample") {
        let well = s.text_at("WellNumber").ok_or_else(|| {
            FormatError::new(path, Some(s.location()), "sample without <WellNumber>")
        })?;
        let concentration = num(s, "Concentration");
        let name = s.text_at("Comment");
        let is_ladder = s.text_at("Observations") == Some("Ladder") || name == Some("Ladder");
        if concentration.is_null() && !is_ladder {
            warnings.push(format!(
                "{}: {}: well {well} has no concentration",
                path.display(),
                s.location()
            ));
        }
        samples.push(json!({
            "well": well,
            "sample_name": name,
            "is_ladder": is_ladder,
            "concentration": concentration,
            "rin": num(s, "RNA/RINe"),
            "ratio_28s_18s_area": num(s, "RNA/Ratio28S18SArea"),
            "ratio_28s_18s_height": num(s, "RNA/Ratio28S18SHeight"),
            "din": num(s, "DIN").or_null(num(s, "DNA/DIN")),
            "percentage_cfdna": num(s, "PercentageCfDNA"),
            "observations": s.text_at("Observations"),
            "alert": s.text_at("Alert"),
            "screen_tape_id": s.text_at("ScreenTapeID"),
            "peaks": s.child("Peaks").map(|p| p.children_named("Peak").map(xml::to_json).collect::<Vec<_>>()).unwrap_or_default(),
            "regions": s.child("Regions").map(|p| p.children_named("Region").map(xml::to_json).collect::<Vec<_>>()).unwrap_or_default(),
        }));
    }
    if samples.is_empty() {
        return Err(FormatError::new(
            path,
            Some(samples_el.location()),
            "no <Sample> elements",
        ));
    }
    let tapes: Vec<Value> = root
        .child("ScreenTapes")
        .map(|t| {
            t.children_named("ScreenTape")
                .map(|t| {
                    json!({
                        "screen_tape_id": t.text_at("ScreenTapeID"),
                        "expiry_date": t.text_at("ExpiryDate"),
                        "tape_run_date": t.text_at("TapeRunDate"),
                        "reagent_lot_number": t.text_at("ReagentLotNumber"),
                        "screen_tape_lot_number": t.text_at("ScreenTapeLotNumber"),
                        "instrument_serial_number": t.text_at("Environment/InstrumentSerialNumber"),
                        "analysis_version": t.text_at("Environment/AnalysisVersion"),
                        "electrophoresis_temp": num(t, "ElectrophoresisTemp"),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let info = root.child("FileInformation");
    let info_text = |p: &str| info.and_then(|i| i.text_at(p));
    let units = |p: &str| root.text_at(&format!("Assay/Units/{p}"));
    let tree = json!({
        "file": {
            "file_name": info_text("FileName"),
            "assay": info_text("Assay"),
            "run_end_date": info_text("RunEndDate"),
            "rine_version": info_text("RINeVersion"),
        },
        "units": {
            "concentration": units("ConcentrationUnit"),
            "molarity": units("MolarityUnit"),
            "molecular_weight": units("MolecularWeightUnit"),
        },
        "screen_tapes": tapes,
        "samples": samples,
    });
    Ok(Parsed { tree, warnings })
}

fn num(e: &Element, path: &str) -> Value {
    e.text_at(path).map(cell).unwrap_or(Value::Null)
}

trait OrNull {
    fn or_null(self, other: Value) -> Value;
}

impl OrNull for Value {
    fn or_null(self, other: Value) -> Value {
        if self.is_null() {
            other
        } else {
            self
        }
    }
}
