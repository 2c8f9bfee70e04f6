//! Repeatable per-check cost: run `REPS` checks of one kind of origin, for counting
//! instructions under valgrind (the shared machine's timings are too noisy for small
//! differences). Run it twice, with `REPS` and with 0, and divide the difference of the
//! two instruction counts by `REPS`:
//!
//! ```sh
//! cargo build --release --example check_instructions
//! for reps in 0 100000; do
//!   valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
//!     target/release/examples/check_instructions wildcard enforced $reps 2>&1 | grep 'I *refs'
//! done
//! ```
//!
//! Kinds: `wildcard` (hits decided by a `*.` rule) and `exact` (hits decided by an exact
//! rule); boundary: `enforced` (the default) or `opted-out`
//! (`allow_public_suffix_wildcards(true)`, which skips the public-suffix boundary). The
//! policy is the 1,000-rule generated one of `benches/public_suffix.rs`.
//!
//! `check_instructions labels 0|1000 hit|miss REPS` counts the checks of the
//! `label_wildcards_10k` bench instead: a 10,000-rule policy with that many label wildcards
//! mixed in, over its 256 hits or 256 misses.
//!
//! `check_instructions sized N hit|miss REPS` counts the issue-17 workload
//! ([`gen::sized_rules`]: 60% exact hosts, 30% `*.` wildcards, 10% port variants, hosts of
//! 2–4 labels and 30 bytes on average) over 1,024 hits or 1,024 misses at `N` rules.
//! `check_instructions sized-parse N hit|miss REPS` only parses the same origins
//! (`Origin::parse`), for the parser's share. `benches/instructions.sh` runs `sized` under
//! callgrind for N = 10, 1,000 and 100,000 and counts only the instructions of
//! [`run_checks`] (`--toggle-collect`).
//!
//! `check_instructions realistic-parse REPS` parses [`realistic_origins`]: 1,024 fixed
//! origins of the shape gateways see (digits and hyphens in labels, some ports, 31 bytes on
//! average; issue 26 item 2), counted with `--toggle-collect='*run_parses*'`.

use std::hint::black_box;
use std::process::ExitCode;

use origin_policy::pattern::HostPattern;

use origin_policy_testkit::rng::{Choices, SplitMix64};
use origin_policy_testkit::workload as gen;

/// The `label_wildcards_10k` fixture of `benches/check.rs`: hits or misses.
fn label_wildcard_queries(
    label_rules: usize,
    hits: bool,
) -> (origin_policy::Policy, Vec<gen::Query>) {
    let n = 10_000;
    let mut rules = gen::rules_with_label_wildcards(n, label_rules, 0x5EED ^ n as u64);
    let policy = gen::policy(&mut rules);
    let (hit, miss) = gen::queries(&rules, 256, 0xC0FFEE ^ n as u64, |query| {
        policy.is_allowed(query.mode, &query.origin)
    });
    (policy, if hits { hit } else { miss })
}

/// The issue-17 fixture at `n` rules: 1,024 hits or 1,024 misses.
fn sized_queries(n: usize, hits: bool) -> (origin_policy::Policy, Vec<gen::Query>) {
    let mut rules = gen::sized_rules(n, 0x17 ^ n as u64);
    let policy = gen::policy(&mut rules);
    let (hit, miss) = gen::queries(&rules, 1_024, 0x17_C0DE ^ n as u64, |query| {
        policy.is_allowed(query.mode, &query.origin)
    });
    let queries = if hits { hit } else { miss };
    assert_eq!(queries.len(), 1_024, "the generator found too few queries");
    (policy, queries)
}

