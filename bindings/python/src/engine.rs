//! `novi.Engine`: a Novi client over a database, evaluating flags for Python callers.
//!
//! An engine loads the flags and activations once into an in-memory snapshot and evaluates
//! from it; a background thread reloads them when the database changes (it polls every
//! `refresh_interval` and, with `watch_changes`, also watches the database). Every method
//! releases the GIL while the engine works, so other Python threads run meanwhile.
//!
//! Around `os.fork()` an engine stops: its threads and connections are closed before the fork
//! (see [`crate::fork`]) and it keeps answering from the flags it had; the next call in either
//! process connects again, so each process has connections and threads of its own.
//!
//! Lock discipline: an engine's [`Slot`] is only held to look at or swap its [`State`], never
//! while Python code runs (not even a destructor) nor while the GIL is released, so a thread
//! waiting for it can never hold the GIL that its holder needs, and no thread holds it when
//! another forks.

use std::{
    mem,
    path::Path,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use novi_client::{
    Backend, Client, DatabaseUrl, Evaluation, Snapshot, Source, UrlDialect,
    config::{self, NOVI_DATABASE_URL, NOVI_INI},
};
use novi_remote::RemoteClient;
use pyo3::{
    exceptions::{PyRuntimeError, PyValueError},
    prelude::*,
    types::{PyDict, PyTuple},
};

use crate::{
    classes::{PythonClasses, registry},
    context::context_from_py,
    errors::{ConfigError, NoviError, raise_kept_interrupt, remote_err, to_py_err},
    fork,
};

/// How often an engine reloads the flags unless told otherwise, in seconds.
const DEFAULT_REFRESH_SECONDS: f64 = 5.0;

/// How long an engine that failed to connect again after a fork waits before it tries again
/// (answering from the flags it had meanwhile).
const RECONNECT_PAUSE: Duration = Duration::from_secs(5);

/// A Novi engine over one database: `Engine(url)` with `url` in SQLAlchemy's form, as in
/// Python Novi's `novi.ini` (`sqlite:///novi.db` is relative, `sqlite:////abs/novi.db`
/// absolute, `postgresql+psycopg2://…` and `mysql+pymysql://…` work as well).
///
/// It migrates the database (Python Novi's tables are adopted as they are), loads the flags,
/// and builds Python activation classes from `classes` (by default the registry that
/// `novi.core.register` fills) for the class names the built-in activations do not know.
#[pyclass(module = "novi", name = "Engine", frozen)]
pub(crate) struct Engine {
    slot: Arc<Slot>,
    setup: Setup,
}

/// Where an engine is; shared with [`crate::fork`], which stops engines before a fork.
pub(crate) type Slot = Mutex<State>;

/// What an engine holds.
pub(crate) enum State {
    /// Connected, with its background threads, in process `pid`.
    Live { client: Connection, pid: u32 },
    /// Stopped (before a fork, in process `pid`): it answers from `snapshot` and connects
    /// again on the next call, not before `retry_at`.
    Paused {
        snapshot: Arc<Snapshot>,
        pid: u32,
        retry_at: Instant,
        /// A call is connecting it (the others answer from `snapshot` meanwhile).
        connecting: bool,
    },
    /// Closed for good.
    Closed,
}

impl State {
    /// Stops a live engine of this process, giving back its client to be dropped (outside the
    /// lock); any other state stays as it is.
    pub(crate) fn pause(&mut self) -> Option<Connection> {
        match self {
            State::Live { pid, .. } if *pid == std::process::id() => {}
            _ => return None,
        }
        let State::Live { client, pid } = mem::replace(self, State::Closed) else {
            return None;
        };
        *self = State::Paused {
            snapshot: client.snapshot(),
            pid,
            retry_at: Instant::now(),
            connecting: false,
        };
        Some(client)
    }
}

/// What an engine reads its flags from, connected.
#[derive(Clone)]
pub(crate) enum Connection {
    /// A database, through a `novi-client` client.
    Database(Client),
    /// A `novi-web` server, through the remote client.
    Remote(RemoteClient),
}

impl Connection {
    fn source(&self) -> &dyn Source {
        match self {
            Connection::Database(client) => client,
            Connection::Remote(remote) => remote,
        }
    }

    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        self.source().cell().load_full()
    }

    /// Reads the flags again now (without the GIL: the error is turned into an exception
    /// later, by [`RefreshError::into_py`]).
    fn refresh(&self) -> Result<(), RefreshError> {
        match self {
            Connection::Database(client) => client.refresh().map_err(RefreshError::Database),
            Connection::Remote(remote) => remote.refresh().map_err(RefreshError::Remote),
        }
    }
}

