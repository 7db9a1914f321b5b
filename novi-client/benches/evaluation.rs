//! Criterion benchmarks of flag evaluation over a snapshot built from a real SQLite database.
//!
//! Run with `cargo bench -p novi-client --bench evaluation`. `cargo test --benches` runs each
//! benchmark once, so they keep compiling and working; no test asserts a time.

#![allow(clippy::unwrap_used)]

use std::{
    hint::black_box,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    thread,
    time::Duration,
};

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use diesel::connection::SimpleConnection;
use novi_client::{Client, context};

struct Fixture {
    client: Client,
    _dir: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let (client, dir) = novi_testing::hot_path_client();
    Fixture { client, _dir: dir }
}

/// Adds `n` flags (cycling through the activation kinds above) with one SQL script.
fn add_flags(client: &Client, n: usize) {
    let mut sql = String::new();
    for i in 0..n {
        let id = 100 + i;
        sql.push_str(&format!(
            "INSERT INTO flags (id, name, status) VALUES ({id}, 'bulk {i}', TRUE);\n"
        ));
        let activation = 1 + i % 5;
        sql.push_str(&format!(
            "INSERT INTO flags_activations (flag_id, activation_id) VALUES ({id}, {activation});\n"
        ));
    }
    let mut conn = client.connection().unwrap();
    conn.batch_execute(&format!("BEGIN; {sql} COMMIT;"))
        .unwrap();
    client.refresh().unwrap();
}

fn is_enabled(c: &mut Criterion) {
    let fixture = fixture();
    let client = &fixture.client;
    let ctx = context! {"userId": "user-17", "tenant": "tenant-7", "seed": 333, "variant": "A", "currentDateTime": "11/26/2023 12:00 AM"};
    let no_date = context! {"userId": "user-17"};
    let mut group = c.benchmark_group("is_enabled");
    for (flag, ctx) in [
        ("plain", &ctx),
        ("date", &ctx),
        ("date_key_absent", &no_date),
        ("weighted_random", &ctx),
        ("and_of_two", &ctx),
        ("rollout", &ctx),
        ("constraint_in_10", &ctx),
    ] {
        let name = if flag == "date_key_absent" {
            "date"
        } else {
            flag
        };
        group.bench_function(flag, |b| {
            b.iter(|| client.is_enabled(black_box(name), black_box(ctx)))
        });
    }
    group.finish();
}

fn evaluate_all(c: &mut Criterion) {
    let fixture = fixture();
    add_flags(&fixture.client, 94);
    assert_eq!(fixture.client.snapshot().len(), 100);
    let ctx = context! {"userId": "user-17", "tenant": "tenant-7", "seed": 333, "variant": "A"};
    c.bench_function("evaluate_all_100_flags", |b| {
        b.iter(|| {
            fixture
                .client
                .snapshot()
                .evaluate_all(black_box(&ctx))
                .filter(|(_, e)| e.enabled)
                .count()
        })
    });
}

fn snapshot_build(c: &mut Criterion) {
    let mut group = c.benchmark_group("refresh");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let fixture = fixture();
        add_flags(&fixture.client, n);
        group.bench_with_input(BenchmarkId::new("load_and_build", n), &n, |b, _| {
            b.iter(|| fixture.client.refresh().unwrap())
        });
    }
    group.finish();
}

/// A writer refreshes the snapshot every millisecond while two threads evaluate: the reader's
/// cost must not jump (compare with `is_enabled/rollout`).
fn read_while_refreshing(c: &mut Criterion) {
    let fixture = fixture();
    let client = fixture.client.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    {
        let (client, stop) = (client.clone(), Arc::clone(&stop));
        threads.push(thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                client.refresh().unwrap();
                thread::sleep(Duration::from_millis(1));
            }
        }));
    }
    {
        let (client, stop) = (client.clone(), Arc::clone(&stop));
        threads.push(thread::spawn(move || {
            let ctx = context! {"userId": "user-18"};
            while !stop.load(Ordering::Relaxed) {
                black_box(client.is_enabled("rollout", &ctx));
            }
        }));
    }
    let ctx = context! {"userId": "user-17"};
    c.bench_function("is_enabled_while_refreshing/rollout", |b| {
        b.iter(|| client.is_enabled(black_box("rollout"), black_box(&ctx)))
    });
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
}

/// A diamond of Or composites 60 levels high (A_k = Or[A_k-1, B_k-1], B_k = Or[A_k-1, B_k-1])
/// over two leaves that say no: 2^60 paths, 122 activations, each decided once.
fn diamond(c: &mut Criterion) {
    novi_activations::link();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("diamond.db").display());
    let client = Client::builder(&url)
        .unwrap()
        .migrate(true)
        .connect()
        .unwrap();
    let mut conn = client.connection().unwrap();
    conn.batch_execute(&format!("BEGIN; {} COMMIT;", novi_testing::diamond_sql(60)))
        .unwrap();
    drop(conn);
    client.refresh().unwrap();
    let ctx = context! {"environment": "production"};
    assert!(!client.is_enabled("diamond", &ctx));
    c.bench_function("is_enabled/diamond_60", |b| {
        b.iter(|| client.is_enabled(black_box("diamond"), black_box(&ctx)))
    });
}

criterion_group!(
    benches,
    is_enabled,
    diamond,
    evaluate_all,
    snapshot_build,
    read_while_refreshing
);
criterion_main!(benches);
