//! `openapi.yaml` describes exactly the routes the app serves.

use std::collections::BTreeSet;

use actix_web::http::Method;

use crate::{block_on, init, send};

/// `(path, method)` pairs of `openapi.yaml`, read from its `paths:` section.
fn documented() -> BTreeSet<(String, String)> {
    let spec = include_str!("../../openapi.yaml");
    let mut pairs = BTreeSet::new();
    let mut in_paths = false;
    let mut path = None;
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
        } else if let (Some(path), Some(method)) = (&path, line.strip_prefix("    ")) {
            let method = method.trim_end_matches(':');
            if ["get", "post", "put", "delete", "patch"].contains(&method) {
                pairs.insert((path.clone(), method.to_uppercase()));
            }
        }
    }
    pairs
}

#[test]
fn openapi_describes_exactly_the_routes() {
    let routes: BTreeSet<(String, String)> = novi_web::ROUTES
        .iter()
        .flat_map(|(path, methods)| {
            methods
                .iter()
                .map(move |m| ((*path).to_owned(), (*m).to_owned()))
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
        for (path, methods) in novi_web::ROUTES {
            let concrete = path
                .replace("{name}", "Combo%20OR")
                .replace("{key}", "Combo%20OR")
                .replace("{id}", "1");
            for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
                if *path == "/metrics" && method == "GET" {
                    // Prometheus' text, not JSON: checked on its own below.
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
                let served = !no_route;
                assert_eq!(
                    served,
                    methods.contains(&method),
                    "{method} {path}: {answer:?}"
                );
            }
        }
        let metrics = actix_web::test::TestRequest::get()
            .uri("/metrics")
            .to_request();
        assert_eq!(
            actix_web::test::call_service(&app, metrics).await.status(),
            200
        );
    });
}
