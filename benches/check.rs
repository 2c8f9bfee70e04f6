//! Check latency against the alternatives users would write, from 10 to 100,000 rules.
//!
//! Groups: `check` (ours, hits and misses), `baselines` ((a) `Url::parse` + linear scan,
//! (b) `regex::RegexSet`, (c) exact `HashSet<String>`), `floor` (a `memchr` scan and
//! `Url::parse` alone), `build` (also adversarial label wildcards against exact hosts),
//! `parse`. Every timed check handles one origin, taken round-robin from a generated query
//! set, so medians are per check.
//!
//! `cargo bench --bench check` (a few minutes), or
//! `cargo bench --bench check -- --quick` (seconds per benchmark, rougher).
//! Numbers and the machine go to BENCHMARKS.md.

use std::collections::HashSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use origin_policy::pattern::Pattern;
use origin_policy::{Mode, Origin, Policy};
use regex::RegexSet;

use origin_policy_testkit::workload as gen;

use gen::{GenRule, Port, Query};

const SIZES: [usize; 5] = [10, 100, 1_000, 10_000, 100_000];
/// Origins per query set; a power of two, so that the round-robin is a mask.
const QUERIES: usize = 256;
/// A `RegexSet` that takes longer than this to build is not built at larger N.
const REGEX_BUILD_BUDGET: Duration = Duration::from_secs(3);

fn slot(mode: Mode) -> usize {
    usize::from(mode == Mode::Test)
}

/// Baseline (a): what a hand-written check does: `Url::parse`, then a linear scan with the
/// same semantics as the policy.
struct Linear {
    rules: [Vec<GenRule>; 2],
}

impl Linear {
    fn new(rules: &[GenRule]) -> Self {
        let mut by_mode: [Vec<GenRule>; 2] = Default::default();
        for rule in rules {
            by_mode[slot(rule.mode)].push(rule.clone());
        }
        Linear { rules: by_mode }
    }

    fn allows(&self, mode: Mode, origin: &str) -> bool {
        let Ok(url) = url::Url::parse(origin) else {
            return false;
        };
        let https = match url.scheme() {
            "https" => true,
            "http" => false,
            _ => return false,
        };
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return false;
        }
        let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
            return false;
        };
        self.rules[slot(mode)]
            .iter()
            .any(|rule| rule.allows(https, host, port))
    }
}

/// Baseline (b): one anchored, escaped regex per rule, in a `RegexSet` per mode.
struct Regexes {
    sets: [RegexSet; 2],
}

impl Regexes {
    fn new(rules: &[GenRule]) -> Self {
        let mut patterns: [Vec<String>; 2] = Default::default();
        for rule in rules {
            let host = regex::escape(&rule.host);
            let subdomains = if rule.wildcard {
                r"(?:[a-z0-9_-]+\.)+"
            } else {
                ""
            };
            let port = match rule.port {
                Port::Default => String::new(),
                Port::Exact(port) => format!(":{port}"),
                Port::Any => r"(?::[1-9][0-9]{0,4})?".to_owned(),
            };
            patterns[slot(rule.mode)]
                .push(format!(r"^{}://{subdomains}{host}{port}$", rule.scheme()));
        }
        let build = |patterns: &[String]| {
            regex::RegexSetBuilder::new(patterns)
                .size_limit(1 << 30)
                .dfa_size_limit(1 << 30)
                .build()
                .expect("escaped rules are valid regexes")
        };
        Regexes {
            sets: [build(&patterns[0]), build(&patterns[1])],
        }
    }

    fn allows(&self, mode: Mode, origin: &str) -> bool {
        self.sets[slot(mode)].is_match(origin)
    }
}

/// Baseline (c): the exact serialized origins, as tower-http or actix-cors users list
/// them. Correct only for exact rules with a fixed port: a lower bound, not a competitor.
struct Exact {
    sets: [HashSet<String>; 2],
}

