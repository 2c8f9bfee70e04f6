//! Decide whether a web origin may use a service: validated allow-lists of domain patterns
//! per mode (live or test), compiled once and checked in nanoseconds without allocating.
//!
//! Two types do the work: a [`Policy`] holds the compiled lists of both modes (built with
//! [`Policy::builder`], which validates every entry and reports all bad ones at once), and
//! [`Policy::check`] answers an `Origin` header value with a [`Decision`]: the rule that
//! allowed it, or why it was denied. Entries follow the syntax below.
//!
//! # Pattern syntax
//!
//! An entry is `scheme://host[:port]`, optionally followed by one `/`:
//!
//! | part | accepted | canonical form |
//! |---|---|---|
//! | scheme | `https`, `http` (any case); live mode is `https` only | lowercase |
//! | host | a domain name, Unicode or punycode | lowercase punycode, no trailing dot |
//! | | `*.` + a domain: one or more labels in front of it, never the domain itself | `*.base` |
//! | | one `*` inside the leftmost label, with literal label characters (`pr-*.base`, `*-staging.base`, `app-*-eu.base`): one or more label characters within that one label | `prefix*suffix.base` |
//! | | dotted-decimal IPv4, bracketed IPv6 | as a browser prints it |
//! | port | `1`–`65535`, or `*` for any port; none means the scheme's default | omitted when default |
//!
//! ```
//! use origin_policy::{DenyReason, Mode, Policy};
//!
//! let policy = Policy::builder()
//!     .allow(Mode::Live, "https://*.berbix.com")
//!     .allow(Mode::Test, "http://localhost:*")
//!     .build()?;
//!
//! assert!(policy.is_allowed(Mode::Live, "https://one.two.three.berbix.com"));
//! assert_eq!(
//!     policy.check(Mode::Live, "https://berbix.com.evil.net").deny_reason(),
//!     Some(DenyReason::NoMatchingRule),
//! );
//! # Ok::<(), origin_policy::BuildError>(())
//! ```
//!
//! A wildcard over a public suffix (`*.com`, `*.co.uk`, `*.github.io`) is an error unless
//! [`PolicyBuilder::allow_public_suffix_wildcards`] says otherwise, and a wildcard never
//! matches a host under a deeper public suffix: `*.amazonaws.com` allows
//! `www.amazonaws.com` but not `bucket.s3.amazonaws.com`, which belongs to whoever created
//! the bucket ([`DenyReason::PublicSuffixBoundary`]). Loopback hosts (`localhost`,
//! `*.localhost`, `127.0.0.0/8`, `[::1]`), the other addresses of the local machine
//! (`0.0.0.0/8`, `[::]`, [`Host::is_local_address`]) and `http` serve test mode only.
//! The full rules, with examples that the test suite executes, are in [`spec-table.md`].
//!
//! # Label wildcards
//!
//! `https://pr-*.preview.example.com` allows `https://pr-1.preview.example.com` and
//! `https://pr-abc-9.preview.example.com`, but not `pr-.preview.example.com` (the `*` stands
//! for at least one character), `pr-1.x.preview.example.com` or `x.pr-1.preview.example.com`
//! (never a dot: the host has exactly one label more than the base), nor the base itself.
//! The leftmost label holds exactly one `*`; a second one, or a `*` in another label, is
//! [`PatternErrorKind::MisplacedWildcard`], and one in front of an IP address
//! [`PatternErrorKind::WildcardOnIp`]. The base must not be a public suffix
//! (`app-*.com` and `*--x.netlify.app` are [`PatternErrorKind::PublicSuffixWildcard`]), with
//! the same opt-out as `*.` wildcards and the same test-mode exception for `localhost`
//! (`http://dev-*.localhost:*`).
//!
//! When several rules allow an origin, the most specific wins: an exact host, then the
//! wildcard with the longer base, and on the same base a label wildcard before `*.base`;
//! between label wildcards the one with more literal characters; then an exact port over
//! `*`; then the lower index. ([`spec-table.md`], section 4, states the order and shows it.)
//!
//! A check with label wildcards stays allocation-free, without recursion, and bounded by
//! the origin's leftmost label (at most 63 bytes); building them is linear in the bytes of
//! the entries. How (the prefix and suffix tries, and their bounds) is told where they are
//! built, in [`src/index/label_wildcard.rs`].

