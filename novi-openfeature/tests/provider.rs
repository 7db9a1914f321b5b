//! The provider through OpenFeature's own API (`OpenFeature::singleton`, a client, typed
//! details), over a SQLite database with the sample flags and flags of every kind.

#![allow(clippy::unwrap_used)]

use novi_openfeature::NoviProvider;
use novi_testing::{Backend, TestDb};
use open_feature::{
    EvaluationContext, EvaluationErrorCode, EvaluationReason, FlagMetadataValue, OpenFeature,
    StructValue, Value,
};

const FLAGS: &str = r#"
INSERT INTO activations (id, name, class_name, config) VALUES
  (5, 'pricing', 'VariantActivation', '{"variants": [{"name": "cheap", "weight": 1, "payload": {"type": "json", "value": "{\"price\": 9, \"currency\": \"EUR\"}"}}]}'),
  (6, 'colour', 'VariantActivation', '{"variants": [{"name": "blue", "weight": 1, "payload": {"type": "string", "value": "blue"}}]}'),
  (7, 'limit', 'VariantActivation', '{"variants": [{"name": "high", "weight": 1, "payload": {"type": "number", "value": "12"}}]}'),
  (8, 'ratio', 'VariantActivation', '{"variants": [{"name": "r", "weight": 1, "payload": {"type": "number", "value": "0.25"}}]}'),
  (9, 'half', 'GradualRolloutActivation', '{"percentage": 50, "stickiness": "userId", "groupId": "half"}'),
  (10, 'tenants', 'ConstraintActivation', '{"contextName": "tenant", "operator": "NUM_GT", "value": "10"}');
INSERT INTO flags (id, name, status) VALUES
  (5, 'pricing', TRUE), (6, 'colour', TRUE), (7, 'limit', TRUE), (8, 'ratio', TRUE),
  (9, 'half', TRUE), (10, 'plain', TRUE), (11, 'off', FALSE), (12, 'tenants', TRUE);
INSERT INTO flags_activations (flag_id, activation_id) VALUES
  (5, 5), (6, 6), (7, 7), (8, 8), (9, 9), (11, 9), (12, 10);
"#;

#[tokio::test(flavor = "current_thread")]
async fn openfeature_resolves_every_type_with_variants_and_reasons() {
    let db = TestDb::new(Backend::Sqlite);
    let novi = db.sample_client();
    db.execute(FLAGS);
    novi.refresh().unwrap();
    let half_for = |user: &str| {
        novi.snapshot()
            .is_enabled("half", &novi_client::context! {"userId": user})
    };
    let expected_half: Vec<bool> = (0..20).map(|i| half_for(&format!("user-{i}"))).collect();

    OpenFeature::singleton_mut()
        .await
        .set_provider(NoviProvider::new(novi.clone()))
        .await;
    let client = OpenFeature::singleton().await.create_client();
    let user = EvaluationContext::default().with_targeting_key("user-7");

    let plain = client
        .get_bool_details("plain", Some(&user), None)
        .await
        .unwrap();
    assert_eq!(
        (plain.value, plain.variant.as_deref(), plain.reason),
        (true, Some("on"), Some(EvaluationReason::Static))
    );
    let off = client
        .get_bool_details("off", Some(&user), None)
        .await
        .unwrap();
    assert_eq!(
        (off.value, off.reason),
        (false, Some(EvaluationReason::Disabled))
    );
    let colour = client
        .get_string_details("colour", Some(&user), None)
        .await
        .unwrap();
    assert_eq!(
        (
            colour.value.as_str(),
            colour.variant.as_deref(),
            colour.reason
        ),
        ("blue", Some("blue"), Some(EvaluationReason::Split))
    );
    assert_eq!(
        client
            .get_int_value("limit", Some(&user), None)
            .await
            .unwrap(),
        12
    );
    assert_eq!(
        client
            .get_float_value("ratio", Some(&user), None)
            .await
            .unwrap(),
        0.25
    );
    let pricing = client
        .get_struct_details::<StructValue>("pricing", Some(&user), None)
        .await
        .unwrap();
    assert_eq!(pricing.value.fields.get("price"), Some(&Value::Int(9)));
    assert_eq!(
        pricing.value.fields.get("currency"),
        Some(&Value::String("EUR".into()))
    );
    assert_eq!(
        pricing.flag_metadata.values.get("noviReason"),
        Some(&FlagMetadataValue::String("all_matched".into()))
    );
    // The sample's weighted random flag, through OpenFeature's custom fields.
    let sample = EvaluationContext::default()
        .with_custom_field("seed", 333)
        .with_custom_field("variant", "A");
    let random = client
        .get_bool_details("Random Variant Feature", Some(&sample), None)
        .await
        .unwrap();
    assert_eq!((random.value, random.variant.as_deref()), (true, Some("A")));

    // The targeting key is the rollout's stickiness key: the same users as Novi's own answer.
    for (i, expected) in expected_half.iter().enumerate() {
        let ctx = EvaluationContext::default().with_targeting_key(format!("user-{i}"));
        let on = client
            .get_bool_value("half", Some(&ctx), None)
            .await
            .unwrap();
        assert_eq!(on, *expected, "user-{i}");
    }
    assert!(expected_half.contains(&true) && expected_half.contains(&false));
    let tenant = |n: i64| EvaluationContext::default().with_custom_field("tenant", n);
    assert!(
        client
            .get_bool_value("tenants", Some(&tenant(11)), None)
            .await
            .unwrap()
    );
    let no = client
        .get_bool_details("tenants", Some(&tenant(3)), None)
        .await
        .unwrap();
    assert_eq!(
        (no.value, no.reason),
        (false, Some(EvaluationReason::Default))
    );

    for (flag, code) in [
        ("missing", EvaluationErrorCode::FlagNotFound),
        ("colour", EvaluationErrorCode::TypeMismatch),
    ] {
        let err = client
            .get_bool_value(flag, Some(&user), None)
            .await
            .unwrap_err();
        assert_eq!(err.code, code, "{flag}");
    }
    let bad_date = EvaluationContext::default().with_custom_field("currentDateTime", 5);
    let err = client
        .get_bool_value("Date Activated Feature", Some(&bad_date), None)
        .await
        .unwrap_err();
    assert_eq!(err.code, EvaluationErrorCode::InvalidContext);
    assert!(err.message.unwrap().contains("currentDateTime"));
}