impl Exact {
    fn new(rules: &[GenRule]) -> Self {
        let mut sets: [HashSet<String>; 2] = Default::default();
        for rule in rules.iter().filter(|r| !r.wildcard && r.port != Port::Any) {
            sets[slot(rule.mode)].insert(rule.text());
        }
        Exact { sets }
    }

    fn allows(&self, mode: Mode, origin: &str) -> bool {
        self.sets[slot(mode)].contains(origin)
    }
}

/// Times `f` over the query set, one query per iteration.
fn bench_queries(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: BenchmarkId,
    queries: &[Query],
    f: impl Fn(Mode, &str) -> bool,
) {
    assert!(queries.len().is_power_of_two());
    let mask = queries.len() - 1;
    group.bench_function(id, |b| {
        let mut i = 0;
        b.iter(|| {
            let query = &queries[i & mask];
            i = i.wrapping_add(1);
            f(black_box(query.mode), black_box(&query.origin))
        })
    });
}

/// `Policy::check` over the fixture's hits and over its misses, one benchmark each, with
/// the fixture's `n` as the parameter.
fn bench_checks(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    f: &Fixture,
) {
    for (kind, queries) in [("hit", &f.hits), ("miss", &f.misses)] {
        bench_queries(group, BenchmarkId::new(kind, f.n), queries, |mode, o| {
            f.policy.check(mode, o).is_allowed()
        });
    }
}

struct Fixture {
    n: usize,
    rules: Vec<GenRule>,
    policy: Policy,
    hits: Vec<Query>,
    misses: Vec<Query>,
}

fn fixture(n: usize) -> Fixture {
    let mut rules = gen::rules(n, 0x5EED ^ n as u64);
    let policy = gen::policy(&mut rules);
    let (hits, misses) = gen::queries(&rules, QUERIES, 0xC0FFEE ^ n as u64, |q| {
        policy.is_allowed(q.mode, &q.origin)
    });
    assert_eq!((hits.len(), misses.len()), (QUERIES, QUERIES), "n = {n}");
    Fixture {
        n,
        rules,
        policy,
        hits,
        misses,
    }
}

/// A 10k-rule policy of which `label_rules` are label wildcards, with its queries.
fn label_fixture(label_rules: usize) -> Fixture {
    let n = 10_000;
    let mut rules = gen::rules_with_label_wildcards(n, label_rules, 0x5EED ^ n as u64);
    let policy = gen::policy(&mut rules);
    let (hits, misses) = gen::queries(&rules, QUERIES, 0xC0FFEE ^ n as u64, |q| {
        policy.is_allowed(q.mode, &q.origin)
    });
    assert_eq!((hits.len(), misses.len()), (QUERIES, QUERIES));
    Fixture {
        n: label_rules,
        rules,
        policy,
        hits,
        misses,
    }
}

/// Issue 7: 1,000 label wildcards mixed into a 10k-rule policy against none. The id's
/// parameter is the number of label-wildcard rules; the target is a ratio of at most 2.
fn label_wildcard_benches(c: &mut Criterion) {
    let fixtures = [label_fixture(0), label_fixture(1_000)];
    let mut group = c.benchmark_group("label_wildcards_10k");
    for f in &fixtures {
        bench_checks(&mut group, f);
    }
    group.finish();
    let mut group = c.benchmark_group("label_wildcards_build");
    group.sample_size(10);
    for f in &fixtures {
        group.bench_function(BenchmarkId::from_parameter(f.n), |b| {
            let builder = gen::builder(&f.rules);
            b.iter(|| builder.build().unwrap())
        });
    }
    group.finish();
}

