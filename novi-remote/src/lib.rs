//! Novi's remote client: flags evaluated in process, as fast as with `novi-client`, from a
//! `novi-web` server's snapshot, with only a client token: no database, no credentials to it,
//! no Diesel in the dependency tree.
//!
//! ```no_run
//! use novi_core::context;
//! use novi_remote::RemoteClient;
//!
//! novi_activations::link(); // the activation classes your flags use
//! let flags = RemoteClient::builder("http://127.0.0.1:8080")
//!     .token("client-secret")
//!     .backup_file("/var/lib/myapp/novi-snapshot.json")
//!     .connect()?;
//! if flags.is_enabled("new checkout", &context! {"userId": "user-7"}) {
//!     // …
//! }
//! # Ok::<(), novi_remote::error::Error>(())
//! ```
//!
//! # How it keeps up
//!
//! [`RemoteBuilder::connect`] loads `GET /snapshot` (the snapshot document, checked against
//! its revision) and builds it with `novi-snapshot`, exactly as the server does. A background
//! thread then follows `GET /stream`: each event names a new revision, and the client fetches
//! the document again with `If-None-Match`. When the stream cannot be opened or breaks, the
//! thread polls `/snapshot` (a 304 while nothing changed) and reopens the stream, waiting a
//! growing, jittered pause between attempts (100 ms doubling up to the poll interval), so that
//! a restarted server is not met by every client at once. Reconnections send `Last-Event-ID`.
//!
//! # When the server is down
//!
//! With [`RemoteBuilder::backup_file`], every new document is also written (atomically) to
//! that file, and a client that cannot reach its server at start starts from it, reporting
//! [`RemoteClient::refresh_failing`] until the server answers. Without a backup file and
//! without a server, `connect` fails with [`Error::NoSnapshot`].
//! A wrong token (401, 403) always fails at once.
//!
//! # Classes
//!
//! Activations are built by the classes this process links (`novi_activations::link()` and
//! your own crates'). A stored activation of a class the process lacks makes only the flags
//! that use it off, with the reason ([`Reason::ActivationError`]); the client logs which
//! classes are missing.
//!
//! # Experiments: exposures and conversions
//!
//! With [`RemoteBuilder::report_events`], the client tells its server (`POST /events`, with
//! its token) which variant each unit saw, and what units did:
//!
//! ```no_run
//! use std::time::Duration;
//! use novi_core::context;
//! use novi_remote::RemoteClient;
//!
//! let flags = RemoteClient::builder("http://127.0.0.1:8080")
//!     .token("client-secret")
//!     .report_events(true)
//!     .connect()?;
//! // Reports the exposure of user-7 to the variant it is shown (once per process).
//! let variant = flags.variant("checkout", &context! {"userId": "user-7"});
//! // …
//! flags.track("user-7", "purchase", Some(42.0));
//! flags.flush(Duration::from_secs(5)); // before exiting, for instance
//! # Ok::<(), novi_remote::error::Error>(())
//! ```
//!
//! Evaluations never wait for the server: events go to a bounded queue, and one background
//! thread per client sends them in batches. See [`RemoteBuilder::report_events`] for the bounds
//! and for what happens when the server is down or refuses them.

#![deny(missing_docs)]

mod backup;
pub mod error;
mod http;
mod report;

use std::{
    collections::BTreeSet,
    path::PathBuf,
    sync::{
        Arc, Weak,
        atomic::{AtomicU8, Ordering},
        mpsc,
    },
    thread,
    time::Duration,
};

use novi_core::{Context, RuntimeClasses, Variant};
pub use novi_snapshot::snapshot::Reason;
use novi_snapshot::{
    Source,
    cell::SnapshotCell,
    document::Document,
    records::FlagRecord,
    revision::Revision,
    snapshot::{Evaluation, Snapshot},
};
use parking_lot::Mutex;
use tokio::sync::watch;

