//! Writes: validation, typed errors, ids from the database, links that need force.

use novi_client::{ActivationId, ActivationInput, Error, FlagInput, context};
use novi_core::BuildError;

use crate::db_test;

fn flag(name: &str, status: bool, activations: Option<Vec<i32>>) -> FlagInput {
    FlagInput {
        name: name.into(),
        status,
        activations: activations.map(|ids| ids.into_iter().map(ActivationId).collect()),
        force: false,
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
    // The row is checked under the id the database gives it: naming that id (which the
    // sequence gives next on SQLite; PostgreSQL and MySQL do not reuse the ids the failed
    // inserts above consumed) is a cycle or a missing member, never a success.
    let next = client
        .snapshot()
        .activations()
        .map(|a| a.id.0)
        .max()
        .unwrap()
        + 1;
    let err = invalid(activation("x", "OrActivation", &format!("[{next}]")));
    assert!(
        matches!(
            err,
            BuildError::Cycle { .. } | BuildError::MissingActivation { .. }
        ),
        "{err}"
    );
    if db.backend == novi_client::Backend::Sqlite {
        assert_eq!(
            err.to_string(),
            format!("activation cycle: {next} → {next}")
        );
    }
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

// Ids come from the database's own sequence or autoincrement: a plain INSERT without an id
// (as Python Novi's ORM and hand-written SQL write) between Novi's writes never collides, and
// an id is never given again after a delete. Before, Novi inserted `MAX(id) + 1` (the
// PostgreSQL sequences stood still, so the plain insert collided), and SQLite reused a
// deleted id.
db_test!(ids_come_from_the_database_and_are_never_reused, |db| {
    let client = db.sample_client();
    let env = |name: &str| {
        activation(
            name,
            "EnvironmentActivation",
            r#"{"environments": ["prod"]}"#,
        )
    };
    let plain_flag = |name: &str| {
        db.execute(&format!(
            "INSERT INTO flags (name, status) VALUES ('{name}', TRUE)"
        ));
    };
    let plain_activation = |name: &str| {
        db.execute(&format!(
            "INSERT INTO activations (name, class_name, config) VALUES ('{name}', 'EnvironmentActivation', '{{\"environments\": [\"prod\"]}}')"
        ));
    };
    // The sample data gave explicit ids 1 to 4; a plain insert comes after them.
    plain_flag("python 1");
    plain_activation("python a1");
    let first = client.create_flag(&flag("novi 1", true, None)).unwrap();
    let first_activation = client.create_activation(&env("novi a1")).unwrap();
    plain_flag("python 2");
    plain_activation("python a2");
    let second = client.create_flag(&flag("novi 2", true, None)).unwrap();
    let second_activation = client.create_activation(&env("novi a2")).unwrap();
    client.refresh().unwrap();
    let snapshot = client.snapshot();
    let id = |name: &str| snapshot.flag(name).unwrap().id.0;
    assert!(id("python 1") > 4);
    assert!(first.id.0 > id("python 1"), "{first:?}");
    assert!(id("python 2") > first.id.0);
    assert!(second.id.0 > id("python 2"), "{second:?}");
    assert!(second_activation.id > first_activation.id);
    let activation_ids: Vec<i32> = snapshot.activations().map(|a| a.id.0).collect();
    let mut unique = activation_ids.clone();
    unique.dedup();
    assert_eq!(unique, activation_ids, "ids are distinct and ascending");
    assert_eq!(activation_ids.len(), 4 + 4);

    // The highest ids, deleted, are not given again.
    client.delete_flag("novi 2").unwrap();
    client.delete_activation(second_activation.id).unwrap();
    let third = client.create_flag(&flag("novi 3", true, None)).unwrap();
    let third_activation = client.create_activation(&env("novi a3")).unwrap();
    assert!(third.id.0 > second.id.0, "{third:?} after {second:?}");
    assert!(third_activation.id > second_activation.id);
    plain_flag("python 3");
    client.refresh().unwrap();
    assert!(client.snapshot().flag("python 3").unwrap().id.0 > third.id.0);
});

// A flag may only be linked to an activation that this process can build (say, of a class
// that only another binary links) when the write says `force`.
db_test!(
    links_to_activations_this_process_cannot_build_need_force,
    |db| {
        let client = db.sample_client();
        db.execute(
        "INSERT INTO activations (name, class_name, config) VALUES ('elsewhere', 'acme.CountryActivation', '{}')",
    );
        client.refresh().unwrap();
        let elsewhere = client
            .snapshot()
            .activations()
            .find(|a| a.name == "elsewhere")
            .unwrap()
            .id;
        let mut input = flag("country", true, Some(vec![1, elsewhere.0]));
        match client.create_flag(&input) {
            Err(err @ Error::UnbuildableLink { .. }) => {
                let message = err.to_string();
                assert!(
                    message.contains(&format!(
                        "activation {elsewhere} (class `acme.CountryActivation`)"
                    )),
                    "{message}"
                );
                assert!(message.contains("unknown activation class"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(client.snapshot().flag("country").is_none());
        input.force = true;
        let created = client.create_flag(&input).unwrap();
        assert_eq!(created.activations.len(), 2);
        // Already linked: changing something else, or sending the same set, needs no force.
        client
            .patch_flag(
                "country",
                &novi_client::FlagUpdate {
                    status: Some(false),
                    activations: Some(vec![ActivationId(1), elsewhere]),
                    ..Default::default()
                },
            )
            .unwrap();
        assert!(matches!(
            client.set_flag_activations("Combo OR", &[elsewhere]),
            Err(Error::UnbuildableLink { .. })
        ));
    }
);

// A write whose time started long ago (a request that waited for a thread) gets only what is
// left of its timeout: none here, so it stores nothing and says so at once.
db_test!(a_write_whose_time_is_up_stores_nothing, |db| {
    let client = db.sample_client();
    let late = client.started_at(std::time::Instant::now() - client.write_timeout());
    match late.create_flag(&flag("late", true, None)) {
        Err(err @ Error::WriteTimeout { .. }) => {
            assert!(err.to_string().contains("nothing was written"), "{err}");
        }
        other => panic!("{other:?}"),
    }
    client.refresh().unwrap();
    assert!(client.snapshot().flag("late").is_none());
    assert!(client.create_flag(&flag("on time", true, None)).is_ok());
});
