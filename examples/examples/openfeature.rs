//! Run with `cargo run -p novi-examples --example openfeature`
//!
//! Novi through OpenFeature's Rust SDK: `novi_openfeature::NoviProvider` is set as the
//! provider of `open_feature::OpenFeature`, and the application asks OpenFeature's client for
//! typed values. The flags are Python Novi's samples (in a SQLite database in a temporary
//! folder) plus one flag whose variant carries a string payload. It prints:
//!
//! ```text
//! Random Variant Feature: true (variant A, Split)
//! Combo AND: false (variant off, Default)
//! checkout-button: green (variant green, Split)
//! missing: FLAG_NOT_FOUND, so the default: false
//! ```
#![allow(clippy::print_stdout)] // an example's output is its point

use anyhow::Context as _;
use novi_client::Client;
use novi_openfeature::NoviProvider;
use open_feature::{EvaluationContext, OpenFeature};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    novi_activations::link();
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let url = format!("sqlite://{}", dir.path().join("novi.db").display());
    let novi = Client::builder(&url)?.migrate(true).connect()?;
    novi.seed_if_empty(novi_client::SAMPLE_DATA)?;
    let button = novi.create_activation(&novi_client::ActivationInput {
        name: "button colour".into(),
        class_name: "VariantActivation".into(),
        config: r#"{"variants": [{"name": "green", "weight": 1, "payload": {"type": "string", "value": "green"}}]}"#.into(),
    })?;
    novi.create_flag(&novi_client::FlagInput {
        name: "checkout-button".into(),
        status: true,
        activations: Some(vec![button.id]),
        force: false,
    })?;

    OpenFeature::singleton_mut()
        .await
        .set_provider(NoviProvider::new(novi))
        .await;
    let client = OpenFeature::singleton().await.create_client();
    let user = EvaluationContext::default()
        .with_targeting_key("user-7")
        .with_custom_field("seed", 333)
        .with_custom_field("variant", "A");

    for flag in ["Random Variant Feature", "Combo AND"] {
        let details = client
            .get_bool_details(flag, Some(&user), None)
            .await
            .map_err(|err| anyhow::anyhow!("{flag}: {err:?}"))?;
        println!(
            "{flag}: {} (variant {}, {:?})",
            details.value,
            details.variant.unwrap_or_default(),
            details.reason.context("a reason")?
        );
    }
    let colour = client
        .get_string_details("checkout-button", Some(&user), None)
        .await
        .map_err(|err| anyhow::anyhow!("checkout-button: {err:?}"))?;
    println!(
        "checkout-button: {} (variant {}, {:?})",
        colour.value,
        colour.variant.unwrap_or_default(),
        colour.reason.context("a reason")?
    );
    let default = false;
    match client.get_bool_value("missing", Some(&user), None).await {
        Ok(value) => println!("missing: {value}"),
        Err(err) => println!("missing: {}, so the default: {default}", err.code),
    }
    Ok(())
}
