//! The `novi-web` binary: Novi's HTTP server with the built-in activations.

use std::time::Duration;

use clap::Parser;
use novi_web::{Token, Tokens};

/// Novi's HTTP server: Python Novi's API plus authoring, over SQLite, PostgreSQL or MySQL.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Database URL (sqlite://path, postgres://…, mysql://…). Without it: $NOVI_DATABASE_URL,
    /// $DATABASE_URL, novi.ini's [database] url, then sqlite://novi.db.
    #[arg(long)]
    database_url: Option<String>,

    /// Address to listen on. Anything but loopback exposes the server to the network.
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,

    /// HTTP worker threads (default: one per core).
    #[arg(long)]
    workers: Option<usize>,

    /// Seconds between reloads of flags written by other processes (0: never).
    #[arg(long, default_value_t = 5.0)]
    refresh_interval: f64,

    /// Seconds a write may take in all, waiting for its turn and the database's write lock
    /// included; past it the answer is 503 with `Retry-After` and nothing is written.
    #[arg(long, default_value_t = novi_client::DEFAULT_WRITE_TIMEOUT.as_secs_f64())]
    write_timeout: f64,

    /// Load Python Novi's sample flags when the database has no flags.
    #[arg(long)]
    sample_data: bool,

    /// Log one line per request (address, request line, status, size, time) at info level.
    #[arg(long)]
    access_log: bool,

    /// Token for the write routes and /audit, as `LABEL=SECRET` or `SECRET` (label `admin`).
    /// Repeat it, or separate with commas, for several. Sent as `Authorization: Bearer SECRET`.
    /// A secret holding `=` (other than base64 padding) needs its label: `admin=SECRET`.
    #[arg(
        long,
        env = "NOVI_ADMIN_TOKEN",
        hide_env_values = true,
        value_delimiter = ','
    )]
    admin_token: Vec<String>,

    /// Token for the read and evaluation routes (`LABEL=SECRET` or `SECRET`, label `client`).
    /// Without one, those routes are open.
    #[arg(
        long,
        env = "NOVI_CLIENT_TOKEN",
        hide_env_values = true,
        value_delimiter = ','
    )]
    client_token: Vec<String>,

    /// Allow writes without an admin token on an address beyond loopback.
    #[arg(long)]
    insecure_open_writes: bool,

    /// The context key that OpenFeature's `targetingKey` (OFREP routes) is copied to, unless
    /// the context sets it itself.
    #[arg(long, default_value = novi_web::DEFAULT_TARGETING_KEY)]
    targeting_key: String,

    /// A `Host` name to answer besides localhost, 127.0.0.1 and [::1] (repeat it, or separate
    /// with commas). Bound to loopback, other names get 421: a defence against DNS rebinding.
    /// Bound beyond loopback, every name is answered unless some are given here.
    #[arg(
        long = "allowed-host",
        env = "NOVI_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    allowed_hosts: Vec<String>,

    /// Seconds a request body may take to arrive; slower bodies are answered 408 and their
    /// connection closed.
    #[arg(long, default_value_t = novi_web::DEFAULT_BODY_TIMEOUT.as_secs_f64())]
    body_timeout: f64,

    /// Seconds between keep-alive comments on an idle /stream.
    #[arg(long, default_value_t = novi_web::DEFAULT_STREAM_KEEP_ALIVE.as_secs_f64())]
    stream_keep_alive: f64,

    /// The most /stream clients served at once; more are answered 503.
    #[arg(long, default_value_t = novi_web::DEFAULT_MAX_STREAMS)]
    max_streams: usize,

    /// Seconds a connection may leave sent data unacknowledged (a client that stopped reading
    /// its /stream, a vanished peer) before it is dropped.
    #[arg(long, default_value_t = novi_web::DEFAULT_STALL_TIMEOUT.as_secs_f64())]
    stall_timeout: f64,

    /// Relay mode: serve every read, evaluation, OFREP, /snapshot and /stream route from this
    /// novi-web (or relay), without a database. Writes answer 405 with the upstream's URL.
    #[arg(long)]
    upstream: Option<String>,

    /// The client token the upstream asks for.
    #[arg(long, env = "NOVI_UPSTREAM_TOKEN", hide_env_values = true)]
    upstream_token: Option<String>,

    /// Relay mode: keep the last good snapshot in this file, and start from it when the
    /// upstream is down at start.
    #[arg(long)]
    backup_file: Option<std::path::PathBuf>,
}

fn tokens(specs: &[String], label: &str) -> anyhow::Result<Vec<Token>> {
    specs
        .iter()
        .map(|spec| Token::parse(spec, label).map_err(anyhow::Error::from))
        .collect()
}

/// A positive, finite number of seconds.
fn seconds(option: &str, value: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            anyhow::anyhow!("{option} must be a positive number of seconds, not {value}")
        })
}

/// glibc's allocator, kept from hoarding memory. Each write rebuilds the snapshot, and under a
/// long mix of reads and writes glibc's arenas kept the freed memory (the Rust heap stays
/// flat: `novi-web/tests/heap.rs`): the resident size crept up by about 170 KiB a minute. Two
/// arenas instead of one per thread, and handing free pages back to the system every ten
/// seconds, keep it level (BENCHMARKS.md, "Memory over time").
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc_malloc {
    use std::{thread, time::Duration};

    /// How often free memory is handed back.
    const TRIM_EVERY: Duration = Duration::from_secs(10);

    /// Limits the arenas (before any thread starts) and starts the thread that trims.
    pub(crate) fn tame() {
        // SAFETY: `mallopt` only changes glibc's allocator settings; it is called once, before
        // the server starts any thread.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
        let spawned = thread::Builder::new()
            .name("novi-malloc-trim".to_owned())
            .spawn(|| {
                loop {
                    thread::sleep(TRIM_EVERY);
                    // SAFETY: `malloc_trim` takes each arena's lock while it hands free pages
                    // back; it frees nothing that is in use.
                    #[allow(unsafe_code)]
                    unsafe {
                        libc::malloc_trim(0);
                    }
                }
            });
        if let Err(err) = spawned {
            log::warn!("cannot start the thread that trims the allocator: {err}");
        }
    }
}

fn main() -> anyhow::Result<()> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    glibc_malloc::tame();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    novi_activations::link();
    let args = Args::parse();
    let refresh_interval = (args.refresh_interval.is_finite() && args.refresh_interval > 0.0)
        .then(|| Duration::from_secs_f64(args.refresh_interval));
    let tokens = Tokens {
        admin: tokens(&args.admin_token, "admin")?,
        client: tokens(&args.client_token, "client")?,
    };
    novi_web::run(novi_web::Config {
        database_url: args.database_url,
        bind: args.bind,
        workers: args.workers,
        refresh_interval,
        write_timeout: seconds("--write-timeout", args.write_timeout)?,
        sample_data: args.sample_data,
        access_log: args.access_log,
        tokens,
        insecure_open_writes: args.insecure_open_writes,
        targeting_key: args.targeting_key,
        body_timeout: seconds("--body-timeout", args.body_timeout)?,
        allowed_hosts: args.allowed_hosts,
        stream_keep_alive: seconds("--stream-keep-alive", args.stream_keep_alive)?,
        max_streams: args.max_streams,
        stall_timeout: seconds("--stall-timeout", args.stall_timeout)?,
        upstream: args.upstream,
        upstream_token: args.upstream_token,
        backup_file: args.backup_file,
    })
}
