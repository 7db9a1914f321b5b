//! `Client`: the snapshot, the pool behind it, refreshes, and the write API.

use std::{
    sync::{Arc, Weak, mpsc},
    thread,
    time::{Duration, Instant},
};

use arc_swap::ArcSwap;
use novi_core::{ActivationId, Context, RuntimeClasses, Variant};
use novi_snapshot::{
    Source,
    cell::SnapshotCell,
    records::{ActivationRecord, FlagRecord},
    revision::Revision,
    snapshot::{Evaluation, Snapshot},
};
use parking_lot::Mutex;
use rustc_hash::FxHashMap;
use tokio::sync::watch;

use crate::{
    changes::{self, Watcher},
    config::{ConfigError, UrlSource, resolve_database_url},
    connection::{self, DbConnection, Pool, PooledConnection},
    error::Error,
    experiments::{
        Event, EventsOutcome, ExperimentInput, ExperimentRecord, ExperimentTotals, ExperimentUpdate,
    },
    models::{ActivationInput, Actor, AuditEntry, AuditTarget, FlagInput, FlagUpdate, Reverted},
    recorder::{Record, Recorder},
    store::{
        self, Deadline,
        events::{NewConversion, NewExposure},
    },
    url::{Backend, DatabaseUrl, UrlDialect},
};

/// How often the Python-style global client refreshes, and a sensible interval for others.
pub const DEFAULT_REFRESH_INTERVAL: Duration = Duration::from_secs(5);

/// How long a write may take in all, waits included (its turn among this process's writers, a
/// connection, the database's write lock), unless configured otherwise.
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Flags from a database, evaluated from memory.
///
/// A `Client` loads every flag and activation once into an immutable [`Snapshot`] and answers
/// every check from it: a lookup by name and the activations' logic, with no SQL and no lock a
/// writer can hold. [`refresh`](Client::refresh) reloads on demand; a background refresh
/// (see [`ClientBuilder::refresh_interval`]) keeps processes that share a database in step;
/// a failed refresh keeps the last good snapshot, and a refresh that finds the rows unchanged
/// (the same [`Revision`]) keeps the snapshot as it is. Writes go to the database in one
/// transaction each, answer with what they stored, and then refresh the snapshot, so the writer
/// reads its own writes. A write waits at most its write timeout in all (see
/// [`ClientBuilder::write_timeout`]).
///
/// Cloning a `Client` is cheap and shares everything.
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
    /// Who its writes are recorded as, in the audit log.
    actor: Arc<Actor>,
    /// When its writes' time started, if earlier than the call (a request that waited for a
    /// thread): the write timeout counts from there.
    started: Option<Instant>,
}

/// A client's connection pool, as [`Client::pool_state`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PoolState {
    /// Connections open, busy or idle.
    pub connections: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max_size: u32,
}

#[derive(Debug)]
struct Inner {
    url: DatabaseUrl,
    pool: Pool,
    /// The current snapshot, the refreshes' outcome, and the subscribers to new revisions.
    cell: SnapshotCell,
    /// Writes from this process run one at a time (writers in all processes also take turns
    /// on the database's own writer lock); each waits for its turn at most its deadline.
    write_lock: Mutex<()>,
    /// How long a write may take in all.
    write_timeout: Duration,
    /// Refreshes run one at a time, so an older load can never replace a newer one.
    refresh_lock: Mutex<()>,
    /// The running experiments by flag id, reloaded with every refresh.
    running: ArcSwap<Running>,
    /// Where exposures and tracked events go, when the client records them.
    recorder: Option<Recorder>,
    /// Dropped with the client, which stops the background refresh.
    _stop_refresh: Option<mpsc::Sender<()>>,
}

/// A running experiment, as evaluations need it.
#[derive(Debug)]
struct RunningExperiment {
    id: i32,
    unit_key: String,
}

/// The running experiments by flag id.
type Running = FxHashMap<i32, Vec<RunningExperiment>>;

fn running_by_flag(experiments: Vec<ExperimentRecord>) -> Running {
    let mut running = Running::default();
    for e in experiments {
        running
            .entry(e.flag_id)
            .or_default()
            .push(RunningExperiment {
                id: e.id,
                unit_key: e.unit_key,
            });
    }
    running
}

