//! The caller's evaluation context: a JSON object of facts about one request.

use std::collections::BTreeMap;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value, value::RawValue};

use crate::number::{ExactNumber, NumberError};

/// The facts a caller passes when it asks whether a flag is on: a JSON object such as
/// `{"userId": "u-17", "currentDateTime": "11/26/2023 12:00 AM"}`.
///
/// A `Context` is a thin wrapper over [`serde_json::Map`], so building one costs no more than
/// building the map. The [`context!`](crate::context!) macro builds one from `json!`-style
/// pairs; [`Context::try_from`] takes any [`Value`] and rejects what is not an object;
/// [`Context::from_json_slice`] reads JSON text.
///
/// # Numbers a `Value` cannot hold
///
/// Python Novi read contexts with Python's `json`, which keeps integers of any size and reads
/// `1e400` as `inf`; a [`Value`] holds neither. A context read by
/// [`Context::from_json_slice`] keeps such **top-level** numbers exactly in a side table,
/// [`Context::exact_number`]: integers below `i64::MIN` or above `u64::MAX`, and float
/// literals beyond `f64`'s range. [`Context::get`] gives their nearest `f64` instead, and
/// `±f64::MAX` for a number beyond `f64`'s range (`±inf` included), so code that only reads
/// `Value`s sees a number of the right sign and about the right size. Numbers nested in
/// arrays or objects are only read as `Value`s: big integers there are approximated, and
/// out-of-range ones make the JSON invalid.
///
/// ```
/// use novi_core::{context, Context, ExactNumber};
/// use serde_json::json;
///
/// let ctx = context! {"seed": 333, "variant": "A"};
/// assert_eq!(ctx.get("seed"), Some(&json!(333)));
///
/// let same = Context::try_from(json!({"seed": 333, "variant": "A"}))?;
/// assert_eq!(ctx, same);
/// assert!(Context::try_from(json!([1, 2])).is_err());
///
/// let big = Context::from_json_slice(br#"{"seed": 18446744073709551616, "x": 1e400}"#)?;
/// assert_eq!(big.get("seed"), Some(&json!(18446744073709551616.0)));
/// assert_eq!(
///     big.exact_number("seed"),
///     Some(&ExactNumber::Int { negative: false, magnitude: vec![0, 0, 1] })
/// );
/// assert_eq!(big.get("x"), Some(&json!(f64::MAX)));
/// assert_eq!(big.exact_number("x"), Some(&ExactNumber::Float(f64::INFINITY)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    values: Map<String, Value>,
    /// The top-level numbers that `values` only approximates, by key; almost always empty.
    exact: BTreeMap<String, ExactNumber>,
}

impl Context {
    /// Reads a context from JSON text, which must be an object, keeping its top-level numbers
    /// exactly (see [Numbers a `Value` cannot hold](#numbers-a-value-cannot-hold)).
    ///
    /// Text without such numbers is parsed once, as `serde_json::from_slice` would. The text is
    /// read a second time, keeping each top-level value's text, only when the first reading
    /// fails on an out-of-range number or finds a top-level float of magnitude 2^63 or more
    /// (which may have been an integer literal).
    pub fn from_json_slice(json: &[u8]) -> Result<Context, ContextError> {
        match serde_json::from_slice::<Value>(json) {
            Ok(value) => {
                let mut ctx = Context::try_from(value)?;
                if ctx.values.values().any(may_be_big_integer) {
                    // Every number was read; only the big integers' exact values are missing.
                    ctx.set_exact(exact_top_level_numbers(&raw_entries(json)?)?);
                }
                Ok(ctx)
            }
            Err(err) if is_out_of_range(&err) => Context::from_out_of_range_json(json),
            Err(err) => Err(ContextError::Json(err)),
        }
    }

    /// The slow path: some number is beyond `f64`'s range. Each top-level one is read exactly
    /// and replaced by `0` (padded with spaces, so that positions in error messages stay
    /// right) for serde_json, which then reads the rest and reports anything else wrong.
    fn from_out_of_range_json(json: &[u8]) -> Result<Context, ContextError> {
        let entries = raw_entries(json)?;
        let numbers = exact_top_level_numbers(&entries)?;
        let mut patched = json.to_vec();
        for (_, raw) in numbers.iter().filter_map(|(_, number)| number.as_ref()) {
            let start = (raw.get().as_ptr() as usize).wrapping_sub(json.as_ptr() as usize);
            if let Some(literal) = patched.get_mut(start..start + raw.get().len()) {
                literal.fill(b' ');
                literal[0] = b'0';
            }
        }
        let value: Value = serde_json::from_slice(&patched)?;
        let mut ctx = Context::try_from(value)?;
        ctx.set_exact(numbers);
        Ok(ctx)
    }

