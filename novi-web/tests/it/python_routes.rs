//! Python Novi's four routes, with its sample data: the same JSON, and JSON 4xx where Python
//! answered HTML 500s.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::{assert_error, block_on, db_test, init, send};

const DATE_FLAG: &str = "/evaluatedFlags/Date%20Activated%20Feature";

fn statuses(body: &Value) -> Vec<(String, Value)> {
    body.as_array()
        .unwrap()
        .iter()
        .map(|flag| {
            (
                flag["name"].as_str().unwrap().to_owned(),
                flag["status"].clone(),
            )
        })
        .collect()
}

db_test!(get_flags_is_pythons_json, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        let answer = send(&app, Method::GET, "/flags", None).await;
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.headers.get("content-type").unwrap(),
            "application/json"
        );
        // Byte for byte what Python Novi 0.4.2 answered (Flask added a final newline).
        let python = include_str!("../fixtures/python-get-flags.json");
        assert_eq!(answer.raw, python.trim_end());

        let one = send(&app, Method::GET, "/flags/Random%20Variant%20Feature", None).await;
        assert_eq!(one.status, 200);
        assert_eq!(
            one.raw,
            r#"{"activations":[{"class_name":"novi.client.activations.weighted_random_activation.WeightedRandomActivation","config":"{ \"splits\":[100, 0, 0], \"variations\":[\"A\", \"B\", \"C\"]}","id":2,"name":"Random Split Activated"}],"id":2,"name":"Random Variant Feature","status":true}"#
        );
        assert_error(
            &send(&app, Method::GET, "/flags/Nope", None).await,
            404,
            "flag `Nope` does not exist",
        );
        assert_error(
            &send(&app, Method::GET, "/flags/", None).await,
            404,
            "no route for GET /flags/",
        );
        let head = send(&app, Method::HEAD, "/flags", None).await;
        assert_eq!(head.status, 200);
    });
});

db_test!(evaluated_flags_for_pythons_contexts, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        let all = |body: &'static str| send(&app, Method::POST, "/evaluatedFlags", Some(body));
        let t = json!(true);
        let f = json!(false);
        let names = [
            "Date Activated Feature",
            "Random Variant Feature",
            "Combo AND",
            "Combo OR",
        ];
        for (body, expected) in [
            (
                r#"{"currentDateTime": "11/26/2023 12:00 AM", "seed": 90, "variant": "A"}"#,
                [&t, &t, &t, &t],
            ),
            (
                r#"{"currentDateTime": "11/28/2023 12:00 AM", "seed": 90, "variant": "B"}"#,
                [&f, &f, &f, &f],
            ),
            // Python said null for the date flag here; Novi uses the clock (2023 is past).
            ("{}", [&f, &f, &f, &f]),
            ("", [&f, &f, &f, &f]),
            ("  \n", [&f, &f, &f, &f]),
        ] {
            let answer = all(body).await;
            assert_eq!(answer.status, 200, "{body}: {answer:?}");
            let got = statuses(&answer.body);
            let want: Vec<_> = names
                .iter()
                .zip(expected)
                .map(|(n, s)| ((*n).to_owned(), s.clone()))
                .collect();
            assert_eq!(got, want, "{body}");
            for flag in answer.body.as_array().unwrap() {
                assert!(flag["reason"]["code"].is_string(), "{flag}");
            }
        }

        let one =
            |path: &'static str, body: &'static str| send(&app, Method::POST, path, Some(body));
        for (path, body, status) in [
            (
                DATE_FLAG,
                r#"{"currentDateTime": "11/27/2023 12:00 AM"}"#,
                true,
            ),
            (
                DATE_FLAG,
                r#"{"currentDateTime": "11/28/2023 12:00 AM"}"#,
                false,
            ),
            (DATE_FLAG, "{}", false),
            (
                "/evaluatedFlags/Random%20Variant%20Feature",
                r#"{"seed": 333, "variant": "A"}"#,
                true,
            ),
            (
                "/evaluatedFlags/Random%20Variant%20Feature",
                r#"{"seed": 333, "variant": "B"}"#,
                false,
            ),
            (
                "/evaluatedFlags/Random%20Variant%20Feature",
                r#"{"seed": 333}"#,
                false,
            ),
            (
                "/evaluatedFlags/Combo%20AND",
                r#"{"currentDateTime": "11/27/2023 12:00 AM", "seed": 1, "variant": "A"}"#,
                true,
            ),
            (
                "/evaluatedFlags/Combo%20AND",
                r#"{"currentDateTime": "11/28/2023 12:00 AM", "seed": 1, "variant": "A"}"#,
                false,
            ),
            // Python answered true here (a None swallowed); with no date, now is used.
            (
                "/evaluatedFlags/Combo%20AND",
                r#"{"seed": 1, "variant": "A"}"#,
                false,
            ),
            (
                "/evaluatedFlags/Combo%20OR",
                r#"{"currentDateTime": "11/28/2023 12:00 AM", "seed": 1, "variant": "A"}"#,
                true,
            ),
            (
                "/evaluatedFlags/Combo%20OR",
                r#"{"currentDateTime": "11/28/2023 12:00 AM", "seed": 1, "variant": "B"}"#,
                false,
            ),
            (
                "/evaluatedFlags/Combo%20OR",
                r#"{"currentDateTime": "11/27/2023 12:00 AM", "seed": 1, "variant": "B"}"#,
                true,
            ),
        ] {
            let answer = one(path, body).await;
            assert_eq!(answer.status, 200, "{path} {body}: {answer:?}");
            assert_eq!(answer.body["status"], json!(status), "{path} {body}");
        }

        // The same shape as /flags, with `status` evaluated and a `reason`.
        let answer = one(DATE_FLAG, r#"{"currentDateTime": "11/27/2023 12:00 AM"}"#).await;
        assert_eq!(
            answer.raw,
            r#"{"activations":[{"class_name":"novi.client.activations.date_time_activation.DateTimeActivation","config":"{\"startDateTime\":\"11/26/2023 12:00 AM\",\"endDateTime\":\"11/28/2023 12:00 AM\",\"format\": \"%m/%d/%Y %I:%M %p\"}","id":1,"name":"Date Activated"}],"id":1,"name":"Date Activated Feature","reason":{"code":"all_matched","message":"every activation matched"},"status":true,"variant":null}"#
        );
        let answer = one(
            "/evaluatedFlags/Combo%20AND",
            r#"{"seed": 1, "variant": "B"}"#,
        )
        .await;
        assert_eq!(
            answer.body["reason"],
            json!({"activation": 3, "code": "not_matched", "message": "activation 3 did not match"})
        );
    });
});