use crate::{
    error::Error,
    http::{Fetched, Server},
    report::Reporter,
};

/// How often a client without a working stream asks for the snapshot, unless configured
/// otherwise.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// How long a request may wait for the server (connecting, or between two reads), unless
/// configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a stream may stay silent before it is taken for dead: the server sends a
/// keep-alive comment every 15 s by default.
pub const DEFAULT_STREAM_SILENCE: Duration = Duration::from_secs(40);

/// The context key that names a unit in reported exposures, unless configured otherwise (the
/// default `unit_key` of the server's experiments).
pub const DEFAULT_UNIT_KEY: &str = "userId";

/// How the client is following its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Upstream {
    /// The event stream is open: changes arrive as they happen.
    Streaming,
    /// The stream is down but `/snapshot` answers: changes arrive at the next poll.
    Polling,
    /// The server does not answer: the snapshot is the last good one.
    Unreachable,
}

impl Upstream {
    /// `streaming`, `polling` or `unreachable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Upstream::Streaming => "streaming",
            Upstream::Polling => "polling",
            Upstream::Unreachable => "unreachable",
        }
    }

    fn from_u8(value: u8) -> Upstream {
        match value {
            0 => Upstream::Streaming,
            1 => Upstream::Polling,
            _ => Upstream::Unreachable,
        }
    }
}

/// Options for [`RemoteClient`].
#[derive(Debug, Clone)]
pub struct RemoteBuilder {
    url: String,
    token: Option<String>,
    backup: Option<PathBuf>,
    follow: bool,
    poll_interval: Duration,
    timeout: Duration,
    silence: Duration,
    report_events: bool,
    unit_key: String,
    runtime_classes: Option<Arc<dyn RuntimeClasses>>,
}

