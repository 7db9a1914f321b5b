//! Evaluation from the snapshot: Python Novi's sample flags, reasons, refreshes, composites.

use std::time::{Duration, Instant};

use novi_client::{ActivationId, Client, Context, Error, FlagInput, Reason, context};
use serde_json::json;

use crate::db_test;

// Python Novi's sample flags under the contexts of the behaviour doc §5, with Novi's
// semantics: never null, an absent date means now (after the 2023 window).
db_test!(python_sample_flags, |db| {
    let client = db.sample_client();
    let inside = "11/27/2023 12:00 AM";
    let after = "11/28/2023 12:00 AM";
    let contexts: [(&str, Context); 8] = [
        ("no ctx", Context::default()),
        ("{}", context! {}),
        ("IN only", context! {"currentDateTime": inside}),
        ("A only", context! {"seed": 1, "variant": "A"}),
        ("B only", context! {"seed": 1, "variant": "B"}),
        (
            "IN+A",
            context! {"currentDateTime": inside, "seed": 1, "variant": "A"},
        ),
        (
            "IN+B",
            context! {"currentDateTime": inside, "seed": 1, "variant": "B"},
        ),
        (
            "11/28+A",
            context! {"currentDateTime": after, "seed": 1, "variant": "A"},
        ),
    ];
    let expected: [(&str, [bool; 8]); 4] = [
        (
            "Date Activated Feature",
            [false, false, true, false, false, true, true, false],
        ),
        (
            "Random Variant Feature",
            [false, false, false, true, false, true, false, true],
        ),
        (
            "Combo AND",
            [false, false, false, false, false, true, false, false],
        ),
        (
            "Combo OR",
            [false, false, true, true, false, true, true, true],
        ),
    ];
    for (flag, answers) in expected {
        for ((label, ctx), want) in contexts.iter().zip(answers) {
            assert_eq!(client.is_enabled(flag, ctx), want, "{flag} with {label}");
            assert_eq!(
                client.evaluate(flag, ctx).unwrap().enabled,
                want,
                "{flag} with {label}"
            );
        }
    }

    let ctx = context! {"currentDateTime": inside, "seed": 1, "variant": "B"};
    assert_eq!(
        client
            .evaluate("Date Activated Feature", &ctx)
            .unwrap()
            .reason,
        Reason::AllMatched
    );
    assert_eq!(
        client.evaluate("Combo AND", &ctx).unwrap().reason,
        Reason::NotMatched {
            activation: ActivationId(3)
        }
    );
    let all: Vec<_> = client
        .evaluate_all(&ctx)
        .into_iter()
        .map(|(flag, evaluation)| (flag.name, evaluation.enabled))
        .collect();
    assert_eq!(
        all,
        [
            ("Date Activated Feature".to_owned(), true),
            ("Random Variant Feature".to_owned(), false),
            ("Combo AND".to_owned(), false),
            ("Combo OR".to_owned(), true),
        ]
    );

    assert!(!client.is_enabled("Nope", &ctx));
    assert!(
        matches!(client.evaluate("Nope", &ctx), Err(Error::FlagNotFound(name)) if name == "Nope")
    );

    let bad = context! {"currentDateTime": "2023-11-27"};
    let evaluation = client.evaluate("Date Activated Feature", &bad).unwrap();
    assert!(!evaluation.enabled);
    match evaluation.reason {
        Reason::EvaluationError { activation, error } => {
            assert_eq!(activation, ActivationId(1));
            assert_eq!(error.key(), "currentDateTime");
        }
        other => panic!("expected an evaluation error, got {other:?}"),
    }
});