//! # Errors
//!
//! [`PolicyBuilder::build`] validates every entry and reports all bad ones at once, each
//! with its mode, index, [`PatternErrorKind`] and a span:
//!
//! ```
//! use origin_policy::{Mode, PatternErrorKind, Policy};
//!
//! let err = Policy::builder()
//!     .allow(Mode::Live, "https://www.*.com")
//!     .allow(Mode::Live, "https://ok.example.com")
//!     .allow(Mode::Live, "http://localhost:3000")
//!     .build()
//!     .unwrap_err();
//! let kinds: Vec<_> = err.entries().iter().map(|e| (e.index, e.error.kind())).collect();
//! assert_eq!(
//!     kinds,
//!     [(0, PatternErrorKind::MisplacedWildcard), (2, PatternErrorKind::HttpInLive)],
//! );
//! println!("{err}");
//! ```
//!
//! # Policy files
//!
//! With the `serde` feature, a policy reads from and writes to any serde format. The file
//! has a list per mode and an optional `[options]` table; an entry is a pattern, or a table
//! with a `pattern` and a `note` that decisions carry ([`Rule::note`]):
//!
//! ```toml
//! live = ["https://www.berbix.com", "https://*.berbix.com"]
//! test = ["http://localhost:*", { pattern = "https://staging.berbix.com", note = "staging site" }]
//!
//! [options]
//! implicit_test_loopback = true
//! allow_public_suffix_wildcards = false
//! ```
//!
//! Unknown keys are errors. Reading it as a `Policy` builds it and fails with every bad
//! entry at once (`live[1]: HttpInLive: ...`, with `^^^` under the fault); writing a `Policy`
//! gives each rule's canonical text, so a round trip yields an equal policy.
#![cfg_attr(
    feature = "serde",
    doc = "The types are [`PolicyConfig`] and [`EntryConfig`]; see [`Policy::to_config`]."
)]
//!
//! With the `policy-file` feature, `origin_policy::policy_file` reads a file's TOML or JSON
//! text into a `Policy` and, when it cannot, reports each error located in the text
//! (`policy.toml:12:3: live[1]: HttpInLive: ...`, the `^^^` span, a hint), the messages the
//! CLI prints; `store::PolicyStore::insert_file` swaps such a file in for a tenant.
#![cfg_attr(
    feature = "policy-file",
    doc = "See [`policy_file::parse`] and [`policy_file::PolicyFileError`]."
)]
//!
//! # Diagnostics and validation
//!
//! Every entry error and lint warning is also a [`diagnostic::Diagnostic`]: a stable
//! snake_case code (listed in [`spec-table.md`]), the message, mode, index, entry, span, a
//! hint, and a suggestion (the corrected entry, only when it is itself valid). With the
//! `serde` feature it serializes as a JSON object. [`validate::validate_entry`] checks one
//! typed entry against a policy's list, as an "Add Domain" form does: its errors, or its
//! canonical form and the warnings adding it would cause, in time linear in the list.
//!
//! # Features
//!
//! | feature | default | gives |
//! |---|---|---|
//! | `serde` | off | `Serialize` and `Deserialize` for `Policy` and `PolicyOptions`; `PolicyConfig` and `EntryConfig`, the policy-file format |
//! | `policy-file` | off | `policy_file`: a policy file's TOML or JSON text into a `Policy`, with errors located in the text (line, column, `^^^`) and hinted, as the CLI prints them (implies `serde`) |
//! | `store` | off | `store`: `PolicyStore`, tenant key → policy, lock-free reads and atomic swaps |
//! | `tower` | off | `middleware`: `OriginPolicyLayer`, the 403 gate for tower services (implies `store`) |
//!
//! # Middleware
//!
//! With the `tower` feature, `origin_policy::middleware::OriginPolicyLayer` puts a policy
//! in front of any tower service (axum, hyper, tonic): a request whose `Origin` is not
//! allowed for its tenant and mode gets `403 Forbidden`, any other goes to the inner
//! service unchanged. The mode is fixed or read from the request (`Mode::from_api_secret`
//! on the key in `Authorization`), the policy is one `Policy` or a tenant's entry in a
//! `store::PolicyStore` (feature `store`, implied by `tower`), which swaps policies atomically
//! while requests run. The layer's docs describe the 403 body, the denial hook and how it
//! composes with tower-http's `CorsLayer` (`Policy::cors_predicate`); [`examples/gateway.rs`]
//! is a runnable gateway.
#![cfg_attr(
    feature = "tower",
    doc = "The module is [`middleware`]; the layer, [`middleware::OriginPolicyLayer`]."
)]
//!
//! # Input safety
//!
//! [`Policy::check`] takes any string. Nothing panics; whatever is not exactly one `http`
//! or `https` origin is denied with [`DenyReason::Malformed`] and the reason. Hosts are read
//! the way a browser reads them (WHATWG host parsing via the `url` crate), so `http://127.1`
//! is `http://127.0.0.1` and `https://BÜCHER.example` is `https://xn--bcher-kva.example`.
//! Matching is by whole labels only, so `barfoo.com` never matches a rule for `foo.com`,
//! and `berbix.com.evil.net` never matches one for `*.berbix.com`; a label wildcard
//! (`pr-*.berbix.com`) matches characters inside its own leftmost label and nowhere else.
//!
//! Limits, and what a call costs:
//!
//! | input | limit | beyond it | cost within it |
//! |---|---|---|---|
//! | origin | [`MAX_ORIGIN_LEN`](origin::MAX_ORIGIN_LEN) = 2048 bytes | denied as [`OriginErrorKind::TooLong`], unread | one pass over the bytes, then at most one hash probe per label (a valid name has at most 127 labels of at most 253 bytes in all) |
//! | entry | [`MAX_PATTERN_LEN`](pattern::MAX_PATTERN_LEN) = 2048 bytes | refused as [`PatternErrorKind::TooLong`], unread | linear in its length, plus one Public Suffix List lookup for a wildcard |
//! | domain name | 253 bytes, labels of 1–63 | malformed origin, invalid entry | |
//! | rules | 67,108,863 (2^26 - 1) in both modes together | each entry past it refused as [`PatternErrorKind::TooManyRules`] | build is linear in the bytes of the entries, label wildcards included (the ports of one key are sorted); a check does the same work on any list shape: at most one probe per label, 17 ports compared per key |
//!
//! A canonical ASCII origin (what browsers send) is checked without allocating and without
//! recursion. Other spellings (uppercase, Unicode, IPv4 shorthand, IPv6) take the WHATWG
//! path, which allocates a few small strings. No code path recurses, so the stack does not
//! grow with the input. The fuzz targets in [`fuzz/`] check these properties continuously,
//! and [`tests/input_safety.rs`] runs the worst inputs under the limits on a 64 KiB stack.
//!
//! [`spec-table.md`]: https://github.com/origin-policy/origin-policy/blob/main/spec-table.md
//! [`src/index/label_wildcard.rs`]: https://github.com/origin-policy/origin-policy/blob/main/src/index/label_wildcard.rs
//! [`examples/gateway.rs`]: https://github.com/origin-policy/origin-policy/blob/main/examples/gateway.rs
//! [`fuzz/`]: https://github.com/origin-policy/origin-policy/tree/main/fuzz
//! [`tests/input_safety.rs`]: https://github.com/origin-policy/origin-policy/blob/main/tests/input_safety.rs

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// docs.rs (and `RUSTDOCFLAGS="--cfg docsrs" cargo +nightly doc`): each feature-gated item
// shows the feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[macro_use]
mod kinds;

