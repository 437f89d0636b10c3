//! Borrowed FHIR datatypes for the per-variant resources. They serialize straight from the
//! variant's own strings: building `serde_json::Value` trees for every Observation cost
//! about 70% of a conversion (callgrind), and these cost a fraction of it.

use super::LOINC;
use crate::messages::codes::Code;
use serde::{ser::SerializeMap, Serialize, Serializer};
use serde_json::value::RawValue;

#[derive(Serialize)]
pub struct Coding<'a> {
    pub system: &'a str,
    pub code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<&'a str>,
}

/// A CodeableConcept with one coding, or text only.
#[derive(Serialize)]
pub struct Concept<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coding: Option<[Coding<'a>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<&'a str>,
}

impl<'a> Concept<'a> {
    pub fn coded(system: &'a str, code: &'a str, display: Option<&'a str>) -> Self {
        Concept {
            coding: Some([Coding {
                system,
                code,
                display,
            }]),
            text: None,
        }
    }

    pub fn loinc(c: Code) -> Concept<'static> {
        Concept::coded(LOINC, c.code, Some(c.display))
    }

    pub fn text(text: &'a str) -> Self {
        Concept {
            coding: None,
            text: Some(text),
        }
    }
}

/// `urn:uuid:<id>`, written without building the string.
pub struct Urn<'a>(pub &'a str);

impl Serialize for Urn<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("urn:uuid:{}", self.0))
    }
}

#[derive(Serialize)]
pub struct Reference<'a> {
    pub reference: Urn<'a>,
}

impl<'a> Reference<'a> {
    pub fn to(id: &'a str) -> Self {
        Reference { reference: Urn(id) }
    }
}

#[derive(Serialize)]
pub struct Meta<'a> {
    pub profile: [&'a str; 1],
}

/// A LOINC concept serialized once per report and then copied: the same few dozen codes
/// (with their long displays and system URL) recur in every Observation, and escaping them
/// anew each time was a large part of the conversion.
pub enum Cacheable<'a> {
    Cached(&'a RawValue),
    Built(Concept<'a>),
}

impl Serialize for Cacheable<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cacheable::Cached(raw) => raw.serialize(s),
            Cacheable::Built(c) => c.serialize(s),
        }
    }
}

/// The serialized LOINC concepts, keyed by code. A code missing from it is serialized
/// as usual, so the cache changes speed, never output. Looked up two dozen times per
/// variant: codes (at most 8 bytes) are packed into integers and binary-searched, which
/// costs less than hashing or comparing strings.
#[derive(Default)]
pub struct LoincCache(Vec<(u64, Box<RawValue>)>);

/// `48018-6` as one integer; `None` for a code longer than 8 bytes (never cached).
fn packed(code: &str) -> Option<u64> {
    let b = code.as_bytes();
    (b.len() <= 8).then(|| {
        let mut k = [0u8; 8];
        k[..b.len()].copy_from_slice(b);
        u64::from_be_bytes(k)
    })
}

impl LoincCache {
    pub fn with(codes: impl IntoIterator<Item = Code>) -> Self {
        let mut entries = Vec::new();
        for c in codes {
            if let (Some(k), Ok(raw)) = (
                packed(c.code),
                serde_json::value::to_raw_value(&Concept::loinc(c)),
            ) {
                entries.push((k, raw));
            }
        }
        entries.sort_by_key(|(k, _)| *k);
        entries.dedup_by_key(|(k, _)| *k);
        LoincCache(entries)
    }

    pub fn get(&self, c: Code) -> Cacheable<'_> {
        let found = packed(c.code).and_then(|k| {
            self.0
                .binary_search_by_key(&k, |(key, _)| *key)
                .ok()
                .map(|i| &self.0[i].1)
        });
        match found {
            Some(raw) => Cacheable::Cached(raw),
            None => Cacheable::Built(Concept::loinc(c)),
        }
    }
}

/// An Observation.component: a code and one `value[x]`.
pub struct Component<'a> {
    pub code: Cacheable<'a>,
    pub value: ComponentValue<'a>,
}

