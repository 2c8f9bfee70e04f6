//! `PolicyStore` updates: the cost of replacing, removing and re-adding one tenant at 10 and
//! at 100,000 tenants. The design target is "about the same": the trie copies only the
//! path to the key.
//!
//! `cargo bench --features store --bench store`

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use origin_policy::store::PolicyStore;
use origin_policy::{Mode, Policy};

fn update(c: &mut Criterion) {
    let policy = Arc::new(
        Policy::builder()
            .allow(Mode::Live, "https://*.berbix.com")
            .build()
            .expect("valid entry"),
    );
    let mut group = c.benchmark_group("store_update");
    for tenants in [10, 100_000] {
        let store = PolicyStore::<String>::new();
        for i in 0..tenants {
            store.insert(format!("tenant-{i}"), policy.clone());
        }
        group.bench_with_input(
            BenchmarkId::new("replace_remove_insert", tenants),
            &tenants,
            |b, _| {
                b.iter(|| {
                    store.insert("tenant-3".to_owned(), policy.clone());
                    store.remove(black_box("tenant-3"));
                    store.insert("tenant-3".to_owned(), policy.clone());
                })
            },
        );
        group.bench_with_input(BenchmarkId::new("read", tenants), &tenants, |b, _| {
            b.iter(|| store.get(black_box("tenant-3")).is_some())
        });
    }
    group.finish();
}

criterion_group!(benches, update);
criterion_main!(benches);
