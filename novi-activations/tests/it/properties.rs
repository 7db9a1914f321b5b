//! The activation invariants (`tests/common/invariants.rs`) over generated configs and
//! contexts: the same properties the cargo-fuzz targets of `fuzz/` check, bounded so that CI
//! runs them on every change.

use std::sync::{Arc, LazyLock};

use novi_core::{Activation, ActivationId, ActivationSet, ActivationSpec, Context};
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::invariants::{self, CONTEXT_KEYS, INTERESTING, VALID};

static BUILT_VALID: LazyLock<Vec<(Arc<dyn Activation>, bool)>> =
    LazyLock::new(invariants::build_valid);

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(INTERESTING).prop_map(str::to_owned),
        any::<String>(),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        (-5i64..110).prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(CONTEXT_KEYS).prop_map(str::to_owned),
        prop::sample::select(CONFIG_KEYS).prop_map(str::to_owned),
        any::<String>(),
    ]
}

/// The keys of the built-in configs.
const CONFIG_KEYS: &[&str] = &[
    "startDateTime",
    "endDateTime",
    "format",
    "splits",
    "variations",
    "percentage",
    "rollout",
    "stickiness",
    "groupId",
    "variants",
    "name",
    "weight",
    "payload",
    "type",
    "value",
    "values",
    "overrides",
    "contextName",
    "hashSeed",
    "environments",
    "contextKey",
    "caseInsensitive",
    "cidrs",
    "operator",
    "inverted",
];

fn context() -> impl Strategy<Value = Context> {
    prop::collection::vec((key(), json_value()), 0..8)
        .prop_map(|pairs| Context::from(pairs.into_iter().collect::<Map<String, Value>>()))
}

/// Configs of every kind: any text, any JSON, a valid config cut short, and a valid config with
/// one field replaced or removed.
fn config() -> impl Strategy<Value = String> {
    let valid = prop::sample::select(VALID).prop_map(|(_, config)| config);
    prop_oneof![
        any::<String>(),
        json_value().prop_map(|value| value.to_string()),
        (valid.clone(), any::<prop::sample::Index>())
            .prop_map(|(config, cut)| config[..cut.index(config.len() + 1)].to_owned())
            .prop_filter("cut inside a character", |config| !config.is_empty()),
        (
            valid,
            any::<prop::sample::Index>(),
            prop::option::of(json_value())
        )
            .prop_map(|(config, field, replacement)| {
                let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(config) else {
                    return config.to_owned();
                };
                let Some(name) = fields.keys().nth(field.index(fields.len().max(1))).cloned()
                else {
                    return config.to_owned();
                };
                match replacement {
                    Some(value) => fields.insert(name, value),
                    None => fields.remove(&name),
                };
                Value::Object(fields).to_string()
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_config_of_any_class_builds_or_fails_with_a_typed_error(
        class_name in prop::sample::select(novi_core::registry::names()),
        config in config(),
        ctx in context(),
    ) {
        novi_activations::link();
        let mut contexts = invariants::standard_contexts();
        contexts.push(ctx);
        invariants::check_config(class_name, &config, &contexts);
    }

    #[test]
    fn valid_activations_decide_any_context(ctx in context()) {
        invariants::check_valid_with(&BUILT_VALID, &ctx);
    }

    #[test]
    fn any_graph_of_composites_builds_without_recursing_or_panicking(
        rows in prop::collection::vec(
            (
                prop::sample::select(&["AndActivation", "OrActivation", "NotActivation", "EnvironmentActivation"][..]),
                prop::collection::vec(0i32..12, 0..4),
            ),
            1..12,
        ),
        ctx in context(),
    ) {
        novi_activations::link();
        let configs: Vec<String> = rows
            .iter()
            .map(|(class_name, ids)| match *class_name {
                "EnvironmentActivation" => r#"{"environments": ["production"]}"#.to_owned(),
                _ => serde_json::to_string(ids).unwrap(),
            })
            .collect();
        let set = ActivationSet::build(rows.iter().zip(&configs).enumerate().map(
            |(id, ((class_name, _), config))| ActivationSpec {
                id: ActivationId(i32::try_from(id).unwrap() + 1),
                name: "generated",
                class_name,
                config,
            },
        ));
        prop_assert_eq!(set.len(), rows.len());
        for (_, built) in set.iter() {
            match built {
                Ok(activation) => invariants::check_decision(activation.as_ref(), &ctx, true),
                Err(err) => invariants::check_build_error(err),
            }
        }
    }
}

/// What the fuzzer found (`config_variant`, `config_rollout`): a row that draws at random (a
/// stickiness key the context lacks, or `default` stickiness without `userId` or `sessionId`)
/// makes the composite holding it (row 4) draw too, and the invariants once expected that
/// composite to be deterministic. Both inputs, trimmed, stay here.
#[test]
fn fuzz_regressions_composites_of_random_rows() {
    let mut contexts = invariants::standard_contexts();
    contexts.push(
        Context::try_from(serde_json::json!({"environment": "production", "userrceId": "alice"}))
            .unwrap(),
    );
    for (class_name, config) in [
        (
            "VariantActivation",
            r#"{"groupId": "pricing", "stickiness": "u.erId", "variants": [{"name": "a", "weight": 1}, {"name": "c", "weight": 3}]}"#,
        ),
        (
            "GradualRolloutActivation",
            r#"{"percentage": 5, "stickiness": "default"}"#,
        ),
    ] {
        for _ in 0..50 {
            assert!(invariants::check_config(class_name, config, &contexts));
        }
    }
}
