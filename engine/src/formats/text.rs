//! Turning an export's bytes into text, strictly: a wrong guess at an encoding would
//! silently change sample names and units, so only UTF-8 and BOM-marked UTF-16 are read.

use super::FormatError;
use std::path::Path;

/// Instrument exports are small; anything bigger is not one of them.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Reads `path` whole (up to `MAX_BYTES`), naming the file on failure.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, FormatError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| FormatError::new(path, None, format!("cannot read: {e}")))?;
    if meta.len() > MAX_BYTES {
        return Err(FormatError::new(
            path,
            None,
            format!(
                "{} bytes: larger than any instrument export ({} MiB)",
                meta.len(),
                MAX_BYTES >> 20
            ),
        ));
    }
    std::fs::read(path).map_err(|e| FormatError::new(path, None, format!("cannot read: {e}")))
}

/// UTF-8 (a BOM is dropped) or UTF-16 with a BOM. Empty files, UTF-16 without a BOM and
/// bytes that are not UTF-8 (Latin-1, Windows-1252) are errors naming the line.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<String, FormatError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FormatError::new(path, None, "empty file"));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(path, rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(path, rest, u16::from_be_bytes);
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    if let Some(at) = bytes.iter().position(|b| *b == 0) {
        return Err(FormatError::new(
            path,
            Some(format!("line {}", line_at(bytes, at))),
            "NUL bytes: UTF-16 without a byte order mark, or not a text file; export as UTF-8",
        ));
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let at = e.valid_up_to();
            Err(FormatError::new(
                path,
                Some(format!("line {}", line_at(bytes, at))),
                format!(
                    "byte 0x{:02X} is not UTF-8 (a Latin-1 or Windows-1252 export?); export as UTF-8",
                    bytes.get(at).copied().unwrap_or_default()
                ),
            ))
        }
    }
}

fn utf16(path: &Path, b: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, FormatError> {
    if !b.len().is_multiple_of(2) {
        return Err(FormatError::new(
            path,
            None,
            "UTF-16 text with an odd number of bytes (cut off?)",
        ));
    }
    let units: Vec<u16> = b.chunks_exact(2).map(|c| unit([c[0], c[1]])).collect();
    String::from_utf16(&units)
        .map_err(|_| FormatError::new(path, None, "UTF-16 byte order mark, but not valid UTF-16"))
}

/// 1-based line of byte offset `at`.
pub fn line_at(bytes: &[u8], at: usize) -> usize {
    bytes[..at.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The first `n` bytes of a file, for sniffing; empty when unreadable.
pub fn head(path: &Path, n: usize) -> Vec<u8> {
    use std::io::Read;
    let mut buf = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(n as u64).read_to_end(&mut buf);
    }
    buf
}

/// Sniffing text: the head decoded leniently (UTF-16 with a BOM included).
pub fn head_text(path: &Path) -> String {
    let b = head(path, 4096);
    if b.starts_with(&[0xFF, 0xFE]) || b.starts_with(&[0xFE, 0xFF]) {
        let le = b[0] == 0xFF;
        let units: Vec<u16> = b[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        return String::from_utf16_lossy(&units);
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// `*` and `?` wildcards against a file name, ASCII case-insensitive.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The file name, lower-cased, for sniffing by extension.
pub fn lower_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        let p = Path::new("x.csv");
        assert_eq!(decode(p, b"\xEF\xBB\xBFa,b\n").unwrap(), "a,b\n");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("a,µ\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
            .collect();
        assert_eq!(decode(p, &utf16).unwrap(), "a,µ\n");
        let e = decode(p, b"a,b\nc,\xB5L\n").unwrap_err().to_string();
        assert!(
            e.contains("line 2") && e.contains("0xB5") && e.contains("x.csv"),
            "{e}"
        );
        let e = decode(p, &utf16[2..]).unwrap_err().to_string();
        assert!(e.contains("UTF-16 without a byte order mark"), "{e}");
        assert!(decode(p, b" \n")
            .unwrap_err()
            .to_string()
            .contains("empty file"));
    }

    #[test]
    fn globs() {
        assert!(glob_match("*_nanodrop.tsv", "Run1_NanoDrop.TSV"));
        assert!(glob_match("plate-??.csv", "plate-07.csv"));
        assert!(!glob_match("*.csv", "a.csv.tmp"));
        assert!(glob_match("*", "anything"));
    }
}
