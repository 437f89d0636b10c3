//! A small element tree over quick-xml, for instrument XML whose layout varies by model
//! and software version. Every element keeps its line, so errors can name it; a file cut
//! off mid-element is an error naming the element left open.

use super::{text::line_at, FormatError};
use quick_xml::events::Event;
use std::path::Path;

/// Deeper nesting than any instrument writes; the limit keeps hostile input cheap.
const MAX_DEPTH: usize = 128;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Element {
    /// Local name, without a namespace prefix.
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// Text content, trimmed.
    pub text: String,
    pub children: Vec<Element>,
    /// 1-based line of the start tag.
    pub line: usize,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The element at a `/`-separated path of child names, e.g. `Setup/RTAVersion`.
    pub fn at(&self, path: &str) -> Option<&Element> {
        path.split('/').try_fold(self, |e, name| e.child(name))
    }

    /// Non-empty text at `path`.
    pub fn text_at(&self, path: &str) -> Option<&str> {
        self.at(path)
            .map(|e| e.text.as_str())
            .filter(|t| !t.is_empty())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `element <Name> (line N)`, for error locations.
    pub fn location(&self) -> String {
        format!("element <{}>, line {}", self.name, self.line)
    }
}

/// Parses a whole document and returns its root element.
pub fn parse(path: &Path, text: &str) -> Result<Element, FormatError> {
    if text.trim().is_empty() {
        return Err(FormatError::new(path, None, "empty file"));
    }
    let bytes = text.as_bytes();
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let err = |pos: u64, reason: String| {
        FormatError::new(
            path,
            Some(format!("line {}", line_at(bytes, pos as usize))),
            reason,
        )
    };
    loop {
        let before = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| err(reader.error_position(), format!("not well-formed XML: {e}")))?;
        match event {
            Event::Start(ref s) | Event::Empty(ref s) => {
                if root.is_some() {
                    return Err(err(before, "content after the root element".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(err(
                        before,
                        format!("nested deeper than {MAX_DEPTH} elements"),
                    ));
                }
                let mut el = Element {
                    name: String::from_utf8_lossy(s.local_name().as_ref()).into_owned(),
                    line: line_at(bytes, before as usize),
                    ..Element::default()
                };
                for a in s.attributes() {
                    let a =
                        a.map_err(|e| err(before, format!("bad attribute in <{}>: {e}", el.name)))?;
                    let v = a.unescape_value().map_err(|e| {
                        err(before, format!("bad attribute value in <{}>: {e}", el.name))
                    })?;
                    el.attrs.push((
                        String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned(),
                        v.into_owned(),
                    ));
                }
                if matches!(event, Event::Start(_)) {
                    stack.push(el);
                } else {
                    close(el, &mut stack, &mut root);
                }
            }
            Event::End(_) => {
                if let Some(mut el) = stack.pop() {
                    el.text = el.text.trim().to_string();
                    close(el, &mut stack, &mut root);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let s = t
                        .decode()
                        .map_err(|e| err(before, format!("bad text in <{}>: {e}", top.name)))?;
                    let s = quick_xml::escape::unescape(&s)
                        .map_err(|e| err(before, format!("bad text in <{}>: {e}", top.name)))?;
                    top.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    let name = String::from_utf8_lossy(&r).into_owned();
                    let c = match name.as_str() {
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "amp" => Some('&'),
                        "apos" => Some('\''),
                        "quot" => Some('"'),
                        _ => r.resolve_char_ref().ok().flatten(),
                    };
                    match c {
                        Some(c) => top.text.push(c),
                        None => {
                            return Err(err(
                                before,
                                format!("unknown entity &{name}; in <{}>", top.name),
                            ))
                        }
                    }
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(FormatError::new(
            path,
            Some(open.location()),
            format!("the file ends inside <{}> (cut off?)", open.name),
        ));
    }
    root.ok_or_else(|| FormatError::new(path, None, "no XML element in the file"))
}

fn close(el: Element, stack: &mut [Element], root: &mut Option<Element>) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

/// An element as a JSON object: children by snake-cased name (repeated names become
/// arrays), text leaves as numbers where they read as numbers.
pub fn to_json(e: &Element) -> serde_json::Value {
    use serde_json::{Map, Value};
    if e.children.is_empty() && e.attrs.is_empty() {
        return super::record::cell(&e.text);
    }
    let mut m = Map::new();
    for (k, v) in &e.attrs {
        m.insert(super::record::snake(k), super::record::cell(v));
    }
    for c in &e.children {
        let k = super::record::snake(&c.name);
        let v = to_json(c);
        match m.get_mut(&k) {
            Some(Value::Array(a)) if e.children_named(&c.name).count() > 1 => a.push(v),
            Some(_) => {}
            None if e.children_named(&c.name).count() > 1 => {
                m.insert(k, Value::Array(vec![v]));
            }
            None => {
                m.insert(k, v);
            }
        }
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_xml_names_the_open_element() {
        let p = Path::new("RunParameters.xml");
        let e = parse(
            p,
            "<?xml version=\"1.0\"?>\n<RunParameters>\n  <Setup>\n    <RTAVersion>2.7",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("RunParameters.xml") && e.contains("<RTAVersion>") && e.contains("line 4"),
            "{e}"
        );
        let e = parse(p, "<A>\n<B></C>\n</A>").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("not well-formed"), "{e}");
        let e = parse(p, "<A>\n<B x=\"1\"></A").unwrap_err().to_string();
        assert!(e.contains("RunParameters.xml"), "{e}");
    }

    #[test]
    fn reads_text_attrs_and_entities() {
        let root = parse(
            Path::new("x.xml"),
            "<r a=\"1\"><s>x &amp; y</s><s>2</s><e/></r>",
        )
        .unwrap();
        assert_eq!(root.attr("a"), Some("1"));
        assert_eq!(root.text_at("s"), Some("x & y"));
        assert_eq!(root.children_named("s").count(), 2);
        assert_eq!(to_json(&root)["s"][1], serde_json::json!(2));
    }
}
