#![no_main]
//! See `origin_policy_testkit::fuzz_checks::build_policy` for what this target asserts, and
//! `origin_policy_testkit::shapes::fuzz` for the worst list shapes it builds too.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    origin_policy_testkit::fuzz_checks::build_policy(data);
    origin_policy_testkit::shapes::fuzz(data);
});