db_test!(python_500s_are_json_4xx, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        let post =
            |path: &'static str, body: &'static str| send(&app, Method::POST, path, Some(body));
        assert_error(
            &post("/evaluatedFlags", "{bad").await,
            400,
            "the body is not valid JSON",
        );
        assert_error(
            &post("/evaluatedFlags", "[1,2]").await,
            400,
            "the context must be a JSON object, found array",
        );
        assert_error(
            &post("/evaluatedFlags/Combo%20OR", "\"str\"").await,
            400,
            "found string",
        );
        let bad_date = post(DATE_FLAG, r#"{"currentDateTime": "2023-11-27"}"#).await;
        assert_error(
            &bad_date,
            400,
            "context key `currentDateTime` is invalid: `2023-11-27` does not match the format",
        );
        assert_eq!(bad_date.body["key"], "currentDateTime");
        assert_eq!(bad_date.body["flag"], "Date Activated Feature");
        let bad_seed = post(
            "/evaluatedFlags/Random%20Variant%20Feature",
            r#"{"seed": [1], "variant": "A"}"#,
        )
        .await;
        assert_error(
            &bad_seed,
            400,
            "context key `seed` must be an integer, string, float or boolean, found array",
        );
        assert_eq!(bad_seed.body["key"], "seed");
        let all = post("/evaluatedFlags", r#"{"currentDateTime": 5}"#).await;
        assert_error(
            &all,
            400,
            "context key `currentDateTime` must be a string, found number",
        );
        assert_error(
            &post("/evaluatedFlags/Nope", "{}").await,
            404,
            "flag `Nope` does not exist",
        );
    });
});

