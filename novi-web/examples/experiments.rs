//! The measuring side of `scripts/bench-experiments`. Every server it talks to is on 127.0.0.1.
//!
//! ```sh
//! # a variant flag `checkout`, and a running experiment on it: prints the experiment's id
//! cargo run --release -p novi-web --example experiments -- setup PORT
//! # THREADS senders posting batches of 1,000 conversions of exposed users to /events for
//! # SECONDS: events/s
//! cargo run --release -p novi-web --example experiments -- ingest PORT SECONDS THREADS
//! # GET /experiments/ID/results RUNS times: each run's time
//! cargo run --release -p novi-web --example experiments -- results PORT ID RUNS
//! ```

// A measuring tool: its output is the point.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::panic
)]

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use novi_testing::server::{json, request_to};
use serde_json::json;

fn post(port: u16, path: &str, body: &serde_json::Value) -> serde_json::Value {
    let answer = request_to(port, "POST", path, Some(&body.to_string()), &[]);
    assert!(answer.status < 300, "{path}: {answer:?}");
    json(&answer)
}

fn setup(port: u16) {
    let split = post(
        port,
        "/activations",
        &json!({"name": "bench split", "class_name": "VariantActivation", "config": {"variants": [
            {"name": "control", "weight": 50}, {"name": "treatment", "weight": 50}
        ], "stickiness": "userId"}}),
    );
    post(
        port,
        "/flags",
        &json!({"name": "checkout", "status": true, "activations": [split["id"]]}),
    );
    let e = post(
        port,
        "/experiments",
        &json!({"name": "checkout bench", "flag": "checkout", "control": "control", "status": "running",
                "metrics": [{"name": "purchased", "event": "purchase", "kind": "conversion"},
                            {"name": "revenue", "event": "purchase", "kind": "mean"}]}),
    );
    println!("{}", e["id"]);
}

fn ingest(port: u16, seconds: u64, threads: usize) {
    let sent = AtomicU64::new(0);
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let sent = &sent;
            scope.spawn(move || {
                let mut n = 0u64;
                while Instant::now() < until {
                    let events: Vec<_> = (0..1000)
                        .map(|i| {
                            n += 1;
                            // The users the evaluations exposed: each conversion adds to a
                            // unit's total, as in an experiment that runs.
                            json!({"type": "conversion", "event": "purchase", "unit": format!("user-{}", (n * 7919) % 100_000),
                                   "value": (i % 50) as f64, "id": format!("bench-{t}-{n}")})
                        })
                        .collect();
                    let stored = post(port, "/events", &json!({"events": events}));
                    sent.fetch_add(stored["conversions"].as_u64().unwrap(), Ordering::Relaxed);
                }
            });
        }
    });
    let took = started.elapsed().as_secs_f64();
    let n = sent.load(Ordering::Relaxed);
    println!(
        "ingest: {n} events stored in {took:.1} s by {threads} senders (batches of 1,000): {:.0} events/s",
        n as f64 / took
    );
}

fn results(port: u16, id: u64, runs: usize) {
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let answer = request_to(
            port,
            "GET",
            &format!("/experiments/{id}/results"),
            None,
            &[],
        );
        assert_eq!(answer.status, 200, "{answer:?}");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        let body = json(&answer);
        eprintln!("reached {}", body["sample_size"]["reached"]);
    }
    let shown: Vec<String> = times.iter().map(|t| format!("{t:.0} ms")).collect();
    println!("results: {}", shown.join(", "));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port: u16 = args.get(1).and_then(|p| p.parse().ok()).expect("PORT");
    match args.first().map(String::as_str) {
        Some("setup") => setup(port),
        Some("ingest") => ingest(port, args[2].parse().unwrap(), args[3].parse().unwrap()),
        Some("results") => results(port, args[2].parse().unwrap(), args[3].parse().unwrap()),
        _ => panic!("usage: experiments setup|ingest|results PORT ..."),
    }
}
