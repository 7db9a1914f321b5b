//! WeightedRandom over HTTP with what only Python's JSON reading keeps: seeds beyond 2^64 and
//! `1e400` (`inf`), a `null` seed, and variations that are numbers. Every expected choice comes
//! from `novi-activations/tests/fixtures/weighted_random.json`, which CPython 3.11 wrote
//! (`gen_weighted_random.py`: `random.seed(json.loads(seed_text));
//! random.choices(variations, weights=splits)[0]`, and `chosen == variant` for each variant).

use actix_http::Request;
use actix_web::{
    body::MessageBody,
    dev::{Service, ServiceResponse},
    http::Method,
};
use serde::Deserialize;
use serde_json::{Value, json, value::RawValue};

use crate::{assert_error, block_on, db_test, init, send};

const FIXTURE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../novi-activations/tests/fixtures/weighted_random.json"
));

/// A fixture case, with the JSON text of its values.
#[derive(Deserialize)]
struct Case<'a> {
    #[serde(borrow)]
    seed: &'a RawValue,
    #[serde(borrow)]
    splits: Option<&'a RawValue>,
    #[serde(borrow)]
    variations: Option<&'a RawValue>,
    #[serde(borrow)]
    chosen: Option<&'a RawValue>,
    chosen_str: Option<String>,
    #[serde(borrow, default)]
    variants: Vec<&'a RawValue>,
    #[serde(default)]
    equal: Vec<bool>,
}

#[derive(Deserialize)]
struct Fixture<'a> {
    #[serde(borrow)]
    cases: Vec<Case<'a>>,
}

/// The fixture's cases for one table of splits and variations (as written in the fixture).
fn cases_for(splits: &str, variations: &str) -> Vec<Case<'static>> {
    let fixture: Fixture<'static> = serde_json::from_str(FIXTURE).unwrap();
    fixture
        .cases
        .into_iter()
        .filter(|case| {
            case.splits.map(RawValue::get) == Some(splits)
                && case.variations.map(RawValue::get) == Some(variations)
        })
        .collect()
}

/// Creates a WeightedRandom activation with `config` and a flag `name` that uses it.
async fn weighted_flag<S, B>(app: &S, name: &str, config: &str)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let activation = format!(
        r#"{{"name": "{name}", "class_name": "WeightedRandomActivation", "config": {config}}}"#
    );
    let created = send(app, Method::POST, "/activations", Some(&activation)).await;
    assert_eq!(created.status, 201, "{created:?}");
    let id = &created.body["id"];
    let flag = format!(r#"{{"name": "{name}", "status": true, "activations": [{id}]}}"#);
    let created = send(app, Method::POST, "/flags", Some(&flag)).await;
    assert_eq!(created.status, 201, "{created:?}");
}

db_test!(big_and_infinite_seeds_choose_as_python_does, |db| {
    const SPLITS: &str = "[1, 2, 3, 4]";
    const VARIATIONS: &str = r#"["a", "b", "c", "d"]"#;
    let client = db.client();
    block_on(async {
        let app = init(client).await;
        let config = format!(r#"{{"splits": {SPLITS}, "variations": {VARIATIONS}}}"#);
        weighted_flag(&app, "quarters", &config).await;
        let cases = cases_for(SPLITS, VARIATIONS);
        let mut seen = Vec::new();
        for seed in [
            "1e400",
            "-1e400",
            "18446744073709551616",
            "1000000000000000000000000000000",
            "-1000000000000000000000000000000",
        ] {
            let case = cases
                .iter()
                .find(|case| case.seed.get() == seed)
                .unwrap_or_else(|| panic!("no fixture case for seed {seed}"));
            let chosen: String = serde_json::from_str(case.chosen.unwrap().get()).unwrap();
            for variant in ["a", "b", "c", "d"] {
                let body = format!(r#"{{"seed": {seed}, "variant": "{variant}"}}"#);
                let answer =
                    send(&app, Method::POST, "/evaluatedFlags/quarters", Some(&body)).await;
                assert_eq!(answer.status, 200, "{body}: {answer:?}");
                let on = variant == chosen;
                assert_eq!(answer.body["status"], json!(on), "{body}");
                let reported = if on {
                    json!({"name": chosen})
                } else {
                    Value::Null
                };
                assert_eq!(answer.body["variant"], reported, "{body}");
            }
            seen.push(chosen);
        }
        // Not all the same variation: the seeds really decide.
        seen.sort();
        seen.dedup();
        assert!(seen.len() > 1, "{seen:?}");
    });
});

db_test!(a_null_seed_is_off, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        // Python seeded from the OS's entropy here, a random answer; Novi answers no, as for
        // an absent seed. The sample activation picks "A" for every real seed.
        for body in [
            r#"{"seed": null, "variant": "A"}"#,
            r#"{"seed": null, "variant": "B"}"#,
            r#"{"seed": null}"#,
        ] {
            let answer = send(
                &app,
                Method::POST,
                "/evaluatedFlags/Random%20Variant%20Feature",
                Some(body),
            )
            .await;
            assert_eq!(answer.status, 200, "{body}: {answer:?}");
            assert_eq!(answer.body["status"], json!(false), "{body}");
            assert_eq!(answer.body["variant"], Value::Null, "{body}");
        }
        let real = send(
            &app,
            Method::POST,
            "/evaluatedFlags/Random%20Variant%20Feature",
            Some(r#"{"seed": 0, "variant": "A"}"#),
        )
        .await;
        assert_eq!(real.body["status"], json!(true));
    });
});

