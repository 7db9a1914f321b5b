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