/// Why reading the flags again failed.
#[derive(Debug)]
enum RefreshError {
    Database(novi_client::Error),
    Remote(novi_remote::error::Error),
}

impl RefreshError {
    fn into_py(self) -> PyErr {
        match self {
            RefreshError::Database(err) => to_py_err(err),
            RefreshError::Remote(err) => remote_err(err),
        }
    }
}

impl std::fmt::Display for RefreshError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RefreshError::Database(err) => err.fmt(f),
            RefreshError::Remote(err) => err.fmt(f),
        }
    }
}

/// Where an engine reads its flags from.
enum Target {
    Database { url: DatabaseUrl, options: Options },
    Remote { url: String, remote: RemoteOptions },
}

/// How a remote engine follows its server.
struct RemoteOptions {
    token: Option<String>,
    backup_file: Option<String>,
    timeout: Duration,
}

/// What an engine (re)connects with.
struct Setup {
    target: Target,
    classes: Arc<PythonClasses>,
}

impl Setup {
    /// Connects (migrating a database) and loads, with the GIL released.
    fn connect(&self, py: Python<'_>) -> PyResult<Connection> {
        let classes = Arc::clone(&self.classes);
        let connection = match &self.target {
            Target::Database { url, options } => {
                let builder = Client::builder(&rust_form(url))
                    .map_err(to_py_err)?
                    .migrate(options.migrate)
                    .refresh_interval(options.refresh_interval)
                    .watch_changes(options.watch_changes)
                    .runtime_classes(classes);
                py.detach(|| {
                    let _work = fork::DbWork::begin();
                    builder.connect()
                })
                .map(Connection::Database)
                .map_err(to_py_err)
            }
            Target::Remote { url, remote } => {
                let mut builder = RemoteClient::builder(url)
                    .timeout(remote.timeout)
                    .runtime_classes(classes);
                if let Some(token) = &remote.token {
                    builder = builder.token(token.clone());
                }
                if let Some(path) = &remote.backup_file {
                    builder = builder.backup_file(path);
                }
                py.detach(|| {
                    let _work = fork::DbWork::begin();
                    builder.connect()
                })
                .map(Connection::Remote)
                .map_err(remote_err)
            }
        };
        raise_kept_interrupt()?;
        connection
    }

    /// Where the engine reads from, with no secret in it.
    fn describe(&self) -> String {
        match &self.target {
            Target::Database { url, .. } => url.redacted(),
            Target::Remote { url, .. } => url.clone(),
        }
    }
}

/// How an engine is set up, checked.
#[derive(Debug, Clone, Copy)]
struct Options {
    refresh_interval: Option<Duration>,
    watch_changes: bool,
    migrate: bool,
}

impl Options {
    fn new(refresh_interval: Option<f64>, watch_changes: bool, migrate: bool) -> PyResult<Self> {
        let refresh_interval = match refresh_interval {
            None => None,
            Some(seconds) => {
                let interval = Duration::try_from_secs_f64(seconds).map_err(|_| {
                    PyValueError::new_err(format!(
                        "refresh_interval must be a number of seconds ≥ 0 or None, not {seconds}"
                    ))
                })?;
                // Zero (or less than a nanosecond) means never, as None does.
                (!interval.is_zero()).then_some(interval)
            }
        };
        Ok(Options {
            refresh_interval,
            watch_changes,
            migrate,
        })
    }
}

