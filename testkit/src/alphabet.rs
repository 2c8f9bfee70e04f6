//! The label sets the generators draw from, side by side.
//!
//! Each generator keeps its own alphabet, on purpose: what it draws is recorded elsewhere.
//! The differential test's seed fixes a sequence of rule sets whose mix it asserts, the fuzz
//! corpora are byte strings that `arbitrary` decodes into indices into these lists, and the
//! benchmark numbers in `BENCHMARKS.md` were measured on the workloads of these lists.
//! Changing a list changes what those mean, so a new generator should start from one of
//! them rather than edit it.
//!
//! All of them share labels with each other within one list (`foo`, `barfoo`, `berbix`,
//! `evilberbix`), so that hosts share suffixes and prefixes and near misses are common.

/// `tests/differential.rs`, the seeded differential test.
pub mod differential {
    /// Labels that share prefixes and suffixes with each other, and a few odd but valid ones.
    pub const LABELS: &[&str] = &[
        "foo",
        "bar",
        "barfoo",
        "foobar",
        "berbix",
        "evilberbix",
        "berbixevil",
        "evil",
        "www",
        "api",
        "app",
        "a",
        "b",
        "x-y",
        "a_b",
        "7",
        "xn--bcher-kva",
        "com",
        "localhost",
    ];

    /// Suffixes under which `label.suffix` is registrable (so `*.label.suffix` builds).
    pub const SUFFIXES: &[&str] = &["com", "net", "co.uk", "github.io", "example", "io"];

    /// Public suffixes: a wildcard over one of these builds only with the opt-out.
    pub const PUBLIC_SUFFIXES: &[&str] =
        &["com", "net", "co.uk", "uk", "github.io", "io", "example"];

    /// Ports of entries and origins.
    pub const PORTS: &[u16] = &[1, 80, 443, 3000, 8080, 8443, 65535];

    /// Literal parts of label wildcards: they share characters with each other and with
    /// [`LABELS`], so that patterns overlap and near-miss.
    pub const LABEL_PARTS: &[&str] = &[
        "", "", "pr-", "a", "b-", "-eu", "-staging", "app-", "x", "_", "1",
    ];

    /// What a label wildcard's `*` stands for in generated origins.
    pub const LABEL_MIDDLES: &[&str] = &["1", "abc", "x-9", "_", "pr-", "-", "staging", "a.b"];
}

/// `tests/properties.rs`, the proptest properties.
pub mod properties {
    /// Labels that share prefixes and suffixes with each other, and a few odd but valid ones.
    pub const LABELS: &[&str] = &[
        "foo",
        "bar",
        "barfoo",
        "berbix",
        "evilberbix",
        "www",
        "a",
        "a_b",
        "x-y",
        "7",
        "com",
        "localhost",
    ];

    /// Unicode labels and their punycode, as the WHATWG host parser maps them (checked by
    /// `idn_table_matches_the_host_parser`). The Unicode forms survive `to_uppercase` and
    /// back.
    pub const IDN: &[(&str, &str)] = &[
        ("bücher", "xn--bcher-kva"),
        ("münchen", "xn--mnchen-3ya"),
        ("ünï", "xn--n-nga1b"),
        ("日本", "xn--wgv71a"),
        ("пример", "xn--e1afmkfd"),
        ("ñandú", "xn--and-6ma2c"),
    ];

    /// Suffixes under which `label.suffix` is registrable.
    pub const SUFFIXES: &[&str] = &["com", "co.uk", "io", "github.io"];

    /// Public suffixes: a wildcard over one builds only with the opt-out.
    pub const PUBLIC_SUFFIXES: &[&str] = &["com", "co.uk", "uk", "io", "github.io"];

    /// Ports of entries and origins.
    pub const PORTS: &[u16] = &[1, 80, 443, 3000, 8443, 65535];

    /// Literal parts of label wildcards.
    pub const LABEL_PARTS: &[&str] = &["", "", "bar", "foo", "x-", "-eu", "_", "1"];

    /// A smaller alphabet than [`LABELS`], for the big rule sets compared with the
    /// reference matcher, so that their rules share labels and suffixes: `foo.com`,
    /// `barfoo.com`, `*.foo.com`, `www.foo.co.uk`, `*.uk`, ...
    pub const DIFF_LABELS: &[&str] = &[
        "foo",
        "bar",
        "barfoo",
        "berbix",
        "evilberbix",
        "www",
        "a",
        "xn--bcher-kva",
    ];

    /// The suffixes of [`DIFF_LABELS`] names.
    pub const DIFF_SUFFIXES: &[&str] = &["com", "co.uk", "uk"];
}

/// `tests/config.rs`, the round trip of generated policies through JSON and TOML.
pub mod config {
    /// Labels, Unicode ones among them (the formats must keep them whole).
    pub const LABELS: &[&str] = &[
        "www", "berbix", "foo", "a-b", "x_y", "7", "bücher", "日本", "app",
    ];

    /// Suffixes under which `label.suffix` is registrable.
    pub const SUFFIXES: &[&str] = &["com", "co.uk", "io", "github.io", "example"];

    /// Public suffixes: a wildcard over one builds only with the opt-out.
    pub const PUBLIC_SUFFIXES: &[&str] = &["com", "co.uk", "github.io", "io"];
}

/// The `differential` fuzz target (`fuzz_checks::differential`): `arbitrary` decodes its
/// input into indices into these lists.
pub mod fuzz {
    /// Labels that rules and origins share, so that hosts collide and near-miss often.
    pub const LABELS: &[&str] = &[
        "com",
        "foo",
        "bar",
        "barfoo",
        "berbix",
        "www",
        "a",
        "b",
        "co",
        "uk",
        "evil",
        "net",
        "xn--bcher-kva",
        "a_b",
        "b-c",
        "localhost",
        "1",
        "0x7f",
        "amazonaws",
        "s3",
        "github",
        "io",
    ];

    /// Ports of entries and origins.
    pub const PORTS: &[u16] = &[80, 443, 3000, 8080, 8443, 9999, 65535];

    /// Literal parts of label wildcards, substrings of [`LABELS`] so that origins fit them.
    pub const LABEL_PARTS: &[&str] = &["", "b", "bar", "foo", "-c", "a_", "w", "ww", "1", "xn--"];

    /// What stands for a label wildcard's `*` in origins made to fit one (`""` is a near
    /// miss).
    pub const LABEL_MIDDLES: &[&str] = &["", "1", "a", "bar", "-", "_", "x.y", "foo-b"];
}

/// [`crate::workload`], the benchmark workloads: random labels
/// ([`LabelShape::WORDS`](crate::text::LabelShape::WORDS)) under these top-level domains.
pub mod workload {
    /// The last label of every generated host.
    pub const TLDS: &[&str] = &["com", "net", "org", "io", "dev"];
}
