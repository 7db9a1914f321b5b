//! Any config for AndActivation, OrActivation, NotActivation, checked with the standard contexts and a fuzzed one.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    novi_fuzz::config_target(&["AndActivation", "OrActivation", "NotActivation"], data);
});
