//! `GET /metrics`: every counter after a known mix of requests, in Prometheus' text format.

use std::collections::HashMap;

use actix_web::{http::Method, test as actix_test};
use novi_testing::Backend;

use crate::{TestDb, block_on, init, send};

/// `name{labels} value` lines, keyed by `name{labels}`.
fn samples(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| {
            let (key, value) = line.rsplit_once(' ').unwrap();
            (key.to_owned(), value.parse().unwrap())
        })
        .collect()
}

#[test]
fn metrics_count_requests_evaluations_variants_and_report_the_snapshot() {
    let db = TestDb::new(Backend::Sqlite);
    block_on(async {
        let app = init(db.sample_client()).await;
        let a = Some(r#"{"seed": 333, "variant": "A"}"#);
        for _ in 0..3 {
            assert_eq!(
                send(&app, Method::POST, "/evaluatedFlags/Combo%20OR", a)
                    .await
                    .status,
                200
            );
        }
        let b = Some(r#"{"seed": 333, "variant": "B"}"#);
        assert_eq!(
            send(&app, Method::POST, "/evaluatedFlags/Combo%20OR", b)
                .await
                .status,
            200
        );
        assert_eq!(
            send(&app, Method::POST, "/evaluatedFlags", a).await.status,
            200
        );
        let ofrep = Some(r#"{"context": {"seed": 333, "variant": "A"}}"#);
        assert_eq!(
            send(
                &app,
                Method::POST,
                "/ofrep/v1/evaluate/flags/Combo%20OR",
                ofrep
            )
            .await
            .status,
            200
        );
        let bad_date = Some(r#"{"currentDateTime": 5}"#);
        assert_eq!(
            send(
                &app,
                Method::POST,
                "/evaluatedFlags/Date%20Activated%20Feature",
                bad_date
            )
            .await
            .status,
            400
        );
        assert_eq!(
            send(&app, Method::GET, "/flags/missing", None).await.status,
            404
        );
        assert_eq!(send(&app, Method::GET, "/nowhere", None).await.status, 404);
        let quoted = Some(r#"{"name": "say \"hi\"\\", "status": true}"#);
        assert_eq!(send(&app, Method::POST, "/flags", quoted).await.status, 201);
        assert_eq!(
            send(
                &app,
                Method::POST,
                "/evaluatedFlags/say%20%22hi%22%5C",
                Some("{}")
            )
            .await
            .status,
            200
        );

        // Not JSON, so not through `send`.
        let answer = actix_test::call_service(
            &app,
            actix_test::TestRequest::get().uri("/metrics").to_request(),
        )
        .await;
        assert_eq!(answer.status(), 200);
        assert_eq!(
            answer.headers().get("content-type").unwrap(),
            "text/plain; version=0.0.4; charset=utf-8"
        );
        let text = String::from_utf8(actix_test::read_body(answer).await.to_vec()).unwrap();
        let got = samples(&text);
        let value = |key: &str| {
            *got.get(key)
                .unwrap_or_else(|| panic!("no sample `{key}` in:\n{text}"))
        };

        let single = r#"method="POST",route="/evaluatedFlags/{name}",status="200""#;
        assert_eq!(value(&format!("novi_http_requests_total{{{single}}}")), 5.0);
        assert_eq!(
            value(
                r#"novi_http_requests_total{method="POST",route="/evaluatedFlags/{name}",status="400"}"#
            ),
            1.0
        );
        assert_eq!(
            value(r#"novi_http_requests_total{method="GET",route="/flags/{name}",status="404"}"#),
            1.0
        );
        assert_eq!(
            value(r#"novi_http_requests_total{method="GET",route="unmatched",status="404"}"#),
            1.0
        );
        assert_eq!(
            value(&format!(
                "novi_http_request_duration_seconds_count{{{single}}}"
            )),
            5.0
        );
        assert_eq!(
            value(&format!(
                "novi_http_request_duration_seconds_bucket{{{single},le=\"+Inf\"}}"
            )),
            5.0
        );
        let buckets: Vec<f64> = text
            .lines()
            .filter(|l| {
                l.starts_with(&format!(
                    "novi_http_request_duration_seconds_bucket{{{single},"
                ))
            })
            .map(|l| l.rsplit_once(' ').unwrap().1.parse().unwrap())
            .collect();
        assert_eq!(buckets.len(), 13);
        assert!(
            buckets.windows(2).all(|w| w[0] <= w[1]),
            "cumulative: {buckets:?}"
        );
        assert!(
            value(&format!(
                "novi_http_request_duration_seconds_sum{{{single}}}"
            )) > 0.0
        );

        // Combo OR: 3 singles, the bulk and OFREP with variant A are on (variant A); one is off.
        assert_eq!(
            value(r#"novi_flag_evaluations_total{flag="Combo OR",result="on"}"#),
            5.0
        );
        assert_eq!(
            value(r#"novi_flag_evaluations_total{flag="Combo OR",result="off"}"#),
            1.0
        );
        assert_eq!(
            value(r#"novi_flag_evaluations_total{flag="Combo OR",result="error"}"#),
            0.0
        );
        assert_eq!(
            value(r#"novi_flag_variant_evaluations_total{flag="Combo OR",variant="A"}"#),
            5.0
        );
        assert_eq!(
            value(r#"novi_flag_evaluations_total{flag="Date Activated Feature",result="error"}"#),
            1.0
        );
        assert_eq!(
            value(r#"novi_flag_evaluations_total{flag="Date Activated Feature",result="off"}"#),
            1.0
        );
        assert_eq!(
            value(r#"novi_flag_evaluations_total{flag="say \"hi\"\\",result="on"}"#),
            1.0
        );
        assert!(
            !got.keys().any(|k| k.contains("missing")),
            "unknown flags are not labels"
        );

        assert_eq!(value("novi_snapshot_flags"), 5.0);
        assert_eq!(value("novi_snapshot_activations"), 4.0);
        assert!(value("novi_snapshot_age_seconds") >= 0.0);
        assert_eq!(value("novi_refresh_failures_total"), 0.0);
        assert_eq!(value("novi_stream_clients"), 0.0);
        assert!(value("novi_db_pool_max_connections") >= 1.0);
        assert!(value("novi_db_pool_connections") >= value("novi_db_pool_idle_connections"));
        for name in [
            "novi_http_requests_total",
            "novi_flag_evaluations_total",
            "novi_snapshot_age_seconds",
        ] {
            assert!(
                text.contains(&format!("# TYPE {name} ")),
                "{name} has a TYPE line"
            );
        }
    });
}

/// The text of `GET /metrics`, with the admin token.
async fn metrics_text<S, B>(app: &S) -> String
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let req = actix_test::TestRequest::get()
        .uri("/metrics")
        .insert_header(("authorization", format!("Bearer {ADMIN}")));
    let answer = actix_test::call_service(app, req.to_request()).await;
    assert_eq!(answer.status(), 200);
    String::from_utf8(actix_test::read_body(answer).await.to_vec()).unwrap()
}

const ADMIN: &str = "admin-secret-0123456789";

/// Callers choose methods and paths; neither may become a label. 10,000 invented methods and
/// 10,000 invented paths (unauthenticated, on a server with tokens) leave `/metrics` within a
/// few KB of its size before.
#[test]
fn invented_methods_and_paths_do_not_grow_the_metrics() {
    let db = TestDb::new(Backend::Sqlite);
    block_on(async {
        let tokens = novi_web::Tokens {
            admin: vec![novi_web::Token::parse(ADMIN, "admin").unwrap()],
            client: vec![novi_web::Token::parse("client-secret-0123456789", "client").unwrap()],
        };
        let app =
            crate::init_state(novi_web::AppState::new(db.sample_client()).with_tokens(tokens))
                .await;
        assert_eq!(send(&app, Method::GET, "/flags", None).await.status, 401);
        let before = metrics_text(&app).await;
        for i in 0..10_000 {
            let method =
                Method::from_bytes(format!("M{}X", "M".repeat(i % 50) + &i.to_string()).as_bytes())
                    .unwrap();
            for path in ["/flags", &format!("/invented/{i}")] {
                let req = actix_test::TestRequest::default()
                    .method(method.clone())
                    .uri(path);
                let status = actix_test::call_service(&app, req.to_request())
                    .await
                    .status();
                assert!(status.is_client_error(), "{method} {path}: {status}");
            }
            let path = format!("/made-up-{i}");
            assert_eq!(send(&app, Method::GET, &path, None).await.status, 404);
        }
        let after = metrics_text(&app).await;
        assert!(
            after.len() < before.len() + 8 * 1024,
            "/metrics grew from {} to {} bytes:\n{after}",
            before.len(),
            after.len()
        );
        let got = samples(&after);
        assert_eq!(
            got[r#"novi_http_requests_total{method="other",route="/flags",status="405"}"#],
            10_000.0
        );
        assert_eq!(
            got[r#"novi_http_requests_total{method="other",route="unmatched",status="404"}"#],
            10_000.0
        );
        assert_eq!(
            got[r#"novi_http_requests_total{method="GET",route="unmatched",status="404"}"#],
            10_000.0
        );
    });
}