#[pymethods]
impl Engine {
    /// Connects to `url` (SQLAlchemy's form), migrates, and loads the flags.
    ///
    /// `refresh_interval`: reload every so many seconds (None or 0: never; changes are still
    /// seen at once with `watch_changes`). `classes`: the dict of Python activation classes
    /// to use instead of `novi.core`'s registry.
    #[new]
    #[pyo3(signature = (
        url, *, classes=None, refresh_interval=Some(DEFAULT_REFRESH_SECONDS),
        watch_changes=true, migrate=true
    ))]
    fn new(
        py: Python<'_>,
        url: &str,
        classes: Option<Bound<'_, PyDict>>,
        refresh_interval: Option<f64>,
        watch_changes: bool,
        migrate: bool,
    ) -> PyResult<Self> {
        let url = DatabaseUrl::parse(url, UrlDialect::SqlAlchemy)
            .map_err(|err| ConfigError::new_err(err.to_string()))?;
        let options = Options::new(refresh_interval, watch_changes, migrate)?;
        Engine::connect(py, Target::Database { url, options }, classes)
    }

    /// An engine that reads the flags from a `novi-web` server (`url`, such as
    /// `http://127.0.0.1:8080`) with a client token, and follows its changes over the server's
    /// event stream: the application needs no database credentials. `backup_file` keeps the
    /// last snapshot on disk and starts from it when the server cannot be reached; `timeout`
    /// bounds each request to the server, in seconds.
    #[staticmethod]
    #[pyo3(signature = (url, token=None, *, classes=None, backup_file=None, timeout=5.0))]
    fn remote(
        py: Python<'_>,
        url: &str,
        token: Option<String>,
        classes: Option<Bound<'_, PyDict>>,
        backup_file: Option<String>,
        timeout: f64,
    ) -> PyResult<Self> {
        let timeout = Duration::try_from_secs_f64(timeout)
            .ok()
            .filter(|timeout| !timeout.is_zero())
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "timeout must be a number of seconds > 0, not {timeout}"
                ))
            })?;
        let remote = RemoteOptions {
            token: token.filter(|token| !token.is_empty()),
            backup_file,
            timeout,
        };
        Engine::connect(
            py,
            Target::Remote {
                url: url.to_owned(),
                remote,
            },
            classes,
        )
    }

    /// The engine of the configured database: `$NOVI_DATABASE_URL` (in the Rust form that
    /// `novi-web` reads, where `sqlite://novi.db` is relative and `sqlite:///abs/novi.db`
    /// absolute), else `[database] url` of `novi.ini` in the working directory (SQLAlchemy's
    /// form), else `sqlite:///novi.db`. Other arguments as for `Engine(url)`.
    #[staticmethod]
    #[pyo3(signature = (
        *, classes=None, refresh_interval=Some(DEFAULT_REFRESH_SECONDS), watch_changes=true,
        migrate=true
    ))]
    fn from_config(
        py: Python<'_>,
        classes: Option<Bound<'_, PyDict>>,
        refresh_interval: Option<f64>,
        watch_changes: bool,
        migrate: bool,
    ) -> PyResult<Self> {
        let options = Options::new(refresh_interval, watch_changes, migrate)?;
        let (url, source) = config::resolve_with(
            None,
            // Not `DATABASE_URL`, which `novi-web` also reads: in a Python application it
            // usually names the application's own database, which Novi would then migrate.
            |var| (var == NOVI_DATABASE_URL).then(|| std::env::var(var).ok())?,
            Path::new(NOVI_INI),
        )
        .map_err(|err| to_py_err(err.into()))?;
        log::info!("using {} (from {source})", url.redacted());
        Engine::connect(py, Target::Database { url, options }, classes)
    }

    /// Whether the flag is on for `context` (a dict, or None for an empty one). An unknown
    /// flag is off.
    #[pyo3(signature = (name, context=None))]
    fn is_enabled(
        &self,
        py: Python<'_>,
        name: &str,
        context: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let ctx = context_from_py(context)?;
        let snapshot = self.snapshot(py)?;
        let on = py.detach(|| snapshot.is_enabled(name, &ctx));
        raise_kept_interrupt()?;
        Ok(on)
    }

    /// The flag's answer and why: `{"enabled": bool, "reason": {"code": str, "message": str},
    /// "variant": str | None}`. Raises `FlagNotFound` for an unknown flag.
    #[pyo3(signature = (name, context=None))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        context: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let ctx = context_from_py(context)?;
        let snapshot = self.snapshot(py)?;
        let evaluation = py.detach(|| snapshot.evaluate(name, &ctx));
        raise_kept_interrupt()?;
        let evaluation = evaluation
            .ok_or_else(|| to_py_err(novi_client::Error::FlagNotFound(name.to_owned())))?;
        evaluation_to_py(py, &evaluation)
    }

    /// Every flag's answer, by name, in id order (each as `evaluate` gives it).
    #[pyo3(signature = (context=None))]
    fn evaluate_all<'py>(
        &self,
        py: Python<'py>,
        context: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let ctx = context_from_py(context)?;
        let snapshot = self.snapshot(py)?;
        let evaluations: Vec<(String, Evaluation)> = py.detach(|| {
            snapshot
                .evaluate_all(&ctx)
                .map(|(flag, evaluation)| (flag.name.clone(), evaluation))
                .collect()
        });
        raise_kept_interrupt()?;
        let all = PyDict::new(py);
        for (name, evaluation) in &evaluations {
            all.set_item(name, evaluation_to_py(py, evaluation)?)?;
        }
        Ok(all)
    }

    /// Reloads the flags from the database now (the background thread does it on its own).
    fn refresh(&self, py: Python<'_>) -> PyResult<()> {
        let client = self.client(py)?;
        let refreshed = py.detach(|| {
            let _work = fork::DbWork::begin();
            client.refresh()
        });
        raise_kept_interrupt()?;
        refreshed.map_err(RefreshError::into_py)
    }

    /// Builds the activations again, so that Python classes registered since the engine
    /// loaded them are used. (The engine builds activations only when the stored rows change;
    /// `novi.client.flag` calls this after registrations.) Needs no database: it then reloads,
    /// but a failed reload is only logged, and the background thread retries.
    fn rebuild(&self, py: Python<'_>) -> PyResult<()> {
        let client = self.client(py)?;
        let classes = Arc::clone(&self.setup.classes);
        py.detach(|| {
            let _work = fork::DbWork::begin();
            let rows = client.snapshot().rows();
            client
                .source()
                .cell()
                .publish(Snapshot::build_with(rows, Some(&*classes)));
            // A background refresh published meanwhile may have been replaced by older rows:
            // read them again.
            if let Err(err) = client.refresh() {
                log::warn!("reloading after a rebuild failed, keeping the rebuilt flags: {err}");
            }
        });
        raise_kept_interrupt()
    }

    /// Stops the background thread and closes the database connections. Later calls raise
    /// `RuntimeError`; closing again does nothing.
    fn close(&self, py: Python<'_>) {
        let old = mem::replace(&mut *lock(&self.slot), State::Closed);
        release(py, old);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) {
        self.close(py);
    }

    /// The id of the process whose connections the engine holds (or held last, while it is
    /// stopped around a fork); None once closed.
    #[getter]
    fn pid(&self) -> Option<u32> {
        match &*lock(&self.slot) {
            State::Live { pid, .. } | State::Paused { pid, .. } => Some(*pid),
            State::Closed => None,
        }
    }

    /// The database URL, password hidden, or the URL of the `novi-web` server.
    #[getter]
    fn url(&self) -> String {
        self.setup.describe()
    }

    /// Whether the engine reads a `novi-web` server rather than a database.
    #[getter]
    fn is_remote(&self) -> bool {
        matches!(self.setup.target, Target::Remote { .. })
    }

    /// Whether `close` was called.
    #[getter]
    fn closed(&self) -> bool {
        matches!(*lock(&self.slot), State::Closed)
    }

    /// The revision of the loaded flags: the same rows give the same revision in every
    /// process (and in `novi-web`).
    #[getter]
    fn revision(&self, py: Python<'_>) -> PyResult<String> {
        Ok(self.snapshot(py)?.revision().to_string())
    }

    /// The dict of Python activation classes this engine builds from.
    #[getter]
    fn classes(&self, py: Python<'_>) -> Py<PyDict> {
        self.setup.classes.dict().clone_ref(py)
    }

    fn __repr__(&self) -> String {
        format!("Engine(url={:?})", self.setup.describe())
    }
}

