//! What the fuzz targets share: the invariants (the same file the proptest suite checks) and
//! the decoding of fuzzer input into configs and contexts.

use arbitrary::Arbitrary;
use novi_core::Context;
use serde_json::{Map, Number, Value};

#[path = "../../novi-activations/tests/common/invariants.rs"]
pub mod invariants;

/// Checks one fuzzed config of one of `classes`: the input is the config text up to the first
/// NUL byte, then optionally a JSON object used as one more context. When `classes` has more
/// than one class, the first byte picks one.
pub fn config_target(classes: &[&str], data: &[u8]) {
    let (class_name, data) = match classes {
        [only] => (*only, data),
        _ => match data.split_first() {
            Some((pick, rest)) => (classes[usize::from(*pick) % classes.len()], rest),
            None => return,
        },
    };
    let (config, context) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], Some(&data[nul + 1..])),
        None => (data, None),
    };
    let Ok(config) = std::str::from_utf8(config) else {
        return;
    };
    let mut contexts = invariants::standard_contexts();
    if let Some(ctx) =
        context.and_then(|json| serde_json::from_slice::<Map<String, Value>>(json).ok())
    {
        contexts.push(Context::from(ctx));
    }
    invariants::check_config(class_name, config, &contexts);
}

/// A context key: one the built-in activations read, or any other.
#[derive(Debug, Arbitrary)]
pub enum FuzzKey {
    Known(u8),
    Other(String),
}

/// A context value, with strings that the activations parse (addresses, versions, dates,
/// numbers) among the choices.
#[derive(Debug, Arbitrary)]
pub enum FuzzValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Interesting(u8),
    Array(Vec<FuzzValue>),
    Object(Vec<(String, FuzzValue)>),
}

impl FuzzValue {
    fn into_json(self, depth: usize) -> Value {
        match self {
            FuzzValue::Null => Value::Null,
            FuzzValue::Bool(b) => Value::Bool(b),
            FuzzValue::Int(i) => Value::from(i),
            FuzzValue::Float(f) => Number::from_f64(f).map_or(Value::Null, Value::Number),
            FuzzValue::Text(s) => Value::String(s),
            FuzzValue::Interesting(i) => {
                Value::from(invariants::INTERESTING[usize::from(i) % invariants::INTERESTING.len()])
            }
            FuzzValue::Array(items) if depth < 8 => {
                Value::Array(items.into_iter().map(|v| v.into_json(depth + 1)).collect())
            }
            FuzzValue::Object(fields) if depth < 8 => Value::Object(
                fields
                    .into_iter()
                    .map(|(k, v)| (k, v.into_json(depth + 1)))
                    .collect(),
            ),
            FuzzValue::Array(_) | FuzzValue::Object(_) => Value::Null,
        }
    }
}

/// Turns fuzzed pairs into a context.
pub fn context(pairs: Vec<(FuzzKey, FuzzValue)>) -> Context {
    pairs
        .into_iter()
        .map(|(key, value)| {
            let key = match key {
                FuzzKey::Known(i) => {
                    let keys = invariants::CONTEXT_KEYS;
                    keys[usize::from(i) % keys.len()].to_owned()
                }
                FuzzKey::Other(key) => key,
            };
            (key, value.into_json(0))
        })
        .collect()
}
