//! Python values as CPython's `json.loads` makes them (integers of any size, floats that
//! overflow to `inf`, dicts in document order), compared with Python's `==` and written with
//! Python's `str()`. WeightedRandom's variations are these: Python Novi compared the chosen
//! one with the caller's `variant` by `==`.

use std::fmt::Write as _;

use novi_core::ExactNumber;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Value, value::RawValue};

use crate::unicode::is_printable;

/// How deeply a variation may nest lists and objects (serde_json's own limit for values).
pub(crate) const MAX_DEPTH: usize = 128;

/// A value of JSON as Python holds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PyValue {
    None,
    Bool(bool),
    Number(ExactNumber),
    Str(String),
    List(Vec<PyValue>),
    /// Keys in the order they first appear; a repeated key keeps its first place and its last
    /// value, as a Python dict does.
    Dict(Vec<(String, PyValue)>),
}

impl PyValue {
    /// Reads the JSON text of `raw` as `json.loads` does. The error says what is wrong.
    pub(crate) fn from_json(raw: &RawValue) -> Result<PyValue, String> {
        PyValue::read(raw, 0)
    }

    fn read(raw: &RawValue, depth: usize) -> Result<PyValue, String> {
        let text = raw.get();
        let nested = || {
            if depth >= MAX_DEPTH {
                Err(format!("nests deeper than {MAX_DEPTH} levels"))
            } else {
                Ok(())
            }
        };
        Ok(match text.as_bytes().first() {
            Some(b'n') => PyValue::None,
            Some(b't') => PyValue::Bool(true),
            Some(b'f') => PyValue::Bool(false),
            Some(b'"') => PyValue::Str(serde_json::from_str(text).map_err(|e| e.to_string())?),
            Some(b'[') => {
                nested()?;
                let items: Vec<&RawValue> =
                    serde_json::from_str(text).map_err(|e| e.to_string())?;
                PyValue::List(
                    items
                        .into_iter()
                        .map(|item| PyValue::read(item, depth + 1))
                        .collect::<Result<_, _>>()?,
                )
            }
            Some(b'{') => {
                nested()?;
                let RawObject(raw_entries) =
                    serde_json::from_str(text).map_err(|e| e.to_string())?;
                let mut entries: Vec<(String, PyValue)> = Vec::with_capacity(raw_entries.len());
                for (key, raw_value) in raw_entries {
                    let value = PyValue::read(raw_value, depth + 1)?;
                    match entries.iter_mut().find(|(k, _)| *k == key) {
                        Some(entry) => entry.1 = value,
                        None => entries.push((key, value)),
                    }
                }
                PyValue::Dict(entries)
            }
            _ => PyValue::Number(ExactNumber::parse(text).map_err(|e| e.to_string())?),
        })
    }

    /// Python's `self == other` for a value read from JSON by serde_json.
    pub(crate) fn eq_value(&self, other: &Value) -> bool {
        match (self, other) {
            (PyValue::None, Value::Null) => true,
            (PyValue::Str(a), Value::String(b)) => a == b,
            (PyValue::List(a), Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| a.eq_value(b))
            }
            (PyValue::Dict(a), Value::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .all(|(key, a)| b.get(key).is_some_and(|b| a.eq_value(b)))
            }
            (PyValue::Bool(_) | PyValue::Number(_), Value::Bool(_) | Value::Number(_)) => {
                let mut a_words = [0; 2];
                let mut b_words = [0; 2];
                match (self.as_num(&mut a_words), value_num(other, &mut b_words)) {
                    (Some(a), Some(b)) => a.eq(b),
                    _ => false,
                }
            }
            _ => false,
        }
    }

    /// Python's `self == other` for a number read exactly.
    pub(crate) fn eq_number(&self, other: &ExactNumber) -> bool {
        let mut words = [0; 2];
        self.as_num(&mut words)
            .is_some_and(|num| num.eq(exact_num(other)))
    }

    /// The value as a number, for a bool or a number (Python's `bool` is an `int`).
    fn as_num<'a>(&'a self, words: &'a mut [u32; 2]) -> Option<Num<'a>> {
        match self {
            PyValue::Bool(b) => {
                words[0] = u32::from(*b);
                Some(Num::Int(false, trim(&words[..1])))
            }
            PyValue::Number(number) => Some(exact_num(number)),
            _ => None,
        }
    }

    /// Python's `str()` of the value: a string as it is, anything else as `repr` writes it
    /// (`2`, `2.0`, `True`, `None`, `[1, 'a']`, `{'a': 1e+16}`).
    pub(crate) fn to_python_str(&self) -> String {
        match self {
            PyValue::Str(s) => s.clone(),
            other => {
                let mut out = String::new();
                other.write_repr(&mut out);
                out
            }
        }
    }

    fn write_repr(&self, out: &mut String) {
        match self {
            PyValue::None => out.push_str("None"),
            PyValue::Bool(true) => out.push_str("True"),
            PyValue::Bool(false) => out.push_str("False"),
            PyValue::Number(number) => {
                let _ = write!(out, "{number}");
            }
            PyValue::Str(s) => write_str_repr(s, out),
            PyValue::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_repr(out);
                }
                out.push(']');
            }
            PyValue::Dict(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_str_repr(key, out);
                    out.push_str(": ");
                    value.write_repr(out);
                }
                out.push('}');
            }
        }
    }
}

