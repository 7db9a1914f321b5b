//! `GET /snapshot`: the document of the stored rows with the revision as its `ETag`, 304 for a
//! client that has it, a new revision after each write, the same revision for the same rows
//! whoever wrote them, and a document that a snapshot built elsewhere evaluates alike.

use actix_web::{
    http::{Method, header},
    test::TestRequest,
};
use novi_client::Context;
use novi_snapshot::{document::Document, snapshot::Snapshot};
use serde_json::json;

use crate::{block_on, call, db_test, init, send};

db_test!(the_snapshot_is_the_stored_rows_with_their_revision, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client.clone()).await;
        let first = send(&app, Method::GET, "/snapshot", None).await;
        assert_eq!(first.status, 200, "{first:?}");
        let etag = first
            .headers
            .get(header::ETAG)
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        let document = Document::parse(first.raw.as_bytes()).unwrap();
        assert_eq!(etag, format!("\"{}\"", document.revision));
        assert_eq!(document.revision, client.revision());
        let health = send(&app, Method::GET, "/health", None).await;
        assert_eq!(
            health.body["revision"],
            json!(document.revision.to_string())
        );
        assert_eq!(first.body["format"], json!("novi-snapshot/1"));
        assert_eq!(document.rows.flags.len(), 4);
        assert_eq!(document.rows.activations.len(), 4);
        assert!(
            document
                .classes
                .iter()
                .any(|c| c == "WeightedRandomActivation")
        );
        assert!(document.missing_classes().is_empty());

        // A snapshot built from the document answers as the server does.
        let remote = Snapshot::build(document.rows.clone());
        assert_eq!(remote.revision(), document.revision);
        for context in [
            json!({"variant": "A", "seed": 1, "currentDateTime": "11/27/2023 10:00 AM"}),
            json!({"variant": "B", "seed": 2, "currentDateTime": "01/01/2020 10:00 AM"}),
        ] {
            let ctx = Context::try_from(context.clone()).unwrap();
            let served = send(
                &app,
                Method::POST,
                "/evaluatedFlags",
                Some(&context.to_string()),
            )
            .await;
            for flag in served.body.as_array().unwrap() {
                let name = flag["name"].as_str().unwrap();
                assert_eq!(
                    json!(remote.is_enabled(name, &ctx)),
                    flag["status"],
                    "{name} {context}"
                );
            }
        }

        // The revision names the content: 304 while it holds, a new one after a write.
        let again = call(
            &app,
            TestRequest::get()
                .uri("/snapshot")
                .insert_header((header::IF_NONE_MATCH, etag.as_str())),
        )
        .await;
        assert_eq!(again.status, 304);
        assert!(again.raw.is_empty());
        assert_eq!(again.headers.get(header::ETAG).unwrap(), etag.as_str());
        let created = send(&app, Method::POST, "/flags", Some(r#"{"name": "new"}"#)).await;
        assert_eq!(created.status, 201, "{created:?}");
        let after = call(
            &app,
            TestRequest::get()
                .uri("/snapshot")
                .insert_header((header::IF_NONE_MATCH, etag.as_str())),
        )
        .await;
        assert_eq!(after.status, 200);
        let changed = Document::parse(after.raw.as_bytes()).unwrap();
        assert_ne!(changed.revision, document.revision);
        assert_eq!(changed.rows.flags.len(), 5);

        // The same rows give the same revision, whoever wrote them: undone by hand-written
        // SQL, the rows are the sample's again, and so is the revision.
        db.execute("DELETE FROM flags WHERE name = 'new'");
        client.refresh().unwrap();
        let undone = send(&app, Method::GET, "/snapshot", None).await;
        assert_eq!(undone.headers.get(header::ETAG).unwrap(), etag.as_str());
        assert_eq!(undone.raw, first.raw);
    });
});
