//! Tables for the targeting, rollout, variant and Not activations: boundaries, context types
//! and config errors.

use novi_core::{Decision, context};
use serde_json::json;

use crate::{build, build_one, config_error};

#[track_caller]
fn check(class: &str, config: &str, cases: &[(novi_core::Context, Result<bool, &str>)]) {
    let activation = build_one(class, config).unwrap();
    for (ctx, expected) in cases {
        let got = activation
            .decide(ctx)
            .map(|d| d.is_on())
            .map_err(|e| e.to_string());
        assert_eq!(
            got,
            expected.map_err(str::to_owned),
            "{class} {config} with {ctx:?}"
        );
    }
}

#[test]
fn environment() {
    check(
        "EnvironmentActivation",
        r#"{"environments": ["production", "staging"]}"#,
        &[
            (context! {"environment": "production"}, Ok(true)),
            (context! {"environment": "staging"}, Ok(true)),
            (context! {"environment": "Production"}, Ok(false)),
            (context! {"environment": "dev"}, Ok(false)),
            (context! {}, Ok(false)),
            (
                context! {"environment": ["production"]},
                Err("context key `environment` must be a string, number or boolean, found array"),
            ),
        ],
    );
    assert_eq!(
        config_error("EnvironmentActivation", r#"{"environments": []}"#),
        r#"invalid EnvironmentActivation config: no environments; expected {"environments": [non-empty list of names]}"#
    );
}

#[test]
fn user_list() {
    check(
        "UserListActivation",
        r#"{"values": ["alice", "42"]}"#,
        &[
            (context! {"userId": "alice"}, Ok(true)),
            (context! {"userId": "Alice"}, Ok(false)),
            (context! {"userId": 42}, Ok(true)),
            (context! {"userId": "bob"}, Ok(false)),
            (context! {"userId": ""}, Ok(false)),
            (context! {}, Ok(false)),
        ],
    );
    check(
        "UserListActivation",
        r#"{"contextKey": "email", "values": ["Ann@Example.com"], "caseInsensitive": true}"#,
        &[
            (context! {"email": "ann@example.COM"}, Ok(true)),
            (context! {"userId": "ann@example.com"}, Ok(false)),
        ],
    );
    assert!(
        config_error("UserListActivation", r#"{"values": "alice"}"#)
            .contains("invalid type: string")
    );
    assert!(
        config_error("UserListActivation", r#"{"contextKey": "", "values": []}"#)
            .contains("`contextKey` is empty")
    );
}

#[test]
fn ip_range() {
    check(
        "IpRangeActivation",
        r#"{"cidrs": ["10.0.0.0/8", "2001:db8::/32", "192.168.1.7", "0.0.0.0/0 "]}"#,
        &[(context! {"remoteAddress": "8.8.8.8"}, Ok(true))],
    );
    check(
        "IpRangeActivation",
        r#"{"cidrs": ["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"]}"#,
        &[
            (context! {"remoteAddress": "10.255.0.1"}, Ok(true)),
            (context! {"remoteAddress": "11.0.0.1"}, Ok(false)),
            (context! {"remoteAddress": "192.168.1.7"}, Ok(true)),
            (context! {"remoteAddress": "192.168.1.8"}, Ok(false)),
            (context! {"remoteAddress": "2001:db8:1::5"}, Ok(true)),
            (context! {"remoteAddress": "2001:db9::5"}, Ok(false)),
            (context! {"remoteAddress": "::ffff:10.1.2.3"}, Ok(true)),
            (context! {}, Ok(false)),
            (
                context! {"remoteAddress": "not-an-ip"},
                Err("context key `remoteAddress` is invalid: `not-an-ip` is not an IP address"),
            ),
        ],
    );
    for bad in [
        r#"{"cidrs": []}"#,
        r#"{"cidrs": ["10.0.0.0/33"]}"#,
        r#"{"cidrs": ["10.0.0/8"]}"#,
        r#"{"cidrs": ["::/129"]}"#,
    ] {
        assert!(
            config_error("IpRangeActivation", bad)
                .starts_with("invalid IpRangeActivation config: "),
            "{bad}"
        );
    }
}

#[test]
fn not_inverts_and_is_cycle_checked() {
    let set = build(&[
        (
            1,
            "EnvironmentActivation",
            r#"{"environments": ["production"]}"#,
        ),
        (2, "NotActivation", "[1]"),
        (3, "NotActivation", "[3]"),
        (4, "NotActivation", "[1, 2]"),
        (5, "NotActivation", "[99]"),
    ]);
    let not = set.get(novi_core::ActivationId(2)).unwrap().unwrap();
    assert!(!not.evaluate(&context! {"environment": "production"}));
    assert!(not.evaluate(&context! {"environment": "dev"}));
    assert!(
        not.decide(&context! {"environment": [1]}).is_err(),
        "errors pass through"
    );
    let err = |id: i32| {
        set.get(novi_core::ActivationId(id))
            .unwrap()
            .unwrap_err()
            .to_string()
    };
    assert_eq!(err(3), "activation cycle: 3 → 3");
    assert_eq!(
        err(4),
        "invalid NotActivation config: 2 ids, not one; expected a JSON array of one activation id, e.g. [3]"
    );
    assert_eq!(err(5), "activation 99 does not exist");
}

#[test]
fn gradual_rollout() {
    // Buckets for group "g": user "u-0" is in bucket 56 (normalized_hash("g", "u-0", 100, 0)).
    let bucket = novi_activations::bucketing::normalized_hash("g", "u-0", 100, 0);
    let config =
        |pct: u32| format!(r#"{{"percentage": {pct}, "stickiness": "userId", "groupId": "g"}}"#);
    let on = |pct: u32, ctx: &novi_core::Context| {
        build_one("GradualRolloutActivation", &config(pct))
            .unwrap()
            .evaluate(ctx)
    };
    let user = context! {"userId": "u-0"};
    assert!(!on(bucket - 1, &user), "one point below the bucket is off");
    assert!(on(bucket, &user), "the bucket itself is on");
    assert!(on(100, &user));
    assert!(!on(0, &user));
    assert!(
        !on(100, &context! {"sessionId": "s"}),
        "no value for the chosen key is off"
    );
    // The group defaults to the activation's name, as stored.
    let named = build_one("flexibleRollout", r#"{"rollout": "100"}"#).unwrap();
    assert!(
        named.evaluate(&context! {}),
        "default stickiness falls back to random: 100% is on"
    );
    let custom = build_one(
        "GradualRolloutActivation",
        r#"{"percentage": 100, "stickiness": "tenant"}"#,
    )
    .unwrap();
    assert!(custom.evaluate(&context! {"tenant": 7}));
    assert!(!custom.evaluate(&context! {"userId": "u"}));
    for (config, problem) in [
        (
            r#"{"percentage": 101}"#,
            "`percentage` 101 is not a number from 0 to 100",
        ),
        (
            r#"{"percentage": -1}"#,
            "`percentage` -1 is not a number from 0 to 100",
        ),
        (
            r#"{"percentage": "ten"}"#,
            "`percentage` \"ten\" is not a number from 0 to 100",
        ),
        (r#"{}"#, "missing `percentage`"),
        (
            r#"{"percentage": 5, "stickyness": "userId"}"#,
            "unknown key `stickyness`",
        ),
        (
            r#"{"percentage": 5, "groupId": 3}"#,
            "`groupId` must be a string, not 3",
        ),
    ] {
        assert!(
            config_error("GradualRolloutActivation", config).contains(problem),
            "{config}"
        );
    }
}

#[test]
fn variants_overrides_payloads_and_errors() {
    let config = r##"{"groupId": "checkout", "variants": [
        {"name": "red", "weight": 50, "payload": {"type": "json", "value": "{\"hex\": \"#f00\"}"}},
        {"name": "blue", "weight": 50, "payload": {"type": "number", "value": "2.5"},
         "overrides": [{"contextName": "userId", "values": ["vip"]}]},
        {"name": "never", "weight": 0}
    ]}"##;
    let activation = build_one("VariantActivation", config).unwrap();
    let pick = |ctx: novi_core::Context| {
        activation
            .decide(&ctx)
            .unwrap()
            .variant()
            .unwrap()
            .name
            .clone()
    };
    assert_eq!(
        pick(context! {"userId": "vip"}),
        "blue",
        "overrides come first"
    );
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..200 {
        let name = pick(context! {"userId": format!("user-{i}")});
        assert_eq!(
            name,
            pick(context! {"userId": format!("user-{i}")}),
            "sticky"
        );
        seen.insert(name);
    }
    assert_eq!(
        seen.into_iter().collect::<Vec<_>>(),
        ["blue", "red"],
        "a zero weight is never chosen"
    );
    let decision = activation.decide(&context! {"userId": "vip"}).unwrap();
    assert_eq!(
        decision,
        Decision::ON.with_variant(decision.variant().unwrap().clone())
    );
    let payload = decision.variant().unwrap().payload.clone().unwrap();
    assert_eq!(
        (payload.kind.as_str(), payload.value.as_str()),
        ("number", "2.5")
    );

    for (config, problem) in [
        (r#"{"variants": []}"#, "no variants"),
        (
            r#"{"variants": [{"name": "a", "weight": 0}]}"#,
            "the weights add up to 0",
        ),
        (
            r#"{"variants": [{"name": "a", "weight": 1, "payload": {"type": "json", "value": "{"}}]}"#,
            "the json payload of `a` is not JSON",
        ),
        (
            r#"{"variants": [{"name": "a", "weight": 1, "payload": {"type": "number", "value": "x"}}]}"#,
            "the number payload of `a` is not a number",
        ),
        (
            r#"{"variants": [{"name": "a", "weight": 1, "payload": {"type": "csv", "value": "x"}}]}"#,
            "payload type `csv` of `a` is not string, json or number",
        ),
        (
            r#"{"variants": [{"name": "a", "weight": -1}]}"#,
            "invalid value: integer `-1`, expected u32",
        ),
    ] {
        assert!(
            config_error("VariantActivation", config).contains(problem),
            "{config}: {}",
            config_error("VariantActivation", config)
        );
    }
    let _ = json!(null);
}

#[test]
fn composites_pass_variants_through() {
    let set = build(&[
        (
            1,
            "VariantActivation",
            r#"{"variants": [{"name": "only", "weight": 1}]}"#,
        ),
        (
            2,
            "EnvironmentActivation",
            r#"{"environments": ["production"]}"#,
        ),
        (3, "AndActivation", "[2, 1]"),
        (4, "OrActivation", "[2, 1]"),
    ]);
    let get = |id| set.get(novi_core::ActivationId(id)).unwrap().unwrap();
    let prod = context! {"environment": "production"};
    let and = get(3).decide(&prod).unwrap();
    assert_eq!(
        (and.is_on(), and.variant().map(|v| v.name.as_str())),
        (true, Some("only"))
    );
    assert_eq!(
        get(3).decide(&context! {}).unwrap().variant(),
        None,
        "an And that is off reports none"
    );
    let or = get(4).decide(&context! {}).unwrap();
    assert_eq!(
        (or.is_on(), or.variant().map(|v| v.name.as_str())),
        (true, Some("only"))
    );
}
