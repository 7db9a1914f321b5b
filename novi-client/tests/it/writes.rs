use novi_client::{ActivationId, ActivationInput, Error, FlagInput, context};
use novi_core::BuildError;

use crate::db_test;

fn flag(name: &str, status: bool, activations: Option<Vec<i32>>) -> FlagInput {
    FlagInput {
        name: name.into(),
        status,
        activations: activations.map(|ids| ids.into_iter().map(ActivationId).collect()),
    }
}

fn activation(name: &str, class_name: &str, config: &str) -> ActivationInput {
    ActivationInput {
        name: name.into(),
        class_name: class_name.into(),
        config: config.into(),
    }
}

const SPLIT_A: &str = r#"{"splits": [1], "variations": ["A"]}"#;

db_test!(flag_writes_and_their_errors, |db| {
    let client = db.client();
    let split = client
        .create_activation(&activation("split", "WeightedRandomActivation", SPLIT_A))
        .unwrap();
    let date = client
        .create_activation(&activation(
            "window",
            "DateTimeActivation",
            r#"{"startDateTime": "2023", "endDateTime": "2024", "format": "%Y"}"#,
        ))
        .unwrap();
    assert_eq!((split.id, date.id), (ActivationId(1), ActivationId(2)));

    let created = client.create_flag(&flag("f", true, Some(vec![1]))).unwrap();
    assert_eq!(created.name, "f");
    assert_eq!(
        created.activations.iter().map(|a| a.id).collect::<Vec<_>>(),
        [ActivationId(1)]
    );
    let a = context! {"seed": 5, "variant": "A", "currentDateTime": "2023"};
    assert!(client.is_enabled("f", &a), "read your writes");

    assert!(matches!(
        client.create_flag(&flag("f", false, None)),
        Err(Error::DuplicateFlagName(name)) if name == "f"
    ));
    match client.create_flag(&flag("g", true, Some(vec![1, 99, 98]))) {
        Err(err @ Error::UnknownActivations(_)) => {
            assert_eq!(err.to_string(), "no activation has the id 99, 98")
        }
        other => panic!("{other:?}"),
    }
    assert!(
        client.snapshot().flag("g").is_none(),
        "a failed write leaves nothing"
    );
    for (name, problem) in [
        ("", "invalid flag name: it is empty"),
        ("a\nb", "invalid flag name: it contains control characters"),
        (
            &"x".repeat(256),
            "invalid flag name: it is longer than 255 characters",
        ),
    ] {
        let err = client.create_flag(&flag(name, true, None)).unwrap_err();
        assert_eq!(err.to_string(), problem);
    }
    let unicode = "ünïcödé flag ✓ / with a slash";
    client.create_flag(&flag(unicode, true, None)).unwrap();
    assert!(client.is_enabled(unicode, &context! {}));
    let max_len = "é".repeat(255);
    client.create_flag(&flag(&max_len, true, None)).unwrap();
    assert!(client.snapshot().flag(&max_len).is_some());
    client
        .create_flag(&flag("F", true, None))
        .expect("names are case-sensitive");

    // Update: rename, status, and the activation set (None keeps it).
    let updated = client.update_flag("f", &flag("f2", true, None)).unwrap();
    assert_eq!(updated.activations.len(), 1);
    assert!(client.snapshot().flag("f").is_none());
    let updated = client
        .update_flag("f2", &flag("f2", true, Some(vec![1, 2])))
        .unwrap();
    assert_eq!(updated.activations.len(), 2);
    assert!(!client.is_enabled(
        "f2",
        &context! {"seed": 5, "variant": "A", "currentDateTime": "2025"}
    ));
    assert!(matches!(
        client.update_flag("f2", &flag("F", true, None)),
        Err(Error::DuplicateFlagName(_))
    ));
    assert!(matches!(
        client.update_flag("nope", &flag("x", true, None)),
        Err(Error::FlagNotFound(_))
    ));
    assert!(matches!(
        client.update_flag("f2", &flag("f2", true, Some(vec![7]))),
        Err(Error::UnknownActivations(ids)) if ids == [ActivationId(7)]
    ));
    assert_eq!(
        client.snapshot().flag("f2").unwrap().activations.len(),
        2,
        "unchanged"
    );

    let set = client
        .set_flag_activations("f2", &[ActivationId(2), ActivationId(2)])
        .unwrap();
    assert_eq!(
        set.activations.iter().map(|a| a.id).collect::<Vec<_>>(),
        [ActivationId(2)]
    );
    let cleared = client.set_flag_activations("f2", &[]).unwrap();
    assert!(cleared.activations.is_empty());

    client.delete_flag("f2").unwrap();
    assert!(matches!(
        client.evaluate("f2", &context! {}),
        Err(Error::FlagNotFound(_))
    ));
    assert!(matches!(
        client.delete_flag("f2"),
        Err(Error::FlagNotFound(_))
    ));
});

