//! The exceptions the native module raises, and how the engine's errors map onto them.

use std::{cell::RefCell, error::Error as StdError};

use pyo3::{create_exception, exceptions::PyException, prelude::*};

create_exception!(
    novi,
    NoviError,
    PyException,
    "The base class of the errors Novi raises."
);
create_exception!(
    novi,
    FlagNotFound,
    NoviError,
    "No flag has this name (raised by `evaluate`; `is_enabled` answers False instead)."
);
create_exception!(
    novi,
    ConfigError,
    NoviError,
    "The database URL cannot be used: a malformed novi.ini, an unknown scheme, a backend this build lacks."
);
create_exception!(
    novi,
    DatabaseError,
    NoviError,
    "The database could not be reached, migrated or read."
);

/// Turns an engine error into the matching Python exception; its message is the error and
/// each of its sources, joined by `: `.
pub(crate) fn to_py_err(err: novi_client::Error) -> PyErr {
    let message = with_sources(&err);
    match err {
        novi_client::Error::FlagNotFound(_) => FlagNotFound::new_err(message),
        novi_client::Error::Config(_) | novi_client::Error::BackendNotCompiled { .. } => {
            ConfigError::new_err(message)
        }
        err if err.is_database_failure() => DatabaseError::new_err(message),
        _ => NoviError::new_err(message),
    }
}

/// Turns a remote client's error into the matching Python exception: a URL it cannot use is a
/// `ConfigError`, anything else (the server unreachable, a refused token, a bad document) a
/// `NoviError`.
pub(crate) fn remote_err(err: novi_remote::error::Error) -> PyErr {
    let message = with_sources(&err);
    match err {
        novi_remote::error::Error::Url { .. } => ConfigError::new_err(message),
        _ => NoviError::new_err(message),
    }
}

/// `err: source: source's source…`, skipping a source whose text its parent already shows.
pub(crate) fn with_sources(err: &dyn StdError) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

thread_local! {
    /// A `KeyboardInterrupt`, `SystemExit` or other exception that is not an `Exception`, raised
    /// by Python code the engine called on this thread (an activation's constructor or
    /// `evaluate`). The engine cannot pass it through its own frames, so the activation fails
    /// closed and the `Engine` method that made the call raises it once the engine returns.
    static INTERRUPT: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// Keeps `err` to be raised after the engine returns, when it is not an `Exception` (it must
/// not be swallowed: Ctrl-C has to stop the program).
pub(crate) fn keep_if_interrupt(py: Python<'_>, err: &PyErr) {
    if !err.is_instance_of::<PyException>(py) {
        let kept = err.clone_ref(py);
        // Unavailable only while the thread is being torn down; nothing can be raised then.
        let _ = INTERRUPT.try_with(|cell| *cell.borrow_mut() = Some(kept));
    }
}

/// Raises the interrupt kept on this thread, if any.
pub(crate) fn raise_kept_interrupt() -> PyResult<()> {
    match INTERRUPT.try_with(|cell| cell.borrow_mut().take()) {
        Ok(Some(err)) => Err(err),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::*;

    /// An error saying `text`, caused by `source`.
    #[derive(Debug)]
    struct Layer {
        text: &'static str,
        source: Option<Box<Layer>>,
    }

    impl fmt::Display for Layer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.text)
        }
    }

    impl StdError for Layer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            self.source.as_deref().map(|layer| layer as _)
        }
    }

    fn chain(texts: &[&'static str]) -> Layer {
        texts
            .iter()
            .rev()
            .fold(None, |source, text| {
                Some(Layer {
                    text,
                    source: source.map(Box::new),
                })
            })
            .unwrap()
    }

    #[test]
    fn messages_carry_their_sources_once() {
        assert_eq!(with_sources(&chain(&["a"])), "a");
        assert_eq!(
            with_sources(&chain(&["reading novi.ini", "permission denied"])),
            "reading novi.ini: permission denied"
        );
        // A parent that shows its source already (`#[error(transparent)]`, "…: {cause}").
        assert_eq!(
            with_sources(&chain(&["cannot connect: refused", "refused"])),
            "cannot connect: refused"
        );
    }
}
