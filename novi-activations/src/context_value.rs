//! Reading context values as text, the way Unleash's string-typed context does.

use std::borrow::Cow;

use novi_core::{Context, EvalError};
use serde_json::Value;

/// The value under `key` as text: strings as they are, numbers and booleans written out.
/// Absent, `null` and empty strings are `None`; arrays and objects are an [`EvalError`].
pub(crate) fn text<'c>(ctx: &'c Context, key: &str) -> Result<Option<Cow<'c, str>>, EvalError> {
    match ctx.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(Cow::Borrowed(s))),
        Some(Value::Number(n)) => Ok(Some(Cow::Owned(n.to_string()))),
        Some(Value::Bool(b)) => Ok(Some(Cow::Borrowed(if *b { "true" } else { "false" }))),
        Some(other) => Err(EvalError::wrong_type(
            key,
            "a string, number or boolean",
            other,
        )),
    }
}

/// A random stickiness value, for callers with no id: Unleash's `random` stickiness.
pub(crate) fn random_key() -> String {
    format!("{}", rand::random::<u32>())
}
