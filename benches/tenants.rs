//! The check a multi-tenant gateway makes (issue 26): a `PolicyStore` of 100,000 tenants
//! of 4 realistic rules each (`testkit::workload::realistic_tenants`), each check for a
//! random tenant (the lookup, then the check of one of its hit origins), against one 4-rule
//! policy's warm check, in one run over the same harness: 4,096 (tenant key, origin) pairs,
//! round-robin. Beside them, where the time goes: the same tenants' policies by position
//! (cold policies, no lookup) and the store's lookup alone.
//!
//! `cargo bench --features store --bench tenants`
//!
//! Not shipped in the package (it needs the unpublished test kit).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use origin_policy::store::PolicyStore;
use origin_policy::{Mode, Policy};
use origin_policy_testkit::rng::{Choices, SplitMix64};
use origin_policy_testkit::workload as gen;

/// Times `check` over `queries`, one (key, origin) pair per iteration, round-robin.
fn bench_pairs(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    queries: &[(String, String)],
    check: impl Fn(&str, &str) -> bool,
) {
    let mask = queries.len() - 1;
    assert!(queries.len().is_power_of_two());
    group.bench_function(name, |b| {
        let mut i = 0;
        b.iter(|| {
            let (key, origin) = &queries[i & mask];
            i = i.wrapping_add(1);
            check(black_box(key), black_box(origin))
        })
    });
}

fn tenant_check(c: &mut Criterion) {
    const PAIRS: usize = 4_096;
    let tenants = gen::realistic_tenants(100_000, 4, 0x26_7E4A);
    let mut rng = SplitMix64::new(0x26);
    let pairs: Vec<(String, String)> = (0..PAIRS)
        .map(|_| {
            let tenant = &tenants[rng.below(tenants.len())];
            (tenant.key.clone(), tenant.hit.clone())
        })
        .collect();
    // The single policy: tenant 0's, over hits of its own (the same number of pairs, so
    // that the harness reads as much memory as the store's does).
    let mut rules = gen::realistic_rules(4, 0x26_0004);
    let single = gen::policy(&mut rules);
    let (hits, _) = gen::realistic_queries(&rules, 64, 0x26_0005, |q| {
        single.is_allowed(q.mode, &q.origin)
    });
    let single_pairs: Vec<(String, String)> = hits
        .iter()
        .cycle()
        .take(PAIRS)
        .map(|q| ("tenant-0".to_owned(), q.origin.clone()))
        .collect();
    // Where the time goes: the same random tenants' policies by position (cold policies, no
    // lookup), and the lookup alone.
    let by_index: Vec<Policy> = tenants.iter().map(|t| t.policy.clone()).collect();
    let index_pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(key, origin)| (key["tenant-".len()..].to_owned(), origin.clone()))
        .collect();
    let store = PolicyStore::new();
    store.replace_all(tenants.into_iter().map(|t| (t.key, t.policy.into())));
    assert!(pairs
        .iter()
        .all(|(key, origin)| store.is_allowed(key.as_str(), Mode::Live, origin) == Some(true)));
    let mut group = c.benchmark_group("tenant_check");
    bench_pairs(&mut group, "single_4_rules", &single_pairs, |_, origin| {
        single.is_allowed(Mode::Live, origin)
    });
    bench_pairs(&mut group, "store_100k_tenants", &pairs, |key, origin| {
        store.is_allowed(key, Mode::Live, origin) == Some(true)
    });
    bench_pairs(
        &mut group,
        "cold_policy_by_position",
        &index_pairs,
        |at, origin| {
            let at: usize = at.parse().unwrap_or_default();
            by_index[at].is_allowed(Mode::Live, origin)
        },
    );
    bench_pairs(&mut group, "store_lookup_alone", &pairs, |key, _| {
        store.contains_key(key)
    });
    group.finish();
}

criterion_group!(benches, tenant_check);
criterion_main!(benches);
