//! RxNorm codes for medication names: a lab-maintained table, because ClinVar names the
//! drugs of its `drug_response` assertions but does not code them, and RxNorm itself is
//! not redistributable with GenoBridge. Tab-separated with a header naming `name` and
//! `rxcui` columns (RxNav's exports can be cut down to this); names match case-insensitively.

use super::FormatError;
use std::{collections::HashMap, path::Path};

#[derive(Clone, Debug, Default)]
pub struct MedicationTable {
    by_name: HashMap<String, String>,
}

impl MedicationTable {
    pub fn read(path: &Path) -> Result<MedicationTable, FormatError> {
        let text = super::read_text(path)?;
        let mut lines = text.lines().enumerate();
        let header: Vec<String> = lines
            .next()
            .map(|(_, l)| {
                l.split('\t')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .collect()
            })
            .ok_or_else(|| FormatError::new(path, None, "empty file: expected a header line"))?;
        let col = |name: &str| header.iter().position(|h| h == name);
        let (Some(name_col), Some(code_col)) = (col("name"), col("rxcui")) else {
            return Err(FormatError::new(
                path,
                Some("line 1".into()),
                "the header needs `name` and `rxcui` columns",
            ));
        };
        let mut by_name = HashMap::new();
        for (i, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').map(str::trim).collect();
            let (name, code) = (
                f.get(name_col).copied().unwrap_or(""),
                f.get(code_col).copied().unwrap_or(""),
            );
            if name.is_empty() || code.is_empty() || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(FormatError::new(
                    path,
                    Some(format!("line {}", i + 1)),
                    format!("expected a name and a numeric RxCUI, got {name:?} and {code:?}"),
                ));
            }
            by_name.insert(name.to_ascii_lowercase(), code.to_string());
        }
        Ok(MedicationTable { by_name })
    }

    pub fn rxcui(&self, name: &str) -> Option<&str> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}
