//! The audit log (`GET /audit`, `POST /audit/{id}/revert`) and `/health`, on every backend.

use actix_http::Request;
use actix_web::{
    body::MessageBody,
    dev::{Service, ServiceResponse},
    http::Method,
    test::TestRequest,
};
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

/// The newest audit entry.
async fn newest_entry<S, B>(app: &S) -> Value
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let page = call(app, admin(Method::GET, "/audit?limit=1", None)).await;
    assert_eq!(page.status, 200, "{page:?}");
    page.body["entries"][0].clone()
}

fn revert(id: &Value) -> TestRequest {
    admin(Method::POST, &format!("/audit/{id}/revert"), None)
}

/// The admin token, labelled `alice`.
fn alice() -> Tokens {
    Tokens {
        admin: vec![Token::parse(&format!("alice={ADMIN}"), "admin").unwrap()],
        client: vec![],
    }
}

db_test!(reverting_flag_writes_over_http, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init_state(AppState::new(client).with_tokens(alice())).await;
        let combo_or = |status: bool| json!({"activations": [4], "id": 4, "name": "Combo OR", "status": status});

        // A status toggle, reverted: the flag is back, and the revert is audited.
        let toggled = call(
            &app,
            admin(
                Method::PUT,
                "/flags/Combo%20OR",
                Some(r#"{"status": false}"#),
            ),
        )
        .await;
        assert_eq!(toggled.status, 200, "{toggled:?}");
        let toggle = newest_entry(&app).await["id"].clone();
        let reverted = call(&app, revert(&toggle)).await;
        assert_eq!(reverted.status, 200, "{reverted:?}");
        assert_eq!(
            reverted.body,
            json!({
                "reverted": toggle,
                "target": {"kind": "flag", "id": 4, "name": "Combo OR"},
                "state": combo_or(true),
            })
        );
        let flag = call(&app, admin(Method::GET, "/flags/Combo%20OR", None)).await;
        assert_eq!(flag.body["status"], json!(true));
        let entry = newest_entry(&app).await;
        assert_eq!(entry["route"], json!("POST /audit/{id}/revert"));
        assert_eq!(entry["actor"], json!("alice"));
        assert_eq!(entry["before"], combo_or(false));
        assert_eq!(entry["after"], combo_or(true));

        // The toggle again: the flag changed since, by the revert.
        let refused = call(&app, revert(&toggle)).await;
        assert_error(
            &refused,
            409,
            &format!(
                "cannot revert audit entry {toggle}: flag `Combo OR` changed after it (status: true now, false then); entry {} is the newest to change it",
                entry["id"]
            ),
        );
        // The revert, reverted: off again.
        let again = call(&app, revert(&entry["id"])).await;
        assert_eq!(again.status, 200, "{again:?}");
        assert_eq!(again.body["state"], combo_or(false));
        let flag = call(&app, admin(Method::GET, "/flags/Combo%20OR", None)).await;
        assert_eq!(flag.body["status"], json!(false));

        // A rename.
        let renamed = call(
            &app,
            admin(
                Method::PUT,
                "/flags/Combo%20AND",
                Some(r#"{"name": "Combo AND 2"}"#),
            ),
        )
        .await;
        assert_eq!(renamed.status, 200, "{renamed:?}");
        let undone = call(&app, revert(&newest_entry(&app).await["id"])).await;
        assert_eq!(
            undone.body["target"]["name"],
            json!("Combo AND"),
            "{undone:?}"
        );
        assert_eq!(
            call(&app, admin(Method::GET, "/flags/Combo%20AND", None))
                .await
                .status,
            200
        );
        assert_eq!(
            call(&app, admin(Method::GET, "/flags/Combo%20AND%202", None))
                .await
                .status,
            404
        );

        // A delete: the flag is back with its id, name, status and links.
        let path = "/flags/Date%20Activated%20Feature";
        let deleted = call(&app, admin(Method::DELETE, path, None)).await;
        assert_eq!(deleted.status, 204);
        let recreated = call(&app, revert(&newest_entry(&app).await["id"])).await;
        assert_eq!(recreated.status, 200, "{recreated:?}");
        let date_flag =
            json!({"activations": [1], "id": 1, "name": "Date Activated Feature", "status": true});
        assert_eq!(recreated.body["state"], date_flag);
        let flag = call(&app, admin(Method::GET, path, None)).await;
        assert_eq!(flag.status, 200, "{flag:?}");
        assert_eq!(flag.body["id"], json!(1));
        assert_eq!(flag.body["activations"][0]["id"], json!(1));

        // A create: the flag is deleted again.
        let created = call(
            &app,
            admin(Method::POST, "/flags", Some(r#"{"name": "fresh"}"#)),
        )
        .await;
        assert_eq!(created.status, 201, "{created:?}");
        let removed = call(&app, revert(&newest_entry(&app).await["id"])).await;
        assert_eq!(removed.status, 200, "{removed:?}");
        assert_eq!(
            removed.body["target"],
            json!({"kind": "flag", "id": created.body["id"], "name": "fresh"})
        );
        assert_eq!(removed.body["state"], Value::Null);
        assert_eq!(
            call(&app, admin(Method::GET, "/flags/fresh", None))
                .await
                .status,
            404
        );

        let unknown = call(&app, revert(&json!(99999))).await;
        assert_error(&unknown, 404, "audit entry 99999 does not exist");
        for bad in ["abc", "1.5", "99999999999"] {
            let answer = call(
                &app,
                admin(Method::POST, &format!("/audit/{bad}/revert"), None),
            )
            .await;
            assert_error(&answer, 400, &format!("`{bad}` is not an audit entry id"));
        }
    });
});

db_test!(reverting_activation_writes_over_http, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init_state(AppState::new(client).with_tokens(alice())).await;
        let split = call(&app, admin(Method::GET, "/activations/2", None)).await;
        let original = split.body["config"].clone();

        // A config change, reverted: the stored text is back verbatim.
        let changed = call(
            &app,
            admin(
                Method::PUT,
                "/activations/2",
                Some(r#"{"name": "Random Split Activated", "class_name": "WeightedRandomActivation", "config": {"splits": [0, 100], "variations": ["A", "B"]}}"#),
            ),
        )
        .await;
        assert_eq!(changed.status, 200, "{changed:?}");
        let reverted = call(&app, revert(&newest_entry(&app).await["id"])).await;
        assert_eq!(reverted.status, 200, "{reverted:?}");
        assert_eq!(
            reverted.body["target"],
            json!({"kind": "activation", "id": 2, "name": "Random Split Activated"})
        );
        assert_eq!(reverted.body["state"]["config"], original);
        let split = call(&app, admin(Method::GET, "/activations/2", None)).await;
        assert_eq!(split.body["config"], original);
        assert_eq!(
            split.body["class_name"],
            json!("novi.client.activations.weighted_random_activation.WeightedRandomActivation")
        );

        // A delete: the activation is back under its id.
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
        let id = created.body["id"].clone();
        let path = format!("/activations/{id}");
        assert_eq!(
            call(&app, admin(Method::DELETE, &path, None)).await.status,
            204
        );
        let recreated = call(&app, revert(&newest_entry(&app).await["id"])).await;
        assert_eq!(recreated.status, 200, "{recreated:?}");
        assert_eq!(
            recreated.body["state"],
            json!({"class_name": "EnvironmentActivation", "config": created.body["config"], "id": id, "name": "prod"})
        );
        let back = call(&app, admin(Method::GET, &path, None)).await;
        assert_eq!(back.status, 200, "{back:?}");
        assert_eq!(back.body, created.body);

        // Reverting an activation's creation once a flag uses it: refused as a delete is.
        let creation = call(
            &app,
            admin(
                Method::GET,
                &format!("/audit?activation={id}&limit=3"),
                None,
            ),
        )
        .await;
        let creation = creation.body["entries"][2].clone();
        assert_eq!(creation["before"], Value::Null, "{creation}");
        let linked = call(
            &app,
            admin(
                Method::PUT,
                "/flags/Combo%20OR",
                Some(&format!(r#"{{"activations": [4, {id}]}}"#)),
            ),
        )
        .await;
        assert_eq!(linked.status, 200, "{linked:?}");
        let refused = call(&app, revert(&creation["id"])).await;
        assert_error(&refused, 409, "is still used by flag `Combo OR`");
    });
});

#[test]
fn reverting_needs_the_admin_token() {
    let db = novi_testing::TestDb::new(novi_testing::Backend::Sqlite);
    let client = db.sample_client();
    let tokens = Tokens {
        client: vec![Token::parse("client-secret-0123456789", "client").unwrap()],
        ..alice()
    };
    block_on(async {
        let app = init_state(AppState::new(client).with_tokens(tokens)).await;
        let deleted = call(&app, admin(Method::DELETE, "/flags/Combo%20OR", None)).await;
        assert_eq!(deleted.status, 204);
        let entry = newest_entry(&app).await["id"].clone();
        let path = format!("/audit/{entry}/revert");
        let as_who = |token: Option<&str>| {
            let req = TestRequest::post().uri(&path);
            match token {
                Some(token) => req.insert_header(("authorization", format!("Bearer {token}"))),
                None => req,
            }
        };
        assert_error(
            &call(&app, as_who(None)).await,
            401,
            "this route needs a token",
        );
        assert_error(
            &call(&app, as_who(Some("wrong-secret-0123456789"))).await,
            403,
            "the token is not valid",
        );
        assert_error(
            &call(&app, as_who(Some("client-secret-0123456789"))).await,
            403,
            "a client token may read and evaluate, not write",
        );
        assert_eq!(
            call(&app, admin(Method::GET, "/flags/Combo%20OR", None))
                .await
                .status,
            404,
            "refused requests revert nothing"
        );
        let reverted = call(&app, as_who(Some(ADMIN))).await;
        assert_eq!(reverted.status, 200, "{reverted:?}");
        assert_eq!(
            call(&app, admin(Method::GET, "/flags/Combo%20OR", None))
                .await
                .status,
            200
        );
    });
}