impl RemoteBuilder {
    /// The client token the server asks for (sent as `Authorization: Bearer`).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Keeps the last good snapshot document in `path`, and starts from it when the server
    /// cannot be reached at start.
    pub fn backup_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.backup = Some(path.into());
        self
    }

    /// Follows the server in the background (default: yes). Without it the snapshot changes
    /// only on [`RemoteClient::refresh`].
    pub fn follow(mut self, follow: bool) -> Self {
        self.follow = follow;
        self
    }

    /// How often to ask for the snapshot while the stream is down (default
    /// [`DEFAULT_POLL_INTERVAL`]; at least 10 ms).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// How long a request may wait for the server (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long the stream may stay silent before the client reconnects (default
    /// [`DEFAULT_STREAM_SILENCE`]; keep it above the server's `--stream-keep-alive`).
    pub fn stream_silence(mut self, silence: Duration) -> Self {
        self.silence = silence;
        self
    }

    /// Reports exposures and conversions to the server's `POST /events` (default: no), for its
    /// experiments. The server must take the client's token (any client or admin token), or
    /// have no token at all.
    ///
    /// - Each evaluation through this client ([`RemoteClient::evaluate`],
    ///   [`RemoteClient::variant`], [`RemoteClient::is_enabled`],
    ///   [`RemoteClient::evaluate_all`]) whose answer has a variant reports the exposure of the
    ///   unit the context names (see [`RemoteBuilder::unit_key`]) to that variant, once per
    ///   flag and unit in this process. The client remembers up to 100,000 (flag, unit) pairs
    ///   (about 1 MB); past that it forgets a sixteenth of them at a time, which may then be
    ///   reported again (the server counts a unit's first exposure only). The server ignores
    ///   exposures of flags that no running experiment uses. Evaluations that read the snapshot without the client
    ///   ([`RemoteClient::snapshot`], the [`Source`] trait: an OpenFeature provider,
    ///   `novi_client::flag`) report nothing.
    /// - [`RemoteClient::track`] reports a conversion.
    /// - Events wait in a queue of at most 10,000, which never blocks an evaluation: beyond it,
    ///   events are dropped and counted ([`RemoteClient::dropped_events`]). A background
    ///   thread sends them in batches of up to 1,000 events (and 512 KiB), at least every
    ///   second.
    /// - A batch that fails (the server cannot be reached, or answers 5xx, 408 or 429) is sent
    ///   again after a growing pause, 5 times in all, then dropped and counted; a batch the
    ///   server refuses (another 4xx: a bad token, an event it does not take, such as a variant
    ///   the flag no longer has) is dropped at once. The first failure and the recovery are
    ///   logged, not each attempt.
    /// - When the client is dropped, its thread sends what is queued, for at most about a
    ///   second, which the drop waits for; [`RemoteClient::flush`] sends it sooner.
    pub fn report_events(mut self, report: bool) -> Self {
        self.report_events = report;
        self
    }

    /// The context key that names a unit in exposures (default `userId`). It must be the
    /// `unit_key` of the server's experiments: their results count the units it names. A
    /// string is the unit as it is, a number its JSON text; a context without the key, or with
    /// another value, or with a string the server does not take (empty, or over 255
    /// characters) reports no exposure.
    pub fn unit_key(mut self, key: impl Into<String>) -> Self {
        self.unit_key = key.into();
        self
    }

    /// Builds stored activations whose class this process does not link through `classes`
    /// (activation classes registered at run time, such as Python's; see [`RuntimeClasses`]).
    /// Every snapshot this client builds consults them.
    pub fn runtime_classes(mut self, classes: Arc<dyn RuntimeClasses>) -> Self {
        self.runtime_classes = Some(classes);
        self
    }

    /// Loads the first snapshot (from the server, else from the backup file) and starts
    /// following the server, and reporting events when asked to.
    pub fn connect(self) -> Result<RemoteClient, Error> {
        let server = Server::new(&self.url, self.token, self.timeout, self.silence)?;
        let first = fetch_document(&server, None).and_then(|fetched| {
            fetched.ok_or_else(|| Error::Status {
                url: format!("{}/snapshot", server.base()),
                status: 304,
                message: "not modified, to a request that named no revision".to_owned(),
            })
        });
        // Classes reported missing, so that each is logged once.
        let mut missing = BTreeSet::new();
        let runtime = self.runtime_classes.as_deref();
        let cell = match first {
            Ok((document, bytes)) => {
                warn_missing_classes(&document, runtime, &mut missing);
                if let Some(path) = &self.backup
                    && let Err(err) = backup::save(path, &bytes)
                {
                    log::warn!("cannot keep the snapshot's backup: {err}");
                }
                SnapshotCell::new(Snapshot::from_document_with(document, runtime))
            }
            // A wrong token is a mistake to fix, not an outage to ride out.
            Err(
                err @ Error::Status {
                    status: 401 | 403, ..
                },
            ) => return Err(err),
            Err(server_err) => {
                let Some(path) = &self.backup else {
                    return Err(Error::NoSnapshot {
                        server: Box::new(server_err),
                        backup: None,
                    });
                };
                match backup::load(path) {
                    Ok((document, written)) => {
                        log::warn!(
                            "cannot reach {}, starting from the backup {} (revision {}): {server_err}",
                            server.base(),
                            path.display(),
                            document.revision
                        );
                        warn_missing_classes(&document, runtime, &mut missing);
                        SnapshotCell::stale(
                            Snapshot::from_document_with(document, runtime),
                            written,
                        )
                    }
                    Err(backup_err) => {
                        return Err(Error::NoSnapshot {
                            server: Box::new(server_err),
                            backup: Some(Box::new(backup_err)),
                        });
                    }
                }
            }
        };
        let cell = cell.with_classes(self.runtime_classes);
        let started_failing = cell.failing();
        let reporter = if self.report_events {
            Some(Reporter::start(server.clone(), self.unit_key)?)
        } else {
            None
        };
        let (stop, stopped) = mpsc::channel();
        let inner = Arc::new(Inner {
            cell,
            reporter,
            server,
            backup: self.backup,
            upstream: AtomicU8::new(if started_failing { 2 } else { 1 }),
            missing: Mutex::new(missing),
            _stop: stop,
        });
        if self.follow {
            spawn_follower(Arc::downgrade(&inner), self.poll_interval, stopped);
        }
        Ok(RemoteClient { inner })
    }
}

