//! The state every handler shares.

use std::sync::Arc;

use arc_swap::ArcSwapOption;
use novi_client::Client;

use crate::{auth::Tokens, metrics::Metrics, render::StoredJson};

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
}

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
