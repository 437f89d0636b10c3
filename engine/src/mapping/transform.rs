//! The transforms a field may apply, in order, to the value read from the record.

use super::kind_of;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `transform = ["trim", "upper"]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// Numbers and booleans become text; text stays text.
    ToString,
    /// Text that reads as a number becomes one (an integer when it has no fraction).
    ToNumber,
    Upper,
    Lower,
    /// Removes leading and trailing white space.
    Trim,
}

impl Transform {
    /// Applies the transform; a list is transformed element by element.
    pub fn apply(self, value: Value) -> Result<Value, String> {
        if let Value::Array(items) = value {
            return items
                .into_iter()
                .map(|v| self.apply(v))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array);
        }
        match (self, value) {
            (Transform::ToString, Value::String(s)) => Ok(Value::String(s)),
            (Transform::ToString, v @ (Value::Number(_) | Value::Bool(_))) => {
                Ok(Value::String(v.to_string()))
            }
            (Transform::ToNumber, v @ Value::Number(_)) => Ok(v),
            (Transform::ToNumber, Value::String(s)) => to_number(&s),
            (Transform::Upper, Value::String(s)) => Ok(Value::String(s.to_uppercase())),
            (Transform::Lower, Value::String(s)) => Ok(Value::String(s.to_lowercase())),
            (Transform::Trim, Value::String(s)) => Ok(Value::String(s.trim().to_string())),
            (t, v) => Err(format!("{} cannot take {}", t.name(), kind_of(&v))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Transform::ToString => "to_string",
            Transform::ToNumber => "to_number",
            Transform::Upper => "upper (needs text; add to_string first)",
            Transform::Lower => "lower (needs text; add to_string first)",
            Transform::Trim => "trim (needs text; add to_string first)",
        }
    }
}

/// The error leaves the value out: it ends up in logs and the audit log, and a free-text
/// field (a sample name) might hold patient data. The field and element are named instead.
fn to_number(s: &str) -> Result<Value, String> {
    let t = s.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Ok(Value::from(i));
    }
    t.parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| {
            format!(
                "to_number: the text ({} characters) is not a number",
                s.chars().count()
            )
        })
}
