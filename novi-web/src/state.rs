//! The state every handler shares.

use std::{sync::Arc, time::Duration};

use arc_swap::ArcSwapOption;
use novi_client::Client;

use crate::{AllowedHosts, auth::Tokens, metrics::Metrics, render::StoredJson};

/// The context key OFREP's `targetingKey` goes to unless configured otherwise.
pub const DEFAULT_TARGETING_KEY: &str = "userId";

/// Registered once with `app_data`.
#[derive(Debug)]
pub struct AppState {
    /// The flags: evaluation reads its snapshot; writes go through it.
    pub client: Client,
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
}

/// How long a request body may take to arrive, unless configured otherwise.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

impl AppState {
    /// The state of a server over `client`, without an access log.
    pub fn new(client: Client) -> AppState {
        AppState {
            client,
            tokens: Tokens::default(),
            access_log: false,
            targeting_key: DEFAULT_TARGETING_KEY.to_owned(),
            metrics: Metrics::default(),
            stored_json: ArcSwapOption::empty(),
            body_timeout: DEFAULT_BODY_TIMEOUT,
            allowed_hosts: AllowedHosts::any(),
        }
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

    /// The current snapshot with its flags' stored JSON, rendered again only after the
    /// snapshot changed.
    pub(crate) fn stored_json(&self) -> Arc<StoredJson> {
        let snapshot = self.client.snapshot();
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
