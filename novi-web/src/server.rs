//! Starting the server: configuration, the client, sample data, binding, and the start-up log.

use std::{
    net::{SocketAddr, ToSocketAddrs},
    time::Duration,
};

use actix_web::{HttpServer, web};
use anyhow::Context as _;
use novi_client::Client;
use novi_remote::RemoteClient;

use crate::{
    app,
    auth::{MIN_TOKEN_LEN, Tokens},
    flags::Flags,
    hosts::AllowedHosts,
    state::AppState,
};

/// Threads per HTTP worker for database work (writes and audit reads).
const BLOCKING_THREADS_PER_WORKER: usize = 8;

/// Python Novi's four sample flags, loaded by `--sample-data` into an empty database.
pub const SAMPLE_DATA: &str = novi_client::SAMPLE_DATA;

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database URL; `None` uses `NOVI_DATABASE_URL`, `DATABASE_URL`, `novi.ini`, then
    /// `sqlite://novi.db`.
    pub database_url: Option<String>,
    /// Where to listen. Loopback by default: opening the server to a network is a decision.
    pub bind: String,
    /// HTTP worker threads; `None` is one per core.
    pub workers: Option<usize>,
    /// How often to reload flags written by other processes; `None` never.
    pub refresh_interval: Option<Duration>,
    /// How long a write may take in all, waits included; past it the answer is 503 with
    /// `Retry-After`.
    pub write_timeout: Duration,
    /// Load `sample_data.sql` when the database has no flags.
    pub sample_data: bool,
    /// Log one line per request (target `novi_web::access`, level `info`).
    pub access_log: bool,
    /// The admin token(s) guarding writes and the client token(s) guarding reads.
    pub tokens: Tokens,
    /// Serve writes without an admin token even on an address beyond loopback.
    pub insecure_open_writes: bool,
    /// The context key OFREP's `targetingKey` is copied to.
    pub targeting_key: String,
    /// How long a request body may take to arrive before the answer is 408.
    pub body_timeout: Duration,
    /// `Host` names the server answers to besides the loopback ones (`localhost`, `127.0.0.1`,
    /// `[::1]`). Bound to loopback, the server answers only those names (a defence against DNS
    /// rebinding); bound beyond loopback, any name unless this lists some.
    pub allowed_hosts: Vec<String>,
    /// How often an idle `/stream` sends a keep-alive comment.
    pub stream_keep_alive: Duration,
    /// The most `/stream` clients at once.
    pub max_streams: usize,
    /// How long a connection may leave sent data unacknowledged (a client that stopped
    /// reading, a peer that vanished) before the kernel drops it (`TCP_USER_TIMEOUT`).
    pub stall_timeout: Duration,
    /// Relay mode: serve the flags of this `novi-web` (or relay) instead of a database's;
    /// writes are refused with the upstream's URL.
    pub upstream: Option<String>,
    /// The client token the upstream asks for.
    pub upstream_token: Option<String>,
    /// Relay mode: keep the last good snapshot here, and start from it when the upstream is
    /// down at start.
    pub backup_file: Option<std::path::PathBuf>,
}

/// How long a connection may leave sent data unacknowledged, unless configured otherwise.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: None,
            bind: "127.0.0.1:8080".to_owned(),
            workers: None,
            refresh_interval: Some(novi_client::DEFAULT_REFRESH_INTERVAL),
            write_timeout: novi_client::DEFAULT_WRITE_TIMEOUT,
            sample_data: false,
            access_log: false,
            tokens: Tokens::default(),
            insecure_open_writes: false,
            targeting_key: crate::state::DEFAULT_TARGETING_KEY.to_owned(),
            body_timeout: crate::state::DEFAULT_BODY_TIMEOUT,
            allowed_hosts: Vec::new(),
            stream_keep_alive: crate::state::DEFAULT_STREAM_KEEP_ALIVE,
            max_streams: crate::state::DEFAULT_MAX_STREAMS,
            stall_timeout: DEFAULT_STALL_TIMEOUT,
            upstream: None,
            upstream_token: None,
            backup_file: None,
        }
    }
}

/// Connects to the configured database, runs the migrations, and loads the sample data when
/// asked and the database has no flags.
pub fn connect(config: &Config) -> anyhow::Result<Client> {
    let client = Client::builder_from_config(config.database_url.as_deref())
        .context("finding the database URL")?
        .migrate(true)
        .refresh_interval(config.refresh_interval)
        .watch_changes(true)
        .record_exposures(true)
        .write_timeout(config.write_timeout)
        .connect()
        .map_err(|err| match err {
            novi_client::Error::BackendNotCompiled { backend } => {
                anyhow::anyhow!(missing_backend(backend))
            }
            other => anyhow::Error::new(other).context("opening the database"),
        })?;
    if config.sample_data
        && client
            .seed_if_empty(SAMPLE_DATA)
            .context("loading the sample data")?
    {
        log::info!("loaded the sample data into the empty database");
    }
    Ok(client)
}

