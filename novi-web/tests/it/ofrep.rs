//! The OFREP routes: values, variants and reasons for every kind of flag, the error codes and
//! statuses, `targetingKey`, and the bulk answer's `ETag` with 304. They read the snapshot only,
//! so they run on SQLite.

use actix_web::{
    http::{Method, header},
    test::TestRequest,
};
use novi_testing::Backend;
use serde_json::{Value, json};

use crate::{TestDb, block_on, call, init, init_state, request, send};

/// Flags of every kind beside the sample's, created through the authoring routes (ids 5 to
/// 10 are the activations, in order). The Node OFREP test (`tests/ofrep_node.rs`) uses them too.
const SETUP: &str = include_str!("../fixtures/ofrep_flags.json");

fn ofrep(key: &str) -> String {
    format!("/ofrep/v1/evaluate/flags/{key}")
}

#[test]
fn every_kind_of_flag_answers_with_its_value_variant_and_reason() {
    let db = TestDb::new(Backend::Sqlite);
    block_on(async {
        let app = init(db.sample_client()).await;
        let setup: Vec<Value> = serde_json::from_str(SETUP).unwrap();
        for step in &setup {
            let body = step["body"].to_string();
            let answer = send(
                &app,
                Method::POST,
                step["path"].as_str().unwrap(),
                Some(&body),
            )
            .await;
            assert_eq!(answer.status, 201, "{body}");
        }
        let context = r#"{"context": {"targetingKey": "user-7", "seed": 333, "variant": "A"}}"#;
        for (key, value, variant, reason) in [
            (
                "pricing",
                json!({"price": 9, "currency": "EUR"}),
                "cheap",
                "SPLIT",
            ),
            ("colour", json!("blue"), "blue", "SPLIT"),
            ("limit", json!(12.5), "high", "SPLIT"),
            ("rollout", json!(true), "on", "TARGETING_MATCH"),
            ("nobody", json!(false), "off", "DEFAULT"),
            ("plain", json!(true), "on", "STATIC"),
            ("off", json!(false), "off", "DISABLED"),
            ("Random Variant Feature", json!(true), "A", "SPLIT"),
            ("Date Activated Feature", json!(false), "off", "DEFAULT"),
        ] {
            let answer = send(
                &app,
                Method::POST,
                &ofrep(&key.replace(' ', "%20")),
                Some(context),
            )
            .await;
            assert_eq!(answer.status, 200, "{key}: {answer:?}");
            assert_eq!(
                (
                    &answer.body["key"],
                    &answer.body["value"],
                    &answer.body["variant"],
                    &answer.body["reason"]
                ),
                (&json!(key), &value, &json!(variant), &json!(reason)),
                "{key}"
            );
            assert!(
                answer.body["metadata"]["flagId"].is_i64(),
                "{key}: {answer:?}"
            );
            assert!(
                answer.body["metadata"]["noviReason"].is_string(),
                "{key}: {answer:?}"
            );
        }

        // `targetingKey` is the rollout's stickiness key (userId): the same answer as Novi's own.
        for user in 0..40 {
            let ofrep_on = send(
                &app,
                Method::POST,
                &ofrep("half"),
                Some(&json!({"context": {"targetingKey": format!("user-{user}")}}).to_string()),
            )
            .await
            .body["value"]
                .clone();
            let novi_on = send(
                &app,
                Method::POST,
                "/evaluatedFlags/half",
                Some(&json!({"userId": format!("user-{user}")}).to_string()),
            )
            .await
            .body["status"]
                .clone();
            assert_eq!(ofrep_on, novi_on, "user-{user}");
        }
    });
}