/// 1,024 origins of the shape a gateway sees, always the same: `https` (4 in 5) or `http`,
/// 2–4 labels under a top-level domain, the labels before it mostly letters and digits
/// (`shop7`, `app-42`, `eu-west-1`), one origin in 8 on a port (`:8443`).
/// 31 bytes on average; 97% hold a digit, 69% a hyphen, 11% a port. All canonical: each parses.
fn realistic_origins() -> Vec<gen::Query> {
    const WORDS: &[&str] = &[
        "app", "api", "shop", "cdn", "web", "portal", "admin", "static", "eu", "west", "east",
        "store", "media", "auth", "acme", "tenant", "img", "dash", "pay", "beta",
    ];
    const TLDS: &[&str] = &["com", "net", "io", "org", "dev", "de", "app", "co"];
    const PORTS: &[u16] = &[8443, 8080, 3000, 5173, 9000, 4443, 10443, 81];
    let mut rng = SplitMix64::new(0x26_0002);
    let label = |rng: &mut SplitMix64| -> String {
        let word = rng.pick(WORDS);
        match rng.below(6) {
            0 => word.to_string(),
            1 | 2 => format!("{word}{}", rng.below(100)),
            3 => format!("{word}-{}", rng.below(1000)),
            4 => format!("{word}-{}-{}", rng.pick(WORDS), rng.below(10)),
            _ => format!("{word}-{}", rng.pick(WORDS)),
        }
    };
    (0..1_024)
        .map(|_| {
            let scheme = if rng.percent(80) { "https" } else { "http" };
            let front = rng.pick(&[1, 1, 2, 2, 2, 3]);
            let mut host: Vec<String> = (0..front).map(|_| label(&mut rng)).collect();
            if front == 1 || rng.one_in(3) {
                host.push(format!("example{}", rng.below(10)));
            }
            host.push(rng.pick(TLDS).to_string());
            let port = match rng.one_in(8) {
                true => format!(":{}", rng.pick(PORTS)),
                false => String::new(),
            };
            let origin = format!("{scheme}://{}{port}", host.join("."));
            assert!(origin_policy::Origin::parse(&origin).is_ok(), "{origin}");
            gen::Query {
                mode: origin_policy::Mode::Live,
                origin,
            }
        })
        .collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [first, reps] = args.as_slice() {
        if first == "realistic-parse" {
            let Ok(reps) = reps.parse::<usize>() else {
                eprintln!("usage: check_instructions realistic-parse REPS");
                return ExitCode::from(2);
            };
            return run_parses(&realistic_origins(), reps);
        }
    }
    if let [first, n, kind, reps] = args.as_slice() {
        if first == "sized" || first == "sized-parse" {
            let (Ok(n), true, Ok(reps)) = (
                n.parse::<usize>(),
                matches!(kind.as_str(), "hit" | "miss"),
                reps.parse::<usize>(),
            ) else {
                eprintln!("usage: check_instructions sized|sized-parse N hit|miss REPS");
                return ExitCode::from(2);
            };
            let (policy, queries) = sized_queries(n, kind == "hit");
            if first == "sized-parse" {
                return run_parses(&queries, reps);
            }
            return run_checks(&policy, &queries, reps);
        }
    }
    if let [first, label_rules, kind, reps] = args.as_slice() {
        let (true, Ok(label_rules), true, Ok(reps)) = (
            first == "labels",
            label_rules.parse::<usize>(),
            matches!(kind.as_str(), "hit" | "miss"),
            reps.parse::<usize>(),
        ) else {
            eprintln!("usage: check_instructions labels 0|1000 hit|miss REPS");
            return ExitCode::from(2);
        };
        let (policy, queries) = label_wildcard_queries(label_rules, kind == "hit");
        return run_checks(&policy, &queries, reps);
    }
    let [kind, boundary, reps] = args.as_slice() else {
        eprintln!("usage: check_instructions wildcard|exact enforced|opted-out REPS");
        return ExitCode::from(2);
    };
    let (Ok(reps), true, true) = (
        reps.parse::<usize>(),
        matches!(kind.as_str(), "wildcard" | "exact"),
        matches!(boundary.as_str(), "enforced" | "opted-out"),
    ) else {
        eprintln!("usage: check_instructions wildcard|exact enforced|opted-out REPS");
        return ExitCode::from(2);
    };
    let mut rules = gen::rules(1_000, 0x5eed_0fb0);
    let enforced = gen::policy(&mut rules);
    let policy = match boundary.as_str() {
        "enforced" => enforced.clone(),
        _ => gen::builder(&rules)
            .allow_public_suffix_wildcards(true)
            .build()
            .expect("the rules build without the check too"),
    };
    let (hits, _) = gen::queries(&rules, 2_048, 7, |query| {
        enforced.is_allowed(query.mode, &query.origin)
    });
    let want_wildcard = kind == "wildcard";
    let queries: Vec<gen::Query> = hits
        .into_iter()
        .filter(|query| {
            let rule = enforced.check(query.mode, &query.origin).rule();
            let wildcard =
                rule.is_some_and(|r| matches!(r.to_pattern().host(), HostPattern::Subdomains(_)));
            wildcard == want_wildcard
        })
        .take(256)
        .collect();
    run_checks(&policy, &queries, reps)
}

/// `reps` parses of the origins alone, round-robin over `queries`: the parser's share of a
/// check (`--toggle-collect='*run_parses*'`).
#[inline(never)]
fn run_parses(queries: &[gen::Query], reps: usize) -> ExitCode {
    let mut parsed = 0usize;
    for at in 0..reps {
        let query = &queries[at % queries.len()];
        parsed += usize::from(origin_policy::Origin::parse(black_box(&query.origin)).is_ok());
    }
    let mean = queries.iter().map(|q| q.origin.len()).sum::<usize>() as f64 / queries.len() as f64;
    println!("{parsed} of {reps} parsed, mean length {mean:.1}");
    ExitCode::SUCCESS
}

/// The counted part: `reps` checks, round-robin over `queries`. Never inlined, so that
/// callgrind can count it alone (`--toggle-collect='*run_checks*'`).
#[inline(never)]
fn run_checks(policy: &origin_policy::Policy, queries: &[gen::Query], reps: usize) -> ExitCode {
    let mut allowed = 0usize;
    for at in 0..reps {
        let query = &queries[at % queries.len()];
        allowed += usize::from(policy.is_allowed(query.mode, black_box(&query.origin)));
    }
    println!(
        "{allowed} of {reps} allowed, over {} origins",
        queries.len()
    );
    ExitCode::SUCCESS
}
