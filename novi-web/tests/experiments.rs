//! Experiments end to end, through HTTP against the real binary, on each database: a simulated
//! A/B test (10,000 units, true conversion rates 10% and 12%, a fixed seed) whose exposures come
//! from evaluations and whose conversions come from `POST /events`; the results match the test's
//! own tallies and the statistics computed from them. Then the same with a tenth of one variant's
//! exposures lost, which the sample ratio check catches; idempotent event ids; a rejected batch
//! that stores nothing; and a graceful stop that stores what was queued.

#![allow(clippy::unwrap_used, clippy::panic, clippy::print_stderr)]

use std::{path::Path, time::Duration};

use novi_testing::{
    Backend, TestDb,
    server::{Response, Spawned, eventually, json},
};
use serde_json::{Value, json};

const UNITS: u64 = 10_000;

/// A small deterministic generator (SplitMix64): the same units convert on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn start(db: &TestDb, dir: &Path) -> Spawned {
    Spawned::start(
        Path::new(env!("CARGO_BIN_EXE_novi-web")),
        &[
            "--database-url",
            &db.url,
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "2",
        ],
        dir,
        &[],
    )
}

#[track_caller]
fn ok(response: Response) -> Value {
    assert!(response.status < 300, "{response:?}");
    if response.body.is_empty() {
        Value::Null
    } else {
        json(&response)
    }
}

fn post(server: &Spawned, path: &str, body: &Value) -> Response {
    server.request("POST", path, Some(&body.to_string()))
}

/// A flag that splits units 50/50 between `control` and `treatment`.
fn variant_flag(server: &Spawned, name: &str) {
    let activation = ok(post(
        server,
        "/activations",
        &json!({
            "name": format!("{name} split"),
            "class_name": "VariantActivation",
            "config": {"variants": [
                {"name": "control", "weight": 50},
                {"name": "treatment", "weight": 50}
            ], "stickiness": "userId"},
        }),
    ));
    ok(post(
        server,
        "/flags",
        &json!({"name": name, "status": true, "activations": [activation["id"]]}),
    ));
}

fn experiment(server: &Spawned, name: &str, flag: &str) -> i64 {
    let created = ok(post(
        server,
        "/experiments",
        &json!({
            "name": name,
            "flag": flag,
            "control": "control",
            "metrics": [
                {"name": "purchased", "event": "purchase", "kind": "conversion"},
                {"name": "revenue", "event": "purchase", "kind": "mean"}
            ],
            "planned_units": UNITS,
        }),
    ));
    assert_eq!(created["status"], "draft", "new things are created off");
    assert_eq!(created["unit_key"], "userId");
    created["id"].as_i64().unwrap()
}

fn run(server: &Spawned, id: i64) {
    let running = ok(server.request(
        "PUT",
        &format!("/experiments/{id}"),
        Some(r#"{"status": "running"}"#),
    ));
    assert_eq!(running["status"], "running");
}

fn results(server: &Spawned, id: i64) -> Value {
    ok(server.request("GET", &format!("/experiments/{id}/results"), None))
}

fn variant<'a>(results: &'a Value, name: &str) -> &'a Value {
    results["variants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no variant {name}: {results}"))
}

