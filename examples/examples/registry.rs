//! Run with `cargo run -p novi-examples --example registry`
//!
//! Lists every activation class linked into this binary: the built-ins from
//! `novi-activations` and the downstream `CountryActivation` from this crate's library. Remove
//! either `link()` call and its classes disappear from the list: that is the linking pitfall
//! the `novi-core` docs describe.

#![allow(clippy::print_stdout)] // an example's output is its point

use novi_core::{ActivationId, ActivationSet, ActivationSpec, context, registry};

fn main() -> anyhow::Result<()> {
    novi_activations::link();
    novi_examples::link();

    println!("registered activation classes:");
    for name in registry::names() {
        println!("  {name}");
    }

    let set = ActivationSet::build([
        ActivationSpec {
            id: ActivationId(1),
            name: "Nordics",
            class_name: "CountryActivation",
            config: r#"{"countries": ["NO", "SE", "DK", "FI", "IS"]}"#,
        },
        ActivationSpec {
            id: ActivationId(2),
            name: "Nordic launch week",
            class_name: "AndActivation",
            config: "[1, 3]",
        },
        ActivationSpec {
            id: ActivationId(3),
            name: "Launch week",
            class_name: "DateTimeActivation",
            config: r#"{"startDateTime": "2026-12-01", "endDateTime": "2026-12-08", "format": "%Y-%m-%d"}"#,
        },
    ]);
    let launch = match set.get(ActivationId(2)) {
        Some(Ok(activation)) => activation,
        Some(Err(err)) => anyhow::bail!("activation 2 failed to build: {err}"),
        None => anyhow::bail!("activation 2 is missing"),
    };
    for ctx in [
        context! {"country": "NO", "currentDateTime": "2026-12-03"},
        context! {"country": "FR", "currentDateTime": "2026-12-03"},
        context! {"country": "SE", "currentDateTime": "2026-12-09"},
    ] {
        let shown = serde_json::Value::Object(ctx.as_map().clone());
        println!("{shown} -> {}", launch.evaluate(&ctx));
    }
    Ok(())
}
