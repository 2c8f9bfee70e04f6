//! Test support for `origin-policy`, kept out of the library's public API and dependencies.
//! Not published; the library's integration tests, benches and examples depend on it (as a
//! dev-dependency), and so do the fuzz targets.
//!
//! - [`reference`](mod@reference): the naive reference matcher the compiled index is compared against;
//! - [`csp`]: a naive `frame-ancestors` matcher, which the derived directives are held
//!   against;
//! - [`fuzz_checks`]: what each fuzz target asserts, also replayed ([`corpus`]) by the
//!   library's `tests/fuzz_corpus.rs` and, for `request`, the kit's own
//!   `tests/request_corpus.rs` (feature `tower`);
//! - [`rng`], [`alphabet`], [`text`]: what the generators of rules and origins are made
//!   of (splitmix64 and the choices drawn from it, the label sets, the text of entries and
//!   origins): the seeded differential test, the property tests, the config round trip,
//!   the lint and build-linearity tests, the `differential` fuzz target and the benchmark
//!   [`workload`];
//! - [`shapes`]: the worst list shapes for the index (many rules on one key or one host);
//! - [`policy`], [`builder`] and [`entries`]: a policy from lists of entries.

#![forbid(unsafe_code)]

use origin_policy::{Mode, Policy, PolicyBuilder};

pub mod alphabet;
pub mod corpus;
pub mod csp;
pub mod fuzz_checks;
pub mod reference;
pub mod rng;
pub mod shapes;
pub mod text;
pub mod workload;

/// The policy of `live` and `test` entries, in order, with the default options.
///
/// # Panics
///
/// If an entry is invalid, with the build error.
///
/// ```
/// use origin_policy::Mode;
///
/// let policy = origin_policy_testkit::policy(&["https://*.berbix.com"], &["http://localhost:*"]);
/// assert!(policy.is_allowed(Mode::Test, "http://localhost:3000"));
/// ```
pub fn policy(live: &[&str], test: &[&str]) -> Policy {
    builder(&entries(live, test))
        .build()
        .unwrap_or_else(|err| panic!("invalid entries:\n{err}"))
}

/// The `live` entries and then the `test` entries, each with its mode: what [`builder`]
/// takes.
pub fn entries<'a>(live: &[&'a str], test: &[&'a str]) -> Vec<(Mode, &'a str)> {
    live.iter()
        .map(|&entry| (Mode::Live, entry))
        .chain(test.iter().map(|&entry| (Mode::Test, entry)))
        .collect()
}

/// A builder holding `entries` (mode and text), in order, for options to be set before
/// [`PolicyBuilder::build`].
///
/// ```
/// use origin_policy::Mode;
///
/// let built = origin_policy_testkit::builder(&[(Mode::Live, "https://*.com")])
///     .allow_public_suffix_wildcards(true)
///     .build();
/// assert!(built.is_ok());
/// ```
pub fn builder<S: AsRef<str>>(entries: &[(Mode, S)]) -> PolicyBuilder {
    let mut builder = Policy::builder();
    for (mode, entry) in entries {
        builder.allow(*mode, entry.as_ref());
    }
    builder
}
