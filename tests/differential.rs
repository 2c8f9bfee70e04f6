//! Differential test: the compiled index and the allocation-free origin parser against the
//! naive reference matcher and the WHATWG-only parser, over many generated rule sets.
//!
//! Rule sets are drawn from a small alphabet of labels, so that hosts share suffixes and
//! prefixes (`foo.com`, `bar.com`, `barfoo.com`, `berbix.com`, `evilberbix.com`, ...).
//! Origins are drawn from the rules' own hosts: exact hits, subdomains, a wildcard's apex,
//! other ports and schemes, other spellings, near misses and mutated garbage. Every origin
//! is checked in both modes with [`Policy::check`] and [`reference::check`], and parsed
//! with [`Origin::parse`] (fast path first) and [`reference::parse_origin`].
//!
//! Hand-picked cases are rows of `spec-table.md` (sections 3 and 4), which
//! `tests/spec_table/` also checks against the reference.
//!
//! The generator draws from the test kit's seeded splitmix64 (`origin_policy_testkit::rng`)
//! over this test's label set (`alphabet::differential`), so a failure is reproducible. To
//! run longer or with another seed:
//!
//! ```text
//! ORIGIN_POLICY_DIFF_SETS=20000 ORIGIN_POLICY_DIFF_SEED=7 \
//!     cargo test --release --all-features --test differential -- --nocapture
//! ```

use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::Instant;

use origin_policy::pattern::{HostPattern, PortSpec};
use origin_policy::{Decision, DenyReason, Mode, Origin, Policy, Rule, Scheme};
use origin_policy_testkit::alphabet::differential::{
    LABELS, LABEL_MIDDLES, LABEL_PARTS, PORTS, PUBLIC_SUFFIXES, SUFFIXES,
};
use origin_policy_testkit::rng::{Choices, SplitMix64};
use origin_policy_testkit::text::{self, PortText};
use origin_policy_testkit::{self as testkit, reference};

// ---------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------

/// IP hosts a live rule may name (not loopback).
const PUBLIC_IPS: &[&str] = &[
    "10.0.0.1",
    "192.168.1.2",
    "1.2.3.4",
    "1.0.0.0",
    "[2001:db8::1]",
    "[::ffff:102:304]",
    "[::102:304]",
];

/// Addresses of the local machine other than loopback: test mode only, and not loopback.
const LOCAL_ADDRESSES: &[&str] = &["0.0.0.0", "0.1.2.3", "[::]", "[::ffff:0:0]", "[::7f00:1]"];

/// Registrable names with public suffixes of the List's private section below them, and
/// those suffixes: a wildcard over the first must never allow a host under the second.
const PLATFORM_BASES: &[&str] = &["amazonaws.com", "fastly.net", "core.windows.net"];
const PLATFORM_SUFFIXES: &[&str] = &[
    "s3.amazonaws.com",
    "s3-us-west-2.amazonaws.com",
    "freetls.fastly.net",
    "blob.core.windows.net",
];

/// Loopback hosts: test mode only.
const LOOPBACK_HOSTS: &[&str] = &[
    "localhost",
    "*.localhost",
    "app.localhost",
    "*.app.localhost",
    "127.0.0.1",
    "127.0.0.2",
    "[::1]",
    "[::ffff:127.0.0.1]",
];

/// Hosts of the classic confusions, as rules.
const ADVERSARIAL_HOSTS: &[&str] = &[
    "foo.com",
    "bar.com",
    "*.berbix.com",
    "berbix.com",
    "www.berbix.com",
    "*.foo.com",
    "*.com.evil.net",
];

/// Origins checked against every rule set.
const ADVERSARIAL_ORIGINS: &[&str] = &[
    "https://barfoo.com",
    "https://foobar.com",
    "https://foo.com",
    "https://bar.com",
    "https://berbix.com",
    "https://www.berbix.com",
    "https://a.b.c.berbix.com",
    "https://berbix.com.evil.net",
    "https://www.berbix.com.evil.net",
    "https://evilberbix.com",
    "https://www.evilberbix.com",
    "https://berbixevil.com",
    "https://berbix.co",
    "https://berbix.comx",
    "https://com",
    "https://localhost",
    "http://localhost",
    "http://localhost:3000",
    "http://app.localhost:5173",
    "http://localhost.com",
    "http://evillocalhost",
    "http://127.0.0.1",
    "http://127.1",
    "http://[::1]:8080",
    "http://[::ffff:127.0.0.1]",
    "https://xn--bcher-kva.example",
    "https://bücher.example",
    "null",
    "",
    "https://*.berbix.com",
    "https://foo.com, https://bar.com",
];

