//! Heap bytes a built `Policy` holds per rule, measured with a counting allocator, for the
//! generated rule sets of `benches/check.rs`.
//!
//! `cargo run --release --example memory`
//!
//! Counts the bytes requested from the allocator (`Layout::size`) that are still live
//! after the build, minus those of the builder; the allocator's own per-block overhead
//! (8–16 bytes with glibc) is not included. `size_of::<Rule>()` is printed too.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use origin_policy::{Mode, Rule};

use origin_policy_testkit::workload as gen;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards every call unchanged to the system allocator; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() {
    println!("size_of::<Rule>() = {} bytes", std::mem::size_of::<Rule>());
    println!("| rules | heap bytes | bytes/rule | build |");
    println!("|---|---|---|---|");
    let mut per_rule_at_100k = 0.0;
    for n in [10, 100, 1_000, 10_000, 100_000] {
        let mut rules = gen::rules(n, 0x5EED ^ n as u64);
        drop(gen::policy(&mut rules));
        let builder = gen::builder(&rules);
        let before = LIVE.load(Ordering::Relaxed);
        let started = Instant::now();
        let policy = builder.build().expect("valid");
        let took = started.elapsed();
        let bytes = LIVE.load(Ordering::Relaxed) - before;
        let count = policy.rules(Mode::Live).len() + policy.rules(Mode::Test).len();
        let per_rule = bytes as f64 / count as f64;
        println!("| {count} | {bytes} | {per_rule:.1} | {took:.2?} |");
        if n == 100_000 {
            per_rule_at_100k = per_rule;
        }
        drop(policy);
    }
    println!("target: <= 128 bytes/rule at 100k rules: {per_rule_at_100k:.1}");
    assert!(per_rule_at_100k <= 128.0, "over the memory target");
}
