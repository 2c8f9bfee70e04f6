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
//! (`Origin::parse`), for the parser's share. `benches/instructions.sh` runs `sized` and
//! `realistic` under callgrind for N = 10, 1,000 and 100,000 and counts only the
//! instructions of [`run_checks`] (`--toggle-collect`).
//!
//! `check_instructions realistic N hit|miss REPS` (and `realistic-parse N hit|miss REPS`)
//! does the same over the issue-26 workload ([`gen::realistic_rules`]: the same mix, live
//! mode, labels with digits and hyphens as deployed names have them; 94% of the hit origins
//! hold a digit, 32 bytes on average).
//!
//! `check_instructions realistic-hot N hit|miss REPS` checks each origin after copying it
//! into one stack buffer (the request a server has just read), for counting the check's
//! own cache misses (`benches/cache_misses.sh`).
//!
//! `check_instructions tenants COUNT REPS` (built with `--features store`) counts the
//! multi-tenant check: a `PolicyStore` of `COUNT` tenants of 4 realistic rules, each check
//! for a random tenant (the lookup, then the check), over 4,096 (tenant, hit) pairs
//! (`--toggle-collect='*run_tenant_checks*'`); `realistic 4 hit REPS` is the single 4-rule
//! policy it is held against.

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

/// The issue-26 fixture at `n` rules ([`gen::realistic_rules`]): 1,024 hits or 1,024
/// misses, live mode.
fn realistic_queries(n: usize, hits: bool) -> (origin_policy::Policy, Vec<gen::Query>) {
    let mut rules = gen::realistic_rules(n, 0x26 ^ n as u64);
    let policy = gen::policy(&mut rules);
    let (hit, miss) = gen::realistic_queries(&rules, 1_024, 0x26_C0DE ^ n as u64, |query| {
        policy.is_allowed(query.mode, &query.origin)
    });
    (policy, if hits { hit } else { miss })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [first, count, reps] = args.as_slice() {
        if first == "tenants" {
            let (Ok(count), Ok(reps)) = (count.parse::<usize>(), reps.parse::<usize>()) else {
                eprintln!("usage: check_instructions tenants COUNT REPS");
                return ExitCode::from(2);
            };
            return tenants::run(count, reps);
        }
    }
    if let [first, n, kind, reps] = args.as_slice() {
        let workloads = [
            "sized",
            "sized-parse",
            "realistic",
            "realistic-parse",
            "realistic-hot",
        ];
        if workloads.contains(&first.as_str()) {
            let (Ok(n), true, Ok(reps)) = (
                n.parse::<usize>(),
                matches!(kind.as_str(), "hit" | "miss"),
                reps.parse::<usize>(),
            ) else {
                eprintln!(
                    "usage: check_instructions sized|sized-parse|realistic|realistic-parse \
                     N hit|miss REPS"
                );
                return ExitCode::from(2);
            };
            let (policy, queries) = if first.starts_with("realistic") {
                realistic_queries(n, kind == "hit")
            } else {
                sized_queries(n, kind == "hit")
            };
            if first.ends_with("-parse") {
                return run_parses(&queries, reps);
            }
            if first.ends_with("-hot") {
                return run_hot_checks(&policy, &queries, reps);
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

/// The multi-tenant check (issue 26): a `PolicyStore` of `COUNT` tenants of 4 realistic
/// rules each; each check looks up a random tenant, then checks one of its hit origins.
#[cfg(feature = "store")]
mod tenants {
    use std::hint::black_box;
    use std::process::ExitCode;

    use origin_policy::store::PolicyStore;
    use origin_policy::Mode;
    use origin_policy_testkit::rng::{Choices, SplitMix64};
    use origin_policy_testkit::workload as gen;

    /// The store of `count` tenants, and 4,096 (tenant key, hit origin) pairs of random
    /// tenants.
    pub fn fixture(count: usize) -> (PolicyStore<String>, Vec<(String, String)>) {
        let tenants = gen::realistic_tenants(count, 4, 0x26_7E4A);
        let mut rng = SplitMix64::new(0x26);
        let queries = (0..4_096)
            .map(|_| {
                let tenant = &tenants[rng.below(tenants.len())];
                (tenant.key.clone(), tenant.hit.clone())
            })
            .collect();
        let store = PolicyStore::new();
        store.replace_all(tenants.into_iter().map(|t| (t.key, t.policy.into())));
        (store, queries)
    }

    pub fn run(count: usize, reps: usize) -> ExitCode {
        let (store, queries) = fixture(count);
        run_tenant_checks(&store, &queries, reps)
    }

    /// The counted part (`--toggle-collect='*run_tenant_checks*'`): `reps` lookups and
    /// checks, round-robin over `queries`.
    #[inline(never)]
    fn run_tenant_checks(
        store: &PolicyStore<String>,
        queries: &[(String, String)],
        reps: usize,
    ) -> ExitCode {
        let mut allowed = 0usize;
        for at in 0..reps {
            let (key, origin) = &queries[at % queries.len()];
            let answer = store.is_allowed(black_box(key.as_str()), Mode::Live, black_box(origin));
            allowed += usize::from(answer == Some(true));
        }
        println!("{allowed} of {reps} allowed, over {} tenants", store.len());
        ExitCode::SUCCESS
    }
}

#[cfg(not(feature = "store"))]
mod tenants {
    use std::process::ExitCode;

    pub fn run(_: usize, _: usize) -> ExitCode {
        eprintln!("the tenants mode needs the store: --features store");
        ExitCode::from(2)
    }
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

/// `reps` checks as [`run_checks`] does them, but each origin first copied into one
/// buffer on the stack, as a server checks the `Origin` of the request it has just read:
/// the copy reads the query array (outside `Policy::check`), and the check reads a hot
/// origin. For counting the check's own cache misses (`benches/cache_misses.sh`).
#[inline(never)]
fn run_hot_checks(policy: &origin_policy::Policy, queries: &[gen::Query], reps: usize) -> ExitCode {
    let mut allowed = 0usize;
    let mut buffer = [0u8; 256];
    for at in 0..reps {
        let query = &queries[at % queries.len()];
        let bytes = query.origin.as_bytes();
        let len = bytes.len().min(buffer.len());
        buffer[..len].copy_from_slice(&bytes[..len]);
        let origin = std::str::from_utf8(&buffer[..len]).unwrap_or_default();
        allowed += usize::from(policy.is_allowed(query.mode, black_box(origin)));
    }
    println!(
        "{allowed} of {reps} allowed, over {} origins",
        queries.len()
    );
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