impl Engine {
    fn connect(
        py: Python<'_>,
        target: Target,
        classes: Option<Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let classes = Arc::new(PythonClasses::new(match classes {
            Some(classes) => classes.unbind(),
            None => registry(py).clone().unbind(),
        }));
        let setup = Setup { target, classes };
        let client = setup.connect(py)?;
        let slot = Arc::new(Mutex::new(State::Live {
            client,
            pid: std::process::id(),
        }));
        fork::track(&slot);
        Ok(Engine { slot, setup })
    }

    /// The current snapshot, connecting the engine again first if it was stopped around a
    /// fork (unless it failed to less than [`RECONNECT_PAUSE`] ago, or another call is at
    /// it: then the snapshot it had).
    fn snapshot(&self, py: Python<'_>) -> PyResult<Arc<Snapshot>> {
        let this_process = std::process::id();
        let stale = {
            let mut state = lock(&self.slot);
            if let State::Live { client, pid } = &*state {
                if *pid == this_process {
                    return Ok(client.snapshot());
                }
                // Forked without `os.fork()`'s hooks (a `fork()` from C code): the client's
                // threads and connections are the parent's. Never touch or drop it here.
                let paused = State::Paused {
                    snapshot: client.snapshot(),
                    pid: *pid,
                    retry_at: Instant::now(),
                    connecting: false,
                };
                mem::forget(mem::replace(&mut *state, paused));
            }
            match &mut *state {
                State::Paused {
                    snapshot,
                    retry_at,
                    connecting,
                    ..
                } => {
                    if *connecting || fork::forking() || Instant::now() < *retry_at {
                        return Ok(Arc::clone(snapshot));
                    }
                    *connecting = true;
                    Arc::clone(snapshot)
                }
                State::Live { client, .. } => return Ok(client.snapshot()),
                State::Closed => return Err(closed()),
            }
        };
        let connected = self.setup.connect(py);
        let mut state = lock(&self.slot);
        match (connected, &mut *state) {
            (Ok(client), State::Paused { .. }) => {
                let snapshot = client.snapshot();
                let old = mem::replace(
                    &mut *state,
                    State::Live {
                        client,
                        pid: this_process,
                    },
                );
                drop(state);
                drop(old);
                Ok(snapshot)
            }
            (Ok(client), _) => {
                // Closed meanwhile.
                drop(state);
                release(
                    py,
                    State::Live {
                        client,
                        pid: this_process,
                    },
                );
                Err(closed())
            }
            (
                Err(err),
                State::Paused {
                    retry_at,
                    connecting,
                    ..
                },
            ) => {
                *retry_at = Instant::now() + RECONNECT_PAUSE;
                *connecting = false;
                drop(state);
                // A KeyboardInterrupt is the caller's; a failure to connect is logged, and
                // the flags the engine had answer meanwhile.
                if !err.is_instance_of::<NoviError>(py) {
                    return Err(err);
                }
                log::warn!(
                    "cannot connect again after os.fork(), answering from the flags loaded \
                     before it (next attempt in {} s): {err}",
                    RECONNECT_PAUSE.as_secs()
                );
                Ok(stale)
            }
            (Err(err), _) => {
                drop(state);
                Err(err)
            }
        }
    }