/// What to do about a database URL whose backend this binary was built without.
fn missing_backend(backend: novi_client::Backend) -> String {
    format!(
        "this novi-web was built without {backend} support: build it with `cargo build -p \
         novi-web --features {}` (and `--release` for production)",
        backend.feature()
    )
}

/// Runs the server until SIGINT or SIGTERM, on a runtime of its own.
pub fn run(config: Config) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(serve(config))
}

/// The addresses `config.bind` names.
fn bind_addresses(config: &Config) -> anyhow::Result<Vec<SocketAddr>> {
    Ok(config
        .bind
        .to_socket_addrs()
        .with_context(|| format!("resolving {}", config.bind))?
        .collect())
}

/// The `Host` names to answer: on loopback only the loopback names and those configured; beyond
/// loopback any name, unless some are configured.
fn allowed_hosts(config: &Config) -> anyhow::Result<AllowedHosts> {
    let loopback = bind_addresses(config)?.iter().all(|a| a.ip().is_loopback());
    Ok(if loopback || !config.allowed_hosts.is_empty() {
        AllowedHosts::loopback_and(&config.allowed_hosts)
    } else {
        AllowedHosts::any()
    })
}

/// Refuses to open writes to a network: an address beyond loopback needs an admin token, or
/// `insecure_open_writes`. A relay has no writes to open.
fn check_exposure(config: &Config) -> anyhow::Result<()> {
    if !config.tokens.admin.is_empty() || config.insecure_open_writes || config.upstream.is_some() {
        return Ok(());
    }
    if let Some(open) = bind_addresses(config)?
        .iter()
        .find(|a| !a.ip().is_loopback())
    {
        anyhow::bail!(
            "refusing to serve writes without a token on {open}, which is not loopback: set an \
             admin token (--admin-token or NOVI_ADMIN_TOKEN, at least {MIN_TOKEN_LEN} \
             characters, e.g. `openssl rand -hex 32`), bind to 127.0.0.1, or pass \
             --insecure-open-writes"
        );
    }
    Ok(())
}

/// Runs the server until SIGINT or SIGTERM, on the current actix runtime.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    check_exposure(&config)?;
    let hosts = allowed_hosts(&config)?;
    let (flags, source) = match &config.upstream {
        Some(upstream) => (
            Flags::Relay(relay(&config, upstream)?),
            format!("relay of {upstream}"),
        ),
        None => {
            let client = connect(&config)?;
            let source = format!("{} at {}", client.backend(), client.url());
            (Flags::Database(client), source)
        }
    };
    let n_flags = flags.snapshot().len();
    let state = web::Data::new(
        AppState::from_flags(flags)
            .with_tokens(config.tokens.clone())
            .with_access_log(config.access_log)
            .with_targeting_key(config.targeting_key.clone())
            .with_body_timeout(config.body_timeout)
            .with_allowed_hosts(hosts)
            .with_stream_keep_alive(config.stream_keep_alive)
            .with_max_streams(config.max_streams),
    );
    let stall_timeout = config.stall_timeout;
    let stopping = state.clone();
    let recording = state.flags.database().cloned();
    // Blocking threads run writes (one at a time per process) and audit reads: a few per worker
    // suffice, and a bounded number keeps a burst of writes from spawning hundreds of threads
    // (each write's timeout counts from its request, so queued ones still answer in time).
    let mut server = HttpServer::new(move || app(state.clone()))
        .worker_max_blocking_threads(BLOCKING_THREADS_PER_WORKER)
        .on_connect(move |conn, _| drop_when_stalled(conn, stall_timeout))
        // SIGINT or SIGTERM: end the event streams first, which would otherwise hold the
        // graceful stop until its timeout; requests in flight finish as usual.
        .shutdown_signal(async move {
            stop_requested().await;
            log::info!("stopping: closing event streams, finishing requests in flight");
            stopping.close_streams();
        });
    if let Some(workers) = config.workers {
        server = server.workers(workers.max(1));
    }
    let server = server
        .bind(&config.bind)
        .with_context(|| format!("binding {}", config.bind))?;
    let addresses: Vec<String> = server
        .addrs()
        .iter()
        .map(|a| format!("http://{a}"))
        .collect();
    log::info!(
        "novi-web listening on {} ({source}, {n_flags} flags; activations: {})",
        addresses.join(", "),
        novi_core::registry::names().join(", ")
    );
    server.run().await.context("running the server")?;
    // A graceful stop loses no recorded exposure or event (a kill loses at most the queue).
    if let Some(client) = recording
        && !client.flush_recorded(RECORDER_FLUSH_TIMEOUT)
    {
        log::warn!("recorded exposures could not all be stored before stopping");
    }
    log::info!("novi-web stopped");
    Ok(())
}