db_test!(evaluated_flags_carry_the_variant, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        let created = send(&app, Method::POST, "/activations", Some(r##"{"name": "colour", "class_name": "VariantActivation", "config": {"variants": [{"name": "red", "weight": 1, "payload": {"type": "json", "value": "{\"hex\": \"#f00\"}"}}]}}"##)).await;
        assert_eq!(created.status, 201, "{created:?}");
        let flag = send(
            &app,
            Method::POST,
            "/flags",
            Some(r#"{"name": "colourful", "status": true, "activations": [5]}"#),
        )
        .await;
        assert_eq!(flag.status, 201);
        let answer = send(
            &app,
            Method::POST,
            "/evaluatedFlags/colourful",
            Some(r#"{"userId": "u"}"#),
        )
        .await;
        assert_eq!(
            answer.body["variant"],
            json!({"name": "red", "payload": {"type": "json", "value": "{\"hex\": \"#f00\"}"}})
        );
        let plain = send(
            &app,
            Method::POST,
            "/evaluatedFlags/Combo%20AND",
            Some("{}"),
        )
        .await;
        assert_eq!(plain.body["variant"], Value::Null);
        let split = send(
            &app,
            Method::POST,
            "/evaluatedFlags/Random%20Variant%20Feature",
            Some(r#"{"seed": 333, "variant": "A"}"#),
        )
        .await;
        assert_eq!(split.body["variant"], json!({"name": "A"}));
    });
});

db_test!(long_lists_stream_and_stay_the_same_json, |db| {
    // 400 flags, half of them with a 250-value list: about 2 MiB, so the answers stream.
    let mut sql = String::new();
    for i in 1..=400 {
        let (class, config) = if i % 2 == 0 {
            (
                "GradualRolloutActivation",
                r#"{"percentage": 50, "stickiness": "userId"}"#.to_owned(),
            )
        } else {
            let values: Vec<String> = (0..250)
                .map(|v| format!("\"tenant-{v}-of-a-long-list\""))
                .collect();
            (
                "ConstraintActivation",
                format!(
                    r#"{{"contextName": "tenant", "operator": "IN", "values": [{}]}}"#,
                    values.join(", ")
                ),
            )
        };
        sql.push_str(&format!(
            "INSERT INTO activations (id, name, class_name, config) VALUES ({i}, 'activation \"{i}\"', '{class}', '{config}');\n\
             INSERT INTO flags (id, name, status) VALUES ({i}, 'flag-{i:04} ünïcode', {});\n\
             INSERT INTO flags_activations (flag_id, activation_id) VALUES ({i}, {i});\n",
            if i % 7 == 0 { "FALSE" } else { "TRUE" },
        ));
    }
    let client = db.client();
    db.execute(&sql);
    client.refresh().unwrap();
    block_on(async {
        let app = init(client.clone()).await;

        // The stream is used, and reassembles into the JSON a serializer would give.
        let response = actix_web::test::call_service(
            &app,
            actix_web::test::TestRequest::get()
                .uri("/flags")
                .to_request(),
        )
        .await;
        assert_eq!(
            actix_web::body::MessageBody::size(response.response().body()),
            actix_web::body::BodySize::Stream
        );
        let stored = send(&app, Method::GET, "/flags", None).await;
        let flags = stored.body.as_array().unwrap();
        assert_eq!(flags.len(), 400);
        let snapshot = client.snapshot();
        for (flag, record) in flags.iter().zip(snapshot.flags()) {
            let activation = &record.activations[0];
            assert_eq!(
                flag,
                &json!({
                    "activations": [{
                        "class_name": activation.class_name,
                        "config": activation.config,
                        "id": activation.id.0,
                        "name": activation.name,
                    }],
                    "id": record.id.0,
                    "name": record.name,
                    "status": record.status,
                })
            );
        }

        let ctx = r#"{"userId": "user-7", "tenant": "tenant-3-of-a-long-list"}"#;
        let evaluated = send(&app, Method::POST, "/evaluatedFlags", Some(ctx)).await;
        assert_eq!(evaluated.status, 200);
        let evaluated = evaluated.body.as_array().unwrap();
        assert_eq!(evaluated.len(), 400);
        let context =
            novi_core::context! { "userId": "user-7", "tenant": "tenant-3-of-a-long-list" };
        let mut on = 0;
        for (flag, stored) in evaluated.iter().zip(flags) {
            for key in ["activations", "id", "name"] {
                assert_eq!(flag[key], stored[key]);
            }
            let name = flag["name"].as_str().unwrap();
            let expected = client.evaluate(name, &context).unwrap();
            assert_eq!(flag["status"], json!(expected.enabled), "{name}");
            assert_eq!(
                flag["reason"]["message"],
                json!(expected.reason.to_string())
            );
            assert_eq!(flag["variant"], Value::Null);
            on += usize::from(expected.enabled);
        }
        assert!(on > 100 && on < 300, "{on} of 400 on");
    });
});
