//! BED files of the regions a test studied: `chrom start end [name…]`, 0-based starts,
//! exclusive ends (UCSC's convention). Chromosome names match with or without `chr`.

use super::FormatError;
use std::{collections::HashMap, path::Path};

#[derive(Clone, Debug, Default)]
pub struct Regions {
    /// Chromosome (no `chr` prefix; `M` as `MT`) → sorted, merged 0-based half-open intervals.
    by_chrom: HashMap<String, Vec<(u64, u64)>>,
    pub count: usize,
    pub file_name: String,
    /// The file as read, for the GenomicStudy's DocumentReference.
    pub text: String,
}

fn norm(chrom: &str) -> String {
    let c = chrom.strip_prefix("chr").unwrap_or(chrom);
    if c == "M" {
        "MT".into()
    } else {
        c.to_string()
    }
}

impl Regions {
    pub fn read(path: &Path) -> Result<Regions, FormatError> {
        let text = super::read_text(path)?;
        let mut by_chrom: HashMap<String, Vec<(u64, u64)>> = HashMap::new();
        let mut count = 0;
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty()
                || t.starts_with('#')
                || t.starts_with("track")
                || t.starts_with("browser")
            {
                continue;
            }
            let at = || Some(format!("line {}", i + 1));
            let f: Vec<&str> = t.split('\t').collect();
            if f.len() < 3 {
                return Err(FormatError::new(
                    path,
                    at(),
                    "a BED line needs chrom, start and end, tab-separated",
                ));
            }
            let num = |s: &str, what: &str| {
                s.parse::<u64>().map_err(|_| {
                    FormatError::new(path, at(), format!("{what} {s:?} is not a number"))
                })
            };
            let (start, end) = (num(f[1], "start")?, num(f[2], "end")?);
            if end <= start {
                return Err(FormatError::new(
                    path,
                    at(),
                    format!("end {end} is not after start {start}"),
                ));
            }
            by_chrom.entry(norm(f[0])).or_default().push((start, end));
            count += 1;
        }
        if count == 0 {
            return Err(FormatError::new(path, None, "no regions"));
        }
        for v in by_chrom.values_mut() {
            v.sort_unstable();
            let mut merged: Vec<(u64, u64)> = Vec::with_capacity(v.len());
            for &(s, e) in v.iter() {
                match merged.last_mut() {
                    Some(last) if s <= last.1 => last.1 = last.1.max(e),
                    _ => merged.push((s, e)),
                }
            }
            *v = merged;
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Regions {
            by_chrom,
            count,
            file_name,
            text,
        })
    }

    /// Each chromosome's merged 0-based half-open ranges, in karyotype order (1…22, X, Y,
    /// MT, then any other contig by name).
    pub fn by_chromosome(&self) -> Vec<(&str, &[(u64, u64)])> {
        let mut all: Vec<(&str, &[(u64, u64)])> = self
            .by_chrom
            .iter()
            .map(|(c, v)| (c.as_str(), v.as_slice()))
            .collect();
        let rank = |c: &str| match c {
            "X" => 23,
            "Y" => 24,
            "MT" => 25,
            _ => c
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=22).contains(n))
                .unwrap_or(26),
        };
        all.sort_by(|a, b| rank(a.0).cmp(&rank(b.0)).then(a.0.cmp(b.0)));
        all
    }

    /// True when the 1-based position lies in a studied region.
    pub fn contains(&self, chrom: &str, pos: u64) -> bool {
        let Some(v) = self.by_chrom.get(&norm(chrom)) else {
            return false;
        };
        let zero = pos.saturating_sub(1);
        let i = v.partition_point(|(s, _)| *s <= zero);
        i > 0 && zero < v[i - 1].1
    }
}