db_test!(status_and_plain_flags, |db| {
    let client = db.sample_client();
    client
        .create_flag(&FlagInput {
            name: "off".into(),
            status: false,
            activations: Some(vec![ActivationId(2)]),
            force: false,
        })
        .unwrap();
    client
        .create_flag(&FlagInput {
            name: "plain on".into(),
            status: true,
            activations: None,
            force: false,
        })
        .unwrap();
    client
        .create_flag(&FlagInput {
            name: "plain off".into(),
            status: false,
            activations: None,
            force: false,
        })
        .unwrap();
    let ctx = context! {"seed": 1, "variant": "A"};
    let off = client.evaluate("off", &ctx).unwrap();
    assert_eq!((off.enabled, off.reason), (false, Reason::Disabled));
    let on = client.evaluate("plain on", &ctx).unwrap();
    assert_eq!((on.enabled, on.reason), (true, Reason::NoActivations));
    assert!(!client.is_enabled("plain off", &ctx));
});

db_test!(a_broken_activation_switches_off_only_its_flags, |db| {
    let client = db.sample_client();
    // Rows another tool (or Python Novi) wrote, bypassing Novi's validation.
    db.execute(
        "INSERT INTO activations (id, name, class_name, config) VALUES (10, 'typo', 'novi.client.activations.date_time_activation.DateTimeActivaton', '{}');
         INSERT INTO activations (id, name, class_name, config) VALUES (11, 'self', 'AndActivation', '[11]');
         INSERT INTO activations (id, name, class_name, config) VALUES (12, 'bad split', 'WeightedRandomActivation', '{\"splits\": [0], \"variations\": [\"A\"]}');
         INSERT INTO flags (id, name, status) VALUES (10, 'typo flag', TRUE);
         INSERT INTO flags (id, name, status) VALUES (11, 'cycle flag', TRUE);
         INSERT INTO flags (id, name, status) VALUES (12, 'split flag', TRUE);
         INSERT INTO flags_activations (flag_id, activation_id) VALUES (10, 10);
         INSERT INTO flags_activations (flag_id, activation_id) VALUES (11, 11);
         INSERT INTO flags_activations (flag_id, activation_id) VALUES (11, 2);
         INSERT INTO flags_activations (flag_id, activation_id) VALUES (12, 12);",
    );
    client.refresh().unwrap();
    let ctx = context! {"currentDateTime": "11/27/2023 12:00 AM", "seed": 1, "variant": "A"};
    for (flag, id, message) in [
        (
            "typo flag",
            10,
            "unknown activation class `novi.client.activations.date_time_activation.DateTimeActivaton` (registered: ",
        ),
        ("cycle flag", 11, "activation cycle: 11 → 11"),
        (
            "split flag",
            12,
            "invalid WeightedRandomActivation config: the splits add up to 0;",
        ),
    ] {
        let evaluation = client.evaluate(flag, &ctx).unwrap();
        assert!(!evaluation.enabled, "{flag}");
        match evaluation.reason {
            Reason::ActivationError { activation, error } => {
                assert_eq!(activation, ActivationId(id));
                assert!(error.to_string().starts_with(message), "{error}");
            }
            other => panic!("{flag}: expected an activation error, got {other:?}"),
        }
    }
    for flag in [
        "Date Activated Feature",
        "Random Variant Feature",
        "Combo AND",
        "Combo OR",
    ] {
        assert!(client.is_enabled(flag, &ctx), "{flag} is unaffected");
    }
});

db_test!(refresh_sees_another_clients_write, |db| {
    let writer = db.sample_client();
    let reader = db.client();
    let ctx = context! {};
    writer
        .create_flag(&FlagInput {
            name: "new".into(),
            status: true,
            activations: None,
            force: false,
        })
        .unwrap();
    assert!(
        writer.is_enabled("new", &ctx),
        "the writer reads its own write"
    );
    assert!(
        !reader.is_enabled("new", &ctx),
        "the reader's snapshot is older"
    );
    reader.refresh().unwrap();
    assert!(reader.is_enabled("new", &ctx));
});