/// Issue 10: building adversarial label wildcards (`gen::adversarial_label_wildcards`:
/// nested prefixes and long distinct suffixes, all on one base, or 40 a base on at least 8
/// bases) against building as many exact hosts of the same size (each `*` made an `x`).
/// Ids: `build/{exact,label_one_base,label_many_bases}/{n}`; the target is at most 10x.
fn adversarial_build_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    for n in [40, 1_000] {
        let one_base = gen::adversarial_label_wildcards(n, 1, 0xAD5E ^ n as u64);
        let many_bases = gen::adversarial_label_wildcards(n, (n / 40).max(8), 0xAD5E ^ n as u64);
        let exact = gen::exact_twins(&one_base);
        for (name, rules) in [
            ("exact", &exact),
            ("label_one_base", &one_base),
            ("label_many_bases", &many_bases),
        ] {
            let builder = gen::builder(rules);
            let policy = builder.build().expect("valid");
            let sample = &rules[n / 2];
            let origin = match &sample.label {
                Some((prefix, suffix)) => format!("https://{prefix}z{suffix}.{}", sample.host),
                None => format!("https://{}", sample.host),
            };
            assert!(policy.is_allowed(Mode::Live, &origin), "{name} {origin}");
            group.bench_function(BenchmarkId::new(name, n), |b| {
                b.iter(|| builder.build().expect("valid"))
            });
        }
    }
    group.finish();
}

/// The issue-17 workload ([`gen::sized_rules`]: 60% exact hosts, 30% `*.` wildcards, 10%
/// port variants, hosts of 30 bytes on average), 1,024 hits and 1,024 misses at 10, 1,000
/// and 100,000 rules, with the `memchr` floor over the N = 10 hits in the same group, so
/// that the ratios come from one run: `cargo bench --bench check -- '^issue17/'`.
fn issue17_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("issue17");
    for n in [10, 1_000, 100_000] {
        let mut rules = gen::sized_rules(n, 0x17 ^ n as u64);
        let policy = gen::policy(&mut rules);
        let (hits, misses) = gen::queries(&rules, 1_024, 0x17_C0DE ^ n as u64, |query| {
            policy.is_allowed(query.mode, &query.origin)
        });
        for (kind, queries) in [("hit", &hits), ("miss", &misses)] {
            bench_queries(&mut group, BenchmarkId::new(kind, n), queries, |mode, o| {
                policy.check(mode, o).is_allowed()
            });
        }
        if n == 10 {
            bench_queries(&mut group, BenchmarkId::new("memchr", n), &hits, |_, o| {
                memchr::memchr(0xff, o.as_bytes()).is_some()
            });
        }
    }
    group.finish();
}

