//! Check time on the worst list shapes ([`origin_policy_testkit::shapes`]) against a random
//! list of the same size, measured in one run (issue 22, part 3):
//!
//! ```sh
//! cargo run --release --example worst_shapes -- 50000
//! ```
//!
//! The random list is the issue-17 workload ([`gen::sized_rules`]) over 1,024 hits and 1,024
//! misses; each shape is checked over its own origins (hits on its first, middle and last
//! entries and misses on the same key). Each row is the best of 7 passes of about 200,000
//! checks, in nanoseconds per check, and its ratio to the random list's hits; the last
//! column checks the shape's own origins against the random list too, so that the ratio
//! compares two lists on the same traffic (a shape's origins can be much longer than the
//! workload's: one has 122 labels, and parsing it alone costs more than a usual check).

use std::hint::black_box;
use std::time::Instant;

use origin_policy::{Mode, Policy};
use origin_policy_testkit::{shapes, workload as gen};

/// The best of 7 passes over `origins`, in nanoseconds per check.
fn time(policy: &Policy, origins: &[(Mode, String)]) -> f64 {
    let reps = 200_000usize.div_ceil(origins.len()) * origins.len();
    let mut best = f64::MAX;
    for _ in 0..7 {
        let start = Instant::now();
        let mut allowed = 0usize;
        for at in 0..reps {
            let (mode, origin) = &origins[at % origins.len()];
            allowed += usize::from(policy.is_allowed(*mode, black_box(origin.as_str())));
        }
        black_box(allowed);
        best = best.min(start.elapsed().as_nanos() as f64 / reps as f64);
    }
    best
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(50_000);
    let mut rules = gen::sized_rules(n, 0x17 ^ n as u64);
    let random = gen::policy(&mut rules);
    let (hits, misses) = gen::queries(&rules, 1_024, 0x17_C0DE ^ n as u64, |query| {
        random.is_allowed(query.mode, &query.origin)
    });
    let pairs = |queries: Vec<gen::Query>| -> Vec<(Mode, String)> {
        queries.into_iter().map(|q| (q.mode, q.origin)).collect()
    };
    let base = time(&random, &pairs(hits));
    println!(
        "| list of {n} entries | ns per check | vs random hits | random list, same origins | vs random list, same origins |\n|---|---|---|---|---|"
    );
    println!("| random, hits | {base:.0} | 1.0x | - | - |");
    let miss = time(&random, &pairs(misses));
    println!(
        "| random, misses | {miss:.0} | {:.1}x | - | - |",
        miss / base
    );
    for shape in shapes::all(n) {
        let policy = shapes::builder(&shape).build().expect("every shape builds");
        let origins: Vec<(Mode, String)> = shape
            .origins
            .iter()
            .map(|o| (Mode::Live, o.clone()))
            .collect();
        let ns = time(&policy, &origins);
        let same = time(&random, &origins);
        println!(
            "| {} | {ns:.0} | {:.1}x | {same:.0} | {:.1}x |",
            shape.name,
            ns / base,
            ns / same
        );
    }
}
