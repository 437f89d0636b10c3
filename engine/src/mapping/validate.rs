//! Checking a mapping without a record: every mistake is found when the mapping is loaded,
//! saved or imported, named by mapping, rule and reason, and nothing is saved.

use super::{
    catalogue::{self, ValueType},
    target::target_keys,
    transform::{Compiled, Transform},
    Kind, Mapping, MappingError, SourcePath, Step,
};
use crate::formats::vcf::tree as vcf_tree;

impl Mapping {
    /// Checks the mapping: names, path syntax (and, for reports, that each path exists in
    /// the per-variant tree), targets, `from` xor `value`, transforms and their tables.
    pub fn validate(&self) -> Result<(), MappingError> {
        let name_ok = !self.name.is_empty()
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if !name_ok {
            return Err(self.error(
                Some("name"),
                None,
                "must be letters, digits, '-', '_' or '.' (it names files and keys)",
            ));
        }
        if self.rules.is_empty() {
            return Err(self.error(Some("rules"), None, "a mapping needs at least one rule"));
        }
        match self.kind {
            Kind::Lims => self.validate_lims()?,
            Kind::Report => self.validate_report()?,
        }
        for r in &self.rules {
            match (r.from.is_empty(), &r.value) {
                (false, None) | (true, Some(_)) => {}
                _ => {
                    return Err(self.error(
                        Some(&r.to),
                        None,
                        "give exactly one of `from` and `value`",
                    ))
                }
            }
            if r.required && r.optional {
                return Err(self.error(
                    Some(&r.to),
                    None,
                    "`required` and `optional` contradict each other",
                ));
            }
            let mut next = 0;
            for t in &r.transform {
                Compiled::new(t, &self.tables, &mut next)
                    .map_err(|reason| self.error(Some(&r.to), None, reason))?;
            }
        }
        Ok(())
    }

    fn check_lims_path(&self, setting: &str, p: &str) -> Result<SourcePath, MappingError> {
        SourcePath::parse(p).map_err(|r| self.error(Some(setting), Some(p.into()), r))
    }

    fn validate_lims(&self) -> Result<(), MappingError> {
        if let Some(per) = &self.per {
            let parsed = self.check_lims_path("per", per)?;
            let eaches = parsed.steps.iter().filter(|s| **s == Step::Each).count();
            if parsed.steps.last() != Some(&Step::Each) || eaches != 1 {
                return Err(self.error(
                    Some("per"),
                    Some(per.clone()),
                    "must be one list ending with [] (e.g. samples[])",
                ));
            }
        }
        self.check_lims_path("run_id", &self.run_id)?;
        if let Some(s) = &self.sample_id {
            self.check_lims_path("sample_id", s)?;
        }
        for k in &self.key_extra {
            self.check_lims_path("key_extra", k)?;
        }
        let mut targets: Vec<Vec<String>> = Vec::new();
        for r in &self.rules {
            for p in r
                .from
                .iter()
                .chain(r.transform.iter().flat_map(Transform::paths))
            {
                self.check_lims_path(&r.to, p)?;
            }
            if !r.text.is_empty() || !r.end.is_empty() || r.required {
                return Err(self.error(
                    Some(&r.to),
                    None,
                    "`text`, `end` and `required` are for report rules; LIMS rules use `optional`",
                ));
            }
            let target = target_keys(&r.to).map_err(|e| self.error(Some(&r.to), None, e))?;
            for t in &targets {
                let n = t.len().min(target.len());
                if t[..n] == target[..n] {
                    return Err(self.error(
                        Some(&r.to),
                        None,
                        format!("collides with target {:?}", t.join(".")),
                    ));
                }
            }
            targets.push(target);
        }
        Ok(())
    }

    fn validate_report(&self) -> Result<(), MappingError> {
        if self.source != "vcf" {
            return Err(self.error(
                Some("source"),
                Some(self.source.clone()),
                "a report mapping reads the `vcf` connector's per-variant tree",
            ));
        }
        if self.per.is_some() || self.sample_id.is_some() || !self.key_extra.is_empty() {
            return Err(self.error(
                Some("per"),
                None,
                "`per`, `sample_id` and `key_extra` are LIMS settings",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for r in &self.rules {
            let Some(target) = catalogue::target(&r.to) else {
                return Err(self.error(
                    Some(&r.to),
                    None,
                    "unknown report target: give a LOINC code from `genobridge mapping targets`",
                ));
            };
            if !seen.insert(r.to.as_str()) {
                return Err(self.error(Some(&r.to), None, "two rules write this target"));
            }
            if r.optional {
                return Err(self.error(
                    Some(&r.to),
                    None,
                    "report rules are optional unless `required = true`; drop `optional`",
                ));
            }
            let paths = r
                .from
                .iter()
                .chain(r.text.iter())
                .chain(r.end.iter())
                .chain(r.transform.iter().flat_map(Transform::paths));
            for p in paths {
                vcf_tree::check_path(p).map_err(|e| self.error(Some(&r.to), Some(p.into()), e))?;
            }
            if !r.text.is_empty() && target.value_type != ValueType::Code {
                return Err(self.error(
                    Some(&r.to),
                    None,
                    format!(
                        "`text` is for code targets; {} is {:?}",
                        r.to, target.value_type
                    ),
                ));
            }
            match (target.value_type, r.end.is_empty()) {
                (ValueType::Range, true) if r.value.is_none() => {
                    return Err(self.error(
                        Some(&r.to),
                        None,
                        "a range needs `end` (the end position) besides `from`",
                    ))
                }
                (t, false) if t != ValueType::Range => {
                    return Err(self.error(Some(&r.to), None, "`end` is for range targets"))
                }
                _ => {}
            }
            // An answer target's constant, and the values of a lookup that ends its
            // transforms, must be answers of that target.
            if target.value_type == ValueType::Answer {
                if let Some(v) = &r.value {
                    let code = v.as_str().unwrap_or_default();
                    if target.answer(code).is_none() {
                        return Err(self.error(
                            Some(&r.to),
                            None,
                            format!(
                                "{code:?} is not an answer of {} ({})",
                                target.code,
                                answers(target)
                            ),
                        ));
                    }
                }
                if let Some(Transform::Lookup { table, .. }) = r.transform.last() {
                    if let Some(entries) = self.tables.get(table) {
                        for (k, v) in entries {
                            if target.answer(v).is_none() {
                                return Err(self.error(
                                    Some(&r.to),
                                    None,
                                    format!(
                                        "table {table:?}: {k:?} gives {v:?}, not an answer of {} ({})",
                                        target.code,
                                        answers(target)
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn answers(t: &catalogue::Target) -> String {
    t.answers
        .iter()
        .take(6)
        .map(|a| format!("{} {}", a.code, a.display))
        .collect::<Vec<_>>()
        .join(", ")
        + if t.answers.len() > 6 { ", …" } else { "" }
}
