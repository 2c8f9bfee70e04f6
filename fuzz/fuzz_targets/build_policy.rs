#![no_main]
//! See `origin_policy_testkit::fuzz_checks::build_policy` for what this target asserts.

libfuzzer_sys::fuzz_target!(|data: &[u8]| origin_policy_testkit::fuzz_checks::build_policy(data));
