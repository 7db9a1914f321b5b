//! `openapi.yaml` describes exactly the routes the app serves, with the access `ROUTES`
//! declares for each.

use std::collections::BTreeSet;

use actix_web::http::Method;
use novi_web::Access;

use crate::{block_on, init, send};

/// `(path, method, access)` of `openapi.yaml`, read from its `paths:` section (the access from
/// each operation's `x-novi-access`).
fn documented() -> BTreeSet<(String, String, String)> {
    let spec = include_str!("../../openapi.yaml");
    let mut operations = BTreeSet::new();
    let mut in_paths = false;
    let mut path = None;
    let mut method: Option<String> = None;
    for line in spec.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_paths = line == "paths:";
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(p) = line.strip_prefix("  /") {
            path = Some(format!("/{}", p.trim_end_matches(':')));
            method = None;
        } else if let Some(m) = line.strip_prefix("    ").filter(|m| !m.starts_with(' ')) {
            let m = m.trim_end_matches(':');
            method = ["get", "post", "put", "delete", "patch"]
                .contains(&m)
                .then(|| m.to_uppercase());
        } else if let (Some(path), Some(method), Some(access)) = (
            &path,
            &method,
            line.trim_start().strip_prefix("x-novi-access: "),
        ) {
            operations.insert((path.clone(), method.clone(), access.to_owned()));
        }
    }
    operations
}

fn access_name(access: Access) -> &'static str {
    match access {
        Access::Open => "open",
        Access::Read => "read",
        Access::Admin => "admin",
        Access::Ingest => "ingest",
        other => panic!("{other:?} is not documented"),
    }
}

#[test]
fn openapi_describes_exactly_the_routes_and_their_access() {
    let routes: BTreeSet<(String, String, String)> = novi_web::ROUTES
        .iter()
        .flat_map(|route| {
            route.methods.iter().map(move |(method, access)| {
                (
                    route.path.to_owned(),
                    (*method).to_owned(),
                    access_name(*access).to_owned(),
                )
            })
        })
        .collect();
    assert_eq!(documented(), routes);
}

#[test]
fn the_routes_table_is_what_the_app_serves() {
    let db = novi_testing::TestDb::new(novi_testing::Backend::Sqlite);
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        for route in novi_web::ROUTES {
            let concrete = route
                .path
                .replace("{name}", "Combo%20OR")
                .replace("{key}", "Combo%20OR")
                .replace("{id}", "1")
                .replace("{file}", "app.js");
            for method in ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"] {
                let declared = route.access(method).is_some();
                if ["/metrics", "/stream", "/", "/ui", "/ui/", "/ui/{file}"].contains(&route.path)
                    && ["GET", "HEAD"].contains(&method)
                {
                    // Prometheus' text, an endless event stream, the UI's files and redirects,
                    // not JSON: checked below.
                    continue;
                }
                let answer = send(
                    &app,
                    Method::from_bytes(method.as_bytes()).unwrap(),
                    &concrete,
                    Some("{}"),
                )
                .await;
                let no_route = answer.status == 405
                    || answer.body["error"]
                        .as_str()
                        .is_some_and(|e| e.starts_with("no route"));
                assert_eq!(!no_route, declared, "{method} {}: {answer:?}", route.path);
                // A declared method that no handler serves would be a 500.
                assert!(
                    answer.status.as_u16() < 500,
                    "{method} {}: {answer:?}",
                    route.path
                );
            }
        }
        for path in ["/metrics", "/stream", "/", "/ui", "/ui/", "/ui/app.js"] {
            let expected = if ["/", "/ui"].contains(&path) {
                302
            } else {
                200
            };
            for method in [Method::GET, Method::HEAD] {
                let request = actix_web::test::TestRequest::default()
                    .method(method)
                    .uri(path)
                    .to_request();
                // The status only: the stream's body never ends.
                assert_eq!(
                    actix_web::test::call_service(&app, request).await.status(),
                    expected,
                    "{path}"
                );
            }
        }
    });
}
