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
//! (`Origin::parse`), for the parser's share. `benches/instructions.sh` runs it under callgrind for N = 10, 1,000 and 100,000 and
//! counts only the instructions of [`run_checks`] (`--toggle-collect`).

use std::hint::black_box;
use std::process::ExitCode;

use origin_policy::pattern::HostPattern;

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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
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