pub enum ComponentValue<'a> {
    Concept(Concept<'a>),
    Loinc(Cacheable<'a>),
    String(&'a str),
    /// `valueRange` of two integers (start and end).
    Range(u64, u64),
    /// `valueQuantity` in UCUM `1`.
    Ratio(f64),
    Count(u64),
}

#[derive(Serialize)]
struct Quantity<N> {
    value: N,
    system: &'static str,
    code: &'static str,
}

impl<N> Quantity<N> {
    /// A dimensionless quantity: UCUM `1`.
    fn unit(value: N) -> Self {
        Quantity {
            value,
            system: UCUM,
            code: "1",
        }
    }
}

#[derive(Serialize)]
struct Value<N> {
    value: N,
}

#[derive(Serialize)]
struct Range {
    low: Value<u64>,
    high: Value<u64>,
}

const UCUM: &str = "http://unitsofmeasure.org";

impl Serialize for Component<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("code", &self.code)?;
        match &self.value {
            ComponentValue::Concept(c) => m.serialize_entry("valueCodeableConcept", c)?,
            ComponentValue::Loinc(c) => m.serialize_entry("valueCodeableConcept", c)?,
            ComponentValue::String(t) => m.serialize_entry("valueString", t)?,
            ComponentValue::Range(low, high) => m.serialize_entry(
                "valueRange",
                &Range {
                    low: Value { value: *low },
                    high: Value { value: *high },
                },
            )?,
            ComponentValue::Ratio(v) => m.serialize_entry("valueQuantity", &Quantity::unit(v))?,
            ComponentValue::Count(v) => m.serialize_entry("valueQuantity", &Quantity::unit(v))?,
        }
        m.end()
    }
}

/// The two categories every genomics Observation carries: laboratory and GE.
pub fn lab_categories() -> [Concept<'static>; 2] {
    [
        Concept::coded(
            "http://terminology.hl7.org/CodeSystem/observation-category",
            "laboratory",
            None,
        ),
        Concept::coded("http://terminology.hl7.org/CodeSystem/v2-0074", "GE", None),
    ]
}

/// The Observation shape shared by Variant, DiagnosticImplication and
/// TherapeuticImplication; absent parts are left out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation<'a> {
    pub resource_type: &'static str,
    pub id: &'a str,
    /// The resource's stable id as a URI identifier: what a resend's conditional create
    /// (`ifNoneExist`) finds it by.
    pub identifier: [StableIdentifier<'a>; 1],
    pub meta: Meta<'a>,
    pub status: &'static str,
    pub category: &'a RawValue,
    pub code: Cacheable<'a>,
    pub subject: Reference<'a>,
    pub issued: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub specimen: Option<Reference<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub derived_from: Option<[Reference<'a>; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<Cacheable<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_codeable_concept: Option<Cacheable<'a>>,
    pub component: Vec<Component<'a>>,
}

/// A transaction Bundle entry: `POST` of one resource under its `urn:uuid` fullUrl.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry<'a, R> {
    pub full_url: Urn<'a>,
    pub resource: R,
    pub request: Request<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request<'a> {
    pub method: &'static str,
    pub url: &'a str,
    /// A conditional create: the server creates the resource only when this search finds
    /// nothing, so a resent Bundle creates no duplicates.
    pub if_none_exist: String,
}

impl<'a, R> Entry<'a, R> {
    pub fn post(id: &'a str, resource_type: &'a str, resource: R, if_none_exist: String) -> Self {
        Entry {
            full_url: Urn(id),
            resource,
            request: Request {
                method: "POST",
                url: resource_type,
                if_none_exist,
            },
        }
    }
}

/// The system of identifiers that are URIs (RFC 3986): here the resource's `urn:uuid:`.
pub const URI_SYSTEM: &str = "urn:ietf:rfc:3986";

/// `{"system":"urn:ietf:rfc:3986","value":"urn:uuid:<id>"}`.
pub struct StableIdentifier<'a>(pub &'a str);

impl Serialize for StableIdentifier<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("system", URI_SYSTEM)?;
        m.serialize_entry("value", &Urn(self.0))?;
        m.end()
    }
}

/// `identifier=<system>|<value>`, each part percent-encoded where a query needs it.
pub fn identifier_search(system: &str, value: &str) -> String {
    use percent_encoding::utf8_percent_encode as enc;
    let mut out = String::with_capacity(12 + system.len() + value.len());
    out.push_str("identifier=");
    out.extend(enc(system, QUERY));
    out.push('|');
    out.extend(enc(value, QUERY));
    out
}

/// What a search parameter's value keeps as is (RFC 3986 unreserved, plus `:` and `/`
/// for readable system URLs); everything else is percent-encoded.
const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':')
    .remove(b'/');