    /// The client, for work on the database (connecting it again if it was stopped).
    fn client(&self, py: Python<'_>) -> PyResult<Connection> {
        self.snapshot(py)?;
        match &*lock(&self.slot) {
            State::Live { client, pid } if *pid == std::process::id() => Ok(client.clone()),
            State::Closed => Err(closed()),
            _ => Err(NoviError::new_err(
                "this Novi engine is not connected: another call is connecting it again after \
                 os.fork(), or that failed (see the log); it answers from the flags it had",
            )),
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let mut state = lock(&self.slot);
        if let State::Live { pid, .. } = &*state
            && *pid != std::process::id()
        {
            // Inherited through a fork that bypassed the hooks: its connections are the
            // parent's, and closing them would end the parent's sessions.
            mem::forget(mem::replace(&mut *state, State::Closed));
        }
    }
}

/// Locks `mutex`, whose holders never panic while holding it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Lets an engine's former state go, outside its lock: a client of this process is closed
/// with the GIL released; one inherited from a parent process is leaked (its connections and
/// threads are the parent's).
pub(crate) fn release(py: Python<'_>, old: State) {
    match old {
        State::Live { client, pid } if pid == std::process::id() => py.detach(move || {
            let _work = fork::DbWork::begin();
            drop(client);
        }),
        State::Live { client, .. } => mem::forget(client),
        other => drop(other),
    }
}

fn closed() -> PyErr {
    PyRuntimeError::new_err("this Novi engine is closed")
}

/// The URL in the form `Client::builder` reads (the Rust one).
fn rust_form(url: &DatabaseUrl) -> String {
    match url.backend() {
        Backend::Sqlite => format!("sqlite://{}", url.target()),
        Backend::Postgres | Backend::Mysql => url.target().to_owned(),
    }
}

fn evaluation_to_py<'py>(py: Python<'py>, evaluation: &Evaluation) -> PyResult<Bound<'py, PyDict>> {
    let reason = PyDict::new(py);
    reason.set_item("code", evaluation.reason.code())?;
    reason.set_item("message", evaluation.reason.to_string())?;
    let answer = PyDict::new(py);
    answer.set_item("enabled", evaluation.enabled)?;
    answer.set_item("reason", reason)?;
    answer.set_item(
        "variant",
        evaluation
            .variant
            .as_ref()
            .map(|variant| variant.name.as_str()),
    )?;
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_url(sqlalchemy: &str, rust: &str) {
        let url = DatabaseUrl::parse(sqlalchemy, UrlDialect::SqlAlchemy).unwrap();
        assert_eq!(rust_form(&url), rust);
        assert!(DatabaseUrl::parse(rust, UrlDialect::Rust).unwrap() == url);
    }

    #[test]
    fn sqlalchemy_urls_reach_the_client_as_the_same_database() {
        check_url("sqlite:///novi.db", "sqlite://novi.db");
        check_url(
            "sqlite:////var/lib/novi/novi.db",
            "sqlite:///var/lib/novi/novi.db",
        );
        check_url("sqlite://", "sqlite://:memory:");
        check_url("novi.db", "sqlite://novi.db");
        check_url(
            "postgresql+psycopg2://novi:pw@db:5432/novi",
            "postgresql://novi:pw@db:5432/novi",
        );
        check_url("mysql+pymysql://novi:pw@db/novi", "mysql://novi:pw@db/novi");
    }

    #[test]
    fn refresh_intervals_are_checked() {
        let interval = |seconds| Options::new(seconds, true, true).map(|o| o.refresh_interval);
        assert_eq!(interval(None).unwrap(), None);
        assert_eq!(interval(Some(0.0)).unwrap(), None);
        assert_eq!(interval(Some(-0.0)).unwrap(), None);
        assert_eq!(interval(Some(1e-12)).unwrap(), None);
        assert_eq!(
            interval(Some(2.5)).unwrap(),
            Some(Duration::from_millis(2500))
        );
        for bad in [-1.0, f64::NAN, f64::INFINITY, 1e300] {
            assert!(interval(Some(bad)).is_err(), "{bad}");
        }
    }
}