/// Flags evaluated in process from a server's snapshot. Cloning is cheap and shares
/// everything; the background thread stops when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct RemoteClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    cell: SnapshotCell,
    /// Where exposures and conversions go, when the client reports them.
    reporter: Option<Reporter>,
    server: Server,
    backup: Option<PathBuf>,
    /// An [`Upstream`], as a number.
    upstream: AtomicU8,
    /// Classes already reported missing.
    missing: Mutex<BTreeSet<String>>,
    /// Dropped with the client, which stops the background thread.
    _stop: mpsc::Sender<()>,
}

impl RemoteClient {
    /// A builder for a client of the `novi-web` server (or relay) at `url`
    /// (`http://host:port`, `https://…`).
    pub fn builder(url: &str) -> RemoteBuilder {
        RemoteBuilder {
            url: url.to_owned(),
            token: None,
            backup: None,
            follow: true,
            poll_interval: DEFAULT_POLL_INTERVAL,
            timeout: DEFAULT_TIMEOUT,
            silence: DEFAULT_STREAM_SILENCE,
            report_events: false,
            unit_key: DEFAULT_UNIT_KEY.to_owned(),
            runtime_classes: None,
        }
    }

    /// The server's base URL.
    pub fn url(&self) -> &str {
        self.inner.server.base()
    }

