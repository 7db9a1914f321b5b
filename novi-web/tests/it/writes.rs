//! Writes answer honestly and in bounded time: a write waits at most its timeout whatever the
//! queue (503 with `Retry-After`, while evaluations go on), a stored write is answered as
//! stored even when the snapshot cannot be reloaded after it, and a flag can only be linked to
//! an activation this server builds unless the request says `force`.

use std::time::{Duration, Instant};

use actix_web::http::Method;
use futures_util::future::join_all;
use novi_client::Client;
use novi_testing::{Backend, SAMPLE_DATA};
use serde_json::json;

use crate::{TestDb, assert_error, block_on, call, db_test, init, request, send};

/// A client over `db` with the sample flags whose writes may take `timeout` in all.
fn client_with_write_timeout(db: &TestDb, timeout: Duration) -> Client {
    novi_activations::link();
    let client = Client::builder(&db.url)
        .unwrap()
        .migrate(true)
        .write_timeout(timeout)
        .connect()
        .unwrap();
    client.seed_if_empty(SAMPLE_DATA).unwrap();
    client
}

// Another connection holds the writers' lock (as another process mid-write would): every one
// of eight concurrent writes answers 503 with `Retry-After` within its one-second timeout
// (before, they queued on the process's writer: 5, 10, …, 40 s on SQLite, and on PostgreSQL
// for as long as the lock was held), evaluations answer meanwhile, and writes work again once
// the lock is released.
db_test!(writes_wait_a_bounded_time_and_evaluations_go_on, |db| {
    let client = client_with_write_timeout(&db, Duration::from_secs(1));
    let holder = db.hold_writers_lock();
    block_on(async {
        let app = init(client).await;
        let started = Instant::now();
        let writes = join_all((0..8).map(|i| {
            let body = json!({"status": i % 2 == 0}).to_string();
            call(
                &app,
                request(Method::PUT, "/flags/Combo%20OR", Some(body.as_bytes())),
            )
        }));
        let evaluation = async {
            let answer = send(
                &app,
                Method::POST,
                "/evaluatedFlags/Combo%20OR",
                Some(r#"{"seed": 1, "variant": "A"}"#),
            )
            .await;
            (answer, Instant::now())
        };
        let (answers, (evaluated, evaluated_at)) =
            futures_util::future::join(writes, evaluation).await;
        let written_at = Instant::now();
        for answer in &answers {
            assert_error(answer, 503, "did not get its turn within 1 s");
            assert_eq!(
                answer
                    .headers
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap()),
                Some("1"),
                "{answer:?}"
            );
        }
        // Each write's one second runs from its own start, whatever the queue: all eight end
        // within a few seconds of each other, not one after another.
        let waited = written_at - started;
        assert!(waited < Duration::from_secs(4), "8 writes took {waited:?}");
        assert_eq!(evaluated.status, 200, "{evaluated:?}");
        assert_eq!(evaluated.body["status"], json!(true));
        assert!(
            evaluated_at < written_at,
            "the evaluation waited for the writes"
        );

        holder.release();
        let write = send(
            &app,
            Method::PUT,
            "/flags/Combo%20OR",
            Some(r#"{"status": false}"#),
        )
        .await;
        assert_eq!(write.status, 200, "{write:?}");
        assert_eq!(write.body["status"], json!(false));
    });
});

// A flag may only be linked to an activation this server can build (here, a class only
// another binary links) when the request says `force`.
db_test!(
    linking_an_activation_this_server_cannot_build_needs_force,
    |db| {
        let client = db.sample_client();
        db.execute(
        "INSERT INTO activations (name, class_name, config) VALUES ('elsewhere', 'acme.CountryActivation', '{}')",
    );
        client.refresh().unwrap();
        block_on(async {
            let app = init(client).await;
            let listed = send(&app, Method::GET, "/activations", None).await;
            let elsewhere = listed.body.as_array().unwrap().last().unwrap()["id"].clone();
            let body = json!({"name": "country", "status": true, "activations": [1, elsewhere]});
            let refused = send(&app, Method::POST, "/flags", Some(&body.to_string())).await;
            assert_error(
                &refused,
                422,
                &format!("activation {elsewhere} (class `acme.CountryActivation`) cannot be built"),
            );
            assert_eq!(refused.body["activation"], elsewhere);
            assert_eq!(refused.body["class_name"], "acme.CountryActivation");
            let link = json!({"activations": [elsewhere]}).to_string();
            let put = send(&app, Method::PUT, "/flags/Combo%20OR", Some(&link)).await;
            assert_error(&put, 422, "cannot be built by this process");

            let mut forced = body.clone();
            forced["force"] = json!(true);
            let created = send(&app, Method::POST, "/flags", Some(&forced.to_string())).await;
            assert_eq!(created.status, 201, "{created:?}");
            // It is linked, and off here, with the reason.
            let evaluated = send(&app, Method::POST, "/evaluatedFlags/country", Some("{}")).await;
            assert_eq!(evaluated.body["status"], json!(false));
            assert_eq!(evaluated.body["reason"]["code"], "activation_error");
        });
    }
);

/// A write that is stored is answered as stored, even when the snapshot cannot be reloaded
/// after it: the answer comes from what the write stored, the failure shows in `/health`, and a
/// retried create is a 409. Before, the caller got a 503 for a flag that existed. The reload is
/// made to fail with a row-level security policy that refuses read-only transactions (the
/// snapshot's loads) and lets the writes' transactions through; PostgreSQL's superuser ignores
/// such policies, so the client connects as a role of the test's own.
#[test]
fn a_stored_write_is_answered_as_stored_when_the_reload_fails() {
    let db = TestDb::new(Backend::Postgres);
    db.client();
    db.execute(SAMPLE_DATA);
    let role = format!("novi_rls_{}", std::process::id());
    db.execute(&format!(
        "DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN;
         GRANT ALL ON ALL TABLES IN SCHEMA public TO {role};
         GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role};"
    ));
    let url = db.url.replacen("postgres@", &format!("{role}@"), 1);
    let client = Client::builder(&url).unwrap().connect().unwrap();
    db.execute(
        "ALTER TABLE activations ENABLE ROW LEVEL SECURITY;
         CREATE POLICY novi_refuse_loads ON activations
             USING (CASE WHEN current_setting('transaction_read_only') = 'off' THEN true
                         ELSE id / 0 = 1 END);",
    );
    block_on(async {
        let app = init(client).await;
        let body = r#"{"name": "stored", "status": true, "activations": [2]}"#;
        let created = send(&app, Method::POST, "/flags", Some(body)).await;
        assert_eq!(created.status, 201, "{created:?}");
        assert_eq!(created.body["name"], "stored");
        assert_eq!(created.body["status"], json!(true));
        assert_eq!(created.body["activations"][0]["id"], 2);
        let health = send(&app, Method::GET, "/health", None).await;
        assert_eq!(health.status, 503, "{health:?}");
        assert_eq!(health.body["status"], "degraded");
        assert_error(
            &send(&app, Method::POST, "/flags", Some(body)).await,
            409,
            "already exists",
        );
        let update = send(
            &app,
            Method::PUT,
            "/flags/stored",
            Some(r#"{"status": false}"#),
        )
        .await;
        assert_eq!(
            (update.status.as_u16(), update.body["status"].clone()),
            (200, json!(false)),
            "{update:?}"
        );
    });
    db.execute("DROP POLICY novi_refuse_loads ON activations");
}
