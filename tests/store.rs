//! `PolicyStore` under concurrency: swaps are atomic (every read decides as one of the two
//! policies, never a mix), and updating one tenant costs about the same at 10 or 100,000
//! tenants.

#![cfg(feature = "store")]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use origin_policy::store::PolicyStore;
use origin_policy::{Mode, Policy};

/// The origins each read decides, and the two policies, which disagree on all but the last.
const ORIGINS: [&str; 5] = [
    "https://a.example",
    "https://x.a.example",
    "https://b.example",
    "https://x.b.example",
    "https://both.example",
];

fn policies() -> (Policy, Policy) {
    let a = Policy::builder()
        .allow(Mode::Live, "https://a.example")
        .allow(Mode::Live, "https://*.a.example")
        .allow(Mode::Live, "https://both.example")
        .build()
        .unwrap();
    let b = Policy::builder()
        .allow(Mode::Live, "https://b.example")
        .allow(Mode::Live, "https://*.b.example")
        .allow(Mode::Live, "https://both.example")
        .build()
        .unwrap();
    (a, b)
}

fn decisions(policy: &Policy) -> [bool; 5] {
    ORIGINS.map(|origin| policy.is_allowed(Mode::Live, origin))
}

#[test]
fn readers_during_repeated_swaps_see_one_policy_or_the_other() {
    const SWAPS: u64 = 20_000;
    let (a, b) = policies();
    let (expect_a, expect_b) = (decisions(&a), decisions(&b));
    assert_ne!(expect_a, expect_b);

    let store = Arc::new(PolicyStore::<String>::new());
    store.insert("tenant".to_owned(), a.clone());
    // Other tenants, untouched by the swaps, must stay readable throughout.
    for i in 0..1_000 {
        store.insert(format!("other-{i}"), a.clone());
    }
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));

    std::thread::scope(|scope| {
        for reader in 0..3 {
            let (store, done, reads) = (&store, &done, &reads);
            scope.spawn(move || {
                let (mut saw_a, mut saw_b) = (false, false);
                let deadline = Instant::now() + Duration::from_secs(20);
                while !done.load(Ordering::Acquire) {
                    assert!(Instant::now() < deadline, "reader {reader} ran too long");
                    // All origins are decided under one snapshot of the tenant's policy.
                    let seen = if reader % 2 == 0 {
                        store.with_policy("tenant", |policy| decisions(policy.unwrap()))
                    } else {
                        decisions(&store.get("tenant").unwrap())
                    };
                    assert!(seen == expect_a || seen == expect_b, "a mix: {seen:?}");
                    saw_a |= seen == expect_a;
                    saw_b |= seen == expect_b;
                    assert_eq!(
                        store.is_allowed("other-7", Mode::Live, "https://a.example"),
                        Some(true)
                    );
                    reads.fetch_add(1, Ordering::Relaxed);
                }
                (saw_a, saw_b)
            });
        }
        scope.spawn(|| {
            for i in 0..SWAPS {
                let next = if i % 2 == 0 { &b } else { &a };
                let previous = store.insert("tenant".to_owned(), next.clone()).unwrap();
                // The previous value is the one swapped in last time, whole.
                assert_eq!(
                    decisions(&previous),
                    if i % 2 == 0 { expect_a } else { expect_b }
                );
                if i % 64 == 0 {
                    std::thread::yield_now();
                }
            }
            done.store(true, Ordering::Release);
        });
    });
    assert!(reads.load(Ordering::Relaxed) > 0);
    assert_eq!(decisions(&store.get("tenant").unwrap()), expect_a);
}

// How an update's cost grows with the number of tenants is measured by
// `benches/store.rs` (criterion), not asserted here: timing asserts make tests flaky and
// are no evidence of speed.

/// A feed's deliveries, duplicated and shuffled across several writer threads, leave every
/// tenant at its greatest version, and no reader ever sees a tenant's version go down.
#[test]
fn shuffled_concurrent_deliveries_never_roll_a_tenant_back() {
    const TENANTS: u64 = 20;
    const VERSIONS: u64 = 200;
    let store = Arc::new(PolicyStore::<String>::new());
    let (a, _) = policies();
    let a = Arc::new(a);
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut last = vec![0u64; TENANTS as usize];
            let deadline = Instant::now() + Duration::from_secs(20);
            while !done.load(Ordering::Acquire) {
                assert!(Instant::now() < deadline, "reader ran too long");
                for (t, last) in last.iter_mut().enumerate() {
                    let seen = store.version(&format!("t{t}")).unwrap_or(0);
                    assert!(seen >= *last, "t{t} went from {last} back to {seen}");
                    *last = seen;
                }
            }
        });
        let writers: Vec<_> = (0..3u64)
            .map(|writer| {
                let (store, a) = (&store, &a);
                scope.spawn(move || {
                    // Each writer delivers every version, in its own scrambled order.
                    for step in 0..TENANTS * VERSIONS {
                        let scrambled = (step * 7919 + writer * 104_729) % (TENANTS * VERSIONS);
                        let (tenant, version) = (scrambled % TENANTS, scrambled / TENANTS + 1);
                        let _ = store.insert_if_newer(format!("t{tenant}"), version, a.clone());
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        done.store(true, Ordering::Release);
        reader.join().unwrap();
    });
    for t in 0..TENANTS {
        assert_eq!(store.version(&format!("t{t}")), Some(VERSIONS));
    }
}

/// Readers of a snapshot see a batch whole or not at all: every batch moves all tenants to
/// one version, so any snapshot shows all tenants at the same version.
#[test]
fn readers_see_a_batch_whole_or_not_at_all() {
    use origin_policy::store::TenantUpdate;
    const TENANTS: usize = 50;
    const BATCHES: u64 = 2_000;
    let store = Arc::new(PolicyStore::<String>::new());
    let (a, b) = policies();
    let (a, b) = (Arc::new(a), Arc::new(b));
    let done = AtomicBool::new(false);
    let keys: Vec<String> = (0..TENANTS).map(|t| format!("t{t}")).collect();
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut snapshots = 0u64;
            // At least one snapshot, even if the writer finishes first.
            while snapshots == 0 || !done.load(Ordering::Acquire) {
                assert!(Instant::now() < deadline, "reader ran too long");
                let snapshot = store.snapshot();
                let first = snapshot.version(&keys[0]);
                let expected = first.map(|v| if v % 2 == 0 { &a } else { &b });
                for key in &keys {
                    assert_eq!(snapshot.version(key), first, "{key} in a torn batch");
                    let policy = snapshot.get(key);
                    assert_eq!(policy.map(|p| decisions(p)), expected.map(|p| decisions(p)));
                }
                snapshots += 1;
            }
            snapshots
        });
        for version in 1..=BATCHES {
            let policy = if version % 2 == 0 { &a } else { &b };
            let report = store.apply_batch(keys.iter().map(|key| TenantUpdate {
                key: key.clone(),
                version,
                policy: Some(policy.clone()),
            }));
            assert_eq!(report.applied, TENANTS);
        }
        done.store(true, Ordering::Release);
        assert!(reader.join().unwrap() > 0);
    });
    assert_eq!(store.snapshot().versions().count(), TENANTS);
}
