//! Experiments: definitions checked against the stored flag and audited; exposures recorded by
//! evaluations off the hot path (a unit's first one stands); reported events checked whole,
//! stored once per id; totals aggregated in SQL.

use std::time::Duration;

use novi_client::{
    ActivationInput, Client, Error, FlagInput, context,
    experiments::{Event, ExperimentInput, ExperimentStatus, ExperimentUpdate, Metric, MetricKind},
};

use crate::db_test;

const SPLIT: &str = r#"{"variants": [{"name": "control", "weight": 50}, {"name": "treatment", "weight": 50}], "stickiness": "userId"}"#;

fn variant_flag(client: &Client, name: &str) {
    let split = client
        .create_activation(&ActivationInput {
            name: format!("{name} split"),
            class_name: "VariantActivation".into(),
            config: SPLIT.into(),
        })
        .unwrap();
    client
        .create_flag(&FlagInput {
            name: name.into(),
            status: true,
            activations: Some(vec![split.id]),
            force: false,
        })
        .unwrap();
}

fn definition(name: &str, flag: &str, control: &str) -> ExperimentInput {
    ExperimentInput {
        name: name.into(),
        flag: flag.into(),
        control: control.into(),
        unit_key: None,
        metrics: vec![
            Metric {
                name: "purchased".into(),
                event: "purchase".into(),
                kind: MetricKind::Conversion,
            },
            Metric {
                name: "revenue".into(),
                event: "purchase".into(),
                kind: MetricKind::Mean,
            },
        ],
        planned_units: Some(100),
        status: None,
    }
}

#[track_caller]
fn assert_invalid(result: Result<impl std::fmt::Debug, Error>, expected: &str) {
    match result {
        Err(Error::InvalidExperiment { field, .. }) => assert_eq!(field, expected),
        other => panic!("expected an invalid {expected}, got {other:?}"),
    }
}

