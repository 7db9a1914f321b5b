//! `novi-remote`'s client against a real `novi-web`: the same answers as the server, changes
//! followed over the stream, a token required, classes it lacks failing closed, and starts
//! with the server down (from a backup file, and without one). Then experiments fed by a
//! client that reports its exposures and conversions: the results count exactly what its own
//! evaluations chose, a client without a token loses its batches without harm, and a client
//! that does not report sends nothing.

#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)]

use std::{
    collections::BTreeMap,
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use novi_core::{Activation, ActivationSpec, BuildError, Context, RuntimeClasses};
use novi_remote::{RemoteClient, Upstream, error::Error};
use novi_snapshot::snapshot::Reason;
use novi_testing::{
    Backend, TestDb,
    server::{Spawned, eventually},
};
use serde_json::{Value, json};

const TOKEN: &str = "client-secret-0123";
const ADMIN_TOKEN: &str = "admin-secret-0123456";

/// The server with a client token (writes open), and `extra` arguments.
fn start(url: &str, dir: &Path, extra: &[&str]) -> Spawned {
    let mut args = vec!["--client-token", TOKEN];
    args.extend_from_slice(extra);
    spawn(url, dir, &args)
}

/// The server with `extra` arguments: no token unless they give one.
fn spawn(url: &str, dir: &Path, extra: &[&str]) -> Spawned {
    let mut args = vec![
        "--database-url",
        url,
        "--bind",
        "127.0.0.1:0",
        "--refresh-interval",
        "60",
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
    // The cell stores the snapshot before it tells subscribers: the news may lag a moment.
    eventually(Duration::from_secs(10), "subscribers are told", || {
        revisions.has_changed().unwrap()
    });

    // The Python-style global (`flag::is_enabled`, `#[enabled]`) reads it once installed.
    assert!(novi_client::flag::install_source(remote.clone()).is_ok());
    assert!(novi_client::flag::is_enabled("remote", &Context::default()));
    assert!(!novi_client::flag::is_enabled(
        "no such flag",
        &Context::default()
    ));

    // An activation of a class this process lacks: only its flag fails closed, with the reason.
    // One transaction: the server never reads the flag without its link (a plain on flag).
    db.execute(
        "BEGIN;
         INSERT INTO activations (name, class_name, config) VALUES ('elsewhere', 'OnlyInAnotherBinary', '{}');
         INSERT INTO flags (name, status) VALUES ('uses elsewhere', TRUE);
         INSERT INTO flags_activations (flag_id, activation_id)
           SELECT f.id, a.id FROM flags f, activations a
           WHERE f.name = 'uses elsewhere' AND a.name = 'elsewhere';
         COMMIT;",
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

    // A client given the class at run time (as the Python package gives its classes) builds
    // it, in its first snapshot and in those it follows.
    let with_classes = RemoteClient::builder(&url)
        .token(TOKEN)
        .runtime_classes(Arc::new(Elsewhere))
        .connect()
        .unwrap();
    assert!(with_classes.is_enabled("uses elsewhere", &Context::default()));
    db.execute("UPDATE activations SET config = '{\"off\": true}' WHERE name = 'elsewhere'");
    eventually(
        Duration::from_secs(10),
        "the client rebuilds the class",
        || !with_classes.is_enabled("uses elsewhere", &Context::default()),
    );
    assert!(
        with_classes
            .evaluate("uses elsewhere", &Context::default())
            .is_some_and(|e| !matches!(e.reason, Reason::ActivationError { .. }))
    );
    drop(with_classes);

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

/// `OnlyInAnotherBinary`, known at run time: on unless its config says `"off"`.
#[derive(Debug)]
struct Elsewhere;

#[derive(Debug)]
struct ElsewhereActivation(bool);

impl Activation for ElsewhereActivation {
    fn evaluate(&self, _ctx: &Context) -> bool {
        self.0
    }
}

impl RuntimeClasses for Elsewhere {
    fn build(&self, spec: &ActivationSpec<'_>) -> Option<Result<Arc<dyn Activation>, BuildError>> {
        (spec.class_name == "OnlyInAnotherBinary").then(|| {
            Ok(Arc::new(ElsewhereActivation(!spec.config.contains("off"))) as Arc<dyn Activation>)
        })
    }

    fn names(&self) -> Vec<String> {
        vec!["OnlyInAnotherBinary".into()]
    }
}

/// Sends an admin request, and answers its JSON body (asserting a 2xx).
#[track_caller]
fn admin(
    server: &Spawned,
    method: &str,
    path: &str,
    body: Option<Value>,
    auth: &[(&str, &str)],
) -> Value {
    let body = body.map(|body| body.to_string());
    let response = server.request_with(method, path, body.as_deref(), auth);
    assert!(
        (200..300).contains(&response.status),
        "{method} {path}: {response:?}"
    );
    serde_json::from_str(&response.body).unwrap()
}

/// A flag that splits units 50/50 between `a` and `b` by `userId`, and a running experiment on
/// it counting the event `purchase`; the experiment's id.
fn experiment(server: &Spawned, flag: &str, auth: &[(&str, &str)]) -> i64 {
    let activation = admin(
        server,
        "POST",
        "/activations",
        Some(json!({
            "name": format!("{flag} split"),
            "class_name": "VariantActivation",
            "config": {"variants": [{"name": "a", "weight": 50}, {"name": "b", "weight": 50}], "stickiness": "userId"},
        })),
        auth,
    );
    admin(
        server,
        "POST",
        "/flags",
        Some(json!({"name": flag, "status": true, "activations": [activation["id"]]})),
        auth,
    );
    let created = admin(
        server,
        "POST",
        "/experiments",
        Some(json!({
            "name": format!("{flag} test"),
            "flag": flag,
            "control": "a",
            "metrics": [{"name": "purchased", "event": "purchase", "kind": "conversion"}],
            "status": "running",
        })),
        auth,
    );
    assert_eq!(created["status"], "running", "{created}");
    created["id"].as_i64().unwrap()
}

/// Per variant of the experiment's results: (units, conversions of `purchased`).
fn counted(server: &Spawned, id: i64, auth: &[(&str, &str)]) -> BTreeMap<String, (u64, u64)> {
    let results = admin(
        server,
        "GET",
        &format!("/experiments/{id}/results"),
        None,
        auth,
    );
    results["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let units = v["units"].as_u64().unwrap();
            let conversions = v["metrics"]["purchased"]["conversions"].as_u64().unwrap();
            (v["name"].as_str().unwrap().to_owned(), (units, conversions))
        })
        .filter(|(_, counts)| *counts != (0, 0))
        .collect()
}

fn unit(i: usize) -> Context {
    Context::try_from(json!({"userId": format!("user-{i}"), "plan": "pro"})).unwrap()
}

/// Evaluates `flag` for `ctx` twice, through the API `i` picks (each evaluation reports, the
/// second one is remembered as reported), and answers the variant the client chose (read from
/// its snapshot, which reports nothing).
fn evaluate_twice(remote: &RemoteClient, flag: &str, i: usize, ctx: &Context) -> String {
    for _ in 0..2 {
        match i % 4 {
            0 => assert!(remote.variant(flag, ctx).is_some()),
            1 => assert!(remote.evaluate(flag, ctx).unwrap().variant.is_some()),
            2 => assert!(remote.is_enabled(flag, ctx)),
            _ => assert!(
                remote
                    .evaluate_all(ctx)
                    .iter()
                    .any(|(f, e)| f.name == flag && e.variant.is_some())
            ),
        }
    }
    let evaluation = remote.snapshot().evaluate(flag, ctx).unwrap();
    evaluation.variant.unwrap().name.clone()
}

#[test]
fn a_reporting_client_feeds_the_experiments_results() {
    novi_activations::link();
    let db = TestDb::new(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    let server = start(&db.url, dir.path(), &[]);
    let url = format!("http://127.0.0.1:{}", server.port);
    let id = experiment(&server, "checkout", &[]);
    let auth = [("Authorization", "Bearer client-secret-0123")];

    // A client that does not report sends nothing, even when it is dropped.
    let silent = RemoteClient::builder(&url).token(TOKEN).connect().unwrap();
    for i in 0..200 {
        evaluate_twice(&silent, "checkout", i, &unit(i));
    }
    assert!(!silent.track("user-0", "purchase", None));
    assert!(silent.flush(Duration::from_secs(1)));
    assert_eq!(silent.dropped_events(), 0);
    drop(silent);
    assert_eq!(counted(&server, id, &auth), BTreeMap::new());

    // A client that reports, with the client token: 200 units, each evaluated twice.
    let remote = RemoteClient::builder(&url)
        .token(TOKEN)
        .report_events(true)
        .connect()
        .unwrap();
    let mut expected: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut chosen = Vec::new();
    for i in 0..200 {
        let variant = evaluate_twice(&remote, "checkout", i, &unit(i));
        expected.entry(variant.clone()).or_default().0 += 1;
        chosen.push(variant);
    }
    assert_eq!(expected.len(), 2, "both variants are chosen: {expected:?}");
    // A context without the unit key reports nothing.
    let anonymous = Context::try_from(json!({"sessionId": "s-1"})).unwrap();
    remote.variant("checkout", &anonymous);
    assert!(remote.flush(Duration::from_secs(30)));
    assert_eq!(counted(&server, id, &auth), {
        let mut units = expected.clone();
        units
            .values_mut()
            .for_each(|(_, conversions)| *conversions = 0);
        units
    });

    // Conversions of 30 of them (user-0 twice: a unit converts once).
    for (i, variant) in chosen.iter().enumerate().take(30) {
        assert!(remote.track(&format!("user-{i}"), "purchase", Some(i as f64)));
        expected.get_mut(variant).unwrap().1 += 1;
    }
    assert!(remote.track("user-0", "purchase", Some(1.0)));
    assert!(remote.flush(Duration::from_secs(30)));
    let shown = counted(&server, id, &auth);
    assert_eq!(shown, expected);
    assert_eq!(shown.values().map(|(_, c)| c).sum::<u64>(), 30);
    let results = admin(
        &server,
        "GET",
        &format!("/experiments/{id}/results"),
        None,
        &auth,
    );
    assert_eq!(results["sample_size"]["reached"], 200, "{results}");
    assert_eq!(remote.dropped_events(), 0);

    // Evaluations already reported are not sent again; new ones are sent when the client is
    // dropped.
    for i in 0..250 {
        remote.variant("checkout", &unit(i));
    }
    drop(remote);
    let results = admin(
        &server,
        "GET",
        &format!("/experiments/{id}/results"),
        None,
        &auth,
    );
    assert_eq!(results["sample_size"]["reached"], 250, "{results}");
}

#[test]
fn reporting_without_a_token_drops_its_batches_and_goes_on() {
    novi_activations::link();
    let db = TestDb::new(Backend::Sqlite);
    let dir = tempfile::tempdir().unwrap();
    // Reads are open (no client token), reporting is not: it stores data.
    let server = spawn(&db.url, dir.path(), &["--admin-token", ADMIN_TOKEN]);
    let url = format!("http://127.0.0.1:{}", server.port);
    let auth = [("Authorization", "Bearer admin-secret-0123456")];
    let id = experiment(&server, "checkout", &auth);

    let anonymous = RemoteClient::builder(&url)
        .report_events(true)
        .connect()
        .unwrap();
    let started = Instant::now();
    for i in 0..50 {
        evaluate_twice(&anonymous, "checkout", i, &unit(i));
    }
    assert!(anonymous.track("user-1", "purchase", None));
    assert!(
        !anonymous.flush(Duration::from_secs(30)),
        "the server refused the batch"
    );
    assert_eq!(anonymous.dropped_events(), 51);
    // Refused at once, not retried.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // The client goes on answering and reporting (and losing) what comes next.
    for i in 50..60 {
        evaluate_twice(&anonymous, "checkout", i, &unit(i));
    }
    assert!(!anonymous.flush(Duration::from_secs(30)));
    assert_eq!(anonymous.dropped_events(), 61);
    let dropping = Instant::now();
    drop(anonymous);
    assert!(
        dropping.elapsed() < Duration::from_secs(3),
        "{:?}",
        dropping.elapsed()
    );
    assert_eq!(counted(&server, id, &auth), BTreeMap::new());

    // With a token the server takes (here its admin token), the same evaluations count.
    let reporting = RemoteClient::builder(&url)
        .token(ADMIN_TOKEN)
        .report_events(true)
        .connect()
        .unwrap();
    let mut expected: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for i in 0..50 {
        let variant = evaluate_twice(&reporting, "checkout", i, &unit(i));
        expected.entry(variant).or_default().0 += 1;
    }
    assert!(reporting.flush(Duration::from_secs(30)));
    assert_eq!(reporting.dropped_events(), 0);
    assert_eq!(counted(&server, id, &auth), expected);
}