/// Characters that garbage mutations insert.
const GARBAGE_CHARS: &[char] = &[
    '.', '.', ':', ':', '/', '-', '_', '[', ']', '%', '@', '?', '#', '*', ',', ' ', '\t', '\\',
    'A', 'Z', 'x', 'n', '0', '1', '9', 'ü', 'ß', '。', '\u{ad}', '\u{200d}', 'ｆ',
];

/// Entries that never build, mixed into a few sets.
const INVALID_ENTRIES: &[(Mode, &str)] = &[
    (Mode::Live, "http://foo.com"),
    (Mode::Live, "https://localhost:3000"),
    (Mode::Live, "https://127.0.0.1"),
    (Mode::Live, "https://*.foo.*.com"),
    (Mode::Test, "https://*.1.2.3.4"),
    (Mode::Test, "https://foo.com:0"),
    (Mode::Test, "ftp://foo.com"),
    (Mode::Live, "https://foo.com/path"),
    (Mode::Test, "https://*"),
];

/// One rule before it is written down: a duplicate re-writes the same spec differently.
#[derive(Clone, Debug)]
struct Spec {
    mode: Mode,
    scheme: Scheme,
    /// Canonical ASCII host, `*.base`, IPv4 or bracketed IPv6.
    host: String,
    port: PortText,
}

fn other_scheme(scheme: Scheme) -> Scheme {
    match scheme {
        Scheme::Http => Scheme::Https,
        Scheme::Https => Scheme::Http,
    }
}

fn random_labels(rng: &mut SplitMix64, count: usize) -> String {
    text::picked_labels(rng, LABELS, count)
}

/// The `prefix` and `suffix` of a label wildcard, never both empty.
fn label_wildcard_parts(rng: &mut SplitMix64) -> (&'static str, &'static str) {
    loop {
        if let Some(parts) = text::label_wildcard_parts(rng, LABEL_PARTS) {
            return parts;
        }
    }
}

fn registrable_base(rng: &mut SplitMix64) -> String {
    let label = rng.pick(LABELS);
    text::domain(&[label], rng.pick(SUFFIXES))
}

fn gen_spec(rng: &mut SplitMix64, mode: Mode, public_suffix_opt_out: bool) -> Spec {
    let scheme = match mode {
        Mode::Live => Scheme::Https,
        Mode::Test if rng.percent(50) => Scheme::Http,
        Mode::Test => Scheme::Https,
    };
    let host = match rng.below(14) {
        0..=3 => {
            let extra = rng.between(0, 2);
            let base = if public_suffix_opt_out && rng.percent(10) {
                rng.pick(PUBLIC_SUFFIXES).to_owned()
            } else {
                registrable_base(rng)
            };
            if extra == 0 {
                base
            } else {
                format!("{}.{base}", random_labels(rng, extra))
            }
        }
        4..=6 => {
            if public_suffix_opt_out && rng.percent(30) {
                format!("*.{}", rng.pick(PUBLIC_SUFFIXES))
            } else if rng.percent(20) {
                format!("*.{}", rng.pick(PLATFORM_BASES))
            } else if rng.percent(30) {
                format!("*.{}.{}", rng.pick(LABELS), registrable_base(rng))
            } else {
                format!("*.{}", registrable_base(rng))
            }
        }
        7 => rng.pick(PUBLIC_IPS).to_owned(),
        11..=13 => {
            let (prefix, suffix) = label_wildcard_parts(rng);
            let base = match rng.below(10) {
                0 if public_suffix_opt_out => rng.pick(PUBLIC_SUFFIXES).to_owned(),
                1 if mode == Mode::Test => "localhost".to_owned(),
                2 | 3 => format!("{}.{}", rng.pick(LABELS), registrable_base(rng)),
                4 => rng.pick(PLATFORM_BASES).to_owned(),
                _ => registrable_base(rng),
            };
            format!("{prefix}*{suffix}.{base}")
        }
        8 if mode == Mode::Test && rng.percent(30) => rng.pick(LOCAL_ADDRESSES).to_owned(),
        8 if mode == Mode::Test => rng.pick(LOOPBACK_HOSTS).to_owned(),
        8 if rng.percent(30) => format!("{}.{}", rng.pick(LABELS), rng.pick(PLATFORM_SUFFIXES)),
        8 => registrable_base(rng),
        _ => rng.pick(ADVERSARIAL_HOSTS).to_owned(),
    };
    let port = match rng.below(9) {
        0..=2 => PortText::Omitted,
        3 => PortText::DefaultWritten,
        4 => PortText::Exact(other_scheme(scheme).default_port()),
        5 | 6 => PortText::Exact(rng.pick(PORTS)),
        _ => PortText::Any,
    };
    Spec {
        mode,
        scheme,
        host,
        port,
    }
}

