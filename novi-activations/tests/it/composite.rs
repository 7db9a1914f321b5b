//! And, Or and Not: Python Novi's sample combinations, three-valued logic, members by id, nesting.

use novi_core::{ActivationId, ActivationSet, BuildError, Context, MAX_NESTING, context};

use crate::{build, config_error};

const DATE: &str = r#"{"startDateTime":"11/26/2023 12:00 AM","endDateTime":"11/28/2023 12:00 AM","format": "%m/%d/%Y %I:%M %p"}"#;
const SPLIT: &str = r#"{ "splits":[100, 0, 0], "variations":["A", "B", "C"]}"#;

/// Python Novi's sample activations 1 to 4, plus more combinations.
fn sample() -> ActivationSet {
    build(&[
        (
            1,
            "novi.client.activations.date_time_activation.DateTimeActivation",
            DATE,
        ),
        (
            2,
            "novi.client.activations.weighted_random_activation.WeightedRandomActivation",
            SPLIT,
        ),
        (
            3,
            "novi.client.activations.and_activation.AndActivation",
            "[1,2]",
        ),
        (
            4,
            "novi.client.activations.or_activation.OrActivation",
            "[1,2]",
        ),
        (5, "AndActivation", "[2,1]"),
        (6, "OrActivation", "[2, 1, 2]"),
        (7, "AndActivation", "[3, 4]"),   // nested
        (8, "OrActivation", "[3, 5, 7]"), // nested, shared members
    ])
}

#[track_caller]
fn check(set: &ActivationSet, id: i32, ctx: &Context, expected: Result<bool, &str>) {
    let activation = set.get(ActivationId(id)).unwrap().unwrap();
    let got = activation
        .decide(ctx)
        .map(|d| d.is_on())
        .map_err(|e| e.to_string());
    assert_eq!(
        got,
        expected.map_err(str::to_owned),
        "activation {id}, {ctx:?}"
    );
    assert_eq!(activation.evaluate(ctx), expected == Ok(true));
}

#[test]
fn python_sample_contexts() {
    let set = sample();
    let inside = "11/27/2023 12:00 AM";
    let after = "11/28/2023 12:00 AM";
    // The contexts of the behaviour doc §5, with our semantics (absent date = now, which is
    // after the 2023 window).
    for (ctx, and, or) in [
        (Context::default(), false, false),
        (context! {"currentDateTime": inside}, false, true),
        (context! {"seed": 1, "variant": "A"}, false, true),
        (context! {"seed": 1, "variant": "B"}, false, false),
        (
            context! {"currentDateTime": inside, "seed": 1, "variant": "A"},
            true,
            true,
        ),
        (
            context! {"currentDateTime": inside, "seed": 1, "variant": "B"},
            false,
            true,
        ),
        (
            context! {"currentDateTime": after, "seed": 1, "variant": "A"},
            false,
            true,
        ),
        (
            context! {"currentDateTime": after, "seed": 1, "variant": "B"},
            false,
            false,
        ),
    ] {
        for id in [3, 5] {
            check(&set, id, &ctx, Ok(and));
        }
        for id in [4, 6] {
            check(&set, id, &ctx, Ok(or));
        }
        check(&set, 7, &ctx, Ok(and && or));
        // Or(3, 5, 7) where 3 and 5 are the And and 7 is And(3, 4): it is on exactly when the And is.
        check(&set, 8, &ctx, Ok(and));
    }
}

#[test]
fn errors_follow_three_valued_logic_whatever_the_order() {
    let set = sample();
    let bad_date = "context key `currentDateTime` is invalid: `yesterday` does not match the format `%m/%d/%Y %I:%M %p`";
    let bad_seed = "context key `seed` must be an integer, string, float or boolean, found array";
    for (ctx, and, or) in [
        // date errors, split says yes: And cannot tell, Or is on.
        (
            context! {"currentDateTime": "yesterday", "seed": 1, "variant": "A"},
            Err(bad_date),
            Ok(true),
        ),
        // date errors, split says no: And is off, Or cannot tell.
        (
            context! {"currentDateTime": "yesterday", "seed": 1, "variant": "B"},
            Ok(false),
            Err(bad_date),
        ),
        // split errors, date says yes: And cannot tell, Or is on.
        (
            context! {"currentDateTime": "11/27/2023 12:00 AM", "seed": [1], "variant": "A"},
            Err(bad_seed),
            Ok(true),
        ),
        // split errors, date says no.
        (
            context! {"currentDateTime": "11/29/2023 12:00 AM", "seed": [1], "variant": "A"},
            Ok(false),
            Err(bad_seed),
        ),
    ] {
        check(&set, 3, &ctx, and);
        check(&set, 5, &ctx, and);
        check(&set, 4, &ctx, or);
        check(&set, 6, &ctx, or);
    }
}

