#![no_main]
//! See `origin_policy_server::fuzzing::grpc_check` for what this target asserts.

libfuzzer_sys::fuzz_target!(|data: &[u8]| origin_policy_server::fuzzing::grpc_check(data));
