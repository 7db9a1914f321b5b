//! `novi-remote`'s client against a real `novi-web`: the same answers as the server, changes
//! followed over the stream, a token required, classes it lacks failing closed, and starts
//! with the server down (from a backup file, and without one).

#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)]

use std::{path::Path, time::Duration};

use novi_core::Context;
use novi_remote::{RemoteClient, Upstream, error::Error};
use novi_snapshot::snapshot::Reason;
use novi_testing::{
    Backend, TestDb,
    server::{Spawned, eventually},
};
use serde_json::{Value, json};

const TOKEN: &str = "client-secret-0123";

fn start(url: &str, dir: &Path, extra: &[&str]) -> Spawned {
    let mut args = vec![
        "--database-url",
        url,
        "--bind",
        "127.0.0.1:0",
        "--refresh-interval",
        "60",
        "--client-token",
        TOKEN,
    ];
    args.extend_from_slice(extra);
    Spawned::start(Path::new(env!("CARGO_BIN_EXE_novi-web")), &args, dir, &[])
}

#[test]
fn a_remote_client_answers_as_the_server_and_follows_it() {
    novi_activations::link();
    let db = TestDb::new(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let server = start(&db.url, dir.path(), &["--sample-data"]);
    let url = format!("http://127.0.0.1:{}", server.port);
    let auth = [("Authorization", "Bearer client-secret-0123")];

    // No token, a wrong token: refused at once, whatever the backup.
    let refused = RemoteClient::builder(&url).connect().unwrap_err();
    assert!(
        matches!(refused, Error::Status { status: 401, .. }),
        "{refused}"
    );
    assert!(!refused.to_string().contains(TOKEN));

    let backup = dir.path().join("backup.json");
    let remote = RemoteClient::builder(&url)
        .token(TOKEN)
        .backup_file(&backup)
        .connect()
        .unwrap();
    assert!(backup.exists());
    for context in [
        json!({"seed": 1, "variant": "A", "currentDateTime": "11/27/2023 10:00 AM"}),
        json!({"seed": 2, "variant": "B", "currentDateTime": "01/01/2020 10:00 AM"}),
    ] {
        let served = novi_testing::server::request_to(
            server.port,
            "POST",
            "/evaluatedFlags",
            Some(&context.to_string()),
            &auth,
        );
        let served: Value = serde_json::from_str(&served.body).unwrap();
        let ctx = Context::try_from(context.clone()).unwrap();
        for flag in served.as_array().unwrap() {
            let name = flag["name"].as_str().unwrap();
            assert_eq!(
                json!(remote.is_enabled(name, &ctx)),
                flag["status"],
                "{name}"
            );
        }
    }

    // A change at the server reaches the client through the stream.
    eventually(Duration::from_secs(10), "the stream opens", || {
        remote.upstream() == Upstream::Streaming
    });
    let revisions = remote.subscribe();
    let created = novi_testing::server::request_to(
        server.port,
        "POST",
        "/flags",
        Some(r#"{"name": "remote", "status": true}"#),
        &[],
    );
    assert_eq!(created.status, 201, "{created:?}");
    let took = eventually(Duration::from_secs(10), "the client sees the write", || {
        remote.is_enabled("remote", &Context::default())
    });
    eprintln!("the remote client saw the write after {took:?}");
    assert!(revisions.has_changed().unwrap());

    // The Python-style global (`flag::is_enabled`, `#[enabled]`) reads it once installed.
    assert!(novi_client::flag::install_source(remote.clone()).is_ok());
    assert!(novi_client::flag::is_enabled("remote", &Context::default()));
    assert!(!novi_client::flag::is_enabled(
        "no such flag",
        &Context::default()
    ));

    // An activation of a class this process lacks: only its flag fails closed, with the reason.
    db.execute(
        "INSERT INTO activations (name, class_name, config) VALUES ('elsewhere', 'OnlyInAnotherBinary', '{}');
         INSERT INTO flags (name, status) VALUES ('uses elsewhere', TRUE);
         INSERT INTO flags_activations (flag_id, activation_id)
           SELECT f.id, a.id FROM flags f, activations a
           WHERE f.name = 'uses elsewhere' AND a.name = 'elsewhere';",
    );
    eventually(Duration::from_secs(10), "the client sees the SQL", || {
        remote
            .evaluate("uses elsewhere", &Context::default())
            .is_some()
    });
    let evaluation = remote
        .evaluate("uses elsewhere", &Context::default())
        .unwrap();
    assert!(!evaluation.enabled);
    assert!(
        matches!(evaluation.reason, Reason::ActivationError { .. }),
        "{:?}",
        evaluation.reason
    );
    assert!(remote.is_enabled("remote", &Context::default()));

    // The server stops: the client keeps its snapshot.
    let (status, _) = server.terminate();
    assert!(status.success());
    eventually(Duration::from_secs(10), "the client notices", || {
        remote.upstream() != Upstream::Streaming
    });
    assert!(remote.is_enabled("remote", &Context::default()));
    assert!(remote.refresh().is_err());
    assert!(remote.refresh_failing());

    // Started now: from the backup, and without one a clear error.
    let from_backup = RemoteClient::builder(&url)
        .token(TOKEN)
        .backup_file(&backup)
        .connect()
        .unwrap();
    assert!(from_backup.is_enabled("remote", &Context::default()));
    assert!(from_backup.refresh_failing());
    assert_eq!(from_backup.revision(), remote.revision());
    let nothing = RemoteClient::builder(&url)
        .token(TOKEN)
        .connect()
        .unwrap_err();
    assert!(matches!(nothing, Error::NoSnapshot { .. }), "{nothing}");
    assert!(nothing.to_string().contains("no backup file"), "{nothing}");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, b"{\"format\": \"novi-snapshot/1\"").unwrap();
    let unusable = RemoteClient::builder(&url)
        .token(TOKEN)
        .backup_file(&broken)
        .connect()
        .unwrap_err();
    assert!(unusable.to_string().contains("broken.json"), "{unusable}");
}