db_test!(numeric_variations_compare_as_python_does, |db| {
    const SPLITS: &str = "[1, 10, 33]";
    const VARIATIONS: &str = "[1, 2, 3]";
    let client = db.client();
    block_on(async {
        let app = init(client).await;
        let config = format!(r#"{{"splits": {SPLITS}, "variations": {VARIATIONS}}}"#);
        weighted_flag(&app, "numeric", &config).await;
        let cases = cases_for(SPLITS, VARIATIONS);
        assert!(cases.len() > 10);
        let (mut n_on, mut n_off) = (0, 0);
        for case in &cases {
            let seed = case.seed.get();
            let name = case.chosen_str.as_deref().unwrap();
            for (variant, equal) in case.variants.iter().zip(&case.equal) {
                let body = format!(r#"{{"seed": {seed}, "variant": {}}}"#, variant.get());
                let answer = send(&app, Method::POST, "/evaluatedFlags/numeric", Some(&body)).await;
                assert_eq!(answer.status, 200, "{body}: {answer:?}");
                assert_eq!(answer.body["status"], json!(equal), "{body}");
                if *equal {
                    assert_eq!(answer.body["variant"], json!({"name": name}), "{body}");
                    n_on += 1;
                } else {
                    n_off += 1;
                }
            }
        }
        assert!(n_on > 20 && n_off > 200, "{n_on} on, {n_off} off");
        // Seed 0 chooses 3 (the fixture says so); Python's `3 == 3` and `3 == 3.0` are true,
        // `3 == "3"` and `3 == [3]` false.
        let zero = cases.iter().find(|case| case.seed.get() == "0").unwrap();
        assert_eq!(zero.chosen.unwrap().get(), "3");
        for (variant, on) in [("3", true), ("3.0", true), ("\"3\"", false), ("[3]", false)] {
            let body = format!(r#"{{"seed": 0, "variant": {variant}}}"#);
            let answer = send(&app, Method::POST, "/evaluatedFlags/numeric", Some(&body)).await;
            assert_eq!(answer.body["status"], json!(on), "{body}");
        }
    });
});

db_test!(numbers_python_refuses_or_nests_are_400s, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        const PATH: &str = "/evaluatedFlags/Random%20Variant%20Feature";
        // Python's `json` refuses integers of more than 4300 digits too.
        let digits = "1".repeat(novi_core::MAX_INT_DIGITS + 1);
        let long = format!(r#"{{"seed": {digits}, "variant": "A"}}"#);
        assert_error(
            &send(&app, Method::POST, PATH, Some(&long)).await,
            400,
            "context key `seed`: the integer has 4301 digits, more than the 4300 that Python reads",
        );
        // Only top-level numbers are read as Python reads them.
        assert_error(
            &send(
                &app,
                Method::POST,
                PATH,
                Some(r#"{"seed": 1e400, "x": [1e400]}"#),
            )
            .await,
            400,
            "the body is not valid JSON: number out of range at line 1 column 27",
        );
        assert_error(
            &send(&app, Method::POST, PATH, Some("1e400")).await,
            400,
            "the context must be a JSON object, found number",
        );
    });
});