/// The issue-26 workload ([`gen::realistic_rules`]: the issue-17 mix with labels of
/// letters, digits and hyphens, live mode), 1,024 hits and 1,024 misses at 10, 1,000 and
/// 100,000 rules, in one group so that check(100k) / check(10) comes from one run:
/// `cargo bench --bench check -- '^realistic/'`.
fn realistic_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("realistic");
    for n in [10, 1_000, 100_000] {
        let mut rules = gen::realistic_rules(n, 0x26 ^ n as u64);
        let policy = gen::policy(&mut rules);
        let (hits, misses) = gen::realistic_queries(&rules, 1_024, 0x26_C0DE ^ n as u64, |q| {
            policy.is_allowed(q.mode, &q.origin)
        });
        for (kind, queries) in [("hit", &hits), ("miss", &misses)] {
            bench_queries(&mut group, BenchmarkId::new(kind, n), queries, |mode, o| {
                policy.check(mode, o).is_allowed()
            });
        }
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    realistic_benches(c);
    issue17_benches(c);
    adversarial_build_benches(c);
    label_wildcard_benches(c);
    let fixtures: Vec<Fixture> = SIZES.iter().map(|&n| fixture(n)).collect();

    let mut group = c.benchmark_group("check");
    for f in &fixtures {
        bench_checks(&mut group, f);
    }
    group.finish();

    let mut group = c.benchmark_group("baselines");
    group.sample_size(10);
    let mut regex_feasible = true;
    for f in &fixtures {
        let linear = Linear::new(&f.rules);
        let exact = Exact::new(&f.rules);
        for q in f.hits.iter().chain(&f.misses) {
            let ours = f.policy.is_allowed(q.mode, &q.origin);
            assert_eq!(linear.allows(q.mode, &q.origin), ours, "{q:?}");
        }
        for (kind, queries) in [("hit", &f.hits), ("miss", &f.misses)] {
            let id = BenchmarkId::new(format!("a_url_linear_{kind}"), f.n);
            bench_queries(&mut group, id, queries, |mode, o| linear.allows(mode, o));
        }
        if regex_feasible {
            let started = Instant::now();
            let regexes = Regexes::new(&f.rules);
            let took = started.elapsed();
            eprintln!("baselines/b_regexset: built {} rules in {took:?}", f.n);
            regex_feasible = took < REGEX_BUILD_BUDGET / 10;
            for q in f.hits.iter().chain(&f.misses) {
                let ours = f.policy.is_allowed(q.mode, &q.origin);
                assert_eq!(regexes.allows(q.mode, &q.origin), ours, "{q:?}");
            }
            for (kind, queries) in [("hit", &f.hits), ("miss", &f.misses)] {
                let id = BenchmarkId::new(format!("b_regexset_{kind}"), f.n);
                bench_queries(&mut group, id, queries, |mode, o| regexes.allows(mode, o));
            }
        } else {
            eprintln!(
                "baselines/b_regexset: skipped at {} rules (the build at a tenth of this \
                 took over a tenth of {REGEX_BUILD_BUDGET:?})",
                f.n
            );
        }
        // Exact-only: the exact hits it can answer, and all misses.
        let exact_hits: Vec<Query> = f
            .hits
            .iter()
            .filter(|q| exact.allows(q.mode, &q.origin))
            .cloned()
            .cycle()
            .take(QUERIES)
            .collect();
        bench_queries(
            &mut group,
            BenchmarkId::new("c_hashset_exact_hit", f.n),
            &exact_hits,
            |mode, o| exact.allows(mode, o),
        );
        bench_queries(
            &mut group,
            BenchmarkId::new("c_hashset_miss", f.n),
            &f.misses,
            |mode, o| exact.allows(mode, o),
        );
    }
    group.finish();

    // The same origins as the hits at 1k rules.
    let hits = &fixtures[2].hits;
    let mut group = c.benchmark_group("floor");
    bench_queries(
        &mut group,
        BenchmarkId::new("memchr", "hit"),
        hits,
        |_, o| memchr::memchr(b'@', o.as_bytes()).is_some(),
    );
    bench_queries(
        &mut group,
        BenchmarkId::new("url_parse", "hit"),
        hits,
        |_, o| url::Url::parse(o).is_ok(),
    );
    group.finish();

    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    for f in &fixtures {
        let builder = gen::builder(&f.rules);
        group.bench_function(BenchmarkId::from_parameter(f.n), |b| {
            b.iter(|| builder.build().expect("valid"))
        });
    }
    group.finish();

    let f = &fixtures[2];
    let texts: Vec<String> = f
        .rules
        .iter()
        .map(GenRule::text)
        .cycle()
        .take(QUERIES)
        .collect();
    let mut group = c.benchmark_group("parse");
    let mask = QUERIES - 1;
    group.bench_function("pattern", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            Pattern::parse(black_box(&texts[i & mask])).is_ok()
        })
    });
    bench_queries(
        &mut group,
        BenchmarkId::new("origin", "fast"),
        hits,
        |_, o| Origin::parse(o).is_ok(),
    );
    // Uppercase: the same origins through the WHATWG fallback.
    let upper: Vec<Query> = hits
        .iter()
        .map(|q| Query {
            mode: q.mode,
            origin: q.origin.to_uppercase(),
        })
        .collect();
    bench_queries(
        &mut group,
        BenchmarkId::new("origin", "whatwg"),
        &upper,
        |_, o| Origin::parse(o).is_ok(),
    );
    group.finish();
}

criterion_group! {
    name = check;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30);
    targets = benches
}
criterion_main!(check);
