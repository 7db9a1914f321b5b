//! The admin UI's files as HTTP serves them (their behaviour in a browser is `tests/ui.rs`):
//! where `/` leads, the security headers, revalidation, and what a page on another site may not
//! do. Also what the UI reads: `/health`'s version and backend, the `field` of a form's error.

use actix_web::{http::Method, test as web};
use novi_testing::Backend;
use novi_web::{AppState, Token, Tokens};
use serde_json::json;

use crate::{TestDb, assert_error, block_on, call, init, init_state, request, send};

/// Sends a request and returns status, headers and the raw body (the files are not JSON).
async fn raw<S, B>(
    app: &S,
    req: web::TestRequest,
) -> (u16, actix_web::http::header::HeaderMap, Vec<u8>)
where
    S: actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    let response = web::call_service(app, req.to_request()).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = web::read_body(response).await.to_vec();
    (status, headers, body)
}

fn header<'h>(headers: &'h actix_web::http::header::HeaderMap, name: &str) -> &'h str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name}"))
        .to_str()
        .unwrap()
}

#[test]
fn the_ui_is_served_with_a_strict_policy() {
    block_on(async {
        let db = TestDb::new(Backend::Sqlite);
        let app = init(db.client()).await;
        for path in ["/", "/ui"] {
            let (status, headers, _) = raw(&app, web::TestRequest::get().uri(path)).await;
            assert_eq!(status, 302, "{path}");
            assert_eq!(header(&headers, "location"), "/ui/");
        }
        let (status, headers, page) = raw(&app, web::TestRequest::get().uri("/ui/")).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "content-type"), "text/html; charset=utf-8");
        let page = String::from_utf8(page).unwrap();
        assert!(page.contains(r#"<script type="module" src="app.js"></script>"#));
        let policy = header(&headers, "content-security-policy");
        for part in [
            "default-src 'none'",
            "script-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ] {
            assert!(policy.contains(part), "{policy} lacks {part}");
        }
        assert!(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"));
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        assert_eq!(header(&headers, "x-frame-options"), "DENY");

        // Every module the page loads is served as JavaScript, with the same headers.
        let (status, headers, script) = raw(&app, web::TestRequest::get().uri("/ui/app.js")).await;
        assert_eq!(status, 200);
        assert_eq!(
            header(&headers, "content-type"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        let script = String::from_utf8(script).unwrap();
        for import in script.lines().filter_map(|l| l.split("from './").nth(1)) {
            let file = import.trim_end_matches("';");
            let (status, _, _) =
                raw(&app, web::TestRequest::get().uri(&format!("/ui/{file}"))).await;
            assert_eq!(status, 200, "{file}");
        }

        // Revalidation: the ETag answers 304.
        let etag = header(&headers, "etag").to_owned();
        let (status, headers, body) = raw(
            &app,
            web::TestRequest::get()
                .uri("/ui/app.js")
                .insert_header(("if-none-match", etag.as_str())),
        )
        .await;
        assert_eq!((status, body.len()), (304, 0));
        assert_eq!(header(&headers, "etag"), etag);

        // Anything else under /ui/ is a JSON 404; the files are read-only.
        let missing = send(&app, Method::GET, "/ui/secrets.js", None).await;
        assert_error(&missing, 404, "secrets.js");
        let missing = send(&app, Method::GET, "/ui/..%2FCargo.toml", None).await;
        assert_eq!(missing.status.as_u16(), 404);
        let post = send(&app, Method::POST, "/ui/app.js", Some("{}")).await;
        assert_error(&post, 405, "not allowed");
    });
}

/// The files are public even when tokens are set; the data behind them is not.
#[test]
fn the_files_are_public_and_the_data_is_not() {
    block_on(async {
        let db = TestDb::new(Backend::Sqlite);
        let tokens = Tokens {
            admin: vec![Token::parse("admin-secret-0123456789", "admin").unwrap()],
            client: vec![Token::parse("client-secret-0123456789", "client").unwrap()],
        };
        let app = init_state(AppState::new(db.client()).with_tokens(tokens)).await;
        let (status, _, _) = raw(&app, web::TestRequest::get().uri("/ui/")).await;
        assert_eq!(status, 200);
        let (status, _, _) = raw(&app, web::TestRequest::get().uri("/ui/api.js")).await;
        assert_eq!(status, 200);
        assert_eq!(
            send(&app, Method::GET, "/flags", None)
                .await
                .status
                .as_u16(),
            401
        );
        assert_eq!(
            send(&app, Method::GET, "/audit?limit=1", None)
                .await
                .status
                .as_u16(),
            401
        );
    });
}

/// A page on another site cannot make a browser write, even where writes need no token (on
/// loopback): the browser says where the request comes from, and the server refuses.
#[test]
fn a_write_from_another_site_is_refused() {
    const EVENTS: &[u8] = br#"{"events": [{"type": "conversion", "event": "buy", "unit": "u-1"}]}"#;
    block_on(async {
        let db = TestDb::new(Backend::Sqlite);
        let app = init(db.client()).await;
        let body = br#"{"name": "forged"}"#;
        for headers in [
            vec![("sec-fetch-site", "cross-site")],
            vec![("sec-fetch-site", "same-site")],
            vec![
                ("origin", "https://evil.example"),
                ("host", "127.0.0.1:8080"),
            ],
            vec![("origin", "null"), ("host", "127.0.0.1:8080")],
        ] {
            let mut req = request(Method::POST, "/flags", Some(body));
            for header in &headers {
                req = req.insert_header(*header);
            }
            let answer = call(&app, req).await;
            assert_error(&answer, 403, "another site");
            // Not even without a content type (a form or a no-cors fetch of a Blob).
            let mut bare = web::TestRequest::post()
                .uri("/activations")
                .set_payload(&body[..]);
            for header in &headers {
                bare = bare.insert_header(*header);
            }
            assert_eq!(call(&app, bare).await.status.as_u16(), 403, "{headers:?}");
            // Nor events (open on a server without tokens): another site's page could
            // otherwise fill an experiment with made-up conversions.
            let mut events = web::TestRequest::post().uri("/events").set_payload(EVENTS);
            for header in &headers {
                events = events.insert_header(*header);
            }
            assert_eq!(call(&app, events).await.status.as_u16(), 403, "{headers:?}");
        }
        assert!(db.client().snapshot().flag("forged").is_none());
        // Programs still send events.
        let events = web::TestRequest::post()
            .uri("/events")
            .insert_header(("content-type", "application/json"))
            .set_payload(EVENTS);
        assert_eq!(call(&app, events).await.status.as_u16(), 200);

        // The UI's own requests (same origin) and programs (no such headers) write.
        let same = request(Method::POST, "/flags", Some(br#"{"name": "from-the-ui"}"#))
            .insert_header(("sec-fetch-site", "same-origin"))
            .insert_header(("origin", "http://127.0.0.1:8080"))
            .insert_header(("host", "127.0.0.1:8080"));
        assert_eq!(call(&app, same).await.status.as_u16(), 201);
        let origin_only = request(
            Method::POST,
            "/flags",
            Some(br#"{"name": "older-browser"}"#),
        )
        .insert_header(("origin", "http://localhost:8080"))
        .insert_header(("host", "localhost:8080"));
        assert_eq!(call(&app, origin_only).await.status.as_u16(), 201);
        let program = send(
            &app,
            Method::POST,
            "/flags",
            Some(r#"{"name": "from-curl"}"#),
        )
        .await;
        assert_eq!(program.status.as_u16(), 201);
        // Reads and evaluations from other sites are not writes.
        let read = request(Method::POST, "/evaluatedFlags", Some(b"{}"))
            .insert_header(("sec-fetch-site", "cross-site"));
        assert_eq!(call(&app, read).await.status.as_u16(), 200);
    });
}

#[test]
fn health_names_the_version_and_the_backend() {
    block_on(async {
        let db = TestDb::new(Backend::Sqlite);
        let app = init(db.client()).await;
        let health = send(&app, Method::GET, "/health", None).await;
        assert_eq!(health.body["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(health.body["backend"], "sqlite");
    });
}

/// Form errors name the field they concern, so the UI shows them next to it.
#[test]
fn errors_name_the_field_they_concern() {
    block_on(async {
        let db = TestDb::new(Backend::Sqlite);
        let app = init(db.sample_client()).await;
        let cases = [
            (
                "/activations",
                json!({"name": "x", "class_name": "GradualRolloutActivation", "config": "{\"percentage\": 150}"}),
                422,
                "config",
            ),
            (
                "/activations",
                json!({"name": "x", "class_name": "NoSuchActivation", "config": "{}"}),
                422,
                "class_name",
            ),
            (
                "/activations",
                json!({"name": " x", "class_name": "AndActivation", "config": "[1]"}),
                400,
                "name",
            ),
            (
                "/activations",
                json!({"name": "loop", "class_name": "AndActivation", "config": "[99]"}),
                422,
                "config",
            ),
            (
                "/flags",
                json!({"name": "linked", "activations": [99]}),
                422,
                "activations",
            ),
            ("/flags", json!({"name": ""}), 400, "name"),
        ];
        for (path, body, status, field) in cases {
            let answer = send(&app, Method::POST, path, Some(&body.to_string())).await;
            assert_eq!(answer.status.as_u16(), status, "{body}: {answer:?}");
            assert_eq!(answer.body["field"], field, "{body}: {answer:?}");
        }
        let breaking = send(
            &app,
            Method::PUT,
            "/activations/1",
            Some(r#"{"name": "Date Activated", "class_name": "AndActivation", "config": "[3]"}"#),
        )
        .await;
        assert_eq!(breaking.status.as_u16(), 422, "{breaking:?}");
        assert_eq!(breaking.body["field"], "config");
    });
}
