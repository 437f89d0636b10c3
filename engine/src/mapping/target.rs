//! Where a value goes in the document: a dotted path or a JSON Pointer, objects created on
//! the way. Arrays are not addressed: a list value is written whole.

use serde_json::{Map, Value};

/// A target as its list of object keys: dotted, or a JSON Pointer when it starts with `/`.
pub(super) fn target_keys(to: &str) -> Result<Vec<String>, String> {
    let keys: Vec<String> = if let Some(pointer) = to.strip_prefix('/') {
        pointer
            .split('/')
            .map(|k| k.replace("~1", "/").replace("~0", "~"))
            .collect()
    } else {
        to.split('.').map(str::to_string).collect()
    };
    if keys.iter().any(|k| k.is_empty()) {
        return Err("the target has an empty key (check the dots or slashes)".into());
    }
    Ok(keys)
}

/// Writes `value` at `keys`, creating objects on the way.
pub(super) fn set(doc: &mut Value, keys: &[String], value: Value) -> Result<(), String> {
    let Some((last, parents)) = keys.split_last() else {
        return Err("the target is empty".into());
    };
    let mut here = doc;
    for k in parents {
        let Value::Object(map) = here else {
            return Err(format!("{k:?} sits under a value that is not an object"));
        };
        here = map
            .entry(k.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    match here {
        Value::Object(map) => {
            map.insert(last.clone(), value);
            Ok(())
        }
        _ => Err(format!("{last:?} sits under a value that is not an object")),
    }
}
