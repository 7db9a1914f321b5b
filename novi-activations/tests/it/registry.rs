//! The registry of the built-in activations: every class and alias, no conflicts.

use novi_core::registry;

#[test]
fn built_ins_are_registered_under_short_names_and_python_class_paths() {
    novi_activations::link();
    for (short, python) in [
        (
            "DateTimeActivation",
            "novi.client.activations.date_time_activation.DateTimeActivation",
        ),
        (
            "WeightedRandomActivation",
            "novi.client.activations.weighted_random_activation.WeightedRandomActivation",
        ),
        (
            "AndActivation",
            "novi.client.activations.and_activation.AndActivation",
        ),
        (
            "OrActivation",
            "novi.client.activations.or_activation.OrActivation",
        ),
    ] {
        let by_short = registry::find(short).unwrap_or_else(|| panic!("{short} is registered"));
        let by_python = registry::find(python).unwrap_or_else(|| panic!("{python} is registered"));
        assert!(std::ptr::eq(by_short, by_python));
        assert_eq!(by_short.class(), short);
        assert_eq!(by_short.names(), &[short, python]);
    }
    for (class, aliases) in [
        ("GradualRolloutActivation", &["flexibleRollout"][..]),
        ("VariantActivation", &["variants"]),
        ("EnvironmentActivation", &[]),
        ("UserListActivation", &["userWithId"]),
        ("IpRangeActivation", &[]),
        ("NotActivation", &[]),
        ("ConstraintActivation", &[]),
    ] {
        let registration = registry::find(class).unwrap_or_else(|| panic!("{class} is registered"));
        assert_eq!(&registration.names()[1..], aliases);
    }
    assert_eq!(registry::names().len(), 18);
    assert!(registry::conflicts().is_empty());
}

/// Every built-in class gives an example config, and the example builds (composites beside two
/// plain activations with ids 1 and 2, which their examples name).
#[test]
fn every_built_in_class_has_an_example_that_builds() {
    novi_activations::link();
    let leaf = r#"{"environments": ["staging"]}"#;
    let mut checked = 0;
    for registration in novi_core::registry::registrations() {
        let Some(example) = registration.example() else {
            panic!("{} has no example", registration.class());
        };
        let set = crate::build(&[
            (1, "EnvironmentActivation", leaf),
            (2, "EnvironmentActivation", leaf),
            (3, registration.class(), example),
        ]);
        let built = set.get(novi_core::ActivationId(3)).unwrap();
        assert!(
            built.is_ok(),
            "{}'s example {example} does not build: {:?}",
            registration.class(),
            built.err()
        );
        checked += 1;
    }
    assert!(checked >= 11, "{checked} classes");
}