/// Writes a spec as an entry, in one of the spellings that mean the same rule.
fn render(rng: &mut SplitMix64, spec: &Spec) -> String {
    let scheme = match rng.below(10) {
        0 => spec.scheme.as_str().to_ascii_uppercase(),
        1 if spec.scheme == Scheme::Https => "Https".to_owned(),
        _ => spec.scheme.as_str().to_owned(),
    };
    let is_ipv6 = spec.host.starts_with('[');
    let host = match rng.below(10) {
        0 => spec.host.to_ascii_uppercase(),
        1 if !is_ipv6 => format!("{}.", spec.host),
        2 | 3 if spec.host.contains("xn--bcher-kva") => {
            spec.host.replace("xn--bcher-kva", "bücher")
        }
        4 if spec.host.contains("xn--bcher-kva") => spec.host.replace("xn--bcher-kva", "BÜCHER"),
        _ => spec.host.clone(),
    };
    let port = spec.port.suffix(spec.scheme);
    let slash = if rng.percent(10) { "/" } else { "" };
    let text = text::url(scheme, &host, &format!("{port}{slash}"));
    if rng.percent(3) {
        format!("  {text}\t")
    } else {
        text
    }
}

/// A rule set: the entries as given to the builder, and the opt-out.
struct RuleSet {
    entries: Vec<(Mode, String)>,
    public_suffix_opt_out: bool,
}

fn gen_rule_set(rng: &mut SplitMix64) -> RuleSet {
    let public_suffix_opt_out = rng.percent(35);
    let count = rng.between(1, 12);
    let mut specs: Vec<Spec> = Vec::new();
    let mut entries = Vec::new();
    for _ in 0..count {
        let spec = if !specs.is_empty() && rng.percent(15) {
            // A duplicate, in the same or the other mode, maybe spelled differently.
            let mut spec: Spec = specs[rng.below(specs.len())].clone();
            if rng.percent(30) {
                let other = match spec.mode {
                    Mode::Live => Mode::Test,
                    Mode::Test => Mode::Live,
                };
                // Only when the rule is valid there too.
                let test_only = LOOPBACK_HOSTS.contains(&spec.host.as_str())
                    || LOCAL_ADDRESSES.contains(&spec.host.as_str());
                if other == Mode::Test || (spec.scheme == Scheme::Https && !test_only) {
                    spec.mode = other;
                }
            }
            if rng.percent(30) {
                // Same host, another port: an exact port and `*` side by side.
                spec.port = match rng.below(3) {
                    0 => PortText::Any,
                    1 => PortText::DefaultWritten,
                    _ => PortText::Exact(rng.pick(PORTS)),
                };
            }
            spec
        } else {
            let mode = if rng.percent(50) {
                Mode::Live
            } else {
                Mode::Test
            };
            gen_spec(rng, mode, public_suffix_opt_out)
        };
        entries.push((spec.mode, render(rng, &spec)));
        specs.push(spec);
    }
    if rng.percent(4) {
        let (mode, text) = rng.pick(INVALID_ENTRIES);
        let at = rng.below(entries.len() + 1);
        entries.insert(at, (mode, text.to_owned()));
    }
    RuleSet {
        entries,
        public_suffix_opt_out,
    }
}

fn build(set: &RuleSet) -> Result<Policy, origin_policy::BuildError> {
    testkit::builder(&set.entries)
        .allow_public_suffix_wildcards(set.public_suffix_opt_out)
        .build()
}

