//! Changes reaching other processes: real `novi-web` replicas over one database (refresh
//! interval 60 s, so only change detection can explain a quick arrival), `/stream` events,
//! `Last-Event-ID` resumption, and clients that stop reading a stream.

#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)] // latencies go to the test output

use std::{
    path::Path,
    time::{Duration, Instant},
};

use novi_testing::{
    Backend, TestDb,
    server::{Spawned, eventually, json, request_to},
    sse::EventStream,
};
use serde_json::Value;

fn start(url: &str, dir: &Path, extra: &[&str]) -> Spawned {
    let mut args = vec![
        "--database-url",
        url,
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "2",
        "--refresh-interval",
        "60",
    ];
    args.extend_from_slice(extra);
    Spawned::start(Path::new(env!("CARGO_BIN_EXE_novi-web")), &args, dir, &[])
}

fn revision(server: &Spawned) -> String {
    json(&server.request("GET", "/health", None))["revision"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A write through replica A is served by replica B, and announced on B's `/stream`, long
/// before B's 60 s refresh; so is a write made with plain SQL where the backend can see one.
fn a_write_reaches_the_other_replica(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let a = start(&db.url, dir.path(), &["--sample-data"]);
    let b = start(&db.url, dir.path(), &[]);
    assert_eq!(revision(&a), revision(&b));
    let mut events = EventStream::open(b.port, "/stream", &[]);
    assert_eq!(events.status, 200, "{}", events.headers);
    assert!(
        events
            .headers
            .to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{}",
        events.headers
    );
    let first = events.next_event(Duration::from_secs(5)).unwrap();
    assert_eq!(first.id.as_deref(), Some(revision(&b).as_str()));
    assert_eq!(first.retry, Some(1000));
    let data: Value = serde_json::from_str(&first.data).unwrap();
    assert_eq!(data["type"], "refetchEvaluation");
    assert_eq!(data["revision"], revision(&b));
    assert_eq!(data["etag"], format!("\"{}\"", revision(&b)));

    for i in 0..5 {
        let name = format!("propagated-{i}");
        let created = a.request(
            "POST",
            "/flags",
            Some(&format!(r#"{{"name": "{name}", "status": true}}"#)),
        );
        assert_eq!(created.status, 201, "{created:?}");
        let path = format!("/flags/{name}");
        let took = eventually(Duration::from_secs(10), "B serves A's write", || {
            b.request("GET", &path, None).status == 200
        });
        eprintln!("{backend}: write {i} served by the other replica after {took:?}");
        let event = events.next_event(Duration::from_secs(10)).unwrap();
        assert_eq!(event.id.as_deref(), Some(revision(&a).as_str()));
        assert_eq!(revision(&a), revision(&b));
    }

    // Writes made outside Novi: PostgreSQL's trigger and SQLite's data_version see them;
    // MySQL's counter does not (the periodic refresh does, not tested here).
    if backend != Backend::Mysql {
        db.execute("UPDATE flags SET status = FALSE WHERE name = 'propagated-0'");
        eventually(
            Duration::from_secs(10),
            "B sees a hand-written update",
            || json(&b.request("GET", "/flags/propagated-0", None))["status"] == false,
        );
        events.next_event(Duration::from_secs(10)).unwrap();
    }
}

#[test]
fn a_write_reaches_the_other_replica_on_postgres() {
    a_write_reaches_the_other_replica(Backend::Postgres);
}

#[test]
fn a_write_reaches_the_other_replica_on_mariadb() {
    a_write_reaches_the_other_replica(Backend::Mysql);
}

#[test]
fn a_write_reaches_the_other_replica_on_sqlite() {
    a_write_reaches_the_other_replica(Backend::Sqlite);
}

#[test]
fn last_event_id_resumes_without_missing_a_revision() {
    let db = TestDb::new(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        &db.url,
        dir.path(),
        &["--sample-data", "--stream-keep-alive", "0.05"],
    );
    let before = revision(&server);

    // Up to date: no event, only keep-alive comments.
    let mut current = EventStream::open(server.port, "/stream", &[("Last-Event-ID", &before)]);
    let deadline = Instant::now() + Duration::from_secs(5);
    match current.next_item(deadline).unwrap() {
        novi_testing::sse::Item::Comment(text) => assert_eq!(text, "keep-alive"),
        other => panic!("an up-to-date client got {other:?}"),
    }
    drop(current);

    // A change while the client was away: a stale Last-Event-ID gets the current revision at
    // once.
    let created = server.request("POST", "/flags", Some(r#"{"name": "while away"}"#));
    assert_eq!(created.status, 201);
    let after = revision(&server);
    assert_ne!(before, after);
    let mut resumed = EventStream::open(server.port, "/stream", &[("Last-Event-ID", &before)]);
    let event = resumed.next_event(Duration::from_secs(5)).unwrap();
    assert_eq!(event.id.as_deref(), Some(after.as_str()));
    // Something that is not a revision counts as stale too.
    let mut garbage = EventStream::open(server.port, "/stream", &[("Last-Event-ID", "evt-1")]);
    assert_eq!(
        garbage.next_event(Duration::from_secs(5)).unwrap().id,
        Some(after)
    );
}

#[test]
fn streams_are_read_routes_and_bounded_in_number() {
    let db = TestDb::new(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        &db.url,
        dir.path(),
        &[
            "--sample-data",
            "--client-token",
            "client-secret-0123",
            "--max-streams",
            "2",
            "--stream-keep-alive",
            "0.05",
        ],
    );
    let refused = EventStream::open(server.port, "/stream", &[]);
    assert_eq!(refused.status, 401, "{}", refused.headers);
    let auth = [("Authorization", "Bearer client-secret-0123")];
    let mut one = EventStream::open(server.port, "/stream", &auth);
    let mut two = EventStream::open(server.port, "/stream", &auth);
    assert!(one.next_event(Duration::from_secs(5)).is_some());
    assert!(two.next_event(Duration::from_secs(5)).is_some());
    let third = request_to(server.port, "GET", "/stream", None, &auth);
    assert_eq!(third.status, 503, "{third:?}");
    assert!(third.headers.to_ascii_lowercase().contains("retry-after"));
    drop(one);
    // The place is given back once the server notices the client left.
    eventually(Duration::from_secs(10), "a place frees up", || {
        let mut again = EventStream::open(server.port, "/stream", &auth);
        again.status == 200 && again.next_event(Duration::from_secs(1)).is_some()
    });
}

/// Clients that connect and never read: the server keeps one pending revision per client, not
/// a queue, and the kernel drops them once their unread data has waited `--stall-timeout`.
#[test]
fn stalled_stream_clients_are_dropped_and_hold_no_memory() {
    let db = TestDb::new(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        &db.url,
        dir.path(),
        &[
            "--sample-data",
            "--stall-timeout",
            "1",
            "--stream-keep-alive",
            "0.02",
        ],
    );
    let pid = server.pid();
    let rss_before = novi_testing::server::rss_kib(pid);
    let stalled: Vec<_> = (0..50)
        .map(|_| novi_testing::sse::stalled_client(server.port, "/stream"))
        .collect();
    let streams = || {
        let metrics = server.request("GET", "/metrics", None).body;
        metrics
            .lines()
            .find_map(|line| line.strip_prefix("novi_stream_clients "))
            .and_then(|value| value.parse::<f64>().ok())
            .unwrap()
    };
    eventually(
        Duration::from_secs(10),
        "the stalled clients connect",
        || streams() == 50.0,
    );
    // 3,000 revisions for clients that read none of them.
    for i in 0..3_000_u32 {
        let status = if i.is_multiple_of(2) { "true" } else { "false" };
        let update = server.request(
            "PUT",
            "/flags/Combo%20OR",
            Some(&format!(r#"{{"status": {status}}}"#)),
        );
        assert_eq!(update.status, 200, "{update:?}");
    }
    // Within 20 s: the default stall timeout (30 s) would not do it, `--stall-timeout 1` does.
    let took = eventually(
        Duration::from_secs(20),
        "the stalled clients are dropped",
        || streams() == 0.0,
    );
    eprintln!("stalled clients dropped within {took:?} of the last write");
    let rss_after = novi_testing::server::rss_kib(pid);
    eprintln!("RSS {rss_before} KiB before, {rss_after} KiB after");
    // A queue per client would hold 3,000 events × 50 clients × ~170 bytes = 25 MB.
    assert!(
        rss_after < rss_before + 12 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    drop(stalled);
}

fn relay(upstream: u16, dir: &Path, extra: &[&str]) -> Spawned {
    let url = format!("http://127.0.0.1:{upstream}");
    let mut args = vec![
        "--upstream",
        url.as_str(),
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "2",
    ];
    args.extend_from_slice(extra);
    Spawned::start(Path::new(env!("CARGO_BIN_EXE_novi-web")), &args, dir, &[])
}

/// A relay of a relay serves what the database server serves, refuses writes with the
/// upstream's URL, rides out the upstream's outage on its last snapshot, catches up when the
/// upstream is back, and a relay started while the upstream is down starts from its backup.
#[test]
fn relays_chain_and_ride_out_an_upstream_outage() {
    let db = TestDb::new(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let origin = start(&db.url, dir.path(), &["--sample-data"]);
    let port = origin.port;
    let backup = dir.path().join("relay-backup.json");
    let backup_arg = backup.display().to_string();
    let first = relay(port, dir.path(), &["--backup-file", &backup_arg]);
    let second = relay(first.port, dir.path(), &[]);

    assert_eq!(revision(&second), revision(&origin));
    assert_eq!(
        second.request("GET", "/flags", None).body,
        origin.request("GET", "/flags", None).body
    );
    let context = r#"{"seed": 7, "variant": "A", "currentDateTime": "11/27/2023 10:00 AM"}"#;
    assert_eq!(
        second
            .request("POST", "/evaluatedFlags", Some(context))
            .body,
        origin
            .request("POST", "/evaluatedFlags", Some(context))
            .body
    );
    assert_eq!(
        second.request("GET", "/snapshot", None).body,
        origin.request("GET", "/snapshot", None).body
    );
    let refused = second.request("POST", "/flags", Some(r#"{"name": "x"}"#));
    assert_eq!(refused.status, 405, "{refused:?}");
    assert_eq!(
        json(&refused)["upstream"],
        format!("http://127.0.0.1:{}", first.port)
    );
    let revert = second.request("POST", "/audit/1/revert", None);
    assert_eq!(revert.status, 405, "{revert:?}");
    assert_eq!(json(&revert)["upstream"], json(&refused)["upstream"]);
    let health = json(&second.request("GET", "/health", None));
    assert_eq!(health["upstream"]["state"], "streaming", "{health}");

    // A write at the origin reaches the relay of the relay, and its stream.
    let mut events = EventStream::open(second.port, "/stream", &[]);
    events.next_event(Duration::from_secs(5)).unwrap();
    let created = origin.request(
        "POST",
        "/flags",
        Some(r#"{"name": "relayed", "status": true}"#),
    );
    assert_eq!(created.status, 201);
    let event = events.next_event(Duration::from_secs(10)).unwrap();
    assert_eq!(event.id.as_deref(), Some(revision(&origin).as_str()));
    assert_eq!(second.request("GET", "/flags/relayed", None).status, 200);

    // The origin stops: both relays go on serving their last snapshot.
    let (status, _) = origin.terminate();
    assert!(status.success());
    eventually(Duration::from_secs(10), "the relay notices", || {
        first.request("GET", "/health", None).status == 503
    });
    let degraded = json(&first.request("GET", "/health", None));
    assert_eq!(degraded["upstream"]["state"], "unreachable", "{degraded}");
    assert_eq!(first.request("GET", "/flags/relayed", None).status, 200);
    assert_eq!(second.request("GET", "/flags/relayed", None).status, 200);

    // A relay started now starts from the backup file.
    let late = relay(port, dir.path(), &["--backup-file", &backup_arg]);
    assert_eq!(late.request("GET", "/flags/relayed", None).status, 200);
    assert_eq!(late.request("GET", "/health", None).status, 503);
    // Without a backup it cannot start.
    let cannot = std::process::Command::new(env!("CARGO_BIN_EXE_novi-web"))
        .args([
            "--upstream",
            &format!("http://127.0.0.1:{port}"),
            "--bind",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!cannot.status.success());
    let said = String::from_utf8_lossy(&cannot.stderr);
    assert!(said.contains("no snapshot to start from"), "{said}");

    // A change made while the origin was down, then the origin back on its port: the relays
    // catch up.
    db.execute("UPDATE flags SET status = FALSE WHERE name = 'relayed'");
    let port_arg = format!("127.0.0.1:{port}");
    let back = Spawned::start(
        Path::new(env!("CARGO_BIN_EXE_novi-web")),
        &[
            "--database-url",
            &db.url,
            "--bind",
            &port_arg,
            "--refresh-interval",
            "60",
        ],
        dir.path(),
        &[],
    );
    for (name, server) in [
        ("relay", &first),
        ("relay of the relay", &second),
        ("late relay", &late),
    ] {
        let took = eventually(Duration::from_secs(10), name, || {
            revision(server) == revision(&back)
        });
        eprintln!("{name} caught up {took:?} after the upstream's return");
        assert_eq!(server.request("GET", "/health", None).status, 200);
    }
    assert_eq!(
        json(&second.request("GET", "/flags/relayed", None))["status"],
        false
    );
}

/// PostgreSQL restarted under a replica whose full refresh is 60 s away: the replica's `LISTEN`
/// connection dies with the server, is noticed, and is made again, so another process's write
/// after the restart still arrives within seconds (only a notification can explain that).
#[test]
fn a_dead_listen_connection_is_made_again() {
    let mut postgres = novi_testing::postgres::Cluster::start();
    let dir = tempfile::tempdir().unwrap();
    let server = start(&postgres.url(), dir.path(), &["--sample-data"]);
    // Another process's writes: a client of its own (the replica hears of them only through
    // PostgreSQL's notification, its full refresh being 60 s away).
    novi_activations::link();
    let writer = novi_client::Client::connect(&postgres.url()).unwrap();
    let set = |status: bool| {
        let update = novi_client::FlagUpdate {
            status: Some(status),
            ..Default::default()
        };
        writer.patch_flag("Combo OR", &update).unwrap();
    };
    set(false);
    eventually(Duration::from_secs(10), "the first write arrives", || {
        json(&server.request("GET", "/flags/Combo%20OR", None))["status"] == false
    });

    postgres.stop();
    eventually(Duration::from_secs(30), "the replica notices", || {
        server.request("GET", "/health", None).status == 503
    });
    postgres.start_again();
    // The watcher comes back (within its 5 s backoff) and refreshes at once.
    eventually(
        Duration::from_secs(20),
        "the replica is healthy again",
        || server.request("GET", "/health", None).status == 200,
    );
    set(true);
    let took = eventually(
        Duration::from_secs(10),
        "a write after the restart arrives",
        || json(&server.request("GET", "/flags/Combo%20OR", None))["status"] == true,
    );
    eprintln!("after the restart, another process's write arrived in {took:?}");
}
