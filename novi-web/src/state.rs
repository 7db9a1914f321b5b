//! The state every handler shares.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use arc_swap::ArcSwapOption;
use novi_client::{Client, Snapshot};
use novi_remote::RemoteClient;

use crate::{
    auth::Tokens, flags::Flags, hosts::AllowedHosts, metrics::Metrics, render::StoredJson,
};

/// The context key OFREP's `targetingKey` goes to unless configured otherwise.
pub const DEFAULT_TARGETING_KEY: &str = "userId";

/// Registered once with `app_data`.
#[derive(Debug)]
pub struct AppState {
    /// The flags: evaluation reads their snapshot; writes go through the database client.
    pub flags: Flags,
    /// Who may read and write.
    pub(crate) tokens: Tokens,
    /// Whether [`crate::app`] logs a line per request.
    pub(crate) access_log: bool,
    /// The context key OFREP's `targetingKey` is copied to.
    targeting_key: String,
    /// The Prometheus counters (`GET /metrics`).
    pub(crate) metrics: Metrics,
    /// The flags' stored JSON for the latest snapshot a request saw.
    stored_json: ArcSwapOption<StoredJson>,
    /// How long a request body may take to arrive.
    body_timeout: Duration,
    /// The `Host` names requests may use.
    allowed_hosts: AllowedHosts,
    /// How often an idle `/stream` sends a keep-alive comment.
    stream_keep_alive: Duration,
    /// The most `/stream` clients at once.
    max_streams: usize,
    /// The `/stream` clients connected now.
    streams: Arc<AtomicUsize>,
    /// Set when the server stops, which ends every `/stream` (the graceful stop would
    /// otherwise wait for them until its timeout).
    closing: tokio::sync::watch::Sender<bool>,
}

/// How often an idle `/stream` sends a keep-alive comment, unless configured otherwise.
pub const DEFAULT_STREAM_KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The most `/stream` clients at once, unless configured otherwise.
pub const DEFAULT_MAX_STREAMS: usize = 20_000;

/// How long a request body may take to arrive, unless configured otherwise.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

impl AppState {
    /// The state of a server over `client`, without an access log.
    pub fn new(client: Client) -> AppState {
        AppState::from_flags(Flags::Database(client))
    }

    /// The state of a relay of the server `remote` follows: reads only.
    pub fn relay(remote: RemoteClient) -> AppState {
        AppState::from_flags(Flags::Relay(remote))
    }

    /// The state of a server over `flags`.
    pub fn from_flags(flags: Flags) -> AppState {
        AppState {
            flags,
            tokens: Tokens::default(),
            access_log: false,
            targeting_key: DEFAULT_TARGETING_KEY.to_owned(),
            metrics: Metrics::default(),
            stored_json: ArcSwapOption::empty(),
            body_timeout: DEFAULT_BODY_TIMEOUT,
            allowed_hosts: AllowedHosts::any(),
            stream_keep_alive: DEFAULT_STREAM_KEEP_ALIVE,
            max_streams: DEFAULT_MAX_STREAMS,
            streams: Arc::default(),
            closing: tokio::sync::watch::Sender::new(false),
        }
    }

    /// Ends every `/stream`, and refuses new ones: the server is stopping.
    pub fn close_streams(&self) {
        self.closing.send_replace(true);
    }

    /// A receiver that turns `true` when the server stops.
    pub(crate) fn closing(&self) -> tokio::sync::watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Sends a keep-alive comment on each idle `/stream` every `interval` (default
    /// [`DEFAULT_STREAM_KEEP_ALIVE`]; at least 10 ms).
    pub fn with_stream_keep_alive(mut self, interval: Duration) -> AppState {
        self.stream_keep_alive = interval.max(Duration::from_millis(10));
        self
    }

    /// Serves at most `max` `/stream` clients at once (default [`DEFAULT_MAX_STREAMS`]); more
    /// are answered 503 with `Retry-After`.
    pub fn with_max_streams(mut self, max: usize) -> AppState {
        self.max_streams = max;
        self
    }

    /// How often an idle `/stream` sends a keep-alive comment.
    pub(crate) fn stream_keep_alive(&self) -> Duration {
        self.stream_keep_alive
    }

    /// A place for one more `/stream` client, held until dropped; `None` when all are taken.
    pub(crate) fn stream_slot(&self) -> Option<StreamSlot> {
        let taken = self
            .streams
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.max_streams).then_some(open + 1)
            });
        taken.is_ok().then(|| StreamSlot(Arc::clone(&self.streams)))
    }

    /// The `/stream` clients connected now.
    pub(crate) fn streams_open(&self) -> usize {
        self.streams.load(Ordering::Acquire)
    }

    /// Guards the routes with `tokens` (by default every route is open).
    pub fn with_tokens(mut self, tokens: Tokens) -> AppState {
        self.tokens = tokens;
        self
    }

    /// With `true`, [`crate::app`] logs one line per request at `info` (target
    /// `novi_web::access`). Off by default: on this machine kind the line costs about a fifth of
    /// the throughput of a flag evaluation (see BENCHMARKS.md).
    pub fn with_access_log(mut self, enabled: bool) -> AppState {
        self.access_log = enabled;
        self
    }

    /// Copies OFREP's `targetingKey` to `key` in evaluation contexts (default
    /// [`DEFAULT_TARGETING_KEY`], the stickiness key of rollouts and variants).
    pub fn with_targeting_key(mut self, key: impl Into<String>) -> AppState {
        self.targeting_key = key.into();
        self
    }

    /// Answers 408 (and closes the connection) when a request body has not arrived whole
    /// within `timeout` (default [`DEFAULT_BODY_TIMEOUT`]).
    pub fn with_body_timeout(mut self, timeout: Duration) -> AppState {
        self.body_timeout = timeout;
        self
    }

    /// Answers only requests whose `Host` is one of `hosts` (by default any host; the server
    /// sets the loopback names when it is bound to loopback: see [`crate::Config`]).
    pub fn with_allowed_hosts(mut self, hosts: AllowedHosts) -> AppState {
        self.allowed_hosts = hosts;
        self
    }

    /// The `Host` names requests may use.
    pub(crate) fn allowed_hosts(&self) -> &AllowedHosts {
        &self.allowed_hosts
    }

    /// How long a request body may take to arrive.
    pub(crate) fn body_timeout(&self) -> Duration {
        self.body_timeout
    }

    /// The context key OFREP's `targetingKey` is copied to.
    pub(crate) fn targeting_key(&self) -> &str {
        &self.targeting_key
    }

    /// The current snapshot.
    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        self.flags.snapshot()
    }

    /// The current snapshot with its flags' stored JSON, rendered again only after the
    /// snapshot changed.
    pub(crate) fn stored_json(&self) -> Arc<StoredJson> {
        let snapshot = self.flags.snapshot();
        if let Some(cached) = self.stored_json.load_full()
            && cached.is_for(&snapshot)
        {
            return cached;
        }
        let fresh = Arc::new(StoredJson::build(snapshot));
        self.stored_json.store(Some(fresh.clone()));
        fresh
    }
}

/// One `/stream` client's place, given back when its stream is dropped (the client went
/// away, or the server stops).
#[derive(Debug)]
pub(crate) struct StreamSlot(Arc<AtomicUsize>);

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
