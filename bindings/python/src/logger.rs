//! The engine's log lines (the `log` crate's records) forwarded to Python's `logging`.
//!
//! A record whose target is `novi_snapshot::snapshot` goes to the logger
//! `novi.engine.novi_snapshot.snapshot` (this crate's own to `novi.engine`), so configuring
//! the `novi` logger covers them all. Only
//! `INFO` and above are forwarded: the engine logs rarely at those levels (on load, on a
//! failed refresh, for an activation that cannot be built), never per evaluation.

use log::{LevelFilter, Log, Metadata, Record};
use pyo3::{intern, prelude::*};

/// Installs the bridge; a no-op when a logger is installed already.
pub(crate) fn install() {
    static LOGGER: PythonLogger = PythonLogger;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(LevelFilter::Info);
    }
}

#[derive(Debug)]
struct PythonLogger;

impl Log for PythonLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        // Not at all while the interpreter shuts down: the line is lost, nothing else.
        Python::try_attach(|py| {
            // Python code must not run with an exception pending: set it aside meanwhile.
            let pending = PyErr::take(py);
            // A failure to log is dropped: logging must never fail the engine.
            drop(forward(py, record));
            if let Some(pending) = pending {
                pending.restore(py);
            }
        });
    }

    fn flush(&self) {}
}

fn forward(py: Python<'_>, record: &Record<'_>) -> PyResult<()> {
    let target = record.target().replace("::", ".");
    // This crate's own lines (`_novi.engine`) go to `novi.engine` itself.
    let name = match target.strip_prefix("_novi") {
        Some(_) => "novi.engine".to_owned(),
        None => format!("novi.engine.{target}"),
    };
    let level: u8 = match record.level() {
        log::Level::Error => 40,
        log::Level::Warn => 30,
        log::Level::Info => 20,
        log::Level::Debug => 10,
        log::Level::Trace => 5,
    };
    py.import(intern!(py, "logging"))?
        .call_method1(intern!(py, "getLogger"), (name,))?
        .call_method1(intern!(py, "log"), (level, "%s", record.args().to_string()))?;
    Ok(())
}