/// Other spellings of IP hosts, as a browser reads them.
fn ip_variants(host: &str) -> &'static [&'static str] {
    match host {
        "127.0.0.1" => &[
            "127.1",
            "0x7f.0.0.1",
            "2130706433",
            "0177.0.0.1",
            "127.0.0.1.",
            "127.0.0.01",
        ],
        "1.2.3.4" => &["1.2.3.4.", "01.2.3.4", "1.2.3.04", "16909060", "1.2.772"],
        "0.0.0.0" => &["0", "0x0", "0.0.0", "0.0.0.0."],
        "[::1]" => &["[0:0:0:0:0:0:0:1]", "[::0:1]", "[::1%25eth0]", "[::01]"],
        "[::ffff:7f00:1]" => &[
            "[::ffff:127.0.0.1]",
            "[::FFFF:7F00:1]",
            "[0:0:0:0:0:ffff:127.0.0.1]",
        ],
        "[::ffff:102:304]" => &["[::ffff:1.2.3.4]", "[::ffff:0102:0304]"],
        "[2001:db8::1]" => &["[2001:DB8::1]", "[2001:db8:0:0:0:0:0:1]", "[2001:db8::1:]"],
        "[::]" => &["[0::0]", "[::0.0.0.0]"],
        _ => &[],
    }
}

