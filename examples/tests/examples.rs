//! The examples run and print what their docs promise. `cargo test` builds them first.

use std::{path::PathBuf, process::Command};

fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/<this test> -> target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("the test binary has a path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    profile_dir.join("examples").join(name)
}

fn run(name: &str) -> String {
    let output = Command::new(example(name))
        .env_remove("NOVI_DATABASE_URL")
        .output()
        .unwrap_or_else(|err| panic!("running example {name}: {err}"));
    assert!(
        output.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

#[test]
fn quickstart_prints_exactly_pythons_two_lines() {
    assert_eq!(
        run("quickstart"),
        "Feature active as of 11/26/2023 12:00 AM\nvariation A\n"
    );
}

#[test]
fn custom_activation_evaluates_the_downstream_activation() {
    assert_eq!(
        run("custom_activation"),
        concat!(
            "{\"country\":\"NO\",\"currentDateTime\":\"2026-12-03\"} -> true (every activation matched)\n",
            "{\"country\":\"fr\",\"currentDateTime\":\"2026-12-03\"} -> false (activation 1 did not match)\n",
            "{\"country\":\"SE\",\"currentDateTime\":\"2026-12-09\"} -> false (activation 2 did not match)\n",
            "{\"country\":46,\"currentDateTime\":\"2026-12-03\"} -> false (activation 1 cannot evaluate the context: context key `country` must be a string, found number)\n",
            "rejected: invalid CountryActivation config: `Norway` is not a two-letter country code; expected {\"countries\": [two-letter country codes]}\n",
        )
    );
}

#[test]
fn registry_example_lists_the_downstream_class() {
    let out = run("registry");
    assert!(out.contains("  CountryActivation\n"), "{out}");
    assert!(
        out.contains("  novi.client.activations.or_activation.OrActivation\n"),
        "{out}"
    );
}

#[test]
fn custom_server_serves_the_downstream_activation() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let server = novi_testing::server::Spawned::start(
        &example("custom_server"),
        &[],
        dir.path(),
        &[("NOVI_BIND", "127.0.0.1:0")],
    );
    let created = server.request(
        "POST",
        "/activations",
        Some(r#"{"name": "Nordics", "class_name": "CountryActivation", "config": {"countries": ["NO", "SE"]}}"#),
    );
    assert_eq!(created.status, 201, "{created:?}");
    let id = serde_json::from_str::<serde_json::Value>(&created.body).expect("JSON")["id"].clone();
    // Flags are created off unless the request says otherwise.
    let flag = server.request(
        "POST",
        "/flags",
        Some(&format!(
            r#"{{"name": "nordic", "status": true, "activations": [{id}]}}"#
        )),
    );
    assert_eq!(flag.status, 201, "{flag:?}");
    let on = server.request(
        "POST",
        "/evaluatedFlags/nordic",
        Some(r#"{"country": "se"}"#),
    );
    assert!(on.body.contains(r#""status":true"#), "{on:?}");
    let (status, _) = server.terminate();
    assert!(status.success());
}

#[test]
fn openfeature_resolves_through_the_novi_provider() {
    assert_eq!(
        run("openfeature"),
        concat!(
            "Random Variant Feature: true (variant A, Split)\n",
            "Combo AND: false (variant off, Default)\n",
            "checkout-button: green (variant green, Split)\n",
            "missing: FLAG_NOT_FOUND, so the default: false\n",
        )
    );
}
