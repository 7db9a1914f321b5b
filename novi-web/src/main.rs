//! The `novi-web` binary: Novi's HTTP server with the built-in activations.

use std::time::Duration;

use clap::Parser;

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

    /// Load Python Novi's sample flags when the database has no flags.
    #[arg(long)]
    sample_data: bool,

    /// Log one line per request (address, request line, status, size, time) at info level.
    #[arg(long)]
    access_log: bool,
}

fn main() -> anyhow::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    novi_activations::link();
    let args = Args::parse();
    let refresh_interval = (args.refresh_interval.is_finite() && args.refresh_interval > 0.0)
        .then(|| Duration::from_secs_f64(args.refresh_interval));
    novi_web::run(novi_web::Config {
        database_url: args.database_url,
        bind: args.bind,
        workers: args.workers,
        refresh_interval,
        sample_data: args.sample_data,
        access_log: args.access_log,
    })
}