#[test]
fn id_order_never_changes_the_answer() {
    let mut rows = vec![
        (1, "DateTimeActivation", DATE.to_owned()),
        (2, "WeightedRandomActivation", SPLIT.to_owned()),
        (
            3,
            "WeightedRandomActivation",
            r#"{"splits": [1, 1], "variations": ["A", "B"]}"#.to_owned(),
        ),
    ];
    let orders = [
        [1, 2, 3],
        [1, 3, 2],
        [2, 1, 3],
        [2, 3, 1],
        [3, 1, 2],
        [3, 2, 1],
    ];
    for (i, order) in orders.iter().enumerate() {
        let ids = format!("{order:?}");
        rows.push((10 + i as i32, "AndActivation", ids.clone()));
        rows.push((20 + i as i32, "OrActivation", ids));
    }
    let rows: Vec<_> = rows
        .iter()
        .map(|(id, class, config)| (*id, *class, config.as_str()))
        .collect();
    let set = build(&rows);
    let dates = [
        json("11/27/2023 12:00 AM"),
        json("11/29/2023 12:00 AM"),
        json("bad"),
        serde_json::Value::Null,
    ];
    let seeds = [
        serde_json::json!(1),
        serde_json::json!(2),
        serde_json::json!("u"),
        serde_json::json!([1]),
    ];
    for date in &dates {
        for seed in &seeds {
            for variant in ["A", "B"] {
                let mut ctx = context! {"seed": seed.clone(), "variant": variant};
                if !date.is_null() {
                    ctx.insert("currentDateTime", date.clone());
                }
                for base in [10, 20] {
                    let answer = |i: i32| {
                        let activation = set.get(ActivationId(base + i)).unwrap().unwrap();
                        activation.decide(&ctx).map(|d| d.is_on()).map_err(|_| ())
                    };
                    let first = answer(0);
                    for i in 1..6 {
                        assert_eq!(answer(i), first, "order {:?}, {ctx:?}", orders[i as usize]);
                    }
                }
            }
        }
    }
}

fn json(s: &str) -> serde_json::Value {
    serde_json::Value::String(s.to_owned())
}

#[track_caller]
fn check_err(set: &ActivationSet, id: i32, expected: &str) {
    match set.get(ActivationId(id)) {
        Some(Err(err)) => assert_eq!(err.to_string(), expected),
        other => panic!("activation {id}: expected an error, got {other:?}"),
    }
}

#[test]
fn cycles_and_missing_ids_are_build_errors() {
    let set = build(&[
        (1, "DateTimeActivation", DATE),
        (5, "AndActivation", "[5]"),
        (6, "OrActivation", "[7]"),
        (7, "AndActivation", "[1, 8]"),
        (8, "OrActivation", "[6]"),
        (9, "AndActivation", "[1, 99]"),
        (10, "OrActivation", "[98, 99]"),
        (11, "AndActivation", "[1, 6]"),
        (12, "OrActivation", "[1]"),
    ]);
    check_err(&set, 5, "activation cycle: 5 → 5");
    for id in [6, 7, 8] {
        check_err(&set, id, "activation cycle: 6 → 7 → 8 → 6");
    }
    check_err(&set, 9, "activation 99 does not exist");
    check_err(&set, 10, "activation 98 does not exist");
    check_err(
        &set,
        11,
        "member activation 6 cannot be built: activation cycle: 6 → 7 → 8 → 6",
    );
    // Unaffected neighbours.
    check(
        &set,
        12,
        &context! {"currentDateTime": "11/27/2023 12:00 AM"},
        Ok(true),
    );
}

/// A chain of `len` And activations, each containing the next, over a DateTime leaf.
fn chain(len: i32) -> ActivationSet {
    let mut rows: Vec<(i32, &str, String)> = (1..=len)
        .map(|id| (id, "AndActivation", format!("[{}]", id + 1)))
        .collect();
    rows.push((len + 1, "DateTimeActivation", DATE.to_owned()));
    let rows: Vec<_> = rows
        .iter()
        .map(|(id, class, config)| (*id, *class, config.as_str()))
        .collect();
    build(&rows)
}

#[test]
fn nesting_is_limited() {
    let limit = MAX_NESTING as i32;
    assert_eq!(limit, 64);
    let ok = chain(limit);
    check(
        &ok,
        1,
        &context! {"currentDateTime": "11/27/2023 12:00 AM"},
        Ok(true),
    );
    let too_deep = chain(limit + 1);
    check_err(
        &too_deep,
        1,
        "activations nest 65 levels deep, more than the limit of 64",
    );
    check(
        &too_deep,
        2,
        &context! {"currentDateTime": "11/27/2023 12:00 AM"},
        Ok(true),
    );
}

#[test]
fn a_ten_thousand_deep_chain_is_a_build_error_not_a_stack_overflow() {
    let set = chain(10_000);
    assert_eq!(set.len(), 10_001);
    match set.get(ActivationId(1)) {
        Some(Err(err)) => assert_eq!(
            err.root_cause(),
            &BuildError::TooDeep {
                depth: 65,
                limit: 64
            }
        ),
        other => panic!("expected a nesting error, got {other:?}"),
    }
}

#[test]
fn config_errors_name_the_class_and_what_was_expected() {
    const EXPECTED: &str = "expected a non-empty JSON array of activation ids, e.g. [1, 2]";
    for (class, config, problem) in [
        ("AndActivation", "[]", "the list of ids is empty"),
        ("OrActivation", "[]", "the list of ids is empty"),
        (
            "AndActivation",
            "{}",
            "invalid type: map, expected a sequence at line 1 column 0",
        ),
        (
            "OrActivation",
            r#"["1"]"#,
            "invalid type: string \"1\", expected i32 at line 1 column 4",
        ),
        (
            "AndActivation",
            "[1.5]",
            "invalid type: floating point `1.5`, expected i32 at line 1 column 4",
        ),
        (
            "AndActivation",
            "[4294967296]",
            "invalid value: integer `4294967296`, expected i32 at line 1 column 11",
        ),
        (
            "OrActivation",
            "",
            "EOF while parsing a value at line 1 column 0",
        ),
    ] {
        assert_eq!(
            config_error(class, config),
            format!("invalid {class} config: {problem}; {EXPECTED}"),
        );
    }
}
