//! The audit log (`GET /audit`) and `/health`, on every backend.

use actix_web::{http::Method, test::TestRequest};
use novi_web::{AppState, Token, Tokens};
use serde_json::{Value, json};

use crate::{assert_error, block_on, call, db_test, init_state};

const ADMIN: &str = "admin-secret-0123456789";

fn admin(method: Method, path: &str, body: Option<&str>) -> TestRequest {
    let mut req = TestRequest::default()
        .method(method)
        .uri(path)
        .insert_header(("authorization", format!("Bearer {ADMIN}")));
    if let Some(body) = body {
        req = req
            .insert_header(("content-type", "application/json"))
            .set_payload(body.to_owned());
    }
    req
}

db_test!(every_write_is_audited_and_failures_leave_nothing, |db| {
    let client = db.sample_client();
    let tokens = Tokens {
        admin: vec![Token::parse(&format!("alice={ADMIN}"), "admin").unwrap()],
        client: vec![],
    };
    block_on(async {
        let app = init_state(AppState::new(client).with_tokens(tokens)).await;
        let empty = call(&app, admin(Method::GET, "/audit", None)).await;
        assert_eq!(empty.body, json!({"entries": [], "next": null}));

        let created = call(
            &app,
            admin(
                Method::POST,
                "/activations",
                Some(r#"{"name": "prod", "class_name": "EnvironmentActivation", "config": {"environments": ["prod"]}}"#),
            ),
        )
        .await;
        assert_eq!(created.status, 201, "{created:?}");
        let activation = created.body["id"].as_i64().unwrap();
        let flag = call(
            &app,
            admin(
                Method::POST,
                "/flags",
                Some(&format!(
                    r#"{{"name": "audited", "status": true, "activations": [{activation}]}}"#
                )),
            ),
        )
        .await;
        assert_eq!(flag.status, 201, "{flag:?}");
        let renamed = call(
            &app,
            admin(
                Method::PUT,
                "/flags/audited",
                Some(r#"{"name": "audited-2", "status": false}"#),
            ),
        )
        .await;
        assert_eq!(renamed.status, 200, "{renamed:?}");

        // Failed writes: a duplicate name, an activation in use, a config that does not build.
        let failures = [
            admin(Method::POST, "/flags", Some(r#"{"name": "Combo OR"}"#)),
            admin(Method::DELETE, &format!("/activations/{activation}"), None),
            admin(
                Method::PUT,
                &format!("/activations/{activation}"),
                Some(r#"{"name": "prod", "class_name": "NoSuchActivation", "config": {}}"#),
            ),
            admin(
                Method::PUT,
                "/flags/audited-2",
                Some(r#"{"activations": [999]}"#),
            ),
        ];
        for request in failures {
            let failed = call(&app, request).await;
            assert!([409, 422].contains(&failed.status.as_u16()), "{failed:?}");
        }

        let deleted = call(&app, admin(Method::DELETE, "/flags/audited-2", None)).await;
        assert_eq!(deleted.status, 204);

        let log = call(&app, admin(Method::GET, "/audit", None)).await;
        assert_eq!(log.status, 200, "{log:?}");
        let entries = log.body["entries"].as_array().unwrap();
        let summary: Vec<(Value, Value, Value)> = entries
            .iter()
            .map(|e| {
                (
                    e["route"].clone(),
                    e["target"]["kind"].clone(),
                    e["target"]["name"].clone(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    json!("DELETE /flags/{name}"),
                    json!("flag"),
                    json!("audited-2")
                ),
                (
                    json!("PUT /flags/{name}"),
                    json!("flag"),
                    json!("audited-2")
                ),
                (json!("POST /flags"), json!("flag"), json!("audited")),
                (
                    json!("POST /activations"),
                    json!("activation"),
                    json!("prod")
                ),
            ],
            "newest first, and no entry for the failed writes"
        );
        for entry in entries {
            assert_eq!(entry["actor"], json!("alice"), "the token's label");
            assert!(!entry.to_string().contains(ADMIN));
            assert!(entry["at"].as_str().unwrap().ends_with('Z'), "{entry}");
        }
        assert_eq!(entries[0]["after"], Value::Null);
        assert_eq!(
            entries[1]["before"],
            json!({"activations": [activation], "id": flag.body["id"], "name": "audited", "status": true})
        );
        assert_eq!(
            entries[1]["after"],
            json!({"activations": [activation], "id": flag.body["id"], "name": "audited-2", "status": false})
        );
        assert_eq!(entries[3]["before"], Value::Null);
        assert_eq!(
            entries[3]["after"]["config"],
            json!(r#"{"environments":["prod"]}"#)
        );

        // Pages: two, then the rest, then none.
        let first = call(&app, admin(Method::GET, "/audit?limit=2", None)).await;
        assert_eq!(first.body["entries"].as_array().unwrap().len(), 2);
        let next = first.body["next"].as_str().unwrap().to_owned();
        let second = call(&app, admin(Method::GET, &next, None)).await;
        assert_eq!(second.body["entries"], json!(entries[2..4]));
        let third = call(
            &app,
            admin(Method::GET, second.body["next"].as_str().unwrap(), None),
        )
        .await;
        assert_eq!(third.body, json!({"entries": [], "next": null}));

        for bad in [
            "/audit?limit=0",
            "/audit?limit=501",
            "/audit?before=x",
            "/audit?page=2",
        ] {
            let answer = call(&app, admin(Method::GET, bad, None)).await;
            assert_eq!(answer.status, 400, "{bad}: {answer:?}");
        }
    });
});

db_test!(
    health_turns_degraded_when_refreshes_fail_and_evaluations_go_on,
    |db| {
        let client = db.sample_client();
        block_on(async {
            let app = init_state(AppState::new(client.clone())).await;
            let ok = call(&app, TestRequest::get().uri("/health")).await;
            assert_eq!(ok.status, 200);
            assert_eq!(ok.body["status"], json!("ok"));
            assert_eq!(ok.body["flags"], json!(4));
            assert!(ok.body["snapshot_age_seconds"].as_f64().unwrap() >= 0.0);

            // The flags table can no longer be read: refreshes fail.
            db.execute("DROP TABLE flags_activations");
            assert!(client.refresh().is_err());
            let degraded = call(&app, TestRequest::get().uri("/health")).await;
            assert_eq!(degraded.status, 503, "{degraded:?}");
            assert_eq!(degraded.body["status"], json!("degraded"));
            let evaluated = call(
                &app,
                TestRequest::post()
                    .uri("/evaluatedFlags/Combo%20OR")
                    .set_payload(r#"{"seed": 333, "variant": "A"}"#),
            )
            .await;
            assert_eq!(evaluated.status, 200, "the last snapshot still answers");
            assert_eq!(evaluated.body["status"], json!(true));
            let write = call(
                &app,
                TestRequest::post()
                    .uri("/flags")
                    .insert_header(("content-type", "application/json"))
                    .set_payload(r#"{"name": "during-outage"}"#),
            )
            .await;
            assert_error(&write, 503, "the database is unavailable; try again later");
        });
    }
);

db_test!(the_log_of_one_flag_or_activation, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init_state(AppState::new(client)).await;
        let write = |method: Method, path: &str, body: &str| {
            TestRequest::default()
                .method(method)
                .uri(path)
                .insert_header(("content-type", "application/json"))
                .set_payload(body.to_owned())
        };
        let created = call(
            &app,
            write(Method::POST, "/flags", r#"{"name": "watched"}"#),
        )
        .await;
        assert_eq!(created.status, 201, "{created:?}");
        let id = created.body["id"].as_i64().unwrap();
        call(&app, write(Method::POST, "/flags", r#"{"name": "other"}"#)).await;
        call(
            &app,
            write(Method::PUT, "/flags/watched", r#"{"status": true}"#),
        )
        .await;
        call(
            &app,
            write(Method::PUT, "/flags/other", r#"{"status": true}"#),
        )
        .await;
        // A rename keeps the flag's history together: it is kept by id.
        call(
            &app,
            write(Method::PUT, "/flags/watched", r#"{"name": "renamed"}"#),
        )
        .await;
        call(&app, write(Method::PUT, "/activations/1", r#"{"name": "Date Activated", "class_name": "DateTimeActivation", "config": {"startDateTime": "2026-01-01", "endDateTime": "2026-02-01", "format": "%Y-%m-%d"}}"#)).await;

        let page = call(&app, TestRequest::get().uri(&format!("/audit?flag={id}"))).await;
        assert_eq!(page.status, 200, "{page:?}");
        let entries = page.body["entries"].as_array().unwrap();
        let names: Vec<&str> = entries
            .iter()
            .map(|e| e["target"]["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["renamed", "watched", "watched"], "newest first");
        assert!(entries.iter().all(|e| e["target"]["id"] == json!(id)));
        assert!(entries.iter().all(|e| e["target"]["kind"] == json!("flag")));

        // Pages keep the filter.
        let first = call(
            &app,
            TestRequest::get().uri(&format!("/audit?flag={id}&limit=2")),
        )
        .await;
        let next = first.body["next"].as_str().unwrap().to_owned();
        assert!(next.contains(&format!("flag={id}")), "{next}");
        let second = call(&app, TestRequest::get().uri(&next)).await;
        let rest = second.body["entries"].as_array().unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0]["target"]["name"], "watched");

        let activation = call(&app, TestRequest::get().uri("/audit?activation=1")).await;
        let entries = activation.body["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 1, "{activation:?}");
        assert_eq!(entries[0]["target"]["kind"], "activation");

        let both = call(&app, TestRequest::get().uri("/audit?flag=1&activation=1")).await;
        assert_error(&both, 400, "not both");
        let none = call(&app, TestRequest::get().uri("/audit?flag=999")).await;
        assert_eq!(none.body, json!({"entries": [], "next": null}));
    });
});
