//! The worst list shapes ([`origin_policy_testkit::shapes`]) hold the work of a check to a
//! constant: slots probed, keys and ports compared and trie steps, counted by
//! [`work`](super::work) in this crate's tests, never timed. A table that scanned the rules
//! of a key did 50,000 steps a check on the same host over 50,000 ports.

use super::work;
use crate::{Mode, Policy};
use origin_policy_testkit::shapes::{self, Shape};
use origin_policy_testkit::workload as gen;

/// The most work of one check of each of `origins` against the list of `entries`.
fn most_work(entries: impl IntoIterator<Item = (Mode, String)>, origins: &[String]) -> u64 {
    let mut builder = Policy::builder();
    for (mode, entry) in entries {
        builder.allow(mode, &entry);
    }
    let policy = builder.build().expect("the list builds");
    origins
        .iter()
        .map(|origin| {
            work::take();
            let _ = policy.check(Mode::Live, origin);
            work::take()
        })
        .max()
        .unwrap_or(0)
}

fn shape_work(shape: &Shape) -> u64 {
    let entries = shape.entries.iter().map(|e| (Mode::Live, e.clone()));
    most_work(entries, &shape.origins)
}

/// The most work of a check on the random list of `n` entries (the issue-17 workload),
/// over origins of its own hosts and misses.
fn random_work(n: usize) -> u64 {
    let rules = gen::sized_rules(n, 0x22 ^ n as u64);
    let live = |rule: &gen::GenRule| format!("{:?}", rule.mode) == "Live";
    let origins: Vec<String> = rules
        .iter()
        .filter(|rule| live(rule))
        .take(200)
        .flat_map(|rule| {
            let scheme = if rule.https { "https" } else { "http" };
            let host = match rule.wildcard {
                true => format!("x.{}", rule.host),
                false => rule.host.clone(),
            };
            [
                format!("{scheme}://{host}"),
                format!("{scheme}://{host}:1"),
                format!("{scheme}://q.{host}:1"),
            ]
        })
        .collect();
    let mode = |rule: &gen::GenRule| match live(rule) {
        true => Mode::Live,
        false => Mode::Test,
    };
    most_work(rules.iter().map(|rule| (mode(rule), rule.text())), &origins)
}

/// The most work per check that any shape may take: a probe per label of the host and of
/// each parent (a name has at most 127 labels, but the shapes' deepest host has 122), each
/// at most a few slots, one key compare and a binary search of at most 17 ports; or the
/// label-wildcard walk over a label of at most 63 bytes. Independent of the list's size.
const PER_PROBE: u64 = 24;

#[test]
fn the_worst_shapes_check_in_constant_work() {
    let random = random_work(20_000);
    assert!(random <= 4 * PER_PROBE, "random list: {random}");
    for (small, large) in shapes::all(1_000).iter().zip(shapes::all(20_000).iter()) {
        let (small_work, large_work) = (shape_work(small), shape_work(large));
        let bound = match large.name {
            // One probe per parent of the 122-label host.
            "wildcard-bases-over-one-host" => 122 * PER_PROBE,
            _ => 2 * PER_PROBE,
        };
        assert!(
            large_work <= bound,
            "{}: {large_work} steps a check at 20,000 entries (bound {bound}; random list: {random})",
            large.name
        );
        // 20 times the entries: at most the few more steps of a deeper binary search
        // (log2 20 < 5) per probe.
        let probes = bound / PER_PROBE;
        assert!(
            large_work <= small_work + 5 * probes + 4,
            "{}: {small_work} steps at 1,000 entries, {large_work} at 20,000",
            large.name
        );
        eprintln!(
            "{}: {small_work} -> {large_work} (random {random})",
            large.name
        );
    }
}

#[test]
fn duplicates_leave_one_rule_in_the_index() {
    let shape = shapes::duplicates(500);
    let mut builder = Policy::builder();
    for entry in &shape.entries {
        builder.allow(Mode::Live, entry);
    }
    let policy = builder.build().unwrap();
    // Every entry stays a rule (the lint names each duplicate by its index) ...
    assert_eq!(policy.rules(Mode::Live).len(), 500);
    // ... but the earliest decides and the check compares one rule.
    work::take();
    let decision = policy.check(Mode::Live, "https://a.example.com:8443");
    assert!(work::take() <= 4);
    assert_eq!(decision.rule().map(|rule| rule.index()), Some(0));
    let warnings = policy.lint();
    assert_eq!(warnings.len(), 499);
}