/// What the test itself counted, per variant: units, converted units, and their revenue.
#[derive(Default, Debug)]
struct Tally {
    units: u64,
    converted: u64,
    revenue: Vec<f64>,
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

#[track_caller]
fn assert_close(shown: &Value, expected: f64, what: &str) {
    let shown = shown
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {shown}"));
    assert!(close(shown, expected), "{what}: {shown} != {expected}");
}

fn simulate(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let server = start(&db, dir.path());
    variant_flag(&server, "checkout");

    // Bad definitions: 422 naming the field.
    for (body, field) in [
        (
            json!({"name": "x", "flag": "nope", "control": "control", "metrics": [{"name": "m", "event": "e", "kind": "conversion"}]}),
            "flag",
        ),
        (
            json!({"name": "x", "flag": "checkout", "control": "blue", "metrics": [{"name": "m", "event": "e", "kind": "conversion"}]}),
            "control",
        ),
        (
            json!({"name": "x", "flag": "checkout", "control": "control", "metrics": []}),
            "metrics",
        ),
        (
            json!({"name": "x", "flag": "checkout", "control": "control", "metrics": [{"name": "m", "event": "e", "kind": "median"}]}),
            "metrics",
        ),
        (
            json!({"flag": "checkout", "control": "control", "metrics": [{"name": "m", "event": "e", "kind": "mean"}]}),
            "name",
        ),
    ] {
        let refused = post(&server, "/experiments", &body);
        assert_eq!(refused.status, 422, "{body}: {refused:?}");
        assert_eq!(json(&refused)["field"], field, "{body}: {refused:?}");
    }

    let id = experiment(&server, "checkout test", "checkout");
    // A draft records nothing.
    ok(post(
        &server,
        "/evaluatedFlags/checkout",
        &json!({"userId": "early"}),
    ));
    run(&server, id);

    // Exposures through evaluations (each unit evaluated twice: its first exposure counts).
    let mut rng = SplitMix(20_261_202);
    let mut tallies: std::collections::BTreeMap<String, Tally> = Default::default();
    let mut conversions = Vec::new();
    for i in 0..UNITS {
        let unit = format!("user-{i}");
        let path = if i % 2 == 0 {
            "/evaluatedFlags/checkout"
        } else {
            "/evaluatedFlags"
        };
        let answer = ok(post(&server, path, &json!({"userId": unit})));
        let answer = if answer.is_array() {
            answer
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == "checkout")
                .unwrap()
                .clone()
        } else {
            answer
        };
        let chosen = answer["variant"]["name"].as_str().unwrap().to_owned();
        if i % 10 == 0 {
            ok(post(
                &server,
                "/evaluatedFlags/checkout",
                &json!({"userId": unit}),
            ));
        }
        let rate = if chosen == "control" { 0.10 } else { 0.12 };
        let tally = tallies.entry(chosen).or_default();
        tally.units += 1;
        if rng.next_f64() < rate {
            tally.converted += 1;
            let value = (rng.next_f64() * 100.0).round();
            tally.revenue.push(value);
            conversions.push(json!({
                "type": "conversion", "event": "purchase", "unit": unit,
                "value": value, "id": format!("purchase-{i}"),
            }));
        }
    }
    eventually(Duration::from_secs(30), "every exposure stored", || {
        results(&server, id)["sample_size"]["reached"] == json!(UNITS)
    });

    // A conversion dated before its unit's exposure does not count.
    let early = ok(post(
        &server,
        "/events",
        &json!({"events": [{"type": "conversion", "event": "purchase", "unit": "user-0", "at": 0}]}),
    ));
    assert_eq!(early["conversions"], 1);

    // Conversions through /events, in batches; a batch sent twice is stored once.
    for batch in conversions.chunks(500) {
        let stored = ok(post(&server, "/events", &json!({"events": batch})));
        assert_eq!(stored["conversions"], batch.len());
    }
    let again = ok(post(
        &server,
        "/events",
        &json!({"events": conversions[..100]}),
    ));
    assert_eq!(
        (again["conversions"].clone(), again["duplicates"].clone()),
        (json!(0), json!(100))
    );