/// CPython's `repr(str)`: single quotes unless the text has `'` and no `"`; `\\`, the quote,
/// `\t`, `\n`, `\r` escaped; other control characters and characters that are not printable
/// as `\xhh`, `\uhhhh` or `\Uhhhhhhhh`.
fn write_str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c < ' ' || c == '\x7f' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if c.is_ascii() || is_printable(c) => out.push(c),
            c if u32::from(c) <= 0xff => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if u32::from(c) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }
    out.push(quote);
}

/// A number to compare: an integer (sign, magnitude words without high zeros; zero is never
/// negative) or a float.
#[derive(Debug, Clone, Copy)]
enum Num<'a> {
    Int(bool, &'a [u32]),
    Float(f64),
}

impl Num<'_> {
    /// Python's `==` on numbers: integers and floats compare exactly (`10**30 == 1e30` is
    /// false, `2 == 2.0` true).
    fn eq(self, other: Num<'_>) -> bool {
        match (self, other) {
            (Num::Int(a_negative, a), Num::Int(b_negative, b)) => {
                a_negative == b_negative && a == b
            }
            (Num::Float(a), Num::Float(b)) => a == b,
            (Num::Int(negative, magnitude), Num::Float(f))
            | (Num::Float(f), Num::Int(negative, magnitude)) => {
                int_eq_float(negative, magnitude, f)
            }
        }
    }
}

fn exact_num(number: &ExactNumber) -> Num<'_> {
    match number {
        ExactNumber::Int {
            negative,
            magnitude,
        } => Num::Int(*negative, magnitude),
        ExactNumber::Float(f) => Num::Float(*f),
    }
}

/// A JSON bool or number as a number (a bool is Python's 0 or 1).
fn value_num<'a>(value: &Value, words: &'a mut [u32; 2]) -> Option<Num<'a>> {
    let (negative, n) = match value {
        Value::Bool(b) => (false, u64::from(*b)),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => (false, u),
            (None, Some(i)) => (i < 0, i.unsigned_abs()),
            _ => return Some(Num::Float(n.as_f64().unwrap_or(f64::NAN))),
        },
        _ => return None,
    };
    *words = [n as u32, (n >> 32) as u32];
    Some(Num::Int(negative && n != 0, trim(&words[..])))
}

/// The words without the high zero words.
fn trim(words: &[u32]) -> &[u32] {
    let len = words.iter().rposition(|w| *w != 0).map_or(0, |i| i + 1);
    &words[..len]
}

/// Whether the float is exactly the integer.
fn int_eq_float(negative: bool, magnitude: &[u32], f: f64) -> bool {
    if !f.is_finite() || f.fract() != 0.0 {
        return false;
    }
    if f == 0.0 {
        return magnitude.is_empty();
    }
    if (f < 0.0) != negative {
        return false;
    }
    // |f| = mantissa * 2^exponent, exactly; an integral f64 is below 2^1024: 32 words.
    let bits = f.abs().to_bits();
    let biased = (bits >> 52) as i32;
    let (mantissa, exponent) = if biased == 0 {
        (bits & ((1 << 52) - 1), -1074)
    } else {
        ((bits & ((1 << 52) - 1)) | 1 << 52, biased - 1075)
    };
    let mut words = [0u32; 34];
    if exponent < 0 {
        // Integral, so the bits shifted out are zeros.
        let value = mantissa >> exponent.unsigned_abs();
        words[0] = value as u32;
        words[1] = (value >> 32) as u32;
    } else {
        let shift = exponent as usize;
        let (word_shift, bit_shift) = (shift / 32, shift % 32);
        let wide = u128::from(mantissa) << bit_shift;
        for k in 0..3 {
            if let Some(word) = words.get_mut(word_shift + k) {
                *word = (wide >> (32 * k)) as u32;
            }
        }
    }
    trim(&words) == magnitude
}

