//! `GET /activations/classes`: every class the server builds, what its config holds, and an
//! example that the server then accepts.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::{block_on, db_test, init, send};

db_test!(
    every_class_is_listed_with_an_example_the_server_accepts,
    |db| {
        let client = db.sample_client();
        block_on(async {
            let app = init(client).await;
            let answer = send(&app, Method::GET, "/activations/classes", None).await;
            assert_eq!(answer.status, 200, "{answer:?}");
            let classes = answer.body.as_array().unwrap();
            let names: Vec<&str> = classes
                .iter()
                .map(|class| class["class"].as_str().unwrap())
                .collect();
            let mut sorted = names.clone();
            sorted.sort_unstable();
            assert_eq!(names, sorted);
            assert!(names.len() >= 11, "{names:?}");
            let weighted = classes
                .iter()
                .find(|class| class["class"] == "WeightedRandomActivation")
                .unwrap();
            assert_eq!(
                weighted["aliases"],
                json!([
                    "novi.client.activations.weighted_random_activation.WeightedRandomActivation"
                ])
            );
            assert!(
                weighted["config"].as_str().unwrap().contains("splits"),
                "{weighted}"
            );
            // Each example is a config the server stores (composites name the sample's 1 and 2).
            for class in classes {
                let example = class["example"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{class}"));
                let body = json!({
                    "name": format!("example of {}", class["class"].as_str().unwrap()),
                    "class_name": class["class"],
                    "config": example,
                });
                let created =
                    send(&app, Method::POST, "/activations", Some(&body.to_string())).await;
                assert_eq!(created.status, 201, "{class}: {created:?}");
            }
            // `classes` is not read as an activation id.
            let not_an_id = send(&app, Method::GET, "/activations/classes", None).await;
            assert_ne!(not_an_id.body, Value::Null);
            assert!(not_an_id.body.is_array());
        });
    }
);