    /// Keeps the exact numbers, setting their `Value`s to the approximations. Of repeated
    /// keys the last entry wins, as in Python and serde_json: an exact number is kept only
    /// when no other value follows it under its key.
    fn set_exact(&mut self, numbers: Vec<ExactEntry<'_>>) {
        let mut last: BTreeMap<String, Option<ExactNumber>> = BTreeMap::new();
        for (key, number) in numbers {
            last.insert(key, number.map(|(number, _)| number));
        }
        for (key, number) in last {
            let Some(number) = number else { continue };
            if let Some(value) = serde_json::Number::from_f64(number.approximation()) {
                self.values.insert(key.clone(), Value::Number(value));
            }
            self.exact.insert(key, number);
        }
    }

    /// The value under `key`, if the caller supplied one. For a top-level number that a
    /// `Value` cannot hold, this is its nearest `f64` (`±f64::MAX` beyond `f64`'s range); the
    /// exact number is [`Context::exact_number`].
    #[inline]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.values.get(key)
    }

    /// The exact value under `key` when it is a top-level number that [`Context::get`] only
    /// approximates: an integer below `i64::MIN` or above `u64::MAX`, or a float literal beyond
    /// `f64`'s range (`±inf`). `None` for every other key and value, and for contexts not read
    /// by [`Context::from_json_slice`].
    #[inline]
    pub fn exact_number(&self, key: &str) -> Option<&ExactNumber> {
        if self.exact.is_empty() {
            return None;
        }
        self.exact.get(key)
    }

    /// Sets `key` to `value`, returning the value it replaces (and forgetting any exact number
    /// that was kept for `key`).
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<Value>) -> Option<Value> {
        let key = key.into();
        self.exact.remove(&key);
        self.values.insert(key, value.into())
    }

    /// Whether the context has no keys at all.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// The underlying JSON object (with numbers that a `Value` cannot hold approximated).
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.values
    }

    /// Gives back the underlying JSON object (with numbers that a `Value` cannot hold
    /// approximated; the exact ones are dropped).
    pub fn into_map(self) -> Map<String, Value> {
        self.values
    }
}

/// Why [`Context::from_json_slice`] refused a text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// The text is not valid JSON; the message is serde_json's, with the line and column.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The text is JSON but not an object.
    #[error(transparent)]
    NotAnObject(#[from] NotAnObject),
    /// A top-level number is one Python's `json` refuses too (an integer of more than
    /// [`MAX_INT_DIGITS`](crate::MAX_INT_DIGITS) digits).
    #[error("context key `{key}`: {source}")]
    Number {
        /// The key of the number.
        key: String,
        /// What is wrong with it.
        source: NumberError,
    },
}

/// Whether a number that serde_json read may have been an integer literal beyond `i64`/`u64`:
/// it reads those as floats, and every such integer has a magnitude of at least 2^63.
fn may_be_big_integer(value: &Value) -> bool {
    const TWO_TO_THE_63: f64 = 9_223_372_036_854_775_808.0;
    matches!(value, Value::Number(n) if n.as_f64().is_some_and(|f| n.is_f64() && f.abs() >= TWO_TO_THE_63))
}

/// Whether serde_json refused the text for a number beyond `f64`'s range. Its error codes are
/// private; the message is its stable `Display`.
fn is_out_of_range(err: &serde_json::Error) -> bool {
    err.is_syntax() && err.to_string().starts_with("number out of range")
}

