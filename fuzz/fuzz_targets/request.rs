#![no_main]
//! See `origin_policy_testkit::fuzz_checks::request` for what this target asserts.

libfuzzer_sys::fuzz_target!(|data: &[u8]| origin_policy_testkit::fuzz_checks::request(data));
