//! `novi-web` processes over real database servers: a PostgreSQL outage (the test's own server,
//! stopped and started again), and two replicas sharing one PostgreSQL and one MariaDB.

#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)] // timings go to the test output

use std::{path::Path, thread, time::Duration};

use novi_testing::{
    Backend, TestDb,
    postgres::Cluster,
    server::{Spawned, eventually, json, request_to},
};
use serde_json::json;

fn start(url: &str, dir: &Path, extra: &[&str]) -> Spawned {
    let mut args = vec![
        "--database-url",
        url,
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "2",
        "--refresh-interval",
        "1",
    ];
    args.extend_from_slice(extra);
    Spawned::start(Path::new(env!("CARGO_BIN_EXE_novi-web")), &args, dir, &[])
}

#[test]
fn a_postgres_outage_keeps_evaluations_answering_and_heals_by_itself() {
    let mut postgres = Cluster::start();
    let dir = tempfile::tempdir().unwrap();
    let server = start(&postgres.url(), dir.path(), &["--sample-data"]);

    let health = server.request("GET", "/health", None);
    assert_eq!(
        (health.status, json(&health)["status"].clone()),
        (200, json!("ok"))
    );
    let reads = [
        ("GET", "/flags", None),
        ("GET", "/flags/Combo%20OR", None),
        (
            "POST",
            "/evaluatedFlags",
            Some(r#"{"seed": "u-1", "variant": "A"}"#),
        ),
        (
            "POST",
            "/evaluatedFlags/Random%20Variant%20Feature",
            Some(r#"{"seed": "u-1", "variant": "A"}"#),
        ),
        ("GET", "/activations", None),
    ];
    let before: Vec<String> = reads
        .iter()
        .map(|&(method, path, body)| {
            let response = server.request(method, path, body);
            assert_eq!(response.status, 200, "{method} {path}: {response:?}");
            response.body
        })
        .collect();

    postgres.stop();
    eventually(
        Duration::from_secs(30),
        "/health reports the outage",
        || server.request("GET", "/health", None).status == 503,
    );
    let degraded = json(&server.request("GET", "/health", None));
    assert_eq!(degraded["status"], "degraded");
    assert!(
        degraded["snapshot_age_seconds"].as_f64().unwrap() >= 0.0,
        "{degraded}"
    );
    assert_eq!(degraded["flags"], 4);
    let metrics = server.request("GET", "/metrics", None);
    assert_eq!(metrics.status, 200);
    let failures: f64 = metrics
        .body
        .lines()
        .find_map(|line| line.strip_prefix("novi_refresh_failures_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(failures >= 1.0, "{}", metrics.body);

    // Evaluations and reads answer from the last snapshot, exactly as before, throughout.
    for round in 0..50 {
        for (&(method, path, body), expected) in reads.iter().zip(&before) {
            let response = server.request(method, path, body);
            assert_eq!(
                (response.status, &response.body),
                (200, expected),
                "round {round}: {method} {path} during the outage"
            );
        }
    }
    // Writes fail cleanly (the pool's checkout timeout, 5 s, bounds each) and change nothing.
    for (method, path, body) in [
        ("POST", "/flags", Some(r#"{"name": "during the outage"}"#)),
        ("PUT", "/flags/Combo%20OR", Some(r#"{"status": false}"#)),
        ("DELETE", "/flags/Combo%20AND", None),
        (
            "POST",
            "/activations",
            Some(
                r#"{"name": "x", "class_name": "EnvironmentActivation", "config": "{\"environments\": [\"a\"]}"}"#,
            ),
        ),
        ("GET", "/audit", None),
    ] {
        let response = server.request(method, path, body);
        assert_eq!(response.status, 503, "{method} {path}: {response:?}");
        assert!(json(&response)["error"].is_string(), "{response:?}");
    }
    assert_eq!(server.request("GET", "/flags", None).body, before[0]);

    postgres.start_again();
    let healed = eventually(Duration::from_secs(30), "refresh resumes", || {
        server.request("GET", "/health", None).status == 200
    });
    eprintln!("healthy again {healed:?} after the restart");
    let created = server.request(
        "POST",
        "/flags",
        Some(r#"{"name": "after the outage", "activations": [4]}"#),
    );
    assert_eq!(created.status, 201, "{created:?}");
    let flags = json(&server.request("GET", "/flags", None));
    let names: Vec<&str> = flags
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Date Activated Feature",
            "Random Variant Feature",
            "Combo AND",
            "Combo OR",
            "after the outage"
        ],
        "the failed writes left nothing behind"
    );
    let audit = json(&server.request("GET", "/audit", None));
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1, "{audit}");

    let (status, log) = server.terminate();
    assert!(status.success(), "{log:?}");
}

/// Two replicas on one database: each serves the other's writes within the refresh interval,
/// and concurrent writes through both lose nothing.
fn two_replicas_share_one_database(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let first = start(&db.url, dir.path(), &["--sample-data"]);
    let second = start(&db.url, dir.path(), &[]);
    let ports = [first.port, second.port];

    // A write through one is served by the other after at most a refresh interval (1 s).
    let put = first.request("PUT", "/flags/Combo%20OR", Some(r#"{"status": false}"#));
    assert_eq!(put.status, 200, "{put:?}");
    let seen = eventually(
        Duration::from_secs(10),
        "the other replica serves the write",
        || json(&second.request("GET", "/flags/Combo%20OR", None))["status"] == json!(false),
    );
    eprintln!("{backend}: the second replica served the write after {seen:?}");
    let evaluated = second.request("POST", "/evaluatedFlags/Combo%20OR", Some("{}"));
    assert_eq!(json(&evaluated)["status"], json!(false));

    // The same name created through both at once: one 201, one 409, ten times.
    for round in 0..10 {
        let body = json!({"name": format!("race {round}"), "activations": [1, 2]}).to_string();
        let statuses: Vec<u16> = thread::scope(|scope| {
            let handles: Vec<_> = ports
                .iter()
                .map(|&port| {
                    let body = &body;
                    scope.spawn(move || request_to(port, "POST", "/flags", Some(body), &[]).status)
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = statuses.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, [201, 409], "round {round}: {statuses:?}");
    }

    // Distinct writes through both at once: every one lands, with its links.
    thread::scope(|scope| {
        for (replica, &port) in ports.iter().enumerate() {
            scope.spawn(move || {
                for i in 0..15 {
                    let body = json!({"name": format!("r{replica}-{i}"), "activations": [2, 4]})
                        .to_string();
                    let created = request_to(port, "POST", "/flags", Some(&body), &[]);
                    assert_eq!(created.status, 201, "{created:?}");
                    let put = request_to(
                        port,
                        "PUT",
                        &format!("/flags/r{replica}-{i}"),
                        Some(r#"{"status": false}"#),
                        &[],
                    );
                    assert_eq!(put.status, 200, "{put:?}");
                }
            });
        }
    });
    let expected_flags = 4 + 10 + 30;
    for server in [&first, &second] {
        eventually(
            Duration::from_secs(10),
            "both replicas serve every flag",
            || {
                let flags = json(&server.request("GET", "/flags", None));
                let flags = flags.as_array().unwrap();
                flags.len() == expected_flags
                    && flags
                        .iter()
                        .filter(|f| is_distinct_write(f["name"].as_str().unwrap()))
                        .all(|f| f["status"] == json!(false))
            },
        );
        let flags = json(&server.request("GET", "/flags", None));
        let mut ids: Vec<i64> = flags
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), expected_flags, "unique ids");
        for flag in flags.as_array().unwrap() {
            let name = flag["name"].as_str().unwrap();
            let activations: Vec<i64> = flag["activations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_i64().unwrap())
                .collect();
            if is_distinct_write(name) {
                assert_eq!(
                    (activations, &flag["status"]),
                    (vec![2, 4], &json!(false)),
                    "{name}"
                );
            } else if name.starts_with("race") {
                assert_eq!(activations, [1, 2], "{name}");
            }
        }
        let links: usize = flags
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["activations"].as_array().unwrap().len())
            .sum();
        assert_eq!(links, 4 + 10 * 2 + 30 * 2, "no duplicate or lost links");
    }
    let audit = json(&first.request("GET", "/audit?limit=500", None));
    assert_eq!(
        audit["entries"].as_array().unwrap().len(),
        1 + 10 + 60,
        "one audit row per successful write"
    );

    for server in [first, second] {
        let (status, log) = server.terminate();
        assert!(status.success(), "{log:?}");
    }
}

/// The flags the distinct concurrent writes create (`r0-…`, `r1-…`).
fn is_distinct_write(name: &str) -> bool {
    name.starts_with("r0-") || name.starts_with("r1-")
}

#[test]
fn two_replicas_on_postgres() {
    two_replicas_share_one_database(Backend::Postgres);
}

#[test]
fn two_replicas_on_mariadb() {
    two_replicas_share_one_database(Backend::Mysql);
}