db_test!(background_refresh_keeps_processes_in_step, |db| {
    let writer = db.sample_client();
    novi_activations::link();
    let reader = Client::builder(&db.url)
        .unwrap()
        .refresh_interval(Some(Duration::from_millis(50)))
        .connect()
        .unwrap();
    writer
        .create_flag(&FlagInput {
            name: "soon".into(),
            status: true,
            activations: None,
            force: false,
        })
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !reader.is_enabled("soon", &context! {}) {
        assert!(
            Instant::now() < deadline,
            "the background refresh never saw the write"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
});

db_test!(a_failed_refresh_keeps_the_last_snapshot, |db| {
    let client = db.sample_client();
    let ctx = context! {"seed": 1, "variant": "A"};
    assert!(client.is_enabled("Random Variant Feature", &ctx));
    db.execute("DROP TABLE flags_activations");
    let err = client.refresh().unwrap_err();
    assert!(err.is_database_failure(), "{err}");
    assert!(client.is_enabled("Random Variant Feature", &ctx));
    assert_eq!(client.snapshot().len(), 4);
});

#[test]
fn evaluation_is_shared_across_threads() {
    let db = crate::TestDb::new(novi_client::Backend::Sqlite);
    let client = db.sample_client();
    std::thread::scope(|scope| {
        for t in 0..4 {
            let client = client.clone();
            scope.spawn(move || {
                for seed in 0..500 {
                    let ctx = context! {"seed": seed + t, "variant": "A"};
                    assert!(client.is_enabled("Random Variant Feature", &ctx));
                    assert!(!client.is_enabled("Combo AND", &ctx));
                }
            });
        }
    });
    let _ = json!(null);
}

db_test!(variants_reach_the_evaluation, |db| {
    let client = db.sample_client();
    let colours = client
        .create_activation(&novi_client::ActivationInput {
            name: "colours".into(),
            class_name: "VariantActivation".into(),
            config: r##"{"variants": [{"name": "red", "weight": 1, "payload": {"type": "string", "value": "#f00"}}, {"name": "blue", "weight": 1}]}"##.into(),
        })
        .unwrap();
    let prod = client
        .create_activation(&novi_client::ActivationInput {
            name: "production".into(),
            class_name: "EnvironmentActivation".into(),
            config: r#"{"environments": ["production"]}"#.into(),
        })
        .unwrap();
    client
        .create_flag(&FlagInput {
            name: "button".into(),
            status: true,
            activations: Some(vec![prod.id, colours.id]),
            force: false,
        })
        .unwrap();
    let ctx = context! {"environment": "production", "userId": "u-7"};
    let evaluation = client.evaluate("button", &ctx).unwrap();
    assert!(evaluation.enabled);
    let variant = evaluation.variant.clone().unwrap();
    assert!(["red", "blue"].contains(&variant.name.as_str()));
    assert_eq!(
        client.variant("button", &ctx),
        Some(variant.clone()),
        "sticky"
    );
    assert_eq!(
        client.variant("button", &context! {"environment": "dev", "userId": "u-7"}),
        None,
        "off: no variant"
    );
    assert_eq!(
        client
            .variant("Combo OR", &context! {"seed": 1, "variant": "A"})
            .map(|v| v.name.clone()),
        Some("A".to_owned()),
        "WeightedRandom reports its variation"
    );
    assert_eq!(client.variant("nope", &ctx), None);
});

/// A diamond of composites as deep as nesting allows is accepted, and its flags evaluate at
/// once (each activation decided once; before, depth 28 took 3.9 s and depth 60 would never
/// end). Evaluation reads only the snapshot, so SQLite stands for every backend.
#[test]
fn a_depth_60_diamond_of_composites_evaluates() {
    let db = crate::TestDb::new(novi_testing::Backend::Sqlite);
    let client = db.client();
    db.execute(&novi_testing::diamond_sql(60));
    client.refresh().unwrap();
    let production = context! {"environment": "production"};
    for flag in ["diamond", "diamond and a leaf"] {
        let evaluation = client.evaluate(flag, &production).unwrap();
        assert!(!evaluation.enabled, "{flag}: {evaluation:?}");
        assert!(
            matches!(evaluation.reason, Reason::NotMatched { .. }),
            "{flag}: {evaluation:?}"
        );
    }
    let never = context! {"environment": "never"};
    assert!(client.is_enabled("diamond", &never));
    assert!(client.is_enabled("diamond and a leaf", &never));
}
