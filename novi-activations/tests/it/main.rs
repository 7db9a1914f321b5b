//! Integration tests of the built-in activations, through the registry as `novi-client` uses
//! them.

#![allow(clippy::unwrap_used)] // helpers beside the tests unwrap too

mod composite;
mod date_time;
mod integrity;
#[path = "../common/invariants.rs"]
mod invariants;
mod properties;
mod registry;
mod targeting;
mod unleash;
mod weighted_random;

use std::sync::Arc;

use novi_core::{Activation, ActivationId, ActivationSet, ActivationSpec, BuildError};

/// Builds `(id, class_name, config)` rows through the registry.
fn build(rows: &[(i32, &str, &str)]) -> ActivationSet {
    novi_activations::link();
    ActivationSet::build(rows.iter().map(|&(id, class_name, config)| ActivationSpec {
        id: ActivationId(id),
        name: "test",
        class_name,
        config,
    }))
}

/// Builds one activation of `class_name` from `config`.
fn build_one(class_name: &str, config: &str) -> Result<Arc<dyn Activation>, Arc<BuildError>> {
    let set = build(&[(1, class_name, config)]);
    match set.get(ActivationId(1)) {
        Some(Ok(activation)) => Ok(Arc::clone(activation)),
        Some(Err(err)) => Err(Arc::clone(err)),
        None => unreachable!("row 1 was given"),
    }
}

/// The build error for `config`, as text.
#[track_caller]
fn config_error(class_name: &str, config: &str) -> String {
    match build_one(class_name, config) {
        Err(err) => err.to_string(),
        Ok(activation) => panic!("{config} built {activation:?}"),
    }
}
