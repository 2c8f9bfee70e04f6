//! Reading a policy file is linear in its size, in every format and layout: the work of
//! `policy_file::parse` (and of a failed parse, which locates and hints its bad entry) is
//! counted as allocations on this thread, never timed, for 5k and 40k entries, and 40k
//! may cost at most 12× 5k. (The bytes the entry locator scans, which allocates nothing,
//! are counted by the unit test `locating_every_entry_scans_the_text_once`.) The same holds
//! for `validate_entry`, one typed entry against a list.
#![cfg(feature = "policy-file")]

use origin_policy::policy_file::{self, Format, Limits};

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations;

#[global_allocator]
static GLOBAL: counting_alloc::Counting = counting_alloc::Counting;

/// A policy file of `n` live entries in each layout; with `bad`, its last entry is `http`.
fn layouts(n: usize, bad: bool) -> Vec<(&'static str, Format, String)> {
    let host = |i: usize| {
        let scheme = if bad && i + 1 == n { "http" } else { "https" };
        format!("{scheme}://host-{i}.example.com")
    };
    let mut lines = String::from("live = [\n");
    let mut tables = String::from("live = [\n");
    let mut arrays = String::new();
    let mut minified = Vec::new();
    let mut objects = Vec::new();
    for i in 0..n {
        lines.push_str(&format!("  \"{}\",\n", host(i)));
        tables.push_str(&format!(
            "  {{ pattern = \"{}\", note = \"ticket {i}\" }},\n",
            host(i)
        ));
        arrays.push_str(&format!(
            "[[live]]\npattern = \"{}\"\nnote = \"n{i}\"\n",
            host(i)
        ));
        minified.push(format!("\"{}\"", host(i)));
        objects.push(format!(
            "{{\"pattern\":\"{}\",\"note\":\"é {i}\"}}",
            host(i)
        ));
    }
    lines.push_str("]\n");
    tables.push_str("]\n");
    vec![
        ("toml lines", Format::Toml, lines),
        ("toml inline tables with notes", Format::Toml, tables),
        ("toml arrays of tables", Format::Toml, arrays),
        (
            "json minified",
            Format::Json,
            format!("{{\"live\":[{}]}}", minified.join(",")),
        ),
        (
            "json objects with notes",
            Format::Json,
            format!("{{\"live\":[\n{}\n]}}", objects.join(",\n")),
        ),
    ]
}

/// The allocations of reading each layout of `n` entries.
fn work(n: usize, bad: bool) -> Vec<(&'static str, u64)> {
    let limits = Limits::UNLIMITED;
    layouts(n, bad)
        .into_iter()
        .map(|(name, format, text)| {
            let before = allocations();
            let read = policy_file::parse_with_limits("p", &text, format, limits);
            let after = allocations();
            assert_eq!(read.is_err(), bad, "{name}");
            if let Err(err) = read {
                assert_eq!(err.entries().len(), 1, "{name}");
                assert_eq!(err.entries()[0].index(), n - 1, "{name}");
            }
            (name, after - before)
        })
        .collect()
}

#[test]
fn reading_40k_entries_costs_at_most_12_times_5k_in_every_layout() {
    for bad in [false, true] {
        let small = work(5_000, bad);
        let large = work(40_000, bad);
        for ((name, small), (_, large)) in small.iter().zip(&large) {
            println!("{name} (bad entry: {bad}): 5k {small}, 40k {large} allocations");
            assert!(*small > 5_000, "{name}: {small}");
            assert!(
                *large <= 12 * *small,
                "{name} (bad entry: {bad}): 40k entries made {large} allocations, 5k {small}"
            );
        }
    }
}

/// `validate_entry` against a list is linear in the list too: its allocations for lists of
/// 5k and 40k entries (exact hosts, wildcards and ports), for an entry that is covered, one
/// that covers, and a duplicate.
#[test]
fn validating_one_entry_against_40k_costs_at_most_12_times_5k() {
    use origin_policy::validate::validate_entry;
    use origin_policy::{Mode, Policy};
    let list = |n: usize| {
        let mut builder = Policy::builder();
        for i in 0..n {
            let entry = match i % 3 {
                0 => format!("https://host-{i}.example.com"),
                1 => format!("https://*.site-{i}.example.net"),
                _ => format!("https://host-{i}.example.org:{}", 1 + i % 60_000),
            };
            builder.allow(Mode::Live, &entry);
        }
        builder.build().expect("valid entries")
    };
    let (small, large) = (list(5_000), list(40_000));
    for entry in [
        "https://a.site-1.example.net",
        "https://*.example.com",
        "HTTPS://HOST-0.EXAMPLE.COM",
    ] {
        let cost = |policy: &Policy| {
            let before = allocations();
            let answer = validate_entry(policy, Mode::Live, entry);
            let after = allocations();
            assert!(answer.is_valid() && !answer.warnings.is_empty(), "{entry}");
            after - before
        };
        let (small, large) = (cost(&small), cost(&large));
        println!("{entry}: 5k {small}, 40k {large} allocations");
        assert!(large <= 12 * small, "{entry}: 40k {large}, 5k {small}");
    }
}
