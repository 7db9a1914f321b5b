//! Prometheus metrics, served as text at `GET /metrics`: requests and their latency per route,
//! method and status; evaluations per flag and result, and per variant; the snapshot's age and
//! size; refresh failures; the database pool.
//!
//! Counting is atomic additions behind read locks that are only written when a new route,
//! status, flag or variant first appears; bulk evaluations count through a table aligned with
//! the snapshot's flags, built once per snapshot, so a 10,000-flag answer costs no lookups.

use std::{
    collections::{BTreeMap, HashMap},
    fmt::Write as _,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
    web,
};
use arc_swap::ArcSwapOption;
use novi_client::{Evaluation, Reason, Snapshot};

use crate::{flags::Flags, routes::MatchedRoute, state::AppState};

/// The latency histogram's upper bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

/// Every counter the server keeps. Every label comes from a bounded set, whatever callers send:
/// routes from the route table (or `unmatched`), methods from the standard ones (or `other`),
/// statuses from the answers the server gives, and flag names from stored flags only.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    /// Per route pattern: per (method, status).
    routes: RwLock<HashMap<&'static str, Vec<RouteEntry>>>,
    /// Per flag name.
    flags: RwLock<HashMap<Box<str>, Arc<FlagCounts>>>,
    /// The flags' counters in the order of the latest snapshot a bulk evaluation saw.
    aligned: ArcSwapOption<Aligned>,
}

/// One method and status of a route, and its latencies.
type RouteEntry = (&'static str, u16, Arc<Latency>);

/// The method as a label: one of the standard methods, or `other` for any method a caller made
/// up (they are unbounded, and each would be a new series).
fn method_label(method: &Method) -> &'static str {
    const STANDARD: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
    ];
    STANDARD
        .into_iter()
        .find(|standard| *standard == method.as_str())
        .unwrap_or("other")
}

