//! Test support for `origin-policy`, kept out of the library's public API and dependencies.
//! Not published; the library's integration tests, benches, examples and the fuzz targets
//! depend on it.
//!
//! - [`reference`]: the naive reference matcher the compiled index is compared against;
//! - [`fuzz_checks`]: what each fuzz target asserts, also replayed by `tests/fuzz_corpus.rs`.

#![forbid(unsafe_code)]

pub mod fuzz_checks;
pub mod reference;
