//! Tokens: an admin token guards writes and `/audit`, client tokens guard reads.

use actix_web::{http::Method, test::TestRequest};
use novi_testing::Backend;
use novi_web::{AppState, Token, Tokens};

use crate::{Answer, TestDb, assert_error, block_on, call, init_state, send};

const ADMIN: &str = "admin-secret-0123456789";
const CLIENT: &str = "client-secret-0123456789";

fn tokens(client: bool) -> Tokens {
    Tokens {
        admin: vec![Token::parse(&format!("ops={ADMIN}"), "admin").unwrap()],
        client: if client {
            vec![Token::parse(CLIENT, "client").unwrap()]
        } else {
            vec![]
        },
    }
}

fn with(method: Method, path: &str, body: Option<&str>, headers: &[(&str, &str)]) -> TestRequest {
    let mut req = TestRequest::default().method(method).uri(path);
    if let Some(body) = body {
        req = req
            .insert_header(("content-type", "application/json"))
            .set_payload(body.to_owned());
    }
    for header in headers {
        req = req.insert_header(*header);
    }
    req
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

fn assert_unauthorized(answer: &Answer) {
    assert_error(
        answer,
        401,
        "this route needs a token: send `Authorization: Bearer <token>`",
    );
    assert_eq!(
        answer.headers.get("www-authenticate").unwrap(),
        r#"Bearer realm="novi""#
    );
}

#[test]
fn an_admin_token_guards_every_write_and_leaves_reads_open() {
    let db = TestDb::new(Backend::Sqlite);
    let client = db.sample_client();
    block_on(async {
        let app = init_state(AppState::new(client).with_tokens(tokens(false))).await;
        let create = Some(r#"{"name": "guarded"}"#);

        assert_unauthorized(&send(&app, Method::POST, "/flags", create).await);
        let (name, value) = bearer("wrong-secret-0123456789");
        let wrong = call(
            &app,
            with(Method::POST, "/flags", create, &[(name, &value)]),
        )
        .await;
        assert_error(&wrong, 403, "the token is not valid");
        // Not a Bearer token: the same as none.
        let basic = call(
            &app,
            with(
                Method::POST,
                "/flags",
                create,
                &[("authorization", "Basic b3BzOnNlY3JldA==")],
            ),
        )
        .await;
        assert_eq!(basic.status, 401);
        for (method, path, body) in [
            (
                Method::PUT,
                "/flags/Combo%20OR",
                Some(r#"{"status": false}"#),
            ),
            (Method::DELETE, "/flags/Combo%20OR", None),
            (
                Method::POST,
                "/activations",
                Some(r#"{"name": "x", "class_name": "EnvironmentActivation", "config": {}}"#),
            ),
            (Method::PUT, "/activations/1", Some("{}")),
            (Method::DELETE, "/activations/1", None),
            (Method::GET, "/audit", None),
        ] {
            let answer = send(&app, method.clone(), path, body).await;
            assert_eq!(answer.status, 401, "{method} {path}: {answer:?}");
        }
        // Nothing was written by the refused requests.
        assert_eq!(
            send(&app, Method::GET, "/flags", None)
                .await
                .body
                .as_array()
                .unwrap()
                .len(),
            4
        );

        // Reads and evaluations stay open without client tokens.
        assert_eq!(send(&app, Method::GET, "/flags", None).await.status, 200);
        assert_eq!(
            send(&app, Method::POST, "/evaluatedFlags", Some("{}"))
                .await
                .status,
            200
        );

        let (name, value) = bearer(ADMIN);
        let created = call(
            &app,
            with(Method::POST, "/flags", create, &[(name, &value)]),
        )
        .await;
        assert_eq!(created.status, 201, "{created:?}");
        // The scheme is case-insensitive; X-API-Key works too.
        let lower = format!("bearer {ADMIN}");
        let renamed = call(
            &app,
            with(
                Method::PUT,
                "/flags/guarded",
                Some(r#"{"name": "guarded-2"}"#),
                &[("authorization", &lower)],
            ),
        )
        .await;
        assert_eq!(renamed.status, 200, "{renamed:?}");
        let deleted = call(
            &app,
            with(
                Method::DELETE,
                "/flags/guarded-2",
                None,
                &[("x-api-key", ADMIN)],
            ),
        )
        .await;
        assert_eq!(deleted.status, 204, "{deleted:?}");
    });
}

#[test]
fn client_tokens_guard_reads_and_cannot_write() {
    let db = TestDb::new(Backend::Sqlite);
    let client = db.sample_client();
    block_on(async {
        let app = init_state(AppState::new(client).with_tokens(tokens(true))).await;
        for (method, path, body) in [
            (Method::GET, "/flags", None),
            (Method::GET, "/flags/Combo%20OR", None),
            (Method::HEAD, "/flags", None),
            (Method::GET, "/activations", None),
            (Method::POST, "/evaluatedFlags", Some("{}")),
            (Method::POST, "/evaluatedFlags/Combo%20OR", Some("{}")),
        ] {
            let open = send(&app, method.clone(), path, body).await;
            assert_eq!(open.status, 401, "{method} {path}");
            for token in [CLIENT, ADMIN] {
                let (name, value) = bearer(token);
                let answer = call(&app, with(method.clone(), path, body, &[(name, &value)])).await;
                assert_eq!(answer.status, 200, "{method} {path}: {answer:?}");
            }
            let keyed = call(
                &app,
                with(method.clone(), path, body, &[("x-api-key", CLIENT)]),
            )
            .await;
            assert_eq!(keyed.status, 200, "{method} {path}");
            let (name, value) = bearer("not-a-token-0123456789");
            let wrong = call(&app, with(method.clone(), path, body, &[(name, &value)])).await;
            assert_eq!(wrong.status, 403, "{method} {path}");
        }
        let (name, value) = bearer(CLIENT);
        let write = call(
            &app,
            with(
                Method::POST,
                "/flags",
                Some(r#"{"name": "x"}"#),
                &[(name, &value)],
            ),
        )
        .await;
        assert_error(
            &write,
            403,
            "a client token may read and evaluate, not write",
        );
        // Pre-flight requests carry no token.
        let options = send(&app, Method::OPTIONS, "/flags", None).await;
        assert_eq!(options.status, 204);
    });
}

/// Spellings of `path` that route to the same place: the plain path, and for each segment one
/// variant with its first character percent-encoded and one with every character encoded
/// (lowercase hex), as a hostile client would write `/%61udit`.
fn spellings(path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let encode = |segment: &str, all: bool| -> String {
        let mut out = String::new();
        let mut rest = segment;
        // A segment that is already an escape (`Combo%20OR`) is encoded character by
        // character around its escapes.
        let mut first = true;
        while let Some(c) = rest.chars().next() {
            if c == '%' {
                out.push_str(&rest[..3]);
                rest = &rest[3..];
                continue;
            }
            if first || all {
                out.push_str(&format!("%{:02x}", c as u32));
            } else {
                out.push(c);
            }
            first = false;
            rest = &rest[c.len_utf8()..];
        }
        out
    };
    let mut all = vec![path.to_owned()];
    for (i, _) in segments.iter().enumerate() {
        for every in [false, true] {
            let spelled: Vec<String> = segments
                .iter()
                .enumerate()
                .map(|(j, s)| {
                    if i == j {
                        encode(s, every)
                    } else {
                        (*s).to_owned()
                    }
                })
                .collect();
            all.push(format!("/{}", spelled.join("/")));
        }
    }
    all
}

#[test]
fn spellings_encode_each_segment() {
    let spelled = spellings("/audit");
    assert_eq!(spelled, ["/audit", "/%61udit", "/%61%75%64%69%74"]);
    let spelled = spellings("/flags/Combo%20OR");
    assert!(
        spelled.contains(&"/flags/%43ombo%20OR".to_owned()),
        "{spelled:?}"
    );
    assert!(
        spelled.contains(&"/flags/%43%6f%6d%62%6f%20%4f%52".to_owned()),
        "{spelled:?}"
    );
}

/// Every route of `ROUTES`, every method it declares (and `HEAD` beside `GET`), every spelling
/// of its path, with no token, a client token and an admin token, under both token set-ups: the
/// guard answers as the route's declared access says, whatever the spelling.
#[test]
fn access_follows_the_matched_route_whatever_the_spelling() {
    for with_client_tokens in [false, true] {
        let db = TestDb::new(Backend::Sqlite);
        let client = db.sample_client();
        block_on(async {
            let state = AppState::new(client).with_tokens(tokens(with_client_tokens));
            let app = init_state(state).await;
            let mut checked = 0;
            for route in novi_web::ROUTES {
                let concrete = route
                    .path
                    .replace("{name}", "Combo%20OR")
                    .replace("{key}", "Combo%20OR")
                    .replace("{id}", "1")
                    .replace("{file}", "app.js");
                let mut methods: Vec<(&str, novi_web::Access)> = route.methods.to_vec();
                if let Some((_, access)) = methods.iter().find(|(m, _)| *m == "GET") {
                    methods.push(("HEAD", *access));
                }
                for (method, access) in methods {
                    for path in spellings(&concrete) {
                        for who in ["nobody", "client", "admin"] {
                            let mut req = TestRequest::default()
                                .method(Method::from_bytes(method.as_bytes()).unwrap())
                                .uri(&path);
                            // Bodies that no write can succeed with; a revert takes none, and
                            // as admin may undo the sweep's own `DELETE /flags/Combo OR`.
                            if ["POST", "PUT"].contains(&method) {
                                req = req
                                    .insert_header(("content-type", "application/json"))
                                    .set_payload(r#"{"name": ""}"#);
                            }
                            match who {
                                "client" => req = req.insert_header(bearer(CLIENT)),
                                "admin" => req = req.insert_header(bearer(ADMIN)),
                                _ => {}
                            }
                            let res = actix_web::test::call_service(&app, req.to_request()).await;
                            let status = res.status().as_u16();
                            // An event stream's body never ends: its status is the answer.
                            let streaming = res
                                .headers()
                                .get("content-type")
                                .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
                            let body = if streaming {
                                Default::default()
                            } else {
                                actix_web::test::read_body(res).await
                            };
                            let body = String::from_utf8_lossy(&body);
                            let expected_refusal = match (access, who) {
                                (novi_web::Access::Read, "nobody") if with_client_tokens => {
                                    Some(401)
                                }
                                (novi_web::Access::Admin | novi_web::Access::Ingest, "nobody") => {
                                    Some(401)
                                }
                                // Without client tokens, a client token is no token of ours.
                                (novi_web::Access::Ingest, "client") if !with_client_tokens => {
                                    Some(403)
                                }
                                (novi_web::Access::Admin, "client") => Some(403),
                                _ => None,
                            };
                            let context = format!(
                                "{method} {path} as {who} (client tokens: {with_client_tokens}): {status} {body}"
                            );
                            match expected_refusal {
                                Some(refusal) => assert_eq!(status, refusal, "{context}"),
                                None => {
                                    assert!(![401, 403, 405].contains(&status), "{context}");
                                    assert!(!body.contains("no route for"), "{context}");
                                    assert!(status < 500, "{context}");
                                }
                            }
                            checked += 1;
                        }
                    }
                }
            }
            assert!(checked > 300, "{checked} requests checked");
        });
    }
}

/// The hole this closes: `/audit` spelled `/%61udit` went round the guard, which compared the
/// raw path while actix-web routes on the decoded one.
#[test]
fn the_audit_log_needs_the_admin_token_however_it_is_spelled() {
    let db = TestDb::new(Backend::Sqlite);
    let client = db.sample_client();
    block_on(async {
        let app = init_state(AppState::new(client).with_tokens(tokens(true))).await;
        for path in [
            "/audit",
            "/%61udit",
            "/aud%69t",
            "/%61udit?limit=1",
            "/%61%75%64%69%74",
        ] {
            assert_unauthorized(&send(&app, Method::GET, path, None).await);
            let (name, value) = bearer(CLIENT);
            let client = call(&app, with(Method::GET, path, None, &[(name, &value)])).await;
            assert_error(&client, 403, "not write");
            let (name, value) = bearer(ADMIN);
            let admin = call(&app, with(Method::GET, path, None, &[(name, &value)])).await;
            assert_eq!(admin.status, 200, "{path}: {admin:?}");
            assert!(admin.body["entries"].is_array(), "{path}: {admin:?}");
        }
    });
}