    // A batch with one bad event is refused whole, naming it.
    let mut bad = conversions[..10].to_vec();
    for (i, event) in bad.iter_mut().enumerate() {
        event["id"] = json!(format!("never-{i}"));
    }
    bad[7]["unit"] = json!(42);
    let refused = post(&server, "/events", &json!({"events": bad}));
    assert_eq!(refused.status, 400, "{refused:?}");
    let refused = json(&refused);
    assert_eq!(
        (refused["index"].clone(), refused["field"].clone()),
        (json!(7), json!("unit"))
    );
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("events[7].unit")
    );

    let shown = results(&server, id);
    eprintln!(
        "{backend}: {}",
        serde_json::to_string_pretty(&shown).unwrap()
    );
    let (c, t) = (&tallies["control"], &tallies["treatment"]);
    for (name, tally) in [("control", c), ("treatment", t)] {
        let v = variant(&shown, name);
        assert_eq!(v["units"], json!(tally.units), "{name}");
        assert_eq!(
            v["metrics"]["purchased"]["conversions"],
            json!(tally.converted),
            "{name}"
        );
        let ci =
            novi_stats::proportion::wilson_interval(tally.converted, tally.units, 0.95).unwrap();
        assert_close(&v["metrics"]["purchased"]["ci"][0], ci.low, "wilson low");
        assert_close(&v["metrics"]["purchased"]["ci"][1], ci.high, "wilson high");
        let revenue: f64 = tally.revenue.iter().sum();
        assert_close(
            &v["metrics"]["revenue"]["mean"],
            revenue / tally.units as f64,
            "mean revenue",
        );
    }
    let treatment = &variant(&shown, "treatment")["metrics"]["purchased"];
    let p =
        novi_stats::proportion::two_proportion_z_test(c.converted, c.units, t.converted, t.units)
            .unwrap();
    assert_close(&treatment["p_value"], p, "p-value");
    // One variant against the control: Holm changes nothing.
    assert_close(&treatment["p_value_adjusted"], p, "adjusted p-value");
    let lift = (t.converted as f64 / t.units as f64) / (c.converted as f64 / c.units as f64) - 1.0;
    assert_close(&treatment["lift"], lift, "lift");
    assert!(
        lift > 0.0 && p < 0.05,
        "the simulated 20% lift is found: lift {lift}, p {p}"
    );
    let beat = treatment["chance_to_beat_control"].as_f64().unwrap();
    assert!(beat > 0.95, "{beat}");
    assert!(
        treatment["lift_ci"][0].as_f64().unwrap() > 0.0,
        "{treatment}"
    );
    assert_eq!(shown["srm"]["mismatch"], false, "{shown}");
    assert_eq!(shown["sample_size"]["planned"], json!(UNITS));
    assert_eq!(shown["exposures_dropped"], 0);

    // The same units reported by an SDK to a second experiment, with a tenth of the treatment's
    // exposures lost on the way: the sample ratio check trips.
    variant_flag(&server, "checkout-sdk");
    let sdk = experiment(&server, "checkout sdk", "checkout-sdk");
    run(&server, sdk);
    let mut exposures = Vec::new();
    let mut lost = 0;
    for i in 0..UNITS {
        let unit = format!("user-{i}");
        // Which variant the SDK would show, evaluated where no experiment runs.
        let chosen = if i % 2 == 0 { "control" } else { "treatment" };
        if chosen == "treatment" && i % 20 == 1 {
            lost += 1;
            continue;
        }
        exposures.push(
            json!({"type": "exposure", "flag": "checkout-sdk", "unit": unit, "variant": chosen}),
        );
    }
    for batch in exposures.chunks(1000) {
        let stored = ok(post(&server, "/events", &json!({"events": batch})));
        assert_eq!(stored["exposures"], batch.len());
    }
    let shown = results(&server, sdk);
    assert_eq!(
        variant(&shown, "treatment")["units"],
        json!(UNITS / 2 - lost)
    );
    assert_eq!(shown["srm"]["mismatch"], true, "{shown}");
    let srm_p = shown["srm"]["p_value"].as_f64().unwrap();
    assert!(srm_p < 0.001, "{srm_p}");
    // A variant the flag does not have is refused.
    let refused = post(
        &server,
        "/events",
        &json!({"events": [{"type": "exposure", "flag": "checkout-sdk", "unit": "u", "variant": "purple"}]}),
    );
    assert_eq!(refused.status, 400);
    assert_eq!(json(&refused)["field"], "variant");

    // A graceful stop stores what is queued: evaluations just before SIGTERM are all there after.
    let stopping = ok(post(
        &server,
        "/experiments",
        &json!({
            "name": "stop test", "flag": "checkout", "control": "control", "status": "running",
            "metrics": [{"name": "m", "event": "purchase", "kind": "conversion"}],
        }),
    ));
    for i in 0..200 {
        ok(post(
            &server,
            "/evaluatedFlags/checkout",
            &json!({"userId": format!("late-{i}")}),
        ));
    }
    // OFREP evaluations expose too (the targeting key is the unit), single and bulk.
    ok(post(
        &server,
        "/ofrep/v1/evaluate/flags/checkout",
        &json!({"context": {"targetingKey": "ofrep-1"}}),
    ));
    ok(post(
        &server,
        "/ofrep/v1/evaluate/flags",
        &json!({"context": {"targetingKey": "ofrep-2"}}),
    ));
    let (status, _) = server.terminate();
    assert!(status.success());
    let server = start(&db, dir.path());
    let shown = results(&server, stopping["id"].as_i64().unwrap());
    assert_eq!(shown["sample_size"]["reached"], 202, "{shown}");
}

#[test]
fn a_simulated_experiment_on_sqlite() {
    simulate(Backend::Sqlite);
}

#[test]
fn a_simulated_experiment_on_postgres() {
    simulate(Backend::Postgres);
}

#[test]
fn a_simulated_experiment_on_mysql() {
    simulate(Backend::Mysql);
}
