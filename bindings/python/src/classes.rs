//! Activation classes written in Python: the registry `novi.core.register` fills, and the
//! [`RuntimeClasses`] through which the engine builds and evaluates their instances.
//!
//! The engine builds each stored activation once per snapshot (on load and whenever the stored
//! rows change): for a `class_name` that neither the built-in activations nor another linked
//! crate know, it looks the name up in the registry dict and calls `cls(config)` with the raw
//! config text, as Python Novi did. Evaluating the flag then calls
//! `instance.evaluate(context_dict)` and takes `bool()` of the answer. Python exceptions never
//! escape into the engine: one raised while building makes the activation unbuildable, one
//! raised while evaluating makes that evaluation fail; either way the flags that use it are
//! off (they fail closed) and their reason carries the exception.

use std::{
    collections::HashSet,
    fmt,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
};

use novi_client::{Activation, ActivationSpec, BuildError, Context, RuntimeClasses};
use novi_core::{ConfigError, Decision, EvalError};
use pyo3::{intern, prelude::*, sync::PyOnceLock, types::PyDict};

use crate::{context::context_to_py, errors::keep_if_interrupt};

/// The process's registry of Python activation classes, by `module.ClassName`. Engines read
/// it unless they are given a dict of their own.
static REGISTRY: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// The process's registry dict (created on first use).
pub(crate) fn registry(py: Python<'_>) -> &Bound<'_, PyDict> {
    REGISTRY
        .get_or_init(py, || PyDict::new(py).unbind())
        .bind(py)
}

/// What the engine is told a Python activation's config must be.
const EXPECTED: &str = "a config that the class's constructor accepts";

/// The Python classes an engine builds activations of: a dict shared with Python, read
/// (never copied) each time a snapshot is built, so classes registered later are found by the
/// next build.
pub(crate) struct PythonClasses {
    classes: Py<PyDict>,
}

impl PythonClasses {
    /// Classes looked up in `classes`, a dict of `class_name` to class.
    pub(crate) fn new(classes: Py<PyDict>) -> Self {
        PythonClasses { classes }
    }

    /// The registry dict itself.
    pub(crate) fn dict(&self) -> &Py<PyDict> {
        &self.classes
    }

    fn build_attached(
        &self,
        py: Python<'_>,
        spec: &ActivationSpec<'_>,
    ) -> Option<Result<Arc<dyn Activation>, BuildError>> {
        let cls = match self.classes.bind(py).get_item(spec.class_name) {
            Ok(Some(cls)) => cls,
            Ok(None) => return None,
            Err(err) => return Some(Err(invalid_config(py, spec.class_name, &err))),
        };
        let instance = match cls.call1((spec.config,)) {
            Ok(instance) => instance,
            Err(err) => return Some(Err(invalid_config(py, spec.class_name, &err))),
        };
        match instance.getattr_opt(intern!(py, "evaluate")) {
            Ok(Some(evaluate)) if evaluate.is_callable() => {}
            Ok(_) => {
                return Some(Err(BuildError::InvalidConfig(ConfigError::new(
                    interned(spec.class_name),
                    "its instances have no evaluate method",
                    EXPECTED,
                ))));
            }
            Err(err) => return Some(Err(invalid_config(py, spec.class_name, &err))),
        }
        Some(Ok(Arc::new(PythonActivation {
            class_name: spec.class_name.to_owned(),
            instance: instance.unbind(),
            warned: AtomicBool::new(false),
        })))
    }
}

impl fmt::Debug for PythonClasses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PythonClasses").finish_non_exhaustive()
    }
}

impl RuntimeClasses for PythonClasses {
    fn build(&self, spec: &ActivationSpec<'_>) -> Option<Result<Arc<dyn Activation>, BuildError>> {
        Python::try_attach(|py| self.build_attached(py, spec)).unwrap_or_else(|| {
            Some(Err(BuildError::InvalidConfig(ConfigError::new(
                interned(spec.class_name),
                "the Python interpreter is shutting down",
                EXPECTED,
            ))))
        })
    }