    /// The current snapshot. Holding it keeps it alive; later changes do not change it.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.inner.cell.load_full()
    }

    /// The revision of the current snapshot.
    pub fn revision(&self) -> Revision {
        self.inner.cell.revision()
    }

    /// A receiver of the revision of every new snapshot from now on (only the latest is kept).
    pub fn subscribe(&self) -> watch::Receiver<Revision> {
        self.inner.cell.subscribe()
    }

    /// Whether the flag is on for `ctx`. An unknown flag is off. Reports the exposure when
    /// the flag chose a variant ([`RemoteBuilder::report_events`]).
    #[inline]
    pub fn is_enabled(&self, name: &str, ctx: &Context) -> bool {
        self.evaluate(name, ctx).is_some_and(|e| e.enabled)
    }

    /// The answer for the flag and why; `None` for an unknown flag. Reports the exposure when
    /// the flag chose a variant ([`RemoteBuilder::report_events`]).
    #[inline]
    pub fn evaluate(&self, name: &str, ctx: &Context) -> Option<Evaluation> {
        let evaluation = self.inner.cell.evaluate(name, ctx);
        if let Some(reporter) = &self.inner.reporter
            && let Some(variant) = evaluation.as_ref().and_then(|e| e.variant.as_deref())
        {
            reporter.expose(name, ctx, variant);
        }
        evaluation
    }

    /// The variant chosen for the caller, when the flag is on and chooses variants. Reports
    /// the exposure ([`RemoteBuilder::report_events`]).
    pub fn variant(&self, name: &str, ctx: &Context) -> Option<Arc<Variant>> {
        self.evaluate(name, ctx).and_then(|e| e.variant)
    }

    /// Every flag with its answer, in id order. Reports the exposure to each variant chosen
    /// ([`RemoteBuilder::report_events`]).
    pub fn evaluate_all(&self, ctx: &Context) -> Vec<(FlagRecord, Evaluation)> {
        let all = self.inner.cell.evaluate_all(ctx);
        if let Some(reporter) = &self.inner.reporter {
            for (flag, evaluation) in &all {
                if let Some(variant) = &evaluation.variant {
                    reporter.expose(&flag.name, ctx, variant);
                }
            }
        }
        all
    }

    /// Reports a conversion: `unit` did `event`, with `value` for mean metrics (an amount, a
    /// duration). Queued without waiting, and sent in the background (see
    /// [`RemoteBuilder::report_events`]); each call counts once, even when a batch is sent
    /// again. `false` when the client does not report events, when the queue was full (the
    /// event is dropped and counted), or when the server would refuse the event: `unit` or
    /// `event` empty or over 255 characters, or `value` not finite.
    pub fn track(&self, unit: &str, event: &str, value: Option<f64>) -> bool {
        self.inner
            .reporter
            .as_ref()
            .is_some_and(|reporter| reporter.track(unit, event, value))
    }

    /// Sends every event queued so far now, and waits for the server's answers, at most
    /// `timeout` (a batch that fails is sent again within that time, as in the background).
    /// `true` when every batch since the previous flush reached the server (and when the
    /// client does not report events); `false` when one was dropped (see
    /// [`RemoteClient::dropped_events`]) or the time ran out.
    pub fn flush(&self, timeout: Duration) -> bool {
        self.inner
            .reporter
            .as_ref()
            .is_none_or(|reporter| reporter.flush(timeout))
    }

    /// How many events were dropped since the client started: the queue was full, or the
    /// server did not take their batch. 0 when the client does not report events.
    pub fn dropped_events(&self) -> u64 {
        self.inner.reporter.as_ref().map_or(0, Reporter::dropped)
    }

    /// Fetches the snapshot now (a 304 when it is current). On failure the last snapshot
    /// stays.
    pub fn refresh(&self) -> Result<(), Error> {
        self.inner.sync()
    }

    /// How long ago the server (or, at start, the backup file) was last read successfully.
    pub fn snapshot_age(&self) -> Duration {
        self.inner.cell.age()
    }

    /// Whether the latest attempt to read the server failed (the snapshot is the last good
    /// one), or the client started from its backup and has not reached the server since.
    pub fn refresh_failing(&self) -> bool {
        self.inner.cell.failing()
    }

    /// How many attempts to read the server failed since the client started.
    pub fn refresh_failures(&self) -> u64 {
        self.inner.cell.failures()
    }

    /// How the client is following its server.
    pub fn upstream(&self) -> Upstream {
        Upstream::from_u8(self.inner.upstream.load(Ordering::Relaxed))
    }
}

impl Source for RemoteClient {
    fn cell(&self) -> &SnapshotCell {
        &self.inner.cell
    }
}

impl Inner {
    fn set_upstream(&self, upstream: Upstream) {
        self.upstream.store(upstream as u8, Ordering::Relaxed);
    }

    /// Fetches the snapshot unless the current revision is the server's, and publishes it.
    fn sync(&self) -> Result<(), Error> {
        let fetched = fetch_document(&self.server, Some(self.cell.revision()));
        match fetched {
            Ok(None) => {
                self.cell.checked();
                Ok(())
            }
            Ok(Some((document, bytes))) => {
                let runtime = self.cell.classes();
                warn_missing_classes(&document, runtime, &mut self.missing.lock());
                self.cell
                    .publish(Snapshot::from_document_with(document, runtime));
                if let Some(path) = &self.backup
                    && let Err(err) = backup::save(path, &bytes)
                {
                    log::warn!("cannot keep the snapshot's backup: {err}");
                }
                Ok(())
            }
            Err(err) => {
                self.cell.failed();
                Err(err)
            }
        }
    }
}

/// `GET /snapshot`, read: `None` when `known` is current.
fn fetch_document(
    server: &Server,
    known: Option<Revision>,
) -> Result<Option<(Document, Vec<u8>)>, Error> {
    match server.snapshot(known)? {
        Fetched::Unchanged => Ok(None),
        Fetched::Document(bytes) => {
            let document = Document::parse(&bytes).map_err(|source| Error::Document {
                url: format!("{}/snapshot", server.base()),
                source,
            })?;
            Ok(Some((document, bytes)))
        }
    }
}