/// How long a stopping server waits for its recorded exposures and events to be stored.
const RECORDER_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// Waits for SIGINT or SIGTERM.
async fn stop_requested() {
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                let interrupt = std::pin::pin!(actix_web::rt::signal::ctrl_c());
                let terminate = std::pin::pin!(terminate.recv());
                futures_util::future::select(interrupt, terminate).await;
            }
            Err(err) => {
                log::warn!("cannot listen for SIGTERM, stopping on SIGINT only: {err}");
                let _ = actix_web::rt::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = actix_web::rt::signal::ctrl_c().await;
}

/// How often a relay asks its upstream for the snapshot while the upstream's stream is down:
/// a relay catches up within this long of its upstream's return.
const RELAY_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// The client of a relay's upstream: its first snapshot, from the upstream or the backup file.
fn relay(config: &Config, upstream: &str) -> anyhow::Result<RemoteClient> {
    let mut builder = RemoteClient::builder(upstream).poll_interval(RELAY_POLL_INTERVAL);
    if let Some(token) = &config.upstream_token {
        builder = builder.token(token.clone());
    }
    if let Some(path) = &config.backup_file {
        builder = builder.backup_file(path.clone());
    }
    builder
        .connect()
        .with_context(|| format!("following the upstream {upstream}"))
}

/// Has the kernel drop a connection whose sent data stays unacknowledged for `timeout`: a
/// client that stopped reading a `/stream` (its window stays shut) or vanished. Without it
/// such a connection would be kept for as long as the kernel keeps probing.
fn drop_when_stalled(conn: &dyn std::any::Any, timeout: Duration) {
    let Some(stream) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
    if let Err(err) = socket2::SockRef::from(stream).set_tcp_user_timeout(Some(timeout)) {
        log::debug!("cannot set TCP_USER_TIMEOUT: {err}");
    }
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
    let _ = (stream, timeout);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Token;

    fn config(bind: &str) -> Config {
        Config {
            bind: bind.to_owned(),
            ..Config::default()
        }
    }

    #[test]
    fn a_missing_backend_says_how_to_build_it() {
        assert_eq!(
            missing_backend(novi_client::Backend::Mysql),
            "this novi-web was built without MySQL support: build it with `cargo build -p \
             novi-web --features mysql` (and `--release` for production)"
        );
    }

    #[test]
    fn loopback_servers_answer_loopback_names_and_those_allowed() {
        let loopback = allowed_hosts(&config("127.0.0.1:0")).unwrap();
        assert!(loopback.allows("localhost:8080"));
        assert!(!loopback.allows("attacker.example:8080"));
        let mut named = config("127.0.0.1:0");
        named.allowed_hosts = vec!["flags.internal".to_owned()];
        assert!(allowed_hosts(&named).unwrap().allows("flags.internal:8080"));
        let open = allowed_hosts(&config("0.0.0.0:0")).unwrap();
        assert!(open.is_any());
        let mut open_named = config("0.0.0.0:0");
        open_named.allowed_hosts = vec!["flags.internal".to_owned()];
        let open_named = allowed_hosts(&open_named).unwrap();
        assert!(open_named.allows("flags.internal"));
        assert!(!open_named.allows("attacker.example"));
    }

    #[test]
    fn writes_without_a_token_stay_on_loopback() {
        for bind in ["127.0.0.1:0", "[::1]:0", "localhost:0"] {
            assert!(check_exposure(&config(bind)).is_ok(), "{bind}");
        }
        for bind in ["0.0.0.0:0", "[::]:0"] {
            let refused = check_exposure(&config(bind)).unwrap_err().to_string();
            assert!(refused.contains("--admin-token"), "{refused}");
            assert!(refused.contains("--insecure-open-writes"), "{refused}");

            let mut with_token = config(bind);
            with_token.tokens.admin = vec![Token::parse("0123456789abcdef", "admin").unwrap()];
            assert!(check_exposure(&with_token).is_ok());
            let mut insecure = config(bind);
            insecure.insecure_open_writes = true;
            assert!(check_exposure(&insecure).is_ok());
        }
    }
}
