//! A downstream crate's activation appears in the registry next to the built-ins, is found by
//! name and builds from a stored row.

use novi_core::{ActivationId, ActivationSet, ActivationSpec, context, registry};

#[test]
fn downstream_activation_is_registered_and_found_by_name() {
    novi_activations::link();
    novi_examples::link();

    let names = registry::names();
    for name in [
        "CountryActivation",
        "novi_examples.CountryActivation",
        "DateTimeActivation",
        "novi.client.activations.date_time_activation.DateTimeActivation",
        "WeightedRandomActivation",
        "AndActivation",
        "OrActivation",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    assert_eq!(names.len(), 20);

    let registration = registry::find("novi_examples.CountryActivation").expect("found by alias");
    assert_eq!(registration.class(), "CountryActivation");
    assert_eq!(
        registration.expected(),
        r#"{"countries": [two-letter country codes]}"#
    );
}

#[test]
fn downstream_activation_builds_and_mixes_with_built_ins() {
    novi_examples::link();
    novi_activations::link();
    let set = ActivationSet::build([
        ActivationSpec {
            id: ActivationId(1),
            name: "Nordics",
            class_name: "CountryActivation",
            config: r#"{"countries": ["no", "SE"]}"#,
        },
        ActivationSpec {
            id: ActivationId(2),
            name: "Nordics or A",
            class_name: "OrActivation",
            config: "[1, 3]",
        },
        ActivationSpec {
            id: ActivationId(3),
            name: "A",
            class_name: "WeightedRandomActivation",
            config: r#"{"splits": [1], "variations": ["A"]}"#,
        },
        ActivationSpec {
            id: ActivationId(4),
            name: "Broken",
            class_name: "CountryActivation",
            config: r#"{"countries": ["Norway"]}"#,
        },
    ]);
    let nordics_or_a = set.get(ActivationId(2)).unwrap().unwrap();
    assert!(nordics_or_a.evaluate(&context! {"country": "NO"}));
    assert!(nordics_or_a.evaluate(&context! {"country": "FR", "seed": 1, "variant": "A"}));
    assert!(!nordics_or_a.evaluate(&context! {"country": "FR"}));
    assert_eq!(
        nordics_or_a
            .decide(&context! {"country": 47})
            .map_err(|e| e.to_string()),
        Err("context key `country` must be a string, found number".to_owned())
    );
    let decision = nordics_or_a
        .decide(&context! {"country": 47, "seed": 1, "variant": "A"})
        .unwrap();
    assert!(decision.is_on());
    assert_eq!(
        decision.variant().map(|v| v.name.as_str()),
        Some("A"),
        "the Or passes the chosen variation through"
    );
    match set.get(ActivationId(4)) {
        Some(Err(err)) => assert_eq!(
            err.to_string(),
            r#"invalid CountryActivation config: `Norway` is not a two-letter country code; expected {"countries": [two-letter country codes]}"#
        ),
        other => panic!("expected a config error, got {other:?}"),
    }
}