#[test]
fn errors_have_ofrep_codes_and_statuses() {
    let db = TestDb::new(Backend::Sqlite);
    block_on(async {
        let app = init(db.sample_client()).await;
        for (path, body, status, code) in [
            (ofrep("missing"), Some("{}"), 404, "FLAG_NOT_FOUND"),
            (ofrep("Combo%20OR"), Some("{"), 400, "PARSE_ERROR"),
            (ofrep("Combo%20OR"), Some("[]"), 400, "INVALID_CONTEXT"),
            (
                ofrep("Combo%20OR"),
                Some(r#"{"context": 5}"#),
                400,
                "INVALID_CONTEXT",
            ),
            (
                ofrep("Combo%20OR"),
                Some(r#"{"context": {"targetingKey": 5}}"#),
                400,
                "INVALID_CONTEXT",
            ),
            (
                ofrep("Date%20Activated%20Feature"),
                Some(r#"{"context": {"currentDateTime": 5}}"#),
                400,
                "INVALID_CONTEXT",
            ),
            (
                "/ofrep/v1/evaluate/flags".to_owned(),
                Some(r#"{"context": []}"#),
                400,
                "INVALID_CONTEXT",
            ),
            (
                "/ofrep/v1/evaluate/flags".to_owned(),
                Some("nope"),
                400,
                "PARSE_ERROR",
            ),
        ] {
            let answer = send(&app, Method::POST, &path, body).await;
            assert_eq!(
                (answer.status.as_u16(), &answer.body["errorCode"]),
                (status, &json!(code)),
                "{path} {body:?}: {answer:?}"
            );
            assert!(answer.body["errorDetails"].is_string(), "{answer:?}");
            if path != "/ofrep/v1/evaluate/flags" {
                assert!(answer.body["key"].is_string(), "{answer:?}");
            }
        }
        // A bad context value fails the flags that read it, in place, in a bulk answer.
        let bulk = send(
            &app,
            Method::POST,
            "/ofrep/v1/evaluate/flags",
            Some(r#"{"context": {"currentDateTime": 5, "seed": 333, "variant": "A"}}"#),
        )
        .await;
        assert_eq!(bulk.status, 200);
        let flags = bulk.body["flags"].as_array().unwrap();
        assert_eq!(flags.len(), 4);
        assert_eq!(flags[0]["key"], "Date Activated Feature");
        assert_eq!(flags[0]["errorCode"], "INVALID_CONTEXT");
        assert_eq!(flags[1]["reason"], "SPLIT");
    });
}

#[test]
fn the_bulk_answer_has_an_etag_and_a_matching_if_none_match_gets_304() {
    let db = TestDb::new(Backend::Sqlite);
    block_on(async {
        let app = init(db.sample_client()).await;
        let bulk = |context: &'static str, if_none_match: Option<String>| {
            let mut req = request(
                Method::POST,
                "/ofrep/v1/evaluate/flags",
                Some(context.as_bytes()),
            );
            if let Some(tag) = if_none_match {
                req = req.insert_header((header::IF_NONE_MATCH, tag));
            }
            req
        };
        let a = r#"{"context": {"seed": 333, "variant": "A"}}"#;
        let first = call(&app, bulk(a, None)).await;
        assert_eq!(first.status, 200);
        let etag = first
            .headers
            .get(header::ETAG)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
        let names: Vec<&Value> = first.body["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| &f["key"])
            .collect();
        assert_eq!(
            names,
            [
                "Date Activated Feature",
                "Random Variant Feature",
                "Combo AND",
                "Combo OR"
            ]
        );

        let again = call(&app, bulk(a, Some(etag.clone()))).await;
        assert_eq!((again.status.as_u16(), again.raw.as_str()), (304, ""));
        assert_eq!(
            again.headers.get(header::ETAG).unwrap().to_str().unwrap(),
            etag
        );
        let listed = call(&app, bulk(a, Some(format!("\"other\", W/{etag}")))).await;
        assert_eq!(listed.status, 304);

        // Another context, or a changed flag, gives another tag.
        let other = call(
            &app,
            bulk(
                r#"{"context": {"seed": 333, "variant": "B"}}"#,
                Some(etag.clone()),
            ),
        )
        .await;
        assert_eq!(other.status, 200);
        assert_ne!(
            other.headers.get(header::ETAG).unwrap().to_str().unwrap(),
            etag
        );
        let put = send(
            &app,
            Method::PUT,
            "/flags/Combo%20OR",
            Some(r#"{"status": false}"#),
        )
        .await;
        assert_eq!(put.status, 200);
        let changed = call(&app, bulk(a, Some(etag.clone()))).await;
        assert_eq!(changed.status, 200);
        assert_eq!(changed.body["flags"][3]["reason"], "DISABLED");
    });
}

#[test]
fn client_tokens_guard_the_ofrep_routes_as_bearer_or_api_key() {
    let db = TestDb::new(Backend::Sqlite);
    block_on(async {
        let tokens = novi_web::Tokens {
            admin: vec![novi_web::Token::parse("ops=admin-secret-0123456789", "admin").unwrap()],
            client: vec![novi_web::Token::parse("app=client-secret-0123456789", "client").unwrap()],
        };
        let app = init_state(novi_web::AppState::new(db.sample_client()).with_tokens(tokens)).await;
        let path = ofrep("Combo%20OR");
        let with = |name: &'static str, value: &'static str| {
            request(Method::POST, &path, Some(b"{}")).insert_header((name, value))
        };
        let bare: TestRequest = request(Method::POST, &path, Some(b"{}"));
        assert_eq!(call(&app, bare).await.status, 401);
        assert_eq!(
            call(
                &app,
                with("authorization", "Bearer wrong-secret-0123456789")
            )
            .await
            .status,
            403
        );
        assert_eq!(
            call(
                &app,
                with("authorization", "Bearer client-secret-0123456789")
            )
            .await
            .status,
            200
        );
        assert_eq!(
            call(&app, with("x-api-key", "client-secret-0123456789"))
                .await
                .status,
            200
        );
    });
}