/// The keys and value texts of a JSON object, in document order (repeated keys included).
fn raw_entries(json: &[u8]) -> Result<Vec<(String, &RawValue)>, ContextError> {
    let whole: &RawValue = serde_json::from_slice(json)?;
    let found = match whole.get().as_bytes().first() {
        Some(b'{') => return Ok(serde_json::from_str::<RawObject<'_>>(whole.get())?.0),
        Some(b'[') => "array",
        Some(b'"') => "string",
        Some(b't' | b'f') => "boolean",
        Some(b'n') => "null",
        _ => "number",
    };
    Err(NotAnObject { found }.into())
}

/// An entry's key with, for a number that a `Value` cannot hold, its exact value and text.
type ExactEntry<'a> = (String, Option<(ExactNumber, &'a RawValue)>);

/// Each entry's key with, for a number that a `Value` cannot hold, its exact value and text
/// (`None` for every other value, which forgets an earlier entry under the same key).
fn exact_top_level_numbers<'a>(
    entries: &[(String, &'a RawValue)],
) -> Result<Vec<ExactEntry<'a>>, ContextError> {
    let mut numbers = Vec::new();
    for (key, raw) in entries {
        let is_number = matches!(raw.get().as_bytes().first(), Some(b'-' | b'0'..=b'9'));
        let exact = if is_number {
            let number = ExactNumber::parse(raw.get()).map_err(|source| ContextError::Number {
                key: key.clone(),
                source,
            })?;
            (!number.fits_json_value()).then_some((number, *raw))
        } else {
            None
        };
        numbers.push((key.clone(), exact));
    }
    Ok(numbers)
}

/// A JSON object's entries with their values' text, for reading numbers exactly.
struct RawObject<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;

        impl<'de> Visitor<'de> for Entries {
            type Value = RawObject<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push(entry);
                }
                Ok(RawObject(entries))
            }
        }

        deserializer.deserialize_map(Entries)
    }
}

impl From<Map<String, Value>> for Context {
    fn from(values: Map<String, Value>) -> Self {
        Context {
            values,
            exact: BTreeMap::new(),
        }
    }
}

impl TryFrom<Value> for Context {
    type Error = NotAnObject;

    fn try_from(value: Value) -> Result<Self, Self::Error> {
        match value {
            Value::Object(values) => Ok(Context::from(values)),
            other => Err(NotAnObject {
                found: json_type(&other),
            }),
        }
    }
}

impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Context {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Context::from(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect::<Map<String, Value>>(),
        )
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
    fn reads_json_text_as_serde_json_does() {
        for text in [
            r#"{"a": 1, "b": [true, null], "c": {"d": "e"}}"#,
            r#"{"max": 18446744073709551615, "min": -9223372036854775808, "f": 1e30}"#,
            r#"{"big": [18446744073709551616], "inner": {"x": -1e300}}"#,
            "{}",
        ] {
            let ctx = Context::from_json_slice(text.as_bytes()).unwrap();
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(ctx, Context::try_from(value).unwrap(), "{text}");
            assert!(ctx.exact.is_empty(), "{text}");
        }
        assert_eq!(
            Context::from_json_slice(br#"{"seed": 333, "variant": "A"}"#).unwrap(),
            context! {"seed": 333, "variant": "A"}
        );
    }

    #[track_caller]
    fn exact(text: &str, key: &str) -> (Value, Option<ExactNumber>) {
        let ctx = Context::from_json_slice(text.as_bytes()).unwrap();
        (
            ctx.get(key).cloned().unwrap(),
            ctx.exact_number(key).cloned(),
        )
    }

    #[test]
    fn keeps_top_level_numbers_a_value_cannot_hold() {
        let int = |negative, magnitude: &[u32]| ExactNumber::Int {
            negative,
            magnitude: magnitude.to_vec(),
        };
        let ten_to_the_30 = [1073741824, 1182068202, 2670501072, 12];
        for (text, value, number) in [
            (
                r#"{"seed": 18446744073709551616}"#,
                json!(18446744073709551616.0),
                int(false, &[0, 0, 1]),
            ),
            (
                r#"{"seed": -9223372036854775809}"#,
                json!(-9223372036854775809.0),
                int(true, &[1, 1 << 31]),
            ),
            (
                r#"{"seed": 1000000000000000000000000000000}"#,
                json!(1e30),
                int(false, &ten_to_the_30),
            ),
            (
                r#"{"seed": -1000000000000000000000000000000, "variant": "A"}"#,
                json!(-1e30),
                int(true, &ten_to_the_30),
            ),
            (
                r#"{"seed": 1e400}"#,
                json!(f64::MAX),
                ExactNumber::Float(f64::INFINITY),
            ),
            (
                r#"{"variant": "A", "seed": -1e400}"#,
                json!(f64::MIN),
                ExactNumber::Float(f64::NEG_INFINITY),
            ),
            (
                "{\n  \"x\": [1, 2],\n  \"seed\": 1E+999 }",
                json!(f64::MAX),
                ExactNumber::Float(f64::INFINITY),
            ),
        ] {
            assert_eq!(exact(text, "seed"), (value, Some(number)), "{text}");
        }
        // A 400-digit integer is beyond f64's range as well.
        let huge = format!(r#"{{"seed": 1{}}}"#, "0".repeat(400));
        let (value, number) = exact(&huge, "seed");
        assert_eq!(value, json!(f64::MAX));
        assert_eq!(number.unwrap().to_string(), format!("1{}", "0".repeat(400)));
        // Other keys of the same context are untouched.
        let ctx = Context::from_json_slice(br#"{"seed": 1e400, "variant": 2.5, "n": 7}"#).unwrap();
        assert_eq!(ctx.get("variant"), Some(&json!(2.5)));
        assert_eq!(ctx.exact_number("variant"), None);
        assert_eq!(ctx.get("n"), Some(&json!(7)));
        assert_eq!(ctx.exact_number("missing"), None);
    }

    #[test]
    fn the_last_of_repeated_keys_wins() {
        assert_eq!(exact(r#"{"a": 1e400, "a": 1}"#, "a"), (json!(1), None));
        assert_eq!(
            exact(r#"{"a": 1, "a": -1e400}"#, "a"),
            (json!(f64::MIN), Some(ExactNumber::Float(f64::NEG_INFINITY)))
        );
        assert_eq!(
            exact(r#"{"a": 18446744073709551616, "a": "x"}"#, "a"),
            (json!("x"), None)
        );
    }

    #[test]
    fn inserting_forgets_the_exact_number() {
        let mut ctx = Context::from_json_slice(br#"{"seed": 1e400}"#).unwrap();
        assert!(ctx.exact_number("seed").is_some());
        ctx.insert("seed", 5);
        assert_eq!(ctx.exact_number("seed"), None);
        assert_eq!(ctx.get("seed"), Some(&json!(5)));
        assert_eq!(ctx, context! {"seed": 5});
    }

    #[test]
    fn refuses_what_is_not_a_json_object() {
        let message = |text: &str| Context::from_json_slice(text.as_bytes()).unwrap_err();
        for (text, found) in [
            ("[1, 2]", "array"),
            ("1e400", "number"),
            ("[1e400]", "array"),
            ("-18446744073709551616", "number"),
            ("\"s\"", "string"),
            ("null", "null"),
        ] {
            assert!(
                matches!(message(text), ContextError::NotAnObject(NotAnObject { found: f }) if f == found),
                "{text}"
            );
        }
        for (text, error) in [
            ("{bad", "key must be a string at line 1 column 2"),
            ("", "EOF while parsing a value at line 1 column 0"),
            (
                r#"{"a": 1e400, bad}"#,
                "key must be a string at line 1 column 14",
            ),
            (
                r#"{"a": 1e400} x"#,
                "trailing characters at line 1 column 14",
            ),
            // Out of range below the top level: serde_json's message, at the right place
            // although the top-level number before it was read.
            (
                "{\"a\": 1e400,\n \"b\": [1, 1e400]}",
                "number out of range at line 2 column 15",
            ),
            (
                r#"{"a": {"b": 1e400}}"#,
                "number out of range at line 1 column 17",
            ),
        ] {
            let err = message(text);
            assert!(matches!(err, ContextError::Json(_)), "{text}: {err:?}");
            assert_eq!(err.to_string(), error, "{text}");
        }
        let long = format!(r#"{{"seed": {}}}"#, "1".repeat(crate::MAX_INT_DIGITS + 1));
        let err = message(&long);
        assert_eq!(
            err.to_string(),
            "context key `seed`: the integer has 4301 digits, more than the 4300 that Python reads"
        );
        assert!(matches!(
            err,
            ContextError::Number {
                source: NumberError::TooManyDigits { digits: 4301 },
                ..
            }
        ));
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