/// The unit a context names under `key`: a string as it is, a number as JSON writes it.
fn unit_of<'c>(ctx: &'c Context, key: &str) -> Option<std::borrow::Cow<'c, str>> {
    match ctx.get(key)? {
        serde_json::Value::String(unit) if !unit.is_empty() && unit.len() <= 255 => {
            Some(std::borrow::Cow::Borrowed(unit))
        }
        serde_json::Value::Number(n) => Some(std::borrow::Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// Options for [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    url: DatabaseUrl,
    migrate: bool,
    pool_size: u32,
    connection_timeout: Duration,
    write_timeout: Duration,
    refresh_interval: Option<Duration>,
    watch_changes: bool,
    record_exposures: bool,
    runtime_classes: Option<Arc<dyn RuntimeClasses>>,
}

impl ClientBuilder {
    /// Runs pending migrations before the first load (default: no).
    pub fn migrate(mut self, migrate: bool) -> Self {
        self.migrate = migrate;
        self
    }

    /// The most connections kept open (default 4; SQLite `:memory:` always uses 1).
    pub fn pool_size(mut self, size: u32) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// How long a write or refresh waits for a connection (default 5 s).
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// How long a write may take in all (default [`DEFAULT_WRITE_TIMEOUT`]): its turn among this
    /// process's writers, a connection and the database's write lock included. A write that
    /// runs out of time fails with [`Error::WriteTimeout`] and stores nothing.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// Reloads the snapshot in the background at this interval (default: never; a zero
    /// interval also means never).
    pub fn refresh_interval(mut self, interval: Option<Duration>) -> Self {
        self.refresh_interval = interval.filter(|interval| !interval.is_zero());
        self
    }

    /// Watches the database for changes and refreshes as soon as one commits (default: no):
    /// PostgreSQL notifies at once, SQLite and MySQL are asked every 100 ms (see
    /// [`changes`](crate::changes)). Writes that MySQL's watch cannot see (made outside Novi)
    /// are still found by the periodic refresh.
    pub fn watch_changes(mut self, watch: bool) -> Self {
        self.watch_changes = watch;
        self
    }

    /// Records exposures of running experiments and [`Client::track`]ed events (default: no):
    /// each evaluation of a flag with a running experiment queues the unit's exposure (the
    /// variant it got), and a thread of the client's own stores the queue in batches, off the
    /// evaluation's path (see [`Client::expose`]). A full queue drops records and counts them.
    pub fn record_exposures(mut self, record: bool) -> Self {
        self.record_exposures = record;
        self
    }

    /// Builds activations of classes that the link-time registry does not know through
    /// `classes` (activations written in another language, registered while the program runs;
    /// see [`RuntimeClasses`]). Every snapshot this client builds consults them. Writes still
    /// check activations against the link-time registry only: link such an activation to a
    /// flag with `force`.
    pub fn runtime_classes(mut self, classes: Arc<dyn RuntimeClasses>) -> Self {
        self.runtime_classes = Some(classes);
        self
    }

    /// Connects, migrates if asked, and loads the first snapshot. The first connection is
    /// made directly, so a wrong URL or an unreachable server reports the driver's reason.
    pub fn connect(self) -> Result<Client, Error> {
        // A direct connection first: its error names the backend and the driver's reason,
        // where a pool would only report a timeout.
        drop(connection::connect(&self.url)?);
        let in_memory = self.url.target() == ":memory:";
        // Every connection to `:memory:` is a database of its own: keep exactly one, forever.
        let pool = if in_memory {
            connection::pool(&self.url, 1, self.connection_timeout, true)
        } else {
            connection::pool(&self.url, self.pool_size, self.connection_timeout, false)
        };
        let mut conn = pool.get().map_err(|cause| Error::Pool { cause })?;
        if self.migrate {
            let ran = connection::run_migrations(&mut conn)?;
            if ran > 0 {
                log::info!("applied {ran} migration(s) to {}", self.url);
            }
        }
        let snapshot = Snapshot::build_with(
            store::load_rows(&mut conn)?,
            self.runtime_classes.as_deref(),
        );
        let running = load_running(&mut conn);
        drop(conn);
        for conflict in novi_core::registry::conflicts() {
            log::warn!("{conflict}");
        }
        // Every connection to `:memory:` is a database of its own: nothing else can change it.
        let watch = self.watch_changes && !in_memory;
        let (stop_refresh, stopped) = if self.refresh_interval.is_some() || watch {
            let (tx, rx) = mpsc::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        let inner = Arc::new(Inner {
            url: self.url,
            cell: SnapshotCell::new(snapshot).with_classes(self.runtime_classes),
            write_lock: Mutex::new(()),
            write_timeout: self.write_timeout,
            refresh_lock: Mutex::new(()),
            running: ArcSwap::from_pointee(running),
            recorder: self.record_exposures.then(|| Recorder::start(pool.clone())),
            pool,
            _stop_refresh: stop_refresh,
        });
        if let Some(stopped) = stopped {
            spawn_refresher(
                Arc::downgrade(&inner),
                self.refresh_interval,
                watch,
                stopped,
            );
        }
        Ok(Client {
            inner,
            actor: Arc::new(Actor::library()),
            started: None,
        })
    }
}

impl Inner {
    /// See [`Client::refresh`]: one at a time, and the outcome kept for
    /// [`Client::refresh_failing`]. Rows that have not changed keep the snapshot (and its
    /// built activations, and whatever callers cache per snapshot) as it is.
    fn refresh(&self) -> Result<(), Error> {
        let _one_refresh = self.refresh_lock.lock();
        self.refresh_locked(self.pool.get().map_err(|cause| Error::Pool { cause }))
    }

    /// A refresh that gives up when `deadline` passes before it gets its turn or a connection.
    fn refresh_by(&self, deadline: Deadline) -> Result<(), Error> {
        let Some(_one_refresh) = self.refresh_lock.try_lock_for(deadline.remaining()) else {
            return Err(deadline.timed_out());
        };
        self.refresh_locked(
            self.pool
                .get_timeout(deadline.remaining())
                .map_err(|cause| Error::Pool { cause }),
        )
    }

    fn refresh_locked(&self, conn: Result<PooledConnection, Error>) -> Result<(), Error> {
        let (rows, running) = conn
            .and_then(|mut conn| Ok((store::load_rows(&mut conn)?, load_running(&mut conn))))
            .inspect_err(|_| self.cell.failed())?;
        self.cell.offer(rows);
        self.running.store(Arc::new(running));
        Ok(())
    }
}

/// The running experiments; none (and a log line) where they cannot be read, such as a
/// database whose migrations have not run: evaluation goes on.
fn load_running(conn: &mut DbConnection) -> Running {
    match store::experiments::running(conn) {
        Ok(experiments) => running_by_flag(experiments),
        Err(err) => {
            log::debug!("running experiments cannot be read: {err}");
            Running::default()
        }
    }
}

/// The background thread: a full refresh every `interval`, and, when `watch`, a refresh as soon
/// as the database's watcher sees a change. It stops when the client is dropped.
fn spawn_refresher(
    inner: Weak<Inner>,
    interval: Option<Duration>,
    watch: bool,
    stopped: mpsc::Receiver<()>,
) {
    let spawned = thread::Builder::new()
        .name("novi-refresh".to_owned())
        .spawn(move || {
            let mut background = Background {
                interval,
                next_full: interval.map(|interval| Instant::now() + interval),
                watch,
                watcher: None,
                failed_attempts: 0,
                next_attempt: Instant::now(),
            };
            // The sender is never used: the channel disconnects when the client is dropped.
            while let Err(mpsc::RecvTimeoutError::Timeout) =
                stopped.recv_timeout(background.pause())
            {
                let Some(inner) = inner.upgrade() else { break };
                background.step(&inner);
            }
        });
    if let Err(err) = spawned {
        log::error!("cannot start the background refresh thread: {err}");
    }
}

/// The background thread's state.
struct Background {
    interval: Option<Duration>,
    next_full: Option<Instant>,
    watch: bool,
    watcher: Option<Watcher>,
    /// Failed attempts to (re)connect the watcher since it last worked.
    failed_attempts: u32,
    next_attempt: Instant,
}

impl Background {
    /// How long to sleep before the next step.
    fn pause(&self) -> Duration {
        let now = Instant::now();
        let mut pause = match (&self.watcher, self.watch) {
            (Some(watcher), _) => watcher.interval(),
            (None, true) => self.next_attempt.saturating_duration_since(now),
            (None, false) => Duration::MAX,
        };
        if let Some(next_full) = self.next_full {
            pause = pause.min(next_full.saturating_duration_since(now));
        }
        pause
    }

    fn step(&mut self, inner: &Inner) {
        let now = Instant::now();
        let mut refresh = false;
        if self.watch && self.watcher.is_none() && now >= self.next_attempt {
            match Watcher::connect(&inner.url) {
                Ok(watcher) => {
                    if self.failed_attempts > 0 {
                        log::info!("watching {} for changes again", inner.url);
                    }
                    self.watcher = Some(watcher);
                    self.failed_attempts = 0;
                    // Changes may have committed while no one watched.
                    refresh = true;
                }
                Err(err) => self.watch_failed(now, &err),
            }
        }
        if let Some(watcher) = &mut self.watcher {
            match watcher.changed() {
                Ok(changed) => refresh |= changed,
                Err(err) => {
                    self.watcher = None;
                    self.watch_failed(now, &err);
                    // The database may be gone: a refresh finds out, and reports it.
                    refresh = true;
                }
            }
        }
        if let (Some(next_full), Some(interval)) = (self.next_full, self.interval)
            && now >= next_full
        {
            refresh = true;
            self.next_full = Some(now + interval);
        }
        if refresh && let Err(err) = inner.refresh() {
            log::warn!("background refresh failed, keeping the last snapshot: {err}");
        }
    }

    /// Logs the first failure of a run (later ones at debug level) and schedules a retry.
    fn watch_failed(&mut self, now: Instant, err: &Error) {
        if self.failed_attempts == 0 {
            log::warn!(
                "cannot watch the database for changes, retrying (the periodic refresh goes on): {err}"
            );
        } else {
            log::debug!("still cannot watch the database for changes: {err}");
        }
        self.next_attempt = now + changes::backoff(self.failed_attempts);
        self.failed_attempts = self.failed_attempts.saturating_add(1);
    }
}

impl Client {
    /// A builder for a client of `url` (written in the Rust convention: `sqlite://path`,
    /// `postgres://…`, `mysql://…`, or a SQLite path).
    pub fn builder(url: &str) -> Result<ClientBuilder, Error> {
        let url = DatabaseUrl::parse(url, UrlDialect::Rust).map_err(|source| {
            Error::Config(ConfigError::Url {
                source_name: UrlSource::Explicit,
                source,
            })
        })?;
        Ok(ClientBuilder::new(url))
    }

    /// A builder for the configured database: `explicit`, else `NOVI_DATABASE_URL`,
    /// `DATABASE_URL`, `novi.ini`'s `[database] url`, else `sqlite://novi.db`.
    pub fn builder_from_config(explicit: Option<&str>) -> Result<ClientBuilder, Error> {
        let (url, _source) = resolve_database_url(explicit)?;
        Ok(ClientBuilder::new(url))
    }

    /// Connects to `url` and loads the flags (no migrations, no background refresh).
    pub fn connect(url: &str) -> Result<Client, Error> {
        Client::builder(url)?.connect()
    }

    /// The database URL, password hidden.
    pub fn url(&self) -> &DatabaseUrl {
        &self.inner.url
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.inner.url.backend()
    }

    /// The current snapshot. Holding it keeps it alive; later refreshes do not change it.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.inner.cell.load_full()
    }

    /// The revision of the current snapshot.
    pub fn revision(&self) -> Revision {
        self.inner.cell.revision()
    }

    /// A receiver of the revision of every new snapshot from now on (it keeps only the latest:
    /// a slow reader skips revisions, it never queues them).
    pub fn subscribe(&self) -> watch::Receiver<Revision> {
        self.inner.cell.subscribe()
    }

    /// Whether the flag is on for `ctx`. An unknown flag is off.
    #[inline]
    pub fn is_enabled(&self, name: &str, ctx: &Context) -> bool {
        self.inner.cell.is_enabled(name, ctx)
    }

    /// The answer for the flag and why, or [`Error::FlagNotFound`].
    #[inline]
    pub fn evaluate(&self, name: &str, ctx: &Context) -> Result<Evaluation, Error> {
        if self.inner.recorder.is_some() {
            let snapshot = self.inner.cell.load();
            let (flag, evaluation) = snapshot
                .evaluate_with_record(name, ctx)
                .ok_or_else(|| Error::FlagNotFound(name.to_owned()))?;
            self.expose(flag, ctx, evaluation.variant.as_deref());
            return Ok(evaluation);
        }
        self.inner
            .cell
            .evaluate(name, ctx)
            .ok_or_else(|| Error::FlagNotFound(name.to_owned()))
    }

    /// The variant chosen for the caller, when the flag is on and one of its activations
    /// chooses variants; `None` otherwise (and for an unknown flag).
    pub fn variant(&self, name: &str, ctx: &Context) -> Option<Arc<Variant>> {
        self.inner.cell.variant(name, ctx)
    }

    /// Every flag with its answer, in id order.
    pub fn evaluate_all(&self, ctx: &Context) -> Vec<(FlagRecord, Evaluation)> {
        self.inner.cell.evaluate_all(ctx)
    }

    /// Runs pending migrations; returns how many ran.
    pub fn migrate(&self) -> Result<usize, Error> {
        connection::run_migrations(&mut *self.connection()?)
    }

    /// Reloads the snapshot from the database. On failure the last snapshot stays.
    pub fn refresh(&self) -> Result<(), Error> {
        self.inner.refresh()
    }

    /// How long ago the rows were last read successfully (by the first load or a refresh,
    /// whether or not they had changed).
    pub fn snapshot_age(&self) -> Duration {
        self.inner.cell.age()
    }

    /// Whether the latest refresh failed: the database could not be read, and the snapshot
    /// is the last good one.
    pub fn refresh_failing(&self) -> bool {
        self.inner.cell.failing()
    }

    /// How many refreshes (background, explicit or after a write) failed since the client
    /// started.
    pub fn refresh_failures(&self) -> u64 {
        self.inner.cell.failures()
    }

    /// The connection pool's state: connections open, and how many of them are idle.
    pub fn pool_state(&self) -> PoolState {
        let state = self.inner.pool.state();
        PoolState {
            connections: state.connections,
            idle: state.idle_connections,
            max_size: self.inner.pool.max_size(),
        }
    }

    /// This client, writing as `label` through `route` in the audit log (the clone shares the
    /// snapshot, the pool and the writers' turn; only the name on its writes differs).
    pub fn acting_as(&self, label: &str, route: &str) -> Client {
        Client {
            inner: self.inner.clone(),
            actor: Arc::new(Actor {
                label: label.to_owned(),
                route: route.to_owned(),
            }),
            started: self.started,
        }
    }

    /// This client, whose writes' time started at `started` (say, when a request arrived)
    /// rather than when they are called: a write that waited for a thread before it ran gets
    /// only what is left of its write timeout, so it still answers within the timeout of
    /// `started`.
    pub fn started_at(&self, started: Instant) -> Client {
        Client {
            inner: self.inner.clone(),
            actor: self.actor.clone(),
            started: Some(started),
        }
    }

    /// How long a write may take in all (see [`ClientBuilder::write_timeout`]).
    pub fn write_timeout(&self) -> Duration {
        self.inner.write_timeout
    }

    /// Up to `limit` audit log entries older than the entry `before` (from the newest when
    /// `None`), newest first. Read from the database, not the snapshot.
    pub fn audit_log(&self, before: Option<i32>, limit: u32) -> Result<Vec<AuditEntry>, Error> {
        self.audit_log_of(None, before, limit)
    }

    /// The same, for one flag or one activation only (all of them when `target` is `None`).
    pub fn audit_log_of(
        &self,
        target: Option<AuditTarget>,
        before: Option<i32>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, Error> {
        store::audit::entries(&mut *self.connection()?, target, before, i64::from(limit))
    }

    /// A pooled connection, for the rare caller that needs the database itself.
    pub fn connection(&self) -> Result<PooledConnection, Error> {
        self.inner.pool.get().map_err(|cause| Error::Pool { cause })
    }

    /// Runs a write within the write timeout, then refreshes the snapshot so the caller reads
    /// its own write. The answer is what the write stored: a refresh that fails afterwards is
    /// logged and shows in [`Client::refresh_failing`], but the write stands.
    fn write<T>(
        &self,
        write: impl FnOnce(&mut DbConnection, Deadline) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let deadline = match self.started {
            Some(started) => Deadline::from(started, self.inner.write_timeout),
            None => Deadline::after(self.inner.write_timeout),
        };
        let Some(_one_writer) = self.inner.write_lock.try_lock_for(deadline.remaining()) else {
            return Err(deadline.timed_out());
        };
        let mut conn = self
            .inner
            .pool
            .get_timeout(deadline.remaining())
            .map_err(|cause| {
                if deadline.passed() {
                    deadline.timed_out()
                } else {
                    Error::Pool { cause }
                }
            })?;
        let written = write(&mut conn, deadline)?;
        drop(conn);
        if let Err(err) = self.inner.refresh_by(deadline) {
            log::warn!(
                "a write is stored, but the snapshot could not be reloaded after it (the next refresh will): {err}"
            );
        }
        Ok(written)
    }

    /// Creates a flag; returns it as stored.
    pub fn create_flag(&self, input: &FlagInput) -> Result<FlagRecord, Error> {
        self.write(|conn, deadline| store::flags::create(conn, deadline, input, &self.actor))
    }

    /// Updates the flag named `name` (it may be renamed; `activations: None` keeps its set).
    pub fn update_flag(&self, name: &str, input: &FlagInput) -> Result<FlagRecord, Error> {
        self.patch_flag(name, &FlagUpdate::from(input))
    }

    /// Changes the given fields of the flag named `name`; the others keep what is stored at
    /// the time of the write (read under the writers' lock, never from a stale snapshot).
    pub fn patch_flag(&self, name: &str, update: &FlagUpdate) -> Result<FlagRecord, Error> {
        self.write(|conn, deadline| store::flags::update(conn, deadline, name, update, &self.actor))
    }

    /// Replaces the flag's activations (each newly linked one must build in this process).
    pub fn set_flag_activations(
        &self,
        name: &str,
        ids: &[ActivationId],
    ) -> Result<FlagRecord, Error> {
        self.patch_flag(
            name,
            &FlagUpdate {
                activations: Some(ids.to_vec()),
                ..FlagUpdate::default()
            },
        )
    }

    /// Deletes the flag named `name`; returns it as it was.
    pub fn delete_flag(&self, name: &str) -> Result<FlagRecord, Error> {
        self.write(|conn, deadline| store::flags::delete(conn, deadline, name, &self.actor))
    }

    /// Creates an activation after checking that it builds (class registered, config valid,
    /// members present and acyclic); returns it as stored.
    pub fn create_activation(&self, input: &ActivationInput) -> Result<ActivationRecord, Error> {
        self.write(|conn, deadline| store::activations::create(conn, deadline, input, &self.actor))
    }

    /// Replaces an activation, checked as on creation and against every activation that
    /// contains it; returns it as stored.
    pub fn update_activation(
        &self,
        id: ActivationId,
        input: &ActivationInput,
    ) -> Result<ActivationRecord, Error> {
        self.write(|conn, deadline| {
            store::activations::update(conn, deadline, id, input, &self.actor)
        })
    }

    /// Deletes an activation that no flag and no composite activation uses; returns it as it
    /// was.
    pub fn delete_activation(&self, id: ActivationId) -> Result<ActivationRecord, Error> {
        self.write(|conn, deadline| store::activations::delete(conn, deadline, id, &self.actor))
    }

    /// Reverts the audit log entry `entry`: its flag or activation gets back the state it had
    /// before the entry (a change undone, a creation deleted, a deletion recreated under the old
    /// id), through the checks of an ordinary write, in one transaction recorded in the audit log
    /// like any write (so a revert can be reverted). The flag or activation must be stored now
    /// exactly as the entry left it, and a deleted flag's name must still be free: otherwise
    /// [`Error::RevertConflict`] says what changed since and which later entry to revert first.
    /// An unknown entry is [`Error::AuditEntryNotFound`].
    pub fn revert(&self, entry: i32) -> Result<Reverted, Error> {
        self.write(|conn, deadline| store::revert::revert(conn, deadline, entry, &self.actor))
    }

    /// Every experiment, in id order (read from the database).
    pub fn experiments(&self) -> Result<Vec<ExperimentRecord>, Error> {
        store::experiments::list(&mut *self.connection()?)
    }

    /// The experiment with this id.
    pub fn experiment(&self, id: i32) -> Result<ExperimentRecord, Error> {
        store::experiments::get(&mut *self.connection()?, id)
    }

    /// Defines an experiment (a draft unless `status` says otherwise), checked against the
    /// stored flag: it must assign variants, and `control` must be one of them. Audited.
    pub fn create_experiment(&self, input: &ExperimentInput) -> Result<ExperimentRecord, Error> {
        self.write(|conn, deadline| store::experiments::create(conn, deadline, input, &self.actor))
    }

    /// Changes an experiment (starting or stopping it included), checked as a whole. Audited.
    pub fn update_experiment(
        &self,
        id: i32,
        update: &ExperimentUpdate,
    ) -> Result<ExperimentRecord, Error> {
        self.write(|conn, deadline| {
            store::experiments::update(conn, deadline, id, update, &self.actor)
        })
    }

    /// Deletes an experiment and its exposures. Audited.
    pub fn delete_experiment(&self, id: i32) -> Result<ExperimentRecord, Error> {
        self.write(|conn, deadline| store::experiments::delete(conn, deadline, id, &self.actor))
    }

    /// What the database holds for an experiment's results: per variant, its units and each
    /// metric's sums, aggregated in SQL; and the exposures dropped.
    pub fn experiment_totals(
        &self,
        id: i32,
    ) -> Result<(ExperimentRecord, ExperimentTotals), Error> {
        let mut conn = self.connection()?;
        let experiment = store::experiments::get(&mut conn, id)?;
        let totals = store::events::totals(&mut conn, &experiment)?;
        Ok((experiment, totals))
    }

    /// Queues the exposure of the unit `ctx` names to every running experiment on `flag`, when
    /// the evaluation gave it a variant, and this client records exposures
    /// ([`ClientBuilder::record_exposures`]). Never waits: a full queue drops the record (and
    /// counts it). [`Client::evaluate`] calls it; servers that evaluate from the snapshot
    /// themselves call it after each evaluation.
    pub fn expose(&self, flag: &FlagRecord, ctx: &Context, variant: Option<&Variant>) {
        let Some(recorder) = &self.inner.recorder else {
            return;
        };
        let Some(variant) = variant else {
            return;
        };
        let running = self.inner.running.load();
        let Some(experiments) = running.get(&flag.id.0) else {
            return;
        };
        for experiment in experiments {
            if let Some(unit) = unit_of(ctx, &experiment.unit_key)
                && recorder.seen.first(experiment.id, &unit)
            {
                recorder.record(Record::Exposure(NewExposure {
                    experiment_id: experiment.id,
                    unit: unit.into_owned(),
                    variant: variant.name.clone(),
                    at_ms: store::now_ms(),
                }));
            }
        }
    }

    /// Whether this client records exposures and some experiment runs (callers that evaluate
    /// many flags skip [`Client::expose`] otherwise).
    pub fn records_exposures(&self) -> bool {
        self.inner.recorder.is_some() && !self.inner.running.load().is_empty()
    }

    /// Queues a conversion: `unit` did `event` (with `value`, for mean metrics). Stored in the
    /// background like exposures; `false` when this client does not record or the queue was
    /// full (the event is dropped and counted).
    pub fn track(&self, unit: &str, event: &str, value: Option<f64>) -> bool {
        let Some(recorder) = &self.inner.recorder else {
            return false;
        };
        recorder.record(Record::Conversion(NewConversion {
            event_id: None,
            event: event.to_owned(),
            unit: unit.to_owned(),
            value,
            at_ms: store::now_ms(),
        }))
    }

    /// Stores every exposure and event queued so far (a graceful stop calls it); waits at most
    /// `timeout`. Whether everything was stored; `true` when this client does not record.
    pub fn flush_recorded(&self, timeout: Duration) -> bool {
        self.inner
            .recorder
            .as_ref()
            .is_none_or(|recorder| recorder.flush(timeout))
    }

    /// Records dropped because the queue was full or the database failed, since start.
    pub fn dropped_records(&self) -> u64 {
        self.inner.recorder.as_ref().map_or(0, Recorder::dropped)
    }

    /// Stores a batch of reported events in one transaction (not the writers' lock): every
    /// event is checked first, and one that is not acceptable fails the batch with
    /// [`Error::InvalidEvent`] naming its index and field, storing nothing. An exposure counts
    /// for each experiment running on its flag (its variant must be one of the flag's); a
    /// unit's first exposure stands, and a conversion's id makes a repeat count once.
    pub fn record_events(&self, events: &[Event]) -> Result<EventsOutcome, Error> {
        let snapshot = self.snapshot();
        let running = self.inner.running.load();
        let mut outcome = EventsOutcome::default();
        let mut exposures = Vec::new();
        let mut conversions = Vec::new();
        let bad = |index: usize, field: &'static str, problem: String| Error::InvalidEvent {
            index,
            field,
            problem,
        };
        let check_text = |index: usize, field: &'static str, text: &str| {
            if text.is_empty() || text.chars().count() > 255 {
                Err(bad(
                    index,
                    field,
                    "it must hold 1 to 255 characters".to_owned(),
                ))
            } else {
                Ok(())
            }
        };
        for (index, event) in events.iter().enumerate() {
            match event {
                Event::Exposure {
                    flag,
                    unit,
                    variant,
                    at_ms,
                } => {
                    check_text(index, "unit", unit)?;
                    check_text(index, "variant", variant)?;
                    let record = snapshot
                        .flag(flag)
                        .ok_or_else(|| bad(index, "flag", format!("no flag is named `{flag}`")))?;
                    let variants = snapshot.variant_weights(flag).unwrap_or_default();
                    if !variants.iter().any(|(name, _)| name == variant) {
                        return Err(bad(
                            index,
                            "variant",
                            format!("`{variant}` is not a variant of flag `{flag}`"),
                        ));
                    }
                    match running.get(&record.id.0) {
                        Some(experiments) => {
                            for experiment in experiments {
                                exposures.push(NewExposure {
                                    experiment_id: experiment.id,
                                    unit: unit.clone(),
                                    variant: variant.clone(),
                                    at_ms: *at_ms,
                                });
                            }
                        }
                        None => outcome.ignored += 1,
                    }
                }
                Event::Conversion {
                    id,
                    event,
                    unit,
                    value,
                    at_ms,
                } => {
                    check_text(index, "unit", unit)?;
                    check_text(index, "event", event)?;
                    if let Some(id) = id {
                        check_text(index, "id", id)?;
                        if id.len() > 128 {
                            return Err(bad(index, "id", "it is longer than 128 bytes".to_owned()));
                        }
                    }
                    if value.is_some_and(|v| !v.is_finite()) {
                        return Err(bad(index, "value", "it must be a finite number".to_owned()));
                    }
                    conversions.push(NewConversion {
                        event_id: id.clone(),
                        event: event.clone(),
                        unit: unit.clone(),
                        value: *value,
                        at_ms: *at_ms,
                    });
                }
            }
        }
        let (exposed, converted) =
            store::events::store(&mut *self.connection()?, &exposures, &conversions, &[])?;
        outcome.exposures = exposed;
        outcome.conversions = converted;
        outcome.duplicates = (exposures.len() + conversions.len()) as u64
            - exposed.min(exposures.len() as u64)
            - converted.min(conversions.len() as u64);
        Ok(outcome)
    }

    /// Runs SQL (such as [`crate::SAMPLE_DATA`]) when the database has no flags yet; returns
    /// whether it ran.
    pub fn seed_if_empty(&self, sql: &str) -> Result<bool, Error> {
        self.write(|conn, _deadline| {
            if !store::has_no_flags(conn)? {
                return Ok(false);
            }
            diesel::connection::SimpleConnection::batch_execute(conn, sql).map_err(|cause| {
                Error::Query {
                    during: "loading sample data",
                    cause,
                }
            })?;
            // The SQL may give explicit ids, which PostgreSQL's sequences do not follow.
            store::resync_sequences(conn)?;
            Ok(true)
        })
    }
}

impl Source for Client {
    fn cell(&self) -> &SnapshotCell {
        &self.inner.cell
    }
}

impl ClientBuilder {
    fn new(url: DatabaseUrl) -> Self {
        ClientBuilder {
            url,
            migrate: false,
            pool_size: 4,
            connection_timeout: Duration::from_secs(5),
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            refresh_interval: None,
            watch_changes: false,
            record_exposures: false,
            runtime_classes: None,
        }
    }
}
