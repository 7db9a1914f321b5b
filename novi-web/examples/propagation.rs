//! The measuring side of `scripts/bench-propagation`: how long a write through one server takes
//! to become visible elsewhere. Every server it talks to is on 127.0.0.1.
//!
//! ```sh
//! # write through WRITER, watch WATCHED's /stream: p50, p99 and max over N writes
//! cargo run --release -p novi-web --example propagation -- stream WRITER_PORT WATCHED_PORT N LABEL
//! # the same, watched by an in-process novi-remote client of WATCHED
//! cargo run --release -p novi-web --example propagation -- remote WRITER_PORT WATCHED_PORT N LABEL
//! # CLIENTS /stream connections to WATCHED (process WATCHED_PID), then one write: WATCHED's
//! # RSS with them, and the time until all saw the write
//! cargo run --release -p novi-web --example propagation -- fanout WRITER_PORT WATCHED_PORT CLIENTS WATCHED_PID
//! ```
//!
//! A write is a `PUT /flags/bench` that flips the flag's status (the flag is created first);
//! its time counts from just before the request is sent, so it includes the write itself (the
//! commit and the writer's own reload). "Visible" is the watched server's `/stream` event for
//! the write's revision, which that server sends once its snapshot holds the write; for the
//! remote client, its own snapshot holding the revision.

// A measuring tool: its output is the point.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::panic
)]

use std::time::{Duration, Instant};

use novi_remote::RemoteClient;
use novi_testing::{server::request_to, sse::EventStream};

fn main() {
    novi_activations::link();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let port = |i: usize| -> u16 { args[i].parse().unwrap() };
    match args.first().map(String::as_str) {
        Some("stream") => stream(port(1), port(2), args[3].parse().unwrap(), &args[4]),
        Some("remote") => remote(port(1), port(2), args[3].parse().unwrap(), &args[4]),
        Some("fanout") => actix_web::rt::System::new().block_on(fanout(
            port(1),
            port(2),
            args[3].parse().unwrap(),
            args[4].parse().unwrap(),
        )),
        _ => panic!(
            "usage: propagation stream|remote WRITER_PORT WATCHED_PORT N LABEL, or fanout WRITER_PORT WATCHED_PORT CLIENTS WATCHED_PID"
        ),
    }
}

/// Creates the flag the writes flip (once), and returns the writer's current revision.
fn prepare(writer: u16) -> String {
    let created = request_to(
        writer,
        "POST",
        "/flags",
        Some(r#"{"name": "bench", "status": false}"#),
        &[],
    );
    assert!(matches!(created.status, 201 | 409), "{created:?}");
    revision(writer)
}

fn revision(port: u16) -> String {
    let health = request_to(port, "GET", "/health", None, &[]);
    let body: serde_json::Value = serde_json::from_str(&health.body).unwrap();
    body["revision"].as_str().unwrap().to_owned()
}

/// Flips the flag; returns when the request was sent and the revision it made.
fn write(writer: u16, i: usize) -> (Instant, String) {
    let status = if i.is_multiple_of(2) { "true" } else { "false" };
    let sent = Instant::now();
    let answer = request_to(
        writer,
        "PUT",
        "/flags/bench",
        Some(&format!(r#"{{"status": {status}}}"#)),
        &[],
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    (sent, revision(writer))
}

fn stream(writer: u16, watched: u16, writes: usize, label: &str) {
    prepare(writer);
    let mut events = EventStream::open(watched, "/stream", &[]);
    events.next_event(Duration::from_secs(10)).unwrap();
    let mut latencies = Vec::with_capacity(writes);
    for i in 0..writes {
        let (sent, made) = write(writer, i);
        loop {
            let event = events
                .next_event(Duration::from_secs(30))
                .unwrap_or_else(|| panic!("{label}: write {i} not announced within 30 s"));
            if event.id.as_deref() == Some(made.as_str()) {
                break;
            }
        }
        latencies.push(sent.elapsed());
        // Apart, so that each write is measured alone.
        std::thread::sleep(Duration::from_millis(20));
    }
    report(label, &mut latencies);
}

fn remote(writer: u16, watched: u16, writes: usize, label: &str) {
    prepare(writer);
    let client = RemoteClient::builder(&format!("http://127.0.0.1:{watched}"))
        .connect()
        .unwrap();
    let started = Instant::now();
    while client.upstream() != novi_remote::Upstream::Streaming {
        assert!(started.elapsed() < Duration::from_secs(10), "no stream");
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut latencies = Vec::with_capacity(writes);
    for i in 0..writes {
        let (sent, made) = write(writer, i);
        while client.revision().to_string() != made {
            assert!(
                sent.elapsed() < Duration::from_secs(30),
                "write {i} not seen"
            );
            std::thread::sleep(Duration::from_micros(200));
        }
        latencies.push(sent.elapsed());
        std::thread::sleep(Duration::from_millis(20));
    }
    report(label, &mut latencies);
}

fn report(label: &str, latencies: &mut [Duration]) {
    latencies.sort();
    let at = |q: f64| {
        let i = ((latencies.len() as f64 * q).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i].as_secs_f64() * 1000.0
    };
    println!(
        "{label:<34} writes {:>4}  p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms",
        latencies.len(),
        at(0.50),
        at(0.99),
        latencies.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    );
}

/// `clients` streams on `watched`, each read by a task of its own; one write; the time until
/// every stream has its event.
async fn fanout(writer: u16, watched: u16, clients: usize, watched_pid: u32) {
    use actix_web::rt::{net::TcpStream as AsyncStream, spawn};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader as AsyncReader};

    prepare(writer);
    let (seen_tx, mut seen_rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let target = std::sync::Arc::new(tokio::sync::OnceCell::<String>::new());
    let connect_started = Instant::now();
    for _ in 0..clients {
        let seen = seen_tx.clone();
        let ready = ready_tx.clone();
        let target = target.clone();
        spawn(async move {
            let mut socket = AsyncStream::connect(("127.0.0.1", watched)).await.unwrap();
            socket
                .write_all(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .await
                .unwrap();
            let mut lines = AsyncReader::new(socket).lines();
            let mut first = true;
            while let Ok(Some(line)) = lines.next_line().await {
                let Some(id) = line.strip_prefix("id: ") else {
                    continue;
                };
                if first {
                    first = false;
                    let _ = ready.send(());
                    continue;
                }
                if target.get().is_some_and(|target| target == id) {
                    let _ = seen.send(Instant::now());
                    break;
                }
            }
            // Keep the connection until the measurement ends.
            std::future::pending::<()>().await;
        });
    }
    for _ in 0..clients {
        ready_rx.recv().await.unwrap();
    }
    let connected = connect_started.elapsed();
    let rss = novi_testing::server::rss_kib(watched_pid);
    let (sent, made) = actix_web::rt::task::spawn_blocking(move || write(writer, 0))
        .await
        .unwrap();
    target.set(made).unwrap();
    let mut last = sent;
    for _ in 0..clients {
        last = last.max(seen_rx.recv().await.unwrap());
    }
    println!(
        "fan-out: {clients} /stream clients connected in {:.1} s; relay RSS {:.1} MiB with them; all saw one write {:.1} ms after it was sent",
        connected.as_secs_f64(),
        rss as f64 / 1024.0,
        last.duration_since(sent).as_secs_f64() * 1000.0
    );
}