/// Mixed case: each ASCII letter flipped with probability one half.
fn mixed_case(rng: &mut SplitMix64, text: &str) -> String {
    text.chars()
        .map(|c| {
            if rng.percent(50) {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

/// One random edit: insert, delete or replace a character.
fn mutate(rng: &mut SplitMix64, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let edits = rng.between(1, 2);
    for _ in 0..edits {
        let at = rng.below(chars.len() + 1);
        match rng.below(3) {
            0 => chars.insert(at, rng.pick(GARBAGE_CHARS)),
            1 if at < chars.len() => {
                chars.remove(at);
            }
            _ if at < chars.len() => chars[at] = rng.pick(GARBAGE_CHARS),
            _ => chars.push(rng.pick(GARBAGE_CHARS)),
        }
    }
    chars.into_iter().collect()
}

/// Origins built from one rule's host, scheme and port.
fn origins_for_rule(rng: &mut SplitMix64, rule: &Rule, out: &mut Vec<String>) {
    let pattern = rule.to_pattern();
    let scheme = pattern.scheme();
    let (host, wildcard, ipv6) = match pattern.host() {
        HostPattern::Exact(host) => {
            let text = host.to_string();
            let ipv6 = text.starts_with('[');
            (text, false, ipv6)
        }
        HostPattern::Subdomains(base) => (base.clone(), true, false),
        HostPattern::LabelWildcard {
            prefix,
            suffix,
            base,
        } => {
            let middle = rng.pick(LABEL_MIDDLES);
            // Also the near misses: nothing for the `*`, and the literals alone.
            let scheme_port = format!(":{}", scheme.default_port());
            out.push(text::url(
                scheme,
                &format!("{prefix}{suffix}.{base}"),
                &scheme_port,
            ));
            out.push(text::url(scheme, &format!("{prefix}.{base}"), &scheme_port));
            out.push(text::url(
                scheme,
                &format!("q.{prefix}z{suffix}.{base}"),
                &scheme_port,
            ));
            (format!("{prefix}{middle}{suffix}.{base}"), false, false)
        }
        other => panic!("a host pattern this test does not know: {other}"),
    };
    let default_port = scheme.default_port();
    let hit_port = match pattern.port() {
        PortSpec::Exact(port) if port == default_port => String::new(),
        PortSpec::Exact(port) => format!(":{port}"),
        PortSpec::Any => format!(":{}", rng.pick(PORTS)),
    };
    let sub = |rng: &mut SplitMix64| {
        let depth = rng.between(1, 3);
        format!("{}.{host}", random_labels(rng, depth))
    };
    let hit_host = if wildcard { sub(rng) } else { host.clone() };

    let start = out.len();
    // hits
    out.push(text::url(scheme, &hit_host, &hit_port));
    if wildcard {
        out.push(text::url(scheme, &sub(rng), &hit_port));
        out.push(text::url(scheme, &sub(rng), ""));
        // the apex
        out.push(text::url(scheme, &host, &hit_port));
        // under a deeper public suffix of the base, and that suffix itself
        let base = host.trim_start_matches("*.");
        for suffix in PLATFORM_SUFFIXES {
            if suffix.ends_with(&format!(".{base}")) {
                out.push(text::url(scheme, suffix, &hit_port));
                let label = rng.pick(LABELS);
                out.push(text::url(scheme, &format!("{label}.{suffix}"), &hit_port));
            }
        }
    }
    // other port, default port written out, other scheme
    out.push(text::url(
        scheme,
        &hit_host,
        &format!(":{}", rng.pick(PORTS)),
    ));
    out.push(text::url(scheme, &hit_host, &format!(":{default_port}")));
    out.push(text::url(other_scheme(scheme), &hit_host, &hit_port));
    // near misses by prefix and suffix
    if !ipv6 {
        let label = rng.pick(LABELS);
        out.push(text::url(scheme, &format!("{label}{hit_host}"), &hit_port));
        out.push(text::url(scheme, &format!("{hit_host}{label}"), &hit_port));
        let suffix = rng.pick(SUFFIXES);
        out.push(text::url(
            scheme,
            &format!("{hit_host}.{suffix}"),
            &hit_port,
        ));
        out.push(text::url(
            scheme,
            &format!("{hit_host}.evil.net"),
            &hit_port,
        ));
        if let Some((_, parent)) = hit_host.split_once('.') {
            out.push(text::url(scheme, parent, &hit_port));
        }
        if let Some((front, _)) = hit_host.rsplit_once('.') {
            let suffix = rng.pick(SUFFIXES);
            out.push(text::url(scheme, &format!("{front}.{suffix}"), &hit_port));
        }
    }
    // other spellings of the hits
    let hit = out[start].clone();
    out.push(hit.to_ascii_uppercase());
    out.push(mixed_case(rng, &hit));
    if !ipv6 {
        out.push(text::url(scheme, &format!("{hit_host}."), &hit_port));
        out.push(text::url(scheme, &format!("{hit_host}.."), &hit_port));
        out.push(text::url(
            scheme,
            &hit_host.replacen('.', "。", 1),
            &hit_port,
        ));
    }
    if hit_host.contains("xn--bcher-kva") {
        for unicode in ["bücher", "BÜCHER", "bu\u{308}cher", "b\u{ad}ücher"] {
            let host = hit_host.replace("xn--bcher-kva", unicode);
            out.push(text::url(scheme, &host, &hit_port));
        }
        out.push(text::url(
            scheme,
            &hit_host.replace("xn--bcher-kva", "xn--bcher-kvb"),
            &hit_port,
        ));
    }
    for variant in ip_variants(&host) {
        out.push(text::url(scheme, variant, &hit_port));
    }
    // at the length limits: labels of 62-64 bytes, names of 252-255 bytes
    if !ipv6 {
        let long_label = "l".repeat(rng.between(62, 64));
        out.push(text::url(
            scheme,
            &format!("{long_label}.{hit_host}"),
            &hit_port,
        ));
        let mut long_name = hit_host.clone();
        let target = rng.between(252, 255);
        while long_name.len() < target {
            let room = target - long_name.len() - 1;
            if room == 0 {
                // One byte short: an empty first label, itself a malformed edge.
                long_name.insert(0, '.');
                break;
            }
            let label = "m".repeat(room.min(63));
            long_name = format!("{label}.{long_name}");
        }
        out.push(text::url(scheme, &long_name, &hit_port));
    }
    // garbage: mutations of what is there so far
    let made = out.len() - start;
    for _ in 0..3 {
        let victim = out[start + rng.below(made)].clone();
        out.push(mutate(rng, &victim));
    }
}

/// Origins unrelated to the rules, from the same alphabet.
fn unrelated_origin(rng: &mut SplitMix64) -> String {
    let scheme = if rng.percent(50) {
        Scheme::Https
    } else {
        Scheme::Http
    };
    let host = match rng.below(4) {
        0 => rng.pick(LOOPBACK_HOSTS).replace("*.", "x."),
        1 if rng.percent(30) => rng.pick(LOCAL_ADDRESSES).to_owned(),
        1 => rng.pick(PUBLIC_IPS).to_owned(),
        2 if rng.percent(25) => {
            format!("{}.{}", random_labels(rng, 1), rng.pick(PLATFORM_SUFFIXES))
        }
        _ => {
            let depth = rng.between(0, 2);
            let base = registrable_base(rng);
            if depth == 0 {
                base
            } else {
                format!("{}.{base}", random_labels(rng, depth))
            }
        }
    };
    let port = if rng.percent(50) {
        String::new()
    } else {
        format!(":{}", rng.pick(PORTS))
    };
    text::url(scheme, &host, &port)
}

// ---------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------

#[derive(Default)]
struct Stats {
    sets: usize,
    built: usize,
    failed_to_build: usize,
    rules: usize,
    origins: usize,
    checks: usize,
    allowed: usize,
    parsed_ok: usize,
    fast_path: usize,
    malformed: usize,
    beyond_public_suffix: usize,
}

/// Where a failure came from, for the message.
struct Context<'a> {
    set_number: usize,
    set_seed: u64,
    set: &'a RuleSet,
    policy: &'a Policy,
}

impl Context<'_> {
    fn describe(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "  rule set #{} (set seed {:#x}), allow_public_suffix_wildcards({})",
            self.set_number, self.set_seed, self.set.public_suffix_opt_out
        );
        for (mode, entry) in &self.set.entries {
            let _ = writeln!(text, "    .allow(Mode::{mode:?}, {entry:?})");
        }
        let _ = write!(text, "  compiled: {:?}", self.policy);
        text
    }
}

/// Whether the origin's host borrows from the input, i.e. came from the fast path.
fn borrows_from(input: &str, origin: &Origin<'_>) -> bool {
    let start = input.as_ptr() as usize;
    let host = origin.host().as_ptr() as usize;
    !origin.host().is_empty() && host >= start && host < start + input.len()
}

/// Compares fast and WHATWG parsing; `None` when they agree.
fn parse_mismatch(origin: &str) -> Option<String> {
    let fast = Origin::parse(origin);
    let slow = reference::parse_origin(origin);
    let agree = match (&fast, &slow) {
        (Ok(f), Ok(s)) => {
            f.to_string() == s.to_string()
                && f.host() == s.host()
                && f.port() == s.port()
                && f.host_kind() == s.host_kind()
                && f.scheme() == s.scheme()
                && f == s
        }
        (Err(f), Err(s)) => f == s,
        _ => false,
    };
    (!agree).then(|| {
        format!(
            "parse mismatch for {origin:?}:\n  Origin::parse:          {fast:?}\n  reference::parse_origin: {slow:?}"
        )
    })
}

fn check_origin(
    context: &Context<'_>,
    origin: &str,
    stats: &mut Stats,
    failures: &mut Vec<String>,
) {
    stats.origins += 1;
    if let Some(mismatch) = parse_mismatch(origin) {
        failures.push(mismatch);
    }
    match Origin::parse(origin) {
        Ok(parsed) => {
            stats.parsed_ok += 1;
            if borrows_from(origin, &parsed) {
                stats.fast_path += 1;
            }
        }
        Err(_) => stats.malformed += 1,
    }
    for mode in Mode::ALL {
        stats.checks += 1;
        let got = context.policy.check(mode, origin);
        let want = reference::check(context.policy, mode, origin);
        if got != want {
            failures.push(format!(
                "decision mismatch\n{}\n  mode:    {mode}\n  origin:  {origin:?}\n  policy.check:     {got}\n  reference::check: {want}",
                context.describe()
            ));
        }
        if got.deny_reason() == Some(DenyReason::PublicSuffixBoundary) {
            stats.beyond_public_suffix += 1;
        }
        if let Decision::Allow(rule) = got {
            stats.allowed += 1;
            if rule.mode() != mode {
                failures.push(format!(
                    "rule of the wrong mode\n{}\n  mode: {mode}\n  origin: {origin:?}\n  decision: {got}",
                    context.describe()
                ));
            }
        }
    }
}

/// Independent of the reference: each rule allows its own plainest example.
fn check_own_example(
    context: &Context<'_>,
    rng: &mut SplitMix64,
    rule: &Rule,
    failures: &mut Vec<String>,
) {
    let pattern = rule.to_pattern();
    let host = match pattern.host() {
        HostPattern::Exact(host) => host.to_string(),
        HostPattern::Subdomains(base) => format!("zz.{base}"),
        HostPattern::LabelWildcard {
            prefix,
            suffix,
            base,
        } => format!("{prefix}z{suffix}.{base}"),
        other => panic!("a host pattern this test does not know: {other}"),
    };
    let port = match pattern.port() {
        PortSpec::Exact(port) => port,
        PortSpec::Any => rng.pick(PORTS),
    };
    let origin = format!("{}://{host}:{port}", pattern.scheme());
    let decision = context.policy.check(rule.mode(), &origin);
    if !decision.is_allowed() {
        failures.push(format!(
            "a rule does not allow its own example\n{}\n  rule: {rule}\n  origin: {origin:?}\n  decision: {decision}",
            context.describe()
        ));
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text:?}: not a number")),
        Err(_) => default,
    }
}