#[cfg(feature = "serde")]
mod config;
pub mod diagnostic;
pub mod echo;
mod error;
mod frame_ancestors;
pub mod host;
mod index;
mod lint;
pub mod mode;
mod options;
pub mod origin;
pub mod pattern;
mod policy;
#[cfg(feature = "policy-file")]
pub mod policy_file;
mod port;
pub mod public_suffix;
mod rule;
mod scheme;
pub mod validate;

#[cfg(feature = "store")]
pub mod store;

#[cfg(feature = "tower")]
pub mod middleware;

#[cfg(feature = "serde")]
pub use config::{EntryConfig, PolicyConfig};
pub use error::{BuildError, EntryError, PatternError, PatternErrorKind, Span};
pub use frame_ancestors::{ClosedReason, FrameAncestors, LeftOut, LeftOutReason};
pub use host::Host;
pub use lint::{Warning, WarningKind};
pub use mode::Mode;
pub use options::{ModeSet, PolicyOptions};
pub use origin::{Origin, OriginErrorKind};
pub use policy::{Decision, DenyReason, Malformed, Policy, PolicyBuilder};
pub use rule::Rule;
pub use scheme::Scheme;

/// The README's examples, run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The policy guide's examples (`docs/policy.md`), run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/policy.md")]
pub struct PolicyGuideDoctests;

/// The embedding guide's examples (`docs/embedding.md`), run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../docs/embedding.md")]
pub struct EmbeddingGuideDoctests;
