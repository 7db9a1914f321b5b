//! Any config for GradualRolloutActivation, flexibleRollout, checked with the standard contexts and a fuzzed one.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    novi_fuzz::config_target(&["GradualRolloutActivation", "flexibleRollout"], data);
});