/// Logs, once per class, the stored activations whose class this process does not link.
fn warn_missing_classes(
    document: &Document,
    runtime: Option<&dyn RuntimeClasses>,
    reported: &mut BTreeSet<String>,
) {
    let known_at_run_time = runtime.map(RuntimeClasses::names).unwrap_or_default();
    for activation in &document.rows.activations {
        let class = &activation.class_name;
        if novi_core::registry::find(class).is_none()
            && !known_at_run_time.contains(class)
            && reported.insert(class.clone())
        {
            log::warn!(
                "this process does not link the activation class `{class}` (activation {}): the flags that use it are off here; link the crate that registers it",
                activation.id
            );
        }
    }
}

/// The background thread: follows the stream, polls while it is down, and stops when the
/// client is dropped.
fn spawn_follower(inner: Weak<Inner>, poll_interval: Duration, stopped: mpsc::Receiver<()>) {
    let spawned = thread::Builder::new()
        .name("novi-remote".to_owned())
        .spawn(move || follow(&inner, poll_interval, &stopped));
    if let Err(err) = spawned {
        log::error!("cannot start the thread that follows the server: {err}");
    }
}

fn follow(inner: &Weak<Inner>, poll_interval: Duration, stopped: &mpsc::Receiver<()>) {
    let mut failures: u32 = 0;
    loop {
        let Some(client) = inner.upgrade() else {
            return;
        };
        // Catch up first: changes may have happened while the stream was down.
        let synced = client.sync();
        if let Err(err) = &synced {
            if failures == 0 {
                log::warn!("cannot read the snapshot, keeping the last one: {err}");
            }
            client.set_upstream(Upstream::Unreachable);
        }
        let server = client.server.clone();
        let known = client.cell.revision();
        drop(client);
        if synced.is_ok() {
            match server.stream(Some(known)) {
                Ok(mut events) => {
                    if failures > 0 {
                        log::info!("following {} again", server.base());
                    }
                    failures = 0;
                    if let Some(client) = inner.upgrade() {
                        client.set_upstream(Upstream::Streaming);
                    }
                    loop {
                        let next = events.next_revision();
                        let Some(client) = inner.upgrade() else {
                            return;
                        };
                        match next {
                            Ok(revision) if revision == client.cell.revision() => {}
                            Ok(_) => {
                                if let Err(err) = client.sync() {
                                    log::warn!("cannot read the announced snapshot: {err}");
                                    break;
                                }
                            }
                            Err(err) => {
                                log::info!("the event stream stopped, polling meanwhile: {err}");
                                client.set_upstream(Upstream::Polling);
                                break;
                            }
                        }
                    }
                }
                Err(err) => {
                    if failures == 0 {
                        log::warn!("cannot follow {}'s events, polling: {err}", server.base());
                    }
                    if let Some(client) = inner.upgrade() {
                        client.set_upstream(Upstream::Polling);
                    }
                }
            }
        }
        let pause = backoff(failures, poll_interval);
        failures = failures.saturating_add(1);
        if !matches!(
            stopped.recv_timeout(pause),
            Err(mpsc::RecvTimeoutError::Timeout)
        ) {
            return;
        }
    }
}

/// The pause after `failures` failed attempts in a row: 100 ms doubling up to `cap`, each
/// scaled by a random factor between ½ and 1, so that clients of a restarted server spread out.
fn backoff(failures: u32, cap: Duration) -> Duration {
    let base = Duration::from_millis(100)
        .saturating_mul(1u32 << failures.min(16))
        .min(cap);
    base.mul_f64(0.5 + rand::random::<f64>() / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_grows_to_the_poll_interval_with_jitter() {
        let cap = Duration::from_secs(5);
        for _ in 0..100 {
            let first = backoff(0, cap);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let late = backoff(40, cap);
            assert!(late >= cap / 2 && late <= cap, "{late:?}");
        }
    }
}
