//! The cost of the public-suffix boundary: wildcard hits in a 1,000-rule policy, checked
//! with the boundary enforced (the default: one Public Suffix List lookup per wildcard hit)
//! and with `allow_public_suffix_wildcards(true)`, which skips it. Exact hits, which never
//! consult the List, are the control: both policies should check them at the same speed.
//!
//! `cargo bench --bench public_suffix` (numbers in BENCHMARKS.md).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use origin_policy::pattern::HostPattern;
use origin_policy::Policy;

use origin_policy_testkit::workload as gen;

const RULES: usize = 1_000;
const QUERIES: usize = 256;

fn boundary(c: &mut Criterion) {
    let mut rules = gen::rules(RULES, 0x5eed_0fb0);
    let enforced = gen::policy(&mut rules);
    let opted_out = gen::builder(&rules)
        .allow_public_suffix_wildcards(true)
        .build()
        .expect("the rules build without the check too");
    let (hits, _) = gen::queries(&rules, QUERIES * 8, 7, |query| {
        enforced.is_allowed(query.mode, &query.origin)
    });
    let by_kind = |wildcard: bool| -> Vec<gen::Query> {
        hits.iter()
            .filter(|query| {
                let decision = enforced.check(query.mode, &query.origin);
                let is_wildcard = decision.rule().is_some_and(|rule| {
                    matches!(rule.to_pattern().host(), HostPattern::Subdomains(_))
                });
                is_wildcard == wildcard
            })
            .take(QUERIES)
            .cloned()
            .collect()
    };
    let mut group = c.benchmark_group("public_suffix_boundary");
    for (kind, queries) in [
        ("wildcard_hit", by_kind(true)),
        ("exact_hit", by_kind(false)),
    ] {
        assert!(!queries.is_empty(), "no {kind} queries");
        for (name, policy) in [("enforced", &enforced), ("opted_out", &opted_out)] {
            let policy: &Policy = policy;
            for query in &queries {
                assert!(policy.is_allowed(query.mode, &query.origin));
            }
            let mut at = 0;
            group.bench_function(BenchmarkId::new(kind, name), |b| {
                b.iter(|| {
                    let query = &queries[at % queries.len()];
                    at += 1;
                    black_box(
                        policy
                            .check(query.mode, black_box(&query.origin))
                            .is_allowed(),
                    )
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, boundary);
criterion_main!(benches);
