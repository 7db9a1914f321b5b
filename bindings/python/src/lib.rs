//! `novi._novi`: the native module of the Python package `novi`, over Novi's Rust engine.
//!
//! The package's Python code (`python/novi/`) gives Python Novi's API on top of it:
//! `novi.client.flag.is_enabled`, the `enabled` decorator, `novi.core.BaseActivation` and
//! `register`. This module holds what runs in Rust: [`engine::Engine`] (a `novi-client`
//! `Client` with its GIL released), the dict ↔ context conversion, activation classes written
//! in Python ([`classes`]), and the bridge from the engine's log lines to Python's `logging`.

mod classes;
mod context;
mod engine;
mod errors;
mod fork;
mod logger;

use pyo3::prelude::*;

/// The dict of Python activation classes, by `module.ClassName`, that engines read unless
/// given another: `novi.core.register` adds to it.
#[pyfunction]
fn activation_classes(py: Python<'_>) -> Py<pyo3::types::PyDict> {
    classes::registry(py).clone().unbind()
}

/// The activation class names built into the engine (Rust activations, with their aliases
/// such as Python Novi's `novi.client.activations.…` names). They win over a Python class
/// registered under the same name.
#[pyfunction]
fn builtin_classes() -> Vec<&'static str> {
    novi_core::registry::names().to_vec()
}

#[pymodule]
fn _novi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // The built-in activations register themselves at link time, but only if the crate is
    // named somewhere in the final library.
    novi_activations::link();
    logger::install();
    let py = m.py();
    m.add_class::<engine::Engine>()?;
    m.add_function(wrap_pyfunction!(activation_classes, m)?)?;
    m.add_function(wrap_pyfunction!(builtin_classes, m)?)?;
    m.add_function(wrap_pyfunction!(fork::close_all, m)?)?;
    m.add_function(wrap_pyfunction!(fork::before_fork, m)?)?;
    m.add_function(wrap_pyfunction!(fork::after_fork_in_parent, m)?)?;
    m.add_function(wrap_pyfunction!(fork::after_fork_in_child, m)?)?;
    m.add("NoviError", py.get_type::<errors::NoviError>())?;
    m.add("FlagNotFound", py.get_type::<errors::FlagNotFound>())?;
    m.add("ConfigError", py.get_type::<errors::ConfigError>())?;
    m.add("DatabaseError", py.get_type::<errors::DatabaseError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
