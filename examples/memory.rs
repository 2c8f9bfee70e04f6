//! Heap bytes a built `Policy` holds per rule, measured with a counting allocator, for the
//! generated rule sets of `benches/check.rs`.
//!
//! `cargo run --release --example memory`
//!
//! Asserts issue 17's targets: at most 100 bytes per rule at 100,000 rules with 30-byte
//! hosts ([`gen::sized_rules`]), and at most 512 bytes for a 4-rule policy (two live, two
//! test rules), after printing its tables (BENCHMARKS.md, round 2).
//!
//! Counts the bytes requested from the allocator (`Layout::size`) that are still live
//! after the build, minus those of the builder; the allocator's own per-block overhead
//! (8–16 bytes with glibc) is not included. `size_of::<Rule>()` is printed too.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use origin_policy::{Mode, Policy, Rule};

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

/// Live heap bytes of `builder`'s policy, with the build time.
fn measure(builder: &origin_policy::PolicyBuilder) -> (origin_policy::Policy, isize, Duration) {
    let before = LIVE.load(Ordering::Relaxed);
    let started = Instant::now();
    let policy = builder.build().expect("valid");
    let took = started.elapsed();
    (policy, LIVE.load(Ordering::Relaxed) - before, took)
}

fn main() {
    println!("size_of::<Rule>() = {} bytes", std::mem::size_of::<Rule>());
    // A typical tenant: two live rules and two test rules, hosts of about 30 bytes.
    let mut tenant = Policy::builder();
    tenant
        .allow(Mode::Live, "https://checkout.acme-storefront.com")
        .allow(Mode::Live, "https://*.acme-storefront.com")
        .allow(Mode::Test, "https://staging.acme-storefront.com")
        .allow(Mode::Test, "http://localhost:3000");
    let (policy, tenant_bytes, _) = measure(&tenant);
    drop(policy);
    println!("4-rule policy: {tenant_bytes} bytes (target <= 512)");
    // The issue-17 workload: hosts of 30 bytes on average.
    println!("| rules (30-byte hosts) | heap bytes | bytes/rule | build |");
    println!("|---|---|---|---|");
    let mut sized_at_100k = 0.0;
    for n in [1_000, 100_000] {
        let mut rules = gen::sized_rules(n, 0x17 ^ n as u64);
        drop(gen::policy(&mut rules));
        let mean_host =
            rules.iter().map(|rule| rule.host.len()).sum::<usize>() as f64 / rules.len() as f64;
        let (policy, bytes, took) = measure(&gen::builder(&rules));
        let count = policy.rules(Mode::Live).len() + policy.rules(Mode::Test).len();
        let per_rule = bytes as f64 / count as f64;
        println!("| {count} (mean host {mean_host:.1} B) | {bytes} | {per_rule:.1} | {took:.2?} |");
        if n == 100_000 {
            sized_at_100k = per_rule;
        }
    }
    println!("target: <= 100 bytes/rule at 100k rules with 30-byte hosts: {sized_at_100k:.1}");
    println!();
    // The issue-26 workload (labels with digits and hyphens, live mode).
    println!("| realistic rules (issue 26) | heap bytes | bytes/rule | build |");
    println!("|---|---|---|---|");
    for n in [4, 100_000] {
        let mut rules = gen::realistic_rules(n, 0x26 ^ n as u64);
        drop(gen::policy(&mut rules));
        let mean_host =
            rules.iter().map(|rule| rule.host.len()).sum::<usize>() as f64 / rules.len() as f64;
        let (policy, bytes, took) = measure(&gen::builder(&rules));
        let count = policy.rules(Mode::Live).len();
        let per_rule = bytes as f64 / count as f64;
        println!("| {count} (mean host {mean_host:.1} B) | {bytes} | {per_rule:.1} | {took:.2?} |");
    }
    println!();
    println!("The generator of benches/check.rs (hosts of 2-4 labels of 4-10 letters):");
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
    println!("(issue 6's target was <= 128 bytes/rule here: {per_rule_at_100k:.1})");
    // Issue 17's targets, asserted last so that every number is printed first.
    assert!(
        sized_at_100k <= 100.0,
        "over the memory target: {sized_at_100k:.1} bytes/rule at 100k with 30-byte hosts (target 100)"
    );
    assert!(
        tenant_bytes <= 512,
        "over the memory target: {tenant_bytes} bytes for a 4-rule policy (target 512)"
    );
}
