//! Contexts across the language boundary: a Python dict read into the engine's [`Context`],
//! and a [`Context`] given back to Python activations as a dict.
//!
//! A context holds what JSON holds: `str` keys; `None`, `bool`, `int`, `float`, `str`, and
//! lists, tuples and dicts of them. Integers stay exact: those an `i64` or `u64` holds become
//! JSON integers, and a larger top-level one is kept whole in the context's side table (as
//! when the context is read from JSON text), which the built-in activations read, so seeding
//! `WeightedRandomActivation` with `2**70` matches Python Novi.

use std::fmt::Write as _;

use novi_core::{Context, ExactNumber};
use pyo3::{
    exceptions::{PyTypeError, PyValueError},
    prelude::*,
    types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple},
};
use serde_json::{Map, Number, Value};

/// How deep lists and dicts may nest in a context. Deeper ones, and ones that contain
/// themselves, are refused instead of exhausting the stack; it stays below serde_json's own
/// limit of 128, which a context with big integers is read through.
const MAX_DEPTH: usize = 100;

/// Reads a caller's context: `None` is the empty context; otherwise a dict with `str` keys.
pub(crate) fn context_from_py(context: Option<&Bound<'_, PyAny>>) -> PyResult<Context> {
    let Some(context) = context.filter(|context| !context.is_none()) else {
        return Ok(Context::default());
    };
    let dict = context.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "the context must be a dict or None, not {}",
            type_name(context)
        ))
    })?;
    let mut values = Map::new();
    // Top-level numbers a `Value` cannot hold, as JSON literals, by key.
    let mut literals: Vec<(String, String)> = Vec::new();
    for (key, value) in dict.iter() {
        let key = key_of(&key)?;
        match exact_literal(&value)? {
            Some(literal) => literals.push((key, literal)),
            None => {
                let value = to_value(&value, &key, 0)?;
                values.insert(key, value);
            }
        }
    }
    if literals.is_empty() {
        return Ok(Context::from(values));
    }
    // Rare: let `Context::from_json_slice` keep the big numbers exactly, from JSON text.
    let mut json = String::from("{");
    for (key, value) in &values {
        push_entry(&mut json, key, &value.to_string());
    }
    for (key, literal) in &literals {
        push_entry(&mut json, key, literal);
    }
    json.push('}');
    Context::from_json_slice(json.as_bytes())
        .map_err(|err| PyValueError::new_err(format!("the context cannot be read: {err}")))
}

/// Appends `"key": value,` (without the comma before the first entry).
fn push_entry(json: &mut String, key: &str, value: &str) {
    if json.len() > 1 {
        json.push(',');
    }
    // Serializing a string cannot fail.
    let _ = write!(json, "{}:{value}", Value::from(key));
}

/// A dict key, which must be a `str`.
fn key_of(key: &Bound<'_, PyAny>) -> PyResult<String> {
    match key.cast::<PyString>() {
        Ok(key) => Ok(key.to_cow()?.into_owned()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "context keys must be str, not {}",
            type_name(key)
        ))),
    }
}

/// The JSON literal of a top-level number that a `Value` cannot hold: an `int` beyond `i64`
/// and `u64`, or an infinite `float` (which Python's `json` reads back from `1e400`).
fn exact_literal(value: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    if let Ok(int) = value.cast::<PyInt>() {
        if value.is_instance_of::<PyBool>() || fits_json(int) {
            return Ok(None);
        }
        return Ok(Some(int.str()?.to_cow()?.into_owned()));
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        let float = float.value();
        if float.is_infinite() {
            return Ok(Some(
                if float > 0.0 { "1e400" } else { "-1e400" }.to_owned(),
            ));
        }
    }
    Ok(None)
}

/// Whether an `int` fits an `i64` or a `u64`.
fn fits_json(int: &Bound<'_, PyInt>) -> bool {
    int.extract::<i64>().is_ok() || int.extract::<u64>().is_ok()
}

/// A Python value as JSON; `key` is the top-level key it is under, for messages.
fn to_value(value: &Bound<'_, PyAny>, key: &str, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "context key `{key}` nests more than {MAX_DEPTH} levels deep (or contains itself)"
        )));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(boolean) = value.cast::<PyBool>() {
        return Ok(Value::Bool(boolean.is_true()));
    }
    if let Ok(int) = value.cast::<PyInt>() {
        if let Ok(int) = int.extract::<i64>() {
            return Ok(Value::from(int));
        }
        if let Ok(int) = int.extract::<u64>() {
            return Ok(Value::from(int));
        }
        // A big integer inside a list or dict: a `Value` holds it only approximately.
        let approximation: f64 = int.extract()?;
        return finite(approximation, key);
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        return finite(float.value(), key);
    }
    if let Ok(string) = value.cast::<PyString>() {
        return Ok(Value::String(string.to_cow()?.into_owned()));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut map = Map::new();
        for (inner_key, inner) in dict.iter() {
            map.insert(key_of(&inner_key)?, to_value(&inner, key, depth + 1)?);
        }
        return Ok(Value::Object(map));
    }
    if let Ok(list) = value.cast::<PyList>() {
        return list
            .iter()
            .map(|item| to_value(&item, key, depth + 1))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        return tuple
            .iter()
            .map(|item| to_value(&item, key, depth + 1))
            .collect::<PyResult<Vec<_>>>()
            .map(Value::Array);
    }
    Err(PyTypeError::new_err(format!(
        "context key `{key}` holds a {}, which a context cannot hold \
         (use str, int, float, bool, None, list, tuple or dict)",
        type_name(value)
    )))
}

/// A finite float as JSON; NaN and the infinities (below the top level) have no JSON form.
fn finite(value: f64, key: &str) -> PyResult<Value> {
    Number::from_f64(value).map(Value::Number).ok_or_else(|| {
        PyValueError::new_err(format!(
            "context key `{key}` holds {value}, which a context cannot hold"
        ))
    })
}

/// The context as a new Python dict, each value as Python's `json` would read it back.
pub(crate) fn context_to_py<'py>(py: Python<'py>, ctx: &Context) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in ctx.as_map() {
        match ctx.exact_number(key) {
            Some(number) => dict.set_item(key, exact_to_py(py, number)?)?,
            None => dict.set_item(key, value_to_py(py, value)?)?,
        }
    }
    Ok(dict)
}

fn exact_to_py<'py>(py: Python<'py>, number: &ExactNumber) -> PyResult<Bound<'py, PyAny>> {
    match number {
        ExactNumber::Float(value) => Ok(PyFloat::new(py, *value).into_any()),
        // `Display` writes the integer in decimal, as Python's `str()` does.
        ExactNumber::Int { .. } => py.get_type::<PyInt>().call1((number.to_string(),)),
    }
}

fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(boolean) => PyBool::new(py, *boolean).to_owned().into_any(),
        Value::Number(number) => {
            if let Some(int) = number.as_i64() {
                int.into_pyobject(py)?.into_any()
            } else if let Some(int) = number.as_u64() {
                int.into_pyobject(py)?.into_any()
            } else {
                // Without serde_json's `arbitrary_precision`, every other number is an `f64`.
                PyFloat::new(py, number.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(string) => PyString::new(py, string).into_any(),
        Value::Array(items) => {
            let items = items
                .iter()
                .map(|item| value_to_py(py, item))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (key, item) in map {
                dict.set_item(key, value_to_py(py, item)?)?;
            }
            dict.into_any()
        }
    })
}

/// The name of a value's type, for messages.
fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "value".to_owned(), |name| name.to_string())
}