#[test]
fn index_and_fast_parser_agree_with_the_reference() {
    let sets = env_number("ORIGIN_POLICY_DIFF_SETS", 500) as usize;
    let seed = env_number("ORIGIN_POLICY_DIFF_SEED", 0x0516_1e5e_ed00_0001);
    let started = Instant::now();
    let mut master = SplitMix64::new(seed);
    let mut stats = Stats::default();
    let mut failures: Vec<String> = Vec::new();
    let mut origins: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();

    for set_number in 0..sets {
        let set_seed = master.next_u64();
        let mut rng = SplitMix64::new(set_seed);
        let set = gen_rule_set(&mut rng);
        stats.sets += 1;
        let policy = match build(&set) {
            Ok(policy) => policy,
            Err(_) => {
                stats.failed_to_build += 1;
                continue;
            }
        };
        stats.built += 1;
        let context = Context {
            set_number,
            set_seed,
            set: &set,
            policy: &policy,
        };

        origins.clear();
        seen.clear();
        for mode in Mode::ALL {
            for rule in policy.rules(mode) {
                stats.rules += 1;
                origins_for_rule(&mut rng, rule, &mut origins);
                check_own_example(&context, &mut rng, rule, &mut failures);
            }
        }
        for _ in 0..4 {
            origins.push(unrelated_origin(&mut rng));
        }
        origins.extend(ADVERSARIAL_ORIGINS.iter().map(|o| o.to_string()));
        for _ in 0..3 {
            let len = rng.between(0, 24);
            let garbage: String = (0..len).map(|_| rng.pick(GARBAGE_CHARS)).collect();
            origins.push(garbage);
        }

        for origin in &origins {
            if seen.insert(origin.clone()) {
                check_origin(&context, origin, &mut stats, &mut failures);
            }
        }
        if failures.len() >= 20 {
            break;
        }
    }

    let elapsed = started.elapsed();
    println!(
        "differential: seed {seed:#x}, {} sets ({} built, {} failed to build), {} rules, \
         {} distinct origins per set summed, {} checks per side ({} allowed), \
         {} parsed ({} on the fast path), {} malformed, {} denied at the public-suffix \
         boundary, in {elapsed:.2?}",
        stats.sets,
        stats.built,
        stats.failed_to_build,
        stats.rules,
        stats.origins,
        stats.checks,
        stats.allowed,
        stats.parsed_ok,
        stats.fast_path,
        stats.malformed,
        stats.beyond_public_suffix,
    );

    assert!(
        failures.is_empty(),
        "{} failure(s) (seed {seed:#x}); the first ones:\n\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    // The generator must produce a meaningful mix, or the comparison proves little.
    assert!(
        stats.built * 10 >= stats.sets * 9,
        "most rule sets must build: {} of {}",
        stats.built,
        stats.sets
    );
    assert!(stats.failed_to_build > 0 || sets < 200);
    assert!(stats.allowed * 20 > stats.checks, "too few allowed checks");
    assert!(stats.allowed * 2 < stats.checks, "too many allowed checks");
    assert!(
        stats.fast_path * 5 > stats.origins,
        "fast path too rarely taken"
    );
    assert!(
        stats.malformed * 10 > stats.origins,
        "too few malformed origins"
    );
    assert!(
        stats.beyond_public_suffix * 1000 > stats.checks,
        "too few denials at the public-suffix boundary: {} of {} checks",
        stats.beyond_public_suffix,
        stats.checks
    );
}
