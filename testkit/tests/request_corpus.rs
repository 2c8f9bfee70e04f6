//! Replays the `request` fuzz target's corpus and crashes through
//! [`fuzz_checks::request`]: whole requests through `OriginPolicyLayer`. It needs the kit's
//! `tower` feature (which turns on the library's), so it lives here rather than in the
//! library's `tests/fuzz_corpus.rs`: the library's own `tower` feature reaches into no
//! dev-dependency. `cargo test --workspace --all-features` runs it.
#![cfg(feature = "tower")]

use std::path::Path;

use origin_policy_testkit::{corpus, fuzz_checks};

#[test]
fn request_corpus() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    corpus::replay(&fuzz, "request", fuzz_checks::request, 30);
}
