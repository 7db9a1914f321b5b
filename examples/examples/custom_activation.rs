//! Run with `cargo run -p novi-examples --example custom_activation`
//!
//! A downstream activation (`CountryActivation`, from this crate's library, registered with
//! `novi_core::register!`) stored in a database next to the built-ins, and evaluated.
#![allow(clippy::print_stdout)] // an example's output is its point

use anyhow::Context as _;
use novi_client::{ActivationInput, Client, FlagInput, context};

fn main() -> anyhow::Result<()> {
    // Name every crate that registers activations, or the linker drops them.
    novi_activations::link();
    novi_examples::link();

    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let url = format!("sqlite://{}", dir.path().join("novi.db").display());
    let client = Client::builder(&url)?.migrate(true).connect()?;

    let nordics = client.create_activation(&ActivationInput {
        name: "Nordic countries".into(),
        class_name: "CountryActivation".into(),
        config: r#"{"countries": ["NO", "SE", "DK", "FI", "IS"]}"#.into(),
    })?;
    let launch_week = client.create_activation(&ActivationInput {
        name: "Launch week".into(),
        class_name: "DateTimeActivation".into(),
        config:
            r#"{"startDateTime": "2026-12-01", "endDateTime": "2026-12-08", "format": "%Y-%m-%d"}"#
                .into(),
    })?;
    client.create_flag(&FlagInput {
        name: "nordic launch".into(),
        status: true,
        activations: Some(vec![nordics.id, launch_week.id]),
        force: false,
    })?;

    for ctx in [
        context! {"country": "NO", "currentDateTime": "2026-12-03"},
        context! {"country": "fr", "currentDateTime": "2026-12-03"},
        context! {"country": "SE", "currentDateTime": "2026-12-09"},
        context! {"country": 46, "currentDateTime": "2026-12-03"},
    ] {
        let evaluation = client.evaluate("nordic launch", &ctx)?;
        let shown = serde_json::Value::Object(ctx.into_map());
        println!("{shown} -> {} ({})", evaluation.enabled, evaluation.reason);
    }

    // A config the class rejects never reaches the database.
    let err = client
        .create_activation(&ActivationInput {
            name: "typo".into(),
            class_name: "CountryActivation".into(),
            config: r#"{"countries": ["Norway"]}"#.into(),
        })
        .expect_err("Norway is not a two-letter code");
    println!("rejected: {err}");
    Ok(())
}
