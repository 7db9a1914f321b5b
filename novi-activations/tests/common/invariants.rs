//! The properties every activation keeps whatever its stored config and whatever the caller's
//! context. Two suites check them: the proptest suite (`tests/it/properties.rs`, run in CI)
//! and the cargo-fuzz targets (`fuzz/`, run by `scripts/fuzz`), which include this file.
//!
//! 1. Building any config, valid or not, never panics: it gives an activation or a typed
//!    error whose message is not empty.
//! 2. Deciding with any context never panics: it gives a decision or an error whose message
//!    is not empty.
//! 3. An activation that does not draw at random answers the same context the same way every
//!    time, and its `evaluate` agrees with its `decide` (an error counts as off).

// `pub` for the fuzz crate, which includes this file as a public module.
#![allow(unreachable_pub)]

use std::sync::Arc;

use novi_core::{Activation, ActivationId, ActivationSet, ActivationSpec, BuildError, Context};

/// Context keys the built-in activations read; generators favour them.
pub const CONTEXT_KEYS: &[&str] = &[
    "seed",
    "variant",
    "currentDateTime",
    "userId",
    "sessionId",
    "environment",
    "remoteAddress",
    "email",
    "appName",
    "version",
    "tenant",
];

/// Strings that activations parse: addresses, versions, dates, numbers, names.
pub const INTERESTING: &[&str] = &[
    "",
    "alice",
    "A",
    "B",
    "production",
    "10.1.2.3",
    "10.0.0.0/8",
    "::1",
    "2001:db8::1",
    "256.1.1.1",
    "1.2.3",
    "1.2.3-beta.1",
    "v1",
    "11/27/2023 10:00 AM",
    "2024-02-29T12:00:00Z",
    "2023-11-26T09:00:00+0100",
    "42.5",
    "-0",
    "NaN",
    "1e308",
    "ann@example.com",
    "%Y",
    "[1, 2]",
    "VIP@EXAMPLE.COM",
];

/// Rows stored beside the one under test (which has id 1), so that composite configs have
/// members to name: valid leaves, and a composite naming row 1 back (a cycle when row 1 is
/// itself a composite naming 4).
pub const MEMBERS: &[(i32, &str, &str)] = &[
    (
        2,
        "EnvironmentActivation",
        r#"{"environments": ["production"]}"#,
    ),
    (
        3,
        "GradualRolloutActivation",
        r#"{"percentage": 50, "stickiness": "userId", "groupId": "g"}"#,
    ),
    (4, "AndActivation", "[1, 2]"),
    (
        5,
        "WeightedRandomActivation",
        r#"{"splits": [1, 1], "variations": ["A", "B"]}"#,
    ),
];

/// One valid config of every built-in class, for checking evaluation with arbitrary contexts.
pub const VALID: &[(&str, &str)] = &[
    (
        "DateTimeActivation",
        r#"{"startDateTime":"11/26/2023 12:00 AM","endDateTime":"11/28/2023 12:00 AM","format": "%m/%d/%Y %I:%M %p"}"#,
    ),
    (
        "DateTimeActivation",
        r#"{"startDateTime": "2023-11-26T09:00:00+0100", "endDateTime": "2023-11-26T17:00:00+01:00", "format": "%Y-%m-%dT%H:%M:%S%z"}"#,
    ),
    (
        "WeightedRandomActivation",
        r#"{ "splits":[100, 0, 0], "variations":["A", "B", "C"]}"#,
    ),
    (
        "WeightedRandomActivation",
        r#"{"splits": [1, 2.5, 3], "variations": ["A", "B", "C"]}"#,
    ),
    ("AndActivation", "[2, 3]"),
    ("OrActivation", "[2, 5]"),
    ("NotActivation", "[2]"),
    (
        "GradualRolloutActivation",
        r#"{"percentage": 40, "stickiness": "userId", "groupId": "g"}"#,
    ),
    (
        "GradualRolloutActivation",
        r#"{"percentage": 40, "stickiness": "tenant"}"#,
    ),
    (
        "VariantActivation",
        r#"{"groupId": "pricing", "stickiness": "userId", "variants": [
            {"name": "a", "weight": 1, "payload": {"type": "json", "value": "{\"price\": 9}"}},
            {"name": "b", "weight": 2, "payload": {"type": "number", "value": "12.5"},
             "overrides": [{"contextName": "email", "values": ["vip@example.com"]}]},
            {"name": "c", "weight": 3, "payload": {"type": "string", "value": "blue"}}]}"#,
    ),
    (
        "EnvironmentActivation",
        r#"{"environments": ["production", "staging"]}"#,
    ),
    (
        "UserListActivation",
        r#"{"contextKey": "email", "values": ["Ann@Example.com"], "caseInsensitive": true}"#,
    ),
    (
        "IpRangeActivation",
        r#"{"cidrs": ["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"]}"#,
    ),
    (
        "ConstraintActivation",
        r#"{"contextName": "userId", "operator": "IN", "values": ["a", "b"]}"#,
    ),
    (
        "ConstraintActivation",
        r#"{"contextName": "version", "operator": "SEMVER_GTE", "value": "1.2.3-beta.1"}"#,
    ),
    (
        "ConstraintActivation",
        r#"{"contextName": "currentDateTime", "operator": "DATE_AFTER", "value": "2024-01-01T00:00:00Z"}"#,
    ),
    (
        "ConstraintActivation",
        r#"{"contextName": "email", "operator": "REGEX", "value": "^[a-z]+@example\\.(com|org)$", "caseInsensitive": true}"#,
    ),
    (
        "ConstraintActivation",
        r#"{"contextName": "tenant", "operator": "NUM_LTE", "value": "42.5", "inverted": true}"#,
    ),
    (
        "ConstraintActivation",
        r#"{"contextName": "remoteAddress", "operator": "IN_CIDR", "values": ["10.0.0.0/8", "::1/128"]}"#,
    ),
    (
        "ConstraintActivation",
        r#"{"contextName": "appName", "operator": "STR_ENDS_WITH", "values": ["-web", "-api"], "caseInsensitive": true}"#,
    ),
];

