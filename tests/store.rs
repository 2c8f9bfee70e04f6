//! `PolicyStore` under concurrency: swaps are atomic (every read decides as one of the two
//! policies, never a mix), and updating one tenant costs about the same at 10 or 100,000
//! tenants.

#![cfg(feature = "store")]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use origin_policy::{Mode, Policy, PolicyStore};

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
