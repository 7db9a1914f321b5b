//! The real `novi-web` binary, started on an ephemeral port with `--sample-data`, over HTTP.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use novi_testing::server::Spawned;
use serde_json::{Value, json};

#[test]
fn the_binary_serves_the_sample_flags_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let server = Spawned::start(
        Path::new(env!("CARGO_BIN_EXE_novi-web")),
        &[
            "--sample-data",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "2",
            "--access-log",
        ],
        dir.path(),
        &[],
    );
    assert!(
        dir.path().join("novi.db").exists(),
        "the default database is ./novi.db"
    );

    let flags = server.request("GET", "/flags", None);
    assert_eq!(flags.status, 200, "{flags:?}");
    let names: Vec<Value> = serde_json::from_str::<Value>(&flags.body)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            json!("Date Activated Feature"),
            json!("Random Variant Feature"),
            json!("Combo AND"),
            json!("Combo OR")
        ]
    );

    let on = server.request(
        "POST",
        "/evaluatedFlags/Combo%20OR",
        Some(r#"{"seed": 333, "variant": "A"}"#),
    );
    assert_eq!(on.status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&on.body).unwrap()["status"],
        json!(true)
    );

    let created = server.request("POST", "/flags", Some(r#"{"name": "e2e", "status": true}"#));
    assert_eq!(created.status, 201, "{created:?}");
    let evaluated = server.request("POST", "/evaluatedFlags/e2e", None);
    assert_eq!(
        serde_json::from_str::<Value>(&evaluated.body).unwrap()["status"],
        json!(true)
    );

    let missing = server.request("GET", "/nope", None);
    assert_eq!(missing.status, 404);
    assert_eq!(
        serde_json::from_str::<Value>(&missing.body).unwrap()["error"],
        json!("no route for GET /nope")
    );

    let (status, log) = server.terminate();
    assert!(status.success(), "exit status {status}");
    let log = log.join("\n");
    assert!(
        log.contains(r#""GET /flags HTTP/1.1" 200"#),
        "one access-log line per request:\n{log}"
    );
    assert!(log.contains("novi-web stopped"), "{log}");
}

#[test]
fn a_second_start_keeps_the_data_and_does_not_reload_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let binary = Path::new(env!("CARGO_BIN_EXE_novi-web"));
    let first = Spawned::start(
        binary,
        &["--sample-data", "--bind", "127.0.0.1:0"],
        dir.path(),
        &[],
    );
    assert_eq!(
        first.request("DELETE", "/flags/Combo%20OR", None).status,
        204
    );
    let (status, log) = first.terminate();
    assert!(status.success());
    assert!(
        !log.join("\n").contains("DELETE /flags"),
        "no access log without --access-log:\n{log:?}"
    );

    let second = Spawned::start(
        binary,
        &["--sample-data", "--bind", "127.0.0.1:0"],
        dir.path(),
        &[],
    );
    let flags: Value = serde_json::from_str(&second.request("GET", "/flags", None).body).unwrap();
    assert_eq!(
        flags.as_array().unwrap().len(),
        3,
        "the sample data loads only into an empty database"
    );
}

#[test]
fn tokens_never_reach_the_log_or_the_help() {
    const ADMIN: &str = "admin-secret-e2e-0123456789";
    const CLIENT: &str = "client-secret-e2e-0123456789";
    let dir = tempfile::tempdir().unwrap();
    let binary = Path::new(env!("CARGO_BIN_EXE_novi-web"));
    let server = Spawned::start(
        binary,
        &[
            "--sample-data",
            "--bind",
            "127.0.0.1:0",
            "--access-log",
            "--client-token",
            &format!("reader={CLIENT}"),
        ],
        dir.path(),
        &[("NOVI_ADMIN_TOKEN", ADMIN), ("RUST_LOG", "trace")],
    );
    let flags = server.request_with(
        "GET",
        "/flags",
        None,
        &[("Authorization", &format!("Bearer {CLIENT}"))],
    );
    assert_eq!(flags.status, 200, "{flags:?}");
    let open = server.request("GET", "/flags", None);
    assert_eq!(open.status, 401, "{open:?}");
    let created = server.request_with(
        "POST",
        "/flags",
        Some(r#"{"name": "e2e"}"#),
        &[("Authorization", &format!("Bearer {ADMIN}"))],
    );
    assert_eq!(created.status, 201, "{created:?}");
    let wrong = server.request_with(
        "POST",
        "/flags",
        Some(r#"{"name": "e2e-2"}"#),
        &[("Authorization", &format!("Bearer {CLIENT}"))],
    );
    assert_eq!(wrong.status, 403, "{wrong:?}");
    let (status, log) = server.terminate();
    assert!(status.success());
    let log = log.join("\n");
    assert!(log.contains(r#""POST /flags HTTP/1.1" 201"#), "{log}");
    for secret in [ADMIN, CLIENT] {
        assert!(!log.contains(secret), "a token in the log:\n{log}");
    }

    let help = std::process::Command::new(binary)
        .arg("--help")
        .env("NOVI_ADMIN_TOKEN", ADMIN)
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--admin-token"), "{help}");
    assert!(!help.contains(ADMIN), "{help}");
}

#[test]
fn a_short_token_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_novi-web"))
        .args(["--bind", "127.0.0.1:0", "--admin-token", "ops=hunter2"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the token labelled `ops` is shorter than 16 characters"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
