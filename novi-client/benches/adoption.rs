//! How long the migrations take to adopt a large database that Python Novi created: its
//! tables (the DDL its models emit, or the hand-written MySQL shape), with N flags, N
//! activations and 2N links, on every backend whose test server is configured
//! (`NOVI_TEST_POSTGRES_URL`, `NOVI_TEST_MYSQL_URL`; `scripts/test` sets both).
//!
//! `cargo bench -p novi-client --bench adoption` measures 10,000 and 100,000 flags, three runs
//! each, and prints the median; `cargo test --benches` (in `scripts/test`) runs 1,000 flags
//! once, so the benchmark keeps working. Only the migrations are timed, not the loading.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use novi_client::run_migrations;
use novi_testing::{Backend, TestDb};

/// Python Novi's tables on `backend`.
fn python_schema(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => include_str!("../tests/fixtures/python-schema-sqlite.sql"),
        Backend::Postgres => include_str!("../tests/fixtures/python-schema-postgres.sql"),
        Backend::Mysql => include_str!("../tests/fixtures/python-schema-mysql.sql"),
    }
}

/// `n` flags, `n` activations and `2n` links, as multi-row INSERTs of 1,000 rows.
fn rows(n: usize) -> Vec<String> {
    let mut statements = Vec::new();
    let chunks = |rows: Vec<String>, table: &str, columns: &str, out: &mut Vec<String>| {
        for chunk in rows.chunks(1000) {
            out.push(format!(
                "INSERT INTO {table} ({columns}) VALUES {}",
                chunk.join(",")
            ));
        }
    };
    chunks(
        (1..=n)
            .map(|i| format!("({i}, 'activation {i}', 'EnvironmentActivation', '{{\"environments\": [\"production\"]}}')"))
            .collect(),
        "activations",
        "id, name, class_name, config",
        &mut statements,
    );
    chunks(
        (1..=n)
            .map(|i| format!("({i}, 'flag {i}', TRUE)"))
            .collect(),
        "flags",
        "id, name, status",
        &mut statements,
    );
    chunks(
        (1..=n)
            .flat_map(|i| [(i, i), (i, i % n + 1)])
            .map(|(flag, activation)| format!("({flag}, {activation})"))
            .collect(),
        "flags_activations",
        "flag_id, activation_id",
        &mut statements,
    );
    statements
}

/// One adoption: a fresh database with Python's tables and `n` flags, then the migrations,
/// timed.
fn adopt(backend: Backend, statements: &[String]) -> Duration {
    let db = TestDb::new(backend);
    let mut conn = db.conn();
    conn.batch_execute(python_schema(backend)).unwrap();
    conn.batch_execute("BEGIN").unwrap();
    for statement in statements {
        conn.batch_execute(statement).unwrap();
    }
    conn.batch_execute("COMMIT").unwrap();
    let started = Instant::now();
    let ran = run_migrations(&mut conn).unwrap();
    let took = started.elapsed();
    assert!(ran > 0);
    took
}

fn main() {
    novi_activations::link();
    let measuring = std::env::args().any(|arg| arg == "--bench");
    let (sizes, runs): (&[usize], usize) = if measuring {
        (&[10_000, 100_000], 3)
    } else {
        (&[1_000], 1)
    };
    let mut backends = vec![Backend::Sqlite];
    for (backend, var) in [
        (Backend::Postgres, "NOVI_TEST_POSTGRES_URL"),
        (Backend::Mysql, "NOVI_TEST_MYSQL_URL"),
    ] {
        if backend.is_compiled_in() && std::env::var_os(var).is_some() {
            backends.push(backend);
        } else {
            println!(
                "adoption/{backend}: not measured ({var} is not set or the backend is not compiled in)"
            );
        }
    }
    for &n in sizes {
        let statements = rows(n);
        for &backend in &backends {
            let mut times: Vec<Duration> = (0..runs).map(|_| adopt(backend, &statements)).collect();
            times.sort();
            println!(
                "adoption/{backend}/{n} flags, {n} activations, {} links: median {:.3} s of {runs} (min {:.3} s, max {:.3} s)",
                2 * n,
                times[runs / 2].as_secs_f64(),
                times[0].as_secs_f64(),
                times[runs - 1].as_secs_f64(),
            );
        }
    }
}
