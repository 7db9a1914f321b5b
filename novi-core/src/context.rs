//! The caller's evaluation context: a JSON object of facts about one request.

use serde_json::{Map, Value};

/// The facts a caller passes when it asks whether a flag is on: a JSON object such as
/// `{"userId": "u-17", "currentDateTime": "11/26/2023 12:00 AM"}`.
///
/// A `Context` is a thin wrapper over [`serde_json::Map`], so building one costs no more than
/// building the map. The [`context!`](crate::context!) macro builds one from `json!`-style
/// pairs; [`Context::try_from`] takes any [`Value`] and rejects what is not an object.
///
/// ```
/// use novi_core::{context, Context};
/// use serde_json::json;
///
/// let ctx = context! {"seed": 333, "variant": "A"};
/// assert_eq!(ctx.get("seed"), Some(&json!(333)));
///
/// let same = Context::try_from(json!({"seed": 333, "variant": "A"}))?;
/// assert_eq!(ctx, same);
/// assert!(Context::try_from(json!([1, 2])).is_err());
/// # Ok::<(), novi_core::NotAnObject>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    values: Map<String, Value>,
}

impl Context {
    /// The value under `key`, if the caller supplied one.
    #[inline]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        self.values.insert(key.into(), value.into())
    }

    /// Whether the context has no keys at all.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// The underlying JSON object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.values
    }

    /// Gives back the underlying JSON object.
    pub fn into_map(self) -> Map<String, Value> {
        self.values
    }
}

impl From<Map<String, Value>> for Context {
    fn from(values: Map<String, Value>) -> Self {
        Context { values }
    }
}

impl TryFrom<Value> for Context {
    type Error = NotAnObject;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        match value {
            Value::Object(values) => Ok(Context { values }),
            other => Err(NotAnObject {
                found: json_type(&other),
            }),
        }
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Context {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Context {
            values: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

/// A context must be a JSON object; this is the error for any other JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the context must be a JSON object, found {found}")]
pub struct NotAnObject {
    /// The JSON type that was found instead (`"array"`, `"string"`, ...).
    pub found: &'static str,
}

/// The JSON type name of `value`, for error messages: `null`, `boolean`, `number`, `string`,
/// `array` or `object`.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Builds a [`Context`] from `json!`-style key/value pairs.
///
/// ```
/// let ctx = novi_core::context! {"currentDateTime": "11/27/2023 12:00 AM", "seed": 1};
/// assert_eq!(ctx.len(), 2);
/// ```
#[macro_export]
macro_rules! context {
    ($($body:tt)*) => {
        match $crate::__private::serde_json::json!({ $($body)* }) {
            $crate::__private::serde_json::Value::Object(map) => $crate::Context::from(map),
            _ => ::core::unreachable!("json!({{..}}) always builds an object"),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builds_from_macro_map_and_value() {
        let from_macro = context! {"a": 1, "b": [true, null]};
        let from_value = Context::try_from(json!({"a": 1, "b": [true, null]})).unwrap();
        let from_iter: Context = [("a", json!(1)), ("b", json!([true, null]))]
            .into_iter()
            .collect();
        assert_eq!(from_macro, from_value);
        assert_eq!(from_macro, from_iter);
        assert_eq!(from_macro.get("a"), Some(&json!(1)));
        assert_eq!(from_macro.get("missing"), None);
        assert!(context! {}.is_empty());
    }

    #[test]
    fn rejects_values_that_are_not_objects() {
        for (value, found) in [
            (json!(null), "null"),
            (json!(true), "boolean"),
            (json!(1.5), "number"),
            (json!("s"), "string"),
            (json!([1]), "array"),
        ] {
            let err = Context::try_from(value).unwrap_err();
            assert_eq!(err.found, found);
            assert_eq!(
                err.to_string(),
                format!("the context must be a JSON object, found {found}")
            );
        }
    }
}