/// A JSON object's entries with their values' text, in document order.
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn py(json: &str) -> PyValue {
        let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
        PyValue::from_json(&raw).unwrap()
    }

    #[test]
    fn str_is_pythons() {
        // python3 -c 'import json; print([str(json.loads(t)) for t in ...])'
        for (json, python) in [
            ("2", "2"),
            ("-0", "0"),
            ("2.0", "2.0"),
            ("1e16", "1e+16"),
            ("1e400", "inf"),
            ("-1e400", "-inf"),
            ("true", "True"),
            ("false", "False"),
            ("null", "None"),
            ("\"x\"", "x"),
            (
                "1000000000000000000000000000000",
                "1000000000000000000000000000000",
            ),
            (
                r#"[1, 2.0, true, null, "x", {"a": [1e16]}]"#,
                "[1, 2.0, True, None, 'x', {'a': [1e+16]}]",
            ),
            ("[]", "[]"),
            ("{}", "{}"),
            (r#"{"b": 1, "a": 2, "b": 3}"#, "{'b': 3, 'a': 2}"),
            (r#"["a'b"]"#, r#"["a'b"]"#),
            (r#"["a\"b"]"#, r#"['a"b']"#),
            (r#"["a'\"b"]"#, r#"['a\'"b']"#),
            (
                r#"["\u0000\u007f\u0080\u00a0\u00ad\u2028\udbff\udfff\t\n\r\\ é日"]"#,
                r"['\x00\x7f\x80\xa0\xad\u2028\U0010ffff\t\n\r\\ é日']",
            ),
        ] {
            assert_eq!(py(json).to_python_str(), python, "{json}");
        }
    }

    #[test]
    fn equality_is_pythons() {
        // python3 -c 'print(2 == 2.0, 2 == True, 1 == True, "2" == 2, [1] == [1.0],
        //   {"a": 1} == {"a": True}, None == None, 10**30 == 1e30, 2**53 + 1 == 2.0**53)'
        for (variation, variant, equal) in [
            ("2", json!(2.0), true),
            ("2", json!(true), false),
            ("1", json!(true), true),
            ("true", json!(1.0), true),
            ("false", json!(0), true),
            ("0", json!(-0.0), true),
            ("\"2\"", json!(2), false),
            ("2", json!("2"), false),
            ("[1]", json!([1.0]), true),
            ("[1]", json!([1, 1]), false),
            (r#"{"a": 1}"#, json!({"a": true}), true),
            (r#"{"a": 1}"#, json!({"b": 1}), false),
            (r#"{"a": 1}"#, json!({"a": 1, "b": 1}), false),
            ("null", json!(null), true),
            ("null", json!(0), false),
            ("0", json!(null), false),
            ("1000000000000000000000000000000", json!(1e30), false),
            ("1000000000000000019884624838656", json!(1e30), true),
            ("9007199254740993", json!(9007199254740992.0), false),
            ("9007199254740992", json!(9007199254740992.0), true),
            ("18446744073709551615", json!(u64::MAX), true),
            ("-9223372036854775808", json!(i64::MIN), true),
            ("-9223372036854775808", json!(-9223372036854775808.0), true),
            ("-5", json!(5), false),
            ("1.5", json!(1.5), true),
            ("1e400", json!(f64::MAX), false),
            ("[\"A\"]", json!("A"), false),
            ("\"A\"", json!("a"), false),
        ] {
            assert_eq!(
                py(variation).eq_value(&variant),
                equal,
                "{variation} == {variant}"
            );
        }
        let exact = |text: &str| ExactNumber::parse(text).unwrap();
        for (variation, variant, equal) in [
            ("1e400", "1e401", true),
            ("-1e400", "1e400", false),
            (
                "1000000000000000000000000000000",
                "1000000000000000000000000000000",
                true,
            ),
            ("1e30", "1000000000000000000000000000000", false),
            (
                "1000000000000000019884624838656",
                "1000000000000000019884624838656",
                true,
            ),
            ("1e30", "1000000000000000019884624838656", true),
            ("\"1e400\"", "1e400", false),
            ("true", "1", true),
        ] {
            assert_eq!(
                py(variation).eq_number(&exact(variant)),
                equal,
                "{variation} == {variant}"
            );
        }
    }

    #[test]
    fn floats_and_integers_compare_exactly_at_every_size() {
        for exponent in 0..1024 {
            let f = 2f64.powi(exponent);
            let mut words = vec![0u32; exponent as usize / 32 + 1];
            words[exponent as usize / 32] = 1 << (exponent % 32);
            assert!(int_eq_float(false, &words, f), "2^{exponent}");
            assert!(int_eq_float(true, &words, -f), "-2^{exponent}");
            assert!(!int_eq_float(false, &words, -f), "2^{exponent}");
            words[0] ^= 1;
            assert!(!int_eq_float(false, trim(&words), f), "2^{exponent} ± 1");
        }
        assert!(int_eq_float(false, &[3], 3.0));
        assert!(!int_eq_float(false, &[3], 3.5));
        assert!(!int_eq_float(false, &[], 0.5));
        assert!(int_eq_float(false, &[], -0.0));
    }

    #[test]
    fn refuses_what_python_refuses_and_nesting_beyond_the_limit() {
        let read = |json: &str| {
            let raw: Box<RawValue> = serde_json::from_str(json).unwrap();
            PyValue::from_json(&raw)
        };
        let long = "1".repeat(novi_core::MAX_INT_DIGITS + 1);
        assert_eq!(
            read(&format!("[{long}]")),
            Err("the integer has 4301 digits, more than the 4300 that Python reads".into())
        );
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(read(&deep(MAX_DEPTH)).is_ok());
        assert_eq!(
            read(&deep(MAX_DEPTH + 1)),
            Err("nests deeper than 128 levels".into())
        );
        assert_eq!(
            read(&format!("{}1{}", "{\"a\": ".repeat(200), "}".repeat(200))),
            Err("nests deeper than 128 levels".into())
        );
    }
}
