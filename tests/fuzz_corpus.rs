//! Replays every input the fuzz campaigns kept (`fuzz/corpus/<target>/`) and every crash
//! they found (`fuzz/artifacts/<target>/`) through the same checks the targets run, so
//! that each stays a regression test without cargo-fuzz or a nightly toolchain.
//!
//! The corpus lives in the repository only (the published crate ships neither `fuzz/` nor
//! this file, which needs the unpublished test kit). Where the fuzz workspace is absent
//! (`fuzz/Cargo.toml`), as in a copy of the sources without it, each replay says so and
//! skips; where it is present, as in CI's checkout, a missing or thin corpus fails.

use std::path::{Path, PathBuf};

use origin_policy_testkit::{corpus, fuzz_checks};

/// The fuzz workspace of this checkout.
fn fuzz() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// Runs `check` on every input of `target`, and says which input failed.
fn replay(target: &str, check: fn(&[u8]), minimum_seeds: usize) {
    corpus::replay(&fuzz(), target, check, minimum_seeds);
}

#[test]
fn parse_pattern_corpus() {
    replay("parse_pattern", fuzz_checks::parse_pattern, 200);
}

#[test]
fn check_origin_corpus() {
    replay("check_origin", fuzz_checks::check_origin, 150);
}

#[test]
fn differential_corpus() {
    replay("differential", fuzz_checks::differential, 40);
}

#[test]
fn build_policy_corpus() {
    replay(
        "build_policy",
        |data| {
            fuzz_checks::build_policy(data);
            origin_policy_testkit::shapes::fuzz(data);
        },
        40,
    );
}

/// The worst shapes of the `build_policy` target at a few sizes each, whatever the corpus.
#[test]
fn build_policy_worst_shapes() {
    for which in 0..6u8 {
        for (high, low) in [(0, 0), (0, 1), (1, 0xff), (2, 0x57)] {
            origin_policy_testkit::shapes::fuzz(&[which, high, low]);
            origin_policy_testkit::shapes::fuzz(&[which, high, low, b'h', b't', b't', b'p']);
        }
    }
}

// `request` is replayed by the test kit's own `tests/request_corpus.rs`, with the kit's
// `tower` feature.
