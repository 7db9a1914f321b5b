//! Novi through a real OpenFeature client: the official `@openfeature/server-sdk` and
//! `@openfeature/ofrep-provider`, installed from npm into a temporary folder, evaluate boolean,
//! string, number and object flags, a rollout and a missing flag against the `novi-web`
//! binary, with a client token.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::{path::Path, process::Command};

use novi_testing::server::Spawned;
use serde_json::{Value, json};

const ADMIN: &str = "ops=admin-secret-0123456789";
const CLIENT: &str = "app=client-secret-0123456789";

fn run(command: &mut Command) -> String {
    let out = command.output().unwrap_or_else(|err| {
        panic!("{command:?}: {err} (scripts/install-deps installs Node.js and npm)")
    });
    assert!(
        out.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A temporary Node project with `packages` installed from npm and the script
/// `tests/ofrep-node/{script}` copied in; returns the folder and the script's path.
fn node_project(packages: &[&str], script: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let node = tempfile::tempdir().unwrap();
    std::fs::write(
        node.path().join("package.json"),
        r#"{"private": true, "type": "module"}"#,
    )
    .unwrap();
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .args(packages)
        .current_dir(node.path()));
    let copied = node.path().join(script);
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/ofrep-node")
            .join(script),
        &copied,
    )
    .unwrap();
    (node, copied)
}

#[test]
fn the_openfeature_node_sdk_evaluates_novi_flags_over_ofrep() {
    let (node, script) = node_project(
        &[
            "@openfeature/server-sdk@^1.17",
            "@openfeature/ofrep-provider@^0.1",
        ],
        "evaluate.mjs",
    );

    let dir = tempfile::tempdir().unwrap();
    let server = Spawned::start(
        Path::new(env!("CARGO_BIN_EXE_novi-web")),
        &["--sample-data", "--bind", "127.0.0.1:0", "--workers", "1"],
        dir.path(),
        &[("NOVI_ADMIN_TOKEN", ADMIN), ("NOVI_CLIENT_TOKEN", CLIENT)],
    );
    let setup: Vec<Value> =
        serde_json::from_str(include_str!("fixtures/ofrep_flags.json")).unwrap();
    for step in &setup {
        let created = server.request_with(
            "POST",
            step["path"].as_str().unwrap(),
            Some(&step["body"].to_string()),
            &[("Authorization", "Bearer admin-secret-0123456789")],
        );
        assert_eq!(created.status, 201, "{created:?}");
    }

    let output = run(Command::new("node")
        .arg(&script)
        .env("NOVI_URL", format!("http://127.0.0.1:{}", server.port))
        .env("NOVI_TOKEN", "client-secret-0123456789")
        .current_dir(node.path()));
    let details: Value =
        serde_json::from_str(&output).unwrap_or_else(|err| panic!("{err}: {output}"));
    let summary = |name: &str| {
        let d = &details[name];
        (
            d["value"].clone(),
            d["variant"].clone(),
            d["reason"].clone(),
            d["errorCode"].clone(),
        )
    };
    for (name, expected) in [
        (
            "plain",
            (json!(true), json!("on"), json!("STATIC"), Value::Null),
        ),
        (
            "off",
            (json!(false), json!("off"), json!("DISABLED"), Value::Null),
        ),
        (
            "rollout",
            (
                json!(true),
                json!("on"),
                json!("TARGETING_MATCH"),
                Value::Null,
            ),
        ),
        (
            "nobody",
            (json!(false), json!("off"), json!("DEFAULT"), Value::Null),
        ),
        (
            "colour",
            (json!("blue"), json!("blue"), json!("SPLIT"), Value::Null),
        ),
        (
            "limit",
            (json!(12.5), json!("high"), json!("SPLIT"), Value::Null),
        ),
        (
            "pricing",
            (
                json!({"price": 9, "currency": "EUR"}),
                json!("cheap"),
                json!("SPLIT"),
                Value::Null,
            ),
        ),
        (
            "missing",
            (
                json!(true),
                Value::Null,
                json!("ERROR"),
                json!("FLAG_NOT_FOUND"),
            ),
        ),
        (
            "wrongType",
            (
                json!("fallback"),
                Value::Null,
                json!("ERROR"),
                json!("TYPE_MISMATCH"),
            ),
        ),
    ] {
        assert_eq!(summary(name), expected, "{name}: {}", details[name]);
    }
    assert_eq!(
        details["pricing"]["flagMetadata"]["noviReason"],
        "all_matched"
    );

    // The rollout through OpenFeature puts each user where Novi's own route does.
    for (user, on) in details["half"].as_object().unwrap() {
        let novi = server.request_with(
            "POST",
            "/evaluatedFlags/half",
            Some(&json!({"userId": user}).to_string()),
            &[("X-API-Key", "client-secret-0123456789")],
        );
        assert_eq!(
            serde_json::from_str::<Value>(&novi.body).unwrap()["status"],
            *on,
            "{user}"
        );
    }
    let ons = details["half"]
        .as_object()
        .unwrap()
        .values()
        .filter(|v| **v == json!(true))
        .count();
    assert!(
        (3..=17).contains(&ons),
        "a 50% rollout put {ons} of 20 users in"
    );

    let (status, log) = server.terminate();
    assert!(status.success(), "{log:?}");
}

/// The official OFREP web provider (`@openfeature/ofrep-web-provider`, which implements ADR-0008's
/// event streams) connects to the `/stream` the bulk answer advertises under `eventStreams`
/// and re-fetches on its `refetchEvaluation` event: a change arrives with polling off. Reads
/// are open here: a browser's `EventSource` cannot send a token.
#[test]
fn the_ofrep_web_provider_follows_the_event_stream() {
    let (node, script) = node_project(
        &[
            "@openfeature/web-sdk@^1.10",
            "@openfeature/ofrep-web-provider@^0.4.3",
        ],
        "stream.mjs",
    );

    let dir = tempfile::tempdir().unwrap();
    let server = Spawned::start(
        Path::new(env!("CARGO_BIN_EXE_novi-web")),
        &["--sample-data", "--bind", "127.0.0.1:0", "--workers", "1"],
        dir.path(),
        &[("NOVI_ADMIN_TOKEN", ADMIN)],
    );
    let admin = [("Authorization", "Bearer admin-secret-0123456789")];
    let created = server.request_with(
        "POST",
        "/flags",
        Some(r#"{"name": "streamed", "status": false}"#),
        &admin,
    );
    assert_eq!(created.status, 201, "{created:?}");
    let bulk = server.request("POST", "/ofrep/v1/evaluate/flags", Some("{}"));
    let bulk: Value = serde_json::from_str(&bulk.body).unwrap();
    // The URL is the request's own scheme and Host (this raw client sends `Host: 127.0.0.1`).
    assert_eq!(
        bulk["eventStreams"][0]["url"],
        json!("http://127.0.0.1/stream")
    );
    assert_eq!(bulk["eventStreams"][0]["type"], json!("sse"));
    assert_eq!(bulk["eventStreams"], bulk["refreshConnections"]);

    let output = run(Command::new("node")
        .arg("--experimental-eventsource")
        .arg(&script)
        .env("NOVI_URL", format!("http://127.0.0.1:{}", server.port))
        .env("NOVI_ADMIN", "admin-secret-0123456789")
        .current_dir(node.path()));
    let result: Value =
        serde_json::from_str(&output).unwrap_or_else(|err| panic!("{err}: {output}"));
    assert_eq!(result["before"], json!(false), "{result}");
    assert_eq!(result["sawChange"], json!(true), "{result}");
    assert_eq!(result["after"], json!(true), "{result}");
}
