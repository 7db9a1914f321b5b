//! Every client mistake gets a JSON 4xx: unknown routes, wrong methods, huge bodies, wrong
//! content types, malformed JSON.

use actix_web::{http::Method, test::TestRequest};

use crate::{assert_error, block_on, call, db_test, init, send};

db_test!(client_mistakes_are_json_4xx, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        assert_error(
            &send(&app, Method::GET, "/nothing", None).await,
            404,
            "no route for GET /nothing",
        );

        for (method, path, allow) in [
            (Method::DELETE, "/flags", "GET, HEAD, POST, OPTIONS"),
            (
                Method::POST,
                "/flags/Combo%20OR",
                "GET, HEAD, PUT, DELETE, OPTIONS",
            ),
            (Method::GET, "/evaluatedFlags", "POST, OPTIONS"),
            (Method::GET, "/evaluatedFlags/Combo%20OR", "POST, OPTIONS"),
            (Method::PATCH, "/activations", "GET, HEAD, POST, OPTIONS"),
            (
                Method::POST,
                "/activations/1",
                "GET, HEAD, PUT, DELETE, OPTIONS",
            ),
        ] {
            let answer = send(&app, method.clone(), path, None).await;
            assert_error(&answer, 405, &format!("method {method} is not allowed"));
            assert_eq!(
                answer.headers.get("allow").unwrap(),
                allow,
                "{method} {path}"
            );
            let options = send(&app, Method::OPTIONS, path, None).await;
            assert_eq!(options.status, 204);
            assert_eq!(options.headers.get("allow").unwrap(), allow);
        }

        let huge = format!(r#"{{"name": "{}"}}"#, "x".repeat(novi_web::BODY_LIMIT));
        for path in ["/flags", "/evaluatedFlags", "/activations"] {
            let req = TestRequest::post()
                .uri(path)
                .insert_header(("content-type", "application/json"))
                .set_payload(huge.clone());
            assert_error(&call(&app, req).await, 413, "larger than 1048576 bytes");
        }

        let form = TestRequest::post()
            .uri("/flags")
            .insert_header(("content-type", "application/x-www-form-urlencoded"))
            .set_payload("name=x");
        assert_error(&call(&app, form).await, 415, "must be JSON");
        let no_type = TestRequest::post()
            .uri("/flags")
            .set_payload(r#"{"name": "typeless"}"#);
        assert_eq!(
            call(&app, no_type).await.status,
            201,
            "a missing content type is taken as JSON"
        );
        let evaluate_form = TestRequest::post()
            .uri("/evaluatedFlags/Combo%20OR")
            .insert_header(("content-type", "text/plain"))
            .set_payload(r#"{"seed": 1, "variant": "A"}"#);
        assert_eq!(
            call(&app, evaluate_form).await.status,
            200,
            "evaluation reads JSON whatever the type"
        );

        assert_error(
            &send(&app, Method::POST, "/flags", Some("")).await,
            400,
            "the request body is empty",
        );
        assert_error(
            &send(&app, Method::POST, "/flags", Some("{")).await,
            400,
            "invalid request body: EOF",
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_error(
            &send(&app, Method::POST, "/evaluatedFlags", Some(&deep)).await,
            400,
            "recursion limit exceeded",
        );
        assert_error(
            &send(&app, Method::POST, "/flags", Some(&deep)).await,
            400,
            "invalid request body",
        );
        let big_array = format!("[{}]", vec!["1"; 10_000].join(","));
        assert_error(
            &send(&app, Method::POST, "/evaluatedFlags", Some(&big_array)).await,
            400,
            "must be a JSON object",
        );
        let invalid_utf8 = TestRequest::post()
            .uri("/evaluatedFlags")
            .set_payload(vec![0xff, 0xfe, b'{']);
        assert_error(&call(&app, invalid_utf8).await, 400, "not valid JSON");
    });
});