/// Classes that may draw at random (the `random` and `default` stickiness), so that two
/// decisions for one context may differ.
const MAY_DRAW: &[&str] = &[
    "GradualRolloutActivation",
    "flexibleRollout",
    "VariantActivation",
    "variants",
];

/// Builds `config` as an activation of `class_name` (row 1, beside [`MEMBERS`]) and checks
/// properties 1 to 3 with each context. Returns whether row 1 built.
pub fn check_config(class_name: &str, config: &str, contexts: &[Context]) -> bool {
    let set = build(class_name, config);
    for (id, built) in set.iter() {
        match built {
            Ok(activation) => {
                // Row 1 may draw at random, and so may row 4, which has it as a member.
                let deterministic = !MAY_DRAW.contains(&class_name)
                    || !matches!(id, ActivationId(1) | ActivationId(4));
                for ctx in contexts {
                    check_decision(activation.as_ref(), ctx, deterministic);
                }
            }
            Err(err) => check_build_error(err),
        }
    }
    matches!(set.get(ActivationId(1)), Some(Ok(_)))
}

/// Every [`VALID`] config, built (beside [`MEMBERS`]), with whether it may draw at random.
pub fn build_valid() -> Vec<(Arc<dyn Activation>, bool)> {
    VALID
        .iter()
        .map(
            |&(class_name, config)| match build(class_name, config).get(ActivationId(1)) {
                Some(Ok(activation)) => (Arc::clone(activation), !MAY_DRAW.contains(&class_name)),
                other => panic!("{class_name} {config} must build, got {other:?}"),
            },
        )
        .collect()
}

/// Properties 2 and 3 for each of [`build_valid`]'s activations and `ctx`.
pub fn check_valid_with(valid: &[(Arc<dyn Activation>, bool)], ctx: &Context) {
    for (activation, deterministic) in valid {
        check_decision(activation.as_ref(), ctx, *deterministic);
    }
}

/// Builds `config` as row 1 beside [`MEMBERS`].
fn build(class_name: &str, config: &str) -> ActivationSet {
    novi_activations::link();
    let rows = std::iter::once((1, class_name, config)).chain(MEMBERS.iter().copied());
    ActivationSet::build(rows.map(|(id, class_name, config)| ActivationSpec {
        id: ActivationId(id),
        name: "fuzzed",
        class_name,
        config,
    }))
}

/// Property 1 for one build error.
pub fn check_build_error(err: &BuildError) {
    assert!(
        !matches!(err, BuildError::Panicked { .. }),
        "a build function panicked: {err}"
    );
    assert!(!err.to_string().is_empty(), "{err:?} has an empty message");
}

/// Properties 2 and 3 for one activation and one context.
pub fn check_decision(activation: &dyn Activation, ctx: &Context, deterministic: bool) {
    let decision = activation.decide(ctx);
    if let Err(err) = &decision {
        assert!(!err.to_string().is_empty(), "{err:?} has an empty message");
    }
    let on = activation.evaluate(ctx);
    if deterministic {
        assert_eq!(
            activation.decide(ctx),
            decision,
            "{activation:?} changed its mind on {ctx:?}"
        );
        assert_eq!(
            on,
            decision.as_ref().is_ok_and(|d| d.is_on()),
            "{activation:?}: evaluate and decide disagree on {ctx:?}"
        );
    }
}

/// Contexts every config is checked with, beside the generated one.
pub fn standard_contexts() -> Vec<Context> {
    [
        serde_json::json!({}),
        serde_json::json!({"userId": "alice", "sessionId": "s-1", "environment": "production",
            "remoteAddress": "10.1.2.3", "email": "ann@example.com", "seed": "alice", "variant": "A",
            "currentDateTime": "11/27/2023 10:00 AM", "version": "1.2.3", "tenant": 7}),
        serde_json::json!({"userId": 42, "seed": 3.5, "variant": null, "currentDateTime": 17,
            "remoteAddress": "::1", "environment": ["production"], "email": {"a": 1}}),
    ]
    .into_iter()
    .filter_map(|value| Context::try_from(value).ok())
    .collect()
}
