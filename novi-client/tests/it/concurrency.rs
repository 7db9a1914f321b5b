//! Writers in several clients (as in several processes) at once: they take turns on the
//! database's writer lock, so validation sees every commit, and nothing fails for lack of a
//! retry.

use std::{sync::Barrier, thread};

use novi_client::{ActivationId, ActivationInput, Client, Error, FlagInput, context};
use novi_core::BuildError;

use crate::db_test;

fn clients(db: &crate::TestDb, n: usize) -> Vec<Client> {
    (0..n).map(|_| db.client()).collect()
}

fn leaf(name: &str) -> ActivationInput {
    ActivationInput {
        name: name.into(),
        class_name: "WeightedRandomActivation".into(),
        config: r#"{"splits": [1], "variations": ["A"]}"#.into(),
    }
}

fn and(ids: &str) -> ActivationInput {
    ActivationInput {
        name: "and".into(),
        class_name: "AndActivation".into(),
        config: ids.into(),
    }
}

db_test!(concurrent_updates_cannot_store_a_cycle, |db| {
    let [one, two]: [Client; 2] = clients(&db, 2).try_into().unwrap();
    for round in 0..15 {
        let a = one
            .create_activation(&leaf(&format!("a{round}")))
            .unwrap()
            .id;
        let b = one
            .create_activation(&leaf(&format!("b{round}")))
            .unwrap()
            .id;
        let barrier = Barrier::new(2);
        let (first, second) = thread::scope(|scope| {
            let first = scope.spawn(|| {
                barrier.wait();
                one.update_activation(a, &and(&format!("[{b}]")))
            });
            let second = scope.spawn(|| {
                barrier.wait();
                two.update_activation(b, &and(&format!("[{a}]")))
            });
            (first.join().unwrap(), second.join().unwrap())
        });
        assert!(
            first.is_ok() != second.is_ok(),
            "round {round}: exactly one update may win: {first:?} / {second:?}"
        );
        let loser = first.err().or(second.err()).unwrap();
        assert!(
            matches!(loser, Error::InvalidActivation(BuildError::Cycle { .. })),
            "{loser:?}"
        );
        one.refresh().unwrap();
        for record in one.snapshot().activations() {
            assert!(
                one.snapshot().build_error(record.id).is_none(),
                "round {round}: {record:?}"
            );
        }
    }
});

db_test!(many_writers_all_succeed, |db| {
    let writers = clients(&db, 6);
    thread::scope(|scope| {
        for (w, client) in writers.iter().enumerate() {
            scope.spawn(move || {
                for i in 0..15 {
                    let name = format!("w{w}-f{i}");
                    client
                        .create_flag(&FlagInput {
                            name: name.clone(),
                            status: true,
                            activations: None,
                            force: false,
                        })
                        .unwrap_or_else(|err| panic!("{name}: {err}"));
                    assert!(
                        client.is_enabled(&name, &context! {}),
                        "{name}: read your write"
                    );
                }
            });
        }
    });
    let reader = db.client();
    let snapshot = reader.snapshot();
    assert_eq!(snapshot.len(), 90);
    let mut ids: Vec<_> = snapshot.flags().map(|f| f.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 90, "every flag has an id of its own");
});

db_test!(writers_read_their_writes_while_others_refresh, |db| {
    let client = db.client();
    let done = std::sync::atomic::AtomicBool::new(false);
    thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    client.refresh().unwrap();
                }
            });
        }
        for i in 0..60 {
            let name = format!("flag {i}");
            let created = client
                .create_flag(&FlagInput {
                    name: name.clone(),
                    status: true,
                    activations: None,
                    force: false,
                })
                .unwrap_or_else(|err| panic!("{name}: {err}"));
            assert_eq!(created.name, name);
            assert!(client.is_enabled(&name, &context! {}));
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
    });
});

db_test!(names_compare_exactly_on_every_backend, |db| {
    let client = db.sample_client();
    let add = |name: &str| {
        client.create_flag(&FlagInput {
            name: name.into(),
            status: true,
            activations: None,
            force: false,
        })
    };
    add("combo and").expect("case matters");
    add("COMBO OR").expect("case matters");
    for name in ["f ", " f", "f\t"] {
        assert!(
            matches!(add(name), Err(Error::InvalidInput { .. })),
            "{name:?}"
        );
    }
    add("f").unwrap();
    assert!(matches!(
        client.delete_flag("F"),
        Err(Error::FlagNotFound(_))
    ));
    assert!(matches!(
        client.delete_flag("f "),
        Err(Error::FlagNotFound(_))
    ));
    assert!(matches!(
        client.set_flag_activations("combo or", &[ActivationId(1)]),
        Err(Error::FlagNotFound(_))
    ));
    assert_eq!(
        client
            .snapshot()
            .flag("Combo OR")
            .unwrap()
            .activations
            .len(),
        1
    );
    client.delete_flag("f").unwrap();
});

#[test]
fn an_in_memory_database_works() {
    novi_activations::link();
    for url in [":memory:", "sqlite://"] {
        let client = Client::builder(url)
            .unwrap()
            .migrate(true)
            .connect()
            .unwrap();
        assert!(client.seed_if_empty(crate::SAMPLE_DATA).unwrap());
        client
            .create_flag(&FlagInput {
                name: "in memory".into(),
                status: true,
                activations: Some(vec![ActivationId(2)]),
                force: false,
            })
            .unwrap();
        assert!(client.is_enabled("in memory", &context! {"seed": 1, "variant": "A"}));
        client.refresh().unwrap();
        assert_eq!(client.snapshot().len(), 5);
    }
}