db_test!(activation_writes_and_their_errors, |db| {
    let client = db.client();
    let leaf = client
        .create_activation(&activation("leaf", "WeightedRandomActivation", SPLIT_A))
        .unwrap();
    let and = client
        .create_activation(&activation(
            "and",
            "AndActivation",
            &format!("[{}]", leaf.id),
        ))
        .unwrap();
    assert_eq!((leaf.id, and.id), (ActivationId(1), ActivationId(2)));
    assert_eq!(and.config, "[1]", "stored verbatim");
    let n_before = client.snapshot().activations().len();

    let invalid = |input: ActivationInput| match client.create_activation(&input) {
        Err(Error::InvalidActivation(err)) => err,
        other => panic!("{input:?}: {other:?}"),
    };
    assert!(
        matches!(invalid(activation("x", "Nope", "{}")), BuildError::UnknownClass { registered, .. } if registered.contains(&"AndActivation"))
    );
    assert_eq!(
        invalid(activation(
            "x",
            "WeightedRandomActivation",
            r#"{"splits": [1, 1], "variations": ["A"]}"#
        ))
        .to_string(),
        r#"invalid WeightedRandomActivation config: 2 splits but 1 variations; expected {"splits": [numbers >= 0 with a positive sum], "variations": [as many JSON values]}"#
    );
    assert_eq!(
        invalid(activation("x", "OrActivation", "[1, 99]")).to_string(),
        "activation 99 does not exist"
    );
    assert_eq!(
        invalid(activation("x", "OrActivation", "[3]")).to_string(),
        "activation cycle: 3 → 3",
        "the would-be id is checked too"
    );
    assert!(matches!(
        client.create_activation(&activation("", "OrActivation", "[1]")),
        Err(Error::InvalidInput {
            field: "activation name",
            ..
        })
    ));
    assert_eq!(
        client.snapshot().activations().len(),
        n_before,
        "failed writes leave nothing"
    );

    // Updates are validated against every activation: a cycle through `and`...
    match client.update_activation(leaf.id, &activation("leaf", "AndActivation", "[2]")) {
        Err(Error::InvalidActivation(BuildError::Cycle { path })) => {
            assert_eq!(path, [ActivationId(1), ActivationId(2), ActivationId(1)])
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        client.snapshot().activation(leaf.id).unwrap().class_name,
        "WeightedRandomActivation"
    );
    assert!(matches!(
        client.update_activation(ActivationId(99), &activation("x", "OrActivation", "[1]")),
        Err(Error::ActivationNotFound(ActivationId(99)))
    ));
    let renamed = client
        .update_activation(and.id, &activation("and renamed", "OrActivation", "[1]"))
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.class_name.as_str()),
        ("and renamed", "OrActivation")
    );

    // ...and nesting that would push a composite past the limit.
    let mut top = and.id;
    for i in 1..64 {
        top = client
            .create_activation(&activation(
                &format!("level {i}"),
                "AndActivation",
                &format!("[{top}]"),
            ))
            .unwrap()
            .id;
    }
    let other_leaf = client
        .create_activation(&activation("other", "WeightedRandomActivation", SPLIT_A))
        .unwrap();
    match client.update_activation(
        leaf.id,
        &activation("leaf", "AndActivation", &format!("[{}]", other_leaf.id)),
    ) {
        Err(err @ Error::WouldBreak { .. }) => {
            let Error::WouldBreak { id, .. } = &err else {
                unreachable!()
            };
            assert_eq!(*id, top);
            assert_eq!(
                err.to_string(),
                format!(
                    "the change would break activation {top}: activations nest 65 levels deep, more than the limit of 64"
                )
            );
        }
        other => panic!("{other:?}"),
    }

    // Deletes refuse while anything uses the activation.
    client
        .create_flag(&flag("uses leaf", true, Some(vec![leaf.id.0])))
        .unwrap();
    match client.delete_activation(leaf.id) {
        Err(err @ Error::StillReferenced { .. }) => assert_eq!(
            err.to_string(),
            "activation 1 is still used by flag `uses leaf` and activation 2"
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        client.delete_activation(ActivationId(999)),
        Err(Error::ActivationNotFound(_))
    ));
    client.delete_activation(other_leaf.id).unwrap();
    assert!(client.snapshot().activation(other_leaf.id).is_none());
    client.delete_activation(top).unwrap();
    assert!(matches!(
        client.delete_activation(top),
        Err(Error::ActivationNotFound(_))
    ));
});