db_test!(definitions_are_checked_against_the_flag_and_audited, |db| {
    let client = db.client();
    variant_flag(&client, "checkout");
    client
        .create_flag(&FlagInput {
            name: "plain".into(),
            status: true,
            ..FlagInput::default()
        })
        .unwrap();
    assert_invalid(
        client.create_experiment(&definition("x", "nope", "control")),
        "flag",
    );
    assert_invalid(
        client.create_experiment(&definition("x", "plain", "control")),
        "flag",
    );
    assert_invalid(
        client.create_experiment(&definition("x", "checkout", "blue")),
        "control",
    );
    let mut no_metrics = definition("x", "checkout", "control");
    no_metrics.metrics.clear();
    assert_invalid(client.create_experiment(&no_metrics), "metrics");
    let mut twice = definition("x", "checkout", "control");
    twice.metrics[1].name = "purchased".into();
    assert_invalid(client.create_experiment(&twice), "metrics");
    let mut none_planned = definition("x", "checkout", "control");
    none_planned.planned_units = Some(0);
    assert_invalid(client.create_experiment(&none_planned), "planned_units");
    assert!(
        client.experiments().unwrap().is_empty(),
        "nothing refused was stored"
    );

    let created = client
        .create_experiment(&definition("checkout test", "checkout", "control"))
        .unwrap();
    assert_eq!(
        (
            created.status,
            created.unit_key.as_str(),
            created.started_at_ms
        ),
        (ExperimentStatus::Draft, "userId", None)
    );
    assert!(matches!(
        client.create_experiment(&definition("checkout test", "checkout", "control")),
        Err(Error::DuplicateExperimentName(_))
    ));
    let running = client
        .update_experiment(
            created.id,
            &ExperimentUpdate {
                status: Some(ExperimentStatus::Running),
                ..ExperimentUpdate::default()
            },
        )
        .unwrap();
    assert_eq!(running.status, ExperimentStatus::Running);
    assert!(running.started_at_ms.is_some());
    let entries = client.audit_log(None, 10).unwrap();
    assert_eq!(entries[0].target_kind, "experiment");
    assert!(
        entries[0]
            .after
            .as_deref()
            .unwrap()
            .contains(r#""status":"running""#)
    );
    client.delete_experiment(created.id).unwrap();
    assert!(matches!(
        client.experiment(created.id),
        Err(Error::ExperimentNotFound(_))
    ));
});

db_test!(evaluations_record_each_units_first_exposure, |db| {
    let client = db.client();
    variant_flag(&client, "checkout");
    let mut input = definition("checkout test", "checkout", "control");
    input.status = Some(ExperimentStatus::Running);
    let e = client.create_experiment(&input).unwrap();
    // A client that records, started after the experiment runs (it reads them as it loads).
    let recording = Client::builder(&db.url)
        .unwrap()
        .record_exposures(true)
        .connect()
        .unwrap();
    let mut chosen = std::collections::BTreeMap::<String, u64>::new();
    for i in 0..50 {
        let ctx = context! {"userId": format!("user-{i}")};
        let first = recording.evaluate("checkout", &ctx).unwrap();
        let again = recording.evaluate("checkout", &ctx).unwrap();
        assert_eq!(first.variant, again.variant);
        *chosen
            .entry(first.variant.unwrap().name.clone())
            .or_default() += 1;
    }
    // A context without the unit key is evaluated, and not recorded.
    recording.evaluate("checkout", &context! {}).unwrap();
    assert!(recording.track("user-3", "purchase", Some(10.0)));
    assert!(recording.track("user-3", "purchase", Some(5.0)));
    assert!(recording.flush_recorded(Duration::from_secs(30)));
    let (_, totals) = client.experiment_totals(e.id).unwrap();
    let stored: std::collections::BTreeMap<String, u64> = totals
        .variants
        .iter()
        .map(|v| (v.variant.clone(), v.units))
        .collect();
    assert_eq!(stored, chosen);
    let converted: u64 = totals.variants.iter().map(|v| v.metrics[0].converted).sum();
    let revenue: f64 = totals.variants.iter().map(|v| v.metrics[1].sum).sum();
    let squares: f64 = totals
        .variants
        .iter()
        .map(|v| v.metrics[1].sum_squares)
        .sum();
    assert_eq!((converted, revenue, squares), (1, 15.0, 225.0));
    assert_eq!(totals.dropped, 0);
    // A client that does not record records nothing.
    assert!(!client.track("user-4", "purchase", None));
});

db_test!(reported_events_are_checked_whole_and_stored_once, |db| {
    let client = db.client();
    variant_flag(&client, "checkout");
    let mut input = definition("checkout test", "checkout", "control");
    input.status = Some(ExperimentStatus::Running);
    let e = client.create_experiment(&input).unwrap();
    let exposure = |unit: &str, variant: &str, at_ms: i64| Event::Exposure {
        flag: "checkout".into(),
        unit: unit.into(),
        variant: variant.into(),
        at_ms,
    };
    let conversion = |id: &str, unit: &str, at_ms: i64| Event::Conversion {
        id: Some(id.into()),
        event: "purchase".into(),
        unit: unit.into(),
        value: Some(2.0),
        at_ms,
    };
    // One bad event: the batch is refused, naming it, and nothing is stored.
    let refused = client.record_events(&[
        exposure("a", "control", 1000),
        conversion("c-1", "a", 2000),
        exposure("b", "purple", 1000),
    ]);
    match refused {
        Err(Error::InvalidEvent { index, field, .. }) => assert_eq!((index, field), (2, "variant")),
        other => panic!("{other:?}"),
    }
    let (_, totals) = client.experiment_totals(e.id).unwrap();
    assert!(totals.variants.is_empty(), "{totals:?}");

    let stored = client
        .record_events(&[
            exposure("a", "control", 1000),
            exposure("a", "treatment", 500),
            exposure("b", "treatment", 1000),
            conversion("c-1", "a", 2000),
            conversion("c-1", "a", 2000),
            // Before b's exposure: it does not count.
            conversion("c-2", "b", 10),
        ])
        .unwrap();
    assert_eq!(
        (stored.exposures, stored.conversions, stored.duplicates),
        (2, 2, 2)
    );
    let again = client
        .record_events(&[conversion("c-1", "a", 2000)])
        .unwrap();
    assert_eq!((again.conversions, again.duplicates), (0, 1));
    let (_, totals) = client.experiment_totals(e.id).unwrap();
    let units: Vec<(String, u64, u64)> = totals
        .variants
        .iter()
        .map(|v| (v.variant.clone(), v.units, v.metrics[0].converted))
        .collect();
    assert_eq!(
        units,
        vec![("control".into(), 1, 1), ("treatment".into(), 1, 0)]
    );
    // A conversion stored before its unit's exposure is (a late report), but dated after it,
    // counts once the exposure arrives; one dated before it does not.
    client
        .record_events(&[
            conversion("c-3", "late", 5000),
            conversion("c-4", "late", 100),
        ])
        .unwrap();
    client
        .record_events(&[exposure("late", "treatment", 1000)])
        .unwrap();
    let (_, totals) = client.experiment_totals(e.id).unwrap();
    let treatment = totals
        .variants
        .iter()
        .find(|v| v.variant == "treatment")
        .unwrap();
    assert_eq!((treatment.units, treatment.metrics[0].converted), (2, 1));
    assert_eq!(
        treatment.metrics[1].sum, 2.0,
        "the one conversion after the exposure"
    );
});

db_test!(
    weighted_random_and_composite_flags_choose_variants_too,
    |db| {
        let client = db.client();
        let weighted = client
            .create_activation(&ActivationInput {
                name: "coin".into(),
                class_name: "WeightedRandomActivation".into(),
                config: r#"{"splits": [50, 50], "variations": ["A", "B"]}"#.into(),
            })
            .unwrap();
        let window = client
        .create_activation(&ActivationInput {
            name: "always".into(),
            class_name: "DateTimeActivation".into(),
            config: r#"{"startDateTime": "2000-01-01", "endDateTime": "2100-01-01", "format": "%Y-%m-%d"}"#.into(),
        })
        .unwrap();
        let both = client
            .create_activation(&ActivationInput {
                name: "window and coin".into(),
                class_name: "AndActivation".into(),
                config: format!("[{}, {}]", window.id.0, weighted.id.0),
            })
            .unwrap();
        let date_only = client
            .create_activation(&ActivationInput {
                name: "window only".into(),
                class_name: "AndActivation".into(),
                config: format!("[{}]", window.id.0),
            })
            .unwrap();
        for (name, activation) in [
            ("coin flag", weighted.id),
            ("composite flag", both.id),
            ("dated flag", date_only.id),
        ] {
            client
                .create_flag(&FlagInput {
                    name: name.into(),
                    status: true,
                    activations: Some(vec![activation]),
                    force: false,
                })
                .unwrap();
        }
        // WeightedRandom's variations are its variants; an And passes its member's through.
        for flag in ["coin flag", "composite flag"] {
            assert_invalid(
                client.create_experiment(&definition(flag, flag, "C")),
                "control",
            );
            let created = client
                .create_experiment(&definition(flag, flag, "A"))
                .unwrap();
            assert_eq!(created.control, "A");
        }
        // A composite of activations that choose no variant cannot be an experiment.
        assert_invalid(
            client.create_experiment(&definition("dated", "dated flag", "A")),
            "flag",
        );
    }
);

db_test!(dropped_exposures_are_summed_into_the_totals, |db| {
    let client = db.client();
    variant_flag(&client, "checkout");
    let created = client
        .create_experiment(&definition("drops", "checkout", "control"))
        .unwrap();
    assert_eq!(client.experiment_totals(created.id).unwrap().1.dropped, 0);
    // What the recorder stores when its queue was full (one row per batch that had drops).
    db.execute(&format!(
        "INSERT INTO exposure_drops (experiment_id, dropped, at_ms) VALUES ({0}, 7, 0), ({0}, 5, 1)",
        created.id
    ));
    assert_eq!(client.experiment_totals(created.id).unwrap().1.dropped, 12);
});
