//! Writing flags and activations over HTTP: statuses, validation, read-your-writes.

use actix_web::http::Method;
use serde_json::json;

use crate::{assert_error, block_on, db_test, init, send};

db_test!(flag_authoring, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        let post = |body: &'static str| send(&app, Method::POST, "/flags", Some(body));

        let created = post(r#"{"name": "New Flag", "status": true, "activations": [2]}"#).await;
        assert_eq!(created.status, 201, "{created:?}");
        assert_eq!(
            created.headers.get("location").unwrap(),
            "/flags/New%20Flag"
        );
        assert_eq!(created.body["name"], "New Flag");
        assert_eq!(created.body["id"], 5);
        assert_eq!(created.body["activations"][0]["id"], 2);
        // Read your write: the very next evaluation sees it.
        let on = send(
            &app,
            Method::POST,
            "/evaluatedFlags/New%20Flag",
            Some(r#"{"seed": 1, "variant": "A"}"#),
        )
        .await;
        assert_eq!(
            (on.status.as_u16(), on.body["status"].clone()),
            (200, json!(true))
        );

        // Creating a flag does not switch a feature on for everyone: without a status it is off.
        let plain = post(r#"{"name": "plain"}"#).await;
        assert_eq!(
            (plain.status.as_u16(), plain.body["status"].clone()),
            (201, json!(false)),
            "status defaults to false"
        );
        let off = send(&app, Method::POST, "/evaluatedFlags/plain", Some("{}")).await;
        assert_eq!(off.body["status"], json!(false), "{off:?}");
        assert_eq!(off.body["reason"]["code"], "disabled", "{off:?}");
        assert_error(
            &post(r#"{"name": "New Flag", "status": false}"#).await,
            409,
            "a flag named `New Flag` already exists",
        );
        assert_error(
            &post(r#"{"name": "x", "activations": [2, 99]}"#).await,
            422,
            "no activation has the id 99",
        );
        assert_eq!(
            post(r#"{"name": "x", "activations": [98]}"#).await.body["unknown_ids"],
            json!([98])
        );
        assert_error(
            &post(r#"{"status": true}"#).await,
            400,
            "missing field `name`",
        );
        assert_error(
            &post(r#"{"name": 5}"#).await,
            400,
            "invalid type: integer `5`, expected a string",
        );
        assert_error(
            &post(r#"{"name": "x", "status": "yes"}"#).await,
            400,
            "expected a boolean",
        );
        assert_error(
            &post(r#"{"name": "x", "colour": "red"}"#).await,
            400,
            "unknown field `colour`",
        );
        assert_error(
            &post(r#"{"name": ""}"#).await,
            400,
            "invalid flag name: it is empty",
        );
        assert_error(
            &post(r#"{"name": "x", "activations": [2147483648]}"#).await,
            400,
            "expected i32",
        );
        assert_eq!(
            send(&app, Method::GET, "/flags/x", None).await.status,
            404,
            "failed writes leave nothing"
        );

        // PUT: rename, status, activations replaced when present.
        let put =
            |path: &'static str, body: &'static str| send(&app, Method::PUT, path, Some(body));
        let renamed = put(
            "/flags/New%20Flag",
            r#"{"name": "Renamed", "status": false}"#,
        )
        .await;
        assert_eq!(renamed.status, 200, "{renamed:?}");
        assert_eq!(
            (renamed.body["name"].clone(), renamed.body["status"].clone()),
            (json!("Renamed"), json!(false))
        );
        assert_eq!(
            renamed.body["activations"].as_array().unwrap().len(),
            1,
            "kept without `activations`"
        );
        assert_eq!(
            send(&app, Method::GET, "/flags/New%20Flag", None)
                .await
                .status,
            404
        );
        let replaced = put("/flags/Renamed", r#"{"activations": [1, 2]}"#).await;
        assert_eq!(replaced.body["activations"].as_array().unwrap().len(), 2);
        assert_eq!(
            replaced.body["status"],
            json!(false),
            "kept without `status`"
        );
        assert_error(
            &put("/flags/Renamed", r#"{"name": "Combo OR"}"#).await,
            409,
            "already exists",
        );
        assert_error(
            &put("/flags/Nope", r#"{"status": true}"#).await,
            404,
            "flag `Nope` does not exist",
        );
        assert_error(
            &put("/flags/Renamed", r#"{"activations": [77]}"#).await,
            422,
            "no activation has the id 77",
        );

        let deleted = send(&app, Method::DELETE, "/flags/Renamed", None).await;
        assert_eq!((deleted.status.as_u16(), deleted.raw.as_str()), (204, ""));
        assert_error(
            &send(&app, Method::DELETE, "/flags/Renamed", None).await,
            404,
            "flag `Renamed` does not exist",
        );
        assert_error(
            &send(&app, Method::POST, "/evaluatedFlags/Renamed", Some("{}")).await,
            404,
            "does not exist",
        );
    });
});

db_test!(activation_authoring, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        let post = |body: &'static str| send(&app, Method::POST, "/activations", Some(body));

        let listed = send(&app, Method::GET, "/activations", None).await;
        assert_eq!(listed.body.as_array().unwrap().len(), 4);
        assert_eq!(
            send(&app, Method::GET, "/activations/3", None).await.body,
            json!({"class_name": "novi.client.activations.and_activation.AndActivation", "config": "[1,2]", "id": 3, "name": "Combo AND Activation"})
        );
        assert_error(
            &send(&app, Method::GET, "/activations/99", None).await,
            404,
            "activation 99 does not exist",
        );
        assert_error(
            &send(&app, Method::GET, "/activations/abc", None).await,
            400,
            "`abc` is not an activation id",
        );
        assert_error(
            &send(&app, Method::GET, "/activations/99999999999", None).await,
            400,
            "is not an activation id",
        );

        // `config` as a JSON value is stored as its JSON text; as a string, verbatim.
        let window = post(r#"{"name": "window", "class_name": "DateTimeActivation", "config": {"startDateTime": "2023", "endDateTime": "2024", "format": "%Y"}}"#).await;
        assert_eq!(window.status, 201, "{window:?}");
        assert_eq!(window.headers.get("location").unwrap(), "/activations/5");
        assert_eq!(
            window.body["config"],
            r#"{"endDateTime":"2024","format":"%Y","startDateTime":"2023"}"#
        );
        let either =
            post(r#"{"name": "either", "class_name": "OrActivation", "config": "[2, 5]"}"#).await;
        assert_eq!(
            (either.status.as_u16(), either.body["config"].clone()),
            (201, json!("[2, 5]"))
        );

        let unknown = post(r#"{"name": "x", "class_name": "Nope", "config": "{}"}"#).await;
        assert_error(&unknown, 422, "unknown activation class `Nope`");
        assert!(
            unknown.body["registered"]
                .as_array()
                .unwrap()
                .contains(&json!("DateTimeActivation"))
        );
        assert_error(
            &post(r#"{"name": "x", "class_name": "WeightedRandomActivation", "config": {"splits": [0], "variations": ["A"]}}"#).await,
            422,
            "invalid WeightedRandomActivation config: the splits add up to 0",
        );
        assert_error(
            &post(r#"{"name": "x", "class_name": "AndActivation", "config": [1, 99]}"#).await,
            422,
            "activation 99 does not exist",
        );
        // A composite that names the id after the highest (the one it is checked under before
        // it is inserted) is a cycle.
        let listed = send(&app, Method::GET, "/activations", None).await;
        let next = listed.body.as_array().unwrap().len() + 1;
        let own_body =
            format!(r#"{{"name": "x", "class_name": "AndActivation", "config": [{next}]}}"#);
        let own = send(&app, Method::POST, "/activations", Some(&own_body)).await;
        assert_error(&own, 422, &format!("activation cycle: {next} → {next}"));
        assert_error(
            &post(r#"{"name": "x", "class_name": "AndActivation"}"#).await,
            400,
            "missing field `config`",
        );

        // PUT re-validates, cycles included.
        let put =
            |path: &'static str, body: &'static str| send(&app, Method::PUT, path, Some(body));
        assert_error(
            &put(
                "/activations/5",
                r#"{"name": "w", "class_name": "AndActivation", "config": [6]}"#,
            )
            .await,
            422,
            "activation cycle: 5 → 6 → 5",
        );
        let changed = put("/activations/5", r#"{"name": "window 2", "class_name": "DateTimeActivation", "config": {"startDateTime": "2000", "endDateTime": "2999", "format": "%Y"}}"#).await;
        assert_eq!(
            (changed.status.as_u16(), changed.body["name"].clone()),
            (200, json!("window 2"))
        );
        assert_error(
            &put(
                "/activations/42",
                r#"{"name": "w", "class_name": "AndActivation", "config": [1]}"#,
            )
            .await,
            404,
            "activation 42 does not exist",
        );

        // DELETE: 409 while used, 204 once free, 404 after.
        assert_error(
            &send(&app, Method::DELETE, "/activations/1", None).await,
            409,
            "activation 1 is still used by flag `Date Activated Feature` and activations 3, 4",
        );
        assert_error(
            &send(&app, Method::DELETE, "/activations/5", None).await,
            409,
            "activation 5 is still used by activation 6",
        );
        assert_eq!(
            send(&app, Method::DELETE, "/activations/6", None)
                .await
                .status,
            204
        );
        assert_eq!(
            send(&app, Method::DELETE, "/activations/5", None)
                .await
                .status,
            204
        );
        assert_error(
            &send(&app, Method::DELETE, "/activations/5", None).await,
            404,
            "activation 5 does not exist",
        );
    });
});

db_test!(writes_from_a_stale_replica_lose_nothing, |db| {
    let client = db.sample_client();
    let other_replica = db.client();
    block_on(async {
        let app = init(client).await;
        assert_eq!(
            send(
                &app,
                Method::POST,
                "/flags",
                Some(r#"{"name": "z3", "status": true}"#)
            )
            .await
            .status,
            201
        );
        // Another replica turns it off; this server's snapshot has not seen that yet.
        other_replica.refresh().unwrap();
        other_replica
            .patch_flag(
                "z3",
                &novi_client::FlagUpdate {
                    status: Some(false),
                    ..Default::default()
                },
            )
            .unwrap();
        let renamed = send(
            &app,
            Method::PUT,
            "/flags/z3",
            Some(r#"{"name": "z3-renamed"}"#),
        )
        .await;
        assert_eq!(renamed.status, 200, "{renamed:?}");
        assert_eq!(
            renamed.body["status"],
            json!(false),
            "the other replica's change survives"
        );
    });
});

db_test!(big_inputs_are_4xx_or_stored_on_every_backend, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        let ids: Vec<String> = (1000..6000).map(|id| id.to_string()).collect();
        let body = format!(r#"{{"name": "many", "activations": [{}]}}"#, ids.join(","));
        let many = send(&app, Method::POST, "/flags", Some(&body)).await;
        assert_eq!(
            many.status,
            422,
            "{}",
            many.raw.chars().take(200).collect::<String>()
        );
        assert_eq!(many.body["unknown_ids"].as_array().unwrap().len(), 5000);

        let values: Vec<String> = (0..12_000).map(|i| format!("\"user-{i:08}\"")).collect();
        let body = format!(
            r#"{{"name": "big list", "class_name": "UserListActivation", "config": {{"values": [{}]}}}}"#,
            values.join(",")
        );
        assert!(body.len() > 150_000);
        let big = send(&app, Method::POST, "/activations", Some(&body)).await;
        assert_eq!(
            big.status,
            201,
            "{}",
            big.raw.chars().take(200).collect::<String>()
        );
        let stored = send(&app, Method::GET, "/activations/5", None).await;
        assert!(
            stored.body["config"]
                .as_str()
                .unwrap()
                .contains("user-00011999")
        );
    });
});

db_test!(names_in_paths_are_decoded_strictly, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        for name in ["a/b", "\u{fffd}", "100% ✓"] {
            let body = json!({"name": name}).to_string();
            assert_eq!(
                send(&app, Method::POST, "/flags", Some(&body)).await.status,
                201,
                "{name}"
            );
        }
        let slash = send(&app, Method::GET, "/flags/a%2Fb", None).await;
        assert_eq!(
            (slash.status.as_u16(), slash.body["name"].clone()),
            (200, json!("a/b"))
        );
        let percent = send(&app, Method::GET, "/flags/100%25%20%E2%9C%93", None).await;
        assert_eq!(percent.body["name"], json!("100% ✓"));
        for (method, path) in [
            (Method::GET, "/flags/%FF"),
            (Method::DELETE, "/flags/%FF"),
            (Method::PUT, "/flags/%FF"),
            (Method::POST, "/evaluatedFlags/%FF"),
        ] {
            let body = (method == Method::PUT || method == Method::POST).then_some("{}");
            assert_error(
                &send(&app, method.clone(), path, body).await,
                400,
                "not valid UTF-8",
            );
        }
        assert_eq!(
            send(&app, Method::GET, "/flags/%EF%BF%BD", None)
                .await
                .status,
            200,
            "the real U+FFFD flag"
        );
    });
});
