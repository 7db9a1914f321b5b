//! Any config for WeightedRandomActivation, checked with the standard contexts and a fuzzed one.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    novi_fuzz::config_target(&["WeightedRandomActivation"], data);
});
