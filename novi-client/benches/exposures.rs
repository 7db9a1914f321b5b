//! What recording exposures costs an evaluation: `Client::evaluate` of a flag with a running
//! experiment, by a client that records exposures and by one that does not, over 10,000 units
//! evaluated again and again (each unit's first exposure is queued once; later evaluations of
//! it find it in the recorder's bounded set of units seen).
//!
//! Run with `cargo bench -p novi-client --bench exposures`; figures in BENCHMARKS.md.

#![allow(clippy::unwrap_used)]

use std::{hint::black_box, time::Duration};

use criterion::{Criterion, criterion_group, criterion_main};
use novi_client::{
    ActivationInput, Client, Context, FlagInput,
    experiments::{ExperimentInput, ExperimentStatus, Metric, MetricKind},
};

fn recording(c: &mut Criterion) {
    novi_activations::link();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("exposures.db").display());
    let writer = Client::builder(&url)
        .unwrap()
        .migrate(true)
        .connect()
        .unwrap();
    let split = writer
        .create_activation(&ActivationInput {
            name: "split".into(),
            class_name: "VariantActivation".into(),
            config: r#"{"variants": [{"name": "control", "weight": 50}, {"name": "treatment", "weight": 50}], "stickiness": "userId"}"#.into(),
        })
        .unwrap();
    writer
        .create_flag(&FlagInput {
            name: "checkout".into(),
            status: true,
            activations: Some(vec![split.id]),
            force: false,
        })
        .unwrap();
    writer
        .create_experiment(&ExperimentInput {
            name: "checkout test".into(),
            flag: "checkout".into(),
            control: "control".into(),
            unit_key: None,
            metrics: vec![Metric {
                name: "purchased".into(),
                event: "purchase".into(),
                kind: MetricKind::Conversion,
            }],
            planned_units: None,
            status: Some(ExperimentStatus::Running),
        })
        .unwrap();
    let off = Client::builder(&url).unwrap().connect().unwrap();
    let on = Client::builder(&url)
        .unwrap()
        .record_exposures(true)
        .connect()
        .unwrap();
    let units: Vec<Context> = (0..10_000)
        .map(|i| novi_client::context! {"userId": format!("user-{i}")})
        .collect();
    let mut group = c.benchmark_group("evaluate_with_experiment");
    for (name, client) in [("recording_off", &off), ("recording_on", &on)] {
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) % units.len();
                black_box(client.evaluate("checkout", &units[i]).unwrap())
            });
        });
    }
    group.finish();
    assert!(on.flush_recorded(Duration::from_secs(30)));
    let (_, totals) = on.experiment_totals(1).unwrap();
    let units: u64 = totals.variants.iter().map(|v| v.units).sum();
    assert!(units > 0, "the recording client stored exposures");
}

criterion_group!(benches, recording);
criterion_main!(benches);
