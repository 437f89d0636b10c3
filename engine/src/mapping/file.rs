//! Mapping files: plain, byte-stable TOML. The same mapping always exports the same bytes
//! (fixed key order, tables sorted, no timestamps in the body), so a lab can keep its
//! mappings in git and `git diff` shows only what changed.
//!
//! An exported file starts with a comment header (version, state, hash, signatures) that
//! is not part of the body: the body alone is hashed, and importing ignores the header.

use super::{Kind, Mapping, MappingError};
use sha2::{Digest, Sha256};

/// The mappings shipped with GenoBridge, loaded into a new database as approved, active
/// versions.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("vcf-report", include_str!("defaults/vcf-report.toml")),
    (
        "illumina-run-to-lims",
        include_str!("defaults/illumina-run-to-lims.toml"),
    ),
    (
        "quantstudio-to-lims",
        include_str!("defaults/quantstudio-to-lims.toml"),
    ),
];

/// A parse or check failure of a mapping file, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{file}: {reason}")]
    Syntax { file: String, reason: String },
    #[error("{file}: {0}", .error)]
    Invalid { file: String, error: MappingError },
}

impl Mapping {
    /// Parses and checks a mapping file; `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Mapping, FileError> {
        let m: Mapping = toml::from_str(text).map_err(|e| FileError::Syntax {
            file: file.to_string(),
            reason: e.to_string().trim_end().replace('\n', " "),
        })?;
        m.validate().map_err(|error| FileError::Invalid {
            file: file.to_string(),
            error,
        })?;
        Ok(m)
    }

    /// The canonical body: what is hashed, stored and exported.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// SHA-256 (hex) of the canonical body: the version's identity.
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.to_toml().as_bytes()))
    }

    pub fn kind_name(&self) -> &'static str {
        self.kind.as_str()
    }

    /// The shipped default mapping of this name.
    pub fn default_named(name: &str) -> Option<Mapping> {
        DEFAULTS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| Mapping::from_toml(n, text).expect("shipped mappings are valid"))
    }

    /// The shipped report mapping (`vcf-report`).
    pub fn default_report() -> Mapping {
        Mapping::default_named("vcf-report").expect("vcf-report is shipped")
    }

    pub fn is_report(&self) -> bool {
        self.kind == Kind::Report
    }
}

/// A file with its comment header: `# key: value` lines, then the body. The header is for
/// people (21 CFR 11.50 signature manifestation) and is never hashed.
pub fn with_header(header: &[(String, String)], body: &str) -> String {
    let mut out = String::new();
    for (k, v) in header {
        out.push_str("# ");
        out.push_str(k);
        out.push_str(": ");
        out.push_str(&v.replace('\n', " "));
        out.push('\n');
    }
    if !header.is_empty() {
        out.push('\n');
    }
    out.push_str(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_is_valid_and_exports_byte_stable() {
        for (name, text) in DEFAULTS {
            let m = Mapping::from_toml(name, text).unwrap_or_else(|e| panic!("{e}"));
            let once = m.to_toml();
            let again = Mapping::from_toml(name, &once).unwrap().to_toml();
            assert_eq!(once, again, "{name}: export, import, export");
            let with = with_header(&[("signed".into(), "x".into())], &once);
            assert_eq!(
                Mapping::from_toml(name, &with).unwrap().sha256(),
                m.sha256()
            );
        }
    }

    #[test]
    fn errors_name_the_file_the_rule_and_the_reason() {
        let bad = r#"
name = "r"
kind = "report"
source = "vcf"
rules = [{ to = "99999-9", from = "variant.ref" }]
"#;
        let e = Mapping::from_toml("r.toml", bad).unwrap_err().to_string();
        assert!(
            e.starts_with("r.toml: mapping \"r\", field \"99999-9\""),
            "{e}"
        );
        assert!(e.contains("unknown report target"), "{e}");
        let bad_path = bad
            .replace("99999-9", "69547-8")
            .replace("variant.ref", "variant.reff");
        let e = Mapping::from_toml("r.toml", &bad_path)
            .unwrap_err()
            .to_string();
        assert!(e.contains("variant.reff"), "{e}");
        let no_default = r#"
name = "r"
kind = "report"
source = "vcf"
tables = { sig = { pathogenic = "LA6668-3" } }
rules = [{ to = "53037-8", from = "clinvar.CLNSIG", transform = [{ lookup = { table = "sig" } }] }]
"#;
        let e = Mapping::from_toml("r.toml", no_default)
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs `otherwise`"), "{e}");
        let wrong_answer = no_default
            .replace(
                "{ table = \"sig\" }",
                "{ table = \"sig\", otherwise = \"omit\" }",
            )
            .replace("LA6668-3", "LA6706-1");
        let e = Mapping::from_toml("r.toml", &wrong_answer)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not an answer of 53037-8"), "{e}");
    }
}