#[derive(Debug, Default)]
struct Latency {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

#[derive(Debug, Default)]
pub(crate) struct FlagCounts {
    on: AtomicU64,
    off: AtomicU64,
    error: AtomicU64,
    variants: RwLock<Vec<(Box<str>, AtomicU64)>>,
}

/// A snapshot's flags' counters, index for index.
#[derive(Debug)]
pub(crate) struct Aligned {
    snapshot: Arc<Snapshot>,
    flags: Vec<Arc<FlagCounts>>,
}

impl Aligned {
    /// The counters of the snapshot's flag at `index` (in id order).
    pub(crate) fn flag(&self, index: usize) -> Option<&FlagCounts> {
        self.flags.get(index).map(Arc::as_ref)
    }
}

impl FlagCounts {
    /// Counts one evaluation: its result (`on`, `off`, or `error` when an activation cannot be
    /// built or cannot use the context), and its variant.
    pub(crate) fn count(&self, evaluation: &Evaluation) {
        let result = match evaluation.reason {
            Reason::ActivationError { .. } | Reason::EvaluationError { .. } => &self.error,
            _ if evaluation.enabled => &self.on,
            _ => &self.off,
        };
        result.fetch_add(1, Relaxed);
        let Some(variant) = evaluation.variant.as_deref() else {
            return;
        };
        let name = variant.name.as_str();
        if let Some((_, n)) = read(&self.variants).iter().find(|(v, _)| &**v == name) {
            n.fetch_add(1, Relaxed);
            return;
        }
        let mut variants = write(&self.variants);
        match variants.iter().find(|(v, _)| &**v == name) {
            Some((_, n)) => {
                n.fetch_add(1, Relaxed);
            }
            None => variants.push((name.into(), AtomicU64::new(1))),
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Metrics {
    /// Counts one answered request.
    fn request(&self, method: &'static str, route: &'static str, status: u16, elapsed: Duration) {
        let latency = read(&self.routes).get(route).and_then(|entries| {
            entries
                .iter()
                .find(|(m, s, _)| *m == method && *s == status)
                .map(|(_, _, latency)| latency.clone())
        });
        let latency = latency.unwrap_or_else(|| {
            let mut routes = write(&self.routes);
            let entries = routes.entry(route).or_default();
            match entries
                .iter()
                .find(|(m, s, _)| *m == method && *s == status)
            {
                Some((_, _, latency)) => latency.clone(),
                None => {
                    let latency = Arc::new(Latency::default());
                    entries.push((method, status, latency.clone()));
                    latency
                }
            }
        });
        let seconds = elapsed.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|&le| seconds <= le) {
            latency.buckets[bucket].fetch_add(1, Relaxed);
        }
        latency.count.fetch_add(1, Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        latency.sum_nanos.fetch_add(nanos, Relaxed);
    }

    /// The counters of the flag named `name`.
    fn flag_counts(&self, name: &str) -> Arc<FlagCounts> {
        if let Some(counts) = read(&self.flags).get(name) {
            return counts.clone();
        }
        write(&self.flags).entry(name.into()).or_default().clone()
    }

    /// Counts one evaluation of the flag named `name`.
    pub(crate) fn evaluated(&self, name: &str, evaluation: &Evaluation) {
        if let Some(counts) = read(&self.flags).get(name) {
            counts.count(evaluation);
            return;
        }
        self.flag_counts(name).count(evaluation);
    }

    /// The flags' counters aligned with `snapshot`'s flags, built again only after the snapshot
    /// changed.
    pub(crate) fn aligned(&self, snapshot: &Arc<Snapshot>) -> Arc<Aligned> {
        if let Some(aligned) = self.aligned.load_full()
            && Arc::ptr_eq(&aligned.snapshot, snapshot)
        {
            return aligned;
        }
        let aligned = Arc::new(Aligned {
            snapshot: snapshot.clone(),
            flags: snapshot
                .flags()
                .map(|f| self.flag_counts(&f.name))
                .collect(),
        });
        self.aligned.store(Some(aligned.clone()));
        aligned
    }

    /// Everything, in Prometheus' text format.
    pub(crate) fn render(&self, flags: &Flags, streams: usize) -> String {
        let mut out = String::with_capacity(4096);
        self.render_requests(&mut out);
        self.render_flags(&mut out);
        let snapshot = flags.snapshot();
        let mut gauges: Vec<(&str, &str, &str, f64)> = vec![
            (
                "novi_snapshot_age_seconds",
                "gauge",
                "Seconds since the flags were last read from their source (database or upstream).",
                flags.snapshot_age().as_secs_f64(),
            ),
            (
                "novi_snapshot_flags",
                "gauge",
                "Flags in the snapshot.",
                snapshot.len() as f64,
            ),
            (
                "novi_snapshot_activations",
                "gauge",
                "Activations in the snapshot.",
                snapshot.activations().len() as f64,
            ),
            (
                "novi_refresh_failures_total",
                "counter",
                "Snapshot refreshes that could not read the source (database or upstream).",
                flags.refresh_failures() as f64,
            ),
            (
                "novi_stream_clients",
                "gauge",
                "Clients following /stream now.",
                streams as f64,
            ),
        ];
        if let Some(client) = flags.database() {
            gauges.push((
                "novi_records_dropped_total",
                "counter",
                "Exposures and tracked events dropped: the recording queue was full, or the database refused them.",
                client.dropped_records() as f64,
            ));
        }
        if let Some(pool) = flags.database().map(novi_client::Client::pool_state) {
            gauges.extend([
                (
                    "novi_db_pool_connections",
                    "gauge",
                    "Database connections open.",
                    f64::from(pool.connections),
                ),
                (
                    "novi_db_pool_idle_connections",
                    "gauge",
                    "Database connections open and idle.",
                    f64::from(pool.idle),
                ),
                (
                    "novi_db_pool_max_connections",
                    "gauge",
                    "The most database connections the pool opens.",
                    f64::from(pool.max_size),
                ),
            ]);
        }
        if let Some((_, upstream)) = flags.upstream() {
            gauges.push((
                "novi_upstream_streaming",
                "gauge",
                "1 while this relay follows its upstream's event stream, else 0.",
                f64::from(u8::from(upstream == novi_remote::Upstream::Streaming)),
            ));
            gauges.push((
                "novi_upstream_reachable",
                "gauge",
                "1 while this relay's upstream answers, else 0.",
                f64::from(u8::from(upstream != novi_remote::Upstream::Unreachable)),
            ));
        }
        for (name, kind, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }

    fn render_requests(&self, out: &mut String) {
        out.push_str("# HELP novi_http_requests_total HTTP requests answered, by method, route and status.\n");
        out.push_str("# TYPE novi_http_requests_total counter\n");
        let mut rows = BTreeMap::new();
        for (route, entries) in read(&self.routes).iter() {
            for (method, status, latency) in entries {
                let labels = format!(
                    "method=\"{}\",route=\"{}\",status=\"{status}\"",
                    escape(method),
                    escape(route)
                );
                rows.insert(labels, latency.clone());
            }
        }
        for (labels, latency) in &rows {
            let _ = writeln!(
                out,
                "novi_http_requests_total{{{labels}}} {}",
                latency.count.load(Relaxed)
            );
        }
        out.push_str("# HELP novi_http_request_duration_seconds Time to answer a request (to the response head).\n");
        out.push_str("# TYPE novi_http_request_duration_seconds histogram\n");
        for (labels, latency) in &rows {
            let mut cumulative = 0;
            for (le, bucket) in BUCKETS.iter().zip(&latency.buckets) {
                cumulative += bucket.load(Relaxed);
                let _ = writeln!(
                    out,
                    "novi_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                );
            }
            let count = latency.count.load(Relaxed);
            let sum = latency.sum_nanos.load(Relaxed) as f64 / 1e9;
            let _ = writeln!(
                out,
                "novi_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "novi_http_request_duration_seconds_sum{{{labels}}} {sum}"
            );
            let _ = writeln!(
                out,
                "novi_http_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
    }

    fn render_flags(&self, out: &mut String) {
        let flags: BTreeMap<String, Arc<FlagCounts>> = read(&self.flags)
            .iter()
            .map(|(name, counts)| (escape(name), counts.clone()))
            .collect();
        out.push_str("# HELP novi_flag_evaluations_total Flag evaluations, by flag and result (on, off, error).\n");
        out.push_str("# TYPE novi_flag_evaluations_total counter\n");
        for (flag, counts) in &flags {
            for (result, n) in [
                ("on", &counts.on),
                ("off", &counts.off),
                ("error", &counts.error),
            ] {
                let _ = writeln!(
                    out,
                    "novi_flag_evaluations_total{{flag=\"{flag}\",result=\"{result}\"}} {}",
                    n.load(Relaxed)
                );
            }
        }
        out.push_str("# HELP novi_flag_variant_evaluations_total Evaluations that chose a variant, by flag and variant.\n");
        out.push_str("# TYPE novi_flag_variant_evaluations_total counter\n");
        for (flag, counts) in &flags {
            let mut variants: Vec<(String, u64)> = read(&counts.variants)
                .iter()
                .map(|(name, n)| (escape(name), n.load(Relaxed)))
                .collect();
            variants.sort();
            for (variant, n) in variants {
                let _ = writeln!(
                    out,
                    "novi_flag_variant_evaluations_total{{flag=\"{flag}\",variant=\"{variant}\"}} {n}"
                );
            }
        }
    }
}

/// A label value with `\`, `"` and newlines escaped, as the text format asks.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The middleware that counts every answered request by the route that matched (`unmatched` for
/// paths no route has), its method (`other` when not a standard one) and status.
pub(crate) async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let res = next.call(req).await?;
    let request = res.request();
    if let Some(state) = request.app_data::<web::Data<AppState>>() {
        let route = MatchedRoute::of(request).map_or("unmatched", |route| route.path);
        state.metrics.request(
            method_label(request.method()),
            route,
            res.status().as_u16(),
            started.elapsed(),
        );
    }
    Ok(res)
}