    fn names(&self) -> Vec<String> {
        Python::try_attach(|py| {
            self.classes
                .bind(py)
                .keys()
                .iter()
                .filter_map(|name| name.extract::<String>().ok())
                .collect()
        })
        .unwrap_or_default()
    }
}

/// The build error for a class whose lookup or constructor raised `err`.
fn invalid_config(py: Python<'_>, class_name: &str, err: &PyErr) -> BuildError {
    keep_if_interrupt(py, err);
    BuildError::InvalidConfig(ConfigError::new(
        interned(class_name),
        format!("its constructor raised {err}"),
        EXPECTED,
    ))
}

/// `class_name` as a `&'static str`, which [`ConfigError`] wants: each distinct name is
/// leaked once (they are the registry's keys, so there are few).
///
/// Only called attached to the interpreter and without running Python code while the lock is
/// held, so no thread can hold the lock while another forks (`os.fork()` holds the
/// interpreter), and a child never finds it locked.
fn interned(class_name: &str) -> &'static str {
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    let names = names.get_or_insert_with(HashSet::new);
    if let Some(name) = names.get(class_name) {
        return name;
    }
    let name: &'static str = Box::leak(class_name.to_owned().into_boxed_str());
    names.insert(name);
    name
}

/// An instance of a Python activation class.
pub(crate) struct PythonActivation {
    class_name: String,
    instance: Py<PyAny>,
    /// Whether a failed evaluation has been logged already (once per instance, not per call).
    warned: AtomicBool,
}

impl PythonActivation {
    fn decide_attached(&self, py: Python<'_>, ctx: &Context) -> PyResult<bool> {
        let context = context_to_py(py, ctx)?;
        self.instance
            .bind(py)
            .call_method1(intern!(py, "evaluate"), (context,))?
            .is_truthy()
    }

    /// Logs the first failure of this instance, with its traceback, to the `novi.core` logger.
    fn warn_once(&self, py: Python<'_>, err: &PyErr) {
        if self.warned.swap(true, Ordering::Relaxed) {
            return;
        }
        let logged = (|| -> PyResult<()> {
            let logger = py
                .import(intern!(py, "logging"))?
                .call_method1(intern!(py, "getLogger"), ("novi.core",))?;
            let kwargs = PyDict::new(py);
            let traceback = err.traceback(py);
            kwargs.set_item("exc_info", (err.get_type(py), err.value(py), traceback))?;
            logger.call_method(
                intern!(py, "warning"),
                (
                    "%s.evaluate raised; the flags that use it are off \
                     (logged once per built activation)",
                    &self.class_name,
                ),
                Some(&kwargs),
            )?;
            Ok(())
        })();
        // A failure to log must not turn into an error of the evaluation.
        drop(logged);
    }
}

impl fmt::Debug for PythonActivation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PythonActivation")
            .field("class_name", &self.class_name)
            .finish_non_exhaustive()
    }
}

impl Activation for PythonActivation {
    fn evaluate(&self, ctx: &Context) -> bool {
        self.decide(ctx).is_ok_and(|decision| decision.is_on())
    }

    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        let outcome = Python::try_attach(|py| {
            self.decide_attached(py, ctx).map_err(|err| {
                keep_if_interrupt(py, &err);
                self.warn_once(py, &err);
                format!("{}.evaluate raised {err}", self.class_name)
            })
        });
        match outcome {
            Some(Ok(on)) => Ok(Decision::from(on)),
            Some(Err(problem)) => Err(EvalError::invalid_value(ANY_KEY, problem)),
            None => Err(EvalError::invalid_value(
                ANY_KEY,
                "the Python interpreter is shutting down",
            )),
        }
    }
}

/// The key named by the evaluation error of a Python activation that raised: `EvalError` has
/// no variant for an activation whose own code failed, and the exception may concern any key.
const ANY_KEY: &str = "*";
