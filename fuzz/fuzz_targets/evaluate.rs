//! Every built-in class, each with valid configs, decided with an arbitrary context.
#![no_main]

use std::sync::{Arc, LazyLock};

use novi_core::Activation;
use novi_fuzz::{FuzzKey, FuzzValue, context, invariants};

static VALID: LazyLock<Vec<(Arc<dyn Activation>, bool)>> = LazyLock::new(invariants::build_valid);

libfuzzer_sys::fuzz_target!(|pairs: Vec<(FuzzKey, FuzzValue)>| {
    invariants::check_valid_with(&VALID, &context(pairs));
});
