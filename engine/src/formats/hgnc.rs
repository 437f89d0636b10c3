//! HGNC gene ids by symbol, read from HGNC's own "complete set" export
//! (`hgnc_complete_set.txt`: tab-separated, with `hgnc_id`, `symbol` and, optionally,
//! `prev_symbol`, whose values are `|`-separated and may be quoted).
//!
//! SnpEff's ANN carries gene symbols only; LRI and the IG want the HGNC id as the code.
//! A lab points `selection.hgnc_table` at the file it downloads from genenames.org; the
//! repo ships `data/hgnc_demo.tsv`, a few rows in the same format, for the demo.

use super::FormatError;
use std::{collections::HashMap, path::Path};

#[derive(Clone, Debug, Default)]
pub struct GeneTable {
    /// Current symbol → id.
    current: HashMap<String, String>,
    /// Previous symbol → id, where the previous symbol names exactly one gene.
    previous: HashMap<String, String>,
}

impl GeneTable {
    pub fn read(path: &Path) -> Result<GeneTable, FormatError> {
        let text = super::read_text(path)?;
        GeneTable::parse(&text).map_err(|(line, reason)| {
            FormatError::new(path, line.map(|l| format!("line {l}")), reason)
        })
    }

    /// Errors carry the 1-based line, where there is one.
    pub fn parse(text: &str) -> Result<GeneTable, (Option<usize>, String)> {
        let mut lines = text.lines();
        let header: Vec<&str> = lines
            .next()
            .ok_or((None, "empty file: expected HGNC's header line".to_string()))?
            .split('\t')
            .collect();
        let col = |name: &str| header.iter().position(|h| h.trim() == name);
        let (Some(id_col), Some(sym_col)) = (col("hgnc_id"), col("symbol")) else {
            return Err((
                Some(1),
                "the header needs hgnc_id and symbol columns (HGNC's complete set format)".into(),
            ));
        };
        let prev_col = col("prev_symbol");
        let mut table = GeneTable::default();
        let mut ambiguous = Vec::new();
        for (i, line) in lines.enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let get = |c: usize| f.get(c).map(|s| s.trim().trim_matches('"')).unwrap_or("");
            let (id, symbol) = (get(id_col), get(sym_col));
            if !id.starts_with("HGNC:") || symbol.is_empty() {
                let msg =
                    format!("expected an HGNC:nnnn id and a symbol, got {id:?} and {symbol:?}");
                return Err((Some(i + 2), msg));
            }
            table.current.insert(symbol.to_string(), id.to_string());
            for prev in prev_col.map(get).unwrap_or("").split('|') {
                let prev = prev.trim();
                if prev.is_empty() {
                    continue;
                }
                if table
                    .previous
                    .insert(prev.to_string(), id.to_string())
                    .is_some()
                {
                    ambiguous.push(prev.to_string());
                }
            }
        }
        // A previous symbol shared by several genes identifies none of them.
        for p in ambiguous {
            table.previous.remove(&p);
        }
        Ok(table)
    }

    /// The id for a symbol: current symbols first, then unambiguous previous ones.
    pub fn id(&self, symbol: &str) -> Option<&str> {
        self.current
            .get(symbol)
            .or_else(|| self.previous.get(symbol))
            .map(String::as_str)
    }
}
